import Logging
@testable import MPTCPAgent
import MPTCPMIB
import MPTCPMIBView
import SMI
import MPTCPModel
import Platform
import Synchronization
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The documented choice when the kernel fails: the affected table answers empty (it never
/// shows stale rows as current) and the rest keeps answering.
@Suite("Snapshot cache")
struct ViewCacheTests {
    final class Source: SnapshotSource, @unchecked Sendable {
        var snapshot: Snapshot
        var reads = 0
        init(_ s: Snapshot) { snapshot = s }
        func read() -> Snapshot {
            reads += 1
            return snapshot
        }
    }

    static let good = Snapshot.synthetic(connections: 3)

    /// Snapshots whose dumps can be held at their start (the data a dump returns is taken
    /// then). Each reading thread gets a reader of its own (`reader()`), and the gate knows
    /// how many of them are alive: a refresher's reader is freed when its thread ends.
    final class Gate: @unchecked Sendable {
        private let state = Mutex((snapshot: ViewCacheTests.good, held: false, waiting: false, reads: 0, readers: 0))
        func set(_ s: Snapshot) { state.withLock { $0.snapshot = s } }
        func hold(_ on: Bool) { state.withLock { $0.held = on } }
        var waiting: Bool { state.withLock { $0.waiting } }
        var reads: Int { state.withLock { $0.reads } }
        var readers: Int { state.withLock { $0.readers } }

        final class Reader: SnapshotSource {
            let gate: Gate
            init(_ gate: Gate) {
                self.gate = gate
                gate.state.withLock { $0.readers += 1 }
            }
            deinit { gate.state.withLock { $0.readers -= 1 } }
            func read() -> Snapshot { gate.read() }
        }

        func reader() -> Reader { Reader(self) }

        private func read() -> Snapshot {
            let taken = state.withLock { $0.snapshot }
            state.withLock { $0.waiting = true }
            // A test double's hold, released by the test: polled.
            while state.withLock({ $0.held }) { usleep(1000) }
            state.withLock { $0.waiting = false; $0.reads += 1 }
            return taken
        }
    }

    static func makeCache(ttl: Double, policy: ViewCache.RefreshPolicy = .onDemand,
                          makeReader: @escaping ViewCache.ReaderFactory) throws -> ViewCache {
        try ViewCache(ttl: ttl, policy: policy, makeReader: makeReader, state: AgentState(followingEvents: false, notifications: .withoutAgent),
                      logger: Logger(label: "test"))
    }

    @Test func aFailedDumpEmptiesItsTableOnly() throws {
        let source = Source(Self.good)
        let cache = try Self.makeCache(ttl: 0, makeReader: { source })
        let token = Self.good.connections[0].token
        let state = MPTCPMIB.ConnectionTable.state.oid + [token]
        #expect(cache.view()!.get(state) == .value(.integer(5)))
        // The next dump of connections fails: no rows, but limits and settings still answer.
        source.snapshot = Snapshot(limits: Limits(subflows: 8, addAddrAccepted: 8), settings: Settings(["enabled": "1"]),
                                   failures: ["connections: dump MPTCP sockets: Cannot allocate memory"])
        let view = cache.view()!
        #expect(view.get(state) == .noSuchInstance)
        #expect(view.rowCounts[MPTCPMIB.ConnectionTable.table] == 0)
        #expect(view.get(MPTCPMIB.General.limitSubflows.oid + [0]) == .value(.unsigned(8)))
        #expect(view.get(MPTCPMIB.General.currentConnections.oid + [0]) == .value(.unsigned(0)))
    }

    @Test func aDumpStartedBeforeASetIsNotInstalledAfterIt() throws {
        let gate = Gate()
        let cache = try Self.makeCache(ttl: 0.5, makeReader: { gate.reader() })
        let connections = MPTCPMIB.General.currentConnections.oid + [0]
        #expect(cache.view()!.get(connections) == .value(.unsigned(3)))
        // Polled: once the view is older than the TTL, a request starts a background refresh
        // (and is answered from the view it has); that dump is held at its start.
        gate.hold(true)
        try waitUntil("a background refresh", timeout: 5) {
            #expect(cache.view()?.get(connections) == .value(.unsigned(3)))
            return gate.waiting
        }
        // A SET commits while that dump (of the old state) is still running.
        cache.invalidate()
        gate.set(.synthetic(connections: 5))
        gate.hold(false)
        // Stopping waits until the refresher has finished that refresh, install attempt included.
        cache.stop()
        #expect(cache.view()!.get(connections) == .value(.unsigned(5)))
    }

    @Test func aViewIsReusedForTheTTLAndRebuiltAfterAnInvalidation() throws {
        let source = Source(Self.good)
        let cache = try Self.makeCache(ttl: 60, makeReader: { source })
        let reads = source.reads  // the foreground reader was opened, not read
        _ = cache.view()!
        _ = cache.view()!
        _ = cache.view()!
        #expect(source.reads == reads + 1)
        cache.invalidate()
        _ = cache.view()!
        #expect(source.reads == reads + 2)
    }

    /// Inside snmpd: the caller never reads the kernel. A view older than the TTL is not
    /// handed out: a background thread takes a snapshot and rings `ready`; nothing is read
    /// while nobody asks; a SET makes the next read wait for a snapshot that shows it.
    @Test func delegatedRefreshesInTheBackgroundOnDemand() throws {
        let gate = Gate()
        let cache = try Self.makeCache(ttl: 0.2, policy: .delegated, makeReader: { gate.reader() })
        let ready = try #require(cache.ready)
        func rang() -> Bool {
            var p = pollfd(fd: ready.fileDescriptor, events: Int16(POLLIN), revents: 0)
            return poll(&p, 1, 0) == 1
        }
        let connections = MPTCPMIB.General.currentConnections.oid + [0]
        #expect(gate.readers == 1)  // the foreground's, which `delegated` never reads with
        gate.hold(true)
        #expect(cache.view() == nil)  // at once: no view yet, a refresh starts
        try waitUntil("the first background dump", timeout: 5) { gate.waiting }
        #expect(cache.view() == nil)  // still, while that dump is held
        #expect(!rang())
        gate.hold(false)
        try waitUntil("the refresher to ring", timeout: 5) { rang() }
        ready.clear()
        #expect(cache.view()?.get(connections) == .value(.unsigned(3)))
        // Nobody asks for three TTLs: nothing is read, and the view is then too old.
        gate.set(.synthetic(connections: 5))
        let reads = gate.reads
        usleep(600_000)
        #expect(gate.reads == reads)
        #expect(cache.view() == nil)
        try waitUntil("the refresher to ring", timeout: 5) { rang() }
        ready.clear()
        #expect(cache.view()?.get(connections) == .value(.unsigned(5)))
        // A view is handed out for a request delegated at `t` only if its dump began then or later.
        let asked = MonotonicClock.now
        #expect(cache.view(takenSince: asked) == nil)
        try waitUntil("the refresher to ring", timeout: 5) { rang() }
        #expect(cache.view(takenSince: asked)?.get(connections) == .value(.unsigned(5)))
        // A SET: the view is too old at once, what the notifications read (peek) stays.
        gate.set(.synthetic(connections: 7))
        cache.invalidate()
        #expect(cache.peek()?.get(connections) == .value(.unsigned(5)))
        #expect(cache.view() == nil)
        try waitUntil("a view of the changed kernel", timeout: 5) { cache.view()?.get(connections) == .value(.unsigned(7)) }
        #expect(gate.readers == 2)  // the refresher's thread has its own
        cache.stop()
        // The refresher's thread has ended: its reader is freed, only the foreground's is left.
        #expect(gate.readers == 1)
    }

    /// Dumps that take `delay` seconds, each start recorded.
    final class SlowSource: SnapshotSource, @unchecked Sendable {
        let delay: Double
        let starts = Mutex<[Double]>([])
        init(delay: Double) { self.delay = delay }
        func read() -> Snapshot {
            starts.withLock { $0.append(MonotonicClock.now) }
            usleep(UInt32(delay * 1_000_000))
            return ViewCacheTests.good
        }
    }

    /// A subagent at 10^5 connections: a dump takes seconds, longer than clients wait. The
    /// first view is taken before the MIB is registered; after an idle period a request waits
    /// for a fresh view at most `freshWait`, then is answered from the view there is, and the
    /// next after the refresh from the new one. After a SET the kernel is read first.
    @Test func onDemandWaitsBoundedForAFreshView() throws {
        let gate = Gate()
        let cache = try Self.makeCache(ttl: 0.1, makeReader: { gate.reader() })
        let connections = MPTCPMIB.General.currentConnections.oid + [0]
        cache.prime()
        #expect(gate.reads == 1)
        #expect(cache.peek()?.get(connections) == .value(.unsigned(3)))
        cache.prime()  // there is a view: nothing read
        #expect(gate.reads == 1)
        // Idle, and the dump is slow: answered from the old view after the bounded wait.
        gate.set(.synthetic(connections: 5))
        usleep(300_000)
        gate.hold(true)
        let asked = MonotonicClock.now
        #expect(cache.view()?.get(connections) == .value(.unsigned(3)))
        let waited = MonotonicClock.now - asked
        #expect(waited >= ViewCache.freshWait * 0.9 && waited < ViewCache.freshWait + 0.4, "waited \(waited) s")
        #expect(gate.waiting, "the refresh is under way")
        gate.hold(false)
        try waitUntil("the refreshed view", timeout: 5) { cache.peek()?.get(connections) == .value(.unsigned(5)) }
        // Idle, and the dump is quick: the request gets the fresh view.
        gate.set(.synthetic(connections: 4))
        usleep(300_000)
        #expect(cache.view()?.get(connections) == .value(.unsigned(4)))
        // A SET: the next request reads the kernel as it is now.
        gate.set(.synthetic(connections: 7))
        cache.invalidate()
        #expect(cache.peek()?.get(connections) == .value(.unsigned(4)))
        #expect(cache.view()?.get(connections) == .value(.unsigned(7)))
        cache.stop()
    }

    /// Inside snmpd at 10^5 connections a dump takes seconds. While polls keep coming, a
    /// request in the last stretch of a view's life, one and a half times as long as the last
    /// refresh took, starts the next dump and is answered from the view there is: the next
    /// view is taken before this one expires, and requests need not wait for it.
    @Test func delegatedRefreshesAheadWhilePolled() throws {
        let source = SlowSource(delay: 0.3)
        let cache = try Self.makeCache(ttl: 1, policy: .delegated, makeReader: { source })
        let ready = try #require(cache.ready)
        #expect(cache.view() == nil)
        // Not polled meanwhile: a request finding no view during a dump wants another after it.
        var p = pollfd(fd: ready.fileDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 5000) == 1)
        ready.clear()
        #expect(cache.view() != nil)
        let first = try #require(source.starts.withLock { $0.first })
        // Early in its life (0.4 s of 1, the refresh took 0.3): no dump ahead yet.
        usleep(UInt32(max(0, first + 0.4 - MonotonicClock.now) * 1_000_000))
        #expect(cache.view() != nil)
        usleep(50_000)
        #expect(source.starts.withLock { $0.count } == 1)
        // With less than 1.5 x 0.3 s left: answered at once, and the next dump starts.
        usleep(UInt32(max(0, first + 0.7 - MonotonicClock.now) * 1_000_000))
        #expect(cache.view() != nil)
        try waitUntil("a dump ahead", timeout: 5) { source.starts.withLock { $0.count } == 2 }
        let second = try #require(source.starts.withLock { $0.last })
        #expect(second < first + 1)  // before the view it replaces expired
        cache.stop()
    }

    /// Inside snmpd under heavy churn a dump of 10^5 connections can take ten times as long
    /// as the last: while a dump begun ahead of the view's expiry overruns it, requests are
    /// answered from that view, not made to wait for the dump (clients time out first). After
    /// an idle period they wait for a fresh view, and every request waiting is answered by
    /// the one dump under way if it began at most the TTL before the request came.
    @Test func delegatedServesTheViewWhileADumpBegunAheadOverruns() throws {
        let gate = Gate()
        let ttl = 1.0
        let cache = try Self.makeCache(ttl: ttl, policy: .delegated, makeReader: { gate.reader() })
        let ready = try #require(cache.ready)
        let connections = MPTCPMIB.General.currentConnections.oid + [0]
        // The first dump takes 0.3 s: later ones are started 0.45 s before a view expires.
        gate.hold(true)
        let first = MonotonicClock.now
        #expect(cache.view() == nil)
        try waitUntil("the first dump", timeout: 5) { gate.waiting }
        usleep(300_000)
        gate.hold(false)
        try waitUntil("the first view", timeout: 5) { cache.peek() != nil }
        #expect(cache.view()?.get(connections) == .value(.unsigned(3)))
        // Polled in its last 0.45 s: a dump starts ahead, and is held far past the expiry.
        gate.set(.synthetic(connections: 5))
        gate.hold(true)
        usleep(UInt32(max(0, first + 0.75 - MonotonicClock.now) * 1_000_000))
        #expect(cache.view()?.get(connections) == .value(.unsigned(3)))
        try waitUntil("the dump ahead", timeout: 5) { gate.waiting }
        usleep(UInt32(max(0, first + 2.3 - MonotonicClock.now) * 1_000_000))
        #expect(cache.view()?.get(connections) == .value(.unsigned(3)), "expired, answered while the dump ahead overruns")
        // That dump's view is expired when installed: the next request is answered from it
        // and starts the next dump; while that is under way, the others are answered from it.
        gate.set(.synthetic(connections: 6))
        gate.hold(false)
        try waitUntil("the overrunning dump's view", timeout: 5) { cache.peek()?.get(connections) == .value(.unsigned(5)) }
        gate.hold(true)
        #expect(cache.view()?.get(connections) == .value(.unsigned(5)), "expired when installed, answered")
        try waitUntil("the next dump", timeout: 5) { gate.waiting }
        #expect(cache.view()?.get(connections) == .value(.unsigned(5)), "expired when installed, answered while the next dump runs")
        gate.hold(false)
        try waitUntil("the next view", timeout: 5) { cache.view()?.get(connections) == .value(.unsigned(6)) }
        // Idle for more than the TTL: requests wait for a fresh view, all for the one dump.
        usleep(UInt32((ttl + 0.5) * 1_000_000))
        gate.set(.synthetic(connections: 7))
        gate.hold(true)
        let reads = gate.reads
        #expect(cache.view() == nil)
        try waitUntil("the dump after the idle period", timeout: 5) { gate.waiting }
        usleep(200_000)
        let later = MonotonicClock.now
        #expect(cache.view() == nil, "the view expired before this dump began: not handed out")
        ready.clear()
        gate.hold(false)
        var p = pollfd(fd: ready.fileDescriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&p, 1, 5000) == 1)
        // The request that came during the dump is answered by it (it began less than a TTL before).
        #expect(cache.view(forRequestAt: later)?.get(connections) == .value(.unsigned(7)))
        usleep(300_000)
        #expect(gate.reads == reads + 1, "one dump for both requests")
        cache.stop()
    }
}
