import Logging
import MPTCPMIB
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// Settings of mptcp-agentx: from the configuration file, then the command line.
public struct AgentConfiguration: Sendable, Equatable {
    public enum LogTarget: String, Sendable, CaseIterable {
        case stderr, syslog
    }

    /// AgentX master address (`unix:/path`, `tcp:host:port`); nil: net-snmp's default.
    public var master: String?
    /// Seconds a snapshot is reused; 0 takes one for every request.
    public var cacheTTL: Double = 1
    /// Seconds between AgentX pings and reconnection attempts; 0 disables both.
    public var pingInterval: Int = 5
    public var logLevel: Logger.Level = .info
    public var logTarget: LogTarget = .stderr
    /// Serve an in-memory snapshot of this many connections (3 subflows each) instead of
    /// the kernel: the benchmark's ceiling.
    public var synthetic: Int?
    /// The notifications sent from the start (mptcpNotificationsEnabled).
    public var notifications: Set<MPTCPMIB.Notifications.Kind> = MPTCPMIB.Notifications.Kind.defaults
    /// At most this many notifications per second (mptcpNotificationRateLimit).
    public var notificationRate: UInt32 = NotificationState.defaultRateLimit

    public init() {}

    public static let defaultPath = "/etc/mptcp-agentx.conf"
    /// Inside snmpd the refresher runs whether or not anybody polls: a longer default.
    public static let moduleCacheTTL: Double = 5

    /// The keys of the file format, for messages and documentation.
    public static let keys = ["master", "cache-ttl", "ping-interval", "log-level", "log-target", "notifications",
                              "notification-rate"]

    /// Reads `key value` lines; `#` starts a comment. Unknown keys and bad values are
    /// errors that name the file, the line and the key.
    public mutating func apply(file text: String, path: String) throws {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = words.first else { continue }
            func fail(_ why: String) -> ConfigurationError {
                ConfigurationError(message: "\(path):\(n + 1): \(key): \(why)")
            }
            guard words.count == 2 else { throw fail("expected one value, found \(words.count - 1)") }
            try set(key, words[1], fail: fail)
        }
    }

    /// Sets one key from text, as the file and the command line both do.
    public mutating func set(_ key: String, _ value: String,
                             fail: (String) -> ConfigurationError) throws {
        switch key {
        case "master":
            master = value
        case "cache-ttl":
            guard let v = Double(value), v >= 0, v <= 3600 else { throw fail("'\(value)' is not a number of seconds in 0...3600") }
            cacheTTL = v
        case "ping-interval":
            guard let v = Int(value), v >= 0, v <= 3600 else { throw fail("'\(value)' is not a whole number of seconds in 0...3600") }
            pingInterval = v
        case "log-level":
            guard let v = Logger.Level(rawValue: value) else {
                throw fail("'\(value)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            logLevel = v
        case "log-target":
            guard let v = LogTarget(rawValue: value) else { throw fail("'\(value)' is not stderr or syslog") }
            logTarget = v
        case "notifications":
            notifications = try Self.notificationKinds(value, fail: fail)
        case "notification-rate":
            guard let v = UInt32(value), (1...10000).contains(v) else {
                throw fail("'\(value)' is not a number of notifications per second in 1...10000")
            }
            notificationRate = v
        default:
            throw fail("unknown key (known: \(Self.keys.joined(separator: ", ")))")
        }
    }

    /// `default`, `all`, `none`, or kind names separated by commas.
    static func notificationKinds(_ value: String, fail: (String) -> ConfigurationError) throws -> Set<MPTCPMIB.Notifications.Kind> {
        typealias Kind = MPTCPMIB.Notifications.Kind
        switch value {
        case "default": return Kind.defaults
        case "all": return Set(Kind.allCases)
        case "none": return []
        default:
            var kinds: Set<Kind> = []
            for name in value.split(separator: ",") {
                guard let kind = Kind.allCases.first(where: { $0.name == name }) else {
                    throw fail("'\(name)' is not a notification (known: default, all, none, \(Kind.allCases.map(\.name).joined(separator: ", ")))")
                }
                kinds.insert(kind)
            }
            return kinds
        }
    }

    /// Reads and applies a configuration file.
    public mutating func load(path: String) throws {
        let text: String
        do { text = try FileIO.readText(path) } catch {
            throw ConfigurationError(message: "\(path): cannot read: \(String(cString: strerror(error.errno)))")
        }
        try apply(file: text, path: path)
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
