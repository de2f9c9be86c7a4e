import CNetSNMP
import Logging
import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where log lines go and from which level: one sink for Swift's loggers and, in the
/// AgentX process, net-snmp's own messages; changeable at run time (SIGHUP). Inside snmpd
/// lines go to snmpd's log through net-snmp, which only snmpd's thread may call: lines
/// from other threads wait (a bounded number) until that thread flushes them.
public final class LogSink: Sendable {
    public static let shared = LogSink()

    private enum Destination {
        case stderr, syslog
        /// snmpd's log, from the thread that called `logThroughNetSNMP`.
        case netSNMP(pthread_t)
    }

    private struct State {
        var level: Logger.Level = .info
        var destination: Destination = .stderr
        var syslogOpen = false
        /// Lines from other threads, for snmpd's thread to write.
        var waiting: [(Int32, String)] = []
    }
    private let state = Mutex(State())
    static let maxWaiting = 256

    /// Identical net-snmp messages (e.g. a master that is down) are repeated once a minute.
    private let repeats = RateLimiter(interval: 60)

    public func configure(level: Logger.Level, target: AgentConfiguration.LogTarget) {
        state.withLock {
            $0.level = level
            if target == .syslog && !$0.syslogOpen {
                openlog("mptcp-agentx", LOG_PID, LOG_DAEMON)
                $0.syslogOpen = true
            }
            $0.destination = target == .syslog ? .syslog : .stderr
        }
    }

    /// Inside snmpd: lines go to snmpd's log, written by the calling thread (snmpd's).
    public func logThroughNetSNMP(level: Logger.Level) {
        state.withLock {
            $0.level = level
            $0.destination = .netSNMP(pthread_self())
        }
    }

    public var level: Logger.Level { state.withLock { $0.level } }

    public func write(_ level: Logger.Level, _ message: String) {
        let destination: Destination? = state.withLock { level >= $0.level ? $0.destination : nil }
        switch destination {
        case nil:
            return
        case .netSNMP(let thread)?:
            guard pthread_equal(pthread_self(), thread) != 0 else {
                state.withLock { if $0.waiting.count < Self.maxWaiting { $0.waiting.append((Self.priority(level), message)) } }
                return
            }
            flush()
            cnetsnmp_log(Self.priority(level), "mptcp: " + message)
        case .syslog?:
            message.withCString { text in withVaList([text]) { vsyslog(Self.priority(level), "%s", $0) } }
        case .stderr?:
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            var t = tm()
            var secs = now.tv_sec
            gmtime_r(&secs, &t)
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            let stamp = "\(t.tm_year + 1900)-\(two(t.tm_mon + 1))-\(two(t.tm_mday))T\(two(t.tm_hour)):\(two(t.tm_min)):\(two(t.tm_sec))Z"
            StandardError.write("\(stamp) \(level) mptcp-agentx: \(message)\n")
        }
    }

    /// Inside snmpd, on snmpd's thread: writes the lines other threads left.
    public func flush() {
        let lines: [(Int32, String)] = state.withLock { s in
            guard case .netSNMP(let thread) = s.destination, pthread_equal(pthread_self(), thread) != 0 else { return [] }
            defer { s.waiting.removeAll() }
            return s.waiting
        }
        for (priority, message) in lines { cnetsnmp_log(priority, "mptcp: " + message) }
    }

    /// net-snmp's messages: same sink, with repeats of one text shown once a minute.
    func writeNetSNMP(priority: Int32, _ text: String) {
        let message = text.trimmingTrailingNewlines()
        guard !message.isEmpty, repeats.allow(message) else { return }
        // A subagent's first registration in a new context also registers the context's
        // root nodes, which snmpd already has: it answers duplicateRegistration (263), and
        // the registration itself succeeds.
        let level = message == "registering pdu failed: 263!" ? .debug : Self.level(priority)
        write(level, "net-snmp: " + message)
    }

    static func priority(_ level: Logger.Level) -> Int32 {
        switch level {
        case .trace, .debug: return LOG_DEBUG
        case .info: return LOG_INFO
        case .notice: return LOG_NOTICE
        case .warning: return LOG_WARNING
        case .error: return LOG_ERR
        case .critical: return LOG_CRIT
        }
    }

    static func level(_ priority: Int32) -> Logger.Level {
        switch priority {
        case LOG_DEBUG: return .debug
        case LOG_INFO: return .info
        case LOG_NOTICE: return .notice
        case LOG_WARNING: return .warning
        case LOG_ERR: return .error
        default: return .critical
        }
    }

    /// Routes net-snmp's log messages here.
    public func captureNetSNMP() {
        cnetsnmp_log_to { priority, text in
            guard let text else { return }
            LogSink.shared.writeNetSNMP(priority: priority, String(cString: text))
        }
    }
}

/// swift-log handler writing to `LogSink`; the level lives in the sink so SIGHUP can change it.
public struct AgentLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level {
        get { LogSink.shared.level }
        set {}
    }

    public init(label: String) {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let extra = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let suffix = extra.isEmpty ? "" : " " + extra.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        LogSink.shared.write(event.level, "\(event.message)\(suffix)")
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" || last == " " { s.removeLast() }
        return String(s)
    }
}
