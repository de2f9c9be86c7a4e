import MPTCPMIB
import SMI
import MPTCPModel

/// Where each object's value comes from in a snapshot: one line per object, table-driven.
enum Bindings {
    typealias G = MPTCPMIB.General

    // MARK: Scalars

    static func scalar(_ object: MIBObject, snapshot s: Snapshot, facts: AgentFacts, endpointNextID: UInt32) -> SNMPValue? {
        if let kernelName = MPTCPMIB.Stats.kernelName(of: object) {
            guard let v = s.counters?[kernelName] else { return nil }
            return object.syntax.encoding == .counter64 ? .counter64(v) : .gauge(v)
        }
        if let sysctl = SysctlObject.of(object) { return sysctl.value(s.settings) }
        func text(_ value: String?) -> SNMPValue? { value.map { .octets(Array($0.utf8)) } }
        switch object {
        case G.pathManager: return text(PathManagerSetting.current(s.settings))
        case G.availablePathManagers: return text(PathManagerSetting.available(s.settings)?.joined(separator: " "))
        case G.limitSubflows: return s.limits.map { .unsigned($0.subflows) }
        case G.limitAddAddrAccepted: return s.limits.map { .unsigned($0.addAddrAccepted) }
        case G.currentConnections: return .gauge(s.connections.count)
        case G.currentSubflows: return .gauge(s.subflows.count)
        case G.currentListeners: return .gauge(s.listeners.count)
        case G.endpointNextID: return s.endpoints == nil ? nil : .unsigned(endpointNextID)
        case G.statsDiscontinuityTime:
            return facts.statsDiscontinuity.map { .timeticks(facts.uptime.timeStamp(at: $0)) }
        case G.connectionsOneSubflow: return .gauge(s.host.oneSubflow)
        case G.connectionsTwoSubflows: return .gauge(s.host.twoSubflows)
        case G.connectionsMoreSubflows: return .gauge(s.host.moreSubflows)
        case G.connectionsFallback: return .gauge(s.host.fallback)
        case G.connectionsBackupOnly: return .gauge(s.host.backupOnly)
        case G.subflowsEstablished: return .gauge(s.host.establishedSubflows)
        case G.endpointSpinLock: return s.endpoints == nil ? nil : .integer(facts.endpointSpinLock)
        default: return nil
        }
    }

    typealias N = MPTCPMIB.NotificationControl
    static func control(_ object: MIBObject, _ facts: AgentFacts) -> SNMPValue? {
        let n = facts.notifications
        switch object {
        case N.enabled: return .bits(n.enabled.map(\.rawValue), length: N.enabled.syntax.bitsLength)
        case N.rateLimit: return .unsigned(n.rateLimit)
        case N.sent: return .counter64(n.sent)
        case N.suppressed: return .counter64(n.suppressed)
        case N.dropped: return .counter64(n.dropped)
        case N.discontinuityTime: return .timeticks(facts.uptime.timeStamp(at: n.since))
        default: return nil
        }
    }

    // MARK: Tables

    typealias XT = MPTCPMIB.ContextTable
    static let contextColumns: [Column<ServedContext>] = [
        Column(XT.namespace) { .octets(Array($0.path.utf8.prefix(255))) },
        Column(XT.state) { .integer($0.error == nil ? 1 : 2) },
        Column(XT.error) { .octets(Array(($0.error ?? "").utf8.prefix(255))) },
    ]

    typealias CT = MPTCPMIB.CounterTable
    static let counterColumns: [Column<Counters.Counter>] = [
        Column(CT.value) { $0.isGauge ? nil : .counter64($0.value) },
        Column(CT.gauge) { $0.isGauge ? .gauge($0.value) : nil },
        Column(CT.value32) { $0.isGauge ? nil : .counter32(UInt32(truncatingIfNeeded: $0.value)) },
    ]

