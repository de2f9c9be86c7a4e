import Logging
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

    public init() {}

    public static let defaultPath = "/etc/mptcp-agentx.conf"

    /// The keys of the file format, for messages and documentation.
    public static let keys = ["master", "cache-ttl", "ping-interval", "log-level", "log-target"]

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
        default:
            throw fail("unknown key (known: \(Self.keys.joined(separator: ", ")))")
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
