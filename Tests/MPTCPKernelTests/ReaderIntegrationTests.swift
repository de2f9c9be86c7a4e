import MPTCPKernel
import MPTCPModel
import TestSupport
import Testing

/// The reader's snapshot of both ends of a lab equals what iproute2 reports.
@Suite("Kernel reader against the live kernel", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct ReaderIntegrationTests {
    @Test("Snapshot of client and server equals ss, ip mptcp, nstat and sysctl")
    func snapshotEqualsGroundTruth() throws {
        try requireIntegration()
        let lab = try Lab(tag: "rd")
        defer { lab.shutdown() }
        try lab.startServers()
        // A listener on the client too, v4 and v6.
        try lab.start(lab.client, [Paths.executable("mptcp-traffic"), "serve", "--listen", "0.0.0.0:6000",
                                   "--listen", "[::]:6001"], name: "cli-listener").waitForOutput("listening")
        try lab.connect(v4: 40, v6: 15, fallback: 1)

        for ns in [lab.client, lab.server] {
            try GroundTruthComparison(lab: lab, namespace: ns).compareAll()
        }

        // Shape of the lab as the client sees it.
        let client = try inNetworkNamespace(lab.client) { try SnapshotReader().read() }
        #expect(client.connections.count == 56)
        #expect(client.connections.filter { $0.flags.contains(.fallback) }.count == 1)
        let perConnection = Dictionary(grouping: client.subflows, by: \.token)
        #expect(client.connections.filter { !$0.flags.contains(.fallback) }.allSatisfy { (perConnection[$0.token]?.count ?? 0) >= 2 })
        #expect(client.subflows.contains { $0.local.address.family == .ipv6 })
        #expect(client.subflows.contains { $0.flags?.contains(.backupLocal) == true && $0.ifIndex != 0 })
        #expect(Set(client.listeners.map(\.local.port)) == [6000, 6001])
        let server = try inNetworkNamespace(lab.server) { try SnapshotReader().read() }
        #expect(server.endpoints?.allSatisfy { $0.flags == .signal } == true)
        #expect(Set(server.listeners.map(\.local.port)) == [5000, 5001])
        // Remote addresses of a 3-subflow v4 connection: the server's initial (id 0) and announced (id 1).
        let v4 = try #require(client.connections.first { $0.remote.port == 5000 })
        #expect(Set(client.remoteAddresses.filter { $0.token == v4.token }.map(\.id)) == [0, 1])
    }
}