    typealias C = MPTCPMIB.ConnectionTable
    /// The kernel's columns of a connection.
    static let kernelConnectionColumns: [Column<Connection>] = [
        Column(C.localAddressType) { $0.local.address.inetAddressType },
        Column(C.localAddress) { .octets($0.local.address.bytes) },
        Column(C.localPort) { .unsigned(UInt32($0.local.port)) },
        Column(C.remoteAddressType) { $0.remote.address.inetAddressType },
        Column(C.remoteAddress) { .octets($0.remote.address.bytes) },
        Column(C.remotePort) { .unsigned(UInt32($0.remote.port)) },
        Column(C.state) { tcpState($0.state) },
        Column(C.flags) { .bits(flags: $0.flags.rawValue, syntax: C.flags.syntax) },
        Column(C.ifIndex) { .integer(Int32(bitPattern: $0.ifIndex)) },
        Column(C.extraSubflows) { .gauge($0.extraSubflows) },
        Column(C.subflowsTotal) { $0.subflowsTotal.map { .gauge($0) } },
        Column(C.subflowsMax) { .unsigned(UInt32($0.limitSubflows)) },
        Column(C.addAddrSignal) { .gauge($0.addAddrSignal) },
        Column(C.addAddrAccepted) { .gauge($0.addAddrAccepted) },
        Column(C.addAddrAcceptMax) { .unsigned(UInt32($0.limitAddAddrAccepted)) },
        Column(C.signalEndpoints) { .gauge($0.signalEndpoints) },
        Column(C.localAddrUsed) { $0.localAddrUsed.map { .gauge($0) } },
        Column(C.subflowEndpoints) { $0.subflowEndpoints.map { .gauge($0) } },
        Column(C.laminarEndpoints) { $0.laminarEndpoints.map { .gauge($0) } },
        Column(C.checksum) { $0.checksumEnabled.map { .truth($0) } },
        Column(C.retransmits) { $0.retransmits.map { .counter32($0) } },
        Column(C.bytesRetrans) { $0.bytesRetransmitted.map { .counter64($0) } },
        Column(C.bytesSent) { $0.bytesSent.map { .counter64($0) } },
        Column(C.bytesReceived) { $0.bytesReceived.map { .counter64($0) } },
        Column(C.bytesAcked) { $0.bytesAcked.map { .counter64($0) } },
        Column(C.writeSeq) { .counter64($0.writeSeq) },
        Column(C.sndUna) { .counter64($0.sndUna) },
        Column(C.rcvNxt) { .counter64($0.rcvNxt) },
        Column(C.lastDataSent) { $0.lastDataSent.map { .gauge($0) } },
        Column(C.lastDataRecv) { $0.lastDataReceived.map { .gauge($0) } },
        Column(C.lastAckRecv) { $0.lastAckReceived.map { .gauge($0) } },
        Column(C.uid) { .unsigned($0.uid) },
    ]

    /// ... and the agent's.
    static let connectionColumns: [Column<ConnectionRow>] = kernelConnectionColumns.map { column in
        Column(column.object) { column.value($0.connection) }
    } + [Column(C.firstSeen) { $0.firstSeen.map { .timeticks($0) } }]

    typealias S = MPTCPMIB.SubflowTable
    static let subflowColumns: [Column<Subflow>] = [
        Column(S.state) { tcpState($0.state) },
        Column(S.flags) { $0.flags.map { .bits(flags: $0.rawValue, syntax: S.flags.syntax) } },
        Column(S.localID) { $0.localID.map { .unsigned(UInt32($0)) } },
        Column(S.remoteID) { $0.remoteID.map { .unsigned(UInt32($0)) } },
        Column(S.remoteToken) { $0.remoteToken.map { .unsigned($0) } },
        Column(S.ifIndex) { .integer(Int32(bitPattern: $0.ifIndex)) },
        Column(S.rtt) { $0.rtt.map { .gauge($0) } },
        Column(S.rttVar) { $0.rttVariance.map { .gauge($0) } },
        Column(S.cwnd) { $0.congestionWindow.map { .gauge($0) } },
        Column(S.mss) { $0.mss.map { .gauge($0) } },
        Column(S.bytesSent) { $0.bytesSent.map { .counter64($0) } },
        Column(S.bytesAcked) { $0.bytesAcked.map { .counter64($0) } },
        Column(S.bytesReceived) { $0.bytesReceived.map { .counter64($0) } },
        Column(S.retransmits) { $0.retransmits.map { .gauge($0) } },
        Column(S.totalRetrans) { $0.totalRetransmits.map { .counter32($0) } },
    ]

