import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The event log and fallback detection against the real kernel, through a private snmpd,
/// compared with `ip mptcp monitor` and `nstat`.
@Suite("Diagnosis: event log, fallbacks", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct DiagnosisTests {
    typealias L = MPTCPMIB.EventLog
    typealias T = MPTCPMIB.EventLogTable
    typealias C = MPTCPMIB.ConnectionTable
    static let traffic = Paths.executable("mptcp-traffic")

    /// `ip mptcp monitor` in the client namespace, running once it has printed an event
    /// (a listener the call opens).
    static func startMonitor(_ lab: Lab) throws -> Daemon {
        let monitor = try lab.start(lab.client, ["ip", "mptcp", "monitor"], name: "monitor")
        try lab.start(lab.client, [traffic, "serve", "--listen", "0.0.0.0:6000"], name: "cli-listener").waitForOutput("listening")
        try waitUntil("ip mptcp monitor to print the listener's event", timeout: 10) {
            MonitorParser.events(monitor.output).contains { $0.kind == 15 }
        }
        return monitor
    }

    /// The log as a walk reads it: index -> (column sub-id -> value).
    static func logRows(_ tools: SNMPTools) throws -> [UInt32: [UInt32: PrintedVarBind]] {
        var rows: [UInt32: [UInt32: PrintedVarBind]] = [:]
        for vb in try tools.bulkWalk(T.table.entryOID.dotted) {
            let column = vb.oid[T.table.entryOID.count], index = vb.oid[T.table.entryOID.count + 1]
            rows[index, default: [:]][column] = vb
        }
        return rows
    }

    static func scalar(_ tools: SNMPTools, _ object: MIBObject) throws -> UInt64 {
        try #require(try lastIndex(tools, object))
    }

    /// A scalar's value; nil while the agent does not answer (waits poll with it).
    static func lastIndex(_ tools: SNMPTools, _ object: MIBObject = L.lastIndex) throws -> UInt64? {
        try tools.get([object.oid.dotted + ".0"]).first?.number
    }

    /// Entries after `last`, read as an NMS does: GETNEXT from its last index, column
    /// mptcpEventLogKind, until the column ends.
    static func entries(after last: UInt32, _ tools: SNMPTools) throws -> [(index: UInt32, kind: Int32)] {
        var out: [(UInt32, Int32)] = []
        var at = T.kind.oid + [last]
        while let vb = try tools.getNext([at.dotted]).first, vb.oid.count == T.kind.oid.count + 1,
              Array(vb.oid.dropLast()) == T.kind.oid {
            out.append((vb.oid.last!, Int32(try #require(vb.number.map { Int64(bitPattern: $0) }))))
            at = vb.oid
        }
        return out
    }

    @Test("The log holds what ip mptcp monitor saw, wraps with exact drops, and a poller misses nothing across an snmpd restart")
    func eventLog() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "el", traffic: false, agentArguments: ["--cache-ttl", "0", "--ping-interval", "1"])
        defer { s.shutdown() }
        let monitor = try Self.startMonitor(s.lab)
        try s.lab.startServers()
        try s.lab.connect(v4: 2, v6: 0)
        var seen: [MonitorEvent] = []
        try waitUntil("the log to hold every event ip mptcp monitor printed", timeout: 10, detail: { "\(seen.count) events" }) {
            seen = MonitorParser.events(monitor.output)
            return try Self.lastIndex(s.tools) == UInt64(seen.count)
        }
        // Entry n is the n-th event: same kind, token, addresses and ports, ids.
        let rows = try Self.logRows(s.tools)
        #expect(rows.keys.sorted() == Array(1...UInt32(seen.count)))
        for (n, event) in seen.enumerated() {
            let row = try #require(rows[UInt32(n + 1)])
            #expect(row[3]?.number == UInt64(event.kind), "entry \(n + 1): \(row) vs \(event)")
            // iproute2 6.1 prints the listener events it does not know without their fields.
            guard !event.fields.isEmpty else { continue }
            #expect(row[4]?.number == event.token.map(UInt64.init), "entry \(n + 1) token")
            if let local = event.localAddress { #expect(row[6]?.octets == ExpectedMIB.address(local)) }
            if let remote = event.remoteAddress { #expect(row[9]?.octets == ExpectedMIB.address(remote)) }
            #expect(row[7]?.value == event.fields["sport"], "entry \(n + 1) local port")
            #expect(row[10]?.value == event.fields["dport"], "entry \(n + 1) remote port")
            #expect(row[11]?.value == event.fields["locid"] && row[12]?.value == event.fields["remid"], "entry \(n + 1) ids")
            #expect(row[13]?.value == event.fields["backup"].map { $0 == "1" ? "1" : "2" }, "entry \(n + 1) backup")
        }
        #expect(try Self.scalar(s.tools, L.dropped) == 0)
        #expect(try Self.scalar(s.tools, L.size) == 1000)

        // A smaller log keeps the newest and counts every entry it let go.
        #expect(Self.succeeded(try s.v3.set([(L.size.oid.dotted + ".0", "u", "3")])))
        #expect(try Self.scalar(s.tools, L.size) == 3)
        let before = try #require(try s.tools.get(["1.3.6.1.2.1.1.3.0"]).first?.number)  // sysUpTime.0
        try s.lab.connect(v4: 1, v6: 0)
        try waitUntil("the log to follow the new connection", timeout: 10, detail: { "\(seen.count) events" }) {
            seen = MonitorParser.events(monitor.output)
            return try Self.lastIndex(s.tools) == UInt64(seen.count)
        }
        let total = UInt32(seen.count)
        let newest = try Self.logRows(s.tools)
        #expect(newest.keys.sorted() == [total - 2, total - 1, total])
        // Stamped when they happened, by snmpd's sysUpTime: after it was read before the
        // connection (within the 2 ticks the agent's uptime anchor may be off by).
        let now = try #require(try s.tools.get(["1.3.6.1.2.1.1.3.0"]).first?.number)
        for (index, row) in newest {
            let time = try #require(row[2]?.number, "entry \(index): mptcpEventLogTime")
            #expect(time + 2 >= before && time <= now + 2, "entry \(index): mptcpEventLogTime \(time), sysUpTime \(before) to \(now)")
        }
        #expect(try Self.scalar(s.tools, L.dropped) == UInt64(total - 3))
        // Out of range: refused, the log unchanged.
        #expect(try s.v3.set([(L.size.oid.dotted + ".0", "u", "100001")]) == .error(status: "wrongValue", failed: L.size.oid + [0]))
        #expect(try Self.scalar(s.tools, L.size) == 3)

        // An NMS polls "after the last index I read"; snmpd restarts while events happen.
        #expect(Self.succeeded(try s.v3.set([(L.size.oid.dotted + ".0", "u", "1000")])))
        let lastRead = try Self.entries(after: 0, s.tools).last?.index ?? 0
        #expect(lastRead == total)
        // The log started after snmpd (its sysUpTime then); after a restart that time is 0.
        #expect(try Self.scalar(s.tools, L.discontinuityTime) > 0)
        s.snmpd.stop()
        try s.lab.connect(v4: 1, v6: 0)  // events while nobody can ask
        try s.snmpd.start()
        try waitUntil("the agent to serve again and log the new connection", timeout: 15) {
            seen = MonitorParser.events(monitor.output)
            return (try? Self.lastIndex(s.tools)) == UInt64(seen.count)
        }
        let read = try Self.entries(after: lastRead, s.tools)
        #expect(read.map(\.index) == Array(lastRead + 1...UInt32(seen.count)))
        #expect(read.map(\.kind) == seen[Int(lastRead)...].map(\.kind))
        #expect(try Self.scalar(s.tools, L.discontinuityTime) == 0)
    }

    /// The agent's fallback watch has taken its first reading: what falls back from now on is seen falling back.
    static func watching(_ s: AgentLab) throws {
        try s.agent.daemon.waitForOutput("fallback watch: counters and connections read", timeout: 10)
    }

    static func succeeded(_ outcome: SNMPTools.SetOutcome) -> Bool {
        if case .set = outcome { return true }
        return false
    }

    /// The MPTcpExt counters of the client namespace.
    static func counters(_ lab: Lab) throws -> [String: UInt64] {
        NstatParser.counters(try lab.exec(lab.client, ["nstat", "-azs"]))
    }

    /// The BITS value, as snmptrapd and snmpget print it, of the fallback counters that
    /// rose from `before` to `after`.
    static func causes(from before: [String: UInt64], to after: [String: UInt64]) -> [UInt8] {
        let rose = FallbackCauses.counters.enumerated().filter { (after[$0.element] ?? 0) > (before[$0.element] ?? 0) }
        guard case .octets(let bytes) = SNMPValue.bits(rose.map(\.offset), length: C.fallbackCauses.syntax.bitsLength) else { return [] }
        return bytes
    }

    @Test("A handshake fallback is notified within two seconds with the counters nstat saw rise, shown in the column and logged")
    func handshakeFallback() throws {
        try requireIntegration()
        let trapd = try PrivateSNMPTrapd(tag: "hf")
        defer { trapd.shutdown() }
        let s = try AgentLab(tag: "hf", traffic: false, agentArguments: ["--notifications", "connectionFallback", "--cache-ttl", "0"],
                             snmpdConfiguration: "trap2sink \(trapd.target) public")
        defer { s.shutdown() }
        try s.lab.startServers()
        try Self.watching(s)
        let before = try Self.counters(s.lab)
        let started = MonotonicClock.now
        try s.lab.start(s.lab.client, [Self.traffic, "connect", "--to", "10.201.1.2:5002", "--count", "1"], name: "to-tcp")
            .waitForOutput("connected 1 failed 0")
        let all = try trapd.wait(for: "mptcpConnectionFallback") { $0.contains { $0.trapOID == MPTCPMIB.Notifications.connectionFallback.oid } }
        let seconds = MonotonicClock.now - started
        #expect(seconds < 2.5, "notified after \(seconds) s")
        let after = try Self.counters(s.lab)
        let expected = Self.causes(from: before, to: after)
        #expect(expected != [0, 0], "no fallback counter rose: \(before) -> \(after)")
        let connection = try #require(SSParser.sockets(try s.lab.exec(s.lab.client, ["ss", "-Mni"])).first)
        let token = UInt32(try #require(connection.hex("token")))
        let n = try #require(all.first { $0.trapOID == MPTCPMIB.Notifications.connectionFallback.oid })
        #expect(n.value(C.fallbackCauses.oid + [token])?.octets == expected, "\(n)")
        #expect(n.value(C.remotePort.oid + [token])?.value == "5002")
        #expect(n.value(C.localPort.oid + [token])?.value == "\(connection.localPort)")
        // The column says the same; the log has the entry.
        #expect(try s.tools.get([C.fallbackCauses.oid.dotted + ".\(token)"]).first?.octets == expected)
        let rows = try Self.logRows(s.tools)
        let entry = try #require(rows.values.first { $0[3]?.number == 100 })
        #expect(entry[4]?.number == UInt64(token) && entry[16]?.octets == expected)
    }

    @Test("The fallback watch runs only while its notifications are enabled")
    func watchOnlyWhenEnabled() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "fw", traffic: false)
        defer { s.shutdown() }
        func threads() throws -> Int { try FileIO.entries(of: "/proc/\(s.agent.daemon.pid)/task").count }
        // The agent process: `ip netns exec` execs it, so the daemon's pid is the agent's.
        let base = try threads()
        let enabled = MPTCPMIB.NotificationControl.enabled
        let on = SNMPValue.bits([MPTCPMIB.Notifications.Kind.connectionFallback.rawValue], length: enabled.syntax.bitsLength)
        guard case .octets(let bytes) = on else { return }
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(Self.succeeded(try s.v3.set([(enabled.oid.dotted + ".0", "x", hex)])))
        try waitUntil("the watch thread to start", timeout: 5) { try threads() == base + 1 }
        #expect(Self.succeeded(try s.v3.set([(enabled.oid.dotted + ".0", "x", "0000")])))
        try waitUntil("the watch thread to stop", timeout: 5) { try threads() == base }
    }

    /// A connection opened by `connect` (arguments after the server), once the agent sees it.
    struct Opened {
        let token: UInt32
        let client: Daemon
    }

    /// Opens one connection from the client to `target` and returns its token (the one
    /// `ss -Mni` did not list before).
    static func open(_ lab: Lab, to target: String, _ arguments: [String] = [], name: String) throws -> Opened {
        let before = Set(try SSParser.sockets(try lab.exec(lab.client, ["ss", "-Mni"])).compactMap { $0.hex("token") })
        let client = try lab.start(lab.client, [traffic, "connect", "--to", target, "--count", "1"] + arguments, name: name)
        try client.waitForOutput("connected 1 failed 0")
        var token: UInt64?
        try waitUntil("\(name): the new connection in ss -M", timeout: 10) {
            token = try SSParser.sockets(try lab.exec(lab.client, ["ss", "-Mni"])).compactMap { $0.hex("token") }
                .first { !before.contains($0) }
            return token != nil
        }
        return Opened(token: UInt32(token!), client: client)
    }

    /// Waits until the agent reports `expected` for the connection (joins and announcements
    /// take a round trip or two).
    static func expectFactor(_ s: AgentLab, _ token: UInt32, _ expected: LimitingFactor, _ scenario: String) throws {
        let oid = C.limitingFactor.oid.dotted + ".\(token)"
        var last = ""
        try waitUntil("\(scenario): mptcpConnectionLimitingFactor \(expected)", timeout: 15, detail: {
            "last \(last); ss: \((try? s.lab.exec(s.lab.client, ["ss", "-Mni"])) ?? "")"
        }) {
            last = try s.tools.get([oid]).first?.value ?? "none"
            return last == "\(expected.rawValue)"
        }
    }

    /// Opens a connection, expects its limiting factor, closes it.
    static func scenario(_ s: AgentLab, _ expected: LimitingFactor, _ what: String, to target: String = "10.201.1.2:5000",
                         arguments: [String] = []) throws {
        let c = try open(s.lab, to: target, arguments, name: what.split(separator: " ").joined(separator: "-"))
        try expectFactor(s, c.token, expected, what)
        c.client.stop()
    }

    func client(_ s: AgentLab, _ argv: [String]) throws { try s.lab.exec(s.lab.client, argv) }
    func server(_ s: AgentLab, _ argv: [String]) throws { try s.lab.exec(s.lab.server, argv) }

    @Test("Each limiting factor with a real connection in that state")
    func limitingFactors() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "lf", traffic: false, agentArguments: ["--cache-ttl", "0"])
        defer { s.shutdown() }
        try s.lab.startServers()
        // The lab: the server announces 10.201.2.2 and fd00:201:2::2, the client has one
        // subflow endpoint (10.201.3.1) and limits 8/8. Both joins happen; the v6
        // announcement cannot serve a v4 connection: more needs another local endpoint.
        try Self.scenario(s, .noLocalEndpoint, "the lab as it is")

        try client(s, ["ip", "mptcp", "limits", "set", "subflows", "1", "add_addr_accepted", "8"])
        try Self.scenario(s, .subflowLimit, "subflows limit 1")

        try client(s, ["ip", "mptcp", "limits", "set", "subflows", "8", "add_addr_accepted", "0"])
        try Self.scenario(s, .addAddrAcceptedLimit, "add_addr_accepted 0")
        try client(s, ["ip", "mptcp", "limits", "set", "subflows", "8", "add_addr_accepted", "8"])

        try server(s, ["ip", "mptcp", "endpoint", "flush"])
        try Self.scenario(s, .noPeerAddress, "the server announces nothing")
        try server(s, ["ip", "mptcp", "endpoint", "add", "10.201.2.2", "dev", s.lab.prefix + "s2", "signal"])

        try Self.scenario(s, .fallback, "a plain TCP server", to: "10.201.1.2:5002")

        try client(s, ["sysctl", "-q", "-w", "net.mptcp.pm_type=1"])
        try Self.scenario(s, .userspacePathManager, "pm_type 1")
        try client(s, ["sysctl", "-q", "-w", "net.mptcp.pm_type=0"])

        // The server refuses every MP_JOIN with a reset: the joins close with ECONNREFUSED.
        try server(s, ["nft", "add table inet lf; add chain inet lf c { type filter hook input priority 0; };"
                       + " add rule inet lf c tcp option mptcp subtype 1 reject with tcp reset"])
        try Self.scenario(s, .joinFailed, "joins refused")
        // The server drops them: the joins wait in SYN-SENT (for minutes), more are on their way.
        try server(s, ["nft", "flush chain inet lf c; add rule inet lf c tcp option mptcp subtype 1 drop"])
        try Self.scenario(s, .none, "joins pending")
        try server(s, ["nft", "delete table inet lf"])

        // The client half-closes to a server that is stopped: FIN-WAIT-2 for as long as it stays so.
        let stopped = try s.lab.start(s.lab.server, [Self.traffic, "serve", "--listen", "0.0.0.0:5003"], name: "stopped")
        try stopped.waitForOutput("listening")
        _ = stopped.signal(SIGSTOP, waitUpTo: 0)
        defer { _ = stopped.signal(SIGCONT, waitUpTo: 0) }
        try Self.scenario(s, .closing, "half-closed", to: "10.201.1.2:5003", arguments: ["--shutdown-write"])
    }

    @Test("A middlebox stripping the DSS option makes an established connection fall back: notified with the counter nstat saw rise")
    func middleboxFallback() throws {
        try requireIntegration()
        let trapd = try PrivateSNMPTrapd(tag: "mb")
        defer { trapd.shutdown() }
        let s = try AgentLab(tag: "mb", traffic: false, agentArguments: ["--notifications", "connectionFallback", "--cache-ttl", "0"],
                             snmpdConfiguration: "trap2sink \(trapd.target) public")
        defer { s.shutdown() }
        try s.lab.startServers()
        // One subflow: with several, the receiver resets the subflows instead of falling back.
        try client(s, ["ip", "mptcp", "limits", "set", "subflows", "0", "add_addr_accepted", "0"])
        try Self.watching(s)
        let c = try Self.open(s.lab, to: "10.201.1.2:5000", ["--every-ms", "100"], name: "steady")
        try Self.expectFactor(s, c.token, .subflowLimit, "one subflow, limit 0")
        let before = try Self.counters(s.lab)
        try server(s, ["nft", "add table inet mb; add chain inet mb c { type filter hook prerouting priority -300; };"
                       + " add rule inet mb c tcp flags & syn == 0 tcp option mptcp exists reset tcp option mptcp"])
        let all = try trapd.wait(for: "mptcpConnectionFallback") { $0.contains { $0.trapOID == MPTCPMIB.Notifications.connectionFallback.oid } }
        let after = try Self.counters(s.lab)
        let expected = Self.causes(from: before, to: after)
        #expect((after["DssFallback"] ?? 0) > (before["DssFallback"] ?? 0), "\(before) -> \(after)")
        let n = try #require(all.first { $0.trapOID == MPTCPMIB.Notifications.connectionFallback.oid })
        #expect(n.value(C.fallbackCauses.oid + [c.token])?.octets == expected, "\(n)")
        let flags = try #require(SSParser.sockets(try s.lab.exec(s.lab.client, ["ss", "-Mni"])).first { $0.hex("token") == UInt64(c.token) })
        #expect(flags.words.contains("fallback"), "\(flags)")
        try Self.expectFactor(s, c.token, .fallback, "after the fallback")
    }

    @Test("Blackhole detection: notified once with the kernel's counters and timeout; the connection that triggered it is a fallback")
    func blackhole() throws {
        try requireIntegration()
        let trapd = try PrivateSNMPTrapd(tag: "bh")
        defer { trapd.shutdown() }
        let s = try AgentLab(tag: "bh", traffic: false,
                             agentArguments: ["--notifications", "connectionFallback,blackholeDetected", "--cache-ttl", "0"],
                             snmpdConfiguration: "trap2sink \(trapd.target) public")
        defer { s.shutdown() }
        try s.lab.startServers()
        // A quick trigger: MP_CAPABLE given up after the first lost SYN; a short, known timeout
        // (writing it also clears earlier detections).
        try client(s, ["sysctl", "-q", "-w", "net.mptcp.syn_retrans_before_tcp_fallback=0", "net.mptcp.blackhole_timeout=10"])
        try server(s, ["nft", "add table inet bh; add chain inet bh c { type filter hook input priority 0; };"
                       + " add rule inet bh c tcp flags syn tcp option mptcp exists drop"])
        try Self.watching(s)
        let before = try Self.counters(s.lab)
        let c = try Self.open(s.lab, to: "10.201.1.2:5000", name: "trigger")
        let all = try trapd.wait(timeout: 15, for: "mptcpBlackholeDetected and mptcpConnectionFallback") { received in
            received.contains { $0.trapOID == MPTCPMIB.Notifications.blackholeDetected.oid }
                && received.contains { $0.trapOID == MPTCPMIB.Notifications.connectionFallback.oid }
        }
        let after = try Self.counters(s.lab)
        #expect((after["Blackhole"] ?? 0) == (before["Blackhole"] ?? 0) + 1, "\(before) -> \(after)")
        let detected = try #require(all.first { $0.trapOID == MPTCPMIB.Notifications.blackholeDetected.oid })
        let stats = MPTCPMIB.Stats.self
        #expect(detected.value(stats.object(kernelName: "Blackhole")!.oid + [0])?.number == after["Blackhole"], "\(detected)")
        #expect(detected.value(MPTCPMIB.General.blackholeTimeout.oid + [0])?.value == "10")
        let fallback = try #require(all.first { $0.trapOID == MPTCPMIB.Notifications.connectionFallback.oid })
        #expect(fallback.value(C.fallbackCauses.oid + [c.token])?.octets == Self.causes(from: before, to: after), "\(fallback)")
        // While MPTCP is off, connections are plain TCP from the start: counted, not detected again.
        let disabled = try #require(stats.object(kernelName: "MPCapableSYNTXDisabled"))
        let plain = try s.lab.start(s.lab.client, [Self.traffic, "connect", "--to", "10.201.1.2:5000", "--count", "1"], name: "plain")
        try plain.waitForOutput("connected 1 failed 0")
        let seen = try Self.scalar(s.tools, disabled)
        #expect(seen == (after["MPCapableSYNTXDisabled"] ?? 0) + 1)
        let detections = try Self.logRows(s.tools).values.filter { $0[3]?.number == 101 }
        #expect(detections.count == 1)
        #expect(trapd.received().filter { $0.trapOID == MPTCPMIB.Notifications.blackholeDetected.oid }.count == 1)
        let diagnosis = try Self.diagnose(s)
        #expect(diagnosis.status == 1 && diagnosis.stdout.contains("blackhole detection: 1 detection, timeout 10 s")
                && diagnosis.stdout.contains("problem: blackhole detection switched MPTCP off 1 time"), "\(diagnosis.stdout)")
        try client(s, ["sysctl", "-q", "-w", "net.mptcp.blackhole_timeout=3600", "net.mptcp.syn_retrans_before_tcp_fallback=2"])
    }

    /// `mptcp-mib diagnose` against the lab's agent.
    static func diagnose(_ s: AgentLab, _ args: [String] = []) throws -> CommandResult {
        try CLITests.cli(["diagnose"], CLITests.v2c(s), args)
    }

    @Test("mptcp-mib diagnose names each problem with its fix and exits 1; events prints and follows the log")
    func diagnoseAndEvents() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "dg", traffic: false, agentArguments: ["--cache-ttl", "0"])
        defer { s.shutdown() }
        try s.lab.startServers()
        let healthy = try Self.open(s.lab, to: "10.201.1.2:5000", name: "healthy")
        try Self.expectFactor(s, healthy.token, .noLocalEndpoint, "the lab as it is")
        var r = try Self.diagnose(s)
        #expect(r.status == 0 && !r.stdout.contains("problem:"), "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("MPTCP enabled, path manager kernel, limits: subflows 8, add_addr_accepted 8"), "\(r.stdout)")
        #expect(r.stdout.contains("note: 1 connection(s) limited by noLocalEndpoint"), "\(r.stdout)")
        #expect(r.stdout.contains("blackhole detection: 0 detections, timeout \(try s.sysctl("blackhole_timeout")) s"), "\(r.stdout)")
        #expect(r.stdout.contains("fix: mptcp-mib endpoint add \(s.snmpd.target) ADDRESS subflow"), "\(r.stdout)")

        // Each problem on its own, then put right.
        let problems: [(setup: [String], problem: String, fix: String, undo: [String])] = [
            (["sysctl", "-q", "-w", "net.mptcp.enabled=0"], "MPTCP is disabled", "sysctl -w net.mptcp.enabled=1",
             ["sysctl", "-q", "-w", "net.mptcp.enabled=1"]),
            (["ip", "mptcp", "limits", "set", "subflows", "0", "add_addr_accepted", "8"], "subflow limit 0",
             "ip mptcp limits set subflows 2", ["ip", "mptcp", "limits", "set", "subflows", "8", "add_addr_accepted", "8"]),
            (["ip", "mptcp", "endpoint", "add", "10.99.99.99", "id", "9", "subflow"],
             "endpoint 9 (10.99.99.99) is not an address of any interface", "ip mptcp endpoint delete id 9",
             ["ip", "mptcp", "endpoint", "delete", "id", "9"]),
        ]
        for p in problems {
            try client(s, p.setup)
            r = try Self.diagnose(s)
            #expect(r.status == 1 && r.stdout.contains("problem: " + p.problem) && r.stdout.contains("fix: " + p.fix),
                    "\(p.problem): \(r.stdout)\(r.stderr)")
            try client(s, p.undo)
        }
        #expect(try Self.diagnose(s).status == 0)

        // A fallback: a problem, attributed; with its token, the connection and its log entries.
        let tcp = try Self.open(s.lab, to: "10.201.1.2:5002", name: "fallback")
        r = try Self.diagnose(s)
        #expect(r.status == 1 && r.stdout.contains("problem: 1 connection fell back to TCP, attributed to: mpCapableFallbackSynAck (1)"),
                "\(r.stdout)")
        let hex = String(tcp.token, radix: 16)
        r = try Self.diagnose(s, [hex])
        #expect(r.status == 1 && r.stdout.contains("connection \(ValueText.format(.unsigned(tcp.token), C.token.syntax))"), "\(r.stdout)")
        #expect(r.stdout.contains("limited by fallback") && r.stdout.contains("connectionFallback token="), "\(r.stdout)")
        r = try Self.diagnose(s, ["--json"])
        let report = try #require(try CLITests.json(r) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        #expect(findings.contains { ($0["problem"] as? Bool) == true && ($0["text"] as? String)?.contains("fell back") == true })
        #expect(try Self.diagnose(s, ["ffffffff"]).status == 2)  // no such connection

        // events: what the log holds, in order; --json one object per entry; --follow sees new ones.
        let all = try CLITests.cli(["events"], CLITests.v2c(s))
        let lines = all.stdout.split(separator: "\n")
        let lastIndex = try Self.scalar(s.tools, L.lastIndex)
        #expect(all.status == 0 && lines.count == Int(lastIndex) && lines.last?.hasPrefix("\(lastIndex) ") == true, "\(all.stdout)")
        #expect(lines.contains { $0.contains(" connectionFallback token=") && $0.contains(":5002 causes=mpCapableFallbackSynAck") })
        let json = try CLITests.cli(["events"], CLITests.v2c(s) + ["--json", "--after", "\(lastIndex - 1)"])
        let entry = try #require(try CLITests.json(json) as? [String: Any])
        #expect(entry["index"] as? Int == Int(lastIndex), "\(json.stdout)")
        let follow = try Daemon([CLITests.binary, "events", "--follow", "--interval", "0.2", "--after", "\(lastIndex)"] + CLITests.v2c(s),
                                name: "events-follow")
        defer { follow.stop() }
        let more = try Self.open(s.lab, to: "10.201.1.2:5000", name: "more")
        try follow.waitForOutput("connectionEstablished token=\(ValueText.format(.unsigned(more.token), C.token.syntax))", timeout: 10)
        let printed = follow.output.split(separator: "\n").compactMap { $0.split(separator: " ").first.flatMap { UInt64($0) } }
        #expect(!printed.isEmpty && printed.allSatisfy { $0 > lastIndex }, "printed an entry it was told to skip: \(follow.output)")
    }
}
