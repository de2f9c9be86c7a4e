import MPTCPMIB
import MPTCPMIBView

/// Decides which notifications go out: the enable bits, then a token bucket of
/// `rateLimit` tokens refilled at `rateLimit` per second. It counts what it refuses and
/// tells when a burst of refusals has ended. Pure: time is given, nothing is sent.
struct NotificationGate {
    enum Decision: Equatable {
        case send
        /// The rate limit refused it (counted in `state.suppressed`).
        case suppressed
        /// Its kind is not enabled (not counted).
        case disabled
    }

    private(set) var state: NotificationState
    private var tokens: Double
    private var refilledAt: Double
    /// Refused in the current burst, and when the last one was.
    private var burst: (count: UInt64, last: Double)?

    /// A burst has ended when nothing was refused for this long (seconds).
    static let quiet: Double = 1

    init(_ state: NotificationState, at now: Double) {
        self.state = state
        tokens = Double(state.rateLimit)
        refilledAt = now
    }

    mutating func admit(_ kind: MPTCPMIB.Notifications.Kind, at now: Double) -> Decision {
        guard state.enabled.contains(kind) else { return .disabled }
        let rate = Double(state.rateLimit)
        tokens = min(rate, tokens + (now - refilledAt) * rate)
        refilledAt = now
        if tokens >= 1 {
            tokens -= 1
            return .send
        }
        state.suppressed += 1
        burst = ((burst?.count ?? 0) + 1, now)
        return .suppressed
    }

    /// The number refused in a burst that has just ended (once per burst), else nil.
    mutating func endedBurst(at now: Double) -> UInt64? {
        guard let b = burst, now - b.last >= Self.quiet else { return nil }
        burst = nil
        return b.count
    }

    /// Whether a burst is going on (something to watch for its end).
    var inBurst: Bool { burst != nil }

    mutating func recordSent() { state.sent += 1 }
    mutating func recordDropped() { state.dropped += 1 }

    /// New controls (a SET or a reload): the bucket keeps its tokens up to the new size.
    mutating func configure(enabled: Set<MPTCPMIB.Notifications.Kind>, rateLimit: UInt32) {
        state.enabled = enabled
        state.rateLimit = rateLimit
        tokens = min(tokens, Double(rateLimit))
    }
}
