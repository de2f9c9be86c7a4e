import Platform
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `mptcp-mib check` as a monitoring plugin: run by hand against the lab, and run by a real
/// Nagios 4 core (Debian's nagios4-core) whose recorded state must follow the host.
@Suite("mptcp-mib check under Nagios", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct MonitoringPluginIntegrationTests {
    static let binary = Paths.executable("mptcp-mib")

    static func check(_ s: AgentLab, _ args: [String]) throws -> CommandResult {
        try Command.run([binary, "check", "-v2c", "-C", "public", s.snmpd.target] + args, timeout: 60)
    }

    /// The performance data of a status line, by label.
    static func perfdata(_ line: String) -> [String: String] {
        guard let bar = line.firstIndex(of: "|") else { return [:] }
        var out: [String: String] = [:]
        for item in line[line.index(after: bar)...].split(whereSeparator: \.isWhitespace) {
            let parts = item.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { out[String(parts[0].filter { $0 != "'" })] = String(parts[1]) }
        }
        return out
    }

    @Test("Exit codes, the status line and performance data follow the host; bad input and no agent are UNKNOWN")
    func plugin() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "np", v4: 6, v6: 0)
        defer { s.shutdown() }
        let dir = Paths.temporaryDirectory("np")
        defer { Paths.removeTree(dir) }
        let state = ["--state-file", dir + "/state"]
        // The lab: 6 MPTCP connections and 1 that fell back, 1 in 7: 14.3 %.
        var r = try Self.check(s, ["--fallback"])
        #expect(r.status == 1 && r.stdout.hasPrefix("MPTCP WARNING - 14.3% of 7 connections fell back to TCP |"), "\(r.stdout)")
        #expect(Self.perfdata(r.stdout) == ["fallback": "14.286%;10;25;0;100", "connections": "7;;;0"], "\(r.stdout)")
        r = try Self.check(s, ["--fallback", "-w", "20", "-c", "30"])
        #expect(r.status == 0 && r.stdout.hasPrefix("MPTCP OK - "), "\(r.stdout)")
        r = try Self.check(s, ["--fallback", "-w", "5", "-c", "10"])
        #expect(r.status == 2 && r.stdout.hasPrefix("MPTCP CRITICAL - "), "\(r.stdout)")
        // Every connection has 3 subflows but the fallback's 1.
        r = try Self.check(s, ["--subflows", "3"])
        #expect(r.status == 1 && r.stdout.contains("1 connections with fewer than 3 subflows"), "\(r.stdout)")
        // Errors: the first run keeps a sample, the second has a rate (nothing failed here).
        r = try Self.check(s, ["--errors"] + state)
        #expect(r.status == 0 && r.stdout.contains("error rates from the next run on"), "\(r.stdout)")
        r = try Self.check(s, ["--errors"] + state)
        #expect(r.status == 0 && r.stdout.contains("no MPTCP errors") && Self.perfdata(r.stdout)["errors"] == "0;0;;0", "\(r.stdout)")
        // The agent restarts: its counters start over, and so does the rate.
        s.agent.stop()
        let again = try AgentProcess(namespace: s.lab.client, snmpd: s.snmpd, arguments: [])
        defer { again.stop() }
        r = try Self.check(s, ["--errors"] + state)
        #expect(r.status == 0 && r.stdout.contains("counters started over"), "\(r.stdout)")
        // No check named: the host as a whole.
        r = try Self.check(s, ["-w", "20"] + state)
        #expect(r.status == 0, "\(r.stdout)")
        #expect(Set(Self.perfdata(r.stdout).keys) == ["fallback", "connections", "paths_down", "errors", "blackholes"], "\(r.stdout)")
        // UNKNOWN, never OK: a bad range, an agent that does not answer.
        r = try Self.check(s, ["-w", "20:10"])
        #expect(r.status == 3 && r.stdout.hasPrefix("MPTCP UNKNOWN - -w: "), "\(r.stdout)")
        r = try Command.run([Self.binary, "check", "-v2c", "-C", "public", "-t", "0.3", "-r", "0", "127.0.0.1:9"])
        #expect(r.status == 3 && r.stdout.hasPrefix("MPTCP UNKNOWN - "), "\(r.stdout)")
        // --timeout: the whole plugin, whatever hangs (here net-snmp's 5 s per request).
        r = try Command.run([Self.binary, "check", "-v2c", "-C", "public", "-t", "5", "-r", "0", "127.0.0.1:9", "--timeout", "1"])
        #expect(r.status == 3 && r.stdout.contains("no result within 1 s"), "\(r.stdout)")
    }

    @Test("A Nagios 4 core running the check records OK, then WARNING and CRITICAL as paths break")
    func nagios() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ng", v4: 6, v6: 0)
        defer { s.shutdown() }
        // contrib/nagios/mptcp-mib.cfg's command, the built binary in place of the installed one.
        let core = try NagiosCore(address: s.snmpd.target, binary: Self.binary,
                                  checkCommand: "check_mptcp!public!--paths --paths-warning 0 --paths-critical 1")
        defer { core.stop() }
        func expectState(_ state: Int, paths down: Int, _ what: String) throws {
            var status = try core.serviceStatus(what)
            // A check that ran right after the change may have read the agent's snapshot from
            // before it (up to two cache-ttl old while polled): a later one sees it.
            let deadline = MonotonicClock.now + 20
            while status["current_state"] != "\(state)" && MonotonicClock.now < deadline { status = try core.serviceStatus(what) }
            #expect(status["current_state"] == "\(state)", "\(what): \(status)")
            #expect(Self.perfdata("|" + (status["performance_data"] ?? ""))["paths_down"] == "\(down);0;1;0", "\(what): \(status)")
        }
        try expectState(0, paths: 0, "every path up")
        // The backup path: its subflows killed, its endpoint stays, the kernel makes no new ones.
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", "10.201.3.1"])
        try expectState(1, paths: 1, "one path down")
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", "10.201.2.1"])
        try expectState(2, paths: 2, "two paths down")
        #expect(try core.serviceStatus("the paths down")["plugin_output"]?.contains("no established subflow on 10.201.2.1 10.201.3.1") == true)
    }
}

