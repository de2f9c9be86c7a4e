// Worker processes: how one command holds more sockets than one process may open. The
// hard RLIMIT_NOFILE is a per-process ceiling that root cannot always raise (a container's
// is fixed), so a large lab spreads its sockets over copies of this program, each with its
// own descriptor table.
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// Descriptors a process keeps for itself beyond its sockets (stdio, pipes, the runtime).
let reservedDescriptors = 64

/// How many sockets this process may hold: its hard descriptor limit, read (the soft
/// limit is raised to it), less the reserve.
func socketBudget() -> Int {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    let hard = limit.rlim_max >= rlim_t(Int32.max) ? Int(Int32.max) : Int(limit.rlim_max)
    return max(1, hard - reservedDescriptors)
}

/// `total` split into `parts` near-equal shares (the first ones take the remainder).
func shares(of total: Int, parts: Int) -> [Int] {
    (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
}

nonisolated(unsafe) var workersStop: sig_atomic_t = 0

/// Copies of this program started with other arguments; each prints one line when ready
/// (its stdout is a pipe to us), then runs until stopped. A worker whose parent is gone
/// stops on its own (`Worker.orphaned`).
final class WorkerGroup {
    private var workers: [(pid: pid_t, output: Int32)] = []

    /// Starts `/proc/self/exe` with `arguments`; stderr is shared.
    func spawn(_ arguments: [String]) throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw TrafficError("pipe") }
        // Close-on-exec: a worker must not hold the pipes of the workers before it.
        for fd in ends { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        let argv = (["mptcp-traffic"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, "/proc/self/exe", &actions, nil, argv, environ)
        close(ends[1])
        guard rc == 0 else {
            close(ends[0])
            throw TrafficError("posix_spawn", rc)
        }
        workers.append((pid, ends[0]))
    }

    /// The first line of each worker, in order; throws if one exits before it.
    func firstLines() throws -> [String] {
        try workers.map { worker in
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while true {
                let n = read(worker.output, &byte, 1)
                if n == 1 && byte != UInt8(ascii: "\n") {
                    line.append(byte)
                } else if n == 1 {
                    return String(decoding: line, as: UTF8.self)
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    stop()
                    throw TrafficError("worker \(worker.pid) exited before it was ready", 0)
                }
            }
        }
    }

    /// Runs until SIGINT or SIGTERM, or until a worker exits; then stops them all.
    func hold() -> Never {
        signal(SIGINT) { _ in workersStop = 1 }
        signal(SIGTERM) { _ in workersStop = 1 }
        var status: Int32 = 0
        while workersStop == 0 && waitpid(-1, &status, WNOHANG) == 0 { usleep(100_000) }
        stop()
        exit(0)
    }

    /// Stops every worker and waits for it.
    func stop() {
        for w in workers { kill(w.pid, SIGTERM) }
        var status: Int32 = 0
        for w in workers {
            waitpid(w.pid, &status, 0)
            close(w.output)
        }
        workers.removeAll()
    }
}

enum Worker {
    /// The parent a worker was started by (getppid at start).
    nonisolated(unsafe) static var parent: pid_t = 0

    static func start() { parent = getppid() }

    /// Whether this worker's parent is gone (it was killed without stopping us).
    static var orphaned: Bool { parent != 0 && getppid() != parent }
}
