import MPTCPModel
import Testing

/// Path summaries and host gauges on a hand-built snapshot whose answers are counted here
/// by hand.
@Suite("Path summaries and host gauges")
struct PathSummaryTests {
    static func ip(_ s: String) -> IPAddress { IPAddress(s)! }
    static func sf(_ token: UInt32, _ local: String, _ port: UInt16, state: TCPState = .established,
                   flags: SubflowFlags = [.fullyEstablished, .connected], rtt: UInt32? = nil, sent: UInt64 = 0,
                   received: UInt64 = 0, retrans: UInt32 = 0) -> Subflow {
        var s = Subflow(token: token, local: SocketAddress(address: ip(local), port: port),
                        remote: SocketAddress(address: ip("192.0.2.1"), port: 80), state: state)
        s.flags = flags
        s.rtt = rtt
        s.bytesSent = sent
        s.bytesReceived = received
        s.totalRetransmits = retrans
        return s
    }

    static let subflows = [
        sf(1, "10.0.0.1", 1000, rtt: 100, sent: 10, received: 1, retrans: 1),
        sf(1, "10.0.1.1", 1001, flags: [.fullyEstablished, .connected, .backupLocal], rtt: 300, sent: 20, received: 2),
        sf(2, "10.0.0.1", 1002, rtt: 200, sent: 30, received: 3, retrans: 2),
        sf(2, "::ffff:10.0.0.1", 1003, state: .synSent, flags: [.joinLocal], sent: 40),  // a mapped v4, not yet up
        sf(3, "10.0.1.1", 1004, flags: [.connected, .backupRemote], rtt: 500),
        sf(4, "fd00::1", 1005, rtt: 50),
    ]

    @Test func oneRowPerLocalAddressWithSumsAndRTT() {
        let ip = Self.ip
        let endpoints = [Endpoint(id: 2, address: ip("10.0.1.1"), flags: [.subflow, .backup]),
                         Endpoint(id: 5, address: ip("10.0.9.9"), flags: [.signal])]
        let interfaces = [ip("10.0.0.1"): UInt32(3), ip("10.0.1.1"): 4]
        var gone = PathEvents(since: 12)
        gone.opened = 7
        gone.closed = 7
        gone.failed = 2
        var rows = PathSummary.build(subflows: Self.subflows, endpoints: endpoints, interfaces: interfaces)
        PathSummary.merge([ip("10.0.7.7"): gone], into: &rows, interfaces: interfaces)
        #expect(rows.map(\.address) == [ip("10.0.0.1"), ip("10.0.1.1"), ip("10.0.7.7"), ip("10.0.9.9"), ip("fd00::1")])
        let a = rows[0]
        #expect(a.subflows == 3 && a.established == 2 && a.backup == 0 && a.active == 2 && a.connections == 2)
        #expect(a.bytesSent == 80 && a.bytesReceived == 4 && a.retransmits == 3)
        #expect(a.rttMean == 150 && a.rttMax == 200 && a.ifIndex == 3 && a.endpoint == nil && a.events == nil)
        let b = rows[1]
        #expect(b.subflows == 2 && b.established == 2 && b.backup == 2 && b.active == 0 && b.connections == 2)
        #expect(b.rttMean == 400 && b.rttMax == 500 && b.ifIndex == 4 && b.endpoint?.id == 2)
        #expect(rows[2].subflows == 0 && rows[2].events == gone && rows[2].ifIndex == 0)
        #expect(rows[3].endpoint?.id == 5 && rows[3].subflows == 0 && rows[3].rttMean == nil)
        #expect(rows[4].subflows == 1 && rows[4].active == 1)
    }

    @Test("Path quality: least min-RTT, summed delivery rates, loss per mille, share of bytes sent")
    func quality() {
        func q(_ local: String, state: TCPState = .established, sent: UInt64, minRtt: UInt32?, rate: UInt64?,
               segs: UInt32?, lost: UInt32, retrans: UInt32) -> Subflow {
            var s = Self.sf(1, local, 1000, state: state, sent: sent, retrans: retrans)
            s.minRtt = minRtt
            s.deliveryRate = rate
            s.dataSegsOut = segs
            s.segsOut = segs.map { $0 * 3 }  // with the ACKs, which the estimate leaves out
            s.lost = lost
            return s
        }
        let subflows = [
            q("10.0.0.1", sent: 600, minRtt: 900, rate: 1_000, segs: 1_000, lost: 3, retrans: 20),
            q("10.0.0.1", sent: 100, minRtt: 700, rate: 500, segs: 3_000, lost: 0, retrans: 17),
            // Not established: its figures do not count, its bytes do.
            q("10.0.0.1", state: .finWait1, sent: 0, minRtt: 10, rate: 9_999, segs: 1, lost: 1, retrans: 1),
            q("10.0.1.1", sent: 300, minRtt: nil, rate: nil, segs: nil, lost: 0, retrans: 0),
            q("10.0.2.1", sent: 0, minRtt: 40, rate: 0, segs: 10, lost: 20, retrans: 0),
        ]
        let rows = PathSummary.build(subflows: subflows, endpoints: [], interfaces: [:])
        // 10.0.0.1: (3 + 20 + 0 + 17) lost or retransmitted of 4,000 data segments = 10 per mille;
        // 700 of the 1,000 bytes sent = 700 per mille.
        #expect(rows[0].minRtt == 700 && rows[0].deliveryRate == 1_500 && rows[0].lossPerMille == 10
                && rows[0].sendSharePerMille == 700)
        // Reports nothing: absent, not zero.
        #expect(rows[1].minRtt == nil && rows[1].deliveryRate == nil && rows[1].lossPerMille == nil
                && rows[1].sendSharePerMille == 300)
        // More lost than sent is capped at 1000.
        #expect(rows[2].lossPerMille == 1000 && rows[2].deliveryRate == 0 && rows[2].sendSharePerMille == 0)
        // Nothing sent anywhere: no share.
        #expect(PathSummary.build(subflows: [q("10.0.0.1", sent: 0, minRtt: nil, rate: nil, segs: 0, lost: 0, retrans: 0)],
                                  endpoints: [], interfaces: [:])[0].sendSharePerMille == nil)
    }

    @Test func hostGauges() {
        let connections = (1...5).map {
            Connection(token: UInt32($0), local: SocketAddress(address: Self.ip("10.0.0.1"), port: 1),
                       remote: SocketAddress(address: Self.ip("192.0.2.1"), port: 80), state: .established)
        }
        var withFallback = connections
        withFallback[4].flags = .fallback
        let host = HostSummary(connections: withFallback, subflows: Self.subflows)
        // token 1: 2 subflows; 2: 2; 3: 1 (its only established subflow is backup); 4: 1; 5: none.
        #expect(host.oneSubflow == 2 && host.twoSubflows == 2 && host.moreSubflows == 0)
        #expect(host.fallback == 1 && host.backupOnly == 1 && host.establishedSubflows == 5)
    }

    @Test func mappedAddressesAreTheirIPv4Address() {
        #expect(Self.ip("::ffff:10.0.0.1").unmapped == Self.ip("10.0.0.1"))
        #expect(Self.ip("fd00::1").unmapped == Self.ip("fd00::1") && Self.ip("10.0.0.1").unmapped == Self.ip("10.0.0.1"))
    }
}
