import ArgumentParser
import MPTCPMIB
import MPTCPModel
import NetSNMP
import Platform
import SMI

#if canImport(Glibc)
import Glibc
#endif

typealias EL = MPTCPMIB.EventLog
typealias ELT = MPTCPMIB.EventLogTable

/// sysUpTime.0 (SNMPv2-MIB): turns TimeStamps into times of day.
let sysUpTime: OID = [1, 3, 6, 1, 2, 1, 1, 3, 0]

/// The log's state as the agent reports it, and the clock to read its TimeStamps with.
struct EventLogState {
    let lastIndex: UInt32
    let size: UInt64
    let dropped: UInt64
    let since: UInt64
    /// sysUpTime (hundredths) and this host's clock (seconds since the epoch) read together.
    let uptime: UInt64
    let now: Double

    init(_ client: MIBClient) throws {
        let objects = [EL.lastIndex, EL.size, EL.dropped, EL.discontinuityTime]
        let values = try client.scalars(objects, lacking: "an agent without the event log")
        let numbers = try MIBClient.numbers(values, of: objects)
        (lastIndex, size, dropped, since) = (UInt32(truncatingIfNeeded: numbers[0]), numbers[1], numbers[2], numbers[3])
        uptime = try client.get(sysUpTime).value.number ?? 0
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        now = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A TimeStamp as the time of day it happened (local time, HH:MM:SS.hh).
    func clock(_ stamp: UInt64) -> String {
        let at = now - Double(uptime >= stamp ? uptime - stamp : 0) / 100
        var seconds = time_t(at)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let hundredths = Int32((at - Double(seconds)) * 100)
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(two(hundredths))"
    }
}

extension TableRow {
    /// One event log entry as a line: index, time, kind, then what the event carries.
    func eventLine(_ log: EventLogState) -> String {
        var words = [String(index.first ?? 0), number(ELT.time).map(log.clock) ?? "-", text(ELT.kind)]
        if let token = self[ELT.token] { words.append("token=" + ValueText.format(token, ELT.token.syntax)) }
        let local = self[ELT.localAddress] != nil ? endpoint(ELT.localAddress, ELT.localPort) : nil
        let remote = self[ELT.remoteAddress] != nil ? endpoint(ELT.remoteAddress, ELT.remotePort) : nil
        switch (local, remote) {
        case let (l?, r?): words.append("\(l) -> \(r)")
        case let (l?, nil): words.append(l)
        case let (nil, r?): words.append("peer \(r)")
        default: break
        }
        for (name, column) in [("locid", ELT.localID), ("remid", ELT.remoteID), ("backup", ELT.backup), ("error", ELT.error),
                               ("reset", ELT.resetReason), ("causes", ELT.fallbackCauses)] where self[column] != nil {
            words.append("\(name)=\(text(column))")
        }
        return words.joined(separator: " ")
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The agent's event log (mptcpEventLogTable): path-manager events, fallbacks to TCP and blackhole detections, oldest first.",
        discussion: """
            Each line: the entry's index, the time of day it happened (this host's clock, \
            from the agent's sysUpTime), what happened, and what the event carries (token, \
            addresses, ids, error, MP_TCPRST reason, fallback causes). With --follow, polls \
            for entries after the last one printed, like `ip mptcp monitor` over the network; \
            it says when entries were removed before they could be read and when the agent \
            restarted. With --json, one JSON object per entry and line (keys as in the MIB: \
            index, time, kind, token, ...).

            Example: mptcp-mib events -c public 127.0.0.1 --follow
            """)
    @OptionGroup var snmp: SNMPArguments
    @Flag(help: "Keep polling for new entries until interrupted.") var follow = false
    @Option(help: "Seconds between polls with --follow.") var interval = 2.0
    @Option(help: "Only entries after this index.") var after: UInt32 = 0

    func validate() throws {
        if interval < 0.1 || interval > 3600 { throw ValidationError("--interval must be between 0.1 and 3600 s") }
    }

