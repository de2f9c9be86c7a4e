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
    /// Other network namespaces served as SNMP contexts of their names.
    public var namespaces: NamespaceSelection = .none
    /// Namespaces without a name under /run/netns, by context name (`namespace NAME PATH`).
    public var namespacePaths: [String: String] = [:]

    public enum NamespaceSelection: Sendable, Equatable {
        /// Only the process's own namespace (the default context).
        case none
        /// Every namespace named under /run/netns, as they come and go.
        case all
        /// These names under /run/netns.
        case named([String])
    }

    /// Whether any namespace besides the process's own is served as a context.
    public var servesOtherNamespaces: Bool { namespaces != .none || !namespacePaths.isEmpty }

    /// Whether contexts come from the names under /run/netns (all, or some by name).
    public var followsNamedNamespaces: Bool {
        if case .named(let names) = namespaces { return !names.isEmpty }
        return namespaces == .all
    }

    public init() {}

    public static let defaultPath = "/etc/mptcp-agentx.conf"
    /// Inside snmpd the refresher runs whether or not anybody polls: a longer default.
    public static let moduleCacheTTL: Double = 5

    /// The keys of the file format, for messages and documentation.
    public static let keys = ["master", "cache-ttl", "ping-interval", "log-level", "log-target", "notifications",
                              "notification-rate", "namespaces", "namespace"]

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
            if key == "namespace" {
                guard words.count == 3 else { throw fail("expected a context name and a namespace file, found \(words.count - 1) values") }
                try addNamespace(name: words[1], path: words[2], fail: fail)
                continue
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
        case "namespaces":
            switch value {
            case "none": namespaces = .none
            case "all": namespaces = .all
            default:
                let names = value.split(separator: ",").map(String.init)
                for name in names { try Self.checkContextName(name, fail: fail) }
                namespaces = .named(names)
            }
        case "namespace":
            guard let eq = value.firstIndex(of: "=") else { throw fail("'\(value)' is not NAME=PATH") }
            try addNamespace(name: String(value[..<eq]), path: String(value[value.index(after: eq)...]), fail: fail)
        default:
            throw fail("unknown key (known: \(Self.keys.joined(separator: ", ")))")
        }
    }

    /// A namespace that has no name under /run/netns, served as context `name`.
    mutating func addNamespace(name: String, path: String, fail: (String) -> ConfigurationError) throws {
        try Self.checkContextName(name, fail: fail)
        guard path.hasPrefix("/") else { throw fail("'\(path)' is not an absolute path to a network namespace file") }
        namespacePaths[name] = path
    }

    /// An SNMP context name has 1 to 32 characters (SnmpAdminString); a name under
    /// /run/netns has no slash.
    static func checkContextName(_ name: String, fail: (String) -> ConfigurationError) throws {
        guard (1...32).contains(name.utf8.count), !name.contains("/"), name != "none", name != "all" else {
            throw fail("'\(name)' is not a context name (1 to 32 characters, no '/')")
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
