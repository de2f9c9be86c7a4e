import TestSupport

/// A lab whose client namespace runs the agent (started before any connection, so it sees
/// the server's address announcements) behind a private snmpd that lets the community
/// `public` read everything, `mptcponly` read MPTCP-MIB only, and the SNMPv3 user
/// (authPriv, SHA-256/AES) write MPTCP-MIB. With `traffic`, the
/// client also has a listener and v4, v6 and one fallback connection.
final class AgentLab {
    let lab: Lab
    let snmpd: PrivateSNMPD
    let agent: AgentProcess
    var tools: SNMPTools { SNMPTools(target: snmpd.target) }
    var v3: SNMPTools { SNMPTools.v3(target: snmpd.target) }

    /// `agentWrapper` runs before the agent inside the namespace (e.g. setpriv).
    /// `snmpdConfiguration`: more snmpd.conf lines (notification targets, ...).
    init(tag: String, v4: Int = 20, v6: Int = 10, traffic: Bool = true, agentArguments: [String] = [],
         agentWrapper: [String] = [], snmpdConfiguration: String = "") throws {
        lab = try Lab(tag: tag)
        let u = PrivateSNMPD.v3User
        snmpd = try PrivateSNMPD(tag: tag, extraConfiguration: """
            \(PrivateSNMPD.v3UserLine)
            rwuser \(u.name) priv .1.3.6.1.3.8684
            rocommunity mptcponly 127.0.0.1 .1.3.6.1.3.8684
            \(snmpdConfiguration)
            """)
        agent = try AgentProcess(namespace: lab.client, snmpd: snmpd, arguments: agentArguments, wrapper: agentWrapper)
        guard traffic else { return }
        try lab.startServers()
        try lab.start(lab.client, [Paths.executable("mptcp-traffic"), "serve", "--listen", "0.0.0.0:6000",
                                   "--listen", "[::]:6001"], name: "cli-listener").waitForOutput("listening")
        try lab.connect(v4: v4, v6: v6, fallback: 1)
    }

    /// Everything a SET may change, as iproute2 and sysctl show it.
    func kernelState() throws -> String {
        try lab.exec(lab.client, ["ip", "mptcp", "endpoint", "show"]) + lab.exec(lab.client, ["ip", "mptcp", "limits", "show"])
            + lab.exec(lab.client, ["sysctl", "net.mptcp"])
    }

    func sysctl(_ name: String) throws -> String {
        try lab.exec(lab.client, ["sysctl", "-n", "net.mptcp.\(name)"]).split(separator: "\n")[0].split(separator: "\t")
            .joined(separator: " ")
    }

    func endpoints() throws -> [IPEndpoint] {
        IPMPTCPParser.endpoints(try lab.exec(lab.client, ["ip", "mptcp", "endpoint", "show"]))
    }

    func ifindex(_ device: String) throws -> UInt32 {
        UInt32(try lab.exec(lab.client, ["cat", "/sys/class/net/\(device)/ifindex"]).split(separator: "\n")[0])!
    }

    func shutdown() {
        agent.stop()
        snmpd.shutdown()
        lab.shutdown()
    }
}
