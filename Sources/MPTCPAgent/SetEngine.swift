import CNetSNMP
import Logging
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import NetSNMP
import Platform
import SMI

#if canImport(Glibc)
import Glibc
#endif

/// SET requests through net-snmp's phases. RESERVE1 checks each varbind against the MIB
/// (`SetChange.validate`), RESERVE2 plans the whole PDU against the kernel's current state
/// (`SetPlan`), ACTION applies the plan step by step and rolls back what it applied if the
/// kernel refuses a step, UNDO rolls back after a failure elsewhere in the PDU, COMMIT and
/// FREE forget the transaction. A PDU either applies completely or leaves the kernel as
/// it was, with one caveat: destroying an endpoint closes the subflows using it and tells
/// peers (RM_ADDR), which re-adding it in an undo does not reverse, and an implicit
/// endpoint comes back explicit. Under AgentX each phase arrives as its own PDU, so
/// varbinds are matched by OID.
final class SetEngine {
    private let logger: Logger
    private let cache: ViewCache
    private let state: AgentState
    /// Holds mptcpNotificationsEnabled and mptcpNotificationRateLimit.
    private let notifier: Notifier
    /// The path-manager handle of the agent thread (nil without MPTCP's genl family).
    private let pm: PathManager?
    /// The network namespace written (nil: the process's); sysctls are written from a
    /// thread inside it, since /proc/sys/net is the writing thread's namespace.
    private let namespace: NetworkNamespace?
    /// Whether there is a kernel to write (not synthetic mode).
    private let writesAllowed: Bool

    private struct Transaction {
        var changes: [SetChange]
        /// The sysctls as RESERVE1 read them (nil if it could not): RESERVE2 follows at once.
        var settings: Settings?
        var plan: SetPlan?
        /// Steps of the plan applied and not yet undone, in the order they were applied.
        var applied: [SetPlan.Step] = []
    }
    private var transaction: Transaction?

    /// mptcpEndpointSpinLock (RFC 2579 TestAndIncr); any value is a fine start.
    private var spinLock = Int32.random(in: 0...Int32.max)

    /// Rows created with createAndWait, with the time they were last changed.
    private var pending: [UInt8: (row: EndpointRow, touched: Double)] = [:]
    /// RFC 2579: rows left notReady or notInService are discarded after a while.
    static let pendingLifetime: Double = 300

    init(state: AgentState, cache: ViewCache, notifier: Notifier, namespace: NetworkNamespace?, logger: Logger,
         writesAllowed: Bool) {
        self.state = state
        self.cache = cache
        self.notifier = notifier
        self.namespace = namespace
        self.logger = logger
        pm = try? namespace.perform { try PathManager() }
        self.writesAllowed = writesAllowed
        publishPending()
        if let why = refusal() { logger.warning("SETs are refused: \(why)") }
    }

    /// Why SETs cannot be done now, if they cannot. Asked on every SET: snmpd loads the
    /// module as root and may drop its privileges afterwards (-u).
    private func refusal() -> String? {
        if !writesAllowed { return "synthetic mode has no kernel to write" }
        return ProcFS.hasNetAdmin() ? nil : "the process lacks CAP_NET_ADMIN"
    }

    func handle(mode: Int32, reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, requests: RequestList) -> Int32 {
        switch mode {
        case MODE_SET_RESERVE1: reserve1(reqinfo, requests)
        case MODE_SET_RESERVE2: reserve2(reqinfo, requests)
        case MODE_SET_ACTION: action(reqinfo, requests)
        case MODE_SET_UNDO: undo(reqinfo, requests)
        case MODE_SET_COMMIT: commit()
        case MODE_SET_FREE: transaction = nil
        default: break
        }
        return SNMP_ERR_NOERROR
    }

    /// Drops createAndWait rows nobody completed in time; called on every request.
    func expirePending() {
        guard !pending.isEmpty else { return }
        let now = MonotonicClock.now
        let stale = pending.filter { now - $0.value.touched > Self.pendingLifetime }.map(\.key)
        guard !stale.isEmpty else { return }
        for id in stale {
            pending[id] = nil
            logger.notice("endpoint row \(id) discarded: not activated within \(Int(Self.pendingLifetime)) s")
        }
        publishPending()
    }

    private func publishPending() {
        cache.publish(pendingEndpoints: pending.values.map(\.row).sorted { $0.id < $1.id }, spinLock: spinLock)
    }

    private func refuse(_ refusal: SetRefusal, _ change: String, _ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>,
                        _ request: UnsafeMutablePointer<netsnmp_request_info>?) {
        logger.notice("SET \(change) refused: \(refusal.status): \(refusal.reason)")
        if let request { netsnmp_set_request_error(reqinfo, request, Int32(refusal.status.rawValue)) }
    }

    /// The request of a phase that carries `change` (phases arrive as separate PDUs).
    private func request(for oid: OID, in requests: RequestList) -> UnsafeMutablePointer<netsnmp_request_info>? {
        requests.first { $0.pointee.requestvb?.oid == oid } ?? requests.first { _ in true }
    }

    private func reserve1(_ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, _ requests: RequestList) {
        transaction = nil
        expirePending()
        if let why = refusal() {
            if let first = requests.first(where: { _ in true }) {
                refuse(.noAccess("cannot write MPTCP: \(why)"), MIBNames.format(first.pointee.requestvb?.oid ?? []), reqinfo, first)
            }
            return
        }
        let read = try? namespace.perform { try ProcFS.settings() }
        let settings = read ?? Settings()
        var changes: [SetChange] = []
        for r in requests {
            guard let vb = r.pointee.requestvb else { continue }
            do {
                changes.append(try SetChange.validate(oid: vb.oid, value: vb.value, settings: settings))
            } catch {
                refuse(error, MIBNames.format(vb.oid), reqinfo, r)
                return
            }
        }
        transaction = Transaction(changes: changes, settings: read)
    }

