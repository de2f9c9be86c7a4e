import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI

/// One write of a SET and what undoes it.
enum SetOperation: Equatable {
    case sysctl(file: String, new: String, old: String)
    case limits(new: Limits, old: Limits)
    case deleteEndpoint(Endpoint)
    /// Always with an id: the undo deletes by it.
    case addEndpoint(Endpoint)
    case setFlags(id: UInt8, new: EndpointFlags, old: EndpointFlags)
    /// mptcpEndpointSpinLock, held by the agent.
    case spinLock(new: Int32, old: Int32)
    /// mptcpNotificationsEnabled and mptcpNotificationRateLimit, held by the agent.
    case notifications(new: NotificationControls, old: NotificationControls)
    /// A row created with createAndWait, held by the agent (nil: no such row).
    case pendingRow(id: UInt8, new: EndpointRow?, old: EndpointRow?)
    /// mptcpEventLogSize, held by the agent: applied at COMMIT, since a smaller log drops
    /// entries that no undo could bring back.
    case eventLogSize(new: Int, old: Int)

    var summary: String {
        switch self {
        case .sysctl(let f, let new, let old): return "net.mptcp.\(f) \(old) -> \(new)"
        case .limits(let new, let old):
            return "limits subflows \(old.subflows) -> \(new.subflows), add_addr_accepted \(old.addAddrAccepted) -> \(new.addAddrAccepted)"
        case .deleteEndpoint(let e): return "endpoint \(e.id) (\(e.address)) deleted"
        case .addEndpoint(let e): return "endpoint \(e.id) (\(e.address)) added"
        case .setFlags(let id, let new, let old): return "endpoint \(id) flags 0x\(String(old.rawValue, radix: 16)) -> 0x\(String(new.rawValue, radix: 16))"
        case .pendingRow(let id, let new, _): return "endpoint row \(id) \(new.map { "held, \($0.status)" } ?? "discarded")"
        case .spinLock(let new, let old): return "mptcpEndpointSpinLock \(old) -> \(new)"
        case .notifications(let new, let old): return "notifications \(old) -> \(new)"
        case .eventLogSize(let new, let old): return "mptcpEventLogSize \(old) -> \(new)"
        }
    }
}

/// The state a SET is checked against: the kernel's, read fresh for each SET, and the
/// agent's spin lock.
struct SetState {
    var settings: Settings
    var limits: Limits
    var endpoints: [Endpoint]
    var endpointSpinLock: Int32 = 0
    var notifications = NotificationControls(enabled: AgentConfiguration().notifications,
                                             rateLimit: AgentConfiguration().notificationRate)
    var eventLogSize = AgentConfiguration().eventLogSize
}

/// Which notifications are sent and how many per second.
struct NotificationControls: Equatable, CustomStringConvertible {
    var enabled: Set<MPTCPMIB.Notifications.Kind>
    var rateLimit: UInt32

    var description: String {
        "[\(enabled.sorted { $0.rawValue < $1.rawValue }.map(\.name).joined(separator: ","))] at \(rateLimit)/s"
    }
}

/// RESERVE2: the operations a SET's changes amount to, in the order they are applied
/// (settings, limits, endpoint deletions, additions, held rows, flag changes), each
/// blamed on the varbind that asked for it. Consistency between varbinds and with the
/// kernel is decided here, so that ACTION fails only when the kernel itself refuses.
struct SetPlan {
    struct Step: Equatable {
        let operation: SetOperation
        /// Index of the change (varbind) this step is for.
        let change: Int
    }

    struct Refusal: Error, Equatable {
        let change: Int
        let refusal: SetRefusal
    }

    static let maxEndpoints = 8
    static let changeableFlags: EndpointFlags = .changeable

    private(set) var steps: [Step] = []

