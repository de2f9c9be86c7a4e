import Platform

#if canImport(Glibc)
import Glibc
#endif

/// A private snmpd: UDP on 127.0.0.1 at a port the kernel picks, the AgentX master socket in a
/// temporary directory, persistent state there too. Stopped and removed by `shutdown()`.
public final class PrivateSNMPD: @unchecked Sendable {
    public let directory: String
    /// Chosen by the kernel at the first start (snmpd binds port 0); a restart binds it again,
    /// as a restarted snmpd keeps its configured port.
    public private(set) var port: UInt16 = 0
    public let extraConfiguration: String
    /// The network namespace snmpd runs in (nil: the test's), its extra arguments and environment.
    public let namespace: String?
    public let arguments: [String]
    public let environment: [String: String]
    /// Runs before snmpd inside the namespace (e.g. setpriv starting it as another user,
    /// who then owns `directory`).
    public let wrapper: [String]
    public let owner: String?
    private var daemon: Daemon?

    public var socketPath: String { directory + "/agentx.sock" }
    public var target: String { "127.0.0.1:\(port)" }
    public var logPath: String { directory + "/snmpd.log" }

    /// The SNMPv3 user of `extraConfiguration` lines the tests add.
    public static let v3User = (name: "mptcpadmin", auth: "auth-pass-12345", priv: "priv-pass-12345")
    /// The configuration line (snmpd, snmptrapd) that creates `v3User`: SHA-256 and AES.
    public static var v3UserLine: String {
        "createUser \(v3User.name) SHA-256 \"\(v3User.auth)\" AES \"\(v3User.priv)\""
    }
    /// net-snmp's options (tools, trapsess) that act as `v3User` at authPriv.
    public static var v3Options: [String] {
        ["-u", v3User.name, "-l", "authPriv", "-a", "SHA-256", "-A", v3User.auth, "-x", "AES", "-X", v3User.priv]
    }

    public init(tag: String, extraConfiguration: String = "", namespace: String? = nil, arguments: [String] = [],
                environment: [String: String] = [:], wrapper: [String] = [], owner: String? = nil) throws {
        directory = Paths.temporaryDirectory(tag)
        self.wrapper = wrapper
        self.owner = owner
        self.extraConfiguration = extraConfiguration
        self.namespace = namespace
        self.arguments = arguments
        self.environment = environment
        try start()
    }

    /// snmpd's process id (nil when stopped).
    public var pid: pid_t? { daemon?.pid }

    /// net-snmp's tools against this snmpd, run in its namespace.
    public var tools: SNMPTools {
        var t = SNMPTools(target: target)
        t.namespace = namespace
        return t
    }

    public func start() throws {
        let extra = extraConfiguration.split(separator: "\n").map(String.init)
        let config = try Command.check([Paths.script("private-snmpd-conf"), directory, "\(port)"] + extra)
        try FileIO.write(directory + "/snmpd.conf", config, createMode: 0o600)
        unlink(socketPath)
        if let owner {
            // Its files too: snmpd re-reads them as that user on SIGHUP.
            if access(logPath, F_OK) != 0 { try FileIO.write(logPath, "", createMode: 0o644) }
            try Command.check(["chown", "-R", "\(owner):\(owner)", directory])
        }
        let d = try Daemon(inNamespace(namespace) + wrapper
                           + ["snmpd", "-f", "-C", "-c", directory + "/snmpd.conf", "-Lf", logPath,
                              "--persistentDir=\(directory)/persist", "-p", directory + "/snmpd.pid"] + arguments,
                           name: "snmpd", environment: environment.merging(["MIBS": ""]) { a, _ in a })
        daemon = d
        let socketPath = self.socketPath, logPath = self.logPath
        try waitUntil("snmpd to open its AgentX socket", timeout: 10, interval: 0.02,
                      detail: { readWholeFile(logPath) + d.errors }) {
            guard d.isRunning else { throw CommandError(description: "snmpd exited: \(readWholeFile(logPath))\(d.errors)") }
            return access(socketPath, F_OK) == 0
        }
        if port == 0 { port = try d.boundPort(.udp) }
    }

