import MPTCPModel

/// Sees connections fall back to TCP, and blackhole detection switch MPTCP off, from
/// successive readings of the MPTcpExt counters and of the connections. The kernel sends
/// no event for either: a fallback is a connection whose fallback flag is set that the
/// last reading did not have in fallback, attributed to the fallback counters that rose
/// around it. Part of `AgentState`, which locks it; pure, so tests drive it by hand.
struct FallbackTracker {
    /// A connection seen falling back.
    struct Fallback: Equatable {
        let connection: Connection
        let causes: FallbackCauses
    }

    /// The last reading of the counters; nil before the first.
    private var counters: Counters?
    /// The causes that rose in the last interval, and in the one before it: a connection
    /// dump taken just before the counters are read sees a fallback one reading late.
    private var rose: (last: FallbackCauses, before: FallbackCauses) = ([], [])
    /// Connections in fallback, with their causes; nil causes: in fallback already when
    /// the agent first saw it, so not seen falling back.
    private(set) var fallen: [UInt32: FallbackCauses?] = [:]
    /// Whether connections have been read since the counters were first read: until
    /// then, a connection in fallback may have fallen back before the agent started.
    private(set) var hasConnections = false

    /// The counter of blackhole detections.
    static let blackholeCounter = "Blackhole"

    /// A reading of the counters; returns whether a fallback counter rose (then the
    /// connections should be read to see which fell back) and whether blackhole
    /// detection fired since the last reading.
    mutating func observe(counters now: Counters) -> (fallbackCountersRose: Bool, blackhole: Bool) {
        defer { counters = now }
        guard let before = counters else { return (false, false) }
        let causes = FallbackCauses(from: before, to: now)
        rose = (causes, rose.last)
        let blackhole = (now[Self.blackholeCounter] ?? 0) > (before[Self.blackholeCounter] ?? 0)
        return (!causes.isEmpty, blackhole)
    }

    /// A reading of the connections (after `observe(counters:)`); returns those seen
    /// falling back since the last reading. Connections that are gone are forgotten.
    mutating func observe(connections: [Connection]) -> [Fallback] {
        var found: [Fallback] = []
        var next: [UInt32: FallbackCauses?] = [:]
        let attributable = counters != nil && hasConnections
        let causes = rose.last.isEmpty ? rose.before : rose.last
        for c in connections where c.flags.contains(.fallback) && c.token != 0 {
            if let known = fallen[c.token] {
                next[c.token] = known
            } else if attributable {
                next[c.token] = causes
                found.append(Fallback(connection: c, causes: causes))
            } else {
                next[c.token] = .some(nil)
            }
        }
        fallen = next
        if counters != nil { hasConnections = true }
        return found
    }

    /// The causes of a connection's fallback, when it was seen falling back.
    func causes(token: UInt32) -> FallbackCauses? {
        fallen[token] ?? nil
    }
}
