@testable import MPTCPAgent
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform
import Testing

@Suite("The agent's state beside a kernel snapshot")
struct AgentStateTests {
    /// What the events told is merged into the snapshot after the read: announcements of
    /// live connections, path event counts, first-seen times; connections known before
    /// the read that it did not find are forgotten.
    @Test func eventKnowledgeIsMergedAfterTheRead() {
        let state = AgentState(followingEvents: true, notifications: .withoutAgent)
        let kernel = Snapshot.synthetic(connections: 2, subflowsPerConnection: 1)
        let (c, other) = (kernel.connections[0], kernel.connections[1])
        let sf = kernel.subflows.first { $0.token == c.token }!
        let peer = SocketAddress(address: IPAddress("10.9.9.9")!, port: 80)
        let gone: UInt32 = 12345
        state.apply([PathManagerEvent(kind: .established, token: c.token, local: sf.local, remote: sf.remote),
                     PathManagerEvent(kind: .announced, token: c.token, remote: peer, remoteID: 5),
                     PathManagerEvent(kind: .announced, token: gone, remote: peer, remoteID: 1)], lost: false, at: 10)
        let (snapshot, facts) = state.read(SyntheticSource(snapshot: kernel), startedAt: 20)
        let announced = snapshot.remoteAddresses.filter { $0.sources.contains(.announced) }
        #expect(announced.map { [$0.token, UInt32($0.id), UInt32($0.port), $0.subflows] } == [[c.token, 5, 80, 0]])
        #expect(announced.first?.address == peer.address && announced.first?.sources == .announced)
        #expect(snapshot.remoteAddresses.count == kernel.remoteAddresses.count + 1)
        #expect(snapshot.paths.first { $0.address == sf.local.address }?.events?.opened == 1)
        #expect(kernel.paths.allSatisfy { $0.events == nil })  // the kernel's snapshot is left as it was
        #expect(facts.firstSeen == [c.token: 10, other.token: 20])
        #expect(state.announced(token: c.token, id: 5) == peer && state.announced(token: gone, id: 1) == nil)
    }

    @Test func timeStampsFollowTheAnchor() {
        let uptime = Uptime(ticks: 5000, at: 100)  // sysUpTime 50 s at monotonic 100 s
        #expect(uptime.timeStamp(at: 100) == 5000 && uptime.timeStamp(at: 90.5) == 4050 && uptime.timeStamp(at: 49) == 0)
        #expect(uptime.timeStamp(at: 101.5) == 5150)  // after the anchor: predicted from it
        // Readings that the anchor predicts (sysUpTime truncated to the tick) keep it, so a
        // TimeStamp reads the same at every request; snmpd restarted gets a new one.
        // Events after the first anchor too: they are not all stamped with the anchor's time.
        let event = 95.337, later = 125.5
        var anchor = uptime
        for (monotonic, ticks) in [(110.004, UInt32(6000)), (120.009, 7000), (130.0, 8000), (140.019, 9001)] {
            anchor = anchor.anchored(ticks: ticks, at: monotonic)
            #expect(anchor.timeStamp(at: event) == 4534, "\(monotonic)")
            #expect(anchor.timeStamp(at: later) == 7550, "\(monotonic)")
        }
        let restarted = anchor.anchored(ticks: 12, at: 150)
        #expect(restarted.ticks == 12 && restarted.timeStamp(at: 149.9) == 2)
        // What a new anchor at each request would have given: 4533 or 4534.
        #expect(Uptime(ticks: 6000, at: 110.004).timeStamp(at: event) == 4533)
    }

    /// Published rows reach the next facts; contexts report whether they changed.
    @Test func publishedStateReachesTheFacts() {
        let state = AgentState(followingEvents: false, notifications: .withoutAgent)
        let context = ServedContext(name: "blue", path: "/run/netns/blue")
        #expect(state.publish(contexts: [context]))
        #expect(!state.publish(contexts: [context]))
        state.hold(pendingEndpoints: [], spinLock: 3)
        state.anchorUptime(ticks: 500)
        let (_, facts) = state.read(SyntheticSource(snapshot: Snapshot()), startedAt: 0)
        #expect(facts.contexts == [context] && facts.endpointSpinLock == 3 && facts.timeStamp(MonotonicClock.now) == 500)
        #expect(facts.firstSeen.isEmpty && facts.statsDiscontinuity == nil)
    }
}
