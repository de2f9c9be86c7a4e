import MPTCPMIB
import SMI
import MPTCPModel

// Every table the agent serves, each declared once: its rows, their index, and each
// readable column with where its value comes from. A new column is one line here (and
// its object in `MPTCPMIB`); a new table is one declaration here, listed in `servedTables`.

extension MPTCPMIB {
    /// The tables a view serves, in OID order.
    public static let servedTables: [any ServedTable] = [
        CounterTable.served, ConnectionTable.served, SubflowTable.served, EndpointTable.served,
        RemoteAddressTable.served, ListenerTable.served, PathTable.served, ContextTable.served, EventLogTable.served,
        PathCloseTable.served,
    ]
}

extension MPTCPMIB.CounterTable {
    typealias T = Self
    public static let served = TableDeclaration<Counters.Counter>(
        table, index: { IndexEncoding.append(string: $0.name, to: &$1) }, rows: { s, _ in s.takeCounters() },
        columns: [
            Column(T.value) { $0.isGauge ? nil : .counter64($0.value) },
            Column(T.gauge) { $0.isGauge ? .gauge($0.value) : nil },
            Column(T.value32) { $0.isGauge ? nil : .counter32(UInt32(truncatingIfNeeded: $0.value)) },
        ])
}

/// A connection with what the agent adds: when it first saw it, why it fell back to TCP
/// (when it saw that), and what keeps it from more subflows.
public struct ConnectionRow: Sendable {
    public let connection: Connection
    let firstSeen: UInt32?
    let fallbackCauses: FallbackCauses?
    let limitingFactor: LimitingFactor
}

extension MPTCPMIB.ConnectionTable {
    typealias T = Self
    public static let served = TableDeclaration<ConnectionRow>(
        table, index: { $1.append($0.connection.token) }, indexLess: { $0.connection.token < $1.connection.token },
        rows: { s, facts in
            let host = LimitingFactor.Host(s)
            return s.take(\.connections).map { c in
                ConnectionRow(connection: c, firstSeen: facts.firstSeen[c.token].map(facts.timeStamp),
                              fallbackCauses: facts.fallbackCauses[c.token],
                              limitingFactor: LimitingFactor(c, host: host, events: LimitingFactor.Events(
                                failedJoins: facts.joinFailures[c.token] ?? [],
                                peerDeniesInitialAddress: facts.peerDeniesInitialAddress.contains(c.token))))
            }
        },
        columns: [
            Column(T.localAddressType) { $0.connection.local.address.inetAddressType },
            Column(T.localAddress) { .octets($0.connection.local.address.bytes) },
            Column(T.localPort) { .unsigned(UInt32($0.connection.local.port)) },
            Column(T.remoteAddressType) { $0.connection.remote.address.inetAddressType },
            Column(T.remoteAddress) { .octets($0.connection.remote.address.bytes) },
            Column(T.remotePort) { .unsigned(UInt32($0.connection.remote.port)) },
            Column(T.state) { Bindings.tcpState($0.connection.state) },
            Column(T.flags) { .bits(flags: $0.connection.flags.rawValue, syntax: T.flags.syntax) },
            Column(T.ifIndex) { .integer(Int32(bitPattern: $0.connection.ifIndex)) },
            Column(T.extraSubflows) { .gauge($0.connection.extraSubflows) },
            Column(T.subflowsTotal) { $0.connection.subflowsTotal.map { .gauge($0) } },
            Column(T.subflowsMax) { .unsigned(UInt32($0.connection.limitSubflows)) },
            Column(T.addAddrSignal) { .gauge($0.connection.addAddrSignal) },
            Column(T.addAddrAccepted) { .gauge($0.connection.addAddrAccepted) },
            Column(T.addAddrAcceptMax) { .unsigned(UInt32($0.connection.limitAddAddrAccepted)) },
            Column(T.signalEndpoints) { .gauge($0.connection.signalEndpoints) },
            Column(T.localAddrUsed) { $0.connection.localAddrUsed.map { .gauge($0) } },
            Column(T.subflowEndpoints) { $0.connection.subflowEndpoints.map { .gauge($0) } },
            Column(T.laminarEndpoints) { $0.connection.laminarEndpoints.map { .gauge($0) } },
            Column(T.fullmeshEndpoints) { $0.connection.fullmeshEndpoints.map { .gauge($0) } },
            Column(T.checksum) { $0.connection.checksumEnabled.map { .truth($0) } },
            Column(T.retransmits) { $0.connection.retransmits.map { .counter32($0) } },
            Column(T.bytesRetrans) { $0.connection.bytesRetransmitted.map { .counter64($0) } },
            Column(T.bytesSent) { $0.connection.bytesSent.map { .counter64($0) } },
            Column(T.bytesReceived) { $0.connection.bytesReceived.map { .counter64($0) } },
            Column(T.bytesAcked) { $0.connection.bytesAcked.map { .counter64($0) } },
            Column(T.writeSeq) { .counter64($0.connection.writeSeq) },
            Column(T.sndUna) { .counter64($0.connection.sndUna) },
            Column(T.rcvNxt) { .counter64($0.connection.rcvNxt) },
            Column(T.lastDataSent) { $0.connection.lastDataSent.map { .gauge($0) } },
            Column(T.lastDataRecv) { $0.connection.lastDataReceived.map { .gauge($0) } },
            Column(T.lastAckRecv) { $0.connection.lastAckReceived.map { .gauge($0) } },
            Column(T.uid) { .unsigned($0.connection.uid) },
            Column(T.firstSeen) { $0.firstSeen.map { .timeticks($0) } },
            Column(T.limitingFactor) { .integer($0.limitingFactor.rawValue) },
            Column(T.fallbackCauses) { $0.fallbackCauses.map { .bits(flags: $0.rawValue, syntax: T.fallbackCauses.syntax) } },
        ])
}