    static func make(_ changes: [SetChange], state: SetState, pending: [UInt8: EndpointRow],
                     interfaceExists: (UInt32) -> Bool) throws(Refusal) -> SetPlan {
        var plan = SetPlan()
        var seen: Set<OID> = []
        for (i, c) in changes.enumerated() where !seen.insert(c.oid).inserted {
            throw Refusal(change: i, refusal: .inconsistentValue("\(c.name) is set twice in one request"))
        }
        try plan.planScalars(changes, state)
        try plan.planEndpoints(changes, state, pending, interfaceExists)
        let order: (SetOperation) -> Int = {
            switch $0 {
            case .spinLock, .notifications, .sysctl, .eventLogSize: return 0
            case .limits: return 1
            case .deleteEndpoint: return 2
            case .addEndpoint: return 3
            case .pendingRow: return 4
            case .setFlags: return 5
            }
        }
        plan.steps = plan.steps.enumerated().sorted { (order($0.1.operation), $0.0) < (order($1.1.operation), $1.0) }.map(\.1)
        return plan
    }

    private mutating func planScalars(_ changes: [SetChange], _ state: SetState) throws(Refusal) {
        typealias G = MPTCPMIB.General
        typealias N = MPTCPMIB.NotificationControl
        var limits = state.limits
        var limitChange: Int?
        var notifications = state.notifications
        var notificationChange: Int?
        for (i, c) in changes.enumerated() where c.endpointID == nil {
            switch c.object {
            case G.limitSubflows, G.limitAddAddrAccepted:
                guard case .unsigned(let v) = c.value else { continue }
                if c.object == G.limitSubflows { limits.subflows = v } else { limits.addAddrAccepted = v }
                limitChange = limitChange ?? i
            case N.enabled:
                guard case .octets(let bits) = c.value else { continue }
                notifications.enabled = Set(SNMPValue.bitNumbers(bits).compactMap { MPTCPMIB.Notifications.Kind(rawValue: $0) })
                notificationChange = notificationChange ?? i
            case N.rateLimit:
                guard case .unsigned(let v) = c.value else { continue }
                notifications.rateLimit = v
                notificationChange = notificationChange ?? i
            case MPTCPMIB.EventLog.size:
                guard case .unsigned(let v) = c.value else { continue }
                steps.append(Step(operation: .eventLogSize(new: Int(v), old: state.eventLogSize), change: i))
            case G.endpointSpinLock:
                // TestAndIncr (RFC 2579): the value must be the current one; it then goes up by one.
                guard c.value == .integer(state.endpointSpinLock) else {
                    throw Refusal(change: i, refusal: .inconsistentValue("mptcpEndpointSpinLock is \(state.endpointSpinLock), not \(c.value)"))
                }
                let next = state.endpointSpinLock == Int32.max ? 0 : state.endpointSpinLock + 1
                steps.append(Step(operation: .spinLock(new: next, old: state.endpointSpinLock), change: i))
            case G.pathManager:
                let name = SysctlObject.text(of: c.value)
                guard let (file, text) = PathManagerSetting.write(name, state.settings) else { continue }
                steps.append(Step(operation: .sysctl(file: file, new: text, old: state.settings[file] ?? ""), change: i))
            default:
                guard let sysctl = SysctlObject.of(c.object) else { continue }
                let new = sysctl.text(c.value)
                let old = state.settings[sysctl.file] ?? ""
                steps.append(Step(operation: .sysctl(file: sysctl.file, new: new, old: old), change: i))
            }
        }
        if let i = limitChange {
            steps.append(Step(operation: .limits(new: limits, old: state.limits), change: i))
        }
        if let i = notificationChange {
            steps.append(Step(operation: .notifications(new: notifications, old: state.notifications), change: i))
        }
    }

