import MPTCPMIBView
import MPTCPMIB
import SMI
import MPTCPModel
import Testing

@Suite("MIB view over a snapshot")
struct MIBViewTests {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    /// A small snapshot with one of everything, and a connection from an "older kernel"
    /// that lacks the 6.5+ byte counters.
    static let snapshot: Snapshot = {
        var c1 = Connection(token: 0x0A0B_0C0D, local: SocketAddress(address: ip("10.0.0.1"), port: 40000),
                            remote: SocketAddress(address: ip("10.0.0.2"), port: 80), state: .established)
        c1.flags = [.remoteKeyReceived]
        c1.bytesSent = 1234
        var c2 = Connection(token: 7, local: SocketAddress(address: ip("fd00::1"), port: 40001),
                            remote: SocketAddress(address: ip("fd00::2"), port: 443), state: .established)
        c2.flags = [.fallback]
        var s1 = Subflow(token: c1.token, local: c1.local, remote: c1.remote, state: .established)
        s1.flags = [.mpCapableLocal, .mpCapableRemote, .connected]
        s1.rtt = 150
        s1.localID = 0
        s1.remoteID = 0
        var s2 = Subflow(token: c1.token, local: SocketAddress(address: ip("10.0.1.1"), port: 40002),
                         remote: SocketAddress(address: ip("10.0.1.2"), port: 80), state: .established)
        s2.remoteID = 1
        s2.flags = [.joinLocal, .backupLocal]
        let endpoints = [Endpoint(id: 1, address: ip("10.0.1.1"), flags: [.subflow, .backup]),
                         Endpoint(id: 3, address: ip("fd00::9"), port: 8080, flags: [.signal])]
        var snapshot = Snapshot(connections: [c1, c2], subflows: [s1, s2],
                            listeners: [Listener(local: SocketAddress(address: ip("0.0.0.0"), port: 5000), acceptQueue: 0, backlog: 4096)],
                            endpoints: endpoints, limits: Limits(subflows: 2, addAddrAccepted: 0),
                            counters: Counters([("MPCapableSYNRX", 5), ("MPCurrEstab", 2),
                                                ("SomeFutureCounter", 9)]),
                            settings: Settings(["enabled": "1", "scheduler": "default", "available_schedulers": "default",
                                                "add_addr_timeout": "120"]))
        snapshot.merge(EventKnowledge(announcements: [Announcement(token: c1.token, id: 2,
                                                                   address: SocketAddress(address: ip("10.0.2.2"), port: 80))]),
                       liveTokens: [c1.token, c2.token])
        return snapshot
    }()

    func walk(_ view: MIBView) -> [(OID, SNMPValue)] {
        var out: [(OID, SNMPValue)] = []
        var oid = MPTCPMIB.root
        while let (next, value) = view.next(after: oid) {
            out.append((next, value))
            oid = next
        }
        return out
    }

