import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform
import Synchronization

/// The agent's own state, as opposed to the kernel's: the uptime anchor its TimeStamps are
/// computed from, the counters' discontinuity, the notification controls and counts, the
/// contexts it serves, the rows SETs hold, and what the path manager's events told.
/// `read` turns a kernel snapshot into what a view shows. The agent's thread writes this
/// state while a refresher may be reading a snapshot: each part has its own lock, so a
/// request never waits for a refresh's work on the event history.
public final class AgentState: Sendable {
    /// What the agent publishes into every view as it is.
    private struct Published {
        var pendingEndpoints: [EndpointRow] = []
        var spinLock: Int32 = 0
        var notifications: NotificationState
        var contexts: [ServedContext] = []
    }

    private let uptime = Mutex(Uptime(ticks: 0))
    private let events: Mutex<EventHistory>
    private let counterWatch = Mutex(CounterWatch())
    private let published: Mutex<Published>
    private let log: Mutex<EventLog>
    private let fallbacks = Mutex(FallbackTracker())
    /// Fallbacks and blackhole detections waiting for the agent thread to notify them
    /// (only while their notification is enabled; bounded).
    private let detections = Mutex<[Detection]>([])
    /// Rung when a detection is queued: the agent thread watches it.
    let doorbell: Doorbell?

    /// A transition the agent detected, to be notified from the agent thread.
    enum Detection: Equatable {
        case fallback(Connection, FallbackCauses)
        /// The counters when it was seen, and net.mptcp.blackhole_timeout then.
        case blackhole(Counters, timeout: Int32?)
    }

    /// Detections kept for the agent thread at most; more are dropped (and still logged).
    static let detectionQueueLimit = 1000

    /// `followingEvents`: whether the path manager's events will be applied (the counts of
    /// mptcpPathTable exist only then; they count from now). `notifications`: the controls
    /// as configured, shown until the notifier publishes its state.
    /// `eventLogSize`: the entries mptcpEventLogTable keeps to begin with.
    public init(followingEvents: Bool, notifications: NotificationState, eventLogSize: Int = AgentConfiguration().eventLogSize) {
        let now = MonotonicClock.now
        events = Mutex(EventHistory(following: followingEvents, start: now))
        published = Mutex(Published(notifications: notifications))
        log = Mutex(EventLog(capacity: eventLogSize, start: now))
        doorbell = try? Doorbell()
    }

    /// Records sysUpTime (hundredths) as of now, which TimeStamp values are computed from.
    /// Call from the agent thread, which knows it, on each request.
    func anchorUptime(ticks: UInt32) {
        uptime.withLock { $0 = $0.anchored(ticks: ticks) }
    }

    /// sysUpTime (hundredths) at a monotonic instant, from the last anchor.
    func timeStamp(at instant: Double) -> UInt32 { uptime.withLock { $0 }.timeStamp(at: instant) }

    /// The notification controls and counts, shown from the next view on.
    func publish(notifications state: NotificationState) {
        published.withLock { $0.notifications = state }
    }

    /// The other namespaces served as contexts (mptcpContextTable); whether they changed
    /// (a rescan that found what was already served changes nothing).
    func publish(contexts rows: [ServedContext]) -> Bool {
        published.withLock { current in
            defer { current.contexts = rows }
            return current.contexts != rows
        }
    }

    /// Rows created with createAndWait (shown until activated or destroyed) and the
    /// endpoint spin lock, as the SET engine holds them.
    func hold(pendingEndpoints rows: [EndpointRow], spinLock: Int32) {
        published.withLock {
            $0.pendingEndpoints = rows
            $0.spinLock = spinLock
        }
    }

    /// Applies a batch of path-manager events received at `now`; `lost`: the kernel dropped
    /// some before them; `localEndpoints`: the endpoint ids after them, when read. Each is logged.
    func apply(_ batch: [PathManagerEvent], lost: Bool, at now: Double, localEndpoints: Set<UInt8>? = nil) {
        events.withLock { $0.apply(batch, lost: lost, at: now, localEndpoints: localEndpoints) }
        log.withLock { log in
            if lost { log.append(EventLogEntry(time: now, .eventsLost)) }
            for e in batch { log.append(EventLogEntry(time: now, .event(e))) }
        }
    }

    /// The fallback watch's reading: the counters, and the connections (`read`) only when
    /// a fallback counter rose or no connections were read yet. Fallbacks and blackhole
    /// detections are logged and, when their notification is enabled, queued for the
    /// agent thread. `timeout`: net.mptcp.blackhole_timeout, read when blackhole detection fired.
    func detect(counters: Counters, reading read: () throws -> [Connection], timeout: () -> Int32?,
                at now: Double) rethrows {
        let (rose, blackhole) = fallbacks.withLock { $0.observe(counters: counters) }
        var found: [FallbackTracker.Fallback] = []
        if rose || fallbacks.withLock({ !$0.hasConnections }) {
            let connections = try read()
            found = fallbacks.withLock { $0.observe(connections: connections) }
        }
        record(found, blackhole: blackhole ? (counters, timeout()) : nil, at: now)
    }

