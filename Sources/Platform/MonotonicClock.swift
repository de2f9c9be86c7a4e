#if canImport(Glibc)
import Glibc
#endif

/// The one clock for intervals, timeouts and ages (agent, CLI, tests, benchmarks):
/// CLOCK_MONOTONIC, which wall-clock changes do not move.
public enum MonotonicClock {
    /// Seconds since an arbitrary fixed point (boot).
    public static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