    private func reserve2(_ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, _ requests: RequestList) {
        guard var t = transaction else { return }
        let current: SetState
        do {
            guard let pm else { throw KernelError.mptcpUnavailable("no mptcp_pm generic netlink family") }
            let n = notifier.state
            current = SetState(settings: try t.settings ?? namespace.perform { try ProcFS.settings() }, limits: try pm.limits(), endpoints: try pm.endpoints(),
                               endpointSpinLock: spinLock,
                               notifications: NotificationControls(enabled: n.enabled, rateLimit: n.rateLimit),
                               eventLogSize: state.eventLogSize)
        } catch {
            let first = t.changes.first
            refuse(.resourceUnavailable("cannot read the kernel's state: \(error)"), first?.name ?? "", reqinfo,
                   first.flatMap { request(for: $0.oid, in: requests) })
            return
        }
        do {
            t.plan = try SetPlan.make(t.changes, state: current, pending: pending.mapValues(\.row), interfaceExists: { index in
                var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE))
                return if_indextoname(index, &name) != nil
            })
            transaction = t
        } catch {
            let change = t.changes[error.change]
            refuse(error.refusal, change.name, reqinfo, request(for: change.oid, in: requests))
        }
    }

    private func action(_ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, _ requests: RequestList) {
        guard var t = transaction, let plan = t.plan else { return }
        for step in plan.steps {
            do {
                try apply(step.operation)
                t.applied.append(step)
            } catch {
                let change = t.changes[step.change]
                logger.warning("SET \(change.name): the kernel refused \(step.operation.summary): \(error)")
                t.applied = rollBack(t.applied)
                transaction = t
                refuse(.commitFailed("\(error)"), change.name, reqinfo, request(for: change.oid, in: requests))
                return
            }
        }
        transaction = t
    }

    private func undo(_ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, _ requests: RequestList) {
        guard var t = transaction else { return }
        t.applied = rollBack(t.applied)
        transaction = t
        if let left = t.applied.last {
            let change = t.changes[left.change]
            refuse(.undoFailed("could not undo \(left.operation.summary)"), change.name, reqinfo, request(for: change.oid, in: requests))
        }
    }

    private func commit() {
        guard let t = transaction else { return }
        for step in t.applied {
            if case .eventLogSize(let new, _) = step.operation { state.resizeEventLog(new) }
            logger.notice("SET \(t.changes[step.change].name): \(step.operation.summary)")
        }
        transaction = nil
        cache.invalidate()
    }

    /// Undoes `applied` in reverse; returns the steps that could not be undone.
    private func rollBack(_ applied: [SetPlan.Step]) -> [SetPlan.Step] {
        var left = applied
        while let step = left.last {
            do {
                try revert(step.operation)
                left.removeLast()
            } catch {
                logger.error("could not undo \(step.operation.summary): \(error)")
                return left
            }
        }
        cache.invalidate()
        return left
    }

    private func apply(_ op: SetOperation) throws {
        switch op {
        case .sysctl(let file, let new, _): try writeSetting(file, new)
        case .limits(let new, _): try requirePM().setLimits(subflows: new.subflows, addAddrAccepted: new.addAddrAccepted)
        case .deleteEndpoint(let e): try requirePM().deleteEndpoint(id: e.id)
        case .addEndpoint(let r): try requirePM().addEndpoint(r)
        case .setFlags(let id, let new, _): try requirePM().setEndpointFlags(id: id, flags: new)
        case .pendingRow(let id, let new, _): setPending(id, new)
        case .spinLock(let new, _): setSpinLock(new)
        case .notifications(let new, _): notifier.configure(enabled: new.enabled, rateLimit: new.rateLimit)
        case .eventLogSize: break  // at COMMIT
        }
    }

    private func revert(_ op: SetOperation) throws {
        switch op {
        case .sysctl(let file, _, let old): try writeSetting(file, old)
        case .limits(_, let old): try requirePM().setLimits(subflows: old.subflows, addAddrAccepted: old.addAddrAccepted)
        case .deleteEndpoint(let e):
            // The kernel does not let anyone create an implicit endpoint: it comes back explicit.
            var endpoint = e
            endpoint.flags.remove(.implicit)
            try requirePM().addEndpoint(endpoint)
        case .addEndpoint(let e):
            try requirePM().deleteEndpoint(id: e.id)
        case .setFlags(let id, _, let old): try requirePM().setEndpointFlags(id: id, flags: old)
        case .pendingRow(let id, _, let old): setPending(id, old)
        case .spinLock(_, let old): setSpinLock(old)
        case .notifications(_, let old): notifier.configure(enabled: old.enabled, rateLimit: old.rateLimit)
        case .eventLogSize: break  // never applied before COMMIT
        }
    }

    private func setPending(_ id: UInt8, _ row: EndpointRow?) {
        pending[id] = row.map { ($0, MonotonicClock.now) }
        publishPending()
    }

    private func setSpinLock(_ value: Int32) {
        spinLock = value
        publishPending()
    }

    private func writeSetting(_ file: String, _ value: String) throws {
        try namespace.perform { try ProcFS.writeSetting(file, value) }
    }

    private func requirePM() throws -> PathManager {
        guard let pm else { throw KernelError.mptcpUnavailable("no mptcp_pm generic netlink family") }
        return pm
    }
}
