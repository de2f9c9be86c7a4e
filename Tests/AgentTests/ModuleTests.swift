@testable import MPTCPAgent
import MPTCPMIB
import MPTCPMIBView
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// snmpd with libmptcp-snmpd.so loaded by `dlmod`, in a lab namespace.
final class ModuleSNMPD {
    static var library: String { Paths.executable("libmptcp-snmpd.so") }
    static let serving = "serving MPTCP-MIB inside snmpd"

    let snmpd: PrivateSNMPD
    /// The module's mptcp-agentx.conf, in a directory of its own.
    let configurationDirectory: String
    var tools: SNMPTools { snmpd.tools }
    var v3: SNMPTools {
        var t = SNMPTools.v3(target: snmpd.target)
        t.namespace = snmpd.namespace
        return t
    }
    /// snmpd's log; a log that cannot be read fails the test (a check that it lacks a line
    /// must not pass because it was not read).
    var log: String { get throws { try FileIO.readText(snmpd.logPath) } }
    var pid: pid_t { snmpd.pid! }

    /// `moduleConfiguration`: mptcp-agentx.conf lines for the module (a short cache TTL so
    /// the tests need not wait for the default's); `arguments`, `wrapper`, `environment`
    /// and `owner` as for `PrivateSNMPD`.
    init(tag: String, namespace: String, extraConfiguration: String = "", moduleConfiguration: String = "cache-ttl 0.5",
         arguments: [String] = [], wrapper: [String] = [], environment: [String: String] = [:], owner: String? = nil) throws {
        configurationDirectory = Paths.temporaryDirectory(tag + "-conf")
        let configurationFile = configurationDirectory + "/mptcp-agentx.conf"
        try FileIO.write(configurationFile, moduleConfiguration + "\n", createMode: 0o644)
        if let owner { try Command.check(["chown", "-R", "\(owner):\(owner)", configurationDirectory]) }
        let u = PrivateSNMPD.v3User
        snmpd = try PrivateSNMPD(tag: tag, extraConfiguration: """
            dlmod mptcp \(Self.library)
            \(PrivateSNMPD.v3UserLine)
            rwuser \(u.name) priv .1.3.6.1.3.8684
            \(extraConfiguration)
            """, namespace: namespace, arguments: arguments,
            environment: environment.merging(["MPTCP_AGENTX_CONF": configurationFile]) { a, _ in a }, wrapper: wrapper, owner: owner)
        try waitUntilServed(loads: 1)
    }

    /// Waits until the module has been loaded `loads` times and answers with a snapshot.
    func waitUntilServed(loads: Int, timeout: Double = 20) throws {
        let probe = MPTCPMIB.General.currentConnections.oid.dotted + ".0"
        try waitUntil("the module to serve (load \(loads))", timeout: timeout, interval: 0.1, detail: { (try? self.log) ?? "" }) {
            try log.components(separatedBy: Self.serving).count - 1 >= loads
                && (try? tools.get([probe]).first)?.type == "Gauge32"
        }
    }

    /// Waits until a walk shows `count` instances of `column` (the module's cache has a
    /// snapshot of the state the test made); returns that walk.
    @discardableResult
    func waitForWalk(_ column: MIBObject, count: Int, timeout: Double = 10) throws -> [PrintedVarBind] {
        var last = 0
        return try waitFor("a walk with \(count) instances of \(column.name)", timeout: timeout, interval: 0.1,
                           detail: { "last walk had \(last)" }) {
            let walk = try tools.bulkWalk()
            last = walk.filter { $0.oid.hasPrefix(column.oid) }.count
            return last == count ? walk : nil
        }
    }

    /// VmRSS (KiB), threads and open file descriptors of snmpd.
    func resources() throws -> ProcessResources { try ProcessResources.of(pid) }

    func shutdown() {
        snmpd.shutdown()
        Paths.removeTree(configurationDirectory)
    }
}