    private mutating func planEndpoints(_ changes: [SetChange], _ state: SetState, _ pending: [UInt8: EndpointRow],
                                        _ interfaceExists: (UInt32) -> Bool) throws(Refusal) {
        typealias E = MPTCPMIB.EndpointTable
        var ids: [UInt8] = []
        var byID: [UInt8: [(index: Int, change: SetChange)]] = [:]
        for (i, c) in changes.enumerated() {
            guard let id = c.endpointID else { continue }
            if byID[id] == nil { ids.append(id) }
            byID[id, default: []].append((i, c))
        }
        // Deletions first: an address freed by a destroy may be reused in the same request.
        var remaining = state.endpoints
        for id in ids {
            let group = byID[id]!
            if let status = group.first(where: { $0.change.object == E.rowStatus }),
               status.change.value == .integer(RowStatus.destroy.rawValue), let e = state.endpoints.first(where: { $0.id == id }) {
                steps.append(Step(operation: .deleteEndpoint(e), change: status.index))
                remaining.removeAll { $0.id == id }
            }
        }
        for id in ids {
            let group = byID[id]!
            let statusChange = group.first { $0.change.object == E.rowStatus }
            let columns = group.filter { $0.change.object != E.rowStatus }
            let blame = statusChange?.index ?? columns[0].index
            func refuse(_ r: SetRefusal, at index: Int? = nil) -> Refusal { Refusal(change: index ?? blame, refusal: r) }
            let action: RowStatus? = statusChange.flatMap {
                if case .integer(let v) = $0.change.value { return RowStatus(rawValue: v) } else { return nil }
            }
            // The row as it stands: active in the kernel, held by the agent, or absent.
            let active = state.endpoints.first { $0.id == id }
            let held = pending[id]
            let current: RowStatus? = active != nil ? .active : held?.status
            if action == .destroy {
                // Active rows were planned above; destroying a row that does not exist is noError (RFC 2579).
                if let held { steps.append(Step(operation: .pendingRow(id: id, new: nil, old: held), change: blame)) }
                continue
            }
            var row = active.map(EndpointRow.init) ?? held ?? EndpointRow(id: id, status: .notReady)
            for (i, c) in columns { try Self.apply(c, to: &row, blame: i) }

            let next: RowStatus?
            switch RowStatus.transition(from: current, set: action, complete: row.isComplete, canDeactivate: false) {
            case .success(let status):
                next = status
            case .failure(let status):
                throw refuse(SetRefusal(status: status, reason: Self.reason(id: id, from: current, set: action)))
            }

            if let active {
                try planInPlace(active, columns)
                continue
            }
            for (i, c) in columns where c.object == E.flags && row.endpoint.flags.contains(.implicit) {
                throw refuse(.wrongValue("\(c.object.name): implicit(4) is set by the kernel only"), at: i)
            }
            row.status = next ?? .notReady
            if next == .active {
                try addEndpoint(row, to: &remaining, interfaceExists, blame: blame)
                if let held { steps.append(Step(operation: .pendingRow(id: id, new: nil, old: held), change: blame)) }
            } else {
                steps.append(Step(operation: .pendingRow(id: id, new: row, old: held), change: blame))
            }
        }
    }

    /// Why RowStatus refuses a transition, in words for the log.
    static func reason(id: UInt8, from current: RowStatus?, set action: RowStatus?) -> String {
        switch (current, action) {
        case (nil, nil): return "endpoint row \(id) does not exist: create it with createAndGo or createAndWait"
        case (nil, .createAndGo?), (.notReady?, .active?), (.notInService?, .active?):
            return "endpoint \(id) needs mptcpEndpointAddress (and its type)"
        case (nil, _): return "endpoint row \(id) does not exist"
        case (.active?, .notInService?): return "endpoint \(id) is active and the kernel cannot take it out of service"
        case (.active?, _): return "endpoint \(id) already exists"
        case (.notReady?, .notInService?): return "endpoint row \(id) has no address yet"
        case (let s?, _): return "endpoint row \(id) already exists (\(s))"
        }
    }

