#if canImport(Glibc)
import Glibc
#endif

/// glibc heap settings for a process whose snapshots are tens of megabytes of short-lived
/// allocations. Swift's Glibc module does not export <malloc.h>; the functions are
/// looked up at run time and skipped on a C library without them.
public enum HeapTuning {
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32
    private static let mArenaMax: Int32 = -8  // M_ARENA_MAX in <malloc.h>
    private static let mMmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in <malloc.h>

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
    }

    private static func mallopt(_ parameter: Int32, _ value: Int32) {
        guard let f = symbol("mallopt") else { return }
        _ = unsafeBitCast(f, to: Mallopt.self)(parameter, value)
    }

    /// One arena: a refresher thread would otherwise pin a second heap of freed snapshots.
    public static func useOneArena() { mallopt(mArenaMax, 1) }

    /// Blocks of 1 MiB and more (a snapshot's and a view's arrays) in pages of their own,
    /// returned to the kernel when freed. glibc otherwise raises this threshold to the size
    /// of the largest block freed (up to 32 MiB), after which a refresh's arrays are carved
    /// from the heap, where a freed 11 MB array does not fit the next 12 MB one: at 60,000
    /// connections that fragmentation was 38 MB of the agent's high-water mark (182 MiB, 144
    /// with this).
    public static func mapLargeBlocks() { mallopt(mMmapThreshold, 1 << 20) }

    /// Gives freed pages back to the kernel instead of keeping the high-water mark.
    public static func returnFreeMemory() {
        guard let f = symbol("malloc_trim") else { return }
        _ = unsafeBitCast(f, to: MallocTrim.self)(0)
    }
}
