import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI
import TestSupport
import Testing

/// The subagent behind a private snmpd, read with net-snmp's tools, against the kernel.
@Suite("mptcp-agentx reads through snmpd", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct AgentReadTests {
    @Test("snmpwalk and snmpbulkwalk return exactly the kernel's state")
    func walksEqualGroundTruth() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ar")
        defer { s.shutdown() }
        let before = try KernelTruth.read(s.lab, s.lab.client)
        let walk = try s.tools.walk()
        let bulk = try s.tools.bulkWalk()
        let after = try KernelTruth.read(s.lab, s.lab.client)
        let peer = IPMPTCPParser.endpoints(try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "show"]))
        let expected = ExpectedMIB(truth: before, countersAfter: after.counters, announcedBy: peer, bytesPerConnection: 1000)
        let walkDiffs = expected.differences(walk)
        #expect(walkDiffs.isEmpty, "\(walkDiffs.prefix(40).joined(separator: "\n"))")
        #expect(expected.differences(bulk).isEmpty)
        for (a, b) in zip(walk, walk.dropFirst()) { #expect(oidLess(a.oid, b.oid), "walk not increasing at \(b)") }
        #expect(walk.map(\.oid) == bulk.map(\.oid))
        // The lab's shape really is in there: IPv6 subflows, a backup subflow, the fallback, the listeners.
        #expect(before.subflows.contains { IPAddress($0.localAddress)?.family == .ipv6 })
        #expect(before.subflows.contains { ($0.info["flags"] ?? "").contains("b") })
        #expect(before.connections.contains { $0.words.contains("fallback") })
        #expect(before.listeners.count == 2 && before.endpoints.contains { $0.flags.contains("backup") })
        #expect(walk.count > 1000)
    }
}

@Suite("mptcp-agentx edge cases through snmpd", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct AgentEdgeCaseTests {
    static let mib = MPTCPMIB.root.dotted
    static func dotted(_ oid: [UInt32]) -> String { oid.map(String.init).joined(separator: ".") }

    @Test("GET and GETNEXT on table, entry, column, partial and malformed indexes; SNMPv1")
    func edgeCases() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ae", v4: 3, v6: 2)
        defer { s.shutdown() }
        let t = s.tools
        let walk = try t.walk()
        typealias C = MPTCPMIB.ConnectionTable
        typealias S = MPTCPMIB.SubflowTable
        let firstConnectionColumn = try #require(walk.first { $0.oid.hasPrefix(C.table.entryOID) })
        let token = firstConnectionColumn.oid[C.table.entryOID.count + 1]
        let firstState = try #require(walk.first { $0.oid.hasPrefix(S.state.oid) })
        let subflowIndex = Array(firstState.oid[(S.state.oid.count)...])

        // GET: not instances -> noSuchObject; instances that do not exist -> noSuchInstance.
        let gets = try t.get([Self.dotted(C.oid), Self.dotted(C.table.entryOID), Self.dotted(C.token.oid + [token]),
                              Self.dotted(C.state.oid), Self.dotted(C.state.oid + [token, 1]),
                              Self.dotted(C.state.oid + [4_294_967_295]), Self.dotted(S.state.oid + subflowIndex.dropLast()),
                              Self.dotted(S.state.oid + [subflowIndex[0], 1, 5] + subflowIndex[3...]),
                              Self.dotted(C.state.oid + [token]), Self.mib + ".1.99.0", Self.mib + ".1.1.1.1"])
        #expect(gets.map(\.type) == ["noSuchObject", "noSuchObject", "noSuchObject", "noSuchInstance", "noSuchInstance",
                                     "noSuchInstance", "noSuchInstance", "noSuchInstance", "INTEGER", "noSuchObject",
                                     "noSuchInstance"])
        #expect(gets[8].value == "5")

        // GETNEXT from table, entry, index column, column, partial index and out-of-range sub-ids.
        let firstOfTable = firstConnectionColumn.oid
        let nexts = try t.getNext([Self.dotted(C.oid), Self.dotted(C.table.entryOID), Self.dotted(C.token.oid),
                                   Self.dotted(S.state.oid), Self.dotted(S.state.oid + [subflowIndex[0], 1]),
                                   Self.dotted(S.state.oid + [4_294_967_295]),
                                   Self.dotted(S.state.oid + subflowIndex + [0])])
        #expect(nexts[0].oid == firstOfTable && nexts[1].oid == firstOfTable && nexts[2].oid == firstOfTable)
        #expect(nexts[3].oid == firstState.oid)
        #expect(nexts[4].oid.hasPrefix(S.state.oid + [subflowIndex[0]]))
        #expect(nexts[5].oid.hasPrefix(S.flags.oid))
        let afterFirst = try #require(walk.firstIndex { $0.oid == firstState.oid })
        #expect(nexts[6].oid == walk[afterFirst + 1].oid)
        // Past the last instance: the master continues after our subtree.
        let past = try t.getNext([Self.dotted(walk.last!.oid)])
        #expect(!past[0].oid.hasPrefix(MPTCPMIB.root) && oidLess(walk.last!.oid, past[0].oid))

        // SNMPv1: Counter64 is not representable; the master answers noSuchName and skips it in walks.
        var v1 = t
        v1.version = "1"
        let counter64 = try #require(walk.first { $0.type == "Counter64" })
        let v1get = try v1.run("snmpget", [Self.dotted(counter64.oid)])
        #expect(v1get.stdout.contains("noSuchName") || v1get.stderr.contains("noSuchName"))
        let v1walk = try v1.walk()
        #expect(!v1walk.isEmpty && !v1walk.contains { $0.type == "Counter64" })
        #expect(v1walk.map(\.oid) == walk.filter { $0.type != "Counter64" }.map(\.oid))
    }
}
