import MPTCPKernel
import MPTCPModel
import TestSupport
import Testing

/// Compares a reader snapshot of one namespace with iproute2's view of it. Only called
/// while the lab's traffic is idle, so both sides see the same values.
struct GroundTruthComparison {
    let lab: Lab
    let namespace: String
    let snapshot: Snapshot
    /// `nstat` just before the snapshot: counters may still move on an idle lab (MPTCP-level
    /// retransmissions after joins), so each must lie between this and a read after it.
    let countersBefore: [String: UInt64]

    /// Reads nstat, then the snapshot, of `namespace`.
    init(lab: Lab, namespace: String) throws {
        self.lab = lab
        self.namespace = namespace
        countersBefore = NstatParser.counters(try lab.exec(namespace, ["nstat", "-azs"]))
        snapshot = try inNetworkNamespace(namespace) { try SnapshotReader().read() }
    }

    func compareAll() throws {
        #expect(snapshot.failures.isEmpty, "\(namespace): \(snapshot.failures)")
        try compareConnections()
        try compareSubflows()
        try compareListeners()
        try compareEndpointsAndLimits()
        try compareCountersAndSettings()
        try compareInterfaceAddresses()
    }

    /// The rtnetlink address dump equals `ip -o addr`.
    func compareInterfaceAddresses() throws {
        var expected: Set<String> = []
        for line in try lab.exec(namespace, ["ip", "-o", "addr", "show"]).split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 4, f[2] == "inet" || f[2] == "inet6", let address = f[3].split(separator: "/").first else { continue }
            expected.insert("\(f[0].dropLast()) \(IPAddress(String(address))!)")
        }
        let got = Set(try inNetworkNamespace(namespace) { try InterfaceAddresses().all() }.map { "\($0.ifIndex) \($0.address)" })
        #expect(got == expected && expected.count >= 7, "\(namespace)")
    }

    func ss(_ args: String...) throws -> String { try lab.exec(namespace, ["ss"] + args) }

    func compareConnections() throws {
        let truth = SSParser.sockets(try ss("-Mni"))
        #expect(truth.count == snapshot.connections.count, "\(namespace): connections")
        let byToken = Dictionary(snapshot.connections.map { ($0.token, $0) }, uniquingKeysWith: { a, _ in a })
        for s in truth {
            let token = try #require(s.hex("token").map(UInt32.init), "ss shows a connection without token")
            guard let c = byToken[token] else {
                Issue.record("\(namespace): connection \(String(token, radix: 16)) missing from the snapshot")
                continue
            }
            #expect(c.local.address.description == s.localAddress && c.local.port == s.localPort)
            #expect(c.remote.address.description == s.peerAddress && c.remote.port == s.peerPort)
            #expect(s.state == "ESTAB" && c.state == .established)
            #expect(UInt64(c.extraSubflows) == (s.int("subflows") ?? 0))
            #expect(UInt64(c.addAddrSignal) == (s.int("add_addr_signal") ?? 0))
            #expect(UInt64(c.addAddrAccepted) == (s.int("add_addr_accepted") ?? 0))
            #expect(UInt64(c.limitSubflows) == (s.int("subflows_max") ?? 0))
            #expect(UInt64(c.signalEndpoints) == (s.int("add_addr_signal_max") ?? 0))
            #expect(UInt64(c.limitAddAddrAccepted) == (s.int("add_addr_accepted_max") ?? 0))
            #expect(c.flags.contains(.fallback) == s.words.contains("fallback"))
            #expect(c.flags.contains(.remoteKeyReceived) == s.words.contains("remote_key"))
            #expect(c.writeSeq == (s.hex("write_seq") ?? 0))
            #expect(c.sndUna == (s.hex("snd_una") ?? 0))
            #expect(c.rcvNxt == (s.hex("rcv_nxt") ?? 0))
            #expect(c.checksumEnabled == ((s.int("csum_enabled") ?? 0) != 0))
        }
    }

    func interfaceIndexes() throws -> [String: UInt32] {
        var out: [String: UInt32] = [:]
        for line in try lab.exec(namespace, ["ip", "-o", "link", "show"]).split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2)
            guard f.count >= 2, let index = UInt32(f[0]) else { continue }
            let name = f[1].trimmingCharacters(in: " ")
            out[String(name.split(separator: "@")[0])] = index
        }
        return out
    }

    func compareSubflows() throws {
        let truth = SSParser.subflows(try ss("-tni"))
        let ifindex = try interfaceIndexes()
        #expect(truth.count == snapshot.subflows.count, "\(namespace): subflows")
        struct Key: Hashable { let token: UInt32; let local: SocketAddress; let remote: SocketAddress }
        let mine = Dictionary(snapshot.subflows.map { (Key(token: $0.token, local: $0.local, remote: $0.remote), $0) },
                              uniquingKeysWith: { a, _ in a })
        for s in truth {
            let tokens = try #require(s.info["token"].flatMap(SSParser.subflowTokens))
            func socket(_ a: String, _ p: UInt16) throws -> SocketAddress {
                SocketAddress(address: try #require(IPAddress(a), "ss printed '\(a)'"), port: p)
            }
            let key = Key(token: tokens.2, local: try socket(s.localAddress, s.localPort), remote: try socket(s.peerAddress, s.peerPort))
            guard let sf = mine[key] else {
                Issue.record("\(namespace): subflow \(key) missing from the snapshot")
                continue
            }
            #expect(sf.remoteToken == tokens.0)
            #expect(sf.remoteID == tokens.1)
            #expect(sf.localID == tokens.3)
            #expect(sf.flags?.rawValue == SSParser.subflowFlags(s.info["flags"] ?? ""))
            #expect(sf.ifIndex == (s.localDevice.flatMap { ifindex[$0] } ?? 0))
            #expect(sf.state == .established)
            let rtt = try #require(s.info["rtt"]?.split(separator: "/").compactMap { Double($0) })
            #expect(abs(Double(sf.rtt ?? 0) - rtt[0] * 1000) <= 1 && abs(Double(sf.rttVariance ?? 0) - rtt[1] * 1000) <= 1)
            #expect(UInt64(sf.congestionWindow ?? 0) == s.int("cwnd"))
            #expect(UInt64(sf.mss ?? 0) == s.int("mss"))
            #expect((sf.bytesSent ?? 0) == (s.int("bytes_sent") ?? 0))
            #expect((sf.bytesAcked ?? 0) == (s.int("bytes_acked") ?? 0))
            #expect((sf.bytesReceived ?? 0) == (s.int("bytes_received") ?? 0))
            let retrans = s.info["retrans"]?.split(separator: "/").compactMap { UInt32($0) } ?? [0, 0]
            #expect(sf.retransmits == retrans[0] && sf.totalRetransmits == retrans[1])
        }
    }

    func compareListeners() throws {
        let truth = SSParser.sockets(try ss("-Mlni")).filter { $0.state == "LISTEN" }
        // ss prints a dual-stack `::` listener as `*`.
        let expected = Set(truth.map { "\($0.localAddress == "*" ? "*" : $0.localAddress) \($0.localPort)" })
        #expect(Set(snapshot.listeners.map { "\($0.dualStack ? "*" : $0.local.address.description) \($0.local.port)" }) == expected)
        #expect(snapshot.listeners.allSatisfy { $0.backlog == 4096 && $0.acceptQueue == 0 })
    }

    func compareEndpointsAndLimits() throws {
        let truth = IPMPTCPParser.endpoints(try lab.exec(namespace, ["ip", "mptcp", "endpoint", "show"]))
        let ifindex = try interfaceIndexes()
        let endpoints = try #require(snapshot.endpoints)
        #expect(endpoints.count == truth.count)
        for t in truth {
            guard let e = endpoints.first(where: { $0.id == t.id }) else {
                Issue.record("\(namespace): endpoint \(t.id) missing")
                continue
            }
            #expect(e.address.description == t.address && e.port == t.port)
            #expect(e.ifIndex == (t.device.flatMap { ifindex[$0] } ?? 0))
            var names: Set<String> = []
            for (flag, name) in [(EndpointFlags.signal, "signal"), (.subflow, "subflow"), (.backup, "backup"), (.fullmesh, "fullmesh")]
            where e.flags.contains(flag) { names.insert(name) }
            // iproute2 6.1 does not know implicit (0x10) and laminar (0x20): it prints them raw.
            let unknown = e.flags.rawValue & 0x30
            if unknown != 0 { names.insert("rawflags \(String(unknown, radix: 16))") }
            #expect(names == t.flags)
        }
        let limits = IPMPTCPParser.limits(try lab.exec(namespace, ["ip", "mptcp", "limits", "show"]))
        #expect(snapshot.limits?.subflows == limits["subflows"])
        #expect(snapshot.limits?.addAddrAccepted == limits["add_addr_accepted"])
    }

    func compareCountersAndSettings() throws {
        let after = NstatParser.counters(try lab.exec(namespace, ["nstat", "-azs"]))
        let counters = try #require(snapshot.counters)
        #expect(counters.all.count == after.count && !after.isEmpty)
        for (name, high) in after {
            let low = countersBefore[name] ?? 0
            let value = try #require(counters[name], "\(namespace): \(name) missing")
            #expect(min(low, high) <= value && value <= max(low, high), "\(namespace): \(name)")
        }
        let sysctl = try lab.exec(namespace, ["sysctl", "net.mptcp"])
        var expected: [String: String] = [:]
        for line in sysctl.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: " ").split(separator: ".").last.map(String.init) ?? ""
            expected[name] = parts[1].trimmingCharacters(in: " ").replacingTabs()
        }
        #expect(snapshot.settings.values.mapValues { $0.replacingTabs() } == expected)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }

    /// sysctl prints list knobs with tabs or spaces depending on the knob.
    func replacingTabs() -> String { split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ") }
}
