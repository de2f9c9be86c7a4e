import MPTCPModel
import Testing

@Suite("MPTCP model")
struct ModelTests {
    @Test func addresses() throws {
        let v4 = try #require(IPAddress("10.0.0.1"))
        let v6 = try #require(IPAddress("fd00::1"))
        #expect(v4.family == .ipv4 && v4.bytes == [10, 0, 0, 1] && v4.description == "10.0.0.1")
        #expect(v6.family == .ipv6 && v6.bytes.count == 16 && v6.description == "fd00::1")
        #expect(IPAddress("10.0.0.256") == nil && IPAddress("fd00:::1") == nil && IPAddress(bytes: [1, 2, 3]) == nil)
        // InetAddress index order: IPv4 before IPv6, then by bytes.
        #expect(v4 < v6 && IPAddress("10.0.0.2")! > v4 && IPAddress("::ffff:1.2.3.4")!.family == .ipv6)
        #expect(IPAddress("0.0.0.0")!.isUnspecified && !v4.isUnspecified)
        #expect(SocketAddress(address: v6, port: 80).description == "[fd00::1]:80")
        #expect(SocketAddress(address: v4, port: 80) < SocketAddress(address: v4, port: 81))
    }

    @Test func snapshotJoinsSubflowsToTheirConnections() {
        let a = SocketAddress(address: IPAddress("10.0.0.1")!, port: 1000)
        let b = SocketAddress(address: IPAddress("10.0.0.2")!, port: 80)
        let c = Connection(token: 1, local: a, remote: b, state: .established)
        var s1 = Subflow(token: 1, local: a, remote: b, state: .established)
        s1.remoteID = 0
        var orphan = Subflow(token: 2, local: a, remote: b, state: .established)
        orphan.remoteID = 0
        let snapshot = Snapshot(connections: [c], subflows: [s1, orphan])
        // A subflow of a connection born between the two dumps has no row to join.
        #expect(snapshot.subflows.map(\.token) == [1])
    }

    /// Rows are held by the hundred thousand: each optional field is a value and a bit.
    @Test func compactRowsKeepOptionalFieldsApart() {
        let a = SocketAddress(address: IPAddress("10.0.0.1")!, port: 1000)
        let b = SocketAddress(address: IPAddress("fd00::2")!, port: 80)
        var s = Subflow(token: 1, local: a, remote: b, state: .established)
        #expect(s.rtt == nil && s.bytesSent == nil && s.flags == nil && s.caState == nil && s.deliveredCe == nil)
        // Zero is a value, not absence; each field has its own bit.
        s.rtt = 0
        s.pacingRate = .max
        s.flags = [.backupLocal]
        s.caState = 4
        #expect(s.rtt == 0 && s.pacingRate == .max && s.flags == [.backupLocal] && s.caState == 4)
        #expect(s.rttVariance == nil && s.deliveryRate == nil && s.localID == nil && s.isBackup)
        // A field set back to nil leaves a row equal (and hashing equal) to one never set.
        var t = s
        t.minRtt = 7
        t.minRtt = nil
        #expect(t == s && t.hashValue == s.hashValue && t.minRtt == nil)
        t.rtt = nil
        #expect(t != s && t.rtt == nil && t.pacingRate == .max)
        var c = Connection(token: 1, local: a, remote: b, state: .established)
        #expect(c.checksumEnabled == nil && c.bytesAcked == nil && c.fullmeshEndpoints == nil)
        c.checksumEnabled = false
        c.bytesAcked = 1 << 40
        c.fullmeshEndpoints = 0
        #expect(c.checksumEnabled == false && c.bytesAcked == 1 << 40 && c.fullmeshEndpoints == 0 && c.subflowsTotal == nil)
        c.checksumEnabled = true
        #expect(c.checksumEnabled == true)
        // The point of it: with stored optionals the rows took 336 and 208 bytes.
        #expect(MemoryLayout<Subflow>.stride <= 200 && MemoryLayout<Connection>.stride <= 160)
    }

    @Test func remoteAddressesMergeSubflowsAndAnnouncements() {
        let peer = IPAddress("10.0.0.2")!
        func sf(_ port: UInt16, id: UInt8) -> Subflow {
            var s = Subflow(token: 7, local: SocketAddress(address: IPAddress("10.0.0.1")!, port: port),
                            remote: SocketAddress(address: peer, port: port + 1), state: .established)
            s.remoteID = id
            return s
        }
        let announced = [
            Announcement(token: 7, id: 1, address: SocketAddress(address: IPAddress("10.0.1.2")!, port: 80)),
            Announcement(token: 7, id: 2, address: SocketAddress(address: IPAddress("fd00::2")!, port: 80)),
            Announcement(token: 99, id: 1, address: SocketAddress(address: peer, port: 80)),  // gone
        ]
        var s1 = sf(500, id: 1)
        s1.remote.address = IPAddress("10.0.1.2")!
        var rows = RemoteAddress.build(subflows: [sf(100, id: 0), sf(50, id: 0), s1])
        #expect(rows.map(\.id) == [0, 1] && rows.allSatisfy { $0.sources == .subflow })
        RemoteAddress.merge(announced, into: &rows, liveTokens: [7])
        #expect(rows.map(\.id) == [0, 1, 2])
        #expect(rows[0].sources == .subflow && rows[0].subflows == 2 && rows[0].port == 51)  // the lowest remote port
        #expect(rows[1].sources == [.subflow, .announced] && rows[1].port == 80 && rows[1].subflows == 1)
        #expect(rows[2].sources == .announced && rows[2].subflows == 0 && rows[2].address == IPAddress("fd00::2"))
    }

    @Test func countersAndSettings() {
        let c = Counters([("MPJoinSynRx", 3), ("MPCurrEstab", 2)])
        #expect(c["MPJoinSynRx"] == 3 && c["Nope"] == nil)
        #expect(c.all.map(\.isGauge) == [false, true])
        let s = Settings(["available_schedulers": "default bpf_rr"])
        #expect(s.list("available_schedulers") == ["default", "bpf_rr"] && s.list("missing").isEmpty)
    }

    @Test func tcpStateMasks() {
        #expect(TCPState.listen.mask == 1 << 10)
        #expect(TCPState.connected & TCPState.established.mask != 0)
        #expect(TCPState.connected & (TCPState.listen.mask | TCPState.timeWait.mask | TCPState.close.mask) == 0)
    }
}