    /// A snapshot's reading: its counters and connections, read anyway.
    private func detect(_ snapshot: Snapshot, at now: Double) {
        guard let counters = snapshot.counters else { return }
        let (found, blackhole) = fallbacks.withLock { tracker in
            let blackhole = tracker.observe(counters: counters).blackhole
            return (tracker.observe(connections: snapshot.connections), blackhole)
        }
        record(found, blackhole: blackhole ? (counters, snapshot.settings["blackhole_timeout"].flatMap { Int32($0) }) : nil,
               at: now)
    }

    /// Logs and queues what a reading found.
    private func record(_ found: [FallbackTracker.Fallback], blackhole: (Counters, Int32?)?, at now: Double) {
        guard blackhole != nil || !found.isEmpty else { return }
        log.withLock { log in
            if blackhole != nil { log.append(EventLogEntry(time: now, .blackhole)) }
            for f in found {
                let c = f.connection
                log.append(EventLogEntry(time: now, .fallback(token: c.token, local: c.local, remote: c.remote, f.causes)))
            }
        }
        let enabled = published.withLock { $0.notifications.enabled }
        var queued: [Detection] = []
        if let (counters, timeout) = blackhole, enabled.contains(.blackholeDetected) {
            queued.append(.blackhole(counters, timeout: timeout))
        }
        if enabled.contains(.connectionFallback) { queued += found.map { .fallback($0.connection, $0.causes) } }
        guard !queued.isEmpty else { return }
        detections.withLock { $0 = Array(($0 + queued).prefix(Self.detectionQueueLimit)) }
        doorbell?.ring()
    }

    /// The detections queued for the agent thread, oldest first; the queue is emptied.
    func takeDetections() -> [Detection] {
        detections.withLock { queue in
            defer { queue = [] }
            return queue
        }
    }

    /// Changes how many entries the event log keeps (mptcpEventLogSize).
    func resizeEventLog(_ size: Int) {
        log.withLock { $0.resize(size) }
    }

    var eventLogSize: Int { log.withLock { $0.capacity } }

    /// What the events told about a connection, for a notification about it.
    func recall(token: UInt32) -> (endpoints: (local: SocketAddress, remote: SocketAddress)?, firstSeen: Double?) {
        events.withLock { $0.recall(token: token) }
    }

    /// The address peer `token` announced with `id`, if the events told it.
    func announced(token: UInt32, id: UInt8) -> SocketAddress? {
        events.withLock { $0.announced(token: token, id: id) }
    }

    /// Reads a snapshot with `reader`, begun at `started`, and adds what the agent knows:
    /// the events' knowledge merged into it, and the facts the view shows beside it.
    func read(_ reader: any SnapshotSource, startedAt started: Double) -> (snapshot: Snapshot, facts: AgentFacts) {
        // Taken before the dump: a connection the events tell of while it runs is not one
        // the dump missed (see `EventHistory.observed`).
        let (known, knownTokens) = events.withLock { $0.knowledge() }
        var snapshot = reader.read()
        let alive = Set(snapshot.connections.map(\.token))
        snapshot.merge(known, liveTokens: alive)
        let (firstSeen, joinFailures, denies) = events.withLock {
            ($0.observed(alive: alive, before: knownTokens, at: started), $0.joinFailures, $0.deniesInitialAddress)
        }
        let discontinuity = counterWatch.withLock {
            $0.observe(snapshot.counters, at: started)
            return $0.discontinuity
        }
        detect(snapshot, at: started)
        let fallen = fallbacks.withLock { $0.fallen }
        let shown = published.withLock { $0 }
        var facts = AgentFacts()
        let uptime = uptime.withLock { $0 }
        facts.timeStamp = uptime.timeStamp(at:)
        facts.pendingEndpoints = shown.pendingEndpoints
        facts.endpointSpinLock = shown.spinLock
        facts.snapshotTime = started
        facts.statsDiscontinuity = discontinuity
        facts.firstSeen = firstSeen
        facts.notifications = shown.notifications
        facts.contexts = shown.contexts
        facts.fallbackCauses = fallen.compactMapValues { $0 }
        facts.joinFailures = joinFailures
        facts.peerDeniesInitialAddress = denies
        facts.eventLog = log.withLock { log in
            EventLogFacts(size: UInt32(log.capacity), lastIndex: log.lastIndex, dropped: log.dropped, since: log.start,
                          entries: log.entries)
        }
        return (snapshot, facts)
    }
}

/// Watches the MPTcpExt counters between snapshots for discontinuities (RFC 4181): the
/// first read (the agent cannot know what happened before it), and any counter that went
/// down (the namespace was re-created).
struct CounterWatch {
    private var last: [String: UInt64] = [:]
    private(set) var discontinuity: Double?

    mutating func observe(_ counters: Counters?, at now: Double) {
        guard let counters else { return }
        if discontinuity == nil || counters.all.contains(where: { !$0.isGauge && $0.value < last[$0.name] ?? 0 }) {
            discontinuity = now
        }
        last = Dictionary(counters.all.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
