import CNetSNMP
import Logging
import MPTCPAgent
import MPTCPMIB

#if canImport(Glibc)
import Glibc
#endif

/// The write end of the self-pipe that turns signals into wake-ups of net-snmp's loop
/// (a signal between the loop's flag check and select() would otherwise wait).
nonisolated(unsafe) private var signalPipe: (read: Int32, write: Int32) = (-1, -1)

/// net-snmp's callback for the AgentX session opening and closing; the Subagent is `context`.
private func attachmentCallback(_ major: Int32, _ minor: Int32, _ server: UnsafeMutableRawPointer?,
                               _ context: UnsafeMutableRawPointer?) -> Int32 {
    Unmanaged<Subagent>.fromOpaque(context!).takeUnretainedValue().attachmentChanged(opened: minor == SNMPD_CALLBACK_INDEX_START)
    return 0
}

/// mptcp-agentx, the AgentX front end: a process that attaches to snmpd as an AgentX
/// subagent and serves MPTCP-MIB (`MIBService`) from the kernel of the namespace it runs
/// in; it owns the process (daemon, signals, reloads) and the AgentX session.
final class Subagent {
    static let appName = "mptcp-agentx"

    private var configuration: AgentConfiguration
    private let reload: () throws -> AgentConfiguration
    private let logger: Logger
    private let service: MIBService
    /// The other network namespaces, as contexts (nil: none configured at start).
    private var contexts: ContextRegistry?
    private var stopRequested = false

    /// `reload` re-reads the configuration on SIGHUP.
    init(configuration: AgentConfiguration, reload: @escaping () throws -> AgentConfiguration, logger: Logger) throws {
        // One malloc arena (the refresher thread's snapshots would otherwise pin a second
        // heap's worth of freed memory), and large blocks mapped on their own.
        HeapTuning.useOneArena()
        HeapTuning.mapLargeBlocks()
        self.configuration = configuration
        self.reload = reload
        self.logger = logger
        // Notifications go out as AgentX Notify PDUs only while snmpd holds our session.
        service = try MIBService(configuration: configuration, attached: false, logger: logger)
    }

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    func run() -> Int32 {
        LogSink.shared.captureNetSNMP()
        netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1)
        // Our configuration file is not net-snmp's, and a subagent has no state to persist.
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1)
        netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1)
        // The agent needs no MIB files: an empty module list keeps net-snmp from loading
        // (and warning about) the default ones.
        setenv("MIBS", "", 1)
        if let master = configuration.master {
            netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, master)
        }
        guard init_agent(Self.appName) == 0 else {
            logger.critical("net-snmp agent library failed to initialise")
            return 1
        }
        // init_agent resets the ping interval; it also drives reconnection to a restarted master.
        netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, Int32(configuration.pingInterval))
        followAttachment()
        installSignalHandlers()
        // net-snmp sends the registrations made before init_snmp when it attaches through
        // its re-attach logic, which pings drive; without pings it attaches once and sends
        // only what is registered afterwards.
        let registerFirst = configuration.pingInterval > 0
        func register() -> Bool {
            do { try service.register() } catch {
                logger.critical("\(error)")
                return false
            }
            return true
        }
        if registerFirst && !register() { return 1 }
        init_snmp(Self.appName)
        if !registerFirst && !register() { return 1 }
        startContexts()
        logger.notice("serving MPTCP-MIB (\(MPTCPMIB.root.dotted)) to AgentX master \(configuration.master ?? "(net-snmp default)")")
        while !stopRequested {
            agent_check_and_process(1)
            contexts?.applyPendingChanges()
        }
        logger.notice("stopping")
        // No thread may be in Swift code while the process exits.
        contexts?.stop()
        service.stop()
        stopFollowingAttachment()
        snmp_shutdown(Self.appName)
        return 0
    }

    /// net-snmp says when the AgentX session opens (INDEX_START) and closes (INDEX_STOP):
    /// notifications are delivered only in between.
    private static let attachmentMinors = [SNMPD_CALLBACK_INDEX_START, SNMPD_CALLBACK_INDEX_STOP].map { Int32($0) }

    fileprivate func attachmentChanged(opened: Bool) {
        service.attached = opened
        contexts?.attached = opened
    }

    /// Serves the configured namespaces as contexts, each with a service of its own.
    private func startContexts() {
        let c = configuration
        guard c.servesOtherNamespaces, contexts == nil else { return }
        let logger = logger
        let registry = ContextRegistry(configuration: c, logger: logger, makeService: { name, namespace, configuration in
            var labelled = logger
            labelled[metadataKey: "context"] = "\(name)"
            let s = try MIBService(configuration: configuration, context: name, namespace: namespace, attached: false,
                                   logger: labelled)
            try s.register()
            return s
        }, publish: { [service] rows in service.publish(contexts: rows) })
        registry.attached = service.attached
        contexts = registry
        registry.start()
    }

    private func followAttachment() {
        for minor in Self.attachmentMinors {
            snmp_register_callback(SNMP_CALLBACK_APPLICATION, minor, attachmentCallback, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Before snmp_shutdown, which free()s the argument of every callback still registered
    /// (here: this object, which is not net-snmp's to free).
    private func stopFollowingAttachment() {
        for minor in Self.attachmentMinors {
            snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, minor, attachmentCallback,
                                     Unmanaged.passUnretained(self).toOpaque(), 1)
        }
    }

    private func installSignalHandlers() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        signalPipe = (fds[0], fds[1])
        signal(SIGPIPE, SIG_IGN)  // a master that went away must not kill us mid-write
        for s in [SIGTERM, SIGINT, SIGHUP] {
            signal(s) { sig in
                var byte = UInt8(truncatingIfNeeded: sig)
                _ = write(signalPipe.write, &byte, 1)
            }
        }
        register_readfd(signalPipe.read, { fd, context in
            Unmanaged<Subagent>.fromOpaque(context!).takeUnretainedValue().handleSignals(fd)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func handleSignals(_ fd: Int32) {
        var byte: UInt8 = 0
        while read(fd, &byte, 1) == 1 {
            if Int32(byte) == SIGHUP {
                reloadConfiguration()
            } else {
                stopRequested = true
            }
        }
    }

    private func reloadConfiguration() {
        do {
            let new = try reload()
            LogSink.shared.configure(level: new.logLevel, target: new.logTarget)
            service.apply(new)
            if new.master != configuration.master || new.pingInterval != configuration.pingInterval {
                logger.notice("master and ping-interval changes take effect at the next start")
            }
            configuration = new
            if let contexts { contexts.apply(new) } else { startContexts() }
            logger.notice("configuration reloaded", metadata: ["cache-ttl": "\(new.cacheTTL)", "log-level": "\(new.logLevel)"])
        } catch {
            logger.error("configuration not reloaded, keeping the previous one: \(error)")
        }
    }
}
