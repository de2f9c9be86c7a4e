import Platform

#if canImport(Glibc)
import Glibc
#endif

/// What the suite leaves on the machine while it runs — network namespaces, temporary
/// directories and files, processes — carries `owner`: the prefix `mmt` and the pid of the
/// test process. `scripts/sweep-test-leftovers` removes what a run whose process is gone left
/// behind (a crashed test, a killed run) and leaves the things of a run that still goes on.
public enum TestRun {
    public static let prefix = "mmt"
    /// `mmt` and this process's pid, e.g. `mmt4711`; what follows it never starts with a digit.
    public static let owner = "\(prefix)\(getpid())"
    /// Every process the suite starts has this variable, set to `owner`, in its environment
    /// (also what `ip netns exec`, setpriv and snmpd start): the sweep finds them by it.
    public static let environmentVariable = "MMT_TEST_RUN"
    /// The configuration file of every mptcp-agentx a test starts: explicitly empty, so that
    /// no agent of the suite reads the host's /etc/mptcp-agentx.conf.
    public static let emptyAgentConfiguration = "/dev/null"

    /// Sets `environmentVariable` in this process, so that every child inherits it.
    static let marked: Bool = {
        setenv(environmentVariable, owner, 1)
        return true
    }()
}

/// Where the package and its built executables are.
public enum Paths {
    /// The package root, found from this file's location.
    public static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    /// The directory of the test bundle, which is also where `swift build` puts executables.
    public static let binDirectory: String = {
        if let dir = getenv("MPTCP_MIB_BIN_DIR") { return String(cString: dir) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        let exe = String(decoding: buf[0..<max(0, n)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(exe[..<exe.lastIndex(of: "/")!])
    }()

    public static func executable(_ name: String) -> String { binDirectory + "/" + name }
    public static func script(_ name: String) -> String { packageRoot + "/scripts/" + name }

    /// A fresh private directory under /tmp, removed by `removeTree` (and, after a crash, by
    /// `scripts/sweep-test-leftovers`: its name starts with `TestRun.owner`).
    public static func temporaryDirectory(_ tag: String) -> String {
        var template = Array("/tmp/\(TestRun.owner)-\(tag)-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    public static func removeTree(_ path: String) {
        _ = try? Command.run(["rm", "-rf", path])
    }
}

public struct CommandError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// The outcome of a finished command.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Starts programs with posix_spawn and an empty signal mask (Foundation's Process
/// starts children with SIGTERM blocked, so they would ignore `stop()`).
enum Spawn {
    static func start(_ argv: [String], stdoutPath: String, stderrPath: String, stdinPath: String = "/dev/null") throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        _ = TestRun.marked
        var pid: pid_t = 0
        var cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, &cargs, environ)
        guard rc == 0 else {
            throw CommandError(description: "cannot start \(argv[0]): \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Waits for `pid`; nil if it is still running after `timeout` seconds.
    static func wait(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = MonotonicClock.now + timeout
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                if status & 0x7f == 0 { return (status >> 8) & 0xff }  // exited
                return 128 + (status & 0x7f)  // killed by a signal
            }
            if r < 0 { return -1 }
            if MonotonicClock.now > deadline { return nil }
            usleep(5000)  // waitpid's poll interval (WNOHANG: a deadline needs polling)
        }
    }
}


func readWholeFile(_ path: String) -> String {
    guard let f = fopen(path, "r") else { return "" }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Runs a command to completion.
public enum Command {
    @discardableResult
    public static func run(_ argv: [String], timeout: Double = 120, stdin: String? = nil,
                           environment: [String: String] = [:]) throws -> CommandResult {
        let dir = "/tmp"
        let base = "\(dir)/\(TestRun.owner)-cmd-\(UInt32.random(in: 0...UInt32.max))"
        let out = base + ".out", err = base + ".err"
        var input = "/dev/null"
        if let stdin {
            input = base + ".in"
            try FileIO.write(input, stdin, createMode: 0o600)
        }
        defer { unlink(out); unlink(err); if stdin != nil { unlink(input) } }
        let full = environment.isEmpty ? argv : ["env"] + environment.map { "\($0)=\($1)" } + argv
        let pid = try Spawn.start(full, stdoutPath: out, stderrPath: err, stdinPath: input)
        guard let status = Spawn.wait(pid, timeout: timeout) else {
            kill(pid, SIGKILL)
            _ = Spawn.wait(pid, timeout: 5)
            throw CommandError(description: "\(argv.joined(separator: " ")) did not finish within \(timeout) s")
        }
        return CommandResult(status: status, stdout: readWholeFile(out), stderr: readWholeFile(err))
    }

    /// Runs a command that must succeed; returns its standard output.
    @discardableResult
    public static func check(_ argv: [String], timeout: Double = 120, stdin: String? = nil) throws -> String {
        let r = try run(argv, timeout: timeout, stdin: stdin)
        guard r.status == 0 else {
            throw CommandError(description: "\(argv.joined(separator: " ")) exited \(r.status): \(r.stderr)\(r.stdout)")
        }
        return r.stdout
    }
}

/// What a process holds now, from /proc: resident memory, threads and open descriptors
/// (leak checks compare two of these).
public struct ProcessResources: Sendable {
    public var rssKiB: Int
    public var threads: Int
    public var fds: Int

    public static func of(_ pid: pid_t) throws -> ProcessResources {
        let status = try FileIO.readText("/proc/\(pid)/status")
        func field(_ name: String) throws -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            guard let value = line.flatMap({ Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) }) else {
                throw CommandError(description: "/proc/\(pid)/status has no \(name)")
            }
            return value
        }
        let fds = try FileIO.entries(of: "/proc/\(pid)/fd").count
        return ProcessResources(rssKiB: try field("VmRSS"), threads: try field("Threads"), fds: fds)
    }
}

/// The command prefix that runs a program in the network namespace `namespace` (nil: here).
func inNamespace(_ namespace: String?) -> [String] { namespace.map { ["ip", "netns", "exec", $0] } ?? [] }

/// A long-running child (server, agent, traffic generator) with its output in a log file.
public final class Daemon: @unchecked Sendable {
    public let pid: pid_t
    public let name: String
    public let logPath: String
    private var exitStatus: Int32?

    public init(_ argv: [String], name: String, logDirectory: String = "/tmp", environment: [String: String] = [:]) throws {
        self.name = name
        logPath = "\(logDirectory)/\(TestRun.owner)-\(name)-\(UInt32.random(in: 0...UInt32.max)).log"
        pid = try Spawn.start(environment.isEmpty ? argv : ["env"] + environment.map { "\($0)=\($1)" } + argv,
                              stdoutPath: logPath, stderrPath: logPath + ".err")
    }

    public var output: String { readWholeFile(logPath) }
    public var errors: String { readWholeFile(logPath + ".err") }

    /// True while the process has not exited.
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        if let s = Spawn.wait(pid, timeout: 0) {
            exitStatus = s
            return false
        }
        return true
    }

    /// Waits until the standard output or error contains `text`.
    public func waitForOutput(_ text: String, timeout: Double = 30) throws {
        try waitUntil("\(name) to print '\(text)'", timeout: timeout, interval: 0.02, detail: { self.errors }) {
            if output.contains(text) || errors.contains(text) { return true }
            guard isRunning else {
                throw CommandError(description: "\(name) exited before printing '\(text)': \(errors)\(output)")
            }
            return false
        }
    }

    /// Sends `signal` and waits up to `timeout` s; returns the exit status (nil: still running).
    @discardableResult
    public func signal(_ signal: Int32, waitUpTo timeout: Double) -> Int32? {
        if let s = exitStatus { return s }
        kill(pid, signal)
        exitStatus = Spawn.wait(pid, timeout: timeout)
        return exitStatus
    }

    /// The local port of the socket this process bound (a daemon told to listen on port 0, so
    /// that the kernel picks a free one: no port is probed and released before the daemon
    /// binds it). Read from /proc: the process's socket inodes matched against its network
    /// namespace's UDP or TCP table; waits until the socket exists.
    public func boundPort(_ transport: Transport, timeout: Double = 20) throws -> UInt16 {
        try waitFor("\(name) to bind a \(transport) port", timeout: timeout, interval: 0.02, detail: { self.errors }) {
            guard isRunning else { throw CommandError(description: "\(name) exited: \(errors)\(output)") }
            return Self.boundPorts(of: pid, transport).first
        }
    }

    public enum Transport: String, Sendable { case udp, tcp }

    static func boundPorts(of pid: pid_t, _ transport: Transport) -> [UInt16] {
        let fdDirectory = "/proc/\(pid)/fd"
        var inodes = Set<Substring>()
        for name in (try? FileIO.entries(of: fdDirectory)) ?? [] {
            var target = [CChar](repeating: 0, count: 64)
            let n = readlink(fdDirectory + "/" + name, &target, target.count - 1)
            guard n > 0 else { continue }
            let link = String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("socket:[") { inodes.insert(link.dropFirst(8).dropLast()) }
        }
        let table = readWholeFile("/proc/\(pid)/net/\(transport.rawValue)")
        return table.split(separator: "\n").dropFirst().compactMap { line in
            let f = line.split(separator: " ")
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode. A server's socket: on
            // 127.0.0.1 (the daemons here are told to listen there), with no peer (snmpd's
            // trap sessions are sockets too), TCP listening (0A).
            guard f.count > 9, inodes.contains(f[9]), f[2] == "00000000:0000", transport == .udp || f[3] == "0A" else { return nil }
            let local = f[1].split(separator: ":")
            guard local.count == 2, local[0] == "0100007F", let port = UInt16(local[1], radix: 16) else { return nil }
            return port
        }
    }

    /// SIGTERM, then SIGKILL after 3 s.
    public func stop() {
        guard isRunning else { return }
        if signal(SIGTERM, waitUpTo: 3) == nil { signal(SIGKILL, waitUpTo: 5) }
        unlink(logPath)
        unlink(logPath + ".err")
    }

    /// The logs go too, also those of a process that exited by itself (stop() removes only
    /// the logs of a process it stopped, so that a test can read why one exited).
    deinit {
        stop()
        unlink(logPath)
        unlink(logPath + ".err")
    }
}
