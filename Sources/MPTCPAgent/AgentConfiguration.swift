import Logging
import MPTCPMIB
import MPTCPMIBView
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// Settings of mptcp-agentx: from the configuration file, then the command line. Each
/// property's initial value is its key's default; the keys are declared in `keys`.
public struct AgentConfiguration: Sendable, Equatable {
    typealias Kind = MPTCPMIB.Notifications.Kind

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
    public var notificationRate: UInt32 = 10
    /// Entries mptcpEventLogTable keeps (mptcpEventLogSize).
    public var eventLogSize: Int = 1000
    /// Other network namespaces served as contexts of their names.
    public var namespaces: NamespaceSelection = .none
    /// Namespaces without a name under /run/netns, by context name (`namespace NAME PATH`).
    public var namespacePaths: [String: String] = [:]

    public enum NamespaceSelection: Sendable, Equatable {
        /// Only the process's own namespace (the default context).
        case none
        /// Every namespace named under /run/netns, as they come and go.
        case all
        /// These names under /run/netns; an entry with `*`, `?` or `[` is a shell pattern
        /// (fnmatch) that serves every matching name as it comes and goes.
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

    /// The keys of the file, which are also mptcp-agentx's options, in the order of the man pages.
    public static let keys: [ConfigurationKey] = [
        .text("master", \.master, short: "x", valueName: "address",
              summary: "AgentX master address, unix:/path or tcp:host:port", defaultNote: "net-snmp's"),
        .number("cache-ttl", \.cacheTTL, valueName: "seconds", what: "a number of seconds", range: 0...3600,
                summary: "Seconds a kernel snapshot is reused, 0 to read the kernel for every request"),
        .number("ping-interval", \.pingInterval, valueName: "seconds", what: "a whole number of seconds", range: 0...3600,
                summary: "Seconds between AgentX pings and reconnection attempts, 0 for neither"),
        .choice("log-level", \.logLevel, valueName: "level", summary: "The least severe level logged"),
        .choice("log-target", \.logTarget, short: "L", valueName: "target", summary: "Where the log goes",
                defaultNote: "stderr in the foreground, syslog as a daemon"),
        .custom("notifications", valueNames: ["kinds"],
                summary: "Notifications sent: default, all, none, or names separated by commas among \(Kind.allCases.map(\.name).joined(separator: ", "))",
                defaultText: "default", defaultNote: Kind.defaults.sorted { $0.rawValue < $1.rawValue }.map(\.name).joined(separator: ", ")
        ) { c, words throws(ConfigurationKey.Refusal) in
            c.notifications = try notificationKinds(words[0])
        },
        .number("notification-rate", \.notificationRate, valueName: "n", what: "a number of notifications per second",
                range: notificationRates, summary: "At most this many notifications per second"),
        .number("event-log-size", \.eventLogSize, valueName: "n", what: "a number of entries", range: eventLogSizes,
                summary: "Entries the event log (mptcpEventLogTable) keeps, 0 for none"),
        .custom("namespaces", valueNames: ["names"],
                summary: "Other network namespaces served as SNMP contexts of their names: none, all (every name under /run/netns), or names and shell patterns (cpe-*) separated by commas",
                defaultText: "none") { c, words throws(ConfigurationKey.Refusal) in
            switch words[0] {
            case "none": c.namespaces = .none
            case "all": c.namespaces = .all
            default:
                let names = words[0].split(separator: ",").map(String.init)
                for name in names { try checkContextName(name) }
                c.namespaces = .named(names)
            }
        },
        .custom("namespace", valueNames: ["name", "path"],
                summary: "A namespace with no name under /run/netns, served as the context of that name",
                defaultText: nil, repeatable: true) { c, words throws(ConfigurationKey.Refusal) in
            try checkContextName(words[0])
            guard words[1].hasPrefix("/") else { throw .init("'\(words[1])' is not an absolute path to a network namespace file") }
            c.namespacePaths[words[0]] = words[1]
        },
    ]

    /// mptcpNotificationRateLimit's range, which the key and a SET both enforce.
    static let notificationRates: ClosedRange<UInt32> = {
        let range = MPTCPMIB.NotificationControl.rateLimit.syntax.ranges[0]
        return UInt32(range.lowerBound)...UInt32(range.upperBound)
    }()

    /// mptcpEventLogSize's range, which the key and a SET both enforce.
    static let eventLogSizes: ClosedRange<Int> = {
        let range = MPTCPMIB.EventLog.size.syntax.ranges[0]
        return Int(range.lowerBound)...Int(range.upperBound)
    }()

    /// Reads `key value` lines; `#` starts a comment. Unknown keys and bad values are
    /// errors that name the file, the line and the key.
    public mutating func apply(file text: String, path: String) throws(ConfigurationError) {
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let name = words.first else { continue }
            func fail(_ why: String) -> ConfigurationError {
                ConfigurationError(message: "\(path):\(n + 1): \(name): \(why)")
            }
            guard let key = Self.keys.first(where: { $0.name == name }) else {
                throw fail("unknown key (known: \(Self.keys.map(\.name).joined(separator: ", ")))")
            }
            let values = Array(words.dropFirst())
            guard values.count == key.valueNames.count else {
                throw fail("expected \(key.valueNames.count == 1 ? "one value" : key.valueNames.joined(separator: " and ")), found \(values.count)")
            }
            do { try key.store(&self, values) } catch { throw fail(error.reason) }
        }
    }

    /// Whether a `namespaces` entry is a shell pattern rather than a name.
    static func isNamespacePattern(_ entry: String) -> Bool { entry.contains { "*?[".contains($0) } }

    /// An SNMP context name has 1 to 32 characters (SnmpAdminString); a name under
    /// /run/netns has no slash.
    static func checkContextName(_ name: String) throws(ConfigurationKey.Refusal) {
        guard (1...32).contains(name.utf8.count), !name.contains("/"), name != "none", name != "all" else {
            throw .init("'\(name)' is not a context name (1 to 32 characters, no '/')")
        }
    }

    /// `default`, `all`, `none`, or kind names separated by commas.
    static func notificationKinds(_ value: String) throws(ConfigurationKey.Refusal) -> Set<Kind> {
        switch value {
        case "default": return Kind.defaults
        case "all": return Set(Kind.allCases)
        case "none": return []
        default:
            var kinds: Set<Kind> = []
            for name in value.split(separator: ",") {
                guard let kind = Kind.allCases.first(where: { $0.name == name }) else {
                    throw .init("'\(name)' is not a notification (known: default, all, none, \(Kind.allCases.map(\.name).joined(separator: ", ")))")
                }
                kinds.insert(kind)
            }
            return kinds
        }
    }

    /// Reads and applies a configuration file.
    public mutating func load(path: String) throws(ConfigurationError) {
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