    @Test func walkIsStrictlyIncreasingAndAgreesWithGet() {
        let view = MIBView(snapshot: Self.snapshot)
        let instances = walk(view)
        #expect(!instances.isEmpty)
        for (a, b) in zip(instances, instances.dropFirst()) { #expect(oidLess(a.0, b.0)) }
        for (oid, value) in instances {
            #expect(oid.hasPrefix(MPTCPMIB.objectsOID))
            #expect(view.get(oid) == .value(value), "\(oid.dotted)")
            // Every value is encoded as its object's syntax says.
            let object = MPTCPMIB.object(containing: oid)!.object
            let expected: Syntax.Encoding = object.syntax.encoding == .bits ? .octets : object.syntax.encoding
            #expect(value.encoding == expected, "\(object.name)")
        }
    }

    @Test func walkVisitsEveryRowOfEveryTable() {
        let instances = walk(MIBView(snapshot: Self.snapshot))
        func count(_ column: MIBObject) -> Int { instances.filter { $0.0.hasPrefix(column.oid) }.count }
        #expect(count(MPTCPMIB.ConnectionTable.state) == 2)
        #expect(count(MPTCPMIB.SubflowTable.state) == 2)
        #expect(count(MPTCPMIB.EndpointTable.rowStatus) == 2)
        #expect(count(MPTCPMIB.ListenerTable.backlog) == 1)
        // Remote addresses: ids 0 and 1 from subflows, 2 announced.
        #expect(count(MPTCPMIB.RemoteAddressTable.source) == 3)
        // Counters: three rows; MPCurrEstab only as a gauge, the others only as counters.
        #expect(count(MPTCPMIB.CounterTable.value) == 2 && count(MPTCPMIB.CounterTable.gauge) == 1)
        // Scalars: the stats objects the kernel has (2 of 76) and the general ones it has.
        #expect(instances.filter { $0.0.hasPrefix(MPTCPMIB.statsOID) }.count == 2)
    }

    @Test func indexEncodingFollowsRFC2578AndRFC4001() {
        let view = MIBView(snapshot: Self.snapshot)
        // token 0x0A0B0C0D = 168496141; ipv4(1), length 4, 10.0.0.1, port 40000; ipv4(1), 4, 10.0.0.2, 80.
        let rtt = MPTCPMIB.SubflowTable.rtt.oid + [168_496_141, 1, 4, 10, 0, 0, 1, 40000, 1, 4, 10, 0, 0, 2, 80]
        #expect(view.get(rtt) == .value(.unsigned(150)))
        // ipv6 index: type 2, length 16, then 16 octets.
        let v6 = MPTCPMIB.ConnectionTable.localAddress.oid + [7]
        #expect(view.get(v6) == .value(.octets([0xfd] + [UInt8](repeating: 0, count: 14) + [1])))
        // Counter name: length-prefixed ASCII.
        let name = MPTCPMIB.CounterTable.gauge.oid + [11] + Array("MPCurrEstab".utf8).map(UInt32.init)
        #expect(view.get(name) == .value(.unsigned(2)))
        // Listener: 0.0.0.0 port 5000.
        #expect(view.get(MPTCPMIB.ListenerTable.backlog.oid + [1, 4, 0, 0, 0, 0, 5000]) == .value(.unsigned(4096)))
    }

    @Test func getDistinguishesNoSuchObjectFromNoSuchInstance() {
        let view = MIBView(snapshot: Self.snapshot)
        let c = MPTCPMIB.ConnectionTable.self
        #expect(view.get(c.oid) == .noSuchObject)  // the table
        #expect(view.get(c.table.entryOID) == .noSuchObject)  // the entry
        #expect(view.get(c.token.oid + [7]) == .noSuchObject)  // not-accessible index column
        #expect(view.get(c.state.oid + [8]) == .noSuchInstance)  // no such row
        #expect(view.get(c.state.oid) == .noSuchInstance)  // column without index
        #expect(view.get(c.state.oid + [7, 1]) == .noSuchInstance)  // index too long
        #expect(view.get(c.bytesSent.oid + [7]) == .noSuchInstance)  // the kernel did not send it
        #expect(view.get(c.bytesSent.oid + [168_496_141]) == .value(.counter64(1234)))
        #expect(view.get(MPTCPMIB.General.enabled.oid + [0]) == .value(.integer(1)))
        #expect(view.get(MPTCPMIB.General.enabled.oid + [1]) == .noSuchInstance)
        #expect(view.get(MPTCPMIB.General.closeTimeout.oid + [0]) == .noSuchObject)  // sysctl absent
        let absent = MPTCPMIB.object(named: "mptcpExtWinProbe")!
        #expect(view.get(absent.oid + [0]) == .noSuchObject)  // counter this kernel lacks
        #expect(view.get(MPTCPMIB.object(named: "mptcpExtMPCurrEstab")!.oid + [0]) == .value(.unsigned(2)))
        #expect(view.get([1, 3, 6, 1, 3, 8684, 1, 99, 1]) == .noSuchObject)
        #expect(view.get([1, 3, 6, 1, 2, 1, 1, 1, 0]) == .noSuchObject)
    }

    @Test func getNextFromAnyPointLandsOnTheNextInstance() {
        let view = MIBView(snapshot: Self.snapshot)
        let all = walk(view)
        // From before the subtree, from the table, entry, column and partial-index OIDs.
        #expect(view.next(after: [1, 3, 6, 1])?.oid == all.first?.0)
        let s = MPTCPMIB.SubflowTable.self
        let firstState = all.first { $0.0.hasPrefix(s.state.oid) }!.0
        #expect(view.next(after: s.oid)?.oid == firstState)
        #expect(view.next(after: s.table.entryOID)?.oid == firstState)
        #expect(view.next(after: s.token.oid)?.oid == firstState)  // not-accessible column: skip to the first readable
        #expect(view.next(after: s.state.oid + [168_496_141, 1])?.oid == firstState)  // partial index
        #expect(view.next(after: s.state.oid + [168_496_141, 1, 4, 10, 0, 0, 1, 40000, 1, 4, 10, 0, 0, 2, 80, 0])?.oid
            == all.first { $0.0.hasPrefix(s.state.oid) && oidLess(s.state.oid + [168_496_141, 1, 4, 10, 0, 0, 1, 40000, 1, 4, 10, 0, 0, 2, 80, 0], $0.0) }!.0)
        // Out-of-range sub-identifiers in an index are just larger OIDs.
        #expect(view.next(after: s.state.oid + [UInt32.max])?.oid.hasPrefix(s.flags.oid) == true)
        // Past the last instance: nothing (the master hands over to the next subtree).
        #expect(view.next(after: all.last!.0) == nil)
        #expect(view.next(after: MPTCPMIB.root + [2]) == nil)
    }

