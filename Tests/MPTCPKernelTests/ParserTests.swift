import CMPTCPNetlink
import Foundation
@testable import MPTCPKernel
import MPTCPModel
import Testing

/// Real kernel messages (captured by scripts/capture-netlink-fixtures) through the C
/// parsers, compared with an independent decoding made at capture time.
@Suite("Netlink parsers on captured kernel messages")
struct ParserTests {
    static let fixtures: [String: [UInt8]] = {
        let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        var out: [String: [UInt8]] = [:]
        for url in try! FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
        where url.pathExtension == "hex" {
            let hex = try! String(contentsOf: url, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var bytes: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                bytes.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            out[url.deletingPathExtension().lastPathComponent] = bytes
        }
        return out
    }()

    nonisolated(unsafe) static let expected: [String: [String: Any]] = {
        let url = Bundle.module.url(forResource: "Fixtures/expected", withExtension: "json")!
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: [String: Any]]
    }()

    static func int(_ name: String, _ key: String) -> UInt64? { (expected[name]?[key] as? NSNumber)?.uint64Value }
    static func str(_ name: String, _ key: String) -> String? { expected[name]?[key] as? String }

    static let connectionFixtures = ["mptcp-connection", "mptcp-connection-v6", "mptcp-fallback", "mptcp-listener"]
    static let subflowFixtures = ["tcp-subflow-initial", "tcp-subflow-join", "tcp-subflow-backup"]
    static let endpointFixtures = ["pm-endpoint-subflow", "pm-endpoint-signal", "pm-endpoint-signal-v6"]
    static let eventFixtures = ["event-created", "event-announced", "event-sub-established"]

    @Test func everyFixtureWasCaptured() {
        for name in Self.connectionFixtures + Self.subflowFixtures + Self.endpointFixtures + Self.eventFixtures
            + ["tcp-plain", "pm-limits"] {
            #expect(Self.fixtures[name] != nil && Self.expected[name] != nil, "\(name)")
        }
    }

    @Test(arguments: connectionFixtures)
    func connection(_ name: String) throws {
        let bytes = try #require(Self.fixtures[name])
        var c = mptcp_nl_connection()
        #expect(mptcp_nl_parse_connection(bytes, bytes.count, &c) == 0)
        let family: IPAddress.Family = Self.int(name, "family") == 2 ? .ipv4 : .ipv6
        let model = SockDiag.connection(c, state: TCPState(rawValue: c.sock.state)!)
        #expect(UInt64(c.sock.state) == Self.int(name, "state"))
        #expect(model.local.address.family == family)
        #expect(model.local.address.description == Self.str(name, "src"))
        #expect(model.remote.address.description == Self.str(name, "dst"))
        #expect(UInt64(model.local.port) == Self.int(name, "sport") && UInt64(model.remote.port) == Self.int(name, "dport"))
        #expect(UInt64(c.info_len) == Self.int(name, "info_len"))
        #expect(UInt64(model.token) == Self.int(name, "token"))
        #expect(UInt64(model.flags.rawValue) == Self.int(name, "flags"))
        #expect(UInt64(model.extraSubflows) == Self.int(name, "subflows"))
        #expect(UInt64(model.limitSubflows) == Self.int(name, "subflows_max"))
        #expect(UInt64(model.addAddrAccepted) == Self.int(name, "add_addr_accepted"))
        #expect(model.writeSeq == Self.int(name, "write_seq") && model.rcvNxt == Self.int(name, "rcv_nxt"))
        #expect(model.bytesSent == Self.int(name, "bytes_sent"))
        #expect(model.subflowsTotal.map(UInt64.init) == Self.int(name, "subflows_total"))
    }

    @Test func olderKernelsSendShorterMptcpInfo() throws {
        // A 6.4 kernel sends 48 bytes: fields after csum_enabled must be unknown, not zero.
        let full = try #require(Self.fixtures["mptcp-connection"])
        var c = mptcp_nl_connection()
        #expect(mptcp_nl_parse_connection(full, full.count, &c) == 0)
        c.info_len = 48
        let model = SockDiag.connection(c, state: .established)
        #expect(model.checksumEnabled != nil && model.subflowEndpoints != nil)
        #expect(model.bytesSent == nil && model.subflowsTotal == nil && model.lastAckReceived == nil)
        c.info_len = 40
        #expect(SockDiag.connection(c, state: .established).checksumEnabled == nil)
    }

    @Test(arguments: subflowFixtures)
    func subflow(_ name: String) throws {
        let bytes = try #require(Self.fixtures[name])
        var s = mptcp_nl_subflow()
        #expect(mptcp_nl_parse_subflow(bytes, bytes.count, &s) == 1)
        let model = SockDiag.subflow(s, state: .established)
        #expect(model.local.address.description == Self.str(name, "src"))
        #expect(model.remote.address.description == Self.str(name, "dst"))
        #expect(UInt64(model.token) == Self.int(name, "token_loc"))
        #expect(model.remoteToken.map(UInt64.init) == Self.int(name, "token_rem"))
        #expect(model.localID.map(UInt64.init) == Self.int(name, "id_loc"))
        #expect(model.remoteID.map(UInt64.init) == Self.int(name, "id_rem"))
        #expect(model.flags.map { UInt64($0.rawValue) } == Self.int(name, "flags"))
        #expect(UInt64(model.ifIndex) == Self.int(name, "ifindex"))
        #expect(model.rtt.map(UInt64.init) == Self.int(name, "rtt"))
        #expect(model.congestionWindow.map(UInt64.init) == Self.int(name, "snd_cwnd"))
        #expect(model.bytesSent == Self.int(name, "bytes_sent"))
    }

