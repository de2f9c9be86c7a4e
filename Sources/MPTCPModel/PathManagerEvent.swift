/// One `mptcp_pm_events` message, decoded (the path manager's event). Fields the event
/// does not carry are nil. MPTCPKernel reads them from the kernel.
public struct PathManagerEvent: Sendable, Hashable {
    public enum Kind: UInt8, Sendable {
        case created = 1, established = 2, closed = 3, announced = 6, removed = 7
        case subflowEstablished = 10, subflowClosed = 11, subflowPriority = 13
        case listenerCreated = 15, listenerClosed = 16
    }

    public var kind: Kind
    public var token: UInt32?
    public var local: SocketAddress?
    public var remote: SocketAddress?
    public var localID: UInt8?
    public var remoteID: UInt8?
    public var backup: Bool?
    public var ifIndex: UInt32?
    public var serverSide: Bool
    /// CREATED/ESTABLISHED: the peer forbids joins to its first address (MP_CAPABLE's
    /// "C" bit, MPTCP_PM_EV_FLAG_DENY_JOIN_ID0).
    public var denyJoinInitialAddress = false
    /// SUB_CLOSED: the subflow's socket error (errno), when the kernel reports one.
    public var error: UInt8?
    /// SUB_CLOSED after a reset: the MP_TCPRST reason (RFC 8684 section 3.6) and flags.
    public var resetReason: UInt32?
    public var resetFlags: UInt32?

    public init(kind: Kind, token: UInt32? = nil, local: SocketAddress? = nil, remote: SocketAddress? = nil,
                localID: UInt8? = nil, remoteID: UInt8? = nil, backup: Bool? = nil, ifIndex: UInt32? = nil,
                serverSide: Bool = false, error: UInt8? = nil, resetReason: UInt32? = nil, resetFlags: UInt32? = nil) {
        self.kind = kind
        self.token = token
        self.local = local
        self.remote = remote
        self.localID = localID
        self.remoteID = remoteID
        self.backup = backup
        self.ifIndex = ifIndex
        self.serverSide = serverSide
        self.error = error
        self.resetReason = resetReason
        self.resetFlags = resetFlags
    }

    /// A subflow that ended with an error or a reset rather than an orderly close.
    public var isFailure: Bool { (error ?? 0) != 0 || resetReason != nil }
}