    /// Rows are put in index order in place (cycles of the sort's permutation), and of two
    /// rows with one index the first given is kept: checked on shuffled subflows against
    /// the order of their (token, local port) pairs, which is the index order here.
    @Test(arguments: [1, 2, 3]) func rowsComeOutInIndexOrderAndTheFirstOfEqualIndexesIsKept(seed: UInt64) {
        var generator = SplitMix(seed: seed)
        let connections = (0..<5).map { Connection(token: UInt32($0 + 1), local: SocketAddress(address: Self.ip("10.0.0.1"), port: 1),
                                                   remote: SocketAddress(address: Self.ip("10.0.0.2"), port: 2), state: .established) }
        var given: [Subflow] = []
        for token in 1...5 {
            for port in 1...7 {
                var s = Subflow(token: UInt32(token), local: SocketAddress(address: Self.ip("10.0.0.1"), port: UInt16(port)),
                                remote: SocketAddress(address: Self.ip("10.0.0.2"), port: 80), state: .established)
                s.rtt = UInt32(token * 100 + port)
                given.append(s)
            }
        }
        let original = given[9]  // token 2, local port 3
        var twin = original
        twin.rtt = 999_999
        given.shuffle(using: &generator)
        let at = given.firstIndex { $0.rtt == original.rtt }!
        given.insert(twin, at: Int.random(in: (at + 1)...given.count, using: &generator))
        let ordered = given.filter { $0.rtt != 999_999 }.sorted { ($0.token, $0.local.port) < ($1.token, $1.local.port) }
        let view = MIBView(snapshot: Snapshot(connections: connections, subflows: given))
        let rtt = MPTCPMIB.SubflowTable.rtt.oid
        let walked = walk(view).filter { $0.0.hasPrefix(rtt) }.map(\.1)
        #expect(walked == ordered.map { .gauge($0.rtt!) })
    }

    /// Index OIDs are encoded from the rows, and a walk's next step starts from the row the
    /// table last returned: walks that interleave (two managers, or a GET between) and
    /// GETNEXTs from OIDs no walk returned must still each land on the next instance.
    @Test func interleavedWalksAndStrayGetNextsEachFindTheNextInstance() {
        let view = MIBView(snapshot: .synthetic(connections: 40, subflowsPerConnection: 3))
        let all = walk(view)
        var a = MPTCPMIB.root, b = MPTCPMIB.SubflowTable.oid
        var fromA: [OID] = [], fromB: [OID] = []
        var step = 0
        while true {
            step += 1
            if step % 7 == 0 {  // a stray GETNEXT from inside some row's index moves the hint elsewhere
                let probe = all[(step * 31) % all.count].0
                #expect(view.next(after: probe + [0])?.oid == all.first { oidLess(probe + [0], $0.0) }?.0)
            }
            guard let na = view.next(after: a) else { break }
            fromA.append(na.oid)
            a = na.oid
            if let nb = view.next(after: b), nb.oid.hasPrefix(MPTCPMIB.SubflowTable.oid) {
                fromB.append(nb.oid)
                b = nb.oid
            }
        }
        #expect(fromA == all.map(\.0))
        #expect(fromB == all.map(\.0).filter { $0.hasPrefix(MPTCPMIB.SubflowTable.oid) })
    }