    @Test func plainTCPSocketIsNotASubflow() throws {
        let bytes = try #require(Self.fixtures["tcp-plain"])
        var s = mptcp_nl_subflow()
        #expect(mptcp_nl_parse_subflow(bytes, bytes.count, &s) == 0)
    }

    @Test(arguments: endpointFixtures)
    func endpoint(_ name: String) throws {
        let bytes = try #require(Self.fixtures[name])
        var e = mptcp_nl_endpoint()
        #expect(mptcp_nl_parse_endpoint(bytes, bytes.count, &e) == 0)
        let model = try #require(PathManager.endpoint(e))
        #expect(UInt64(model.id) == Self.int(name, "id"))
        #expect(model.address.description == Self.str(name, "addr"))
        #expect(UInt64(model.port) == Self.int(name, "port"))
        #expect(UInt64(model.flags.rawValue) == Self.int(name, "flags"))
        #expect(UInt64(model.ifIndex) == Self.int(name, "ifindex") ?? 0)
    }

    @Test func limits() throws {
        let bytes = try #require(Self.fixtures["pm-limits"])
        var subflows: UInt32 = 0, accepted: UInt32 = 0
        #expect(mptcp_nl_parse_limits(bytes, bytes.count, &subflows, &accepted) == 0)
        #expect(UInt64(subflows) == Self.int("pm-limits", "subflows"))
        #expect(UInt64(accepted) == Self.int("pm-limits", "add_addr_accepted"))
    }

    @Test(arguments: eventFixtures)
    func event(_ name: String) throws {
        let bytes = try #require(Self.fixtures[name])
        var e = mptcp_nl_event()
        #expect(mptcp_nl_parse_event(bytes, bytes.count, &e) == 0)
        let model = try #require(PathManagerEvent(e))
        #expect(UInt64(model.kind.rawValue) == Self.int(name, "type"))
        #expect(model.token.map(UInt64.init) == Self.int(name, "token"))
        #expect(model.remoteID.map(UInt64.init) == Self.int(name, "rem_id"))
        #expect(model.remote?.address.description == Self.str(name, "daddr"))
        #expect(model.remote.map { UInt64($0.port) } == Self.int(name, "dport"))
        #expect(model.backup.map { $0 ? 1 : 0 } == Self.int(name, "backup"))
    }

    @Test func announcementTrackerFollowsEvents() throws {
        let announced = try #require(Self.fixtures["event-announced"])
        var e = mptcp_nl_event()
        #expect(mptcp_nl_parse_event(announced, announced.count, &e) == 0)
        let event = try #require(PathManagerEvent(e))
        var tracker = AnnouncementTracker()
        tracker.apply(event)
        #expect(tracker.announcements.count == 1)
        #expect(tracker.announcements.first?.address.description == "\(Self.str("event-announced", "daddr")!):5000")
        tracker.apply(PathManagerEvent(kind: .removed, token: event.token, remoteID: event.remoteID))
        #expect(tracker.announcements.isEmpty)
        tracker.apply(event)
        tracker.apply(PathManagerEvent(kind: .closed, token: event.token))
        #expect(tracker.announcements.isEmpty)

        // A snapshot drops connections it knew and did not find alive (lost CLOSED events),
        // never one that appeared while it was being read.
        tracker.apply(event)
        let before = tracker.tokens
        let newcomer = PathManagerEvent(kind: .announced, token: 42, remote: event.remote, remoteID: 1)
        tracker.apply(newcomer)
        tracker.retain(alive: [], before: before)
        #expect(tracker.tokens == [42])
    }
}

@Suite("Subflow events per local address")
struct PathEventCounterTests {
    static let a = SocketAddress(address: IPAddress("10.0.0.1")!, port: 1000)
    static let b = SocketAddress(address: IPAddress("10.0.1.1")!, port: 1001)
    static let peer = SocketAddress(address: IPAddress("192.0.2.1")!, port: 80)