    /// Changes to columns of an endpoint the kernel holds: only its flags can change, and
    /// only backup and fullmesh (the kernel's SET_FLAGS).
    private mutating func planInPlace(_ active: Endpoint, _ columns: [(index: Int, change: SetChange)]) throws(Refusal) {
        typealias E = MPTCPMIB.EndpointTable
        var row = EndpointRow(active)
        for (i, c) in columns {
            let before = row
            try Self.apply(c, to: &row, blame: i)
            if c.object != E.flags && row != before {
                throw Refusal(change: i, refusal: .inconsistentValue("\(c.object.name) of an active endpoint cannot change; destroy and create it"))
            }
        }
        guard row.endpoint.flags != active.flags, let i = columns.first(where: { $0.change.object == E.flags })?.index else { return }
        guard (row.endpoint.flags.rawValue ^ active.flags.rawValue) & ~Self.changeableFlags.rawValue == 0 else {
            throw Refusal(change: i, refusal: .inconsistentValue("only backup and fullmesh can change on an active endpoint"))
        }
        if row.endpoint.flags.contains(.fullmesh) && !active.flags.isDisjoint(with: [.signal, .implicit]) {
            throw Refusal(change: i, refusal: .inconsistentValue("fullmesh is not allowed on a signal or implicit endpoint"))
        }
        steps.append(Step(operation: .setFlags(id: active.id, new: row.endpoint.flags, old: active.flags), change: i))
    }

    /// Plans adding `row` to the kernel's `existing` endpoints, checked as the kernel would
    /// check it (so that only its own, unforeseeable refusals are left for ACTION).
    private mutating func addEndpoint(_ row: EndpointRow, to existing: inout [Endpoint], _ interfaceExists: (UInt32) -> Bool,
                                      blame: Int) throws(Refusal) {
        func refuse(_ r: SetRefusal) -> Refusal { Refusal(change: blame, refusal: r) }
        guard let address = row.address else {
            throw refuse(.inconsistentValue("endpoint \(row.id) needs mptcpEndpointAddress (and its type)"))
        }
        if let type = row.addressType, type != address.family {
            throw refuse(.inconsistentValue("endpoint \(row.id): a \(type) address has \(type.byteCount) octets, not \(address.family.byteCount)"))
        }
        let endpoint = row.endpoint
        if endpoint.flags.isSuperset(of: [.signal, .fullmesh]) {
            throw refuse(.inconsistentValue("endpoint \(row.id): flags mustn't have both signal and fullmesh"))
        }
        if endpoint.port != 0 && !(endpoint.flags.contains(.signal) && !endpoint.flags.contains(.subflow)) {
            throw refuse(.inconsistentValue("endpoint \(row.id): a port needs the signal flag without subflow"))
        }
        if endpoint.ifIndex != 0 && !interfaceExists(endpoint.ifIndex) {
            throw refuse(.inconsistentValue("endpoint \(row.id): no interface with index \(endpoint.ifIndex)"))
        }
        if let twin = existing.first(where: { $0.address == address && $0.port == endpoint.port }) {
            let implicit = twin.flags.contains(.implicit) ? " (implicit: the kernel made it for a subflow; destroy it first)" : ""
            throw refuse(.inconsistentValue("endpoint \(row.id): \(address) is already endpoint \(twin.id)\(implicit)"))
        }
        guard existing.count < Self.maxEndpoints else {
            throw refuse(.resourceUnavailable("the kernel holds at most \(Self.maxEndpoints) endpoints"))
        }
        existing.append(endpoint)
        steps.append(Step(operation: .addEndpoint(endpoint), change: blame))
    }

    /// Writes one column value into a row.
    private static func apply(_ c: SetChange, to row: inout EndpointRow, blame: Int) throws(Refusal) {
        typealias E = MPTCPMIB.EndpointTable
        switch (c.object, c.value) {
        case (E.addressType, .integer(let v)):
            row.addressType = IPAddress.Family(rawValue: UInt8(v))
        case (E.address, .octets(let b)):
            row.address = IPAddress(bytes: b)
        case (E.port, .unsigned(let v)):
            row.endpoint.port = UInt16(v)
        case (E.ifIndex, .integer(let v)):
            row.endpoint.ifIndex = UInt32(v)
        case (E.flags, .octets(let b)):
            row.endpoint.flags = EndpointFlags(rawValue: SNMPValue.bitNumbers(b).reduce(0) { $0 | 1 << UInt32($1) })
        default:
            throw Refusal(change: blame, refusal: .wrongType("\(c.object.name): unexpected value"))
        }
    }
}