    /// The subflow table is sorted on its rows (token, then SocketAddress's order), not on
    /// encoded indexes: the two orders must be one, across address families, lengths and ports.
    @Test(arguments: [1, 2, 3]) func subflowRowOrderIsItsIndexOrder(seed: UInt64) throws {
        var generator = SplitMix(seed: seed)
        let addresses = ["0.0.0.0", "10.0.0.1", "10.0.0.2", "10.1.0.1", "255.255.255.255", "::", "::1", "::ffff:10.0.0.1",
                         "fd00::1", "fd00::2", "fe80::1"].map(Self.ip)
        func endpoint() -> SocketAddress {
            SocketAddress(address: addresses.randomElement(using: &generator)!,
                          port: [0, 1, 80, 255, 256, 40000, 65535].randomElement(using: &generator)!)
        }
        let subflows = (0..<200).map { _ in
            Subflow(token: [0, 1, 2, 0xffff_ffff].randomElement(using: &generator)!, local: endpoint(), remote: endpoint(),
                    state: .established)
        }
        let table = MPTCPMIB.SubflowTable.served
        let less = try #require(table.indexLess)
        func key(_ s: Subflow) -> [UInt32] {
            var k: [UInt32] = []
            table.index(s, &k)
            return k
        }
        var disagreements = 0
        for a in subflows {
            for b in subflows where less(a, b) != oidLess(key(a), key(b)) { disagreements += 1 }
        }
        #expect(disagreements == 0)
    }

    @Test func bitsAreMostSignificantBitFirst() {
        let view = MIBView(snapshot: Self.snapshot)
        // Endpoint 1: subflow(1) and backup(2) -> 0110 0000.
        #expect(view.get(MPTCPMIB.EndpointTable.flags.oid + [1]) == .value(.octets([0x60])))
        // Subflow flags span two octets (nine named bits).
        #expect(view.get(MPTCPMIB.SubflowTable.flags.oid + [168_496_141, 1, 4, 10, 0, 0, 1, 40000, 1, 4, 10, 0, 0, 2, 80])
            == .value(.octets([0xC1, 0x00])))  // mpCapableRemote(0) 0x80, mpCapableLocal(1) 0x40, connected(7) 0x01
    }

    @Test func pendingEndpointRowsAppearWithTheirStatus() {
        let pending = EndpointRow(id: 9, addressType: .ipv4, status: .notReady)
        var facts = AgentFacts()
        facts.pendingEndpoints = [pending]
        let view = MIBView(snapshot: Self.snapshot, facts: facts)
        #expect(view.get(MPTCPMIB.EndpointTable.rowStatus.oid + [9]) == .value(.integer(3)))
        #expect(view.get(MPTCPMIB.EndpointTable.address.oid + [9]) == .noSuchInstance)
        #expect(view.get(MPTCPMIB.EndpointTable.rowStatus.oid + [1]) == .value(.integer(1)))
        #expect(view.get(MPTCPMIB.General.endpointNextID.oid + [0]) == .value(.unsigned(2)))
    }

    @Test func syntheticSnapshotHasTheRequestedShape() {
        let view = MIBView(snapshot: .synthetic(connections: 100, subflowsPerConnection: 3))
        #expect(view.rowCounts[MPTCPMIB.ConnectionTable.table] == 100)
        #expect(view.rowCounts[MPTCPMIB.SubflowTable.table] == 300)
    }
}

