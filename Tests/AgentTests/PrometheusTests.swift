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

/// One sample of Prometheus' text format.
struct PromSample {
    var name: String
    var labels: [String: String]
    var value: Double
}

/// Prometheus' text exposition format, as snmp_exporter writes it (no escaped quotes in
/// the values it produces here).
enum PromText {
    static func samples(_ text: String) -> [PromSample] {
        var out: [PromSample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            var labels: [String: String] = [:]
            var name = String(series)
            if let brace = series.firstIndex(of: "{") {
                name = String(series[..<brace])
                for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                    guard let eq = pair.firstIndex(of: "=") else { continue }
                    labels[String(pair[..<eq])] = String(pair[pair.index(eq, offsetBy: 2)..<pair.index(before: pair.endIndex)])
                }
            }
            out.append(PromSample(name: name, labels: labels, value: value))
        }
        return out
    }

    /// `# TYPE name kind` lines.
    static func types(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let f = line.split(separator: " ")
            if f.count == 4 { out[String(f[2])] = String(f[3]) }
        }
        return out
    }
}

/// prometheus-snmp-exporter with contrib/prometheus/snmp.yml on a local port the kernel picks.
final class SNMPExporter {
    let port: UInt16
    let daemon: Daemon
    static var config: String { Paths.packageRoot + "/contrib/prometheus/snmp.yml" }

    init() throws {
        daemon = try Daemon(["prometheus-snmp-exporter", "--config.file=" + Self.config,
                             "--web.listen-address=127.0.0.1:0"], name: "snmp-exporter")
        port = try daemon.boundPort(.tcp)
        let daemon = self.daemon, port = self.port
        try waitUntil("snmp_exporter to answer on 127.0.0.1:\(port)", timeout: 20, interval: 0.1, detail: { daemon.errors }) {
            guard daemon.isRunning else { throw CommandError(description: "snmp_exporter exited: \(daemon.errors)") }
            return (try? http("http://127.0.0.1:\(port)/metrics")) != nil
        }
    }

    var address: String { "127.0.0.1:\(port)" }

    func scrape(_ target: String, module: String) throws -> String {
        try http("http://\(address)/snmp?target=\(target)&module=\(module)", timeout: 120)
    }

    func stop() { daemon.stop() }
}

/// The body of an HTTP GET (curl), failing on an HTTP error; `query` parameters are
/// URL-encoded by curl.
func http(_ url: String, query: [String: String] = [:], timeout: Double = 30) throws -> String {
    let parameters = query.isEmpty ? [] : ["-G"] + query.flatMap { ["--data-urlencode", "\($0.key)=\($0.value)"] }
    let r = try Command.run(["curl", "-sS", "-f", "--max-time", "\(Int(timeout))", "-g"] + parameters + [url], timeout: timeout + 5)
    guard r.status == 0 else { throw CommandError(description: "GET \(url): \(r.stderr)") }
    return r.stdout
}

/// How snmp_exporter writes an address label: dotted IPv4, IPv6 as eight 4-digit upper-case groups.
func exporterAddress(_ text: String) -> String {
    guard let a = IPAddress(text) else { return text }
    let b = a.bytes
    if b.count == 4 { return b.map { "\($0)" }.joined(separator: ".") }
    return stride(from: 0, to: 16, by: 2).map { i in
        let v = String(UInt16(b[i]) << 8 | UInt16(b[i + 1]), radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - v.count) + v
    }.joined(separator: ":")
}

@Suite("Prometheus: snmp_exporter, prometheus and promtool on the real agent", .serialized,
       .enabled(if: IntegrationEnvironment.shouldRun))
struct PrometheusTests {
    static let directory = Paths.packageRoot + "/contrib/prometheus"

