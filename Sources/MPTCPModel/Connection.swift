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
/// Held compactly, as `Subflow` is (see `Presence`).
public struct Connection: Sendable, Hashable {
    /// Addresses of the initial subflow.
    public var local: SocketAddress
    public var remote: SocketAddress
    public var writeSeq: UInt64
    public var sndUna: UInt64
    public var rcvNxt: UInt64
    private var _bytesRetransmitted: UInt64 = 0
    private var _bytesSent: UInt64 = 0
    private var _bytesReceived: UInt64 = 0
    private var _bytesAcked: UInt64 = 0
    public var token: UInt32
    public var ifIndex: UInt32
    public var uid: UInt32
    public var flags: ConnectionFlags
    private var _retransmits: UInt32 = 0
    private var _lastDataSent: UInt32 = 0
    private var _lastDataReceived: UInt32 = 0
    private var _lastAckReceived: UInt32 = 0
    private var present = Presence()
    public var state: TCPState
    public var extraSubflows: UInt8
    public var addAddrSignal: UInt8
    public var addAddrAccepted: UInt8
    public var limitSubflows: UInt8
    public var signalEndpoints: UInt8
    public var limitAddAddrAccepted: UInt8
    private var _localAddrUsed: UInt8 = 0
    private var _subflowEndpoints: UInt8 = 0
    private var _checksumEnabled: UInt8 = 0
    private var _subflowsTotal: UInt8 = 0
    private var _laminarEndpoints: UInt8 = 0
    private var _fullmeshEndpoints: UInt8 = 0

    private enum Field: UInt32 {
        case localAddrUsed, subflowEndpoints, checksumEnabled, retransmits, bytesRetransmitted, bytesSent,
            bytesReceived, bytesAcked, subflowsTotal, laminarEndpoints, fullmeshEndpoints, lastDataSent,
            lastDataReceived, lastAckReceived
    }

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

    public var localAddrUsed: UInt8? {
        get { present.read(_localAddrUsed, Field.localAddrUsed) }
        set { present.write(newValue, to: &_localAddrUsed, Field.localAddrUsed) }
    }
    public var subflowEndpoints: UInt8? {
        get { present.read(_subflowEndpoints, Field.subflowEndpoints) }
        set { present.write(newValue, to: &_subflowEndpoints, Field.subflowEndpoints) }
    }
    public var checksumEnabled: Bool? {
        get { present.read(_checksumEnabled != 0, Field.checksumEnabled) }
        set { present.write(newValue.map { $0 ? 1 : 0 }, to: &_checksumEnabled, Field.checksumEnabled) }
    }
    public var retransmits: UInt32? {
        get { present.read(_retransmits, Field.retransmits) }
        set { present.write(newValue, to: &_retransmits, Field.retransmits) }
    }
    public var bytesRetransmitted: UInt64? {
        get { present.read(_bytesRetransmitted, Field.bytesRetransmitted) }
        set { present.write(newValue, to: &_bytesRetransmitted, Field.bytesRetransmitted) }
    }
    public var bytesSent: UInt64? {
        get { present.read(_bytesSent, Field.bytesSent) }
        set { present.write(newValue, to: &_bytesSent, Field.bytesSent) }
    }
    public var bytesReceived: UInt64? {
        get { present.read(_bytesReceived, Field.bytesReceived) }
        set { present.write(newValue, to: &_bytesReceived, Field.bytesReceived) }
    }
    public var bytesAcked: UInt64? {
        get { present.read(_bytesAcked, Field.bytesAcked) }
        set { present.write(newValue, to: &_bytesAcked, Field.bytesAcked) }
    }
    public var subflowsTotal: UInt8? {
        get { present.read(_subflowsTotal, Field.subflowsTotal) }
        set { present.write(newValue, to: &_subflowsTotal, Field.subflowsTotal) }
    }
    public var laminarEndpoints: UInt8? {
        get { present.read(_laminarEndpoints, Field.laminarEndpoints) }
        set { present.write(newValue, to: &_laminarEndpoints, Field.laminarEndpoints) }
    }
    /// The namespace's fullmesh endpoints (Linux 6.19 and later; nil before).
    public var fullmeshEndpoints: UInt8? {
        get { present.read(_fullmeshEndpoints, Field.fullmeshEndpoints) }
        set { present.write(newValue, to: &_fullmeshEndpoints, Field.fullmeshEndpoints) }
    }
    public var lastDataSent: UInt32? {
        get { present.read(_lastDataSent, Field.lastDataSent) }
        set { present.write(newValue, to: &_lastDataSent, Field.lastDataSent) }
    }
    public var lastDataReceived: UInt32? {
        get { present.read(_lastDataReceived, Field.lastDataReceived) }
        set { present.write(newValue, to: &_lastDataReceived, Field.lastDataReceived) }
    }
    public var lastAckReceived: UInt32? {
        get { present.read(_lastAckReceived, Field.lastAckReceived) }
        set { present.write(newValue, to: &_lastAckReceived, Field.lastAckReceived) }
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
