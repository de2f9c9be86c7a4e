import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Whether integration tests can run here: root, `ip netns`, and MPTCP in the kernel.
/// In CI (CI=true) they must run: a test that would skip fails instead.
public enum IntegrationEnvironment {
    public static let isCI: Bool = getenv("CI").map { String(cString: $0) == "true" } ?? false

    public static let available: Bool = {
        geteuid() == 0 && access("/proc/sys/net/mptcp/enabled", F_OK) == 0
            && (try? Command.run(["ip", "-V"]).status) == 0
    }()

    /// Use as `.enabled(if: IntegrationEnvironment.shouldRun)`, with `try requireIntegration()`
    /// as each test's first line: outside CI a machine without the prerequisites skips; in CI
    /// the tests run and fail, naming what is missing.
    public static let shouldRun: Bool = available || isCI

    /// Why a run in CI cannot work, for the failure message; nil when all is there.
    public static var missing: String? {
        if geteuid() != 0 { return "integration tests need root (network namespaces, snmpd)" }
        if access("/proc/sys/net/mptcp/enabled", F_OK) != 0 { return "the kernel has no MPTCP" }
        if (try? Command.run(["ip", "-V"]).status) != 0 { return "iproute2's ip is not installed" }
        return nil
    }
}

/// Linux capability numbers the tests drop.
public enum Capability: UInt32 {
    case netAdmin = 12
}

private final class NamespaceThread: @unchecked Sendable {
    let name: String
    let drop: [Capability]
    let body: () -> Void
    var failure: String?

    init(_ name: String, drop: [Capability], _ body: @escaping () -> Void) {
        self.name = name
        self.drop = drop
        self.body = body
    }

