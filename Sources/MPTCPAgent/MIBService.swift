import CNetSNMP
import Logging
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform
import SMI

#if canImport(Glibc)
import Glibc
#endif

/// MPTCP-MIB served from one network namespace through net-snmp's agent API, whatever
/// the role of the process: an AgentX subagent (`Subagent`) or snmpd itself with the
/// module loaded. It owns what is the same in both: the agent's state, the view cache
/// and its refresher, the SET engine, the path-manager events and the notifications
/// they become, and the registration of the handler. The front ends own the process
/// around it. Agent thread only, apart from the cache's refresher.
public final class MIBService {
    /// The SNMP context the MIB is registered in (nil: the default context).
    public let context: String?
    let state: AgentState
    let cache: ViewCache
    let notifier: Notifier
    let sets: SetEngine
    private let events: EventMonitor?
    /// Fallbacks and blackhole detections between snapshots, while notified (nil: synthetic).
    private let fallbackWatch: FallbackWatch?
    /// Which interface holds a local address, for notifications about subflows.
    private let interfaces: InterfaceLookup?
    private let handler: RequestHandler
    private let logger: Logger
    private var registration: UnsafeMutablePointer<netsnmp_handler_registration>?
    private var eventsRegistered = false
    private var doorbellRegistered = false
    private var readyRegistered = false

    static let sysORDescription = "MPTCP-MIB: Multipath TCP (RFC 8684) connections, subflows, paths and the path manager"

    /// Reads the kernel (or, with `synthetic`, memory) as `configuration` says. `attached`:
    /// whether the SNMP engine delivers notifications from the start (snmpd itself) or
    /// only once the front end says so (a subagent, when its master accepts it).
    /// `withoutEvents`: why not to listen to path-manager events (nil: listen).
    /// `namespace`: serve that network namespace (nil: the process's own), as `context`.
    public init(configuration: AgentConfiguration, context: String? = nil, namespace: NetworkNamespace? = nil, attached: Bool,
                policy: ViewCache.RefreshPolicy = .onDemand, withoutEvents: String? = nil, logger: Logger) throws {
        self.context = context
        self.logger = logger
        let controls = NotificationState(enabled: configuration.notifications, rateLimit: configuration.notificationRate,
                                         since: MonotonicClock.now)
        if let n = configuration.synthetic {
            let snapshot = Snapshot.synthetic(connections: n)
            events = nil
            interfaces = nil
            state = AgentState(followingEvents: false, notifications: controls, eventLogSize: configuration.eventLogSize)
            cache = try ViewCache(ttl: configuration.cacheTTL, policy: policy, makeReader: { SyntheticSource(snapshot: snapshot) },
                                  state: state, logger: logger)
            fallbackWatch = nil
            logger.notice("synthetic mode: serving \(n) in-memory connections with 3 subflows each, no kernel access")
        } else {
            do { try namespace.perform { try ProcFS.requireEnabled() } } catch { logger.warning("\(error)") }
            let unavailable = "peer announcements (mptcpRemoteAddressTable), subflow event counts (mptcpPathTable) and notifications are not available"
            if let withoutEvents {
                events = nil
                logger.notice("no path-manager events: \(unavailable): \(withoutEvents)")
            } else {
                do {
                    events = try namespace.perform { try EventMonitor() }
                } catch {
                    events = nil
                    logger.warning("no path-manager events: \(unavailable): \(error)")
                }
            }
            interfaces = events == nil ? nil : try namespace.perform { try InterfaceLookup() }
            state = AgentState(followingEvents: events != nil, notifications: controls, eventLogSize: configuration.eventLogSize)
            cache = try ViewCache(ttl: configuration.cacheTTL, policy: policy, makeReader: { try SnapshotReader() },
                                  state: state, namespace: namespace, logger: logger)
            fallbackWatch = FallbackWatch(state: state, namespace: namespace, logger: logger)
        }
        let (state, cache, watch) = (state, cache, fallbackWatch)
        notifier = Notifier(controls, context: context, attached: attached, logger: logger,
                            publish: { notifications, controlsChanged in
                                state.publish(notifications: notifications)
                                // A change of the controls (a SET) shows at once, counts from the next view.
                                if controlsChanged {
                                    cache.invalidate()
                                    watch?.run(Self.watchesFallbacks(notifications.enabled))
                                }
                            })
        sets = SetEngine(state: state, cache: cache, notifier: notifier, namespace: namespace, logger: logger,
                         writesAllowed: configuration.synthetic == nil)
        handler = RequestHandler(state: state, cache: cache, sets: sets, logger: logger)
    }

