import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// mptcpPathTable's event counts against what the kernel did, listener wildcards, and a
/// summary that does not grow with the number of connections.
@Suite("Path summaries through snmpd", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct PathSummaryIntegrationTests {
    typealias P = MPTCPMIB.PathTable

    struct Counts: Equatable { var opened: UInt64, closed: UInt64, failed: UInt64 }

    /// The event counts of each path row, by address.
    static func counts(_ tools: SNMPTools) throws -> [IPAddress: Counts] {
        var out: [IPAddress: Counts] = [:]
        for vb in try tools.walk(P.table.entryOID.dotted) {
            let column = vb.oid[P.table.entryOID.count]
            guard [P.opened.subID, P.closed.subID, P.failed.subID].contains(column),
                  let index = MIBNames.decodeIndex(vb.oid[(P.table.entryOID.count + 1)...], table: P.table),
                  case .address(let a?) = index[1], let n = vb.number else { continue }
            var c = out[a] ?? Counts(opened: 0, closed: 0, failed: 0)
            switch column {
            case P.opened.subID: c.opened = n
            case P.closed.subID: c.closed = n
            default: c.failed = n
            }
            out[a] = c
        }
        return out
    }

    /// mptcpPathCloseTable: the subflows closed per address and reason.
    static func closes(_ tools: SNMPTools) throws -> [IPAddress: [SubflowCloseReason: UInt64]] {
        typealias C = MPTCPMIB.PathCloseTable
        var out: [IPAddress: [SubflowCloseReason: UInt64]] = [:]
        for vb in try tools.walk(C.subflows.oid.dotted) {
            let index = try #require(MIBNames.decodeIndex(vb.oid[C.subflows.oid.count...], table: C.table))
            guard case .address(let a?) = index[1], case .number(let r) = index[2],
                  let reason = SubflowCloseReason(rawValue: Int32(r)), let n = vb.number else {
                Issue.record("mptcpPathCloseTable: \(vb)")
                continue
            }
            out[a, default: [:]][reason] = n
        }
        return out
    }

    /// mptcpPathLastCloseReason of each path that has one.
    static func lastCloseReasons(_ tools: SNMPTools) throws -> [IPAddress: SubflowCloseReason] {
        var out: [IPAddress: SubflowCloseReason] = [:]
        for vb in try tools.walk(P.lastCloseReason.oid.dotted) {
            guard let index = MIBNames.decodeIndex(vb.oid[P.lastCloseReason.oid.count...], table: P.table),
                  case .address(let a?) = index[1], let r = Int32(vb.value).flatMap(SubflowCloseReason.init) else { continue }
            out[a] = r
        }
        return out
    }

    static func subflowCount(_ lab: Lab, _ filter: [String]) throws -> Int {
        try lab.exec(lab.client, ["ss", "-tnH"] + filter).split(separator: "\n").count
    }

    /// Waits until `condition` holds (the kernel closes subflows asynchronously).
    static func eventually(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        try waitUntil(what, timeout: timeout, interval: 0.1, condition)
    }

    @Test("Subflows killed with ss -K and closed by the peer's RM_ADDR move the counts by exactly that many")
    func eventCountsFollowTheKernel() throws {
        try requireIntegration()
        // The agent runs before any connection, so it sees every subflow open; cache-ttl 0:
        // each request reads the kernel, so a read after a change sees it.
        let s = try AgentLab(tag: "pa", v4: 6, v6: 0, agentArguments: ["--cache-ttl", "0"])
        defer { s.shutdown() }
        let initial = IPAddress("10.201.1.1")!, joined = IPAddress("10.201.2.1")!, backup = IPAddress("10.201.3.1")!
        let start = try Self.counts(s.tools)
        // Every current subflow was opened while the agent listened, and none closed; the
        // connection that fell back to TCP has no events, so its subflow is not counted.
        let fallbacks = Set(SSParser.sockets(try s.lab.exec(s.lab.client, ["ss", "-Mni"]))
            .filter { $0.words.contains("fallback") }.compactMap { $0.hex("token").map(UInt32.init) })
        #expect(fallbacks.count == 1)
        let mptcpSubflows = SSParser.subflows(try s.lab.exec(s.lab.client, ["ss", "-tni"]))
            .filter { !fallbacks.contains(SSParser.subflowTokens($0.info["token"]!)!.2) }
        for a in [initial, joined, backup] {
            let now = mptcpSubflows.filter { IPAddress($0.localAddress) == a }.count
            #expect(now == 6 && start[a] == Counts(opened: UInt64(now), closed: 0, failed: 0), "\(a): \(String(describing: start[a])), \(now) subflows")
        }

        // Kill the backup subflows: each closes with an error.
        let killed = try Self.subflowCount(s.lab, ["src", backup.description])
        #expect(killed == 6)
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", backup.description])
        try Self.eventually("the backup subflows to close") { try Self.subflowCount(s.lab, ["src", backup.description]) == 0 }
        try Self.eventually("the counts to move") { try Self.counts(s.tools)[backup]?.closed == UInt64(killed) }
        let afterKill = try Self.counts(s.tools)
        #expect(afterKill[backup] == Counts(opened: UInt64(killed), closed: UInt64(killed), failed: UInt64(killed)))
        #expect(afterKill[initial] == start[initial] && afterKill[joined] == start[joined])
        // Killed on this host (SOCK_DESTROY): each counted as aborted.
        #expect(try Self.closes(s.tools) == [backup: [.aborted: UInt64(killed)]])
        #expect(try Self.lastCloseReasons(s.tools) == [backup: .aborted])

        // The peer withdraws its announced address: the subflows to it close in order (RM_ADDR).
        let toAnnounced = try Self.subflowCount(s.lab, ["dst", "10.201.2.2"])
        #expect(toAnnounced == 6)
        let id = try #require(IPMPTCPParser.endpoints(try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "show"]))
            .first { $0.address == "10.201.2.2" }?.id)
        try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "delete", "id", "\(id)"])
        try Self.eventually("the subflows to the withdrawn address to close") { try Self.subflowCount(s.lab, ["dst", "10.201.2.2"]) == 0 }
        try Self.eventually("the counts to move") { try Self.counts(s.tools)[joined]?.closed == UInt64(toAnnounced) }
        let afterRemove = try Self.counts(s.tools)
        #expect(afterRemove[joined] == Counts(opened: start[joined]!.opened, closed: UInt64(toAnnounced), failed: 0))
        #expect(afterRemove[backup] == afterKill[backup] && afterRemove[initial] == start[initial])
        #expect(try Self.closes(s.tools) == [backup: [.aborted: UInt64(killed)], joined: [.removedByPathManager: UInt64(toAnnounced)]])
        #expect(try Self.lastCloseReasons(s.tools) == [backup: .aborted, joined: .removedByPathManager])
        // mptcp-mib path-closes shows the same rows.
        let cli = try CLITests.rows(try CLITests.cli(["path-closes"], CLITests.v2c(s) + ["--json"]))
        #expect(Set(cli.map { "\($0["address"] ?? "") \($0["reason"] ?? "") \($0["subflows"] ?? "")" })
                == ["10.201.3.1 aborted \(killed)", "10.201.2.1 removedByPathManager \(toAnnounced)"])
        // Every row equals what ss, ip addr and ip mptcp say now, failed path included.
        let truth = try KernelTruth.read(s.lab, s.lab.client)
        let expected = ExpectedMIB(truth: truth, countersAfter: truth.counters, announcedBy: [], bytesPerConnection: 1000)
        let paths = try s.tools.walk(P.oid.dotted)
        let diffs = expected.differences(paths, within: P.oid)
        #expect(diffs.isEmpty, "\(diffs.joined(separator: "\n"))")
        // The row of the killed path stays (its endpoint, and its history), with no subflow.
        let rows = try s.tools.get([P.subflows.oid.dotted + ".1.4.10.201.3.1", P.endpointID.oid.dotted + ".1.4.10.201.3.1"])
        #expect(rows.map(\.value) == ["0", "1"])
    }

    @Test("mptcpPathCloseTable counts each way a subflow ends, as the kernel ended it")
    func closeReasons() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "pr", traffic: false, agentArguments: ["--cache-ttl", "0"])
        defer { s.shutdown() }
        try s.lab.startServers()
        let lab = s.lab, traffic = Paths.executable("mptcp-traffic")
        let initial = IPAddress("10.201.1.1")!, joined = IPAddress("10.201.2.1")!, backup = IPAddress("10.201.3.1")!
        var expected: [IPAddress: [SubflowCloseReason: UInt64]] = [:]
        func count(_ n: Int, _ reason: SubflowCloseReason, on a: IPAddress) { expected[a, default: [:]][reason, default: 0] += UInt64(n) }
        func counted(_ what: String) throws {
            try Self.eventually("mptcpPathCloseTable to count \(what)", timeout: 15) { try Self.closes(s.tools) == expected }
            // Every close has one reason: per address, the reasons add up to mptcpPathSubflowsClosed.
            let closed = try Self.counts(s.tools).mapValues(\.closed).filter { $0.value > 0 }
            #expect(closed == expected.mapValues { $0.values.reduce(0, +) })
        }
        func client(_ filter: String) throws -> Int { try Self.subflowCount(lab, filter.split(separator: " ").map(String.init)) }
        func nft(_ rules: String) throws { try lab.exec(lab.server, ["nft", rules]) }
        var clients: [Daemon] = []
        /// Two connections sending in bulk (data on every non-backup subflow), with all their subflows.
        func bulk(_ name: String) throws {
            let before = try client("state established")
            let d = try lab.start(lab.client, [traffic, "connect", "--to", "10.201.1.2:5000", "--count", "2", "--bytes", "4000000",
                                               "--every-ms", "100"], name: name)
            clients.append(d)
            try d.waitForOutput("connected 2 failed 0", timeout: 30)
            try Self.eventually("\(name): 6 subflows") { try client("state established") == before + 6 }
        }

        // A TCP RST on the second path (nft answers the server's side of it with resets).
        try bulk("rst")
        let onJoined = try client("src 10.201.2.1")
        try nft("add table inet rst; add chain inet rst c { type filter hook input priority 0; };"
                + " add rule inet rst c iifname \(lab.prefix)s2 meta l4proto tcp reject with tcp reset")
        try Self.eventually("the reset subflows to close") { try client("src 10.201.2.1") == 0 }
        try nft("delete table inet rst")
        count(onJoined, .tcpReset, on: joined)
        try counted("TCP resets")

        // The peer aborts its side of the backup subflows (ss -K): an RST with MP_TCPRST, reason 0.
        let onBackup = try client("src 10.201.3.1")
        try lab.exec(lab.server, ["ss", "-K", "-tn", "dst", "10.201.3.1"])
        try Self.eventually("the backup subflows to close") { try client("src 10.201.3.1") == 0 }
        count(onBackup, .mpTcpRstUnspecified, on: backup)
        try counted("MP_TCPRST")

        // Every packet of the second path dropped: retransmissions time out (tcp_retries2 3: ~7 s).
        try bulk("timeout")
        let timingOut = try client("src 10.201.2.1")
        try lab.exec(lab.client, ["sysctl", "-qw", "net.ipv4.tcp_retries2=3"])
        try nft("add table inet silent; add chain inet silent i { type filter hook input priority 0; };"
                + " add chain inet silent o { type filter hook output priority 0; };"
                + " add rule inet silent i iifname \(lab.prefix)s2 drop; add rule inet silent o oifname \(lab.prefix)s2 drop")
        try Self.eventually("the silent subflows to time out", timeout: 30) { try client("src 10.201.2.1") == 0 }
        try nft("delete table inet silent")
        count(timingOut, .timeout, on: joined)
        try counted("timeouts")

        // The peer refuses every join (subflows limit 0): the server counts each in MPJoinRejected.
        func rejected() throws -> UInt64 { NstatParser.counters(try lab.exec(lab.server, ["nstat", "-azs"]))["MPJoinRejected"] ?? 0 }
        let rejectedBefore = try rejected()
        let peerLimits = try lab.exec(lab.server, ["ip", "mptcp", "limits", "show"])
        try lab.exec(lab.server, ["ip", "mptcp", "limits", "set", "subflows", "0", "add_addr_accepted", "8"])
        let refusing = try lab.start(lab.client, [traffic, "connect", "--to", "10.201.1.2:5000", "--count", "2"], name: "refused")
        clients.append(refusing)
        try refusing.waitForOutput("connected 2 failed 0", timeout: 30)
        try Self.eventually("the server to refuse the joins") { try rejected() - rejectedBefore >= 2 }
        // The joins are tried within a round trip of the handshake (the bulk traffic keeps the
        // lab from ever being quiet): a second is plenty for the last of them.
        elapse(1)
        let refused = try rejected() - rejectedBefore
        var refusedCounted: UInt64 = 0
        try Self.eventually("the refused joins to be counted") {
            refusedCounted = try Self.closes(s.tools).values.reduce(0) { $0 + ($1[.joinRefused] ?? 0) }
            return refusedCounted >= refused
        }
        #expect(refusedCounted == refused, "\(refusedCounted) counted, the server refused \(refused)")
        for (a, reasons) in try Self.closes(s.tools) { if let n = reasons[.joinRefused] { count(Int(n), .joinRefused, on: a) } }
        try counted("refused joins")
        let restore = peerLimits.split(separator: "\n").first.map { $0.split(separator: " ").map(String.init) } ?? []
        try lab.exec(lab.server, ["ip", "mptcp", "limits", "set"] + restore)

        // This host deletes its backup endpoint: the path manager closes the subflows from it.
        let fromEndpoint = try client("src 10.201.3.1")
        #expect(fromEndpoint == 2)
        try lab.exec(lab.client, ["ip", "mptcp", "endpoint", "delete", "id", "1"])
        try Self.eventually("the subflows from the deleted endpoint to close") { try client("src 10.201.3.1") == 0 }
        count(fromEndpoint, .removedByPathManager, on: backup)
        try counted("a deleted endpoint")

        // The connections end: their open subflows close with them (CLOSED, no SUB_CLOSED each).
        let open = try SSParser.subflows(lab.exec(lab.client, ["ss", "-tni"]))
        for (a, n) in Dictionary(grouping: open, by: { IPAddress($0.localAddress)!.unmapped }).mapValues(\.count) {
            count(n, .withConnection, on: a)
        }
        clients.forEach { $0.stop() }
        try counted("closed connections")
        #expect(expected[initial]?[.withConnection] == 6, "\(expected)")
        #expect(try Self.lastCloseReasons(s.tools)[initial] == .withConnection)
    }

    @Test("Listener rows as TCP-MIB: 0.0.0.0, the dual-stack wildcard and a v6-only ::")
    func listenerWildcards() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "pl", traffic: false, agentArguments: ["--cache-ttl", "0"])
        defer { s.shutdown() }
        let traffic = Paths.executable("mptcp-traffic")
        try s.lab.start(s.lab.client, [traffic, "serve", "--listen", "0.0.0.0:7000", "--listen", "[::]:7001"], name: "dual")
            .waitForOutput("listening")
        try s.lab.start(s.lab.client, [traffic, "serve", "--v6only", "--listen", "[::]:7002"], name: "v6only")
            .waitForOutput("listening")
        let ss = try s.lab.exec(s.lab.client, ["ss", "-Mlnt"])
        #expect(ss.contains("*:7001") && ss.contains("[::]:7002") && ss.contains("0.0.0.0:7000"), "\(ss)")
        let sockets = MPTCPMIB.ListenerTable.sockets
        let rows = try s.tools.walk(sockets.oid.dotted).map { Array($0.oid[sockets.oid.count...]) }
        #expect(rows == [[0, 0, 7001], [1, 4, 0, 0, 0, 0, 7000], [2, 16] + [UInt32](repeating: 0, count: 16) + [7002]])
    }

    @Test("A walk of the summaries is as long at 10,000 connections as at 10")
    func summariesDoNotGrowWithConnections() throws {
        try requireIntegration()
        var lengths: [Int] = []
        for n in [10, 10_000] {
            let snmpd = try PrivateSNMPD(tag: "ps\(n)")
            defer { snmpd.shutdown() }
            let agent = try Daemon([Paths.executable("mptcp-agentx"), "-f", "-C", TestRun.emptyAgentConfiguration,
                                    "-x", "unix:" + snmpd.socketPath,
                                    "--synthetic", "\(n)"], name: "agent-\(n)")
            defer { agent.stop() }
            try agent.waitForOutput("AgentX subagent connected", timeout: 20)
            let tools = SNMPTools(target: snmpd.target)
            let connections = try tools.get([MPTCPMIB.General.currentConnections.oid.dotted + ".0"])
            #expect(connections.first?.value == "\(n)")
            let summary = try tools.walk(MPTCPMIB.generalOID.dotted) + tools.walk(P.oid.dotted)
            #expect(summary.contains { $0.oid.hasPrefix(P.subflows.oid) })
            lengths.append(summary.count)
        }
        #expect(lengths[0] == lengths[1], "\(lengths)")
    }
}
