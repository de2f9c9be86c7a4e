import ArgumentParser
import MPTCPMIB
import MPTCPModel
import NetSNMP
import SMI

/// Reads a table, then prints it as text columns or as JSON rows.
protocol TableView: ParsableCommand {
    var snmp: SNMPArguments { get }
    static var table: MIBTable { get }
    /// What the text table shows, left to right.
    static var columns: [Column] { get }
    /// More columns, after those, with `--wide` (none by default).
    static var wideColumns: [Column] { get }
    /// Whether `--wide` was given (views without wide columns have no such flag).
    var wide: Bool { get }
    /// Rows to show (all by default).
    func keep(_ row: TableRow) -> Bool
    /// The order to show them in (index order by default).
    static func order(_ rows: [TableRow]) -> [TableRow]
}

extension TableView {
    func keep(_ row: TableRow) -> Bool { true }
    static func order(_ rows: [TableRow]) -> [TableRow] { rows }
    static var wideColumns: [Column] { [] }
    var wide: Bool { false }

    func run() throws {
        try reporting { try Self.show(snmp.session(), json: snmp.json, wide: wide, keep) }
    }

    /// Reads and prints the table over an open session (also after a write). JSON rows
    /// always have every column.
    static func show(_ client: MIBClient, json: Bool, wide: Bool = false, _ keep: (TableRow) -> Bool = { _ in true }) throws {
        let rows = order(try client.rows(table).filter(keep))
        if json {
            emit(JSON.array(rows.map(\.json)).render())
        } else {
            let shown = wide ? columns + wideColumns : columns
            emit(TextTable(headers: shown.map(\.header), rows: rows.map { r in shown.map { $0.cell(r) } }).render())
        }
    }
}

/// A column of a text table: its header and its cell in a row.
struct Column: Sendable {
    let header: String
    let cell: @Sendable (TableRow) -> String

    init(_ header: String, _ cell: @escaping @Sendable (TableRow) -> String) {
        self.header = header
        self.cell = cell
    }

    /// The value of a MIB column as the MIB writes it.
    init(_ header: String, _ object: MIBObject) { self.init(header) { $0.text(object) } }

    /// A component of the row's index (`?` if the index has no such component).
    init(_ header: String, index: Int) { self.init(header) { $0.index(index) } }
}

typealias C = MPTCPMIB.ConnectionTable
typealias S = MPTCPMIB.SubflowTable
typealias E = MPTCPMIB.EndpointTable
typealias R = MPTCPMIB.RemoteAddressTable
typealias L = MPTCPMIB.ListenerTable
typealias CT = MPTCPMIB.CounterTable
typealias P = MPTCPMIB.PathTable
typealias PC = MPTCPMIB.PathCloseTable
typealias X = MPTCPMIB.ContextTable

/// An optional connection token after the agent (`subflows TOKEN`, `diagnose TOKEN`).
struct TokenArgument: ParsableArguments {
    @Argument(help: "A connection token (hex, as `connections` prints it).") var token: String?

    /// The token's value (hex, with or without 0x); nil when there is none (`validate` refuses one that is not hex).
    var value: UInt32? { token.flatMap { UInt32($0.hasPrefix("0x") ? String($0.dropFirst(2)) : $0, radix: 16) } }

    func validate() throws {
        if let token, value == nil { throw ValidationError("'\(token)' is not a token in hex") }
    }
}

struct Connections: TableView {
    static let configuration = CommandConfiguration(
        abstract: "MPTCP connections, like `ss -M`.",
        discussion: "JSON rows have one key per column of mptcpConnectionTable, named without the prefix (localPort, bytesSent, ...), and the index (token).")
    static let table = C.table
    @OptionGroup var snmp: SNMPArguments

    static let columns = [
        Column("TOKEN", index: 0), Column("LOCAL") { $0.endpoint(C.localAddress, C.localPort) },
        Column("REMOTE") { $0.endpoint(C.remoteAddress, C.remotePort) }, Column("STATE", C.state),
        Column("SUBFLOWS", C.subflowsTotal), Column("FLAGS", C.flags), Column("SENT", C.bytesSent),
        Column("RECEIVED", C.bytesReceived), Column("RETRANS", C.retransmits),
    ]
}

