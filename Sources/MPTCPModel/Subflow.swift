public struct SubflowFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let mpCapableRemote = SubflowFlags(rawValue: 1 << 0)
    public static let mpCapableLocal = SubflowFlags(rawValue: 1 << 1)
    public static let joinRemote = SubflowFlags(rawValue: 1 << 2)
    public static let joinLocal = SubflowFlags(rawValue: 1 << 3)
    public static let backupRemote = SubflowFlags(rawValue: 1 << 4)
    public static let backupLocal = SubflowFlags(rawValue: 1 << 5)
    public static let fullyEstablished = SubflowFlags(rawValue: 1 << 6)
    public static let connected = SubflowFlags(rawValue: 1 << 7)
    public static let mappingValid = SubflowFlags(rawValue: 1 << 8)
}

/// One TCP subflow of an MPTCP connection, joined to it by `token`.
/// Optional fields are those the kernel did not send (older kernels, missing privilege).
public struct Subflow: Sendable, Hashable {
    public var token: UInt32
    public var local: SocketAddress
    public var remote: SocketAddress
    public var state: TCPState
    public var ifIndex: UInt32
    public var remoteToken: UInt32?
    public var localID: UInt8?
    public var remoteID: UInt8?
    public var flags: SubflowFlags?
    /// Smoothed RTT and its variance, microseconds.
    public var rtt: UInt32?
    public var rttVariance: UInt32?
    public var congestionWindow: UInt32?
    public var mss: UInt32?
    public var retransmits: UInt32?
    public var totalRetransmits: UInt32?
    public var bytesSent: UInt64?
    public var bytesAcked: UInt64?
    public var bytesReceived: UInt64?
    /// Quality, from tcp_info (MPTCP-MIB's mptcpSubflowQualityGroup): microseconds, octets
    /// per second, segments, octets, milliseconds as the MIB's units say. `caState` is the
    /// kernel's (0 open ... 4 loss); `pacingRate` nil while unpaced, `deliveredCe` nil
    /// without ECN, `minRtt` nil before a sample.
    public var minRtt: UInt32?
    public var deliveryRate: UInt64?
    public var pacingRate: UInt64?
    public var lost: UInt32?
    public var reordering: UInt32?
    public var segsOut: UInt32?
    /// Segments sent with data (pure ACKs not counted): the loss estimate's denominator.
    public var dataSegsOut: UInt32?
    public var segsIn: UInt32?
    public var notSentBytes: UInt32?
    public var caState: UInt8?
    public var busyTime: UInt64?
    public var rwndLimitedTime: UInt64?
    public var sndbufLimitedTime: UInt64?
    public var lastDataSent: UInt32?
    public var lastDataReceived: UInt32?
    public var deliveredCe: UInt32?

    public init(token: UInt32, local: SocketAddress, remote: SocketAddress, state: TCPState) {
        self.token = token
        self.local = local
        self.remote = remote
        self.state = state
        ifIndex = 0
    }

    /// Either side marked the subflow backup (unknown flags: not backup).
    public var isBackup: Bool { flags.map { !$0.isDisjoint(with: [.backupLocal, .backupRemote]) } ?? false }
}