extension MPTCPMIB.SubflowTable {
    typealias T = Self
    public static let served = TableDeclaration<Subflow>(
        table,
        index: { row, out in
            out.append(row.token)
            IndexEncoding.append(row.local, to: &out)
            IndexEncoding.append(row.remote, to: &out)
        },
        // SocketAddress orders as its index encodes: type (which fixes the length), bytes, port.
        indexLess: { ($0.token, $0.local, $0.remote) < ($1.token, $1.local, $1.remote) },
        rows: { s, _ in s.take(\.subflows) },
        columns: [
            Column(T.state) { Bindings.tcpState($0.state) },
            Column(T.flags) { $0.flags.map { .bits(flags: $0.rawValue, syntax: T.flags.syntax) } },
            Column(T.localID) { $0.localID.map { .unsigned(UInt32($0)) } },
            Column(T.remoteID) { $0.remoteID.map { .unsigned(UInt32($0)) } },
            Column(T.remoteToken) { $0.remoteToken.map { .unsigned($0) } },
            Column(T.ifIndex) { .integer(Int32(bitPattern: $0.ifIndex)) },
            Column(T.rtt) { $0.rtt.map { .gauge($0) } },
            Column(T.rttVar) { $0.rttVariance.map { .gauge($0) } },
            Column(T.cwnd) { $0.congestionWindow.map { .gauge($0) } },
            Column(T.mss) { $0.mss.map { .gauge($0) } },
            Column(T.bytesSent) { $0.bytesSent.map { .counter64($0) } },
            Column(T.bytesAcked) { $0.bytesAcked.map { .counter64($0) } },
            Column(T.bytesReceived) { $0.bytesReceived.map { .counter64($0) } },
            Column(T.retransmits) { $0.retransmits.map { .gauge($0) } },
            Column(T.totalRetrans) { $0.totalRetransmits.map { .counter32($0) } },
            Column(T.minRtt) { $0.minRtt.map { .gauge($0) } },
            Column(T.deliveryRate) { $0.deliveryRate.map { .counter64($0) } },
            Column(T.pacingRate) { $0.pacingRate.map { .counter64($0) } },
            Column(T.lost) { $0.lost.map { .gauge($0) } },
            Column(T.reordering) { $0.reordering.map { .gauge($0) } },
            Column(T.segsOut) { $0.segsOut.map { .counter32($0) } },
            Column(T.segsIn) { $0.segsIn.map { .counter32($0) } },
            Column(T.notSentBytes) { $0.notSentBytes.map { .gauge($0) } },
            // The kernel's TCP_CA_Open (0) ... TCP_CA_Loss (4) as open(1) ... loss(5).
            Column(T.caState) { s in s.caState.flatMap { $0 <= 4 ? .integer(Int32($0) + 1) : nil } },
            Column(T.busyTime) { $0.busyTime.map { .counter64($0) } },
            Column(T.rwndLimitedTime) { $0.rwndLimitedTime.map { .counter64($0) } },
            Column(T.sndbufLimitedTime) { $0.sndbufLimitedTime.map { .counter64($0) } },
            Column(T.lastDataSent) { $0.lastDataSent.map { .gauge($0) } },
            Column(T.lastDataRecv) { $0.lastDataReceived.map { .gauge($0) } },
            Column(T.deliveredCe) { $0.deliveredCe.map { .counter32($0) } },
        ])
}

