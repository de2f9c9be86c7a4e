import ArgumentParser
import MPTCPMIB
import MPTCPModel
import Platform
import SMI

#if canImport(Glibc)
import Glibc
#endif

/// `mptcp-mib check`: a monitoring plugin (Nagios, Icinga, Naemon) for one host's MPTCP.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A monitoring plugin for Nagios, Icinga and the like: MPTCP's state as OK, WARNING, CRITICAL or UNKNOWN.",
        discussion: """
            Prints one status line with performance data and exits 0 (OK), 1 (WARNING), 2 \
            (CRITICAL) or 3 (UNKNOWN: the agent did not answer, or answered without MPTCP-MIB), \
            following the Monitoring Plugins development guidelines. The SNMP options are the \
            other commands' but the community, which is -C here (-c is the critical threshold, as \
            in check_snmp). Ranges: N (alert outside 0..N), N: (below N), ~:N (above N), N:M, \
            @N:M (inside).

            Checks (several at once; with none named: --fallback --paths --errors --blackhole):
              --fallback    the percentage of MPTCP connections that fell back to TCP, against \
            -w/-c (defaults 10 and 25)
              --subflows N  connections with fewer than N subflows, against \
            --subflows-warning/--subflows-critical (default warning: any)
              --paths       paths (local addresses with an endpoint) without an established \
            subflow while MPTCP connections exist, against --paths-warning/--paths-critical \
            (default warning: any)
              --errors      MP_FAIL, DSS checksum errors and refused or failed joins per minute \
            (MPFailRx, DataCsumErr, MPJoinRejected, MPJoinNoTokenFound, MPJoinSynAckHMacFailure, \
            MPJoinAckHMacFailure), against --errors-warning/--errors-critical (default warning: \
            any); the previous sample is kept in --state-file, and a counter discontinuity \
            starts over
              --blackhole   blackhole detections (Blackhole) since the previous run: CRITICAL

            Example: mptcp-mib check -v2c -C public 192.0.2.10 --fallback -w 5 -c 20 --paths
            """)

    @OptionGroup var options: SessionArguments
    @Option(name: .customShort("C", allowingJoined: true), help: "Community (SNMPv1, SNMPv2c).") var community: String?
    @Argument(help: "The agent: [udp:|tcp:]HOST[:PORT] (port 161 by default).") var target: String

    @Flag(help: "Check the percentage of connections that fell back to TCP.") var fallback = false
    @Option(name: .customShort("w"), help: "Warning range of the fallback percentage (default 10).") var warning: String?
    @Option(name: .customShort("c"), help: "Critical range of the fallback percentage (default 25).") var critical: String?
    @Option(help: "Check connections with fewer than this many subflows.") var subflows: UInt32?
    @Option(help: "Warning range of the connections with fewer subflows (default 0: any).") var subflowsWarning: String?
    @Option(help: "Critical range of the connections with fewer subflows.") var subflowsCritical: String?
    @Flag(help: "Check paths with an endpoint and no established subflow.") var paths = false
    @Option(help: "Warning range of the paths without a subflow (default 0: any).") var pathsWarning: String?
    @Option(help: "Critical range of the paths without a subflow.") var pathsCritical: String?
    @Flag(help: "Check MP_FAIL, checksum and join errors per minute.") var errors = false
    @Option(help: "Warning range of the errors per minute (default 0: any).") var errorsWarning: String?
    @Option(help: "Critical range of the errors per minute.") var errorsCritical: String?
    @Flag(help: "Check blackhole detections since the previous run.") var blackhole = false
    @Option(help: "Where the previous sample of the counters is kept (default /var/tmp/mptcp-mib-check.TARGET.state).")
    var stateFile: String?
    @Option(help: "Seconds before the plugin gives up with UNKNOWN.") var timeout: Double = 10

    /// The thresholds: parsed by validate, which reports a bad one by its option, and again
    /// by evaluate (a few strings; ArgumentParser keeps no state between the two).
    struct Thresholds {
        var fallback: (PluginRange?, PluginRange?)
        var subflows: (PluginRange?, PluginRange?)
        var paths: (PluginRange?, PluginRange?)
        var errors: (PluginRange?, PluginRange?)
    }

    func thresholds() throws -> Thresholds {
        func range(_ text: String?, _ option: String) throws -> PluginRange? {
            do { return try text.map(PluginRange.init) } catch { throw ValidationError("\(option): \(error)") }
        }
        return Thresholds(
            fallback: (try range(warning ?? "10", "-w"), try range(critical ?? "25", "-c")),
            subflows: (try range(subflowsWarning ?? "0", "--subflows-warning"), try range(subflowsCritical, "--subflows-critical")),
            paths: (try range(pathsWarning ?? "0", "--paths-warning"), try range(pathsCritical, "--paths-critical")),
            errors: (try range(errorsWarning ?? "0", "--errors-warning"), try range(errorsCritical, "--errors-critical")))
    }

    func validate() throws {
        _ = try thresholds()
        if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
        if subflows == 0 { throw ValidationError("--subflows must be at least 1") }
    }

    /// One check's verdict: its status, the words that explain it, its performance data.
    struct Finding {
        var status: PluginStatus
        var metrics: [PluginMetric]
        var text: String
    }

    func run() throws {
        // The guidelines' timeout: whatever hangs, the plugin answers UNKNOWN in time.
        let limit = timeout
        _ = Worker {
            var interval = timespec(tv_sec: Int(limit), tv_nsec: Int((limit - limit.rounded(.down)) * 1e9))
            var left = timespec()
            while nanosleep(&interval, &left) != 0 && errno == EINTR { interval = left }
            Self.finish(.unknown, "MPTCP UNKNOWN - no result within \(MetricText.seconds(limit)) (--timeout)")
        }
        let findings: [Finding]
        do {
            findings = try evaluate(MIBClient(session: try options.open(target, community: community), repetitions: 25))
        } catch {
            Self.finish(.unknown, "MPTCP UNKNOWN - \(error)")
        }
        let status = findings.map(\.status).max() ?? .ok
        // The findings that made the status first, then the rest.
        let text = (findings.filter { $0.status == status } + findings.filter { $0.status != status }).map(\.text)
        let perf = findings.flatMap(\.metrics).map(\.performanceData).joined(separator: " ")
        Self.finish(status, "MPTCP \(status.label) - \(text.joined(separator: ", ")) | \(perf)")
    }

    /// Prints the status line and exits with the status, from any thread (the watchdog
    /// too): written straight to the descriptor, and _exit, so nothing else runs after it.
    static func finish(_ status: PluginStatus, _ line: String) -> Never {
        StandardOutput.write(line + "\n")
        _exit(status.rawValue)
    }

    func evaluate(_ client: MIBClient) throws -> [Finding] {
        let t = try thresholds()
        let all = !(fallback || subflows != nil || paths || errors || blackhole)
        let g = MPTCPMIB.General.self
        let general = try Self.numbers(client, [g.currentConnections, g.connectionsFallback, g.connectionsOneSubflow,
                                                g.connectionsTwoSubflows, g.statsDiscontinuityTime])
        guard general.allSatisfy({ $0 != nil }) else {
            throw CLIError(.refused, "the agent does not serve MPTCP-MIB's mptcpGeneral (is mptcp-agentx attached?)")
        }
        let n = general.map { $0 ?? 0 }
        let (connections, fellBack, one, two, discontinuity) = (n[0], n[1], n[2], n[3], n[4])
        var findings: [Finding] = []

        if all || fallback {
            let percent = connections == 0 ? 0 : Double(fellBack) * 100 / Double(connections)
            let m = PluginMetric("fallback", percent, unit: "%", warning: t.fallback.0, critical: t.fallback.1, maximum: 100)
            findings.append(Finding(status: m.status, metrics: [m, PluginMetric("connections", Double(connections))],
                                    text: "\(MetricText.percent(percent)) of \(connections) connections fell back to TCP"))
        }
        if let minimum = subflows {
            // mptcpGeneral counts connections with 1, 2 and 3 or more current subflows.
            let fewer = (minimum > 1 ? one : 0) + (minimum > 2 ? two : 0)
            let counted = minimum <= 3
            let m = PluginMetric("fewer_subflows", Double(fewer), warning: t.subflows.0, critical: t.subflows.1)
            findings.append(Finding(status: counted ? m.status : .unknown, metrics: [m],
                                    text: counted ? "\(fewer) connections with fewer than \(minimum) subflows"
                                        : "--subflows above 3: mptcpGeneral counts 1, 2 and 3 or more"))
        }
        if all || paths {
            let down = try Self.pathsWithoutSubflow(client, mptcpConnections: connections - fellBack)
            let m = PluginMetric("paths_down", Double(down.count), warning: t.paths.0, critical: t.paths.1)
            findings.append(Finding(status: m.status, metrics: [m],
                                    text: down.isEmpty ? "every path with an endpoint has subflows"
                                        : "no established subflow on \(down.map(\.description).joined(separator: " "))"))
        }
        if all || errors || blackhole {
            findings += try countersFindings(client, discontinuity: discontinuity, errors: all || errors,
                                             blackhole: all || blackhole, thresholds: t.errors)
        }
        return findings
    }

    /// Scalars as numbers in one request; nil where the agent has no such instance (a
    /// counter this kernel lacks).
    static func numbers(_ client: MIBClient, _ objects: [MIBObject]) throws -> [UInt64?] {
        try client.get(objects.map { $0.oid + [0] }).map { $0.value.isException ? nil : $0.value.number }
    }

    /// The counters whose rise is an error.
    static let errorCounters = ["MPFailRx", "DataCsumErr", "MPJoinRejected", "MPJoinNoTokenFound",
                                "MPJoinSynAckHMacFailure", "MPJoinAckHMacFailure"]

    func countersFindings(_ client: MIBClient, discontinuity: UInt64, errors: Bool, blackhole: Bool,
                          thresholds: (PluginRange?, PluginRange?)) throws -> [Finding] {
        let names = Self.errorCounters + ["Blackhole"]
        let values = try Self.numbers(client, names.map { MPTCPMIB.Stats.object(kernelName: $0)! })
        // A counter this kernel lacks (noSuchObject) is left out, not read as 0.
        var counters: [String: UInt64] = [:]
        for (name, v) in zip(names, values) { if let v { counters[name] = v } }
        let path = stateFile ?? "/var/tmp/mptcp-mib-check.\(target.map { $0.isLetter || $0.isNumber ? $0 : "_" }).state"
        let previous = (try? FileIO.readText(path)).flatMap(CounterSample.init(text:))
        let now = CounterSample(time: MonotonicClock.now, discontinuity: discontinuity, counters: counters)
        do {
            try FileIO.write(path, now.text, createMode: 0o600)
        } catch {
            return [Finding(status: .unknown, metrics: [], text: "cannot keep the counters in \(path): \(error)")]
        }
        let rates = now.ratesPerMinute(since: previous)
        var findings: [Finding] = []
        if errors {
            if let rates {
                let perMinute = Self.errorCounters.reduce(0.0) { $0 + (rates[$1] ?? 0) }
                let m = PluginMetric("errors", perMinute, unit: "", warning: thresholds.0, critical: thresholds.1)
                let rising = Self.errorCounters.filter { (rates[$0] ?? 0) > 0 }
                findings.append(Finding(status: m.status, metrics: [m],
                                        text: rising.isEmpty ? "no MPTCP errors" : "\(MetricText.number(perMinute)) errors/min ("
                                            + rising.joined(separator: " ") + ")"))
            } else {
                findings.append(Finding(status: .ok, metrics: [], text: previous == nil ? "error rates from the next run on"
                                            : "counters started over: error rates from the next run on"))
            }
        }
        if blackhole, let detections = counters["Blackhole"] {
            let new = previous.flatMap { p in p.discontinuity == discontinuity ? p.counters["Blackhole"] : nil }
                .map { detections >= $0 ? detections - $0 : detections } ?? 0
            findings.append(Finding(status: new > 0 ? .critical : .ok,
                                    metrics: [PluginMetric("blackholes", Double(detections), unit: "c")],
                                    text: new > 0 ? "blackhole detection switched MPTCP off \(new) times since the last check"
                                        : "no blackhole detection"))
        }
        return findings
    }

    /// Local addresses with an endpoint and no established subflow, while MPTCP
    /// connections exist (with none, no path is expected to carry any).
    static func pathsWithoutSubflow(_ client: MIBClient, mptcpConnections: UInt64) throws -> [IPAddress] {
        guard mptcpConnections > 0 else { return [] }
        return try client.rows(P.table).compactMap { row in
            guard (row.number(P.endpointID) ?? 0) != 0, row.number(P.established) == 0,
                  case .address(let a?) = row.decodedIndex.last else { return nil }
            return a
        }
    }
}


/// Numbers as a status line shows them.
enum MetricText {
    static func number(_ v: Double) -> String { PluginMetric.format(v) }
    static func percent(_ v: Double) -> String { PluginMetric.format((v * 10).rounded() / 10) + "%" }
    static func seconds(_ v: Double) -> String { PluginMetric.format(v) + " s" }
}
