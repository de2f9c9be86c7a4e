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
///
/// Held compactly (see `Presence`): 200 bytes a row instead of 336 with stored optionals.
/// At 10^5 connections the subflow rows are the largest part of the agent's memory.
public struct Subflow: Sendable, Hashable {
    private var _bytesSent: UInt64 = 0
    private var _bytesAcked: UInt64 = 0
    private var _bytesReceived: UInt64 = 0
    private var _deliveryRate: UInt64 = 0
    private var _pacingRate: UInt64 = 0
    private var _busyTime: UInt64 = 0
    private var _rwndLimitedTime: UInt64 = 0
    private var _sndbufLimitedTime: UInt64 = 0
    public var local: SocketAddress
    public var remote: SocketAddress
    private var _remoteToken: UInt32 = 0
    private var _rtt: UInt32 = 0
    private var _rttVariance: UInt32 = 0
    private var _congestionWindow: UInt32 = 0
    private var _mss: UInt32 = 0
    private var _retransmits: UInt32 = 0
    private var _totalRetransmits: UInt32 = 0
    private var _minRtt: UInt32 = 0
    private var _lost: UInt32 = 0
    private var _reordering: UInt32 = 0
    private var _segsOut: UInt32 = 0
    private var _dataSegsOut: UInt32 = 0
    private var _segsIn: UInt32 = 0
    private var _notSentBytes: UInt32 = 0
    private var _lastDataSent: UInt32 = 0
    private var _lastDataReceived: UInt32 = 0
    private var _deliveredCe: UInt32 = 0
    private var _flags: UInt32 = 0
    public var token: UInt32
    public var ifIndex: UInt32
    private var present = Presence()
    private var _localID: UInt8 = 0
    private var _remoteID: UInt8 = 0
    private var _caState: UInt8 = 0
    public var state: TCPState

    private enum Field: UInt32 {
        case remoteToken, localID, remoteID, flags, rtt, rttVariance, congestionWindow, mss, retransmits,
            totalRetransmits, bytesSent, bytesAcked, bytesReceived, minRtt, deliveryRate, pacingRate, lost,
            reordering, segsOut, dataSegsOut, segsIn, notSentBytes, caState, busyTime, rwndLimitedTime,
            sndbufLimitedTime, lastDataSent, lastDataReceived, deliveredCe
    }

    public init(token: UInt32, local: SocketAddress, remote: SocketAddress, state: TCPState) {
        self.token = token
        self.local = local
        self.remote = remote
        self.state = state
        ifIndex = 0
    }

