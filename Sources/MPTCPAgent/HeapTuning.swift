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

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
    }

    /// One arena: a refresher thread would otherwise pin a second heap of freed snapshots.
    public static func useOneArena() {
        guard let f = symbol("mallopt") else { return }
        _ = unsafeBitCast(f, to: Mallopt.self)(mArenaMax, 1)
    }

    /// Gives freed pages back to the kernel instead of keeping the high-water mark.
    public static func returnFreeMemory() {
        guard let f = symbol("malloc_trim") else { return }
        _ = unsafeBitCast(f, to: MallocTrim.self)(0)
    }
}
