import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// `mptcp-agentx --check`: reads the kernel the way the agent does, prints what it found
/// and how long it took, and exits 0 if every part could be read. A deployment check
/// ("can the agent see MPTCP here?") and the benchmark's snapshot probe.
public enum SnapshotCheck {
    public static func run(repeat count: Int) -> Int32 {
        let reader: SnapshotReader
        do { reader = try SnapshotReader() } catch {
            print("mptcp-agentx: \(error)")
            return 1
        }
        var failed = false
        for _ in 0..<max(1, count) {
            let t0 = MonotonicClock.now
            let snapshot = reader.read()
            let t1 = MonotonicClock.now
            let view = MIBView(snapshot: snapshot)
            let t2 = MonotonicClock.now
            print("connections \(snapshot.connections.count) subflows \(snapshot.subflows.count) "
                + "listeners \(snapshot.listeners.count) endpoints \(snapshot.endpoints?.count ?? 0) "
                + "counters \(snapshot.counters?.all.count ?? 0) remote-addresses \(view.rowCounts[MPTCPMIB.RemoteAddressTable.table] ?? 0) "
                + "read-ms \(milliseconds(t1 - t0)) view-ms \(milliseconds(t2 - t1))")
            for f in snapshot.failures {
                print("failed: \(f)")
                failed = true
            }
        }
        return failed ? 1 : 0
    }

    static func milliseconds(_ seconds: Double) -> String {
        let ms = (seconds * 10000).rounded() / 10
        return "\(ms)"
    }
}
