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

/// Wakes a thread that polls a descriptor (net-snmp's loop) from any other thread: a
/// non-blocking pipe that `ring` writes a byte to and `clear` empties. (eventfd would do,
/// but Glibc's Swift module does not export it.)
public final class Doorbell: @unchecked Sendable {
    /// The end to poll for readability.
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    public init() throws(SystemError) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw SystemError("pipe", errno: errno) }
        for fd in ends {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        fileDescriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    public func ring() {
        var byte: UInt8 = 1
        // Only EAGAIN can fail it (the pipe is full): the bell is ringing anyway.
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe, so that it is readable again only after the next ring.
    public func clear() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(fileDescriptor, &buffer, buffer.count) > 0 {}
    }
}
