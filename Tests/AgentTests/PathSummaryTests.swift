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
