import MPTCPKernel
import MPTCPModel

/// What the agent learns from the path manager's events and keeps between snapshots:
/// peer announcements, subflow events per local address, and when each connection was
/// first seen. Part of `AgentState`, which locks it.
struct EventHistory {
    private var announcements = AnnouncementTracker()
    /// nil while the agent does not follow the events (no CAP_NET_ADMIN, synthetic mode).
    private var paths: PathEventCounter?
    private var firstSeen: [UInt32: Double] = [:]
    /// The initial subflow's addresses of each connection, from CREATED/ESTABLISHED.
    private var endpoints: [UInt32: (local: SocketAddress, remote: SocketAddress)] = [:]
    /// The peer address ids each connection's peer withdrew (REMOVED).
    private var removed: [UInt32: Set<UInt8>] = [:]
    /// Additional subflows that closed while their peer address was not withdrawn, by
    /// connection: the local address ids the kernel will not use again for it.
    private(set) var joinFailures: [UInt32: Set<UInt8>] = [:]
    /// Connections whose peer forbids joins to its first address.
    private(set) var deniesInitialAddress: Set<UInt32> = []

    /// `following`: whether events will be applied; counting starts at `start`.
    init(following: Bool, start: Double) {
        paths = following ? PathEventCounter(start: start) : nil
    }

    /// Applies a batch of events received at `now`; `lost`: the kernel dropped some before
    /// them; `localEndpoints`: the path manager's endpoint ids after them, when read.
    mutating func apply(_ events: [PathManagerEvent], lost: Bool, at now: Double, localEndpoints: Set<UInt8>? = nil) {
        if lost { paths?.markLoss(at: now) }
        for e in events {
            announcements.apply(e)
            let withdrawn = withdrawn(e, localEndpoints: localEndpoints)
            paths?.apply(e, withdrawn: withdrawn, at: now)
            guard let token = e.token else { continue }
            switch e.kind {
            case .created, .established:
                if firstSeen[token] == nil { firstSeen[token] = now }
                if let local = e.local, let remote = e.remote { endpoints[token] = (local, remote) }
                if e.denyJoinInitialAddress { deniesInitialAddress.insert(token) }
            case .closed:
                firstSeen[token] = nil
                endpoints[token] = nil
                removed[token] = nil
                joinFailures[token] = nil
                deniesInitialAddress.remove(token)
            case .removed:
                if let id = e.remoteID { removed[token, default: []].insert(id) }
            case .subflowClosed:
                // The initial subflow (ids 0 and 0) is not a join; a withdrawn address is not a failure.
                let local = e.localID ?? 0, remote = e.remoteID ?? 0
                if (local != 0 || remote != 0) && !(removed[token]?.contains(remote) ?? false) {
                    joinFailures[token, default: []].insert(local)
                }
            default: break
            }
        }
    }

    /// Whether a path manager removed a closing subflow's address: the peer's REMOVE_ADDR
    /// named its remote address id, or its local address id (not 0, the connection's own
    /// address) is no endpoint any more.
    private func withdrawn(_ e: PathManagerEvent, localEndpoints: Set<UInt8>?) -> Bool {
        guard e.kind == .subflowClosed, let token = e.token else { return false }
        if let id = e.remoteID, removed[token]?.contains(id) ?? false { return true }
        guard let id = e.localID, id != 0, let localEndpoints else { return false }
        return !localEndpoints.contains(id)
    }

    /// Before a snapshot: what the events told, and the connections they know of.
    func knowledge() -> (known: EventKnowledge, tokens: Set<UInt32>) {
        (EventKnowledge(announcements: announcements.announcements, pathEvents: paths?.byAddress ?? [:]),
         announcements.tokens.union(paths?.tokens ?? []).union(firstSeen.keys))
    }

    /// After a snapshot taken at `now` found `alive`: forgets connections known `before` it
    /// that are gone (their CLOSED event was lost or never came), records connections seen
    /// for the first time, and returns when each live one was first seen.
    mutating func observed(alive: Set<UInt32>, before: Set<UInt32>, at now: Double) -> [UInt32: Double] {
        announcements.retain(alive: alive, before: before)
        paths?.retain(alive: alive, before: before, at: now)
        firstSeen = firstSeen.filter { alive.contains($0.key) || !before.contains($0.key) }
        endpoints = endpoints.filter { alive.contains($0.key) || !before.contains($0.key) }
        func kept(_ token: UInt32) -> Bool { alive.contains(token) || !before.contains(token) }
        removed = removed.filter { kept($0.key) }
        joinFailures = joinFailures.filter { kept($0.key) }
        deniesInitialAddress = deniesInitialAddress.filter(kept)
        for token in alive where firstSeen[token] == nil { firstSeen[token] = now }
        return firstSeen.filter { alive.contains($0.key) }
    }

    /// What the events told about a connection, for a notification about it.
    func recall(token: UInt32) -> (endpoints: (local: SocketAddress, remote: SocketAddress)?, firstSeen: Double?) {
        (endpoints[token], firstSeen[token])
    }

    /// The address peer `token` announced with `id`, if the events told it.
    func announced(token: UInt32, id: UInt8) -> SocketAddress? {
        announcements.address(token: token, id: id)
    }
}