struct Subflows: TableView {
    static let configuration = CommandConfiguration(
        abstract: "Subflows of MPTCP connections (all, or those of TOKEN), like `ss -ti`.",
        discussion: """
            RTT is in milliseconds. KIND: initial (MP_CAPABLE) or join (MP_JOIN); BACKUP: local, remote or both. \
            --wide adds what tcp_info says of each subflow's quality: MIN-RTT (ms), DELIVERY and PACING rates \
            (bits/s, as ss prints them), LOST, REORD, SEGS (out/in), NOTSENT bytes, CA (congestion state), \
            BUSY, RWND-LTD and SNDBUF-LTD (ms), LAST-SND and LAST-RCV (ms ago). \
            JSON rows follow mptcpSubflowTable (rtt in microseconds).
            """)
    static let table = S.table
    @OptionGroup var snmp: SNMPArguments
    @OptionGroup var connection: TokenArgument
    @Flag(help: "Add the quality columns from tcp_info.") var wide = false

    func keep(_ r: TableRow) -> Bool { connection.value.map { r.index.first == $0 } ?? true }

    static let columns = [
        Column("TOKEN", index: 0), Column("LOCAL") { socket($0, local: true) }, Column("REMOTE") { socket($0, local: false) },
        Column("IDS") { "\($0.text(S.localID))/\($0.text(S.remoteID))" }, Column("KIND", kind), Column("BACKUP", backup),
        Column("IFINDEX", S.ifIndex), Column("RTT", rtt), Column("CWND", S.cwnd), Column("SENT", S.bytesSent),
        Column("ACKED", S.bytesAcked), Column("RECEIVED", S.bytesReceived), Column("RETRANS", S.totalRetrans),
    ]

    static let wideColumns = [
        Column("MIN-RTT") { r in r.number(S.minRtt).map(milliseconds) ?? "-" },
        Column("DELIVERY") { r in r.number(S.deliveryRate).map(bitRate) ?? "-" },
        Column("PACING") { r in r.number(S.pacingRate).map(bitRate) ?? "-" },
        Column("LOST", S.lost), Column("REORD", S.reordering), Column("SEGS") { "\($0.text(S.segsOut))/\($0.text(S.segsIn))" },
        Column("NOTSENT", S.notSentBytes), Column("CA", S.caState),
        Column("BUSY") { r in r.number(S.busyTime).map { "\($0 / 1000)" } ?? "-" },
        Column("RWND-LTD") { r in r.number(S.rwndLimitedTime).map { "\($0 / 1000)" } ?? "-" },
        Column("SNDBUF-LTD") { r in r.number(S.sndbufLimitedTime).map { "\($0 / 1000)" } ?? "-" },
        Column("LAST-SND", S.lastDataSent), Column("LAST-RCV", S.lastDataRecv),
    ]

    /// Octets per second as bits per second, with ss's units (bps, Kbps, Mbps, Gbps).
    static func bitRate(_ octetsPerSecond: UInt64) -> String {
        let bits = octetsPerSecond.multipliedReportingOverflow(by: 8).partialValue
        for (unit, scale) in [("G", UInt64(1_000_000_000)), ("M", 1_000_000), ("K", 1_000)] where bits >= scale {
            let tenths = (bits + scale / 20) / (scale / 10)
            return "\(tenths / 10).\(tenths % 10)\(unit)bps"
        }
        return "\(bits)bps"
    }

    /// `address:port` of one end, from the index (also for `watch`).
    static func socket(_ r: TableRow, local: Bool) -> String {
        let index = r.decodedIndex
        let (a, p) = local ? (2, 3) : (5, 6)
        guard index.count == 7, case .address(let address?) = index[a], case .number(let port) = index[p],
              let port = UInt16(exactly: port) else { return "?" }
        return SocketAddress(address: address, port: port).description
    }

    /// initial (MP_CAPABLE) or join (MP_JOIN).
    static func kind(_ r: TableRow) -> String {
        (r.flags(S.flags, as: SubflowFlags.self) ?? []).isDisjoint(with: [.joinLocal, .joinRemote]) ? "initial" : "join"
    }