    typealias E = MPTCPMIB.EndpointTable
    static let endpointColumns: [Column<EndpointRow>] = [
        Column(E.addressType) { row in (row.addressType ?? row.address?.family).map { .integer(Int32($0.rawValue)) } },
        Column(E.address) { $0.address.map { .octets($0.bytes) } },
        Column(E.port) { .unsigned(UInt32($0.port)) },
        Column(E.ifIndex) { .integer(Int32(bitPattern: $0.ifIndex)) },
        Column(E.flags) { .bits(flags: $0.flags.rawValue, syntax: E.flags.syntax) },
        Column(E.rowStatus) { .integer($0.status.rawValue) },
        Column(E.storageType) { _ in .integer(2) },  // volatile: the kernel forgets endpoints at reboot
    ]

    typealias R = MPTCPMIB.RemoteAddressTable
    static let remoteAddressColumns: [Column<RemoteAddress>] = [
        Column(R.addressType) { $0.address.inetAddressType },
        Column(R.address) { .octets($0.address.bytes) },
        Column(R.port) { .unsigned(UInt32($0.port)) },
        Column(R.source) { .bits(flags: UInt32($0.sources.rawValue), syntax: R.source.syntax) },
        Column(R.subflows) { .gauge($0.subflows) },
    ]

    typealias L = MPTCPMIB.ListenerTable
    static let listenerColumns: [Column<Listener>] = [
        Column(L.acceptQueue) { .gauge($0.acceptQueue) },
        Column(L.backlog) { .gauge($0.backlog) },
        Column(L.sockets) { .gauge($0.sockets) },
    ]

    typealias P = MPTCPMIB.PathTable
    static let pathColumns: [Column<PathRow>] = [
        Column(P.ifIndex) { .integer(Int32(bitPattern: $0.path.ifIndex)) },
        Column(P.endpointID) { .unsigned(UInt32($0.path.endpoint?.id ?? 0)) },
        Column(P.endpointFlags) { .bits(flags: $0.path.endpoint?.flags.rawValue ?? 0, syntax: P.endpointFlags.syntax) },
        Column(P.subflows) { .gauge($0.path.subflows) },
        Column(P.established) { .gauge($0.path.established) },
        Column(P.backup) { .gauge($0.path.backup) },
        Column(P.active) { .gauge($0.path.active) },
        Column(P.connections) { .gauge($0.path.connections) },
        Column(P.bytesSent) { .counter64($0.path.bytesSent) },
        Column(P.bytesReceived) { .counter64($0.path.bytesReceived) },
        Column(P.retransmits) { .counter64($0.path.retransmits) },
        Column(P.rttMean) { $0.path.rttMean.map { .gauge($0) } },
        Column(P.rttMax) { $0.path.rttMax.map { .gauge($0) } },
        Column(P.opened) { $0.path.events.map { .counter64($0.opened) } },
        Column(P.closed) { $0.path.events.map { .counter64($0.closed) } },
        Column(P.failed) { $0.path.events.map { .counter64($0.failed) } },
        Column(P.discontinuityTime) { $0.discontinuity.map { .timeticks($0) } },
    ]

    /// Linux TCP states as MptcpTcpState (TCP-MIB's tcpConnectionState numbering).
    static func tcpState(_ s: TCPState) -> SNMPValue {
        let value: Int32
        switch s {
        case .close: value = 1
        case .listen: value = 2
        case .synSent: value = 3
        case .synReceived, .newSynReceived: value = 4
        case .established: value = 5
        case .finWait1: value = 6
        case .finWait2: value = 7
        case .closeWait: value = 8
        case .lastAck: value = 9
        case .closing: value = 10
        case .timeWait: value = 11
        }
        return .integer(value)
    }
}
