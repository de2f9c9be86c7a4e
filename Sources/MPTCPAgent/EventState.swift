import MPTCPKernel
import MPTCPModel
import Synchronization

/// What the agent learns from the path manager's events and keeps between snapshots:
/// peer announcements, subflow events per local address, and when each connection was
/// first seen. The event drain writes it; snapshots read it (from any thread).
final class EventState: Sendable {
    private struct State {
        var announcements = AnnouncementTracker()
        /// nil while the agent does not follow the events (no CAP_NET_ADMIN, synthetic mode).
        var paths: PathEventCounter?
        var firstSeen: [UInt32: Double] = [:]
        /// The initial subflow's addresses of each connection, from CREATED/ESTABLISHED.
        var endpoints: [UInt32: (local: SocketAddress, remote: SocketAddress)] = [:]
    }

    private let state: Mutex<State>

    /// `following`: whether events will be applied; counting starts at `start`.
    init(following: Bool, start: Double) {
        state = Mutex(State(paths: following ? PathEventCounter(start: start) : nil))
    }

    /// Applies a batch of events received at `now`; `lost`: the kernel dropped some before them.
    func apply(_ events: [PathManagerEvent], lost: Bool, at now: Double) {
        state.withLock { s in
            if lost { s.paths?.markLoss(at: now) }
            for e in events {
                s.announcements.apply(e)
                s.paths?.apply(e)
                guard let token = e.token else { continue }
                switch e.kind {
                case .created, .established:
                    if s.firstSeen[token] == nil { s.firstSeen[token] = now }
                    if let local = e.local, let remote = e.remote { s.endpoints[token] = (local, remote) }
                case .closed:
                    s.firstSeen[token] = nil
                    s.endpoints[token] = nil
                default: break
                }
            }
        }
    }

    /// Before a snapshot: what the events told, and the connections they know of.
    func knowledge() -> (known: EventKnowledge, tokens: Set<UInt32>) {
        state.withLock { s in
            (EventKnowledge(announcements: s.announcements.announcements, pathEvents: s.paths?.byAddress ?? [:]),
             s.announcements.tokens.union(s.paths?.tokens ?? []).union(s.firstSeen.keys))
        }
    }

    /// After a snapshot taken at `now` found `alive`: forgets connections known `before` it
    /// that are gone (their CLOSED event was lost or never came), records connections seen
    /// for the first time, and returns when each live one was first seen.
    func observed(alive: Set<UInt32>, before: Set<UInt32>, at now: Double) -> [UInt32: Double] {
        state.withLock { s in
            s.announcements.retain(alive: alive, before: before)
            s.paths?.retain(alive: alive, before: before)
            s.firstSeen = s.firstSeen.filter { alive.contains($0.key) || !before.contains($0.key) }
            s.endpoints = s.endpoints.filter { alive.contains($0.key) || !before.contains($0.key) }
            for token in alive where s.firstSeen[token] == nil { s.firstSeen[token] = now }
            return s.firstSeen.filter { alive.contains($0.key) }
        }
    }

    /// What the events told about a connection, for a notification about it.
    func recall(token: UInt32) -> (endpoints: (local: SocketAddress, remote: SocketAddress)?, firstSeen: Double?) {
        state.withLock { ($0.endpoints[token], $0.firstSeen[token]) }
    }

    /// The address peer `token` announced with `id`, if the events told it.
    func announced(token: UInt32, id: UInt8) -> SocketAddress? {
        state.withLock { $0.announcements.address(token: token, id: id) }
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
