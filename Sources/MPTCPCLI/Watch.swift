import ArgumentParser
import Platform
import MPTCPMIB
import NetSNMP
import SMI

#if canImport(Glibc)
import Glibc
#endif

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A refreshing view of paths, connections and subflows with per-interval rates and counter deltas.",
        discussion: """
            Every interval: the paths (mptcpPathTable) with subflows opened and failed per second, \
            connections and subflows with bytes/s and retransmissions/s since the previous read, \
            and the MPTcpExt counters that moved. Runs until interrupted (or --count reads). With \
            --json, prints one JSON object per line and interval.

            Example: mptcp-mib watch -c public 127.0.0.1 --interval 5
            """)
    @OptionGroup var snmp: SNMPArguments
    @Option(help: "Seconds between reads.") var interval = 2.0
    @Option(help: "Stop after this many reads (0: until interrupted).") var count = 0

    struct Reading {
        let time: Double
        let paths: [TableRow]
        let connections: [TableRow]
        let subflows: [TableRow]
        let counters: [String: UInt64]
    }

    func validate() throws {
        if interval < 0.1 || interval > 3600 { throw ValidationError("--interval must be between 0.1 and 3600 s") }
        if count < 0 { throw ValidationError("--count must be 0 or more") }
    }

    func run() throws {
        try reporting {
            let client = try snmp.session()
            var previous: Reading?
            var n = 0
            while count == 0 || n < count {
                if n > 0 { usleep(UInt32(interval * 1_000_000)) }
                let reading = try read(client)
                show(reading, previous)
                previous = reading
                n += 1
            }
        }
    }

    func read(_ client: MIBClient) throws -> Reading {
        let time = MonotonicClock.now
        var counters: [String: UInt64] = [:]
        for row in try client.rows(CT.table) {
            if case .text(let name)? = row.decodedIndex.first { counters[name] = row.number(CT.value) ?? row.number(CT.gauge) ?? 0 }
        }
        return Reading(time: time, paths: try client.rows(P.table), connections: try client.rows(C.table),
                       subflows: try client.rows(S.table), counters: counters)
    }

    /// Per-second change of a counter column between two readings of the same row.
    static func rate(_ row: TableRow, _ before: [[UInt32]: TableRow], _ column: MIBObject, _ seconds: Double) -> Double? {
        guard seconds > 0, let now = row.number(column), let old = before[row.index]?.number(column), now >= old else { return nil }
        return Double(now - old) / seconds
    }

    static func text(_ r: Double?) -> String {
        guard let r else { return "-" }
        return r >= 10 || r == 0 ? "\(Int(r.rounded()))" : "\((r * 10).rounded() / 10)"
    }

    func show(_ now: Reading, _ previous: Reading?) {
        let seconds = previous.map { now.time - $0.time } ?? 0
        let oldPaths = Dictionary(previous?.paths.map { ($0.index, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        let oldConnections = Dictionary(previous?.connections.map { ($0.index, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        let oldSubflows = Dictionary(previous?.subflows.map { ($0.index, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        let deltas = now.counters.compactMap { name, v -> (String, Int64)? in
            guard let old = previous?.counters[name], v != old else { return nil }
            return (name, Int64(bitPattern: v &- old))
        }.sorted { $0.0 < $1.0 }
        func rates(_ r: TableRow, _ old: [[UInt32]: TableRow], sent: MIBObject, received: MIBObject, retrans: MIBObject) -> [Double?] {
            [Self.rate(r, old, sent, seconds), Self.rate(r, old, received, seconds), Self.rate(r, old, retrans, seconds)]
        }
        if snmp.json {
            func row(_ r: TableRow, _ old: [[UInt32]: TableRow], _ s: MIBObject, _ rc: MIBObject, _ rt: MIBObject) -> JSON {
                let x = rates(r, old, sent: s, received: rc, retrans: rt)
                guard case .object(var fields) = r.json else { return r.json }
                fields += [("sentPerSecond", x[0].map { .double($0) } ?? .null), ("receivedPerSecond", x[1].map { .double($0) } ?? .null),
                           ("retransmitsPerSecond", x[2].map { .double($0) } ?? .null)]
                return .object(fields)
            }
            func path(_ r: TableRow) -> JSON {
                guard case .object(var fields) = r.json else { return r.json }
                let opened = Self.rate(r, oldPaths, P.opened, seconds), failed = Self.rate(r, oldPaths, P.failed, seconds)
                fields += [("openedPerSecond", opened.map { .double($0) } ?? .null), ("failedPerSecond", failed.map { .double($0) } ?? .null)]
                return .object(fields)
            }
            emit(JSON.object([
                ("intervalSeconds", .double(seconds)),
                ("paths", .array(now.paths.map(path))),
                ("connections", .array(now.connections.map { row($0, oldConnections, C.bytesSent, C.bytesReceived, C.retransmits) })),
                ("subflows", .array(now.subflows.map { row($0, oldSubflows, S.bytesSent, S.bytesReceived, S.totalRetrans) })),
                ("counterDeltas", .object(deltas.map { ($0.0, .int($0.1)) })),
            ]).compact)
            return
        }
        var out = "\u{1B}[H\u{1B}[2J"
        out += "mptcp-mib watch \(snmp.target), every \(interval) s: \(now.connections.count) connections, \(now.subflows.count) subflows\n\n"
        var paths = TextTable(headers: ["PATH", "SUBFLOWS", "ACTIVE", "BACKUP", "CONNECTIONS", "RTT", "OPENED/s", "FAILED/s"])
        for r in now.paths {
            paths.rows.append([r.index(1), Paths.subflows(r), r.text(P.active), r.text(P.backup), r.text(P.connections), Paths.rtt(r),
                               Self.text(Self.rate(r, oldPaths, P.opened, seconds)), Self.text(Self.rate(r, oldPaths, P.failed, seconds))])
        }
        out += paths.render() + "\n\n"
        var connections = TextTable(headers: ["TOKEN", "LOCAL", "REMOTE", "SUBFLOWS", "SENT/s", "RECV/s", "RETRANS/s"])
        for r in now.connections {
            let x = rates(r, oldConnections, sent: C.bytesSent, received: C.bytesReceived, retrans: C.retransmits)
            connections.rows.append([r.index(0), r.endpoint(C.localAddress, C.localPort),
                                     r.endpoint(C.remoteAddress, C.remotePort), r.text(C.subflowsTotal)] + x.map(Self.text))
        }
        var subflows = TextTable(headers: ["TOKEN", "LOCAL", "REMOTE", "RTT", "SENT/s", "RECV/s", "RETRANS/s"])
        for r in now.subflows {
            let x = rates(r, oldSubflows, sent: S.bytesSent, received: S.bytesReceived, retrans: S.totalRetrans)
            subflows.rows.append([r.index(0), Subflows.socket(r, local: true), Subflows.socket(r, local: false), Subflows.rtt(r)]
                                 + x.map(Self.text))
        }
        out += connections.render() + "\n\n" + subflows.render() + "\n\n"
        out += deltas.isEmpty ? "counters: no change\n" : "counter changes: " + deltas.map { "\($0.0) +\($0.1)" }.joined(separator: "  ") + "\n"
        print(out, terminator: "")
        fflush(nil)
    }
}