@Suite("MPTCP-MIB inside snmpd (dlmod)", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct ModuleTests {
    typealias G = MPTCPMIB.General

    @Test("The module exports init_mptcp and deinit_mptcp only, and needs no Swift library")
    func exports() throws {
        let library = ModuleSNMPD.library
        let symbols = try Command.check(["nm", "-D", "--defined-only", library]).split(separator: "\n")
            .map { $0.split(separator: " ") }
            // Global symbols have upper-case types; the version script makes the rest local.
            .filter { $0.count == 3 && $0[1].first!.isUppercase }.map { String($0[2]) }
        #expect(symbols.sorted() == ["deinit_mptcp", "init_mptcp"])
        let needed = try Command.check(["ldd", library])
        #expect(!needed.contains("swift"), "\(needed)")
        #expect(!needed.contains("not found"), "\(needed)")
    }

    @Test("A walk through the module equals the walk through mptcp-agentx of the same namespace")
    func walkEqualsAgentX() throws {
        try requireIntegration()
        // Both front ends start before the traffic, so both see the same events.
        let s = try AgentLab(tag: "mw", traffic: false)
        defer { s.shutdown() }
        let module = try ModuleSNMPD(tag: "mw", namespace: s.lab.client)
        defer { module.shutdown() }
        try s.lab.startServers()
        try s.lab.connect(v4: 12, v6: 6, fallback: 2)
        // Both caches (TTL 0.5 s and 1 s) show the quiet state: every subflow ss counts.
        let subflows = SSParser.subflows(try s.lab.exec(s.lab.client, ["ss", "-tni"])).count
        let current = G.currentSubflows.oid.dotted + ".0"
        try waitUntil("both front ends to count the \(subflows) subflows", timeout: 10) {
            try module.tools.get([current]).first?.number == UInt64(subflows) && s.tools.get([current]).first?.number == UInt64(subflows)
        }

        // Each front end keeps its own event log, as of its last refresh: the logs are
        // compared with ip mptcp monitor by DiagnosisTests, not with each other.
        func ownLog(_ vb: PrintedVarBind) -> Bool { vb.oid.hasPrefix(MPTCPMIB.EventLog.oid) }
        let viaModule = try module.tools.bulkWalk().filter { !ownLog($0) }
        let viaAgentX = try s.tools.bulkWalk().filter { !ownLog($0) }
        #expect(viaModule.contains { $0.oid.hasPrefix(MPTCPMIB.SubflowTable.oid) })
        #expect(viaModule.map(\.oid) == viaAgentX.map(\.oid), "the same instances, in the same order")
        // Values that move with time or differ by agent: TimeStamps (each snmpd has its own
        // sysUpTime), the time since the last data, the spin lock's start value, and what
        // each front end sent as notifications.
        typealias C = MPTCPMIB.ConnectionTable
        typealias NC = MPTCPMIB.NotificationControl
        typealias S = MPTCPMIB.SubflowTable
        let varying = [C.lastDataSent, C.lastDataRecv, C.lastAckRecv, S.lastDataSent, S.lastDataRecv, G.endpointSpinLock,
                       NC.sent, NC.suppressed, NC.dropped].map(\.oid)
        let agentX = Dictionary(viaAgentX.map { ($0.oid, $0) }, uniquingKeysWith: { a, _ in a })
        var compared = 0
        func isTimeStamp(_ oid: [UInt32]) -> Bool { MPTCPMIB.object(containing: oid)?.object.syntax.type == .timeStamp }
        for vb in viaModule where !isTimeStamp(vb.oid) && !varying.contains(where: { vb.oid.hasPrefix($0) }) {
            guard let other = agentX[vb.oid] else { continue }
            #expect(vb == other)
            compared += 1
        }
        #expect(compared > viaModule.count / 2)
    }

    @Test("SETs: applied with CAP_NET_ADMIN; noAccess after snmpd -u, whose reads work unprivileged")
    func privileges() throws {
        try requireIntegration()
        let lab = try Lab(tag: "mp")
        defer { lab.shutdown() }
        func limits() throws -> String { try lab.exec(lab.client, ["ip", "mptcp", "limits", "show"]) }
        let limit = G.limitSubflows.oid.dotted + ".0"

        // snmpd as root: the module writes.
        do {
            let m = try ModuleSNMPD(tag: "mp", namespace: lab.client)
            defer { m.shutdown() }
            #expect(try m.v3.set([(limit, "u", "5")]) == .set(SNMPTools.parse(".\(limit) = Gauge32: 5")))
            #expect(try limits().contains("subflows 5"))
        }

        // Debian's way: started as root, switching to Debian-snmp (-u), which drops every
        // capability. Traffic first, so the reads below have something to show.
        try lab.startServers()
        try lab.connect(v4: 4, v6: 2)
        let m = try ModuleSNMPD(tag: "mu", namespace: lab.client, arguments: ["-u", "Debian-snmp", "-g", "Debian-snmp"],
                                owner: "Debian-snmp")
        defer { m.shutdown() }
        #expect(try m.log.contains("no path-manager events"), "the module does not subscribe to what it would lose on reload")
        let before = try limits()
        #expect(try m.v3.set([(limit, "u", "2")]) == .error(status: "noAccess", failed: G.limitSubflows.oid + [0]))
        #expect(try limits() == before, "a refused SET leaves the kernel as it was")
        #expect(try m.log.contains("SET mptcpLimitSubflows.0 refused: noAccess: cannot write MPTCP: the process lacks CAP_NET_ADMIN"))

        // After a reload the module opens every socket as Debian-snmp: each read still works.
        kill(m.pid, SIGHUP)
        try m.waitUntilServed(loads: 2)
        let user = try Command.check(["id", "-u", "Debian-snmp"]).split(separator: "\n")[0]
        let uids = try FileIO.readText("/proc/\(m.pid)/status").split(separator: "\n").first { $0.hasPrefix("Uid:") }?
            .split(separator: "\t").dropFirst()
        #expect(uids.map(Array.init) == Array(repeating: user, count: 4), "snmpd runs as Debian-snmp")
        // The reloaded module's first snapshot with the lab's 6 connections.
        let walk = try m.waitForWalk(MPTCPMIB.ConnectionTable.localPort, count: 6)
        func count(_ column: MIBObject) -> Int { walk.filter { $0.oid.hasPrefix(column.oid) }.count }
        let ss = SSParser.sockets(try lab.exec(lab.client, ["ss", "-Mni"])).count
        let subflows = SSParser.subflows(try lab.exec(lab.client, ["ss", "-tni"])).count
        let endpoints = IPMPTCPParser.endpoints(try lab.exec(lab.client, ["ip", "mptcp", "endpoint", "show"])).count
        #expect(ss == 6 && count(MPTCPMIB.ConnectionTable.localPort) == ss, "MPTCP sock_diag dump")
        #expect(subflows == 18 && count(MPTCPMIB.SubflowTable.state) == subflows, "TCP sock_diag dump")
        #expect(endpoints > 0 && count(MPTCPMIB.EndpointTable.flags) == endpoints, "the path manager's endpoint dump")
        #expect(walk.first { $0.oid == G.limitSubflows.oid + [0] }?.value == "5", "the path manager's limits")
        #expect(walk.first { $0.oid == G.enabled.oid + [0] }?.value == "1", "/proc/sys/net/mptcp")
        #expect(count(MPTCPMIB.CounterTable.value) > 50, "/proc/net/netstat")
        #expect(try m.v3.set([(limit, "u", "2")]) == .error(status: "noAccess", failed: G.limitSubflows.oid + [0]))
    }

    @Test("snmpd started as Debian-snmp with CAP_NET_ADMIN (the systemd drop-in): SETs and events work")
    func capabilityDropIn() throws {
        try requireIntegration()
        let lab = try Lab(tag: "md")
        defer { lab.shutdown() }
        // What config/snmpd-mptcp-module.conf asks systemd for.
        let dropIn = try FileIO.readText(Paths.packageRoot + "/config/snmpd-mptcp-module.conf")
        #expect(dropIn.contains("User=Debian-snmp") && dropIn.contains("AmbientCapabilities=CAP_NET_ADMIN"))
        let m = try ModuleSNMPD(tag: "md", namespace: lab.client,
                                wrapper: ["setpriv", "--reuid=Debian-snmp", "--regid=Debian-snmp", "--init-groups",
                                          "--inh-caps=+net_admin", "--ambient-caps=+net_admin"], owner: "Debian-snmp")
        defer { m.shutdown() }
        #expect(try !m.log.contains("no path-manager events"), "\((try? m.log) ?? "")")
        try lab.startServers()
        try lab.connect(v4: 3, v6: 0)
        let limit = G.limitSubflows.oid.dotted + ".0"
        #expect(try m.v3.set([(limit, "u", "6")]) == .set(SNMPTools.parse(".\(limit) = Gauge32: 6")))
        #expect(try lab.exec(lab.client, ["ip", "mptcp", "limits", "show"]).contains("subflows 6"))
        // Subflows counted from the event group: 3 connections x 3 subflows were opened.
        func opened() throws -> UInt64 { try m.tools.walk(MPTCPMIB.PathTable.opened.oid.dotted).compactMap(\.number).reduce(0, +) }
        try waitUntil("the module's cache to count the opened subflows", timeout: 10) { try opened() >= 9 }
        #expect(try opened() == 9)
    }

    @Test("20 SIGHUP reloads leak no memory, threads or descriptors; SIGTERM exits cleanly")
    func reloads() throws {
        try requireIntegration()
        let lab = try Lab(tag: "mr")
        defer { lab.shutdown() }
        let m = try ModuleSNMPD(tag: "mr", namespace: lab.client)
        defer { m.shutdown() }
        try lab.startServers()
        try lab.connect(v4: 20, v6: 10)
        var samples: [ProcessResources] = []
        for i in 1...21 {
            kill(m.pid, SIGHUP)
            try m.waitUntilServed(loads: i + 1)
            // Reload i serves the 90 subflows again.
            try m.waitForWalk(MPTCPMIB.SubflowTable.state, count: 90)
            samples.append(try m.resources())
        }
        let first = samples[0], last = samples[samples.count - 1]
        // 2 MiB over 20 reloads after the first.
        #expect(last.rssKiB - first.rssKiB <= 2048, "RSS \(samples.map(\.rssKiB)) KiB")
        #expect(Set(samples.map(\.threads)) == [first.threads], "threads \(samples.map(\.threads))")
        #expect(Set(samples.map(\.fds)) == [first.fds], "descriptors \(samples.map(\.fds))")
        #expect(try !m.log.contains("MPTCP-MIB is not served"))

        let started = MonotonicClock.now
        let status = m.snmpd.signal(SIGTERM, waitUpTo: 5)
        #expect(status != nil, "snmpd still runs 5 s after SIGTERM")
        #expect(status == 0, "exit status \(status.map(String.init) ?? "none")")
        #expect(MonotonicClock.now - started < 2, "took \(MonotonicClock.now - started) s")
    }

    /// Tests/Faults/netlink-fault.c built into `dir`: its path, for LD_PRELOAD.
    static func netlinkFault(in dir: String) throws -> String {
        let library = dir + "/netlink-fault.so"
        try Command.check([cCompiler, "-shared", "-fPIC", "-O2", "-o", library, Paths.packageRoot + "/Tests/Faults/netlink-fault.c", "-ldl"])
        return library
    }

    @Test("Nothing is read while nobody polls; after idle a read waits at most 0.5 s for a new snapshot, then gets the newest with its age, while snmpd answers its own MIBs")
    func delegatedReads() throws {
        try requireIntegration()
        let dir = Paths.temporaryDirectory("md")
        defer { Paths.removeTree(dir) }
        let fault = try Self.netlinkFault(in: dir), flag = dir + "/hold"
        let lab = try Lab(tag: "mdl")
        defer { lab.shutdown() }
        try lab.startServers()
        try lab.connect(v4: 4, v6: 0)
        let m = try ModuleSNMPD(tag: "md", namespace: lab.client, moduleConfiguration: "cache-ttl 0.5\nlog-level debug",
                                environment: ["LD_PRELOAD": fault, "NETLINK_HOLD_FLAG": flag])
        defer { m.shutdown() }
        let current = G.currentConnections.oid.dotted + ".0", uptime = "1.3.6.1.2.1.1.3.0"
        let snapshotTime = G.snapshotTime.oid.dotted + ".0"
        #expect(try m.tools.get([current]).first?.number == 4)

        // The subject is time: over six TTLs with no request, the module reads nothing.
        func snapshots() throws -> Int { try m.log.components(separatedBy: "snapshot: connections").count - 1 }
        let taken = try snapshots()
        #expect(taken >= 1)
        elapse(3)
        #expect(try snapshots() == taken, "snapshots taken while nobody polled")

        // Three more connections, then a read whose refresher is held in its kernel dump (as a
        // dump of 10^5 connections on a host busy with churn takes up to a minute).
        try lab.connect(v4: 3, v6: 0)
        try FileIO.write(flag, "", createMode: 0o644)
        elapse(0.6)  // the view is older than the TTL now, whatever the connecting took
        let asked = MonotonicClock.now
        let waiting = try Daemon(["ip", "netns", "exec", lab.client, "snmpget", "-v2c", "-c", "public", "-On", "-Ot", "-t", "30", "-r", "0",
                                  m.snmpd.target, current, uptime, snapshotTime], name: "md-get")
        defer { _ = waiting.signal(SIGTERM, waitUpTo: 5) }
        try waitUntil("the module's refresher to be in its dump", timeout: 10) { access(flag + ".held", F_OK) == 0 }
        // Meanwhile snmpd's own objects answer at once, more than once.
        for _ in 0..<3 {
            for oid in [uptime, "1.3.6.1.2.1.6.9.0"] {  // sysUpTime.0, TCP-MIB::tcpCurrEstab.0
                let started = MonotonicClock.now
                #expect(try m.tools.get([oid]).first?.number != nil, "\(oid) answers during the dump")
                #expect(MonotonicClock.now - started < 1, "\(oid) took \(MonotonicClock.now - started) s")
            }
        }
        // The MPTCP read waited for a new snapshot 0.5 s (to 0.75, the module's timer), then got
        // the newest there is: the 4 connections read 3.6 s before, and says how old.
        try waiting.waitForOutput("Gauge32: 4", timeout: 5)
        let waited = MonotonicClock.now - asked
        #expect(waited >= ViewCache.freshWait * 0.9, "answered after \(waited) s")
        let times = SNMPTools.parse(waiting.output).dropFirst().compactMap(\.number)
        #expect(times.count == 2 && Int(times[0]) - Int(times[1]) >= 340, "sysUpTime, mptcpSnapshotTime: \(times)")
        // So is a read while that dump runs on, at once.
        let during = MonotonicClock.now
        #expect(try m.tools.get([current]).first?.number == 4)
        #expect(MonotonicClock.now - during < 0.5, "a read during the long dump took \(MonotonicClock.now - during) s")
        unlink(flag)
        // The dump under way completes: the connections opened before it. Its view is older than
        // the TTL when it comes in, and serves while it is the newest; after it, data at most
        // cache-ttl old.
        try waitUntil("the snapshot after the held dump", timeout: 10) { try m.tools.get([current]).first?.number == 7 }
        elapse(0.6)
        let fresh = try m.tools.get([uptime, snapshotTime]).compactMap(\.number)
        #expect(fresh.count == 2 && Int(fresh[0]) - Int(fresh[1]) <= 51, "sysUpTime, mptcpSnapshotTime: \(fresh)")
    }

    @Test("Kernel dumps failing inside the module: snmpd keeps answering, the tables come back")
    func failingDumps() throws {
        try requireIntegration()
        let dir = Paths.temporaryDirectory("mf")
        defer { Paths.removeTree(dir) }
        let fault = try Self.netlinkFault(in: dir), flag = dir + "/failing"
        let lab = try Lab(tag: "mf")
        defer { lab.shutdown() }
        try lab.startServers()
        try lab.connect(v4: 5, v6: 0)
        let m = try ModuleSNMPD(tag: "mf", namespace: lab.client,
                                environment: ["LD_PRELOAD": fault, "NETLINK_FAULT_FLAG": flag])
        defer { m.shutdown() }
        let connections = MPTCPMIB.ConnectionTable.localPort.oid.dotted
        #expect(try m.tools.walk(connections).count == 5)

        try FileIO.write(flag, "", createMode: 0o644)
        try waitUntil("the failed dump to empty the table", timeout: 10) {
            try m.tools.walk(connections).filter { $0.type == "Gauge32" }.isEmpty
        }
        let sysUpTime = "1.3.6.1.2.1.1.3.0"
        for _ in 0..<20 {
            #expect(try m.tools.get([sysUpTime]).first?.number != nil, "snmpd's own MIBs answer")
            #expect(try m.tools.get([G.enabled.oid.dotted + ".0"]).first?.value == "1", "what does not need the dump answers")
            elapse(0.05)  // the subject: snmpd keeps answering over a second of failing dumps
        }
        #expect(try m.tools.walk(connections).filter { $0.type == "Gauge32" }.isEmpty, "the failed table answers empty")
        #expect(try m.log.contains("kernel read failed"))

        unlink(flag)
        try waitUntil("the table to come back", timeout: 10) { try m.tools.walk(connections).count == 5 }
        #expect(kill(m.pid, 0) == 0)
    }

    @Test("The DISMAN-EVENT monitor lines of snmpd.conf.example fire through the module")
    func monitors() throws {
        try requireIntegration()
        let lines = try Self.exampleMonitorLines()
        let names = lines.filter { $0.hasPrefix("monitor ") }.compactMap { $0.split(separator: " ").first { $0.hasPrefix("mptcp") } }
        #expect(names.count == 6, "\(lines)")
        let lab = try Lab(tag: "mm")
        defer { lab.shutdown() }
        let trapd = try PrivateSNMPTrapd(tag: "mm", namespace: lab.client)
        defer { trapd.shutdown() }
        let m = try ModuleSNMPD(tag: "mm", namespace: lab.client,
                                extraConfiguration: (["trap2sink \(trapd.target) public"] + lines).joined(separator: "\n"))
        defer { m.shutdown() }
        #expect(try !m.log.contains("rror"), "\((try? m.log) ?? "")")
        try lab.startServers()
        // The subject is a sampler with no observable state: one sampling period (2 s) and a
        // margin pass, so that the monitors have a first sample before the fallbacks.
        elapse(2.5)
        // 40 connections to the plain TCP server fall back within one or two samples.
        try lab.connect(v4: 0, v6: 0, fallback: 40)
        let mteTriggerFired: [UInt32] = [1, 3, 6, 1, 2, 1, 88, 2, 0, 1]
        let mteHotTrigger: [UInt32] = [1, 3, 6, 1, 2, 1, 88, 2, 1, 1]
        let fired = try trapd.wait(timeout: 15, for: "mteTriggerFired for mptcpFallbacksRising") {
            $0.contains { $0.trapOID == mteTriggerFired && $0.value(mteHotTrigger)?.octets == Array("mptcpFallbacksRising".utf8) }
        }
        // The subject is time: over 1.5 more sampling periods the monitors of counters that
        // did not move stay quiet.
        elapse(3)
        let triggers = trapd.received().filter { $0.trapOID == mteTriggerFired }
            .compactMap { $0.value(mteHotTrigger)?.octets.map { String(decoding: $0, as: UTF8.self) } }
        #expect(Set(triggers) == ["mptcpFallbacksRising"], "\(fired)")
    }

    /// The monitor lines of config/snmpd.conf.example and the user they query as,
    /// uncommented; sampled every 2 s instead of every minute.
    static func exampleMonitorLines() throws -> [String] {
        try FileIO.readText(Paths.packageRoot + "/config/snmpd.conf.example").split(separator: "\n")
            .filter { ["#createUser mptcpmonitor", "#rouser mptcpmonitor", "#iquerySecName", "#monitor "].contains(where: $0.hasPrefix) }
            .map { String($0.dropFirst()).replacing("-r 60", with: "-r 2") }
    }

    @Test("The path monitors of snmpd.conf.example: 5 % loss on one path fires mptcpPathLossHigh for that path only")
    func pathMonitors() throws {
        try requireIntegration()
        typealias P = MPTCPMIB.PathTable
        // The shipped lines; the RTT threshold lowered to 1 µs, which every path with an
        // established subflow crosses (the lab's RTTs are far below 200 ms).
        let lines = try Self.exampleMonitorLines().map { $0.replacing("mptcpPathRttHigh .1.3.6.1.3.8684.1.9.1.14 > 200000",
                                                                     with: "mptcpPathRttHigh .1.3.6.1.3.8684.1.9.1.14 > 1") }
        #expect(lines.contains { $0.contains("mptcpPathLossHigh .1.3.6.1.3.8684.1.9.1.22 > 20") })
        #expect(lines.contains { $0.contains("mptcpPathRttHigh .1.3.6.1.3.8684.1.9.1.14 > 1") })
        let lab = try Lab(tag: "mq")
        defer { lab.shutdown() }
        // netem is not in these kernels (no sch_netem module): the loss is nft's, 5 % of
        // what arrives at the server on the second path.
        try lab.exec(lab.server, ["nft", "add table inet loss; add chain inet loss c { type filter hook input priority 0; };"
                                    + " add rule inet loss c iifname \(lab.prefix)s2 numgen random mod 100 < 5 drop"])
        let trapd = try PrivateSNMPTrapd(tag: "mq", namespace: lab.client)
        defer { trapd.shutdown() }
        let m = try ModuleSNMPD(tag: "mq", namespace: lab.client,
                                extraConfiguration: (["trap2sink \(trapd.target) public"] + lines).joined(separator: "\n"))
        defer { m.shutdown() }
        try lab.startServers()
        // Bulk data on every subflow that carries data: 4 connections, 64 KiB each every 20 ms.
        try lab.start(lab.client, [Paths.executable("mptcp-traffic"), "connect", "--to", "10.201.1.2:5000", "--count", "4",
                                   "--bytes", "65536", "--every-ms", "20"], name: "bulk").waitForOutput("connected 4 failed 0", timeout: 60)
        let mteTriggerFired: [UInt32] = [1, 3, 6, 1, 2, 1, 88, 2, 0, 1]
        let mteHotTrigger: [UInt32] = [1, 3, 6, 1, 2, 1, 88, 2, 1, 1]
        let mteHotOID: [UInt32] = [1, 3, 6, 1, 2, 1, 88, 2, 1, 4]
        func fired(_ trigger: String) -> [ReceivedNotification] {
            trapd.received().filter { $0.trapOID == mteTriggerFired && $0.value(mteHotTrigger)?.octets == Array(trigger.utf8) }
        }
        let lossy: [UInt32] = [1, 4, 10, 201, 2, 1], clean: [UInt32] = [1, 4, 10, 201, 1, 1]
        // The kernel's scheduler may keep little traffic on the lossy path for a while (a
        // loaded machine); the estimates are in the failure message.
        var estimates = ""
        try waitUntil("mteTriggerFired for mptcpPathLossHigh", timeout: 90, interval: 1, detail: { estimates }) {
            estimates = (try? m.tools.walk(P.lossEstimate.oid.dotted).map { "\($0.oid.dotted) = \($0.value)" }.joined(separator: ", ")) ?? ""
            return !fired("mptcpPathLossHigh").isEmpty
        }
        // A few more samples: the clean path stays below the threshold.
        elapse(4)
        // mteHotOID, the row that crossed: snmptrapd prints an OID value as .1.3.6...
        func row(_ n: ReceivedNotification) -> String { String(n.value(mteHotOID)?.value.drop { $0 == "." } ?? "") }
        let lossRows = fired("mptcpPathLossHigh").map(row)
        #expect(Set(lossRows) == [(P.lossEstimate.oid + lossy).dotted], "\(lossRows)")
        // The notification carries the path's interface (-o mptcpPathIfIndex).
        let ifIndex = try #require(fired("mptcpPathLossHigh").first?.value(P.ifIndex.oid + lossy)?.value)
        let device = try lab.exec(lab.client, ["cat", "/sys/class/net/\(lab.prefix)c2/ifindex"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(ifIndex == device)
        // The same from a manager's GET: the lossy path's estimate above the threshold, the clean one's below.
        let loss = try m.tools.get([(P.lossEstimate.oid + lossy).dotted, (P.lossEstimate.oid + clean).dotted]).map { $0.number ?? 0 }
        #expect(loss.count == 2 && loss[0] > 20 && loss[1] <= 20 && loss[0] > loss[1], "\(loss)")
        // The RTT monitor, at 1 µs: once for each path with established subflows.
        let rttRows = Set(fired("mptcpPathRttHigh").map(row))
        let established = try m.tools.walk(P.rttMean.oid.dotted).map { $0.oid.dotted }
        #expect(rttRows == Set(established) && rttRows.count == 3, "\(rttRows) vs \(established)")
    }

    /// The C compiler for the fault-injection library: cc, else the Swift toolchain's clang.
    static var cCompiler: String {
        if (try? Command.run(["cc", "--version"]).status) == 0 { return "cc" }
        return "clang"
    }
}
