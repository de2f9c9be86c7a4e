import Logging
import MPTCPKernel
import MPTCPModel
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// Reads the MPTcpExt counters once a second, and the connections only when a fallback
/// counter rose, so that fallbacks and blackhole detections are seen within a second
/// (the kernel sends no event for them). Runs only while mptcpConnectionFallback or
/// mptcpBlackholeDetected is enabled: it costs a read of /proc/net/netstat a second, and
/// the agent spends nothing on it otherwise. Its own thread, inside the served
/// namespace, so that a dump never holds up the agent's thread: what it finds goes to
/// `AgentState`, which rings the agent thread's doorbell.
final class FallbackWatch: @unchecked Sendable {
    static let interval: Double = 1

    private let state: AgentState
    private let namespace: NetworkNamespace?
    private let logger: Logger
    private let condition = Monitor()
    private var worker: Worker?  // guarded by condition
    private var stopping = false  // guarded by condition
    private let failureLog = RateLimiter(interval: 60)

    init(state: AgentState, namespace: NetworkNamespace?, logger: Logger) {
        self.state = state
        self.namespace = namespace
        self.logger = logger
    }

    deinit { run(false) }

    /// One reading now, in the namespace: when the agent starts, so that what falls back
    /// after it is seen falling back even if nobody polls before (a subagent reads the
    /// kernel on demand) and the watch is off.
    func baseline() {
        do {
            try namespace.perform {
                let diag = try SockDiag()
                read(diag)
            }
        } catch {
            logger.warning("fallback baseline: \(error)")
        }
    }

    /// Starts or stops the thread; cheap when nothing changes.
    func run(_ on: Bool) {
        condition.lock()
        guard on != (worker != nil) else {
            condition.unlock()
            return
        }
        if on {
            stopping = false
            worker = Worker { [self] in watch() }
            condition.unlock()
        } else {
            stopping = true
            condition.broadcast()
            let w = worker
            worker = nil
            condition.unlock()
            w?.join()
        }
    }

    private func watch() {
        let diag: SockDiag
        do {
            try namespace?.enter()
            diag = try SockDiag()
        } catch {
            logger.error("fallback watch: \(error)")
            return
        }
        // The first reading at once: what is in fallback then fell back before the watch.
        var next = MonotonicClock.now
        read(diag)
        logger.debug("fallback watch: counters and connections read, watching every \(Self.interval) s")
        while true {
            next += Self.interval
            condition.lock()
            while !stopping && MonotonicClock.now < next { condition.wait(until: next) }
            let stop = stopping
            condition.unlock()
            if stop { return }
            read(diag)
        }
    }

    private func read(_ diag: SockDiag) {
        do {
            guard let counters = try ProcFS.counters() else { return }
            try state.detect(counters: counters, reading: { try diag.connectionsAndListeners().connections },
                             timeout: { (try? ProcFS.settings())?["blackhole_timeout"].flatMap { Int32($0) } },
                             at: MonotonicClock.now)
        } catch {
            if failureLog.allow("\(error)") { logger.warning("fallback watch: \(error)") }
        }
    }
}
