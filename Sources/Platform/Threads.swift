#if canImport(Glibc)
import Glibc
#endif

/// A pthread mutex with a condition variable on the monotonic clock (Foundation's
/// NSCondition would pull in several megabytes of libraries for this one use).
public final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for `broadcast()` (or a spurious wake-up); the mutex must be held.
    public func wait() { pthread_cond_wait(cond, mutex) }
    /// The same, until `deadline` on MonotonicClock at the latest.
    public func wait(until deadline: Double) {
        var ts = timespec()
        ts.tv_sec = Int(deadline)
        ts.tv_nsec = Int((deadline - Double(Int(deadline))) * 1e9)
        pthread_cond_timedwait(cond, mutex, &ts)
    }
    public func broadcast() { pthread_cond_broadcast(cond) }
}

/// A thread running `body`, joined by `join()` (so that whoever owns it knows it is gone).
public final class Worker {
    private final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }
    private var thread: pthread_t?
    /// pthread_create's error when the thread could not start (then `body` never runs); 0 otherwise.
    public let startError: Int32

    public init(_ body: @escaping () -> Void) {
        var t = pthread_t()
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        startError = pthread_create(&t, nil, { arg in
            Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, box)
        if startError == 0 {
            thread = t
        } else {
            Unmanaged<Box>.fromOpaque(box).release()
        }
    }

    /// Waits until `body` has returned.
    public func join() {
        guard let t = thread else { return }
        thread = nil
        pthread_join(t, nil)
    }
}
