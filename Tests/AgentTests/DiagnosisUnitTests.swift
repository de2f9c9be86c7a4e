@testable import MPTCPAgent
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI
import Testing

/// The event log, fallback attribution and the SET of the log's size, in-process.
@Suite("Event log and fallback detection (in-process)")
struct DiagnosisUnitTests {
    static func entry(_ n: Int) -> EventLogEntry {
        EventLogEntry(time: Double(n), .event(PathManagerEvent(kind: .subflowClosed, token: UInt32(n))))
    }

    @Test func theLogKeepsTheNewestAndCountsWhatItDrops() {
        var log = EventLog(capacity: 3, start: 0)
        for n in 1...7 { log.append(Self.entry(n)) }
        #expect(log.entries.map(\.index) == [5, 6, 7])
        #expect(log.entries.map(\.subject.token) == [5, 6, 7])
        #expect(log.lastIndex == 7 && log.dropped == 4)
        log.resize(2)  // the oldest goes, counted
        #expect(log.entries.map(\.index) == [6, 7] && log.dropped == 5)
        log.resize(5)
        for n in 8...10 { log.append(Self.entry(n)) }
        #expect(log.entries.map(\.index) == [6, 7, 8, 9, 10] && log.dropped == 5)
        log.append(Self.entry(11))
        #expect(log.entries.map(\.index) == [7, 8, 9, 10, 11] && log.dropped == 6)
        log.resize(0)  // keeps nothing, still numbers and counts
        log.append(Self.entry(12))
        #expect(log.entries.isEmpty && log.lastIndex == 12 && log.dropped == 12)
        #expect(EventLog(capacity: 1_000_000, start: 0).capacity == EventLog.maximumCapacity)
    }

    /// The causes of these MPTcpExt counters.
    static func causes(_ names: String...) -> FallbackCauses {
        FallbackCauses(rawValue: names.reduce(0) { $0 | 1 << UInt32(FallbackCauses.counters.firstIndex(of: $1)!) })
    }

    static func counters(_ values: [String: UInt64]) -> Counters {
        Counters((FallbackCauses.counters + ["Blackhole"]).map { ($0, values[$0] ?? 0) })
    }

    static func connection(_ token: UInt32, fallback: Bool) -> Connection {
        let a = SocketAddress(address: IPAddress("10.0.0.1")!, port: UInt16(1000 + token))
        var c = Connection(token: token, local: a, remote: SocketAddress(address: IPAddress("10.0.0.2")!, port: 80),
                           state: .established)
        c.flags = fallback ? [.fallback] : [.remoteKeyReceived]
        return c
    }