    /// Capabilities are per thread: drop some from this thread's effective and permitted
    /// sets (glibc has capset but no header for it).
    func dropCapabilities() -> Bool {
        guard !drop.isEmpty else { return true }
        typealias CapGetSet = @convention(c) (UnsafeMutableRawPointer, UnsafeMutableRawPointer) -> Int32
        guard let get = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "capget"),
              let set = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "capset") else { return false }
        var header: (UInt32, Int32) = (0x2008_0522, 0)  // _LINUX_CAPABILITY_VERSION_3, this thread
        var data = [UInt32](repeating: 0, count: 6)  // 2 x {effective, permitted, inheritable}
        return withUnsafeMutableBytes(of: &header) { h in
            data.withUnsafeMutableBytes { d in
                guard unsafeBitCast(get, to: CapGetSet.self)(h.baseAddress!, d.baseAddress!) == 0 else { return false }
                let words = d.bindMemory(to: UInt32.self)
                for cap in drop {
                    let word = Int(cap.rawValue / 32) * 3, bit = UInt32(1) << (cap.rawValue % 32)
                    words[word] &= ~bit
                    words[word + 1] &= ~bit
                }
                return unsafeBitCast(set, to: CapGetSet.self)(h.baseAddress!, d.baseAddress!) == 0
            }
        }
    }

    func main() {
        // Glibc's module map does not export setns (a _GNU_SOURCE function): look it up.
        typealias SetNS = @convention(c) (Int32, Int32) -> Int32
        let cloneNewNet: Int32 = 0x4000_0000
        let fd = open("/var/run/netns/" + name, O_RDONLY)
        guard fd >= 0, let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns"),
              unsafeBitCast(sym, to: SetNS.self)(fd, cloneNewNet) == 0 else {
            failure = "cannot enter network namespace \(name): \(String(cString: strerror(errno)))"
            if fd >= 0 { close(fd) }
            return
        }
        close(fd)
        guard dropCapabilities() else {
            failure = "cannot drop capabilities \(drop): \(String(cString: strerror(errno)))"
            return
        }
        body()
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// Runs `body` on a new thread that has entered the network namespace `name`
/// (created by `ip netns add`) and dropped the capabilities `drop`; the calling thread
/// keeps its namespace and capabilities.
public func inNetworkNamespace<T>(_ name: String, dropping drop: [Capability] = [],
                                  _ body: @escaping () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let thread = NamespaceThread(name, drop: drop) { box.result = Result { try body() } }
    var handle = pthread_t()
    let rc = pthread_create(&handle, nil, { arg in
        Unmanaged<NamespaceThread>.fromOpaque(arg!).takeUnretainedValue().main()
        return nil
    }, Unmanaged.passUnretained(thread).toOpaque())
    guard rc == 0 else { throw CommandError(description: "pthread_create: \(rc)") }
    pthread_join(handle, nil)
    if let failure = thread.failure { throw CommandError(description: failure) }
    return try box.result!.get()
}

/// The MPTCP lab of `scripts/mptcp-lab`: two namespaces joined by three veth pairs.
/// Torn down by `shutdown()` (call it in a `defer`) and, as a safety net, on deinit.
public final class Lab: @unchecked Sendable {
    public let prefix: String
    public var client: String { prefix + "-cli" }
    public var server: String { prefix + "-srv" }
    private var daemons: [Daemon] = []
    private var isUp = false

    /// The tags of the labs this process has made: each lab has its own, so that what a lab
    /// left (its namespaces, its interfaces) never meets another lab of the run.
    private static let tags = Mutex(Set<String>())

    /// The client namespaces: `client` and, with several clients, `client2` ...
    public let clients: [String]

    /// `tag` (letters, at most 4, unique in the run) keeps the labs of a run apart;
    /// `TestRun.owner` (mmt and the pid) keeps runs apart and lets the sweep find leftovers.
    /// `clients`: client namespaces (see scripts/mptcp-lab).
    public init(tag: String, clients: Int = 1) throws {
        let prefix = TestRun.owner + tag
        self.prefix = prefix
        let room = clients == 1 ? 12 : 11
        guard !tag.isEmpty, tag.allSatisfy({ $0.isLetter }), prefix.count <= room else {
            throw CommandError(description: "lab tag '\(tag)': letters only, and '\(prefix)' must fit \(room) characters")
        }
        self.clients = (1...clients).map { $0 == 1 ? prefix + "-cli" : prefix + "-cli\($0)" }
        guard Self.tags.withLock({ $0.insert(tag).inserted }) else {
            throw CommandError(description: "lab tag '\(tag)' is used by another lab of this run")
        }
        try Command.check([Paths.script("mptcp-lab"), "up", prefix, "\(clients)"])
        isUp = true
    }

    /// Runs a command inside namespace `ns`.
    @discardableResult
    public func exec(_ ns: String, _ argv: [String], timeout: Double = 120) throws -> String {
        try Command.check(["ip", "netns", "exec", ns] + argv, timeout: timeout)
    }

    /// Starts a long-running program inside namespace `ns`; stopped by `shutdown()`.
    @discardableResult
    public func start(_ ns: String, _ argv: [String], name: String) throws -> Daemon {
        let d = try Daemon(["ip", "netns", "exec", ns] + argv, name: name)
        daemons.append(d)
        return d
    }

    /// `mptcp-traffic` servers: MPTCP on 5000 (v4) and 5001 (v6), plain TCP on 5002.
    public func startServers() throws {
        let traffic = Paths.executable("mptcp-traffic")
        try start(server, [traffic, "serve", "--listen", "0.0.0.0:5000", "--listen", "[::]:5001"], name: "srv-mptcp")
            .waitForOutput("listening")
        try start(server, [traffic, "serve", "--tcp", "--listen", "0.0.0.0:5002"], name: "srv-tcp")
            .waitForOutput("listening")
    }

    /// Opens `v4` + `v6` MPTCP connections and `fallback` plain-TCP-server connections
    /// from the client, and waits until every MPTCP connection has all its subflows.
    public func connect(v4: Int, v6: Int, fallback: Int = 0, bytes: Int = 1000) throws {
        let traffic = Paths.executable("mptcp-traffic")
        for (count, target, name) in [(v4, "10.201.1.2:5000", "cli-v4"), (v6, "[fd00:201:1::2]:5001", "cli-v6"),
                                      (fallback, "10.201.1.2:5002", "cli-fallback")] where count > 0 {
            try start(client, [traffic, "connect", "--to", target, "--count", "\(count)", "--bytes", "\(bytes)"],
                      name: name).waitForOutput("connected \(count) failed 0", timeout: 120)
        }
        try waitForSubflows(expected: 3 * v4 + 3 * v6 + fallback)
        try waitUntilQuiet()
    }

    /// Waits until the client's sockets stop changing (MPTCP may re-send data at the
    /// connection level shortly after the joins): ground truth taken before that would
    /// race with the kernel. Only the time-since counters (`lastsnd` etc.) may move.
    public func waitUntilQuiet(stable: Double = 2, timeout: Double = 30) throws {
        func state() throws -> String {
            let text = try exec(client, ["ss", "-Mni"]) + exec(client, ["ss", "-tni"])
            return text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                .filter { !$0.hasPrefix("lastsnd:") && !$0.hasPrefix("lastrcv:") && !$0.hasPrefix("lastack:") }
                .joined(separator: " ")
        }
        var last = try state(), since = MonotonicClock.now
        try waitUntil("lab \(prefix): the sockets to stay unchanged for \(stable) s", timeout: timeout, interval: 0.25) {
            let now = try state()
            if now != last {
                last = now
                since = MonotonicClock.now
                return false
            }
            return MonotonicClock.now - since >= stable
        }
    }

    /// Waits until the client has `expected` MPTCP subflows (joins complete asynchronously).
    public func waitForSubflows(expected: Int, timeout: Double = 60) throws {
        var seen = 0
        try waitUntil("lab \(prefix): \(expected) subflows", timeout: timeout, interval: 0.1, detail: { "\(seen) seen" }) {
            seen = try SSParser.subflows(exec(client, ["ss", "-tni"])).count
            return seen >= expected
        }
    }

    public func shutdown() {
        daemons.reversed().forEach { $0.stop() }
        daemons.removeAll()
        if isUp {
            _ = try? Command.run([Paths.script("mptcp-lab"), "down", prefix])
            isUp = false
        }
    }

    deinit { shutdown() }
}
