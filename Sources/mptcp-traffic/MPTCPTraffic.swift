// Test, demo and benchmark traffic: MPTCP (or plain TCP) servers, many long-lived
// client connections, and connection churn. Run each side inside its namespace.
import ArgumentParser
import Platform

#if canImport(Glibc)
import Glibc
#endif

let ipprotoMPTCP: Int32 = 262

struct Target: ExpressibleByArgument {
    var address: sockaddr_storage
    var length: socklen_t
    var family: Int32
    var text: String

    init?(argument: String) {
        // ADDR:PORT or [V6ADDR]:PORT
        guard let colon = argument.lastIndex(of: ":") else { return nil }
        var host = String(argument[..<colon])
        guard let port = UInt16(argument[argument.index(after: colon)...]) else { return nil }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        var v4 = sockaddr_in()
        var v6 = sockaddr_in6()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            self.init(v4, family: AF_INET, text: argument)
        } else if inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 {
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            self.init(v6, family: AF_INET6, text: argument)
        } else {
            return nil
        }
    }

    /// Calls `body` with the address as the `sockaddr` pointer and length that bind(2) and
    /// connect(2) take.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var addr = address
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }

    /// A `sockaddr_in` or `sockaddr_in6` held in a `sockaddr_storage`.
    private init<Address>(_ socketAddress: Address, family: Int32, text: String) {
        var storage = sockaddr_storage()
        withUnsafeBytes(of: socketAddress) { src in withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: src) } }
        address = storage
        length = socklen_t(MemoryLayout<Address>.size)
        self.family = family
        self.text = text
    }
}

struct TrafficError: Error, CustomStringConvertible {
    var description: String
    init(_ what: String, _ code: Int32 = errno) {
        description = "\(what): \(String(cString: strerror(code)))"
    }
}

func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

func makeSocket(_ family: Int32, tcp: Bool) throws -> Int32 {
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), tcp ? Int32(IPPROTO_TCP) : ipprotoMPTCP)
    guard fd >= 0 else { throw TrafficError(tcp ? "TCP socket" : "MPTCP socket") }
    return fd
}

/// The server that the client commands connect to.
struct Server: ParsableArguments {
    @Option(help: "Server ADDR:PORT.") var to: Target

    /// A new MPTCP (or plain TCP) socket connecting to the server, with connect(2)'s result
    /// (0, or -1 with errno).
    func connect(tcp: Bool, nonBlocking: Bool = false) throws -> (fd: Int32, result: Int32) {
        let fd = try makeSocket(to.family, tcp: tcp)
        if nonBlocking { setNonBlocking(fd) }
        return (fd, to.withSockaddr { Glibc.connect(fd, $0, $1) })
    }
}

func setNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}

func say(_ line: String) {
    let text = Array((line + "\n").utf8)
    _ = text.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
}

/// poll(2) over many sockets (Glibc's module map has no epoll). Closed sockets are
/// dropped from the set with `remove`. The methods stay out of line: inlined into a
/// caller that holds the Poller on its stack, Swift 6.3's optimised build merged their
/// access scopes across the event loop and aborted with "simultaneous accesses".
final class Poller {
    private var fds: [pollfd] = []
    private var slot: [Int32: Int] = [:]

    @inline(never)
    func add(_ socket: Int32, events: Int16) {
        slot[socket] = fds.count
        fds.append(pollfd(fd: socket, events: events, revents: 0))
    }

    @inline(never)
    func modify(_ socket: Int32, events: Int16) {
        if let i = slot[socket] { fds[i].events = events }
    }

    @inline(never)
    func remove(_ socket: Int32) {
        guard let i = slot.removeValue(forKey: socket) else { return }
        let last = fds.removeLast()
        if i < fds.count {
            fds[i] = last
            slot[last.fd] = i
        }
    }

    /// Calls `handle` for each ready socket; `handle` may add and remove sockets.
    @inline(never)
    func wait(timeoutMs: Int32, _ handle: (Int32) -> Void) {
        let count = nfds_t(fds.count)
        guard poll(&fds, count, timeoutMs) > 0 else { return }
        fds.filter { $0.revents != 0 }.map(\.fd).forEach(handle)
    }
}

