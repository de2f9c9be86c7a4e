import ArgumentParser
import Logging
import MPTCPAgent
import Platform

#if canImport(Glibc)
import Glibc
#endif

@main
struct MPTCPAgentX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mptcp-agentx",
        abstract: "AgentX subagent that serves MPTCP-MIB from the Linux kernel to a running snmpd.",
        discussion: """
            Attaches to the AgentX master (snmpd with 'master agentx') and answers MPTCP-MIB \
            (1.3.6.1.3.8684) for the network namespace it runs in. Command-line options override \
            the configuration file, whose keys are: \(AgentConfiguration.keys.map(\.name).joined(separator: ", ")).

            Examples:
              mptcp-agentx -f                          foreground, net-snmp's master socket
              mptcp-agentx -f -x unix:/run/agentx/master --cache-ttl 2
              mptcp-agentx -C /etc/mptcp-agentx.conf   daemon, logs to syslog
            """)

    @Flag(name: [.customShort("f"), .long], help: "Stay in the foreground (default: become a daemon).")
    var foreground = false

    @Option(name: [.customShort("C"), .customLong("config")],
            help: "Configuration file (default: \(AgentConfiguration.defaultPath) if it exists).")
    var configFile: String?

    // One option per configuration key, made from its declaration; `loadConfiguration`
    // finds them all by their type.
    @Option(key: "master") var master: KeyValue?
    @Option(key: "cache-ttl") var cacheTTL: KeyValue?
    @Option(key: "ping-interval") var pingInterval: KeyValue?
    @Option(key: "log-level") var logLevel: KeyValue?
    @Option(key: "log-target") var logTarget: KeyValue?
    @Option(key: "notifications") var notifications: KeyValue?
    @Option(key: "notification-rate") var notificationRate: KeyValue?
    @Option(key: "event-log-size") var eventLogSize: KeyValue?
    @Option(key: "namespaces") var namespaces: KeyValue?
    @Option(key: "namespace") var namespaceEntries: [KeyValue] = []

    @Option(help: "Serve N synthetic connections (3 subflows each) from memory instead of the kernel (benchmarks).")
    var synthetic: Int?

    @Flag(help: "Read the kernel once as the agent would, print what was found and the time taken, and exit.")
    var check = false

    @Option(help: "With --check: read this many times.")
    var `repeat` = 1

    /// The configuration file, then the command line.
    func loadConfiguration() throws -> AgentConfiguration {
        var c = AgentConfiguration()
        c.logTarget = foreground ? .stderr : .syslog
        if let configFile {
            try c.load(path: configFile)
        } else if access(AgentConfiguration.defaultPath, F_OK) == 0 {
            try c.load(path: AgentConfiguration.defaultPath)
        }
        for value in keyValues { try value.key.set(&c, option: value.text) }
        if let synthetic {
            guard synthetic >= 0 else { throw ConfigurationError(message: "--synthetic: must be 0 or more") }
            c.synthetic = synthetic
        }
        return c
    }

    /// The values of the key options given, in the order of their declarations.
    var keyValues: [KeyValue] {
        Mirror(reflecting: self).children.flatMap { child -> [KeyValue] in
            if let option = child.value as? Option<KeyValue?> { return option.wrappedValue.map { [$0] } ?? [] }
            if let option = child.value as? Option<[KeyValue]> { return option.wrappedValue }
            return []
        }
    }

    func run() throws {
        if check {
            let status = SnapshotCheck.run(repeat: `repeat`)
            if status != 0 { throw ExitCode(status) }
            return
        }
        let configuration: AgentConfiguration
        do {
            configuration = try loadConfiguration()
        } catch {
            StandardError.write("mptcp-agentx: \(error)\n")
            throw ExitCode(1)
        }
        if !foreground && daemon(0, 0) != 0 {
            StandardError.write("mptcp-agentx: cannot become a daemon: \(String(cString: strerror(errno)))\n")
            throw ExitCode(1)
        }
        LogSink.shared.configure(level: configuration.logLevel, target: configuration.logTarget)
        LoggingSystem.bootstrap(AgentLogHandler.init)
        let logger = Logger(label: "mptcp-agentx")
        let agent: Subagent
        do {
            agent = try Subagent(configuration: configuration, reload: loadConfiguration, logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let status = agent.run()
        if status != 0 { throw ExitCode(status) }
    }
}

/// An option's value with the configuration key it is for.
struct KeyValue: Sendable {
    let key: ConfigurationKey
    let text: String
}

extension Option {
    /// The option of the configuration key `name`: its names, help and value name from the key's declaration.
    init(key name: String) where Value == KeyValue? {
        let key = Self.declaration(name)
        precondition(!key.repeatable, "\(name) is repeatable: declare its option as an array")
        self.init(name: Self.names(key), help: Self.help(key), transform: { KeyValue(key: key, text: $0) })
    }

    /// The option of a key that may be given more than once.
    init(wrappedValue: [KeyValue], key name: String) where Value == [KeyValue] {
        let key = Self.declaration(name)
        precondition(key.repeatable, "\(name) takes one value")
        self.init(wrappedValue: wrappedValue, name: Self.names(key),
                  help: Self.help(key), transform: { KeyValue(key: key, text: $0) })
    }

    private static func declaration(_ name: String) -> ConfigurationKey {
        guard let key = AgentConfiguration.keys.first(where: { $0.name == name }) else { fatalError("no configuration key \(name)") }
        return key
    }

    private static func names(_ key: ConfigurationKey) -> NameSpecification {
        NameSpecification((key.shortOption.map { [.customShort($0)] } ?? []) + [.customLong(key.name)])
    }

    private static func help(_ key: ConfigurationKey) -> ArgumentHelp {
        ArgumentHelp(key.help, valueName: key.optionValueName)
    }
}
