import MPTCPKernel
import MPTCPModel

/// Where snapshots come from: the kernel (`SnapshotReader`) or memory.
public protocol SnapshotSource {
    func read() -> Snapshot
}

extension SnapshotReader: SnapshotSource {}

/// Synthetic mode: the same snapshot every time, no kernel access.
struct SyntheticSource: SnapshotSource {
    let snapshot: Snapshot
    func read() -> Snapshot { snapshot }
}