    /// Which side marked the subflow backup: local, remote, both or -.
    static func backup(_ r: TableRow) -> String {
        let flags = r.flags(S.flags, as: SubflowFlags.self) ?? []
        switch (flags.contains(.backupLocal), flags.contains(.backupRemote)) {
        case (true, true): return "both"
        case (true, false): return "local"
        case (false, true): return "remote"
        case (false, false): return "-"
        }
    }

    /// Smoothed RTT in milliseconds (also for `watch`).
    static func rtt(_ r: TableRow) -> String { r.number(S.rtt).map(milliseconds) ?? "-" }

    /// Microseconds as milliseconds with two decimals.
    static func milliseconds(_ us: UInt64) -> String {
        let hundredths = (us + 5) / 10
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}

struct Endpoints: TableView {
    static let configuration = CommandConfiguration(
        abstract: "Endpoints of the in-kernel path manager, like `ip mptcp endpoint show`.")
    static let table = E.table
    @OptionGroup var snmp: SNMPArguments

    static let columns = [
        Column("ID", index: 0), Column("ADDRESS", E.address), Column("PORT", E.port), Column("IFINDEX", E.ifIndex),
        Column("FLAGS", E.flags), Column("STATUS", E.rowStatus),
    ]
}

struct RemoteAddresses: TableView {
    static let configuration = CommandConfiguration(
        commandName: "remote-addresses",
        abstract: "Peer addresses of each connection: seen on subflows and announced (ADD_ADDR).")
    static let table = R.table
    @OptionGroup var snmp: SNMPArguments

    static let columns = [
        Column("TOKEN", index: 0), Column("ID", index: 1), Column("ADDRESS", R.address), Column("PORT", R.port),
        Column("SOURCE", R.source), Column("SUBFLOWS", R.subflows),
    ]
}

struct Listeners: TableView {
    static let configuration = CommandConfiguration(abstract: "MPTCP listening sockets, like `ss -Ml`.")
    static let table = L.table
    @OptionGroup var snmp: SNMPArguments

    static let columns = [
        // The wildcard of both families (address type unknown, no address) as ss shows it.
        Column("ADDRESS") { r in r.index(1).isEmpty ? "*" : r.index(1) }, Column("PORT", index: 2),
        Column("SOCKETS", L.sockets), Column("ACCEPT-QUEUE", L.acceptQueue), Column("BACKLOG", L.backlog),
    ]
}

struct Contexts: TableView {
    static let configuration = CommandConfiguration(
        abstract: "SNMP contexts the agent serves for other network namespaces (read in the default context).",
        discussion: """
            Each row is a network namespace the agent serves as the SNMP context of its name: \
            give that name with -n (SNMPv3), or use a community that snmpd maps to it, to read and \
            change MPTCP there with every other command.
            """)
    static let table = X.table
    @OptionGroup var snmp: SNMPArguments

    static let columns = [
        Column("CONTEXT", index: 0), Column("STATE", X.state), Column("NAMESPACE", X.namespace),
        Column("ERROR") { r in r[X.error].map { ValueText.format($0, X.error.syntax) } ?? "" },
    ]
}

struct Paths: TableView {
    static let configuration = CommandConfiguration(
        abstract: "Each local address as a path: its subflows now, their traffic and RTT, and subflow events since the agent started.",
        discussion: """
            One row per local address that subflows use or an endpoint names (mptcpPathTable): a \
            few rows whatever the number of connections. SUBFLOWS is established/all; RTT is the \
            mean/max smoothed RTT in milliseconds; SENT and RECEIVED are sums over the current \
            subflows (they drop when a subflow closes); LOSS is the loss estimate of the established \
            subflows in per mille; OPENED, CLOSED and FAILED count subflow events since the agent \
            started following them ("-" without CAP_NET_ADMIN). --wide adds MIN-RTT (the least \
            minimum RTT, ms), DELIVERY (the summed delivery rates, bits/s), SHARE (per mille of the \
            bytes sent on all paths) and LAST-CLOSE (why the last subflow closed; `path-closes` \
            counts every reason).
            """)
    static let table = P.table
    @OptionGroup var snmp: SNMPArguments
    @Flag(help: "Add minimum RTT, delivery rate, share of the traffic and the last close reason.") var wide = false