/// A private Nagios 4 core (Debian's nagios4-core) with contrib/nagios/mptcp-mib.cfg, one
/// host at `address` and one service running `checkCommand` every second, its state read
/// from status.dat.
final class NagiosCore {
    let directory: String
    private let daemon: Daemon

    init(address: String, binary: String, checkCommand: String) throws {
        directory = Paths.temporaryDirectory("nagios")
        let d = directory
        let shipped = try FileIO.readText(Paths.packageRoot + "/contrib/nagios/mptcp-mib.cfg")
        #expect(shipped.contains("/usr/bin/mptcp-mib check "))
        try FileIO.write(d + "/mptcp-mib.cfg", shipped.replacing("/usr/bin/mptcp-mib", with: binary), createMode: 0o644)
        try FileIO.write(d + "/objects.cfg", """
            define timeperiod {
                timeperiod_name 24x7
                alias always
                sunday 00:00-24:00
                monday 00:00-24:00
                tuesday 00:00-24:00
                wednesday 00:00-24:00
                thursday 00:00-24:00
                friday 00:00-24:00
                saturday 00:00-24:00
            }
            define command {
                command_name host_up
                command_line /bin/true
            }
            define contact {
                contact_name nobody
                host_notifications_enabled 0
                service_notifications_enabled 0
                host_notification_period 24x7
                service_notification_period 24x7
                host_notification_options n
                service_notification_options n
                host_notification_commands host_up
                service_notification_commands host_up
            }
            define host {
                host_name mptcp-host
                address \(address)
                check_command host_up
                max_check_attempts 1
                check_period 24x7
                contacts nobody
                notification_period 24x7
            }
            define service {
                host_name mptcp-host
                service_description MPTCP
                check_command \(checkCommand) --state-file \(d)/check.state
                max_check_attempts 1
                check_interval 1
                retry_interval 1
                check_period 24x7
                contacts nobody
                notification_period 24x7
            }

            """, createMode: 0o644)
        try FileIO.write(d + "/nagios.cfg", """
            log_file=\(d)/nagios.log
            cfg_file=\(d)/mptcp-mib.cfg
            cfg_file=\(d)/objects.cfg
            object_cache_file=\(d)/objects.cache
            precached_object_file=\(d)/objects.precache
            status_file=\(d)/status.dat
            status_update_interval=1
            temp_file=\(d)/nagios.tmp
            temp_path=\(d)
            lock_file=\(d)/nagios.lock
            check_result_path=\(d)
            query_socket=\(d)/nagios.qh
            state_retention_file=\(d)/retention.dat
            retain_state_information=0
            nagios_user=root
            nagios_group=root
            interval_length=1
            max_service_check_spread=1
            max_host_check_spread=1
            service_inter_check_delay_method=n
            host_inter_check_delay_method=n
            enable_notifications=0
            use_syslog=0
            log_rotation_method=n
            check_external_commands=0
            illegal_macro_output_chars=`~$&|"<>

            """, createMode: 0o644)
        let verify = try Command.run(["nagios4", "-v", d + "/nagios.cfg"])
        guard verify.status == 0 else { throw CommandError(description: "nagios4 -v: \(verify.stdout)\(verify.stderr)") }
        daemon = try Daemon(["nagios4", d + "/nagios.cfg"], name: "nagios4")
    }

    /// The service's status.dat entry from the first check that started after now (the
    /// check runs every second; last_check is when it started, in wall-clock seconds).
    func serviceStatus(_ what: String, timeout: Double = 30) throws -> [String: String] {
        let now = Int(Glibc.time(nil))
        var entry: [String: String] = [:]
        try waitUntil("nagios to record \(what)", timeout: timeout, interval: 0.25, detail: { "\(entry)" }) {
            entry = Self.service(in: (try? FileIO.readText(directory + "/status.dat")) ?? "")
            return Int(entry["last_check"] ?? "0").map { $0 > now } ?? false
        }
        return entry
    }

    /// The servicestatus block of status.dat, as key=value pairs.
    static func service(in status: String) -> [String: String] {
        guard let start = status.firstRange(of: "servicestatus {") else { return [:] }
        var out: [String: String] = [:]
        for line in status[start.upperBound...].split(separator: "\n") {
            if line.trimmingPrefix(while: \.isWhitespace) == "}" { break }
            let t = line.trimmingPrefix(while: \.isWhitespace)
            guard let eq = t.firstIndex(of: "=") else { continue }
            out[String(t[..<eq])] = String(t[t.index(after: eq)...])
        }
        return out
    }

    func stop() {
        daemon.stop()
        Paths.removeTree(directory)
    }
}