    deinit { stop() }

    /// Whether fallbacks and blackhole detections are watched for between snapshots: only
    /// while one of their notifications is enabled.
    static func watchesFallbacks(_ enabled: Set<MPTCPMIB.Notifications.Kind>) -> Bool {
        !enabled.isDisjoint(with: [.connectionFallback, .blackholeDetected])
    }

    /// Unregisters and stops every thread; what is left is freed with this object.
    public func stop() {
        unregister()
        fallbackWatch?.run(false)
        cache.stop()
    }

    /// Whether the SNMP engine delivers notifications now (a subagent: while attached).
    public var attached: Bool {
        get { notifier.attached }
        set { notifier.attached = newValue }
    }

    /// Registers the MIB's handler (in `context`), an sysORTable entry, and the event
    /// socket with net-snmp's main loop. A subagent takes its first view before: the
    /// first request must not wait for a dump (seconds at 10^5 connections).
    public func register() throws {
        cache.prime()
        let root = MPTCPMIB.root.map { CNetSNMP.oid($0) }
        let reg = root.withUnsafeBufferPointer {
            netsnmp_create_handler_registration("mptcpMIB", mptcpNodeHandler, $0.baseAddress, $0.count, HANDLER_CAN_RWRITE)
        }
        guard let reg else { throw ConfigurationError(message: "cannot create the MPTCP-MIB handler registration") }
        reg.pointee.handler.pointee.myvoid = Unmanaged.passUnretained(handler).toOpaque()
        if let context { reg.pointee.contextName = strdup(context) }
        guard netsnmp_register_handler(reg) == MIB_REGISTERED_OK else {
            throw ConfigurationError(message: "cannot register MPTCP-MIB (\(MPTCPMIB.root.dotted)) in \(context.map { "context \($0)" } ?? "the default context")")
        }
        registration = reg
        if context == nil {
            var id = root  // net-snmp copies it
            _ = id.withUnsafeMutableBufferPointer { register_sysORTable($0.baseAddress, $0.count, Self.sysORDescription) }
        }
        if let events {
            let fd = events.fileDescriptor
            eventsRegistered = DescriptorWatch.shared.add(fd) { [unowned self] in drainEvents() }
            if !eventsRegistered { logger.error("cannot watch the path-manager event socket: \(String(cString: strerror(errno)))") }
        }
        if let doorbell = state.doorbell {
            doorbellRegistered = DescriptorWatch.shared.add(doorbell.fileDescriptor) { [unowned self] in notifyDetections() }
            if !doorbellRegistered { logger.error("cannot watch for fallbacks: \(String(cString: strerror(errno)))") }
        }
        if let ready = cache.ready {
            readyRegistered = DescriptorWatch.shared.add(ready.fileDescriptor) { [unowned self] in
                ready.clear()
                handler.completeDelegated()
            }
            if !readyRegistered {
                throw ConfigurationError(message: "cannot watch for snapshots: \(String(cString: strerror(errno)))")
            }
        }
        fallbackWatch?.baseline()
        fallbackWatch?.run(Self.watchesFallbacks(notifier.state.enabled))
    }

    /// Undoes `register()`; reads still waiting for a snapshot fail with genErr.
    public func unregister() {
        handler.delegated?.failAll()
        if readyRegistered, let ready = cache.ready {
            DescriptorWatch.shared.remove(ready.fileDescriptor)
            readyRegistered = false
        }
        if eventsRegistered, let events {
            DescriptorWatch.shared.remove(events.fileDescriptor)
            eventsRegistered = false
        }
        if doorbellRegistered, let doorbell = state.doorbell {
            DescriptorWatch.shared.remove(doorbell.fileDescriptor)
            doorbellRegistered = false
        }
        guard let reg = registration else { return }
        registration = nil
        if context == nil {
            var id = MPTCPMIB.root.map { CNetSNMP.oid($0) }
            _ = id.withUnsafeMutableBufferPointer { unregister_sysORTable($0.baseAddress, $0.count) }
        }
        netsnmp_unregister_handler(reg)
    }

