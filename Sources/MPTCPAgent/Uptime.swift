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

    /// The anchor after reading sysUpTime `ticks` at `monotonic`: this one while it predicts
    /// the reading within two ticks, else a new one (snmpd restarted, its clock moved). A new
    /// anchor at every request would move every TimeStamp by the reading's truncation (up to
    /// a tick) from one request to the next, and a manager comparing two readings of
    /// mptcpStatsDiscontinuityTime would see a discontinuity that is none.
    func anchored(ticks: UInt32, at monotonic: Double = MonotonicClock.now) -> Uptime {
        let predicted = Double(self.ticks) + (monotonic - self.monotonic) * 100
        return abs(predicted - Double(ticks)) <= 2 ? self : Uptime(ticks: ticks, at: monotonic)
    }

    /// sysUpTime at `instant`; 0 for an instant before sysUpTime last started over, as
    /// RFC 2579 says a TimeStamp of such an event is. An instant after the anchor is
    /// predicted from it: the anchor is kept for as long as it predicts sysUpTime.
    func timeStamp(at instant: Double) -> UInt32 {
        let ago = ((monotonic - instant) * 100).rounded()
        guard ago > 0 else { return ticks &+ UInt32(truncatingIfNeeded: Int64(-ago)) }
        return ago >= Double(ticks) ? 0 : ticks - UInt32(ago)
    }
}
