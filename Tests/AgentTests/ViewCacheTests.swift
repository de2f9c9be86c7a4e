import Logging
@testable import MPTCPAgent
import MPTCPMIB
import MPTCPModel
import Testing

/// The documented choice when the kernel fails: the affected table answers empty (it never
/// shows stale rows as current) and the rest keeps answering.
@Suite("Snapshot cache")
struct ViewCacheTests {
    final class Source: SnapshotSource, @unchecked Sendable {
        var snapshot: Snapshot
        var reads = 0
        init(_ s: Snapshot) { snapshot = s }
        func read(announcements: [Announcement]) -> Snapshot {
            reads += 1
            return snapshot
        }
    }

    static let good = Snapshot.synthetic(connections: 3)

    @Test func aFailedDumpEmptiesItsTableOnly() throws {
        let source = Source(Self.good)
        let cache = try ViewCache(ttl: 0, makeReader: { source }, logger: Logger(label: "test"))
        let token = Self.good.connections[0].token
        let state = MPTCPMIB.ConnectionTable.state.oid + [token]
        #expect(cache.view().get(state) == .value(.integer(5)))
        // The next dump of connections fails: no rows, but limits and settings still answer.
        source.snapshot = Snapshot(limits: Limits(subflows: 8, addAddrAccepted: 8), settings: Settings(["enabled": "1"]),
                                   failures: ["connections: dump MPTCP sockets: Cannot allocate memory"])
        let view = cache.view()
        #expect(view.get(state) == .noSuchInstance)
        #expect(view.rowCounts["mptcpConnectionTable"] == 0)
        #expect(view.get(MPTCPMIB.General.limitSubflows.oid + [0]) == .value(.unsigned(8)))
        #expect(view.get(MPTCPMIB.General.currentConnections.oid + [0]) == .value(.unsigned(0)))
    }

    @Test func aViewIsReusedForTheTTLAndRebuiltAfterAnInvalidation() throws {
        let source = Source(Self.good)
        let cache = try ViewCache(ttl: 60, makeReader: { source }, logger: Logger(label: "test"))
        let reads = source.reads  // the foreground reader was opened, not read
        _ = cache.view()
        _ = cache.view()
        _ = cache.view()
        #expect(source.reads == reads + 1)
        cache.invalidate()
        _ = cache.view()
        #expect(source.reads == reads + 2)
    }
}