    /// Sends `signal` to snmpd and waits up to `timeout` s for its exit status (as
    /// `Daemon.signal`: 128 + N when killed by signal N; nil while it still runs).
    @discardableResult
    public func signal(_ signal: Int32, waitUpTo timeout: Double) -> Int32? { daemon?.signal(signal, waitUpTo: timeout) }

    /// Stops snmpd (SIGTERM, or SIGKILL to simulate a crash).
    public func stop(crash: Bool = false) {
        guard let d = daemon else { return }
        if crash { d.signal(SIGKILL, waitUpTo: 5) } else { d.stop() }
        daemon = nil
    }

    public func shutdown() {
        stop()
        Paths.removeTree(directory)
    }

    deinit { shutdown() }
}

/// One varbind as net-snmp's tools print it with `-On -Ox -Ot` (TimeTicks as a number).
public struct PrintedVarBind: Sendable, Equatable, CustomStringConvertible {
    public var oid: [UInt32]
    /// `INTEGER`, `Gauge32`, `Counter32`, `Counter64`, `Hex-STRING`, `STRING`, ... or an
    /// exception: `noSuchObject`, `noSuchInstance`, `endOfMibView`.
    public var type: String
    public var value: String

    public var description: String { "\(oid.map(String.init).joined(separator: ".")) = \(type): \(value)" }

    /// The bytes of a Hex-STRING (or of a quoted STRING).
    public var octets: [UInt8]? {
        if type == "Hex-STRING" { return value.split(separator: " ").compactMap { UInt8($0, radix: 16) } }
        if type == "STRING" { return Array(value.dropFirst().dropLast().utf8) }
        if value == "\"\"" { return [] }
        return nil
    }

    public var number: UInt64? {
        if type == "INTEGER" { return Int64(value).map { UInt64(bitPattern: $0) } }
        return UInt64(value)
    }
}

/// net-snmp's command-line tools against one agent.
public struct SNMPTools: Sendable {
    public let target: String
    public var version = "2c"
    public var community = "public"
    /// `-u -l -a -A -x -X` for SNMPv3.
    public var v3: [String]?
    /// Run the tools in this network namespace (an snmpd listening on its 127.0.0.1).
    public var namespace: String?
    /// The SNMPv3 context name (`-n`).
    public var context: String?

    public init(target: String) { self.target = target }

    public static func v3(target: String) -> SNMPTools {
        var t = SNMPTools(target: target)
        t.version = "3"
        t.v3 = PrivateSNMPD.v3Options
        return t
    }

    var common: [String] {
        ["-v", version] + (version == "3" ? (v3 ?? []) : ["-c", community]) + (context.map { ["-n", $0] } ?? [])
            + ["-On", "-Ox", "-Ot", "-t", "3", "-r", "1"]
    }

    /// Runs a tool on the target with `args` (OIDs, values) after it; output as printed.
    public func run(_ tool: String, _ args: [String]) throws -> CommandResult {
        try Command.run(prefix + [tool] + common + [target] + args, timeout: 600, environment: ["MIBS": ""])
    }

    var prefix: [String] { inNamespace(namespace) }

    func varbinds(_ tool: String, _ options: [String], _ oids: [String]) throws -> [PrintedVarBind] {
        let r = try Command.run(prefix + [tool] + common + options + [target] + oids, timeout: 600, environment: ["MIBS": ""])
        guard r.status == 0 else { throw CommandError(description: "\(tool) exited \(r.status): \(r.stderr)\(r.stdout)") }
        return Self.parse(r.stdout)
    }

    public func walk(_ oid: String = "1.3.6.1.3.8684", options: [String] = []) throws -> [PrintedVarBind] {
        try varbinds("snmpwalk", options, [oid])
    }

    public func bulkWalk(_ oid: String = "1.3.6.1.3.8684", repetitions: Int = 50) throws -> [PrintedVarBind] {
        try varbinds("snmpbulkwalk", ["-Cr\(repetitions)"], [oid])
    }

    public func get(_ oids: [String]) throws -> [PrintedVarBind] { try varbinds("snmpget", [], oids) }

    /// What snmpset reports: the varbinds set, or the error status and the failed OID.
    public enum SetOutcome: Equatable, CustomStringConvertible {
        case set([PrintedVarBind])
        case error(status: String, failed: [UInt32]?)
        case failure(String)