    @Test func fallbacksAreAttributedToTheCountersThatRose() {
        var t = FallbackTracker()
        // Before the first reading: connections in fallback fell back before the agent knew.
        #expect(t.observe(counters: Self.counters([:])) == (false, false))
        #expect(t.observe(connections: [Self.connection(1, fallback: true), Self.connection(2, fallback: false)]).isEmpty)
        #expect(t.fallen[1] == .some(nil) && t.causes(token: 1) == nil)
        // Connection 2 falls back while DssFallback rises.
        #expect(t.observe(counters: Self.counters(["DssFallback": 1])) == (true, false))
        let found = t.observe(connections: [Self.connection(1, fallback: true), Self.connection(2, fallback: true)])
        #expect(found.map(\.connection.token) == [2] && found.first?.causes == Self.causes("DssFallback"))
        #expect(t.causes(token: 2) == Self.causes("DssFallback"))
        // A dump taken just before the counters saw the rise: the next reading finds the
        // connection and attributes it to the interval before.
        #expect(t.observe(counters: Self.counters(["DssFallback": 1, "MPCapableFallbackSYNACK": 1])) == (true, false))
        #expect(t.observe(connections: [Self.connection(2, fallback: true)]).isEmpty)
        #expect(t.observe(counters: Self.counters(["DssFallback": 1, "MPCapableFallbackSYNACK": 1])) == (false, false))
        #expect(t.observe(connections: [Self.connection(2, fallback: true), Self.connection(3, fallback: true)])
            .map(\.causes) == [Self.causes("MPCapableFallbackSYNACK")])
        // Two kinds in one interval: both named (the ambiguity).
        _ = t.observe(counters: Self.counters(["DssFallback": 2, "MPCapableFallbackSYNACK": 2, "MPFailRx": 1]))
        #expect(t.observe(connections: [Self.connection(4, fallback: true)]).map(\.causes)
            == [Self.causes("DssFallback", "MPCapableFallbackSYNACK", "MPFailRx")])
        // Gone connections are forgotten.
        #expect(t.fallen.keys.sorted() == [4])
        // Blackhole detection fired.
        #expect(t.observe(counters: Self.counters(["DssFallback": 2, "MPCapableFallbackSYNACK": 2, "MPFailRx": 1,
                                                   "Blackhole": 1])) == (false, true))
    }

    /// The agent state logs what it detects, and queues notifications only for kinds enabled.
    @Test func detectionsAreLoggedAndQueuedWhenEnabled() throws {
        let state = AgentState(followingEvents: true, notifications: NotificationState(enabled: [.connectionFallback], rateLimit: 10),
                               eventLogSize: 10)
        state.detect(counters: Self.counters([:]), reading: { [Self.connection(1, fallback: false)] }, timeout: { nil }, at: 1)
        state.detect(counters: Self.counters(["MPFailTx": 1, "Blackhole": 1]),
                     reading: { [Self.connection(1, fallback: true)] }, timeout: { 3600 }, at: 2)
        #expect(state.takeDetections() == [.fallback(Self.connection(1, fallback: true), Self.causes("MPFailTx"))])
        #expect(state.takeDetections().isEmpty)
        let (_, facts) = state.read(SyntheticSource(snapshot: Snapshot()), startedAt: 3)
        #expect(facts.eventLog.entries.map(\.kind) == [.blackholeDetected, .connectionFallback])
        #expect(facts.eventLog.entries.last?.fallbackCauses == Self.causes("MPFailTx") && facts.eventLog.entries.last?.subject.token == 1)
        #expect(facts.eventLog.lastIndex == 2 && facts.eventLog.size == 10)
    }

    typealias L = MPTCPMIB.EventLog

    @Test func theLogSizeIsSetAtCommit() throws {
        let state = SetPlanTests.state
        let r = try SetPlanTests.plan([(L.size, 0, .unsigned(50))], state: state)
        #expect(SetPlanTests.steps(r) == [.eventLogSize(new: 50, old: 1000)])
        #expect(throws: SetRefusal.self) { try SetChange.validate(oid: L.size.oid + [0], value: .unsigned(100_001), settings: state.settings) }
        #expect(throws: SetRefusal.self) { try SetChange.validate(oid: L.lastIndex.oid + [0], value: .unsigned(1), settings: state.settings) }
    }

    /// The view serves the log's scalars and rows, columns absent where the event says nothing.
    @Test func theViewServesTheLog() throws {
        var facts = AgentFacts()
        facts.timeStamp = { UInt32($0 * 100) }
        var closed = EventLogEntry(time: 2, .event(PathManagerEvent(
            kind: .subflowClosed, token: 0xabc, local: SocketAddress(address: IPAddress("10.0.0.1")!, port: 5),
            remote: SocketAddress(address: IPAddress("10.0.0.2")!, port: 80), error: 111, resetReason: 1)))
        closed.index = 8
        var lost = EventLogEntry(time: 3, .eventsLost)
        lost.index = 9
        facts.eventLog = EventLogFacts(size: 100, lastIndex: 9, dropped: 7, since: 1, entries: [closed, lost])
        let view = MIBView(snapshot: Snapshot(), facts: facts)
        typealias T = MPTCPMIB.EventLogTable
        #expect(view.get(L.size.oid + [0]) == .value(.unsigned(100)))
        #expect(view.get(L.lastIndex.oid + [0]) == .value(.unsigned(9)))
        #expect(view.get(L.dropped.oid + [0]) == .value(.counter64(7)))
        #expect(view.get(L.discontinuityTime.oid + [0]) == .value(.timeticks(100)))
        #expect(view.get(T.time.oid + [8]) == .value(.timeticks(200)))
        #expect(view.get(T.kind.oid + [8]) == .value(.integer(11)))
        #expect(view.get(T.token.oid + [8]) == .value(.unsigned(0xabc)))
        #expect(view.get(T.remoteAddress.oid + [8]) == .value(.octets([10, 0, 0, 2])))
        #expect(view.get(T.error.oid + [8]) == .value(.unsigned(111)))
        #expect(view.get(T.resetReason.oid + [8]) == .value(.integer(1)))
        #expect(view.get(T.kind.oid + [9]) == .value(.integer(102)))
        #expect(view.get(T.token.oid + [9]) == .noSuchInstance)
        #expect(view.get(T.backup.oid + [8]) == .noSuchInstance)
        // An NMS reading "after index 8" gets entry 9 next, then the next column.
        #expect(view.next(after: T.kind.oid + [8])?.oid == T.kind.oid + [9])
        #expect(view.next(after: T.time.oid + [9])?.oid == T.kind.oid + [8])
        #expect(view.rowCounts[T.table] == 2)
    }
}
