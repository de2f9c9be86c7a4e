import ArgumentParser
import MPTCPMIB
import MPTCPModel
import NetSNMP
import SMI

/// Reads a table, then prints it as text columns or as JSON rows.
protocol TableView: ParsableCommand {
    var snmp: SNMPArguments { get }
    static var table: MIBTable { get }
    static var headers: [String] { get }
    static func cells(_ row: TableRow) -> [String]
    /// Rows to show (all by default).
    func keep(_ row: TableRow) -> Bool
    /// The order to show them in (index order by default).
    static func order(_ rows: [TableRow]) -> [TableRow]
}

extension TableView {
    func keep(_ row: TableRow) -> Bool { true }
    static func order(_ rows: [TableRow]) -> [TableRow] { rows }

    func run() throws {
        try reporting { try Self.show(snmp.session(), json: snmp.json, keep) }
    }

    /// Reads and prints the table over an open session (also after a write).
    static func show(_ client: MIBClient, json: Bool, _ keep: (TableRow) -> Bool = { _ in true }) throws {
        let rows = order(try client.rows(table).filter(keep))
        if json {
            emit(JSON.array(rows.map(\.json)).render())
        } else {
            emit(TextTable(headers: headers, rows: rows.map(cells)).render())
        }
    }
}

typealias C = MPTCPMIB.ConnectionTable
typealias S = MPTCPMIB.SubflowTable
typealias E = MPTCPMIB.EndpointTable
typealias R = MPTCPMIB.RemoteAddressTable
typealias L = MPTCPMIB.ListenerTable
typealias CT = MPTCPMIB.CounterTable
typealias P = MPTCPMIB.PathTable
typealias X = MPTCPMIB.ContextTable

struct Connections: TableView {
    static let configuration = CommandConfiguration(
        abstract: "MPTCP connections, like `ss -M`.",
        discussion: "JSON rows have one key per column of mptcpConnectionTable, named without the prefix (localPort, bytesSent, ...), and the index (token).")
    static let table = C.table
    @OptionGroup var snmp: SNMPArguments

    static let headers = ["TOKEN", "LOCAL", "REMOTE", "STATE", "SUBFLOWS", "FLAGS", "SENT", "RECEIVED", "RETRANS"]
    static func cells(_ r: TableRow) -> [String] {
        [r.decodedIndex.first?.text ?? "?", r.endpoint(C.localAddress, C.localPort), r.endpoint(C.remoteAddress, C.remotePort),
         r.text(C.state), r.text(C.subflowsTotal), r.text(C.flags), r.text(C.bytesSent), r.text(C.bytesReceived),
         r.text(C.retransmits)]
    }
}

struct Subflows: TableView {
    static let configuration = CommandConfiguration(
        abstract: "Subflows of MPTCP connections (all, or those of TOKEN), like `ss -ti`.",
        discussion: "RTT is in milliseconds. KIND: initial (MP_CAPABLE) or join (MP_JOIN); BACKUP: local, remote or both. JSON rows follow mptcpSubflowTable (rtt in microseconds).")
    static let table = S.table
    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "A connection token (hex, as `connections` prints it).") var token: String?

    func validate() throws {
        if let token, UInt32(token.hasPrefix("0x") ? String(token.dropFirst(2)) : token, radix: 16) == nil {
            throw ValidationError("'\(token)' is not a token in hex")
        }
    }

    func keep(_ r: TableRow) -> Bool {
        guard let token else { return true }
        return r.index.first == UInt32(token.hasPrefix("0x") ? String(token.dropFirst(2)) : token, radix: 16)
    }

    static let headers = ["TOKEN", "LOCAL", "REMOTE", "IDS", "KIND", "BACKUP", "IFINDEX", "RTT", "CWND", "SENT", "ACKED", "RECEIVED", "RETRANS"]
    static func cells(_ r: TableRow) -> [String] {
        let s = Shown(r)
        return [s.token, s.local, s.remote, s.ids, s.kind, s.backup, r.text(S.ifIndex), s.rtt, r.text(S.cwnd),
                r.text(S.bytesSent), r.text(S.bytesAcked), r.text(S.bytesReceived), r.text(S.totalRetrans)]
    }

    /// The cells of a subflow that need more than one column to compute (also for `watch`).
    struct Shown {
        let token, local, remote, ids, kind, backup, rtt: String

        init(_ r: TableRow) {
            let index = r.decodedIndex
            func socket(_ a: Int, _ p: Int) -> String {
                guard index.count == 7, case .address(let address?) = index[a], case .number(let port) = index[p],
                      let port = UInt16(exactly: port) else { return "?" }
                return SocketAddress(address: address, port: port).description
            }
            let flags = r.flags(S.flags, as: SubflowFlags.self) ?? []
            let sides = [flags.contains(.backupLocal) ? "local" : nil, flags.contains(.backupRemote) ? "remote" : nil].compactMap { $0 }
            token = index.first?.text ?? "?"
            local = socket(2, 3)
            remote = socket(5, 6)
            ids = "\(r.text(S.localID))/\(r.text(S.remoteID))"
            kind = flags.isDisjoint(with: [.joinLocal, .joinRemote]) ? "initial" : "join"
            backup = sides.count == 2 ? "both" : sides.first ?? "-"
            rtt = r.number(S.rtt).map { Subflows.milliseconds($0) } ?? "-"
        }
    }

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

    static let headers = ["ID", "ADDRESS", "PORT", "IFINDEX", "FLAGS", "STATUS"]
    static func cells(_ r: TableRow) -> [String] {
        [r.decodedIndex.first?.text ?? "?", r.text(E.address), r.text(E.port), r.text(E.ifIndex), r.text(E.flags), r.text(E.rowStatus)]
    }
}

