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
            the configuration file, whose keys are: \(AgentConfiguration.keys.joined(separator: ", ")).

            Examples:
              mptcp-agentx -f                          foreground, net-snmp's default master socket
              mptcp-agentx -f -x unix:/run/agentx/master --cache-ttl 2
              mptcp-agentx -C /etc/mptcp-agentx.conf   daemon, logs to syslog
            """)

    @Option(name: [.customShort("x"), .customLong("master")], help: "AgentX master address (unix:/path or tcp:host:port).")
    var master: String?

    @Flag(name: [.customShort("f"), .long], help: "Stay in the foreground (default: become a daemon).")
    var foreground = false

    @Option(name: [.customShort("C"), .customLong("config")],
            help: "Configuration file (default: \(AgentConfiguration.defaultPath) if it exists).")
    var configFile: String?

    @Option(name: .customLong("cache-ttl"), help: "Seconds a kernel snapshot is reused (default 1; 0: every request).")
    var cacheTTL: String?

    @Option(name: .customLong("ping-interval"), help: "Seconds between AgentX pings and reconnection attempts (default 5).")
    var pingInterval: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).")
    var logLevel: String?

    @Option(name: [.customShort("L"), .customLong("log-target")],
            help: "stderr or syslog (default: stderr in the foreground, syslog as a daemon).")
    var logTarget: String?

    @Option(help: "Notifications sent: default, all, none, or names separated by commas (connectionEstablished, connectionClosed, subflowEstablished, subflowClosed, addressAnnounced, addressRemoved, subflowPriority, notificationsThrottled).")
    var notifications: String?

    @Option(name: .customLong("notification-rate"), help: "At most this many notifications per second (default 10).")
    var notificationRate: String?

    @Option(help: "Other network namespaces served as SNMP contexts of their names: none, all (every name under /run/netns), or names separated by commas.")
    var namespaces: String?

    @Option(name: .customLong("namespace"), help: ArgumentHelp("A namespace with no name under /run/netns, served as context NAME (repeatable).", valueName: "NAME=PATH"))
    var namespaceEntries: [String] = []

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
        let overrides: [(String, String?)] = [("master", master), ("cache-ttl", cacheTTL), ("ping-interval", pingInterval),
                                              ("log-level", logLevel), ("log-target", logTarget),
                                              ("notifications", notifications), ("notification-rate", notificationRate),
                                              ("namespaces", namespaces)]
        for case let (key, value?) in overrides {
            try c.set(key, value) { ConfigurationError(message: "--\(key): \($0)") }
        }
        for entry in namespaceEntries {
            try c.set("namespace", entry) { ConfigurationError(message: "--namespace: \($0)") }
        }
        if let synthetic {
            guard synthetic >= 0 else { throw ConfigurationError(message: "--synthetic: must be 0 or more") }
            c.synthetic = synthetic
        }
        return c
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
