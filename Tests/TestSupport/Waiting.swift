import Platform

#if canImport(Glibc)
import Glibc
#endif

/// The error of a wait that ran out of time: it names what was awaited.
public struct WaitTimeout: Error, CustomStringConvertible {
    public let description: String
}

/// Polls `condition` every `interval` seconds until it holds; after `timeout` seconds throws
/// a `WaitTimeout` naming `what` (and the last `detail`, when given). The tests' only way to
/// wait for something: no test sleeps in the hope that a condition will hold afterwards.
public func waitUntil(_ what: String, timeout: Double, interval: Double = 0.05,
                      detail: () -> String = { "" }, _ condition: () throws -> Bool) throws {
    let deadline = MonotonicClock.now + timeout
    while try !condition() {
        guard MonotonicClock.now < deadline else {
            let d = detail()
            throw WaitTimeout(description: "waited \(timeout) s for \(what)" + (d.isEmpty ? "" : ": \(d)"))
        }
        usleep(useconds_t(interval * 1_000_000))  // the poll interval, not a synchronisation
    }
}

/// Polls `produce` until it returns a value; after `timeout` seconds throws a `WaitTimeout`
/// naming `what`. Returns the value.
@discardableResult
public func waitFor<T>(_ what: String, timeout: Double, interval: Double = 0.05,
                       detail: () -> String = { "" }, _ produce: () throws -> T?) throws -> T {
    var value: T?
    try waitUntil(what, timeout: timeout, interval: interval, detail: detail) {
        value = try produce()
        return value != nil
    }
    return value!
}

/// Holds for `seconds`, for a test whose subject is time itself (a TTL that must expire, an
/// interval during which nothing may happen). Each caller says why in a comment; waiting for
/// a condition uses `waitUntil`.
public func elapse(_ seconds: Double) {
    let end = MonotonicClock.now + seconds
    while MonotonicClock.now < end { usleep(useconds_t(min(0.1, max(0, end - MonotonicClock.now)) * 1_000_000)) }
}

/// The first line of an integration test: outside CI a machine without root or MPTCP skips
/// the suite (`.enabled(if: IntegrationEnvironment.shouldRun)`); in CI (CI=true) the test runs
/// and this fails it, naming what is missing.
public func requireIntegration() throws {
    if let missing = IntegrationEnvironment.missing {
        throw CommandError(description: "integration environment missing\(IntegrationEnvironment.isCI ? " (CI=true: must run)" : ""): \(missing)")
    }
}
