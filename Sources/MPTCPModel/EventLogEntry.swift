/// One entry of the agent's event log: a path-manager event as the kernel sent it, or a
/// transition the agent detected.
public struct EventLogEntry: Sendable, Hashable {
    /// The kernel's event types (enum mptcp_event_type), then what the agent detects.
    public enum Kind: Int32, Sendable, CaseIterable {
        case connectionCreated = 1, connectionEstablished = 2, connectionClosed = 3
        case addressAnnounced = 6, addressRemoved = 7
        case subflowEstablished = 10, subflowClosed = 11, subflowPriority = 13
        case listenerCreated = 15, listenerClosed = 16
        case connectionFallback = 100, blackholeDetected = 101
        /// The kernel dropped events before the agent read them: the log has a gap here.
        case eventsLost = 102
    }

    /// What happened.
    public enum Detail: Sendable, Hashable {
        case event(PathManagerEvent)
        /// A connection seen falling back to TCP (its token and addresses: an entry keeps
        /// what the log shows, not the whole connection), and what it is attributed to.
        case fallback(token: UInt32, local: SocketAddress, remote: SocketAddress, FallbackCauses)
        case blackhole
        case eventsLost
    }

    /// The sequence number, 1 for the first entry of a log.
    public var index: UInt32 = 0
    /// When the agent received or detected it (monotonic seconds).
    public var time: Double
    public var detail: Detail

    public init(time: Double, _ detail: Detail) {
        self.time = time
        self.detail = detail
    }

    public var kind: Kind {
        switch detail {
        case .event(let e): return Kind(rawValue: Int32(e.kind.rawValue))!
        case .fallback: return .connectionFallback
        case .blackhole: return .blackholeDetected
        case .eventsLost: return .eventsLost
        }
    }

    /// The path-manager event, for entries that are one.
    public var event: PathManagerEvent? {
        if case .event(let e) = detail { return e }
        return nil
    }

    /// Whom it is about: the connection's token and addresses (for an announcement, the
    /// peer's address; for a listener, its own).
    public var subject: (token: UInt32?, local: SocketAddress?, remote: SocketAddress?) {
        switch detail {
        case .event(let e): return (e.token, e.local, e.remote)
        case .fallback(let token, let local, let remote, _): return (token, local, remote)
        case .blackhole, .eventsLost: return (nil, nil, nil)
        }
    }

    public var fallbackCauses: FallbackCauses? {
        if case .fallback(_, _, _, let causes) = detail { return causes }
        return nil
    }
}

/// What a fallback to TCP is attributed to: the MPTcpExt counters that rose around it,
/// one bit per counter, in the bit order of MPTCP-MIB's MptcpFallbackCauses.
public struct FallbackCauses: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The counter of each bit, bit 0 first.
    public static let counters = [
        "MPCapableFallbackSYNACK", "MPCapableFallbackACK", "MPCapableDataFallback", "MPCapableSYNTXDrop",
        "MPCapableSYNTXDisabled", "MPFallbackTokenInit", "MD5SigFallback", "SimultConnectFallback", "DssFallback",
        "DSSCorruptionFallback", "InfiniteMapTx", "InfiniteMapRx", "MPFailTx", "MPFailRx",
    ]

    /// The causes whose counters went up from `before` to `after` (a counter absent from
    /// either reading did not go up).
    public init(from before: Counters, to after: Counters) {
        var bits: UInt32 = 0
        for (bit, name) in Self.counters.enumerated() {
            if let old = before[name], let new = after[name], new > old { bits |= 1 << UInt32(bit) }
        }
        self.init(rawValue: bits)
    }
}
