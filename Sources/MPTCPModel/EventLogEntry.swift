/// One entry of the agent's event log: a path-manager event as the kernel sent it, or a
/// transition the agent detected. Fields the event does not carry are nil.
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

    /// The sequence number, 1 for the first entry of a log.
    public var index: UInt32 = 0
    /// When the agent received or detected it (monotonic seconds).
    public var time: Double
    public var kind: Kind
    public var token: UInt32?
    public var local: SocketAddress?
    public var remote: SocketAddress?
    public var localID: UInt8?
    public var remoteID: UInt8?
    public var backup: Bool?
    public var error: UInt8?
    public var resetReason: UInt32?
    public var fallbackCauses: FallbackCauses?

    public init(time: Double, kind: Kind, token: UInt32? = nil, local: SocketAddress? = nil, remote: SocketAddress? = nil) {
        self.time = time
        self.kind = kind
        self.token = token
        self.local = local
        self.remote = remote
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

    /// The counters named by these causes.
    public var counterNames: [String] {
        Self.counters.enumerated().filter { rawValue & (1 << UInt32($0.offset)) != 0 }.map(\.element)
    }
}