    func run() throws {
        try reporting {
            let client = try snmp.session()
            var last = after
            var since: UInt64?
            while true {
                let log = try EventLogState(client)
                if let since, since != log.since || log.lastIndex < last {
                    note("the agent's log started over (the agent restarted)")
                    last = 0
                }
                since = log.since
                let rows = last < log.lastIndex ? try client.rows(ELT.table, after: [last]) : []
                let first = rows.first?.index.first ?? (log.lastIndex + 1)
                if first > last + 1 && log.lastIndex > last {
                    note("\(min(first, log.lastIndex + 1) - last - 1) entries were removed before they could be read (mptcpEventLogSize \(log.size))")
                }
                for row in rows { emit(snmp.json ? row.json.render() : row.eventLine(log)) }
                last = max(last, rows.last?.index.first ?? log.lastIndex)
                guard follow else { return }
                fflush(nil)  // each poll's lines reach a pipe (a log collector) at once
                usleep(UInt32(interval * 1_000_000))
            }
        }
    }

    /// A remark about the log itself, in the output's format.
    private func note(_ text: String) {
        emit(snmp.json ? JSON.object([("note", .string(text))]).render() : "-- \(text)")
    }
}

/// A finding of `diagnose`: what is wrong (or limits multipath), and what would change it.
struct Finding {
    let problem: Bool
    let text: String
    let fixes: [String]