@Suite("Path table, host gauges and the agent's time stamps in the view")
struct PathViewTests {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }

    @Test func pathRowsGaugesAndAgentFacts() throws {
        var s1 = Subflow(token: 9, local: SocketAddress(address: Self.ip("10.0.0.1"), port: 1),
                         remote: SocketAddress(address: Self.ip("10.9.0.1"), port: 80), state: .established)
        s1.flags = [.fullyEstablished, .connected]
        s1.rtt = 120
        s1.bytesSent = 5
        let c = Connection(token: 9, local: s1.local, remote: s1.remote, state: .established)
        var events = PathEvents(since: 95)
        events.opened = 3
        events.closed = 2
        events.failed = 1
        var snapshot = Snapshot(connections: [c], subflows: [s1],
                                listeners: [Listener(local: SocketAddress(address: Self.ip("::"), port: 80), dualStack: true,
                                                     acceptQueue: 0, backlog: 5),
                                            Listener(local: SocketAddress(address: Self.ip("::"), port: 81), acceptQueue: 0, backlog: 5)],
                                endpoints: [Endpoint(id: 4, address: Self.ip("10.0.0.1"), flags: [.subflow])],
                                limits: Limits(subflows: 2, addAddrAccepted: 0),
                                counters: Counters([("MPJoinSynRx", 1)]),
                                interfaces: [Self.ip("10.0.0.1"): 7])
        snapshot.merge(EventKnowledge(pathEvents: [Self.ip("10.0.0.1"): events]), liveTokens: [c.token])
        var facts = AgentFacts()
        facts.timeStamp = { UInt32(max(0, 5000 - (100 - $0) * 100)) }  // sysUpTime 50 s at monotonic 100 s
        facts.endpointSpinLock = 17
        facts.statsDiscontinuity = 99
        facts.snapshotTime = 99.25
        facts.firstSeen = [9: 97.5]
        let view = MIBView(snapshot: snapshot, facts: facts)
        typealias P = MPTCPMIB.PathTable
        typealias G = MPTCPMIB.General
        let row: OID = [1, 4, 10, 0, 0, 1]
        #expect(view.get(P.ifIndex.oid + row) == .value(.integer(7)))
        #expect(view.get(P.endpointID.oid + row) == .value(.unsigned(4)))
        #expect(view.get(P.endpointFlags.oid + row) == .value(.octets([0x40])))
        #expect(view.get(P.subflows.oid + row) == .value(.unsigned(1)))
        #expect(view.get(P.active.oid + row) == .value(.unsigned(1)))
        #expect(view.get(P.bytesSent.oid + row) == .value(.counter64(5)))
        #expect(view.get(P.rttMax.oid + row) == .value(.unsigned(120)))
        #expect(view.get(P.opened.oid + row) == .value(.counter64(3)))
        #expect(view.get(P.failed.oid + row) == .value(.counter64(1)))
        #expect(view.get(P.discontinuityTime.oid + row) == .value(.timeticks(4500)))
        #expect(view.rowCounts[MPTCPMIB.PathTable.table] == 1)
        #expect(view.get(G.statsDiscontinuityTime.oid + [0]) == .value(.timeticks(4900)))
        #expect(view.get(G.snapshotTime.oid + [0]) == .value(.timeticks(4925)))
        #expect(view.get(G.connectionsOneSubflow.oid + [0]) == .value(.unsigned(1)))
        #expect(view.get(G.subflowsEstablished.oid + [0]) == .value(.unsigned(1)))
        #expect(view.get(G.endpointSpinLock.oid + [0]) == .value(.integer(17)))
        #expect(view.get(MPTCPMIB.ConnectionTable.firstSeen.oid + [9]) == .value(.timeticks(4750)))
        #expect(view.get(MPTCPMIB.EndpointTable.storageType.oid + [4]) == .value(.integer(2)))
        // TCP-MIB's listener wildcards: unknown(0) and no address for both families, '::' for IPv6 only.
        typealias L = MPTCPMIB.ListenerTable
        #expect(view.get(L.backlog.oid + [0, 0, 80]) == .value(.unsigned(5)))
        #expect(view.get(L.backlog.oid + [2, 16] + [UInt32](repeating: 0, count: 16) + [81]) == .value(.unsigned(5)))
        #expect(MIBNames.format(L.backlog.oid + [0, 0, 80]) == "mptcpListenerBacklog.unknown.\"\".80")
        #expect(try MIBNames.parse("mptcpListenerBacklog.unknown.\"\".80") == L.backlog.oid + [0, 0, 80])
    }
}

/// A seeded generator: the shuffles of a test are the same on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
