import Logging
@testable import MPTCPAgent
import MPTCPMIB
import SMI
import MPTCPModel
import Synchronization
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
        func read(known: EventKnowledge) -> Snapshot {
            reads += 1
            return snapshot
        }
    }

    static let good = Snapshot.synthetic(connections: 3)

    /// A source whose dump can be held at its start (the data it returns is taken then).
    final class GatedSource: SnapshotSource, @unchecked Sendable {
        private let state = Mutex((snapshot: ViewCacheTests.good, held: false, waiting: false, reads: 0))
        func set(_ s: Snapshot) { state.withLock { $0.snapshot = s } }
        func hold(_ on: Bool) { state.withLock { $0.held = on } }
        var waiting: Bool { state.withLock { $0.waiting } }
        var reads: Int { state.withLock { $0.reads } }

        func read(known: EventKnowledge) -> Snapshot {
            let taken = state.withLock { $0.snapshot }
            state.withLock { $0.waiting = true }
            while state.withLock({ $0.held }) { usleep(1000) }
            state.withLock { $0.waiting = false; $0.reads += 1 }
            return taken
        }
    }

    static func wait(_ condition: () -> Bool) {
        for _ in 0..<5000 where !condition() { usleep(1000) }
    }

    @Test func aFailedDumpEmptiesItsTableOnly() throws {
        let source = Source(Self.good)
        let cache = try ViewCache(ttl: 0, makeReader: { source }, followingEvents: false, logger: Logger(label: "test"))
        let token = Self.good.connections[0].token
        let state = MPTCPMIB.ConnectionTable.state.oid + [token]
        #expect(cache.view()!.get(state) == .value(.integer(5)))
        // The next dump of connections fails: no rows, but limits and settings still answer.
        source.snapshot = Snapshot(limits: Limits(subflows: 8, addAddrAccepted: 8), settings: Settings(["enabled": "1"]),
                                   failures: ["connections: dump MPTCP sockets: Cannot allocate memory"])
        let view = cache.view()!
        #expect(view.get(state) == .noSuchInstance)
        #expect(view.rowCounts["mptcpConnectionTable"] == 0)
        #expect(view.get(MPTCPMIB.General.limitSubflows.oid + [0]) == .value(.unsigned(8)))
        #expect(view.get(MPTCPMIB.General.currentConnections.oid + [0]) == .value(.unsigned(0)))
    }

    @Test func aDumpStartedBeforeASetIsNotInstalledAfterIt() throws {
        let source = GatedSource()
        let cache = try ViewCache(ttl: 0.2, makeReader: { source }, followingEvents: false, logger: Logger(label: "test"))
        let connections = MPTCPMIB.General.currentConnections.oid + [0]
        #expect(cache.view()!.get(connections) == .value(.unsigned(3)))
        usleep(250_000)  // older than the TTL, younger than twice it: refreshed in the background
        source.hold(true)
        _ = cache.view()!
        Self.wait { source.waiting }
        #expect(source.waiting)
        // A SET commits while that dump (of the old state) is still running.
        cache.invalidate()
        source.set(.synthetic(connections: 5))
        let reads = source.reads
        source.hold(false)
        Self.wait { source.reads > reads }
        usleep(20_000)  // let the refresher try to install its view
        #expect(cache.view()!.get(connections) == .value(.unsigned(5)))
    }

    @Test func aViewIsReusedForTheTTLAndRebuiltAfterAnInvalidation() throws {
        let source = Source(Self.good)
        let cache = try ViewCache(ttl: 60, makeReader: { source }, followingEvents: false, logger: Logger(label: "test"))
        let reads = source.reads  // the foreground reader was opened, not read
        _ = cache.view()!
        _ = cache.view()!
        _ = cache.view()!
        #expect(source.reads == reads + 1)
        cache.invalidate()
        _ = cache.view()!
        #expect(source.reads == reads + 2)
    }

    /// Inside snmpd: the caller never reads the kernel; a background thread does, every TTL;
    /// a SET waits (boundedly) for the snapshot that shows it; stop() ends the thread.
    @Test func continuousRefreshesInTheBackgroundOnly() throws {
        let source = GatedSource()
        let cache = try ViewCache(ttl: 0.1, policy: .continuous, makeReader: { source }, followingEvents: false,
                                  logger: Logger(label: "test"))
        let connections = MPTCPMIB.General.currentConnections.oid + [0]
        source.hold(true)
        cache.startContinuous()
        Self.wait { source.waiting }
        #expect(cache.view() == nil)  // at once, while the first dump is held
        source.hold(false)
        Self.wait { cache.view() != nil }
        #expect(cache.view()?.get(connections) == .value(.unsigned(3)))
        source.set(.synthetic(connections: 5))
        Self.wait { cache.view()?.get(connections) == .value(.unsigned(5)) }
        #expect(cache.view()?.get(connections) == .value(.unsigned(5)))
        source.set(.synthetic(connections: 7))
        cache.invalidate()
        #expect(cache.view()?.get(connections) == .value(.unsigned(7)))
        cache.stop()
        let reads = source.reads
        usleep(300_000)
        #expect(source.reads == reads)
    }
}