    @Test("promtool: the example configuration and the rules are valid; every alert fires and stays silent in its tests")
    func promtool() throws {
        let config = try Command.run(["promtool", "check", "config", Self.directory + "/prometheus.yml"])
        #expect(config.status == 0, "\(config.stdout)\(config.stderr)")
        let rules = try Command.run(["promtool", "check", "rules", Self.directory + "/rules/mptcp-alerts.yml"])
        #expect(rules.status == 0 && rules.stdout.contains("SUCCESS: 22 rules found"), "\(rules.stdout)\(rules.stderr)")
        let tests = try Command.run(["promtool", "test", "rules", Self.directory + "/rules/mptcp-alerts.test.yml"])
        #expect(tests.status == 0 && tests.stdout.contains("SUCCESS"), "\(tests.stdout)\(tests.stderr)")
        // Every alert of the rules file has tests that see it fire and tests that see it silent.
        let names = try FileIO.readText(Self.directory + "/rules/mptcp-alerts.yml").split(separator: "\n")
            .compactMap { line -> String? in
                guard let r = line.firstRange(of: "- alert: ") else { return nil }
                return String(line[r.upperBound...]).trimmingCharacters(in: " ")
            }
        #expect(names.count == 18)
        // The path health thresholds: recording rules, each written once, that the alerts compare with.
        let thresholds = try FileIO.readText(Self.directory + "/rules/mptcp-alerts.yml").split(separator: "\n")
            .filter { $0.contains("- record: mptcp:path_") }
        #expect(thresholds.count == 4, "\(thresholds)")
        let unitTests = try FileIO.readText(Self.directory + "/rules/mptcp-alerts.test.yml")
        for name in names { #expect(unitTests.contains("alertname: \(name)"), "no unit test for \(name)") }
    }

    @Test("queries.txt lists the dashboard's PromQL expressions, each once, in the dashboard's order")
    func dashboardQueries() throws {
        // The dashboard is indented JSON: each target's "expr" on a line of its own, its
        // quotes and backslashes escaped.
        let marker = "\"expr\": \""
        var expressions: [String] = []
        for line in try FileIO.readText(Self.directory + "/grafana/mptcp-dashboard.json").split(separator: "\n") {
            guard let r = line.firstRange(of: marker) else { continue }
            var value = line[r.upperBound...]
            if value.hasSuffix(",") { value.removeLast() }
            #expect(value.hasSuffix("\""), "\(line)")
            let expression = String(value.dropLast()).replacing("\\\"", with: "\"").replacing("\\\\", with: "\\")
            if !expressions.contains(expression) { expressions.append(expression) }
        }
        let queries = try FileIO.readText(Self.directory + "/grafana/queries.txt").split(separator: "\n")
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }.map(String.init)
        #expect(expressions == queries, "dashboard only: \(expressions.filter { !queries.contains($0) }), queries.txt only: \(queries.filter { !expressions.contains($0) })")
        for name in ["mptcpPathLossEstimate", "mptcpPathMinRtt", "mptcpPathDeliveryRate", "mptcpPathSendShare", "mptcpPathCloseSubflows"] {
            #expect(queries.contains { $0.contains(name) }, "no panel shows \(name)")
        }
    }

    typealias P = MPTCPMIB.PathTable

