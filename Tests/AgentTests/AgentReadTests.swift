import MPTCPMIB
import TestSupport
import Testing

/// The subagent behind a private snmpd, read with net-snmp's tools, against the kernel.
@Suite("mptcp-agentx reads through snmpd", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct AgentReadTests {
    /// A lab whose client namespace runs the agent (started before the connections, so it
    /// sees the server's address announcements), with a listener, v4, v6 and fallback traffic.
    final class Setup {
        let lab: Lab
        let snmpd: PrivateSNMPD
        let agent: AgentProcess
        var tools: SNMPTools { SNMPTools(target: snmpd.target) }

        init(tag: String, v4: Int = 20, v6: Int = 10, agentArguments: [String] = []) throws {
            lab = try Lab(tag: tag)
            snmpd = try PrivateSNMPD(tag: tag)
            agent = try AgentProcess(namespace: lab.client, snmpd: snmpd, arguments: agentArguments)
            try lab.startServers()
            try lab.start(lab.client, [Paths.executable("mptcp-traffic"), "serve", "--listen", "0.0.0.0:6000",
                                       "--listen", "[::]:6001"], name: "cli-listener").waitForOutput("listening")
            try lab.connect(v4: v4, v6: v6, fallback: 1)
        }

        func shutdown() {
            agent.stop()
            snmpd.shutdown()
            lab.shutdown()
        }
    }

    @Test("snmpwalk and snmpbulkwalk return exactly the kernel's state")
    func walksEqualGroundTruth() throws {
        try #require(IntegrationEnvironment.missing == nil, "\(IntegrationEnvironment.missing ?? "")")
        let s = try Setup(tag: "ar")
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
        #expect(before.subflows.contains { $0.localAddress.contains(":") })
        #expect(before.subflows.contains { ($0.info["flags"] ?? "").contains("b") })
        #expect(before.connections.contains { $0.words.contains("fallback") })
        #expect(before.listeners.count == 2 && before.endpoints.contains { $0.flags.contains("backup") })
        #expect(walk.count > 1000)
    }
}
