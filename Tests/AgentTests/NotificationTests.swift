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

/// Notifications from real kernel events, through a private snmpd, to a private snmptrapd.
@Suite("Notifications through snmpd to snmptrapd", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct NotificationTests {
    typealias N = MPTCPMIB.Notifications
    typealias C = MPTCPMIB.ConnectionTable
    typealias S = MPTCPMIB.SubflowTable
    typealias R = MPTCPMIB.RemoteAddressTable
    typealias O = MPTCPMIB.NotificationObjects
    typealias NC = MPTCPMIB.NotificationControl
    static let traffic = Paths.executable("mptcp-traffic")

    /// A subflow's index in mptcpSubflowTable, from ss.
    static func subflowIndex(_ s: SSSocket) -> [UInt32] {
        let token = SSParser.subflowTokens(s.info["token"]!)!.2
        return [token] + ExpectedMIB.inetIndex(s.localAddress, s.localPort) + ExpectedMIB.inetIndex(s.peerAddress, s.peerPort)
    }

    static func of(_ all: [ReceivedNotification], _ n: MIBNotification) -> [ReceivedNotification] {
        all.filter { $0.trapOID == n.oid }
    }

    /// The notifications of MPTCP-MIB (snmpd sends its own coldStart to the same targets).
    static func mptcp(_ all: [ReceivedNotification]) -> [ReceivedNotification] {
        all.filter { $0.trapOID.count > MPTCPMIB.notificationsOID.count && Array($0.trapOID.dropLast()) == MPTCPMIB.notificationsOID }
    }

    @Test("Each kind after the kernel action that causes it, with the values ss and ip mptcp show")
    func everyKind() throws {
        try requireIntegration()
        let trapd = try PrivateSNMPTrapd(tag: "nk")
        defer { trapd.shutdown() }
        let s = try AgentLab(tag: "nk", traffic: false,
                             agentArguments: ["--notifications", "all", "--notification-rate", "1000", "--cache-ttl", "0"],
                             snmpdConfiguration: "trap2sink \(trapd.target) public")
        defer { s.shutdown() }
        // The module is in snmpd's sysORTable, through AgentX.
        let sysOR = try s.tools.walk("1.3.6.1.2.1.1.9.1.2")
        #expect(sysOR.contains { $0.value == "." + MPTCPMIB.root.dotted }, "\(sysOR)")

        try s.lab.startServers()
        let client = try s.lab.start(s.lab.client, [Self.traffic, "connect", "--to", "10.201.1.2:5000", "--count", "1"],
                                     name: "one")
        try client.waitForOutput("connected 1 failed 0")
        try s.lab.waitForSubflows(expected: 3)
        try s.lab.waitUntilQuiet()
        let connection = try #require(SSParser.sockets(try s.lab.exec(s.lab.client, ["ss", "-Mni"])).first)
        let token = UInt32(try #require(connection.hex("token")))
        let subflows = SSParser.subflows(try s.lab.exec(s.lab.client, ["ss", "-tni"]))
        #expect(subflows.count == 3)
        let truth = try KernelTruth.read(s.lab, s.lab.client)
        let peer = IPMPTCPParser.endpoints(try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "show"]))

        // Connection established: the connection's row, its initial subflow's addresses, client side.
        var all = try trapd.wait(for: "the connection's notifications") {
            Self.of($0, N.connectionEstablished).count == 1 && Self.of($0, N.subflowEstablished).count == 2
                && Self.of($0, N.addressAnnounced).count == peer.count
        }
        let established = Self.of(all, N.connectionEstablished)[0]
        #expect(established.value(C.localAddress.oid + [token])?.octets == ExpectedMIB.address(connection.localAddress))
        #expect(established.value(C.localPort.oid + [token])?.value == "\(connection.localPort)")
        #expect(established.value(C.remoteAddress.oid + [token])?.octets == ExpectedMIB.address(connection.peerAddress))
        #expect(established.value(C.remotePort.oid + [token])?.value == "\(connection.peerPort)")
        #expect(established.value(O.side.oid + [0])?.value == "1")

        // Subflows established: each join, by its index, with the ids ss shows and its path's interface.
        for sf in subflows where (sf.info["flags"] ?? "").contains("j") {
            let index = Self.subflowIndex(sf)
            let (_, remoteID, _, localID) = SSParser.subflowTokens(sf.info["token"]!)!
            let n = try #require(Self.of(all, N.subflowEstablished).first { $0.value(S.localID.oid + index) != nil }, "\(sf)")
            #expect(n.value(S.localID.oid + index)?.value == "\(localID)" && n.value(S.remoteID.oid + index)?.value == "\(remoteID)")
            let path = ExpectedMIB.inetIndex(sf.localAddress, 0).dropLast()
            #expect(n.value(MPTCPMIB.PathTable.ifIndex.oid + path)?.value == "\(truth.addressInterface[sf.localAddress] ?? 0)")
        }
        // Addresses announced: each of the peer's signal endpoints, by token and id.
        for ep in peer {
            let n = try #require(Self.of(all, N.addressAnnounced).first { $0.value(R.address.oid + [token, UInt32(ep.id)]) != nil })
            #expect(n.value(R.address.oid + [token, UInt32(ep.id)])?.octets == ExpectedMIB.address(ep.address))
            #expect(n.value(R.port.oid + [token, UInt32(ep.id)])?.value == "5000")
        }

        // The peer makes its announced path a backup one: MP_PRIO, subflow priority changed.
        let announced = try #require(peer.first { $0.address == "10.201.2.2" })
        let toAnnounced = try #require(subflows.first { $0.peerAddress == "10.201.2.2" })
        try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "change", "id", "\(announced.id)", "backup"])
        all = try trapd.wait(for: "subflowPriority") { !Self.of($0, N.subflowPriority).isEmpty }
        let priority = Self.of(all, N.subflowPriority)[0]
        #expect(priority.value(S.localID.oid + Self.subflowIndex(toAnnounced)) != nil, "\(priority)")
        #expect(priority.value(O.backup.oid + [0])?.value == "1")

        // The peer withdraws it: address removed (id and address), and its subflow closed in order.
        try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "delete", "id", "\(announced.id)"])
        all = try trapd.wait(for: "addressRemoved and subflowClosed") {
            !Self.of($0, N.addressRemoved).isEmpty && !Self.of($0, N.subflowClosed).isEmpty
        }
        let removed = Self.of(all, N.addressRemoved)[0]
        let peerIndex: [UInt32] = [token, UInt32(announced.id)]
        #expect(removed.value(R.address.oid + peerIndex)?.octets == [10, 201, 2, 2])
        #expect(removed.value(R.port.oid + peerIndex)?.value == "5000")
        let orderly = Self.of(all, N.subflowClosed)[0]
        #expect(orderly.value(S.localID.oid + Self.subflowIndex(toAnnounced)) != nil, "\(orderly)")
        #expect(orderly.value(O.error.oid + [0])?.value == "0" && orderly.value(O.resetReason.oid + [0])?.value == "-1")

        // The backup subflow is killed: closed with the socket error the kernel reports.
        let backup = try #require(subflows.first { $0.localAddress == "10.201.3.1" })
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", "10.201.3.1"])
        all = try trapd.wait(for: "the killed subflow's subflowClosed") { Self.of($0, N.subflowClosed).count == 2 }
        let killed = Self.of(all, N.subflowClosed)[1]
        #expect(killed.value(S.localID.oid + Self.subflowIndex(backup)) != nil, "\(killed)")
        #expect(killed.value(O.error.oid + [0])?.value != "0", "\(killed)")
        #expect(killed.value(S.ifIndex.oid + Self.subflowIndex(backup))?.value == "\(truth.ifindex["\(s.lab.prefix)c3"] ?? 0)")

        // The client closes: connection closed, with its addresses and when it was first seen.
        client.stop()
        all = try trapd.wait(for: "connectionClosed") { !Self.of($0, N.connectionClosed).isEmpty }
        let closed = Self.of(all, N.connectionClosed)[0]
        #expect(closed.value(C.localAddress.oid + [token])?.octets == ExpectedMIB.address(connection.localAddress))
        #expect(closed.value(C.remotePort.oid + [token])?.value == "\(connection.peerPort)")
        let firstSeen = try #require(closed.value(C.firstSeen.oid + [token])?.number)
        let uptime = try #require(closed.value([1, 3, 6, 1, 2, 1, 1, 3, 0])?.number)
        #expect(firstSeen > 0 && firstSeen <= uptime)
        // Every notification kind came, in the objects the MIB defines.
        // Throttling has its own test; fallbacks and blackhole detection need a middlebox (DiagnosisTests).
        let elsewhere = [N.notificationsThrottled, N.connectionFallback, N.blackholeDetected].map(\.oid)
        #expect(Set(Self.mptcp(all).map(\.trapOID)) == Set(N.all.map(\.oid).filter { !elsewhere.contains($0) }))
        for n in Self.mptcp(all) {
            let definition = try #require(N.all.first { $0.oid == n.trapOID }, "\(n)")
            let objects = n.varbinds.dropFirst(2).map { MPTCPMIB.object(containing: $0.oid)?.object.name }
            #expect(objects == definition.objects.map(\.name), "\(definition.name)")
        }
    }

    @Test("An SNMPv3 inform is acknowledged end to end")
    func informV3() throws {
        try requireIntegration()
        let u = PrivateSNMPD.v3User
        let trapd = try PrivateSNMPTrapd(tag: "ni", v3User: u)
        defer { trapd.shutdown() }
        let s = try AgentLab(tag: "ni", traffic: false, agentArguments: ["--notifications", "connectionEstablished"],
                             snmpdConfiguration: "trapsess -Ci -v 3 \(PrivateSNMPD.v3Options.joined(separator: " ")) \(trapd.target)")
        defer { s.shutdown() }
        try s.lab.startServers()
        try s.lab.start(s.lab.client, [Self.traffic, "connect", "--to", "10.201.1.2:5000", "--count", "1"], name: "one")
            .waitForOutput("connected 1 failed 0")
        try trapd.wait(for: "the inform") { !Self.mptcp($0).isEmpty }
        // snmpd retries an unacknowledged inform after a second: the subject is time, 2.5
        // retry intervals in which no second copy may come.
        elapse(2.5)
        let received = Self.mptcp(trapd.received())
        #expect(received.count == 1 && received.first?.trapOID == N.connectionEstablished.oid, "\(received)")
        #expect(try s.tools.get([NC.sent.oid.dotted + ".0"]).first?.value == "1")
    }

    @Test("A storm: disabled kinds are not sent, the rate limit holds, the rest is counted exactly, one summary")
    func storm() throws {
        try requireIntegration()
        let trapd = try PrivateSNMPTrapd(tag: "ns")
        defer { trapd.shutdown() }
        let rate = 20
        let s = try AgentLab(tag: "ns", traffic: false,
                             agentArguments: ["--notifications", "connectionEstablished,connectionClosed,notificationsThrottled",
                                              "--notification-rate", "\(rate)", "--cache-ttl", "0"],
                             snmpdConfiguration: "trap2sink \(trapd.target) public")
        defer { s.shutdown() }
        try s.lab.startServers()
        // The kernel's own account of what happened: ip mptcp monitor beside the agent.
        let monitor = try s.lab.start(s.lab.client, ["ip", "mptcp", "monitor"], name: "monitor")
        // Subscribed once it reports a probe: a listener opened and closed in the client's
        // namespace (LISTENER_CREATED/CLOSED, which the counts below do not include).
        var probes = 0
        try waitUntil("ip mptcp monitor to report a probe listener", timeout: 10, interval: 0.2) {
            if !monitor.output.isEmpty { return true }
            probes += 1
            let probe = try s.lab.start(s.lab.client, [Self.traffic, "serve", "--listen", "127.0.0.1:\(7100 + probes)"],
                                        name: "probe\(probes)")
            try probe.waitForOutput("listening")
            probe.stop()
            return false
        }
        let churn = try s.lab.start(s.lab.client, [Self.traffic, "churn", "--to", "10.201.1.2:5000", "--rate", "300",
                                                   "--hold-ms", "100", "--duration", "3"], name: "churn")
        try churn.waitForOutput("churned", timeout: 30)
        try trapd.wait(timeout: 15, for: "the throttling summary") { !Self.of($0, N.notificationsThrottled).isEmpty }
        func events() -> Int {
            let labels = monitor.output.split(separator: "\n").compactMap { line -> Substring? in
                guard let open = line.firstIndex(of: "["), let close = line.firstIndex(of: "]") else { return nil }
                return line[line.index(after: open)..<close].drop { $0 == " " }
            }
            return labels.filter { $0 == "ESTABLISHED" || $0 == "CLOSED" }.count
        }
        func control() throws -> [PrintedVarBind] {
            try s.tools.get([NC.sent.oid.dotted + ".0", NC.suppressed.oid.dotted + ".0", NC.dropped.oid.dotted + ".0"])
        }
        // Until the agent has accounted for every event the kernel reported and all it sent
        // has arrived (the exact counts below are then final, not a matter of time).
        try waitUntil("the agent to account for every event and snmptrapd to receive all it sent", timeout: 15,
                      detail: { "events \(events()), control \((try? control()) ?? []), received \(Self.mptcp(trapd.received()).count)" }) {
            let c = try control()
            guard let sent = c[0].number, let suppressed = c[1].number, sent > 0 else { return false }
            return sent - 1 + suppressed == UInt64(events()) && UInt64(Self.mptcp(trapd.received()).count) == sent
        }
        let all = trapd.received()
        // The subject is time: after that, nothing more comes (one more second).
        elapse(1)
        let received = Self.mptcp(trapd.received())
        #expect(received.count == Self.mptcp(all).count)
        let events = events()
        #expect(events > 1000, "the storm was too small: \(events) events")
        let control = try control()
        let sent = try #require(control[0].number), suppressed = try #require(control[1].number)
        let connectionTraps = received.filter { $0.trapOID == N.connectionEstablished.oid || $0.trapOID == N.connectionClosed.oid }
        let summaries = Self.of(received, N.notificationsThrottled)
        // Only the enabled kinds; the summary once, with the exact count.
        #expect(received.count == connectionTraps.count + summaries.count, "\(Set(received.map(\.trapOID)))")
        #expect(summaries.count == 1)
        #expect(summaries.first?.value(O.suppressedCount.oid + [0])?.number == suppressed)
        #expect(summaries.first?.value(NC.suppressed.oid + [0])?.number == suppressed)
        // Every event the kernel reported was sent or suppressed, and what was sent arrived.
        #expect(sent == UInt64(received.count) && control[2].value == "0")
        #expect(sent - 1 + suppressed == UInt64(events), "sent \(sent) suppressed \(suppressed) events \(events)")
        // At most the bucket plus the rate over the storm's duration went out.
        let uptimes = connectionTraps.compactMap { $0.value([1, 3, 6, 1, 2, 1, 1, 3, 0])?.number }
        let seconds = Double((uptimes.max() ?? 0) - (uptimes.min() ?? 0)) / 100
        #expect(Double(connectionTraps.count) <= Double(rate) + Double(rate) * (seconds + 1), "\(connectionTraps.count) in \(seconds) s")
        #expect(connectionTraps.count >= rate)
    }

    @Test("snmpd killed and restarted while events happen: dropped and counted, then sent again")
    func masterRestart() throws {
        try requireIntegration()
        let trapd = try PrivateSNMPTrapd(tag: "nr")
        defer { trapd.shutdown() }
        let s = try AgentLab(tag: "nr", traffic: false,
                             agentArguments: ["--notifications", "connectionEstablished,connectionClosed", "--notification-rate", "10000",
                                              "--ping-interval", "1"],
                             snmpdConfiguration: "trap2sink \(trapd.target) public")
        defer { s.shutdown() }
        try s.lab.startServers()
        let churn = try s.lab.start(s.lab.client, [Self.traffic, "churn", "--to", "10.201.1.2:5000", "--rate", "50",
                                                   "--duration", "0"], name: "churn")
        try trapd.wait(for: "notifications of the churn") { Self.mptcp($0).count >= 10 }
        let rss = try ProcessResources.of(s.agent.daemon.pid).rssKiB
        s.snmpd.stop(crash: true)
        // The subject: snmpd stays down for 3 s while events happen (50 connections a second).
        elapse(3)
        let before = Self.mptcp(trapd.received()).count
        try s.snmpd.start()
        try trapd.wait(timeout: 15, for: "notifications after the restart") { Self.mptcp($0).count >= before + 20 }
        churn.signal(SIGINT, waitUpTo: 5)
        #expect(s.agent.daemon.isRunning)
        let dropped = try #require(try s.tools.get([NC.dropped.oid.dotted + ".0"]).first?.number)
        #expect(dropped >= 50, "\(dropped) dropped while snmpd was down for 3 s at 100 events/s")
        #expect(s.agent.log.contains("AgentX subagent connected"))
        // Nothing queued: the agent's memory did not grow with what it dropped.
        #expect(try ProcessResources.of(s.agent.daemon.pid).rssKiB < rss + 8 * 1024, "RSS grew from \(rss) KiB")
    }

}