    public var remoteToken: UInt32? {
        get { present.read(_remoteToken, Field.remoteToken) }
        set { present.write(newValue, to: &_remoteToken, Field.remoteToken) }
    }
    public var localID: UInt8? {
        get { present.read(_localID, Field.localID) }
        set { present.write(newValue, to: &_localID, Field.localID) }
    }
    public var remoteID: UInt8? {
        get { present.read(_remoteID, Field.remoteID) }
        set { present.write(newValue, to: &_remoteID, Field.remoteID) }
    }
    public var flags: SubflowFlags? {
        get { present.read(SubflowFlags(rawValue: _flags), Field.flags) }
        set { present.write(newValue?.rawValue, to: &_flags, Field.flags) }
    }
    /// Smoothed RTT and its variance, microseconds.
    public var rtt: UInt32? {
        get { present.read(_rtt, Field.rtt) }
        set { present.write(newValue, to: &_rtt, Field.rtt) }
    }
    public var rttVariance: UInt32? {
        get { present.read(_rttVariance, Field.rttVariance) }
        set { present.write(newValue, to: &_rttVariance, Field.rttVariance) }
    }
    public var congestionWindow: UInt32? {
        get { present.read(_congestionWindow, Field.congestionWindow) }
        set { present.write(newValue, to: &_congestionWindow, Field.congestionWindow) }
    }
    public var mss: UInt32? {
        get { present.read(_mss, Field.mss) }
        set { present.write(newValue, to: &_mss, Field.mss) }
    }
    public var retransmits: UInt32? {
        get { present.read(_retransmits, Field.retransmits) }
        set { present.write(newValue, to: &_retransmits, Field.retransmits) }
    }
    public var totalRetransmits: UInt32? {
        get { present.read(_totalRetransmits, Field.totalRetransmits) }
        set { present.write(newValue, to: &_totalRetransmits, Field.totalRetransmits) }
    }
    public var bytesSent: UInt64? {
        get { present.read(_bytesSent, Field.bytesSent) }
        set { present.write(newValue, to: &_bytesSent, Field.bytesSent) }
    }
    public var bytesAcked: UInt64? {
        get { present.read(_bytesAcked, Field.bytesAcked) }
        set { present.write(newValue, to: &_bytesAcked, Field.bytesAcked) }
    }
    public var bytesReceived: UInt64? {
        get { present.read(_bytesReceived, Field.bytesReceived) }
        set { present.write(newValue, to: &_bytesReceived, Field.bytesReceived) }
    }
    /// Quality, from tcp_info (MPTCP-MIB's mptcpSubflowQualityGroup): microseconds, octets
    /// per second, segments, octets, milliseconds as the MIB's units say. `caState` is the
    /// kernel's (0 open ... 4 loss); `pacingRate` nil while unpaced, `deliveredCe` nil
    /// without ECN, `minRtt` nil before a sample.
    public var minRtt: UInt32? {
        get { present.read(_minRtt, Field.minRtt) }
        set { present.write(newValue, to: &_minRtt, Field.minRtt) }
    }
    public var deliveryRate: UInt64? {
        get { present.read(_deliveryRate, Field.deliveryRate) }
        set { present.write(newValue, to: &_deliveryRate, Field.deliveryRate) }
    }
    public var pacingRate: UInt64? {
        get { present.read(_pacingRate, Field.pacingRate) }
        set { present.write(newValue, to: &_pacingRate, Field.pacingRate) }
    }
    public var lost: UInt32? {
        get { present.read(_lost, Field.lost) }
        set { present.write(newValue, to: &_lost, Field.lost) }
    }
    public var reordering: UInt32? {
        get { present.read(_reordering, Field.reordering) }
        set { present.write(newValue, to: &_reordering, Field.reordering) }
    }
    public var segsOut: UInt32? {
        get { present.read(_segsOut, Field.segsOut) }
        set { present.write(newValue, to: &_segsOut, Field.segsOut) }
    }
    /// Segments sent with data (pure ACKs not counted): the loss estimate's denominator.
    public var dataSegsOut: UInt32? {
        get { present.read(_dataSegsOut, Field.dataSegsOut) }
        set { present.write(newValue, to: &_dataSegsOut, Field.dataSegsOut) }
    }
    public var segsIn: UInt32? {
        get { present.read(_segsIn, Field.segsIn) }
        set { present.write(newValue, to: &_segsIn, Field.segsIn) }
    }
    public var notSentBytes: UInt32? {
        get { present.read(_notSentBytes, Field.notSentBytes) }
        set { present.write(newValue, to: &_notSentBytes, Field.notSentBytes) }
    }
    public var caState: UInt8? {
        get { present.read(_caState, Field.caState) }
        set { present.write(newValue, to: &_caState, Field.caState) }
    }
    public var busyTime: UInt64? {
        get { present.read(_busyTime, Field.busyTime) }
        set { present.write(newValue, to: &_busyTime, Field.busyTime) }
    }
    public var rwndLimitedTime: UInt64? {
        get { present.read(_rwndLimitedTime, Field.rwndLimitedTime) }
        set { present.write(newValue, to: &_rwndLimitedTime, Field.rwndLimitedTime) }
    }
    public var sndbufLimitedTime: UInt64? {
        get { present.read(_sndbufLimitedTime, Field.sndbufLimitedTime) }
        set { present.write(newValue, to: &_sndbufLimitedTime, Field.sndbufLimitedTime) }
    }
    public var lastDataSent: UInt32? {
        get { present.read(_lastDataSent, Field.lastDataSent) }
        set { present.write(newValue, to: &_lastDataSent, Field.lastDataSent) }
    }
    public var lastDataReceived: UInt32? {
        get { present.read(_lastDataReceived, Field.lastDataReceived) }
        set { present.write(newValue, to: &_lastDataReceived, Field.lastDataReceived) }
    }
    public var deliveredCe: UInt32? {
        get { present.read(_deliveredCe, Field.deliveredCe) }
        set { present.write(newValue, to: &_deliveredCe, Field.deliveredCe) }
    }

    /// Either side marked the subflow backup (unknown flags: not backup).
    public var isBackup: Bool { flags.map { !$0.isDisjoint(with: [.backupLocal, .backupRemote]) } ?? false }
}
