import MPTCPMIB
import MPTCPMIBView
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("mptcp-agentx under churn, restarts and signals", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct AgentLifecycleTests {
    static let probe = MPTCPMIB.General.enabled.oid.dotted + ".0"

    /// Polls a GET of mptcpEnabled until it answers; returns the seconds it took.
    static func secondsUntilServed(_ tools: SNMPTools, timeout: Double) throws -> Double {
        let start = MonotonicClock.now
        do {
            try waitUntil("mptcpEnabled.0 to answer", timeout: timeout, interval: 0.1) {
                (try? tools.get([probe]).first)?.type == "INTEGER"
            }
        } catch is WaitTimeout {
            return .infinity
        }
        return MonotonicClock.now - start
    }

    @Test("20 full walks while 100+ connections per second open and close")
    func walksDuringChurn() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ac", v4: 5, v6: 2)
        defer { s.shutdown() }
        let churn = try s.lab.start(s.lab.client, [Paths.executable("mptcp-traffic"), "churn", "--to", "10.201.1.2:5000",
                                                   "--rate", "150", "--duration", "0"], name: "churn")
        try churn.waitForOutput("churning")
        let started = MonotonicClock.now
        var sizes: [Int] = []
        for i in 0..<20 {
            let walk = try s.tools.bulkWalk()
            sizes.append(walk.count)
            for (a, b) in zip(walk, walk.dropFirst()) where !oidLess(a.oid, b.oid) {
                Issue.record("walk \(i): \(b) does not follow \(a)")
                break
            }
            #expect(walk.contains { $0.oid.hasPrefix(MPTCPMIB.ConnectionTable.oid) })
        }
        let elapsed = MonotonicClock.now - started
        churn.signal(SIGINT, waitUpTo: 5)
        // The generator really churned at 100+ connections per second during the walks.
        let opened = s.lab.connectionsOpenedByChurn(churn)
        #expect(Double(opened) / elapsed >= 100, "\(opened) connections in \(elapsed) s")
        #expect(s.agent.daemon.isRunning)
        #expect(Set(sizes).count > 1, "the walks should see connections come and go: \(sizes)")
    }

    @Test("snmpd killed and restarted: the subagent serves again within the ping interval")
    func survivesMasterRestart() throws {
        try requireIntegration()
        let lab = try Lab(tag: "rs")
        defer { lab.shutdown() }
        let snmpd = try PrivateSNMPD(tag: "rs")
        defer { snmpd.shutdown() }
        let agent = try AgentProcess(namespace: lab.client, snmpd: snmpd)  // default ping interval: 5 s
        let tools = SNMPTools(target: snmpd.target)
        #expect(try Self.secondsUntilServed(tools, timeout: 5) < 1)
        for crash in [true, false] {
            snmpd.stop(crash: crash)
            // Part of the scenario: the master stays away for half a second, then comes back.
            elapse(0.5)
            try snmpd.start()
            let seconds = try Self.secondsUntilServed(tools, timeout: 15)
            #expect(seconds <= 5.5, "served again after \(seconds) s (crash: \(crash))")
            #expect(agent.daemon.isRunning)
        }
    }

    @Test("Started before snmpd: keeps retrying, warns once, attaches within the ping interval")
    func startsBeforeMaster() throws {
        try requireIntegration()
        let lab = try Lab(tag: "bm")
        defer { lab.shutdown() }
        let snmpd = try PrivateSNMPD(tag: "bm")
        defer { snmpd.shutdown() }
        snmpd.stop()
        let agent = try AgentProcess(namespace: lab.client, snmpd: snmpd, arguments: ["--ping-interval", "2"],
                                     waitForMaster: false)
        // The subject is time: over 2.75 ping intervals (three connection attempts) the agent
        // keeps running and warns once.
        elapse(5.5)
        #expect(agent.daemon.isRunning)
        let warnings = agent.log.split(separator: "\n").filter { $0.contains("Failed to connect to the agentx master") }
        #expect(warnings.count == 1, "\(agent.log)")
        try snmpd.start()
        let seconds = try Self.secondsUntilServed(SNMPTools(target: snmpd.target), timeout: 10)
        #expect(seconds <= 2.5, "attached after \(seconds) s")
    }

    /// At 10^5 connections a snapshot takes seconds (3.5 s for the synthetic agent of a debug
    /// build): longer than net-snmp's clients wait for an answer by default (1 s), and than
    /// snmpd waits for a subagent per try. Neither the first request after a start nor the
    /// first after an idle period may wait for one.
    @Test("100,000 connections: the first request after a start and after an idle period answer within 1 s")
    func slowSnapshotsDoNotDelayRequests() throws {
        try requireIntegration()
        let snmpd = try PrivateSNMPD(tag: "sl")
        defer { snmpd.shutdown() }
        let n = 100_000
        let agent = try Daemon([Paths.executable("mptcp-agentx"), "-f", "-C", TestRun.emptyAgentConfiguration,
                                "-x", "unix:" + snmpd.socketPath, "--log-level", "debug", "--cache-ttl", "1",
                                "--synthetic", "\(n)"], name: "agent-slow")
        defer { agent.stop() }
        try agent.waitForOutput("AgentX subagent connected", timeout: 120)
        let connections = MPTCPMIB.General.currentConnections.oid.dotted + ".0"
        let snapshotTime = MPTCPMIB.General.snapshotTime.oid.dotted + ".0"
        /// The connections, and sysUpTime and mptcpSnapshotTime from the same response.
        func timedGet() throws -> (String?, [UInt64], Double) {
            let start = MonotonicClock.now
            // net-snmp's default: 1 s, here without retries.
            let r = try Command.run(["snmpget", "-v2c", "-c", "public", "-On", "-Ot", "-t", "1", "-r", "0", snmpd.target,
                                     connections, "1.3.6.1.2.1.1.3.0", snapshotTime], timeout: 30, environment: ["MIBS": ""])
            let vbs = r.status == 0 ? SNMPTools.parse(r.stdout) : []
            return (vbs.first?.value, vbs.dropFirst().compactMap(\.number), MonotonicClock.now - start)
        }
        let (first, firstTimes, firstTime) = try timedGet()
        #expect(first == "\(n)", "first request after the start: \(firstTime) s")
        #expect(firstTimes.count == 2 && firstTimes[0] >= firstTimes[1], "sysUpTime, mptcpSnapshotTime: \(firstTimes)")
        func snapshotTimes() -> [Double] {
            (agent.errors + agent.output).split(separator: "\n").compactMap { line in
                line.firstRange(of: "subflows \(3 * n) in ").map { Double(line[$0.upperBound...].split(separator: " ")[0]) ?? 0 }
            }
        }
        // The view taken at the start is older than the TTL by now: that request started a refresh.
        try waitUntil("the refresh the first request started", timeout: 60) { snapshotTimes().count >= 2 }
        // The premise: a snapshot takes longer than a client waits.
        #expect(snapshotTimes().allSatisfy { $0 > 1 }, "snapshot times: \(snapshotTimes())")
        usleep(2_500_000)  // more than two TTLs without a request: the next one wants a fresh view
        let (idle, idleTimes, idleTime) = try timedGet()
        #expect(idle == "\(n)", "first request after 3 s idle: \(idleTime) s")
        #expect(idleTime >= 0.4, "the request waited for the refresh, bounded: \(idleTime) s")
        // Answered from the view older than cache-ttl (1 s), and mptcpSnapshotTime says so: its
        // dump began before the 2.5 s idle and the seconds that dump took.
        #expect(idleTimes.count == 2 && idleTimes[0] >= idleTimes[1] + 250, "sysUpTime, mptcpSnapshotTime: \(idleTimes)")
        // Once the refresh that request started is in, the data is from that dump.
        try waitUntil("the refresh after the idle period", timeout: 60) { snapshotTimes().count >= 3 }
        let (_, laterTimes, _) = try timedGet()
        #expect(laterTimes.count == 2 && idleTimes.count == 2 && laterTimes[1] >= idleTimes[1] + 250,
                "mptcpSnapshotTime \(idleTimes.last ?? 0) then \(laterTimes.last ?? 0)")
        #expect(agent.isRunning)
    }

    @Test("SIGTERM closes the AgentX session and exits within 1 s; SIGHUP reloads the configuration")
    func signals() throws {
        try requireIntegration()
        let lab = try Lab(tag: "sg")
        defer { lab.shutdown() }
        let snmpd = try PrivateSNMPD(tag: "sg")
        defer { snmpd.shutdown() }
        let config = snmpd.directory + "/mptcp-agentx.conf"
        try Command.check(["sh", "-c", "printf 'cache-ttl 1\\nlog-level info\\n' > \(config)"])
        let agent = try AgentProcess(namespace: lab.client, snmpd: snmpd, arguments: ["-C", config, "--log-level", "info"])
        let tools = SNMPTools(target: snmpd.target)
        #expect(try tools.get([Self.probe]).first?.type == "INTEGER")

        // Reload: a new TTL applies; a broken file is refused and the old configuration kept.
        try Command.check(["sh", "-c", "printf 'cache-ttl 0\\n' > \(config)"])
        kill(agent.daemon.pid, SIGHUP)
        try agent.daemon.waitForOutput("configuration reloaded", timeout: 5)
        #expect(agent.log.contains("cache-ttl=0.0"))
        try Command.check(["sh", "-c", "printf 'cache-ttl soon\\n' > \(config)"])
        kill(agent.daemon.pid, SIGHUP)
        try agent.daemon.waitForOutput("configuration not reloaded", timeout: 5)
        #expect(agent.log.contains("\(config):1: cache-ttl: 'soon' is not a number"))
        #expect(try tools.get([Self.probe]).first?.type == "INTEGER")

        // SIGTERM: gone within a second, and the master knows at once (no AgentX timeout).
        let start = MonotonicClock.now
        let status = agent.daemon.signal(SIGTERM, waitUpTo: 1)
        #expect(status == 0, "exit status \(String(describing: status)) after \(MonotonicClock.now - start) s")
        let after = try tools.get([Self.probe])
        #expect(after.first?.type == "noSuchObject")
    }

    @Test("Bad options and configuration files: a clear error and a non-zero exit")
    func badConfiguration() throws {
        let agentx = Paths.executable("mptcp-agentx")
        let dir = Paths.temporaryDirectory("cfg")
        defer { Paths.removeTree(dir) }
        try Command.check(["sh", "-c", "printf 'master unix:/x\\nbogus 1\\n' > \(dir)/bad.conf; printf 'log-level loud\\n' > \(dir)/level.conf"])
        let cases: [([String], String)] = [
            (["--bogus"], "Unknown option '--bogus'"),
            (["-f", "-C", "\(dir)/missing.conf"], "\(dir)/missing.conf: cannot read: No such file or directory"),
            (["-f", "-C", "\(dir)/bad.conf"], "\(dir)/bad.conf:2: bogus: unknown key"),
            (["-f", "-C", "\(dir)/level.conf"], "\(dir)/level.conf:1: log-level: 'loud' is not one of"),
            (["-f", "--cache-ttl=-1"], "--cache-ttl: '-1' is not a number of seconds"),
            (["-f", "--ping-interval", "x"], "--ping-interval: 'x' is not a whole number"),
            (["-f", "--log-target", "file"], "--log-target: 'file' is not stderr or syslog"),
            (["-f", "--notifications", "subflowClosed,everything"], "--notifications: 'everything' is not a notification"),
            (["-f", "--notification-rate", "0"], "--notification-rate: '0' is not a number of notifications per second in 1...10000"),
        ]
        for (args, message) in cases {
            // Never the host's configuration file: an empty one where the case names none.
            let configuration = args.contains("-C") ? [] : ["-C", TestRun.emptyAgentConfiguration]
            let r = try Command.run([agentx] + configuration + args, timeout: 10)
            #expect(r.status != 0, "\(args)")
            #expect((r.stderr + r.stdout).contains(message), "\(args): \(r.stderr)")
        }
    }
}

extension Lab {
    /// The number of connections `mptcp-traffic churn` reported when it stopped.
    func connectionsOpenedByChurn(_ churn: Daemon) -> Int {
        let words = churn.output.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard let i = words.firstIndex(of: "churned"), i + 1 < words.count else { return 0 }
        return Int(words[i + 1]) ?? 0
    }
}