@main
struct MPTCPTraffic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mptcp-traffic",
        abstract: "Generate MPTCP traffic for tests, demos and benchmarks.",
        subcommands: [Serve.self, Connect.self, Churn.self])
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen on each address, echo what clients send; prints 'listening' when ready.")

    @Option(help: "ADDR:PORT or [ADDR6]:PORT to listen on (repeatable).") var listen: [Target]
    @Flag(help: "Plain TCP instead of MPTCP (makes MPTCP clients fall back).") var tcp = false
    @Flag(help: "IPv6 listeners accept IPv6 only (IPV6_V6ONLY); by default a [::] listener also accepts IPv4.") var v6only = false
    @Option(help: ArgumentHelp("Connections to be held at once (0: a few).",
                               discussion: "Above half of what one process may hold (its hard descriptor limit), worker processes share each port (SO_REUSEPORT), the kernel spreading the connections over them."))
    var connections = 0
    @Flag(help: .hidden) var worker = false

    /// Worker processes needed for `connections`: each holds at most half its budget on
    /// average, as SO_REUSEPORT spreads connections by hash, not evenly.
    var workers: Int {
        let share = max(1, socketBudget() / 2)
        return worker ? 1 : max(1, (connections + share - 1) / share)
    }

    func run() throws {
        raiseFileLimit()
        let workers = workers
        if workers > 1 {
            let group = WorkerGroup()
            for _ in 0..<workers {
                try group.spawn(["serve"] + listen.flatMap { ["--listen", $0.text] } + (tcp ? ["--tcp"] : [])
                                + (v6only ? ["--v6only"] : []) + ["--worker"])
            }
            _ = try group.firstLines()
            say("listening (\(workers) processes)")
            group.hold()
        }
        if worker { Worker.start() }
        let poller = Poller()
        var listeners: Set<Int32> = []
        for target in listen {
            let fd = try makeSocket(target.family, tcp: tcp)
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            var only: Int32 = v6only ? 1 : 0
            if target.family == AF_INET6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &only, socklen_t(MemoryLayout<Int32>.size)) }
            if worker { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size)) }
            guard target.withSockaddr({ bind(fd, $0, $1) }) == 0 else { throw TrafficError("bind \(target.text)") }
            guard Glibc.listen(fd, 4096) == 0 else { throw TrafficError("listen \(target.text)") }
            setNonBlocking(fd)
            poller.add(fd, events: Int16(POLLIN))
            listeners.insert(fd)
        }
        say("listening")
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !Worker.orphaned {
            poller.wait(timeoutMs: worker ? 1000 : -1) { fd in
                if listeners.contains(fd) {
                    while true {
                        let c = accept(fd, nil, nil)
                        guard c >= 0 else { break }
                        setNonBlocking(c)
                        poller.add(c, events: Int16(POLLIN))
                    }
                    return
                }
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n == 0 || (n < 0 && errno != EAGAIN) {
                    poller.remove(fd)
                    close(fd)
                } else if n > 0 {
                    _ = buffer.withUnsafeBytes { write(fd, $0.baseAddress, n) }  // best-effort echo
                }
            }
        }
    }
}

struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open COUNT connections, send BYTES on each, print 'connected N', hold until killed.")

    @OptionGroup var server: Server
    @Option(help: "Number of connections.") var count = 1
    @Option(help: "Bytes to send on each connection once established.") var bytes = 1000
    @Option(help: "Connections being opened at once.") var window = 256
    @Flag(help: "Plain TCP instead of MPTCP.") var tcp = false
    @Flag(help: "Exit after all connections are up instead of holding them.") var noHold = false
    @Option(help: "While holding, send BYTES again on each connection every N milliseconds (0: only once).") var everyMs = 0
    @Flag(help: "Shut down the sending side of each connection once BYTES are sent (it half-closes).") var shutdownWrite = false
    @Flag(help: .hidden) var worker = false

    func validate() throws {
        if shutdownWrite && everyMs > 0 { throw ValidationError("--shutdown-write: nothing can be sent after it, so not with --every-ms") }
    }

    /// This command for one worker's share.
    func workerArguments(count: Int) -> [String] {
        ["connect", "--to", server.to.text, "--count", "\(count)", "--bytes", "\(bytes)", "--window", "\(window)",
         "--every-ms", "\(everyMs)", "--worker"]
            + (tcp ? ["--tcp"] : []) + (noHold ? ["--no-hold"] : []) + (shutdownWrite ? ["--shutdown-write"] : [])
    }

    func run() throws {
        raiseFileLimit()
        // A connection the peer reset fails its next write with EPIPE, not the process.
        signal(SIGPIPE, SIG_IGN)
        let budget = socketBudget()
        if !worker && count > budget {
            // More than one process may hold: worker processes, each under the limit.
            let group = WorkerGroup()
            let parts = (count + budget - 1) / budget
            for share in shares(of: count, parts: parts) { try group.spawn(workerArguments(count: share)) }
            var established = 0, failed = 0
            for line in try group.firstLines() {
                let words = line.split(separator: " ")
                guard words.count >= 4, let e = Int(words[1]), let f = Int(words[3]) else {
                    group.stop()
                    throw TrafficError("a worker said '\(line)'", 0)
                }
                established += e
                failed += f
            }
            say("connected \(established) failed \(failed) (\(parts) processes)")
            if noHold { return group.stop() }
            group.hold()
        }
        if worker { Worker.start() }
        let poller = Poller()
        var pending = 0, established = 0, failed = 0, opened = 0
        let payload = [UInt8](repeating: 0x6d, count: bytes)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var done: Set<Int32> = []
        var open: Set<Int32> = []  // established, not closed
        func send(_ fd: Int32) {
            if !payload.isEmpty { _ = payload.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }
        }
        while established + failed < count {
            while pending < window && opened < count {
                let (fd, result) = try server.connect(tcp: tcp, nonBlocking: true)
                guard result == 0 || errno == EINPROGRESS else { throw TrafficError("connect \(server.to.text)") }
                poller.add(fd, events: Int16(POLLOUT))
                pending += 1
                opened += 1
            }
            if Worker.orphaned { Glibc.exit(1) }
            poller.wait(timeoutMs: 1000) { fd in
                guard !done.contains(fd) else {
                    _ = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    return
                }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                pending -= 1
                done.insert(fd)
                if err != 0 {
                    failed += 1
                    poller.remove(fd)
                    close(fd)
                    return
                }
                established += 1
                open.insert(fd)
                send(fd)
                if shutdownWrite { shutdown(fd, Int32(SHUT_WR)) }
                poller.modify(fd, events: Int16(POLLIN))
            }
        }
        say("connected \(established) failed \(failed)")
        if noHold { return }
        var due = MonotonicClock.now + Double(everyMs) / 1000
        while !Worker.orphaned {
            let untilDue = everyMs > 0 ? Int32(max(0, (due - MonotonicClock.now) * 1000)) : -1
            poller.wait(timeoutMs: worker && (untilDue < 0 || untilDue > 1000) ? 1000 : untilDue) { fd in
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n == 0 {  // server went away
                    poller.remove(fd)
                    open.remove(fd)
                    close(fd)
                }
            }
            if everyMs > 0 && MonotonicClock.now >= due {
                open.forEach(send)
                due += Double(everyMs) / 1000
            }
        }
    }
}

nonisolated(unsafe) var stopChurn: sig_atomic_t = 0

struct Churn: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open RATE connections per second, each closed HOLD milliseconds later, for DURATION seconds (0: until killed).")

    @OptionGroup var server: Server
    @Option(help: "Connections per second.") var rate = 100
    @Option(help: "Milliseconds each connection stays open (long enough for its joins).") var holdMs = 200.0
    @Option(help: "Seconds to run; 0 runs until killed.") var duration = 0.0

    func run() throws {
        let start = MonotonicClock.now
        func elapsed() -> Double { MonotonicClock.now - start }
        var made = 0, failed = 0
        var open: [(fd: Int32, since: Double)] = []  // oldest first
        let byte: [UInt8] = [1]
        // Stop on SIGINT/SIGTERM and report what was done.
        signal(SIGINT) { _ in stopChurn = 1 }
        signal(SIGTERM) { _ in stopChurn = 1 }
        say("churning")
        while (duration == 0 || elapsed() < duration) && stopChurn == 0 {
            let (fd, result) = try server.connect(tcp: false)
            if result == 0 {
                _ = byte.withUnsafeBytes { write(fd, $0.baseAddress, 1) }
                made += 1
                open.append((fd, elapsed()))
            } else {
                failed += 1
                close(fd)
            }
            while let first = open.first, elapsed() - first.since >= holdMs / 1000 {
                close(first.fd)
                open.removeFirst()
            }
            // Pace to RATE per second overall, not per iteration.
            let ahead = Double(made + failed) / Double(rate) - elapsed()
            if ahead > 0 { usleep(UInt32(ahead * 1e6)) }
        }
        open.forEach { close($0.fd) }
        say("churned \(made) failed \(failed)")
    }
}