extension MPTCPMIB.EndpointTable {
    typealias T = Self
    public static let served = TableDeclaration<EndpointRow>(
        table, index: { $1.append(UInt32($0.id)) },
        rows: { s, facts in Array(EndpointRow.rows(kernel: s.endpoints, pending: facts.pendingEndpoints).values) },
        columns: [
            Column(T.addressType) { row in (row.addressType ?? row.address?.family).map { .integer(Int32($0.rawValue)) } },
            Column(T.address) { $0.address.map { .octets($0.bytes) } },
            Column(T.port) { .unsigned(UInt32($0.endpoint.port)) },
            Column(T.ifIndex) { .integer(Int32(bitPattern: $0.endpoint.ifIndex)) },
            Column(T.flags) { .bits(flags: $0.endpoint.flags.rawValue, syntax: T.flags.syntax) },
            Column(T.rowStatus) { .integer($0.status.rawValue) },
            Column(T.storageType) { _ in .integer(2) },  // volatile: the kernel forgets endpoints at reboot
        ])
}

extension MPTCPMIB.RemoteAddressTable {
    typealias T = Self
    public static let served = TableDeclaration<RemoteAddress>(
        table, index: { $1 += [$0.token, UInt32($0.id)] }, rows: { s, _ in s.take(\.remoteAddresses) },
        columns: [
            Column(T.addressType) { $0.address.inetAddressType },
            Column(T.address) { .octets($0.address.bytes) },
            Column(T.port) { .unsigned(UInt32($0.port)) },
            Column(T.source) { .bits(flags: UInt32($0.sources.rawValue), syntax: T.source.syntax) },
            Column(T.subflows) { .gauge($0.subflows) },
        ])
}

extension MPTCPMIB.ListenerTable {
    typealias T = Self
    public static let served = TableDeclaration<Listener>(
        table,
        index: { listener, out in
            // TCP-MIB's wildcard for both families: unknown(0), a zero-length address.
            if listener.dualStack { out += [0, 0, UInt32(listener.local.port)] }
            else { IndexEncoding.append(listener.local, to: &out) }
        },
        rows: { s, _ in s.take(\.listeners) },
        columns: [
            Column(T.acceptQueue) { .gauge($0.acceptQueue) },
            Column(T.backlog) { .gauge($0.backlog) },
            Column(T.sockets) { .gauge($0.sockets) },
        ])
}

/// A path summary with the TimeStamps of its event counts' start and of its last close.
public struct PathRow: Sendable {
    public let path: PathSummary
    let discontinuity: UInt32?
    let lastClose: UInt32?

    init(path: PathSummary, facts: AgentFacts) {
        self.path = path
        discontinuity = path.events.map { facts.timeStamp($0.since) }
        lastClose = path.events?.lastClose.map { facts.timeStamp($0.time) }
    }
}

extension MPTCPMIB.PathTable {
    typealias T = Self
    /// The paths are read, not taken: a handful of rows, which mptcpPathCloseTable reads too.
    public static let served = TableDeclaration<PathRow>(
        table, index: { IndexEncoding.append($0.path.address, to: &$1) },
        rows: { s, facts in
            s.paths.map { PathRow(path: $0, facts: facts) }
        },
        columns: [
            Column(T.ifIndex) { .integer(Int32(bitPattern: $0.path.ifIndex)) },
            Column(T.endpointID) { .unsigned(UInt32($0.path.endpoint?.id ?? 0)) },
            Column(T.endpointFlags) { .bits(flags: $0.path.endpoint?.flags.rawValue ?? 0, syntax: T.endpointFlags.syntax) },
            Column(T.subflows) { .gauge($0.path.subflows) },
            Column(T.established) { .gauge($0.path.established) },
            Column(T.backup) { .gauge($0.path.backup) },
            Column(T.active) { .gauge($0.path.active) },
            Column(T.connections) { .gauge($0.path.connections) },
            Column(T.bytesSent) { .counter64($0.path.bytesSent) },
            Column(T.bytesReceived) { .counter64($0.path.bytesReceived) },
            Column(T.retransmits) { .counter64($0.path.retransmits) },
            Column(T.rttMean) { $0.path.rttMean.map { .gauge($0) } },
            Column(T.rttMax) { $0.path.rttMax.map { .gauge($0) } },
            Column(T.opened) { $0.path.events.map { .counter64($0.opened) } },
            Column(T.closed) { $0.path.events.map { .counter64($0.closed) } },
            Column(T.failed) { $0.path.events.map { .counter64($0.failed) } },
            Column(T.discontinuityTime) { $0.discontinuity.map { .timeticks($0) } },
            Column(T.minRtt) { $0.path.minRtt.map { .gauge($0) } },
            Column(T.deliveryRate) { $0.path.deliveryRate.map { .counter64($0) } },
            Column(T.lossEstimate) { $0.path.lossPerMille.map { .gauge($0) } },
            Column(T.sendShare) { $0.path.sendSharePerMille.map { .gauge($0) } },
            Column(T.lastCloseReason) { $0.path.events?.lastClose.map { .integer($0.reason.rawValue) } },
            Column(T.lastCloseTime) { $0.lastClose.map { .timeticks($0) } },
        ])
}

