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

    /// `followingEvents`: whether the path manager's events will be applied (the counts of
    /// mptcpPathTable exist only then; they count from now). `notifications`: the controls
    /// as configured, shown until the notifier publishes its state.
    public init(followingEvents: Bool, notifications: NotificationState) {
        events = Mutex(EventHistory(following: followingEvents, start: MonotonicClock.now))
        published = Mutex(Published(notifications: notifications))
    }

    /// Records sysUpTime (hundredths) as of now, which TimeStamp values are computed from.
    /// Call from the agent thread, which knows it, on each request.
    func anchorUptime(ticks: UInt32) {
        uptime.withLock { $0 = Uptime(ticks: ticks) }
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

    /// Applies a batch of path-manager events received at `now`; `lost`: the kernel dropped some before them.
    func apply(_ batch: [PathManagerEvent], lost: Bool, at now: Double) {
        events.withLock { $0.apply(batch, lost: lost, at: now) }
    }

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
        let firstSeen = events.withLock { $0.observed(alive: alive, before: knownTokens, at: started) }
        let discontinuity = counterWatch.withLock {
            $0.observe(snapshot.counters, at: started)
            return $0.discontinuity
        }
        let shown = published.withLock { $0 }
        var facts = AgentFacts()
        let uptime = uptime.withLock { $0 }
        facts.timeStamp = uptime.timeStamp(at:)
        facts.pendingEndpoints = shown.pendingEndpoints
        facts.endpointSpinLock = shown.spinLock
        facts.statsDiscontinuity = discontinuity
        facts.firstSeen = firstSeen
        facts.notifications = shown.notifications
        facts.contexts = shown.contexts
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