    @Test func opensClosesAndFailures() {
        var c = PathEventCounter(start: 5)
        c.apply(PathManagerEvent(kind: .created, token: 1, local: Self.a, remote: Self.peer), at: 6)
        c.apply(PathManagerEvent(kind: .established, token: 1, local: Self.a, remote: Self.peer), at: 6)
        c.apply(PathManagerEvent(kind: .subflowEstablished, token: 1, local: Self.b, remote: Self.peer), at: 6)
        c.apply(PathManagerEvent(kind: .subflowEstablished, token: 1, local: Self.b, remote: Self.peer), at: 6)  // repeated: one subflow
        c.apply(PathManagerEvent(kind: .subflowClosed, token: 1, local: Self.b, remote: Self.peer, resetReason: 1), at: 7)
        c.apply(PathManagerEvent(kind: .subflowEstablished, token: 1, local: Self.b, remote: Self.peer), at: 7)
        c.apply(PathManagerEvent(kind: .subflowClosed, token: 1, local: Self.b, remote: Self.peer, error: 104), at: 8)
        c.apply(PathManagerEvent(kind: .subflowEstablished, token: 1, local: Self.b, remote: Self.peer), at: 8)
        // The connection closes: its two open subflows close with it, without a failure.
        c.apply(PathManagerEvent(kind: .closed, token: 1), at: 9)
        let byAddress = c.byAddress
        let onA = byAddress[Self.a.address], onB = byAddress[Self.b.address]
        #expect(onA?.opened == 1 && onA?.closed == 1 && onA?.failed == 0 && onA?.since == 5)
        #expect(onB?.opened == 3 && onB?.closed == 3 && onB?.failed == 2)
        // Why each closed, when the last of each reason did, and the last of all.
        #expect(onA?.closes == [.withConnection: .init(subflows: 1, last: 9)])
        #expect(onB?.closes == [.mpTcpRstMptcpSpecificError: .init(subflows: 1, last: 7), .tcpReset: .init(subflows: 1, last: 8),
                                .withConnection: .init(subflows: 1, last: 9)])
        #expect(onB?.lastClose?.reason == .withConnection && onB?.lastClose?.time == 9)
        #expect(c.tokens.isEmpty)
        c.markLoss(at: 10)
        #expect(c.byAddress[Self.a.address]?.since == 10 && c.byAddress[Self.a.address]?.opened == 1)
    }

    @Test("Each SUB_CLOSED gets one reason: MP_TCPRST first, then a withdrawn address, then the socket error")
    func closeReasons() {
        func reason(error: UInt8? = nil, reset: UInt32? = nil, withdrawn: Bool = false, localID: UInt8 = 0,
                    establishedFor: Double? = nil) -> SubflowCloseReason {
            SubflowCloseReason(subflowClosed: PathManagerEvent(kind: .subflowClosed, token: 1, localID: localID, remoteID: 0,
                                                               error: error, resetReason: reset),
                               withdrawn: withdrawn, establishedFor: establishedFor)
        }
        #expect(reason() == .orderly)
        #expect(reason(withdrawn: true) == .removedByPathManager)
        #expect(reason(error: 104) == .tcpReset && reason(error: 32) == .tcpReset)
        #expect(reason(error: 111) == .joinRefused)
        // A join reset right after its handshake carries no error: refused when that quick.
        #expect(reason(localID: 1, establishedFor: 0.01) == .joinRefused)
        #expect(reason(localID: 1, establishedFor: SubflowCloseReason.joinRefusalWindow + 1) == .orderly)
        #expect(reason(localID: 1) == .orderly)  // its SUB_ESTABLISHED not seen: nothing to tell
        #expect(reason(establishedFor: 0.01) == .orderly)  // the initial subflow is no join
        #expect(reason(withdrawn: true, localID: 1, establishedFor: 0.01) == .removedByPathManager)
        #expect(reason(error: 110) == .timeout)
        #expect(reason(error: 103) == .aborted)
        #expect(reason(error: 113) == .otherError)
        // RFC 8684's codes 0 to 6, in order; a code it does not define is unspecified.
        let rst: [SubflowCloseReason] = [.mpTcpRstUnspecified, .mpTcpRstMptcpSpecificError, .mpTcpRstLackOfResources,
                                         .mpTcpRstAdministrativelyProhibited, .mpTcpRstTooMuchOutstandingData,
                                         .mpTcpRstUnacceptablePerformance, .mpTcpRstMiddleboxInterference]
        #expect((0...6).map { reason(error: 104, reset: UInt32($0), withdrawn: true) } == rst)
        #expect(reason(reset: 7) == .mpTcpRstUnspecified && reason(reset: .max) == .mpTcpRstUnspecified)
    }

    @Test("A connection gone without CLOSED (MP_FASTCLOSE received, or the event lost): its subflows closed with it")
    func connectionsWhoseCloseWasLostCloseTheirSubflows() {
        var c = PathEventCounter(start: 0)
        c.apply(PathManagerEvent(kind: .established, token: 1, local: Self.a, remote: Self.peer), at: 7)
        c.apply(PathManagerEvent(kind: .subflowEstablished, token: 1, local: Self.b, remote: Self.peer), at: 7)
        let before = c.tokens
        c.apply(PathManagerEvent(kind: .established, token: 2, local: Self.a, remote: Self.peer), at: 7)
        c.retain(alive: [], before: before, at: 8)
        #expect(c.tokens == [2])
        #expect(c.byAddress[Self.a.address]?.closes == [.withConnection: .init(subflows: 1, last: 8)])
        #expect(c.byAddress[Self.b.address]?.closes == [.withConnection: .init(subflows: 1, last: 8)])
        #expect(c.byAddress[Self.a.address]?.opened == 2 && c.byAddress[Self.a.address]?.closed == 1)
    }
}
