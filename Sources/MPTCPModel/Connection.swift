/// TCP states as Linux numbers them (`include/net/tcp_states.h`).
public enum TCPState: UInt8, Sendable, CaseIterable {
    case established = 1, synSent, synReceived, finWait1, finWait2, timeWait, close, closeWait,
        lastAck, listen, closing, newSynReceived

    /// Bit of this state in a sock_diag `idiag_states` mask.
    public var mask: UInt32 { 1 << UInt32(rawValue) }

    /// States of sockets that carry a connection (what `ss` shows without `-a`).
    public static let connected: UInt32 = ~(TCPState.listen.mask | TCPState.close.mask
        | TCPState.timeWait.mask | TCPState.newSynReceived.mask) & 0xfff
}

public struct ConnectionFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let fallback = ConnectionFlags(rawValue: 1 << 0)
    public static let remoteKeyReceived = ConnectionFlags(rawValue: 1 << 1)
}

/// One MPTCP connection (an MPTCP socket that is not listening), from `struct mptcp_info`.
/// Optional fields are those older kernels do not send: nil means unknown, not zero.
public struct Connection: Sendable, Hashable {
    public var token: UInt32
    /// Addresses of the initial subflow.
    public var local: SocketAddress
    public var remote: SocketAddress
    public var state: TCPState
    public var ifIndex: UInt32
    public var uid: UInt32
    public var flags: ConnectionFlags
    public var extraSubflows: UInt8
    public var addAddrSignal: UInt8
    public var addAddrAccepted: UInt8
    public var limitSubflows: UInt8
    public var signalEndpoints: UInt8
    public var limitAddAddrAccepted: UInt8
    public var writeSeq: UInt64
    public var sndUna: UInt64
    public var rcvNxt: UInt64
    public var localAddrUsed: UInt8?
    public var subflowEndpoints: UInt8?
    public var checksumEnabled: Bool?
    public var retransmits: UInt32?
    public var bytesRetransmitted: UInt64?
    public var bytesSent: UInt64?
    public var bytesReceived: UInt64?
    public var bytesAcked: UInt64?
    public var subflowsTotal: UInt8?
    public var laminarEndpoints: UInt8?
    /// The namespace's fullmesh endpoints (Linux 6.19 and later; nil before).
    public var fullmeshEndpoints: UInt8?
    public var lastDataSent: UInt32?
    public var lastDataReceived: UInt32?
    public var lastAckReceived: UInt32?

    public init(token: UInt32, local: SocketAddress, remote: SocketAddress, state: TCPState) {
        self.token = token
        self.local = local
        self.remote = remote
        self.state = state
        ifIndex = 0; uid = 0; flags = []
        extraSubflows = 0; addAddrSignal = 0; addAddrAccepted = 0
        limitSubflows = 0; signalEndpoints = 0; limitAddAddrAccepted = 0
        writeSeq = 0; sndUna = 0; rcvNxt = 0
    }
}

/// An MPTCP listening socket. Several sockets on one address and port (SO_REUSEPORT)
/// are one listener with `sockets` > 1.
public struct Listener: Sendable, Hashable {
    public var local: SocketAddress
    /// A `::` listener that also accepts IPv4 (IPV6_V6ONLY off): TCP-MIB's wildcard of
    /// address type unknown(0) and an empty address.
    public var dualStack: Bool
    public var acceptQueue: UInt32
    public var backlog: UInt32
    public var sockets: UInt32

    public init(local: SocketAddress, dualStack: Bool = false, acceptQueue: UInt32, backlog: UInt32, sockets: UInt32 = 1) {
        self.local = local
        self.dualStack = dualStack
        self.acceptQueue = acceptQueue
        self.backlog = backlog
        self.sockets = sockets
    }
}
