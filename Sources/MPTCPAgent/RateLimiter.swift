import Platform
import Synchronization

/// Lets a given message through at most once per interval.
final class RateLimiter: @unchecked Sendable {
    private let interval: Double
    private let last = Mutex<[String: Double]>([:])

    init(interval: Double) { self.interval = interval }

    func allow(_ key: String) -> Bool {
        let now = MonotonicClock.now
        return last.withLock {
            if let t = $0[key], now - t < interval { return false }
            $0[key] = now
            return true
        }
    }
}