    var json: JSON {
        .object([("problem", .bool(problem)), ("text", .string(text)), ("fix", .array(fixes.map { .string($0) }))])
    }
}

struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Why connections are not multipath: the host's MPTCP settings, and per connection what limits it, from SNMP alone.",
        discussion: """
            Reads MPTCP-MIB and says, in words: whether MPTCP is enabled and which path manager \
            decides, the limits against the endpoints, endpoints whose address no interface \
            holds, blackhole detection, connections that fell back to TCP and why, and for \
            each connection what stops it from having more subflows \
            (mptcpConnectionLimitingFactor), each with the command that would change it. With \
            a TOKEN (hex), that connection in detail with its entries in the event log. Exits \
            0 when nothing is wrong, 1 when a problem was found (other codes: SNMP errors, as \
            the other commands).

            Example: mptcp-mib diagnose -c public 127.0.0.1
            """)
    @OptionGroup var snmp: SNMPArguments
    @OptionGroup var connection: TokenArgument

    func run() throws {
        var problems = false
        try reporting {
            let client = try snmp.session()
            let report = try Self.report(client, target: snmp.target, token: connection.value)
            problems = report.findings.contains(where: \.problem)
            if snmp.json {
                emit(JSON.object([("summary", .array(report.summary.map { .string($0) })),
                                  ("findings", .array(report.findings.map(\.json))),
                                  ("events", .array(report.events.map(\.json)))]).render())
            } else {
                emit(report.summary.joined(separator: "\n"))
                for f in report.findings {
                    emit("\n\(f.problem ? "problem" : "note"): \(f.text)")
                    for fix in f.fixes { emit("  fix: \(fix)") }
                }
                if !report.events.isEmpty, let log = report.log {
                    emit("\nevents of this connection:")
                    for row in report.events { emit("  " + row.eventLine(log)) }
                }
            }
        }
        if problems { throw ExitCode(1) }
    }

    struct Report {
        var summary: [String] = []
        var findings: [Finding] = []
        var events: [TableRow] = []
        var log: EventLogState?
    }

    static func report(_ client: MIBClient, target: String, token: UInt32?) throws -> Report {
        var r = Report()
        func scalar(_ o: MIBObject) throws -> SNMPValue? {
            let v = try client.get(o.oid + [0]).value
            return v.isException ? nil : v
        }
        let stats = MPTCPMIB.Stats.self
        let enabled = try scalar(G.enabled) == .integer(1)
        let pm = try scalar(G.pathManager).map { ValueText.format($0, G.pathManager.syntax) } ?? "kernel"
        let subflows = try scalar(G.limitSubflows)?.number ?? 0
        let accepted = try scalar(G.limitAddAddrAccepted)?.number ?? 0
        let endpoints = try client.rows(E.table)
        let paths = try client.rows(P.table)
        let connections = try client.rows(C.table)
        r.summary.append("MPTCP \(enabled ? "enabled" : "disabled"), path manager \(pm), limits: subflows \(subflows), add_addr_accepted \(accepted), \(endpoints.count) endpoint\(endpoints.count == 1 ? "" : "s")")
        let fallen = connections.filter { $0.flags(C.flags, as: ConnectionFlags.self)?.contains(.fallback) ?? false }
        var byFactor: [String: Int] = [:]
        for c in connections { byFactor[c.text(C.limitingFactor), default: 0] += 1 }
        r.summary.append("\(connections.count) connection\(connections.count == 1 ? "" : "s"), \(fallen.count) in fallback to TCP"
            + (byFactor.isEmpty ? "" : "; limited by: " + byFactor.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))

        if !enabled {
            r.findings.append(Finding(problem: true, text: "MPTCP is disabled (net.mptcp.enabled 0): applications get plain TCP",
                                      fixes: ["mptcp-mib set \(target) mptcpEnabled.0 true", "sysctl -w net.mptcp.enabled=1"]))
        }
        let signals = endpoints.filter { $0.flags(E.flags, as: MPTCPModel.EndpointFlags.self)?.contains(.signal) ?? false }
        let subflowEndpoints = endpoints.filter { !($0.flags(E.flags, as: MPTCPModel.EndpointFlags.self) ?? []).isDisjoint(with: [.subflow, .fullmesh, .laminar]) }
        if pm == "kernel" && subflows == 0 {
            r.findings.append(Finding(problem: !(subflowEndpoints.isEmpty && signals.isEmpty),
                                      text: "subflow limit 0: no additional subflows will be created or accepted",
                                      fixes: ["mptcp-mib limits set \(target) subflows 2", "ip mptcp limits set subflows 2"]))
        }
        // An endpoint whose address is on no interface: the kernel cannot use it.
        for e in endpoints {
            guard case .octets(let bytes)? = e[E.address], let address = IPAddress(bytes: bytes) else { continue }
            let path = paths.first { row in row.decodedIndex.contains { if case .address(address) = $0 { true } else { false } } }
            if (path?.number(P.ifIndex) ?? 0) == 0 {
                let id = e.index(0)
                r.findings.append(Finding(problem: true, text: "endpoint \(id) (\(address)) is not an address of any interface: the kernel cannot use it",
                                          fixes: ["mptcp-mib endpoint delete \(target) \(id)", "ip mptcp endpoint delete id \(id)"]))
            }
        }
        let blackholes = try scalar(stats.object(kernelName: "Blackhole")!)?.number
        let timeout = try scalar(G.blackholeTimeout)?.number ?? 0
        r.summary.append("blackhole detection: " + (timeout == 0 ? "off (mptcpBlackholeTimeout 0)"
            : blackholes.map { "\($0) detection\($0 == 1 ? "" : "s"), timeout \(timeout) s" } ?? "not reported by this kernel"))
        if let blackholes, blackholes > 0 {
            let disabled = try scalar(stats.object(kernelName: "MPCapableSYNTXDisabled")!)?.number ?? 0
            r.findings.append(Finding(problem: true,
                text: "blackhole detection switched MPTCP off \(blackholes) time\(blackholes == 1 ? "" : "s"): SYNs with MP_CAPABLE went unanswered while TCP got through, so something on the path drops MPTCP; \(disabled) connection\(disabled == 1 ? " was" : "s were") opened as plain TCP meanwhile (for \(timeout) s after a detection, doubling on repeats)",
                fixes: ["find the middlebox that drops MPTCP SYNs; writing net.mptcp.blackhole_timeout re-enables MPTCP at once: mptcp-mib set \(target) mptcpBlackholeTimeout.0 \(timeout)"]))
        }
        if !fallen.isEmpty {
            var causes: [String: Int] = [:]
            for c in fallen { causes[c.self[C.fallbackCauses] == nil ? "not seen (before the agent started)" : c.text(C.fallbackCauses), default: 0] += 1 }
            r.findings.append(Finding(problem: true, text: "\(fallen.count) connection\(fallen.count == 1 ? "" : "s") fell back to TCP, attributed to: "
                + causes.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "),
                fixes: ["mptcp-mib events \(target) shows when each fell back"]))
        }
        let shown = token.map { t in connections.filter { $0.index.first == t } } ?? connections
        if let token, shown.isEmpty { throw CLIError(.noSuchObject, "no connection with token \(String(token, radix: 16))") }
        var explained: Set<String> = []
        for c in shown {
            let factor = c.text(C.limitingFactor)
            guard let (problem, why, fixes) = explanation(factor, target: target, subflows: subflows, accepted: accepted) else { continue }
            // Without a token, each kind of limit once, with how many it limits (fallbacks,
            // open joins and closing connections are said above or need no words).
            if token == nil {
                guard !["fallback", "none", "closing"].contains(factor), explained.insert(factor).inserted else { continue }
                r.findings.append(Finding(problem: problem, text: "\(byFactor[factor] ?? 0) connection(s) limited by \(factor): \(why)", fixes: fixes))
            } else {
                r.findings.append(Finding(problem: problem,
                    text: "connection \(c.index(0)) \(c.endpoint(C.localAddress, C.localPort)) -> \(c.endpoint(C.remoteAddress, C.remotePort)), \(c.text(C.subflowsTotal)) subflow(s): limited by \(factor): \(why)",
                    fixes: fixes))
            }
        }
        if let token {
            let log = try EventLogState(client)
            r.log = log
            r.events = try client.rows(ELT.table).filter { $0.number(ELT.token) == UInt64(token) }
        }
        return r
    }

    /// What a limiting factor means and what would lift it.
    static func explanation(_ factor: String, target: String, subflows: UInt64, accepted: UInt64)
        -> (problem: Bool, why: String, fixes: [String])? {
        switch factor {
        case "subflowLimit":
            return (subflows == 0, "its additional subflows reached the subflows limit (\(subflows))",
                    ["mptcp-mib limits set \(target) subflows \(subflows + 1)", "ip mptcp limits set subflows \(subflows + 1)"])
        case "addAddrAcceptedLimit":
            return (true, "the peer announced an address that cannot be used: add_addr_accepted reached its limit (\(accepted))",
                    ["mptcp-mib limits set \(target) add-addr-accepted \(accepted + 1)", "ip mptcp limits set add_addr_accepted \(accepted + 1)"])
        case "noLocalEndpoint":
            return (false, "more subflows need a local endpoint this host does not have",
                    ["mptcp-mib endpoint add \(target) ADDRESS subflow", "ip mptcp endpoint add ADDRESS dev IFNAME subflow"])
        case "noPeerAddress":
            return (false, "the local endpoints are used and the peer announced no other address: only the peer can add a path", [])
        case "joinFailed":
            return (true, "a join failed (the peer refused or reset it, or it timed out) and the kernel does not retry it",
                    ["mptcp-mib events \(target) shows the subflow's error and reset reason"])
        case "userspacePathManager":
            return (false, "a userspace path manager (mptcpd) decides its subflows", [])
        case "fallback":
            return (true, "it fell back to plain TCP", ["mptcp-mib events \(target) shows when and why"])
        case "none":
            return (false, "more subflows are on their way", [])
        case "closing":
            return (false, "it is closing", [])
        default:
            return nil
        }
    }
}