struct RemoteAddresses: TableView {
    static let configuration = CommandConfiguration(
        commandName: "remote-addresses",
        abstract: "Peer addresses of each connection: seen on subflows and announced (ADD_ADDR).")
    static let table = R.table
    @OptionGroup var snmp: SNMPArguments

    static let headers = ["TOKEN", "ID", "ADDRESS", "PORT", "SOURCE", "SUBFLOWS"]
    static func cells(_ r: TableRow) -> [String] {
        let index = r.decodedIndex
        return [index.first?.text ?? "?", index.count > 1 ? index[1].text : "?", r.text(R.address), r.text(R.port),
                r.text(R.source), r.text(R.subflows)]
    }
}

struct Listeners: TableView {
    static let configuration = CommandConfiguration(abstract: "MPTCP listening sockets, like `ss -Ml`.")
    static let table = L.table
    @OptionGroup var snmp: SNMPArguments

    static let headers = ["ADDRESS", "PORT", "SOCKETS", "ACCEPT-QUEUE", "BACKLOG"]
    static func cells(_ r: TableRow) -> [String] {
        let index = r.decodedIndex
        // The wildcard of both families (address type unknown, no address) as ss shows it.
        let address = index.count == 3 ? index[1].cell : "?"
        return [address.isEmpty ? "*" : address, index.last?.text ?? "?", r.text(L.sockets), r.text(L.acceptQueue),
                r.text(L.backlog)]
    }
}

struct Contexts: TableView {
    static let configuration = CommandConfiguration(
        abstract: "SNMP contexts the agent serves for other network namespaces (read in the default context).",
        discussion: """
            Each row is a network namespace the agent serves as the SNMP context of its name:             give that name with -n (SNMPv3), or use a community that snmpd maps to it, to read and             change MPTCP there with every other command.
            """)
    static let table = X.table
    @OptionGroup var snmp: SNMPArguments

    static let headers = ["CONTEXT", "STATE", "NAMESPACE", "ERROR"]
    static func cells(_ r: TableRow) -> [String] {
        [r.decodedIndex.first?.cell ?? "?", r.text(X.state), r.text(X.namespace), r[X.error].map { ValueText.format($0, X.error.syntax) } ?? ""]
    }
}

struct Paths: TableView {
    static let configuration = CommandConfiguration(
        abstract: "Each local address as a path: its subflows now, their traffic and RTT, and subflow events since the agent started.",
        discussion: """
            One row per local address that subflows use or an endpoint names (mptcpPathTable): a \
            few rows whatever the number of connections. SUBFLOWS is established/all; RTT is the \
            mean/max smoothed RTT in milliseconds; SENT and RECEIVED are sums over the current \
            subflows (they drop when a subflow closes); OPENED, CLOSED and FAILED count subflow \
            events since the agent started following them ("-" without CAP_NET_ADMIN).
            """)
    static let table = P.table
    @OptionGroup var snmp: SNMPArguments

    static let headers = ["ADDRESS", "IFINDEX", "ENDPOINT", "SUBFLOWS", "ACTIVE", "BACKUP", "CONNECTIONS", "SENT", "RECEIVED",
                          "RETRANS", "RTT", "OPENED", "CLOSED", "FAILED"]
    static func cells(_ r: TableRow) -> [String] {
        let endpoint = r.number(P.endpointID).map { $0 == 0 ? "-" : "\($0) \(r.text(P.endpointFlags))" } ?? "-"
        return [address(r), r.text(P.ifIndex), endpoint, subflows(r), r.text(P.active), r.text(P.backup),
                r.text(P.connections), r.text(P.bytesSent), r.text(P.bytesReceived), r.text(P.retransmits), rtt(r),
                r.text(P.opened), r.text(P.closed), r.text(P.failed)]
    }

    static func address(_ r: TableRow) -> String {
        let index = r.decodedIndex
        return index.count == 2 ? index[1].cell : "?"
    }

    /// Established/all.
    static func subflows(_ r: TableRow) -> String { "\(r.text(P.established))/\(r.text(P.subflows))" }

    /// Mean/max smoothed RTT in milliseconds.
    static func rtt(_ r: TableRow) -> String {
        guard let mean = r.number(P.rttMean), let max = r.number(P.rttMax) else { return "-" }
        return "\(Subflows.milliseconds(mean))/\(Subflows.milliseconds(max))"
    }
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
            let name = r.decodedIndex.first?.cell ?? ""
            return (rank[name] ?? rank.count, name)
        }
        return rows.sorted { key($0) < key($1) }
    }

    static let headers = ["NAME", "VALUE", "KIND"]
    static func cells(_ r: TableRow) -> [String] {
        [r.decodedIndex.first?.cell ?? "?", r[CT.value] != nil ? r.text(CT.value) : r.text(CT.gauge),
         r[CT.value] != nil ? "counter" : "gauge"]
    }
}
