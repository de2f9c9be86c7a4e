import CNetSNMP
import Logging
import MPTCPKernel
import MPTCPMIB
import MPTCPModel
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// The write end of the self-pipe that turns signals into wake-ups of net-snmp's loop
/// (a signal between the loop's flag check and select() would otherwise wait).
nonisolated(unsafe) private var signalPipe: (read: Int32, write: Int32) = (-1, -1)

/// mptcp-agentx: an AgentX subagent serving MPTCP-MIB from the kernel of the namespace
/// it runs in, through net-snmp's agent library.
public final class Subagent {
    public static let appName = "mptcp-agentx"

    private var configuration: AgentConfiguration
    private let reload: () throws -> AgentConfiguration
    private let logger: Logger
    private let cache: ViewCache
    private var handler: RequestHandler?
    private var events: EventMonitor?
    private var stopRequested = false

    /// `reload` re-reads the configuration on SIGHUP.
    public init(configuration: AgentConfiguration, reload: @escaping () throws -> AgentConfiguration, logger: Logger) throws {
        // One malloc arena: the refresher thread's snapshots would otherwise pin a second
        // heap's worth of freed memory.
        HeapTuning.useOneArena()
        self.configuration = configuration
        self.reload = reload
        self.logger = logger
        if let n = configuration.synthetic {
            let snapshot = Snapshot.synthetic(connections: n)
            cache = try ViewCache(ttl: configuration.cacheTTL, makeReader: { SyntheticSource(snapshot: snapshot) },
                                  followingEvents: false, logger: logger)
            logger.notice("synthetic mode: serving \(n) in-memory connections with 3 subflows each, no kernel access")
        } else {
            do { try ProcFS.requireEnabled() } catch { logger.warning("\(error)") }
            do {
                events = try EventMonitor()
            } catch {
                logger.warning("peer announcements (mptcpRemoteAddressTable) and the subflow event counts of mptcpPathTable are not available: \(error)")
            }
            cache = try ViewCache(ttl: configuration.cacheTTL, makeReader: { try SnapshotReader() },
                                  followingEvents: events != nil, logger: logger)
        }
    }

    /// Runs until SIGTERM or SIGINT; returns the exit status.
    public func run() -> Int32 {
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
        guard register() else { return 1 }
        init_snmp(Self.appName)
        installSignalHandlers()
        if let events {
            register_readfd(events.fileDescriptor, { _, context in
                Unmanaged<Subagent>.fromOpaque(context!).takeUnretainedValue().drainEvents()
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        logger.notice("serving MPTCP-MIB (\(MPTCPMIB.root.dotted)) to AgentX master \(configuration.master ?? "(net-snmp default)")")
        while !stopRequested {
            agent_check_and_process(1)
        }
        logger.notice("stopping")
        cache.stop()
        snmp_shutdown(Self.appName)
        return 0
    }

    private func register() -> Bool {
        let sets = SetEngine(cache: cache, logger: logger, writesAllowed: configuration.synthetic == nil)
        let h = RequestHandler(cache: cache, sets: sets)
        handler = h
        let root = MPTCPMIB.root.map { CNetSNMP.oid($0) }
        let reg = root.withUnsafeBufferPointer {
            netsnmp_create_handler_registration("mptcpMIB", mptcpNodeHandler, $0.baseAddress, $0.count,
                                                HANDLER_CAN_RWRITE)
        }
        guard let reg else {
            logger.critical("cannot create the MPTCP-MIB handler registration")
            return false
        }
        reg.pointee.handler.pointee.myvoid = Unmanaged.passUnretained(h).toOpaque()
        guard netsnmp_register_handler(reg) == MIB_REGISTERED_OK else {
            logger.critical("cannot register MPTCP-MIB (\(MPTCPMIB.root.dotted))")
            return false
        }
        return true
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
            cache.setTTL(new.cacheTTL)
            if new.master != configuration.master || new.pingInterval != configuration.pingInterval {
                logger.notice("master and ping-interval changes take effect at the next start")
            }
            configuration = new
            logger.notice("configuration reloaded", metadata: ["cache-ttl": "\(new.cacheTTL)", "log-level": "\(new.logLevel)"])
        } catch {
            logger.error("configuration not reloaded, keeping the previous one: \(error)")
        }
    }

    /// Events handled per wake-up: a storm is worked off between requests, not ahead of them.
    static let eventBatch: UInt32 = 64

    private func drainEvents() {
        guard let events else { return }
        do {
            let (batch, lost) = try events.drain(maxDatagrams: Self.eventBatch)
            if lost { logger.warning("the kernel dropped MPTCP path-manager events: peer announcements and subflow event counts may miss some") }
            cache.events.apply(batch, lost: lost, at: MonotonicClock.now)
        } catch {
            logger.error("\(error)")
        }
    }
}