    /// Columns of mptcpPathTable as snmpwalk reads them: value by address, written as
    /// snmp_exporter writes mptcpPathAddress.
    static func pathColumn(_ tools: SNMPTools, _ column: MIBObject) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for vb in try tools.walk(column.oid.dotted) {
            guard let index = MIBNames.decodeIndex(vb.oid[column.oid.count...], table: P.table),
                  case .address(let a?) = index[1], let n = vb.number else {
                Issue.record("\(column.name): \(vb)")
                continue
            }
            out[exporterAddress(a.description)] = Double(n)
        }
        return out
    }

    /// mptcpPathCloseSubflows as snmpwalk reads it, keyed "address reason-number" like the
    /// exporter's labels mptcpPathCloseAddress and mptcpPathCloseReason.
    static func pathCloses(_ tools: SNMPTools) throws -> [String: Double] {
        typealias C = MPTCPMIB.PathCloseTable
        var out: [String: Double] = [:]
        for vb in try tools.walk(C.subflows.oid.dotted) {
            guard let index = MIBNames.decodeIndex(vb.oid[C.subflows.oid.count...], table: C.table),
                  case .address(let a?) = index[1], case .number(let reason) = index[2], let n = vb.number else {
                Issue.record("mptcpPathCloseSubflows: \(vb)")
                continue
            }
            out["\(exporterAddress(a.description)) \(reason)"] = Double(n)
        }
        return out
    }

    @Test("snmp_exporter scrapes the agent: values equal the kernel's, labels are readable, types are right")
    func exporterScrapes() throws {
        try requireIntegration()
        // Without a cache, each scrape reads the kernel between the two reads of the truth.
        let s = try AgentLab(tag: "pe", agentArguments: ["--cache-ttl", "0"])
        defer { s.shutdown() }
        let exporter = try SNMPExporter()
        defer { exporter.stop() }
        // Kill the backup subflows (each closes as aborted(8)), so that mptcpPathCloseTable
        // has a row and mptcpPathLastCloseReason a value.
        let backup = "10.201.3.1"
        func subflows(from address: String) throws -> Int {
            try s.lab.exec(s.lab.client, ["ss", "-tnH", "src", address]).split(separator: "\n").count
        }
        let killed = try subflows(from: backup)
        #expect(killed > 0)
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", backup])
        var closes: [String: Double] = [:]
        try waitUntil("the \(killed) backup subflows to close and be counted", timeout: 10, interval: 0.1, detail: { "\(closes)" }) {
            closes = try Self.pathCloses(s.tools)
            return try subflows(from: backup) == 0 && closes == ["\(backup) 8": Double(killed)]
        }
        try s.lab.waitUntilQuiet()
        // Path quality columns read by snmpwalk right before and right after the scrape: the
        // lab's connections are idle after their exchange, so the tcp_info they come from
        // holds still and both reads agree; the scrape must lie between them.
        let quality = [P.minRtt, P.lossEstimate, P.deliveryRate, P.sendShare]
        let snmpBefore = try quality.map { try Self.pathColumn(s.tools, $0) }
        let before = try KernelTruth.read(s.lab, s.lab.client)
        let text = try exporter.scrape(s.snmpd.target, module: "mptcp")
        let after = try KernelTruth.read(s.lab, s.lab.client)
        let snmpAfter = try quality.map { try Self.pathColumn(s.tools, $0) }
        let samples = PromText.samples(text), types = PromText.types(text)
        func values(_ name: String) -> [PromSample] { samples.filter { $0.name == name } }
        func value(_ name: String) -> Double? { values(name).first?.value }

        #expect(value("mptcpCurrentConnections") == Double(before.connections.count))
        #expect(value("mptcpCurrentSubflows") == Double(before.subflows.count))
        #expect(value("mptcpConnectionsFallback") == Double(before.connections.filter { $0.words.contains("fallback") }.count))
        #expect(value("mptcpLimitSubflows") == before.limits["subflows"].map(Double.init))
        // Every kernel counter, between two nstat reads.
        var compared = 0
        for (name, low) in before.counters {
            guard let got = value("mptcpExt" + name), let high = after.counters[name] else { continue }
            #expect((Double(low)...Double(high)).contains(got), "mptcpExt\(name) = \(got), nstat \(low)...\(high)")
            compared += 1
        }
        #expect(compared >= 70, "\(compared) counters compared")
        // Paths: readable addresses, established subflows per local address as ss counts them.
        let established = Dictionary(grouping: before.subflows.filter { $0.state == "ESTAB" }, by: \.localAddress).mapValues(\.count)
        for (address, count) in established {
            let rows = values("mptcpPathSubflowsEstablished").filter { $0.labels["mptcpPathAddress"] == exporterAddress(address) }
            #expect(rows.map(\.value) == [Double(count)], "path \(address): \(rows)")
        }
        #expect(values("mptcpPathSubflows").allSatisfy { !($0.labels["mptcpPathAddress"] ?? "0x").hasPrefix("0x") })
        // Endpoints as ip mptcp shows them.
        let endpoints = values("mptcpEndpointAddress").map { "\($0.labels["mptcpEndpointId"] ?? "?") \($0.labels["mptcpEndpointAddress"] ?? "?")" }
        let expectedEndpoints = Set(before.endpoints.map { "\($0.id) \(exporterAddress($0.address))" })
        #expect(Set(endpoints) == expectedEndpoints, "\(endpoints) vs \(expectedEndpoints)")
        // Types that do not mislead: levels are gauges, running totals counters, states state sets.
        #expect(types["mptcpExtMPJoinSynRx"] == "counter")
        #expect(types["mptcpExtMPCurrEstab"] == "gauge")
        #expect(types["mptcpPathBytesSent"] == "gauge" && types["mptcpPathSubflowsFailed"] == "counter")
        #expect(types["mptcpPathDeliveryRate"] == "gauge" && types["mptcpPathCloseSubflows"] == "counter")
        #expect(types["mptcpPathMinRtt"] == "gauge" && types["mptcpPathLossEstimate"] == "gauge" && types["mptcpPathSendShare"] == "gauge")
        // Path quality: per mptcpPathAddress, what snmpwalk read before and after the scrape.
        for (i, column) in quality.enumerated() {
            var scraped: [String: Double] = [:]
            for sample in values(column.name) { scraped[sample.labels["mptcpPathAddress"] ?? "?"] = sample.value }
            let low = snmpBefore[i], high = snmpAfter[i]
            #expect(Set(scraped.keys) == Set(low.keys) && Set(low.keys) == Set(high.keys), "\(column.name): \(scraped) vs \(low) / \(high)")
            #expect(!scraped.isEmpty, "no \(column.name)")
            for (address, got) in scraped {
                guard let a = low[address], let b = high[address] else { continue }
                #expect((min(a, b)...max(a, b)).contains(got), "\(column.name){mptcpPathAddress=\"\(address)\"} = \(got), snmpwalk \(a) then \(b)")
            }
        }
        // Paths with established subflows have a minimum RTT and a loss estimate; the killed one has none.
        for (address, _) in established {
            #expect(values("mptcpPathMinRtt").contains { $0.labels["mptcpPathAddress"] == exporterAddress(address) }, "no mptcpPathMinRtt for \(address)")
        }
        #expect(!values("mptcpPathMinRtt").contains { $0.labels["mptcpPathAddress"] == backup })
        // Why subflows closed: the enumeration index is a number in the label (snmp_exporter 0.21);
        // mptcpPathLastCloseReason, an EnumAsInfo column, is a name.
        let scrapedCloses = Dictionary(values("mptcpPathCloseSubflows").map {
            ("\($0.labels["mptcpPathCloseAddress"] ?? "?") \($0.labels["mptcpPathCloseReason"] ?? "?")", $0.value)
        }, uniquingKeysWith: { a, _ in a })
        #expect(scrapedCloses == closes && scrapedCloses == ["\(backup) 8": Double(killed)], "\(scrapedCloses) vs \(closes)")
        #expect(values("mptcpPathLastCloseReason_info").map { "\($0.labels["mptcpPathAddress"] ?? "?") \($0.labels["mptcpPathLastCloseReason"] ?? "?")" }
                == ["\(backup) aborted"])
        #expect(values("mptcpEnabled").contains { $0.labels["mptcpEnabled"] == "true" && $0.value == 1 })
        // The size of this module does not depend on the connections.
        #expect(samples.count < 400, "\(samples.count) samples")

        let detail = PromText.samples(try exporter.scrape(s.snmpd.target, module: "mptcp_connections"))
        let tokens = Set(detail.filter { $0.name == "mptcpConnectionBytesSent" }.compactMap { $0.labels["mptcpConnectionToken"] })
        #expect(tokens == Set(before.connections.compactMap { $0.hex("token").map { "\($0)" } }))
        let subflowSeries = detail.filter { $0.name == "mptcpSubflowRtt" }
        #expect(subflowSeries.count == before.subflows.count)
        let local = Set(subflowSeries.compactMap { $0.labels["mptcpSubflowLocalAddress"] })
        let expectedLocal = Set(before.subflows.map { exporterAddress($0.localAddress) })
        #expect(local == expectedLocal, "\(local) vs \(expectedLocal)")
    }

    @Test("A real prometheus scrapes the exporter every second; every dashboard query and alert rule evaluates")
    func prometheusEndToEnd() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "pp", v4: 8, v6: 4)
        defer { s.shutdown() }
        let exporter = try SNMPExporter()
        defer { exporter.stop() }
        let dir = Paths.temporaryDirectory("prom")
        defer { Paths.removeTree(dir) }
        func job(_ name: String, _ module: String) -> String {
            """
              - job_name: \(name)
                scrape_interval: 1s
                scrape_timeout: 1s
                metrics_path: /snmp
                params:
                  module: [\(module)]
                static_configs:
                  - targets: ['\(s.snmpd.target)']
                relabel_configs:
                  - source_labels: [__address__]
                    target_label: __param_target
                  - source_labels: [__param_target]
                    target_label: instance
                  - target_label: __address__
                    replacement: \(exporter.address)
            """
        }
        try FileIO.write(dir + "/prometheus.yml", """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - \(Self.directory)/rules/mptcp-alerts.yml
            scrape_configs:
            \(job("mptcp", "mptcp"))
            \(job("mptcp_connections", "mptcp_connections"))

            """, createMode: 0o644)
        let check = try Command.run(["promtool", "check", "config", dir + "/prometheus.yml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let prometheus = try Daemon(["prometheus", "--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/data",
                                     "--web.listen-address=127.0.0.1:0"], name: "prometheus")
        defer { prometheus.stop() }
        let port = try prometheus.boundPort(.tcp)
        let api = "http://127.0.0.1:\(port)/api/v1"
        func query(_ q: String) throws -> String { try http("\(api)/query", query: ["query": q]) }
        // Until the connections are in and rates have a few samples.
        let connections = try SSParser.sockets(s.lab.exec(s.lab.client, ["ss", "-Mni"])).count
        var answer = ""
        try waitUntil("prometheus to hold the \(connections) connections", timeout: 60, interval: 0.5, detail: { answer }) {
            answer = (try? query("mptcpCurrentConnections")) ?? ""
            return answer.contains("\"\(connections)\"")
        }
        #expect(answer.contains("\"instance\":\"\(s.snmpd.target)\"") && answer.contains("\"\(connections)\""), "\(answer)")
        // A subflow must close while the agent listens for the per-reason close panel to have
        // data: kill the backup subflows (aborted, reason 8).
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", "10.201.3.1"])

        let queries = try FileIO.readText(Self.directory + "/grafana/queries.txt").split(separator: "\n")
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { String($0).replacing("$instance", with: s.snmpd.target).replacing("$path", with: ".*") }
        #expect(queries.count >= 30)
        // Until rates have enough samples that every query has data.
        var empty: [String] = []
        try waitUntil("every dashboard query to have data", timeout: 60, interval: 0.5, detail: { "\(empty)" }) {
            empty = try queries.filter { try query($0).contains("\"result\":[]") }
            return empty.isEmpty
        }
        for filled in queries {
            let result = try query(filled)
            #expect(result.contains("\"status\":\"success\""), "\(filled): \(result)")
            #expect(!result.contains("\"result\":[]"), "no data: \(filled)")
        }
        // The alert rules load and evaluate without errors.
        let rules = try http("\(api)/rules")
        #expect(rules.components(separatedBy: "\"type\":\"alerting\"").count - 1 == 18, "\(rules.prefix(400))")
        #expect(rules.components(separatedBy: "\"type\":\"recording\"").count - 1 == 4, "\(rules.prefix(400))")
        // The thresholds are series the alerts compare with.
        let threshold = try query("mptcp:path_min_rtt_seconds:threshold")
        #expect(threshold.contains("\"0.2\""), "\(threshold)")
        let closes = try query("rate(mptcpPathCloseSubflows{mptcpPathCloseAddress=\"10.201.3.1\"}[5m])")
        #expect(closes.contains("\"mptcpPathCloseReason\":\"8\""), "\(closes)")
        #expect(!rules.contains("\"health\":\"err\""), "\(rules)")
    }
}

private extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
