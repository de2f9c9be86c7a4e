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
        RemoteAddressTable.served, ListenerTable.served, PathTable.served, ContextTable.served,
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

/// A row of the kernel's with a TimeStamp of the agent's: when it first saw a connection,
/// when a path's event counts started.
public struct Stamped<Value: Sendable>: Sendable {
    public let value: Value
    let timeStamp: UInt32?
}

extension MPTCPMIB.ConnectionTable {
    typealias T = Self
    public static let served = TableDeclaration<Stamped<Connection>>(
        table, index: { $1.append($0.value.token) },
        rows: { s, facts in
            s.take(\.connections).map { c in
                Stamped(value: c, timeStamp: facts.firstSeen[c.token].map(facts.timeStamp))
            }
        },
        columns: [
            Column(T.localAddressType) { $0.value.local.address.inetAddressType },
            Column(T.localAddress) { .octets($0.value.local.address.bytes) },
            Column(T.localPort) { .unsigned(UInt32($0.value.local.port)) },
            Column(T.remoteAddressType) { $0.value.remote.address.inetAddressType },
            Column(T.remoteAddress) { .octets($0.value.remote.address.bytes) },
            Column(T.remotePort) { .unsigned(UInt32($0.value.remote.port)) },
            Column(T.state) { Bindings.tcpState($0.value.state) },
            Column(T.flags) { .bits(flags: $0.value.flags.rawValue, syntax: T.flags.syntax) },
            Column(T.ifIndex) { .integer(Int32(bitPattern: $0.value.ifIndex)) },
            Column(T.extraSubflows) { .gauge($0.value.extraSubflows) },
            Column(T.subflowsTotal) { $0.value.subflowsTotal.map { .gauge($0) } },
            Column(T.subflowsMax) { .unsigned(UInt32($0.value.limitSubflows)) },
            Column(T.addAddrSignal) { .gauge($0.value.addAddrSignal) },
            Column(T.addAddrAccepted) { .gauge($0.value.addAddrAccepted) },
            Column(T.addAddrAcceptMax) { .unsigned(UInt32($0.value.limitAddAddrAccepted)) },
            Column(T.signalEndpoints) { .gauge($0.value.signalEndpoints) },
            Column(T.localAddrUsed) { $0.value.localAddrUsed.map { .gauge($0) } },
            Column(T.subflowEndpoints) { $0.value.subflowEndpoints.map { .gauge($0) } },
            Column(T.laminarEndpoints) { $0.value.laminarEndpoints.map { .gauge($0) } },
            Column(T.checksum) { $0.value.checksumEnabled.map { .truth($0) } },
            Column(T.retransmits) { $0.value.retransmits.map { .counter32($0) } },
            Column(T.bytesRetrans) { $0.value.bytesRetransmitted.map { .counter64($0) } },
            Column(T.bytesSent) { $0.value.bytesSent.map { .counter64($0) } },
            Column(T.bytesReceived) { $0.value.bytesReceived.map { .counter64($0) } },
            Column(T.bytesAcked) { $0.value.bytesAcked.map { .counter64($0) } },
            Column(T.writeSeq) { .counter64($0.value.writeSeq) },
            Column(T.sndUna) { .counter64($0.value.sndUna) },
            Column(T.rcvNxt) { .counter64($0.value.rcvNxt) },
            Column(T.lastDataSent) { $0.value.lastDataSent.map { .gauge($0) } },
            Column(T.lastDataRecv) { $0.value.lastDataReceived.map { .gauge($0) } },
            Column(T.lastAckRecv) { $0.value.lastAckReceived.map { .gauge($0) } },
            Column(T.uid) { .unsigned($0.value.uid) },
            Column(T.firstSeen) { $0.timeStamp.map { .timeticks($0) } },
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

extension MPTCPMIB.PathTable {
    typealias T = Self
    /// Each path with the TimeStamp its event counts started from.
    public static let served = TableDeclaration<Stamped<PathSummary>>(
        table, index: { IndexEncoding.append($0.value.address, to: &$1) },
        rows: { s, facts in
            s.take(\.paths).map { p in Stamped(value: p, timeStamp: p.events.map { facts.timeStamp($0.since) }) }
        },
        columns: [
            Column(T.ifIndex) { .integer(Int32(bitPattern: $0.value.ifIndex)) },
            Column(T.endpointID) { .unsigned(UInt32($0.value.endpoint?.id ?? 0)) },
            Column(T.endpointFlags) { .bits(flags: $0.value.endpoint?.flags.rawValue ?? 0, syntax: T.endpointFlags.syntax) },
            Column(T.subflows) { .gauge($0.value.subflows) },
            Column(T.established) { .gauge($0.value.established) },
            Column(T.backup) { .gauge($0.value.backup) },
            Column(T.active) { .gauge($0.value.active) },
            Column(T.connections) { .gauge($0.value.connections) },
            Column(T.bytesSent) { .counter64($0.value.bytesSent) },
            Column(T.bytesReceived) { .counter64($0.value.bytesReceived) },
            Column(T.retransmits) { .counter64($0.value.retransmits) },
            Column(T.rttMean) { $0.value.rttMean.map { .gauge($0) } },
            Column(T.rttMax) { $0.value.rttMax.map { .gauge($0) } },
            Column(T.opened) { $0.value.events.map { .counter64($0.opened) } },
            Column(T.closed) { $0.value.events.map { .counter64($0.closed) } },
            Column(T.failed) { $0.value.events.map { .counter64($0.failed) } },
            Column(T.discontinuityTime) { $0.timeStamp.map { .timeticks($0) } },
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
