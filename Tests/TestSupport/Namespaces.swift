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

    /// Use as `.enabled(if: IntegrationEnvironment.shouldRun)`: outside CI a machine
    /// without the prerequisites skips; in CI the tests run and fail on what is missing.
    public static let shouldRun: Bool = available || isCI

    /// Why a run in CI cannot work, for the failure message; nil when all is there.
    public static var missing: String? {
        if geteuid() != 0 { return "integration tests need root (network namespaces, snmpd)" }
        if access("/proc/sys/net/mptcp/enabled", F_OK) != 0 { return "the kernel has no MPTCP" }
        return nil
    }
}

private final class NamespaceThread: @unchecked Sendable {
    let name: String
    let body: () -> Void
    var failure: String?

    init(_ name: String, _ body: @escaping () -> Void) {
        self.name = name
        self.body = body
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
        body()
    }
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

/// Runs `body` on a new thread that has entered the network namespace `name`
/// (created by `ip netns add`); the calling thread keeps its namespace.
public func inNetworkNamespace<T>(_ name: String, _ body: @escaping () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let thread = NamespaceThread(name) { box.result = Result { try body() } }
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

    /// `tag` keeps labs of different test suites apart; the pid keeps parallel runs apart.
    public init(tag: String) throws {
        prefix = "\(tag)\(getpid() % 100000)"
        try Command.check([Paths.script("mptcp-lab"), "up", prefix])
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
    }

    /// Waits until the client has `expected` MPTCP subflows (joins complete asynchronously).
    public func waitForSubflows(expected: Int, timeout: Double = 60) throws {
        let deadline = Clock.now + timeout
        var seen = 0
        while Clock.now < deadline {
            seen = try SSParser.subflows(exec(client, ["ss", "-tni"])).count
            if seen >= expected { return }
            usleep(100_000)
        }
        throw CommandError(description: "lab \(prefix): \(seen) subflows after \(timeout) s, expected \(expected)")
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
