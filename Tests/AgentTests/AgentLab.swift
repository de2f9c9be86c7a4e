import TestSupport

/// A lab whose client namespace runs the agent (started before the connections, so it
/// sees the server's address announcements), with a listener, v4, v6 and fallback traffic.
final class AgentLab {
    let lab: Lab
    let snmpd: PrivateSNMPD
    let agent: AgentProcess
    var tools: SNMPTools { SNMPTools(target: snmpd.target) }

    init(tag: String, v4: Int = 20, v6: Int = 10, agentArguments: [String] = []) throws {
        lab = try Lab(tag: tag)
        let u = PrivateSNMPD.v3User
        snmpd = try PrivateSNMPD(tag: tag, extraConfiguration: """
            createUser \(u.name) SHA-256 "\(u.auth)" AES "\(u.priv)"
            rwuser \(u.name) priv .1.3.6.1.3.8684
            """)
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