    static let columns = [
        Column("ADDRESS", index: 1), Column("IFINDEX", P.ifIndex),
        Column("ENDPOINT") { r in r.number(P.endpointID).map { $0 == 0 ? "-" : "\($0) \(r.text(P.endpointFlags))" } ?? "-" },
        Column("SUBFLOWS", subflows), Column("ACTIVE", P.active), Column("BACKUP", P.backup), Column("CONNECTIONS", P.connections),
        Column("SENT", P.bytesSent), Column("RECEIVED", P.bytesReceived), Column("RETRANS", P.retransmits), Column("RTT", rtt),
        Column("LOSS", P.lossEstimate), Column("OPENED", P.opened), Column("CLOSED", P.closed), Column("FAILED", P.failed),
    ]

    static let wideColumns = [
        Column("MIN-RTT") { r in r.number(P.minRtt).map(Subflows.milliseconds) ?? "-" },
        Column("DELIVERY") { r in r.number(P.deliveryRate).map(Subflows.bitRate) ?? "-" },
        Column("SHARE", P.sendShare), Column("LAST-CLOSE", P.lastCloseReason),
    ]

    /// Established/all.
    static func subflows(_ r: TableRow) -> String { "\(r.text(P.established))/\(r.text(P.subflows))" }

    /// Mean/max smoothed RTT in milliseconds.
    static func rtt(_ r: TableRow) -> String {
        guard let mean = r.number(P.rttMean), let max = r.number(P.rttMax) else { return "-" }
        return "\(Subflows.milliseconds(mean))/\(Subflows.milliseconds(max))"
    }
}

struct PathCloses: TableView {
    static let configuration = CommandConfiguration(
        commandName: "path-closes",
        abstract: "Why subflows ended, per local address and reason, since the agent started following events.",
        discussion: """
            One row per address and reason that occurred (mptcpPathCloseTable). REASON: orderly, \
            withConnection, tcpReset, timeout, removedByPathManager, joinRefused, aborted (ss -K), \
            otherError, or mpTcpRst... with the MP_TCPRST reason code the peer sent. LAST is the \
            agent's sysUpTime when the last of them ended.
            """)
    static let table = PC.table
    @OptionGroup var snmp: SNMPArguments

    static let columns = [
        Column("ADDRESS", index: 1), Column("REASON") { r in ValueText.format(.integer(Int32(bitPattern: r.index.last ?? 0)), PC.reason.syntax) },
        Column("SUBFLOWS", PC.subflows), Column("LAST", PC.lastTime),
    ]
}

struct Counters: TableView {
    static let configuration = CommandConfiguration(
        abstract: "Every MPTcpExt counter of the agent's kernel, by name, like `nstat -az`.")
    static let table = CT.table
    @OptionGroup var snmp: SNMPArguments
    @Flag(help: "Only counters that are not zero.") var nonzero = false

    func keep(_ r: TableRow) -> Bool { !nonzero || (r.number(CT.value) ?? r.number(CT.gauge) ?? 0) != 0 }

    /// The kernel's order (that of mptcpStats, Linux 6.18), then counters of newer kernels by name.
    static func order(_ rows: [TableRow]) -> [TableRow] {
        let rank = Dictionary(uniqueKeysWithValues: MPTCPMIB.Stats.kernelNames.enumerated().map { ($1, $0) })
        func key(_ r: TableRow) -> (Int, String) {
            let name = r.index(0)
            return (rank[name] ?? rank.count, name)
        }
        return rows.sorted { key($0) < key($1) }
    }

    static let columns = [
        Column("NAME", index: 0), Column("VALUE") { r in r[CT.value] != nil ? r.text(CT.value) : r.text(CT.gauge) },
        Column("KIND") { r in r[CT.value] != nil ? "counter" : "gauge" },
    ]
}