    /// The other namespaces served as contexts, for mptcpContextTable (default context).
    /// Unchanged rows (a rescan that found what was already served) keep the view.
    public func publish(contexts rows: [ServedContext]) {
        if state.publish(contexts: rows) { cache.invalidate() }
    }

    /// Applies what a reloaded configuration may change at run time.
    public func apply(_ configuration: AgentConfiguration) {
        cache.setTTL(configuration.cacheTTL)
        notifier.configure(enabled: configuration.notifications, rateLimit: configuration.notificationRate)
        state.resizeEventLog(configuration.eventLogSize)
        cache.invalidate()
    }

    /// Events handled per wake-up: a storm is worked off between requests, not ahead of them.
    /// Each may send a notification (tens of microseconds): 16 keep a request's wait behind
    /// a batch under a millisecond.
    static let eventBatch: UInt32 = 16

    /// Reads pending events: each becomes a notification (built from what the agent knew
    /// before it), then updates what the agent knows.
    private func drainEvents() {
        guard let events else { return }
        LogSink.shared.flush()
        // Notifications carry TimeStamps: anchor them as requests do.
        state.anchorUptime(ticks: UInt32(truncatingIfNeeded: netsnmp_get_agent_uptime()))
        do {
            let (batch, lost) = try events.drain(maxDatagrams: Self.eventBatch)
            let now = MonotonicClock.now
            if lost {
                logger.warning("the kernel dropped MPTCP path-manager events: notifications, peer announcements and subflow event counts miss some")
                state.apply([], lost: true, at: now)
            }
            let builder = NotificationBuilder(knowledge: knowledge())
            let endpoints = endpointsIfNeeded(batch, events)
            for event in batch {
                if let kind = NotificationBuilder.kind(of: event) {
                    notifier.send(kind) { builder.notification(for: event) }
                }
                state.apply([event], lost: false, at: now, localEndpoints: endpoints)
            }
        } catch {
            logger.error("\(error)")
        }
    }

    /// The local endpoint ids, read once for a batch with a subflow that closed without an
    /// error or reset from a local address id other than 0: whether its endpoint was
    /// deleted tells why it closed. nil when none needs it, or the dump failed.
    private func endpointsIfNeeded(_ batch: [PathManagerEvent], _ monitor: EventMonitor) -> Set<UInt8>? {
        guard batch.contains(where: { $0.kind == .subflowClosed && !$0.isFailure && ($0.localID ?? 0) != 0 }) else { return nil }
        do {
            return try monitor.endpointIDs()
        } catch {
            logger.debug("path-manager endpoints for a subflow's close reason: \(error)")
            return nil
        }
    }

    /// Sends the notifications of the fallbacks and blackhole detections found since the
    /// last ring (agent thread).
    private func notifyDetections() {
        state.doorbell?.clear()
        state.anchorUptime(ticks: UInt32(truncatingIfNeeded: netsnmp_get_agent_uptime()))
        let builder = NotificationBuilder(knowledge: knowledge())
        for detection in state.takeDetections() {
            switch detection {
            case .fallback(let c, let causes): notifier.send(.connectionFallback) { builder.fallback(c, causes: causes) }
            case .blackhole(let counters, let timeout):
                notifier.send(.blackholeDetected) { NotificationBuilder.blackhole(counters: counters, timeout: timeout) }
            }
        }
    }

    /// What a notification may need beyond its event: the events before it, else the last view.
    private func knowledge() -> NotificationBuilder.Knowledge {
        let view = cache.peek()
        let state = state
        return NotificationBuilder.Knowledge(
            connection: { token in
                let recalled = state.recall(token: token)
                let endpoints = recalled.endpoints ?? view?.connection(token: token).map { ($0.local, $0.remote) }
                guard let (local, remote) = endpoints else { return nil }
                return (local, remote, recalled.firstSeen.map(state.timeStamp(at:)) ?? 0)
            },
            peerAddress: { token, id in
                state.announced(token: token, id: id) ?? view?.remoteAddress(token: token, id: id).map {
                    SocketAddress(address: $0.address, port: $0.port)
                }
            },
            interface: { [interfaces] in interfaces?.interface(holding: $0) })
    }
}
