import Platform
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The traffic generator holds more connections than one process may open: worker
/// processes under the descriptor limit, from several client namespaces (the lab of the
/// large benchmarks), into one server namespace.
@Suite("mptcp-traffic worker processes", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct TrafficLabTests {
    static let limit = 300

    /// The worker processes of `parent`: pid, hard descriptor limit, open descriptors.
    func workers(of parent: pid_t) throws -> [(pid: Int32, limit: Int, fds: Int)] {
        let pids = try Command.run(["pgrep", "-P", "\(parent)"]).stdout.split(separator: "\n").compactMap { Int32($0) }
        return try pids.map { pid in
            let limits = try FileIO.readText("/proc/\(pid)/limits").split(separator: "\n")
            let line = try #require(limits.first { $0.hasPrefix("Max open files") })
            let hard = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[4]))
            return (pid, hard, try ProcessResources.of(pid).fds)
        }
    }

    @Test("1,000 connections from two client namespaces under a 300-descriptor limit: every one up, no process over it, workers stop with their parent")
    func workersUnderTheLimit() throws {
        try requireIntegration()
        let lab = try Lab(tag: "wk", clients: 2)
        defer { lab.shutdown() }
        #expect(lab.clients.count == 2)
        let traffic = Paths.executable("mptcp-traffic")
        let limited = ["prlimit", "--nofile=\(Self.limit):\(Self.limit)", traffic]
        let server = try lab.start(lab.server, limited + ["serve", "--listen", "0.0.0.0:5000", "--connections", "1000"], name: "wk-srv")
        try server.waitForOutput("listening")
        var clients: [Daemon] = []
        for (ns, count) in zip(lab.clients, [600, 400]) {
            let c = try lab.start(ns, limited + ["connect", "--to", "10.201.1.2:5000", "--count", "\(count)"], name: "wk-\(ns)")
            try c.waitForOutput("connected \(count) failed 0", timeout: 120)
            clients.append(c)
        }
        // Kernel ground truth: the server holds all of them, each with its 3 subflows.
        try waitUntil("1,000 connections with 3,000 subflows in the server namespace", timeout: 60) {
            let mptcp = try lab.exec(lab.server, ["ss", "-MnH"]).split(separator: "\n").count
            let tcp = try lab.exec(lab.server, ["ss", "-tnH", "state", "established"]).split(separator: "\n").count
            return mptcp == 1000 && tcp == 3000
        }
        for (name, d) in [("server", server)] + clients.map({ ("client \($0.name)", $0) }) {
            let w = try workers(of: d.pid)
            // 600 > 300: one process could not have held them.
            #expect(w.count >= 2, "\(name): \(w.count) workers")
            for worker in w {
                #expect(worker.limit == Self.limit, "\(name): worker \(worker.pid) has limit \(worker.limit)")
                #expect(worker.fds <= Self.limit, "\(name): worker \(worker.pid) holds \(worker.fds) descriptors")
            }
            #expect(w.reduce(0) { $0 + $1.fds } >= (d === server ? 1000 : 2 * 200), "\(name): the workers hold the sockets")
        }
        // SIGTERM to a parent stops its workers; a killed parent's workers stop on their own.
        let serverWorkers = try workers(of: server.pid).map(\.pid)
        let clientWorkers = try workers(of: clients[0].pid).map(\.pid)
        #expect(server.signal(SIGTERM, waitUpTo: 10) != nil)
        #expect(clients[0].signal(SIGKILL, waitUpTo: 10) != nil)
        try waitUntil("the workers to exit", timeout: 10) {
            (serverWorkers + clientWorkers).allSatisfy { kill($0, 0) != 0 }
        }
    }
}