        public var description: String {
            switch self {
            case .set(let v): return "set \(v)"
            case .error(let s, let f): return "\(s) at \(f.map { $0.map(String.init).joined(separator: ".") } ?? "-")"
            case .failure(let m): return m
            }
        }
    }

    /// snmpset with (OID, type letter, value) triples, as on its command line.
    public func set(_ items: [(String, String, String)]) throws -> SetOutcome {
        let r = try run("snmpset", items.flatMap { [$0.0, $0.1, $0.2] })
        if r.status == 0 { return .set(Self.parse(r.stdout)) }
        let text = r.stderr + r.stdout
        guard let reason = text.split(separator: "\n").first(where: { $0.hasPrefix("Reason: ") }) else {
            return .failure(text)
        }
        let status = String(reason.dropFirst("Reason: ".count).split(separator: " ")[0])
        let failed = text.split(separator: "\n").first { $0.hasPrefix("Failed object: ") }
            .map { $0.dropFirst("Failed object: .".count).split(separator: ".").compactMap { UInt32($0) } }
        return .error(status: status, failed: failed)
    }
    public func getNext(_ oids: [String]) throws -> [PrintedVarBind] { try varbinds("snmpgetnext", [], oids) }

    /// Parses `-On -Ox` output; hex strings may continue on following lines.
    public static func parse(_ text: String) -> [PrintedVarBind] {
        var out: [PrintedVarBind] = []
        for line in text.split(separator: "\n") {
            guard line.hasPrefix(".") else {
                if !out.isEmpty && out[out.count - 1].type == "Hex-STRING" {
                    out[out.count - 1].value += " " + line.split(separator: " ").joined(separator: " ")
                }
                continue
            }
            guard let eq = line.firstRange(of: " = ") else { continue }
            let oid = line[line.index(after: line.startIndex)..<eq.lowerBound].split(separator: ".").compactMap { UInt32($0) }
            let rest = line[eq.upperBound...]
            var type = "", value = String(rest)
            if rest.hasPrefix("No Such Object") { type = "noSuchObject" }
            else if rest.hasPrefix("No Such Instance") { type = "noSuchInstance" }
            else if rest.hasPrefix("No more variables") { type = "endOfMibView" }
            else if let colon = rest.firstRange(of: ": ") {
                type = String(rest[..<colon.lowerBound])
                value = String(rest[colon.upperBound...])
            } else if rest == "\"\"" {
                type = "STRING"
            }
            out.append(PrintedVarBind(oid: oid, type: type, value: value.trimmingTrailingSpaces()))
        }
        return out
    }
}

/// mptcp-agentx inside a lab namespace, attached to a private snmpd.
public final class AgentProcess: @unchecked Sendable {
    public let daemon: Daemon

    /// `wrapper` runs before the agent inside the namespace (e.g. setpriv dropping capabilities).
    public init(namespace: String, snmpd: PrivateSNMPD, arguments: [String] = [], wrapper: [String] = [],
                waitForMaster: Bool = true) throws {
        // An explicit configuration file: the test's (-C in `arguments`) or an empty one, never the host's.
        let configuration = arguments.contains("-C") || arguments.contains("--config") ? [] : ["-C", TestRun.emptyAgentConfiguration]
        daemon = try Daemon(["ip", "netns", "exec", namespace] + wrapper + [Paths.executable("mptcp-agentx"), "-f"] + configuration
                            + ["-x", "unix:" + snmpd.socketPath, "--log-level", "debug"] + arguments,
                            name: "mptcp-agentx")
        if waitForMaster { try daemon.waitForOutput("AgentX subagent connected", timeout: 20) }
    }

    public var log: String { daemon.errors + daemon.output }
    public func stop() { daemon.stop() }
    deinit { daemon.stop() }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// A UDP port of 127.0.0.1 held by a socket that never reads: requests sent there get no
/// answer (a dead agent), and no other process can take the port while the test uses it.
public final class SilentUDPPort: @unchecked Sendable {
    public let port: UInt16
    private let fd: Int32

    public init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let ok = fd >= 0 && withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else {
            if fd >= 0 { close(fd) }
            throw CommandError(description: "cannot bind a UDP socket on 127.0.0.1: errno \(errno)")
        }
        port = UInt16(bigEndian: addr.sin_port)
    }

    deinit { close(fd) }
}
