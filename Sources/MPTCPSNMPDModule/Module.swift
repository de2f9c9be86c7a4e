// mptcp-snmpd: MPTCP-MIB served from inside snmpd, loaded with
//     dlmod mptcp /usr/lib/x86_64-linux-gnu/mptcp-mib/libmptcp-snmpd.so
// The in-snmpd front end of MPTCPAgent: snmpd calls init_mptcp when it loads the module
// (at start and after each SIGHUP) and deinit_mptcp before unloading it. Everything runs
// on snmpd's only thread except the snapshot refresher, which never calls net-snmp.
import CNetSNMP
import Logging
import MPTCPAgent

#if canImport(Glibc)
import Glibc
#endif

/// The service while the module is loaded.
nonisolated(unsafe) private var service: MIBService?

/// The configuration file: $MPTCP_AGENTX_CONF, else /etc/mptcp-agentx.conf if it exists
/// (the keys that concern a module: cache-ttl, log-level, notifications, notification-rate).
private func configuration() throws -> AgentConfiguration {
    var c = AgentConfiguration()
    c.cacheTTL = AgentConfiguration.moduleCacheTTL
    if let path = getenv("MPTCP_AGENTX_CONF").map({ String(cString: $0) }) {
        try c.load(path: path)
    } else if access(AgentConfiguration.defaultPath, F_OK) == 0 {
        try c.load(path: AgentConfiguration.defaultPath)
    }
    return c
}

/// Why the module must not listen to path-manager events (nil: it may). snmpd loads
/// modules before it switches to the user of `-u`: an event subscription made as root would
/// last until the first reload and then be refused, so a module in an snmpd that is going
/// to drop its privileges behaves as unprivileged from the start.
private func reasonWithoutEvents() -> String? {
    let user = netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_USERID)
    guard user > 0, uid_t(user) != geteuid() else { return nil }
    return "snmpd switches to uid \(user) (-u), which has no CAP_NET_ADMIN; see README \"Inside snmpd\" for running it with the capability"
}

@_cdecl("init_mptcp")
public func initMPTCP() {
    LogSink.shared.logThroughNetSNMP(level: .info)
    let logger = Logger(label: "mptcp", factory: AgentLogHandler.init)
    do {
        let c = try configuration()
        LogSink.shared.logThroughNetSNMP(level: c.logLevel)
        if c.servesOtherNamespaces {
            logger.warning("namespaces are served as contexts by mptcp-agentx only; the module serves snmpd's own namespace")
        }
        // snmpd's thread never waits for the kernel: a read that finds the snapshot older than
        // cache-ttl is answered once a new one is in, and nothing is read while nobody polls.
        let s = try MIBService(configuration: c, attached: true, policy: .delegated,
                               withoutEvents: reasonWithoutEvents(), logger: logger)
        try s.register()
        service = s
        logger.notice("serving MPTCP-MIB inside snmpd (cache-ttl \(c.cacheTTL) s)")
    } catch {
        // snmpd goes on serving its other MIBs.
        logger.error("MPTCP-MIB is not served: \(error)")
    }
}

@_cdecl("deinit_mptcp")
public func deinitMPTCP() {
    service?.stop()
    service = nil
    HeapTuning.returnFreeMemory()
}
