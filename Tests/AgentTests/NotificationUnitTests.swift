@testable import MPTCPAgent
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI
import Testing

/// The notification gate (enable bits, token bucket, burst summary) with time given.
@Suite("Notification gate")
struct NotificationGateTests {
    typealias K = MPTCPMIB.Notifications.Kind

    @Test func disabledKindsAreNeitherSentNorCounted() {
        var gate = NotificationGate(NotificationState(enabled: [.subflowClosed], rateLimit: 5), at: 0)
        #expect(gate.admit(.connectionEstablished, at: 0) == .disabled)
        #expect(gate.admit(.subflowClosed, at: 0) == .send)
        #expect(gate.state.suppressed == 0)
    }

    @Test func aBurstSendsTheBucketThenTheRateAndEndsWithOneSummary() {
        var gate = NotificationGate(NotificationState(enabled: Set(K.allCases), rateLimit: 5), at: 100)
        // 20 at once: the bucket holds 5.
        let first = (0..<20).map { _ in gate.admit(.subflowClosed, at: 100) }
        #expect(first.filter { $0 == .send }.count == 5 && gate.state.suppressed == 15)
        #expect(gate.inBurst && gate.endedBurst(at: 100.5) == nil)
        // Half a second later, 2.5 tokens came back: 2 more go out.
        let later = (0..<10).map { _ in gate.admit(.subflowClosed, at: 100.5) }
        #expect(later.filter { $0 == .send }.count == 2 && gate.state.suppressed == 23)
        // A quiet second ends the burst, once.
        #expect(gate.endedBurst(at: 101.2) == nil)
        #expect(gate.endedBurst(at: 101.5) == 23)
        #expect(gate.endedBurst(at: 102) == nil && !gate.inBurst)
        // Over a long run the rate holds: 1000 offered over 10 s at 100/s, 5 per second get out.
        var sent = 0
        for i in 0..<1000 where gate.admit(.subflowClosed, at: 110 + Double(i) / 100) == .send { sent += 1 }
        #expect((50...55).contains(sent), "\(sent)")
    }

    @Test func aLowerRateShrinksTheBucket() {
        var gate = NotificationGate(NotificationState(enabled: [.subflowClosed], rateLimit: 100), at: 0)
        gate.configure(enabled: [.subflowClosed], rateLimit: 2)
        #expect((0..<5).map { _ in gate.admit(.subflowClosed, at: 0) }.filter { $0 == .send }.count == 2)
    }
}

/// Events become notifications with their objects and the instances of their rows.
@Suite("Notification contents")
struct NotificationBuilderTests {
    static let local = SocketAddress(address: IPAddress("10.0.0.1")!, port: 40000)
    static let remote = SocketAddress(address: IPAddress("10.0.1.2")!, port: 80)
    static var builder: NotificationBuilder { NotificationBuilder(knowledge: .init(
        connection: { $0 == 7 ? (local, remote, 1234) : nil },
        peerAddress: { token, id in token == 7 && id == 3 ? SocketAddress(address: IPAddress("fd00::3")!, port: 443) : nil },
        interface: { $0 == IPAddress("10.0.0.1") ? 5 : nil })) }

    static func values(_ n: Notification?) -> [String: SNMPValue] {
        Dictionary(uniqueKeysWithValues: (n?.varbinds ?? []).map { (MIBNames.format($0.oid), $0.value) })
    }

    @Test func subflowClosedCarriesTheSubflowPathAndReset() throws {
        let e = PathManagerEvent(kind: .subflowClosed, token: 7, local: Self.local, remote: Self.remote, localID: 2, remoteID: 1,
                                 ifIndex: 9, error: 104, resetReason: 5, resetFlags: 1)
        let n = try #require(Self.builder.notification(for: e))
        #expect(n.kind == .subflowClosed && n.varbinds.first?.value == .objectID(MPTCPMIB.Notifications.subflowClosed.oid))
        let sub = "0x7.ipv4.\"10.0.0.1\".40000.ipv4.\"10.0.1.2\".80"
        #expect(Self.values(n) == [
            "1.3.6.1.6.3.1.1.4.1.0": .objectID(MPTCPMIB.Notifications.subflowClosed.oid),
            "mptcpSubflowLocalId.\(sub)": .unsigned(2), "mptcpSubflowRemoteId.\(sub)": .unsigned(1),
            "mptcpSubflowIfIndex.\(sub)": .integer(9), "mptcpPathIfIndex.ipv4.\"10.0.0.1\"": .integer(5),
            "mptcpNotifyError.0": .unsigned(104), "mptcpNotifyResetReason.0": .integer(5), "mptcpNotifyResetFlags.0": .unsigned(1),
        ])
        // The objects follow the NOTIFICATION-TYPE's OBJECTS, in order.
        #expect(n.varbinds.dropFirst().map { MPTCPMIB.object(containing: $0.oid)!.object }
            == MPTCPMIB.Notifications.subflowClosed.objects)
        // An orderly close: no error, noReset(-1).
        let orderly = Self.values(Self.builder.notification(for: PathManagerEvent(kind: .subflowClosed, token: 7, local: Self.local,
                                                                                    remote: Self.remote)))
        #expect(orderly["mptcpNotifyError.0"] == .unsigned(0) && orderly["mptcpNotifyResetReason.0"] == .integer(-1))
    }

    @Test func closedConnectionsAndRemovedAddressesComeFromWhatTheAgentKnew() throws {
        let closed = Self.values(Self.builder.notification(for: PathManagerEvent(kind: .closed, token: 7)))
        #expect(closed["mptcpConnectionLocalAddress.0x7"] == .octets([10, 0, 0, 1]) && closed["mptcpConnectionRemotePort.0x7"] == .unsigned(80))
        #expect(closed["mptcpConnectionFirstSeen.0x7"] == .timeticks(1234))
        // Unknown connection: unknown(0), empty, 0.
        let unknown = Self.values(Self.builder.notification(for: PathManagerEvent(kind: .closed, token: 8)))
        #expect(unknown["mptcpConnectionLocalAddressType.0x8"] == .integer(0) && unknown["mptcpConnectionLocalAddress.0x8"] == .octets([]))
        let removed = Self.values(Self.builder.notification(for: PathManagerEvent(kind: .removed, token: 7, remoteID: 3)))
        #expect(removed["mptcpRemoteAddressType.0x7.3"] == .integer(2) && removed["mptcpRemoteAddressPort.0x7.3"] == .unsigned(443))
        let established = Self.values(Self.builder.notification(for: PathManagerEvent(
            kind: .established, token: 9, local: Self.local, remote: Self.remote, serverSide: true)))
        #expect(established["mptcpNotifySide.0"] == .integer(2) && established["mptcpConnectionLocalPort.0x9"] == .unsigned(40000))
        // Events without a notification.
        #expect(NotificationBuilder.kind(of: PathManagerEvent(kind: .created, token: 1)) == nil)
        #expect(NotificationBuilder.kind(of: PathManagerEvent(kind: .listenerClosed)) == nil)
    }
}
