// Benchmark probes that need an in-process SNMP client (a process per request would
// measure process start-up, not the agent), and one of the MIB view alone.
import ArgumentParser
import MPTCPMIBView
import MPTCPModel
import NetSNMP
import Platform
import SMI

#if canImport(Glibc)
import Glibc
#endif

@main
struct MPTCPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mptcp-bench", abstract: "Benchmark probes for mptcp-agentx.", subcommands: [Latency.self, Poll.self, Walk.self, ViewWalk.self])
}

struct Latency: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GET one OID repeatedly (SNMPv2c) and print latency percentiles in milliseconds.")

    @Option(help: "Agent, e.g. 127.0.0.1:16161.") var target: String
    @Option(help: "Dotted OID to GET.") var oid: String
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Pause between GETs, milliseconds.") var intervalMs = 5.0

    func run() throws {
        let session = try benchSession(target, timeout: 2)
        let name = try dottedOID(oid)
        var samples: [Double] = []
        var failures = 0
        let end = MonotonicClock.now + duration
        while MonotonicClock.now < end {
            let t0 = MonotonicClock.now
            do { _ = try session.get([name]) } catch { failures += 1 }
            samples.append((MonotonicClock.now - t0) * 1000)
            usleep(UInt32(intervalMs * 1000))
        }
        print("gets \(samples.count) failures \(failures) \(percentiles(samples))")
    }
}

struct Poll: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Poll subtrees repeatedly (SNMPv2c GETBULK walks of each, one after the other, as an NMS polls a table) and print the poll time's percentiles in milliseconds.")

    @Option(help: "Agent, e.g. 127.0.0.1:16161.") var target: String
    @Option(help: "Dotted OID of a subtree; repeat for several, walked in order.") var oid: [String]
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Pause between polls, milliseconds.") var intervalMs = 20.0

    func run() throws {
        let session = try benchSession(target, timeout: 2)
        let roots = try oid.map(dottedOID)
        var samples: [Double] = []
        var failures = 0
        var varbinds = 0
        let end = MonotonicClock.now + duration
        while MonotonicClock.now < end {
            let t0 = MonotonicClock.now
            var count = 0
            do {
                for root in roots { try session.walk(root, repetitions: 50) { _ in count += 1 } }
                samples.append((MonotonicClock.now - t0) * 1000)
                varbinds = count
            } catch { failures += 1 }
            usleep(UInt32(intervalMs * 1000))
        }
        print("polls \(samples.count) failures \(failures) varbinds \(varbinds) \(percentiles(samples))")
    }
}

/// The value of an --oid option.
func dottedOID(_ text: String) throws -> OID {
    guard let oid = OID(dotted: text) else { throw ValidationError("--oid: not a dotted OID: \(text)") }
    return oid
}

/// "p50-ms A p99-ms B max-ms C" of samples in milliseconds.
func percentiles(_ samples: [Double]) -> String {
    let sorted = samples.sorted()
    func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    func f(_ v: Double) -> String { "\((v * 100).rounded() / 100)" }
    return "p50-ms \(f(pct(0.5))) p99-ms \(f(pct(0.99))) max-ms \(f(sorted.last ?? 0))"
}

struct Walk: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bulk-walk a subtree (SNMPv2c GETBULK) with net-snmp's library, decoding every varbind but printing none, and print the count and seconds.",
        discussion: "snmpbulkwalk spends about as long formatting each line as an agent takes to produce it; this measures the agent.")

    @Option(help: "Agent, e.g. 127.0.0.1:16161.") var target: String
    @Option(help: "Dotted OID of the subtree.") var oid: String
    @Option(help: "GETBULK max-repetitions.") var repetitions = 50
    @Option(help: "Stop after this many varbinds (the rate of a walk's first part, where a whole walk takes minutes).")
    var limit: Int?

    /// Thrown by the walk's body to end it at `limit`.
    private struct Enough: Error {}

    func run() throws {
        let session = try benchSession(target, timeout: 10)
        let root = try dottedOID(oid)
        var count = 0
        let start = MonotonicClock.now
        do {
            try session.walk(root, repetitions: repetitions) { vb in
                _ = vb.value
                count += 1
                if let limit, count >= limit { throw Enough() }
            }
        } catch is Enough {}
        print("varbinds \(count) seconds \(MonotonicClock.now - start)")
    }
}

struct ViewWalk: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view-walk",
        abstract: "Walk a subtree of the MIB view over a synthetic snapshot in-process (GETNEXT after GETNEXT, no SNMP) and print the count and the best nanoseconds per varbind.",
        discussion: "The agent's own share of a walk: what `walk` measures less AgentX, snmpd and the client.")

    @Option(help: "Synthetic connections (3 subflows each).") var connections = 10000
    @Option(help: "Dotted OID of the subtree.") var oid: String
    @Option(help: "Walks; the fastest counts.") var rounds = 5

    func run() throws {
        let root = try dottedOID(oid)
        let view = MIBView(snapshot: Snapshot.synthetic(connections: connections))
        var best = Double.infinity
        var count = 0
        for _ in 0..<rounds {
            let start = MonotonicClock.now
            var at = root
            count = 0
            while let (next, _) = view.next(after: at), next.hasPrefix(root) {
                at = next
                count += 1
            }
            best = min(best, MonotonicClock.now - start)
        }
        print("varbinds \(count) ns-per-varbind \(Int(best * 1e9 / Double(max(count, 1))))")
    }
}

/// The private snmpd's v2c community; no retries, so that a slow answer counts as one.
func benchSession(_ target: String, timeout: Double) throws -> SNMPSession {
    var options = SessionOptions()
    options.version = "2c"
    options.community = "public"
    options.timeout = timeout
    options.retries = 0
    return try SNMPSession(target: target, options: options)
}