/// The subflows on one local address that ended for one reason, with TimeStamps.
public struct PathCloseRow: Sendable {
    public let address: IPAddress
    public let reason: SubflowCloseReason
    public let subflows: UInt64
    let last: UInt32
    let discontinuity: UInt32
}

extension MPTCPMIB.PathCloseTable {
    typealias T = Self
    public static let served = TableDeclaration<PathCloseRow>(
        table,
        index: { row, out in
            IndexEncoding.append(row.address, to: &out)
            out.append(UInt32(row.reason.rawValue))
        },
        rows: { s, facts in
            s.paths.flatMap { p -> [PathCloseRow] in
                guard let events = p.events else { return [] }
                let since = facts.timeStamp(events.since)
                return events.closes.map {
                    PathCloseRow(address: p.address, reason: $0.key, subflows: $0.value.subflows,
                                 last: facts.timeStamp($0.value.last), discontinuity: since)
                }
            }
        },
        columns: [
            Column(T.subflows) { .counter64($0.subflows) },
            Column(T.lastTime) { .timeticks($0.last) },
            Column(T.discontinuityTime) { .timeticks($0.discontinuity) },
        ])
}

extension MPTCPMIB.ContextTable {
    typealias T = Self
    public static let served = TableDeclaration<ServedContext>(
        table, index: { IndexEncoding.append(string: $0.name, to: &$1) },
        rows: { _, facts in facts.contexts.filter { (1...32).contains($0.name.utf8.count) } },
        columns: [
            Column(T.namespace) { .octets(Array($0.path.utf8.prefix(255))) },
            Column(T.state) { .integer($0.error == nil ? 1 : 2) },
            Column(T.error) { .octets(Array(($0.error ?? "").utf8.prefix(255))) },
        ])
}

/// An event log entry with its TimeStamp.
public struct EventLogRow: Sendable {
    public let entry: EventLogEntry
    let time: UInt32
}

extension MPTCPMIB.EventLogTable {
    typealias T = Self
    public static let served = TableDeclaration<EventLogRow>(
        table, index: { $1.append($0.entry.index) },
        rows: { _, facts in facts.eventLog.entries.map { EventLogRow(entry: $0, time: facts.timeStamp($0.time)) } },
        columns: [
            Column(T.time) { .timeticks($0.time) },
            Column(T.kind) { .integer($0.entry.kind.rawValue) },
            Column(T.token) { $0.entry.subject.token.map { .unsigned($0) } },
            Column(T.localAddressType) { $0.entry.subject.local?.address.inetAddressType },
            Column(T.localAddress) { $0.entry.subject.local.map { .octets($0.address.bytes) } },
            Column(T.localPort) { $0.entry.subject.local.map { .unsigned(UInt32($0.port)) } },
            Column(T.remoteAddressType) { $0.entry.subject.remote?.address.inetAddressType },
            Column(T.remoteAddress) { $0.entry.subject.remote.map { .octets($0.address.bytes) } },
            Column(T.remotePort) { $0.entry.subject.remote.map { .unsigned(UInt32($0.port)) } },
            Column(T.localID) { $0.entry.event?.localID.map { .unsigned(UInt32($0)) } },
            Column(T.remoteID) { $0.entry.event?.remoteID.map { .unsigned(UInt32($0)) } },
            Column(T.backup) { $0.entry.event?.backup.map { .truth($0) } },
            Column(T.error) { $0.entry.event?.error.map { .unsigned(UInt32($0)) } },
            Column(T.resetReason) { $0.entry.event?.resetReason.map { .integer(Int32(clamping: $0)) } },
            Column(T.fallbackCauses) {
                $0.entry.fallbackCauses.map { .bits(flags: $0.rawValue, syntax: T.fallbackCauses.syntax) }
            },
        ])
}
