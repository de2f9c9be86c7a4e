import Platform

/// Converts instants of the monotonic clock into TimeStamps: values of the sysUpTime of
/// the agent that answers, anchored by one reading of both clocks.
struct Uptime: Sendable {
    /// A monotonic instant (seconds) and sysUpTime (hundredths) read at the same moment.
    let monotonic: Double
    let ticks: UInt32

    /// Anchored now, or at `monotonic` (tests).
    init(ticks: UInt32, at monotonic: Double = MonotonicClock.now) {
        self.monotonic = monotonic
        self.ticks = ticks
    }

    /// sysUpTime at `instant`; 0 for an instant before sysUpTime last started over, as
    /// RFC 2579 says a TimeStamp of such an event is.
    func timeStamp(at instant: Double) -> UInt32 {
        let ago = ((monotonic - instant) * 100).rounded()
        guard ago > 0 else { return ticks }
        return ago >= Double(ticks) ? 0 : ticks - UInt32(ago)
    }
}
