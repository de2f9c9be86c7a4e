import MPTCPMIB
import MPTCPMIBView
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Plain network namespaces for context tests, deleted by `shutdown()`.
final class Namespaces {
    private(set) var names: [String] = []

    func add(_ name: String) throws {
        try Command.check(["ip", "netns", "add", name])
        names.append(name)
        try Command.check(["ip", "-n", name, "link", "set", "lo", "up"])
    }

    func delete(_ name: String) throws {
        try Command.check(["ip", "netns", "del", name])
        names.removeAll { $0 == name }
    }

    func shutdown() {
        for name in names { _ = try? Command.run(["ip", "netns", "del", name]) }
        names.removeAll()
    }

    deinit { shutdown() }
}

/// mptcp-agentx in the test's own namespace serving others as contexts, behind a private
/// snmpd whose SNMPv3 user reaches every context and whose communities `comm-NAME` map to
/// the contexts of `communityContexts`.
final class ContextAgent {
    let snmpd: PrivateSNMPD
    let agent: Daemon

    init(tag: String, arguments: [String], communityContexts: [String] = []) throws {
        let u = PrivateSNMPD.v3User
        var lines = [
            PrivateSNMPD.v3UserLine,
            "group mptcpadmins usm \(u.name)",
            "view everything included .1",
            // prefix "": every context, the default one included.
            "access mptcpadmins \"\" usm priv prefix everything everything none",
        ]
        for (i, context) in communityContexts.enumerated() {
            lines += ["com2sec -Cn \(context) sec\(i) 127.0.0.1 comm-\(context)", "group grp\(i) v2c sec\(i)",
                      "access grp\(i) \(context) v2c noauth exact everything none none"]
        }
        snmpd = try PrivateSNMPD(tag: tag, extraConfiguration: lines.joined(separator: "\n"))
        agent = try Daemon([Paths.executable("mptcp-agentx"), "-f", "-C", TestRun.emptyAgentConfiguration,
                            "-x", "unix:" + snmpd.socketPath, "--log-level", "info"]
                           + arguments, name: "mptcp-agentx-contexts")
        try agent.waitForOutput("AgentX subagent connected", timeout: 20)
    }

    func v3(_ context: String? = nil) -> SNMPTools {
        var t = SNMPTools.v3(target: snmpd.target)
        t.context = context
        return t
    }

    func community(_ context: String) -> SNMPTools {
        var t = SNMPTools(target: snmpd.target)
        t.community = "comm-" + context
        return t
    }

    /// mptcpContextState of `name` (1 serving, 2 unavailable), nil without a row. A GET that
    /// meets a context being registered may fail once (see README "Contexts"): it is asked again.
    func state(_ name: String) throws -> UInt64? {
        let oid = MPTCPMIB.ContextTable.state.oid + [UInt32(name.utf8.count)] + name.utf8.map(UInt32.init)
        do { return try v3().get([oid.dotted]).first?.number } catch {
            raced += 1
            return try v3().get([oid.dotted]).first?.number
        }
    }

    /// Requests that met a registration change and had to be asked again.
    private(set) var raced = 0

    /// Waits until `name`'s state is `want` (nil: no row).
    func waitForState(_ name: String, _ want: UInt64?, timeout: Double = 10) throws {
        try waitUntil("context \(name) to have state \(String(describing: want))", timeout: timeout, detail: {
            let log = agent.errors.split(separator: "\n").suffix(12).joined(separator: "\n")
            return "state \(String(describing: try? state(name))); the agent's last lines:\n\(log)"
        }) { try state(name) == want }
    }

    func limit(_ tools: SNMPTools) throws -> String? {
        try tools.get([MPTCPMIB.General.limitSubflows.oid.dotted + ".0"]).first?.value
    }

    /// Open descriptors and threads of the agent.
    func resources() throws -> ProcessResources { try ProcessResources.of(agent.pid) }

    func shutdown() {
        agent.stop()
        snmpd.shutdown()
    }
}

@Suite("Network namespaces as SNMP contexts", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct NamespaceContextTests {
    typealias G = MPTCPMIB.General
    /// A namespace of this test: `TestRun.owner` (swept after a crash, apart from other runs) and `what`.
    static func namespace(_ what: String) -> String { TestRun.owner + what }

    @Test("Three namespaces: each context equals its namespace, SETs stay in theirs, communities map to contexts")
    func threeNamespaces() throws {
        try requireIntegration()
        let lab = try Lab(tag: "nx")
        defer { lab.shutdown() }
        let spaces = Namespaces()
        defer { spaces.shutdown() }
        let a = Self.namespace("nxa"), b = Self.namespace("nxb")
        try spaces.add(a)
        try spaces.add(b)
        try Command.check(["ip", "-n", a, "mptcp", "limits", "set", "subflows", "3", "add_addr_accepted", "1"])
        try Command.check(["ip", "-n", a, "mptcp", "endpoint", "add", "127.0.0.1", "id", "7", "signal"])
        try Command.check(["ip", "-n", b, "mptcp", "limits", "set", "subflows", "6", "add_addr_accepted", "4"])
        try Command.check(["ip", "netns", "exec", b, "sysctl", "-q", "-w", "net.mptcp.add_addr_timeout=60"])

        // Started before the traffic, so that the lab's context sees the announcements too.
        let s = try ContextAgent(tag: "nx", arguments: ["--namespaces", "\(lab.client),\(a),\(b)"], communityContexts: [a, b])
        defer { s.shutdown() }
        for name in [lab.client, a, b] { try s.waitForState(name, 1) }
        try lab.startServers()
        try lab.connect(v4: 6, v6: 3, fallback: 1)

        // The lab's context: exactly what its kernel says.
        let before = try KernelTruth.read(lab, lab.client)
        let walk = try s.v3(lab.client).bulkWalk()
        let after = try KernelTruth.read(lab, lab.client)
        let peer = IPMPTCPParser.endpoints(try lab.exec(lab.server, ["ip", "mptcp", "endpoint", "show"]))
        let expected = ExpectedMIB(truth: before, countersAfter: after.counters, announcedBy: peer, bytesPerConnection: 1000)
        let differences = expected.differences(walk)
        #expect(differences.isEmpty, "\(differences.prefix(30).joined(separator: "\n"))")
        #expect(walk.filter { $0.oid.hasPrefix(MPTCPMIB.SubflowTable.state.oid) }.count == 28)  // 9 x 3, and the fallback's one

        // The other two: their own endpoints, limits and settings, and no connections.
        let endpointIDs = MPTCPMIB.EndpointTable.flags.oid
        let walkA = try s.v3(a).bulkWalk()
        #expect(walkA.filter { $0.oid.hasPrefix(endpointIDs) }.map { $0.oid.last } == [7])
        #expect(walkA.first { $0.oid == G.limitSubflows.oid + [0] }?.value == "3")
        #expect(walkA.first { $0.oid == G.limitAddAddrAccepted.oid + [0] }?.value == "1")
        #expect(!walkA.contains { $0.oid.hasPrefix(MPTCPMIB.ConnectionTable.oid) })
        let walkB = try s.v3(b).bulkWalk()
        #expect(!walkB.contains { $0.oid.hasPrefix(endpointIDs) })
        #expect(walkB.first { $0.oid == G.limitSubflows.oid + [0] }?.value == "6")
        #expect(walkB.first { $0.oid == G.addAddrTimeout.oid + [0] }?.value == "60")
        // Contexts are listed in the default context only, which still serves this namespace.
        #expect(!walkA.contains { $0.oid.hasPrefix(MPTCPMIB.ContextTable.oid) })
        let rootLimits = IPMPTCPParser.limits(try Command.check(["ip", "mptcp", "limits", "show"]))
        #expect(try s.limit(s.v3()) == rootLimits["subflows"].map { "\($0)" })
        let contexts = try s.v3().walk(MPTCPMIB.ContextTable.namespace.oid.dotted).compactMap(\.octets)
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(Set(contexts) == Set([lab.client, a, b].map { "/run/netns/" + $0 }))

        // A SET in context a changes a only.
        let limit = G.limitSubflows.oid.dotted + ".0"
        let rootBefore = try Command.check(["ip", "mptcp", "limits", "show"])
        let labBefore = try lab.exec(lab.client, ["ip", "mptcp", "limits", "show"])
        #expect(try s.v3(a).set([(limit, "u", "5")]) == .set(SNMPTools.parse(".\(limit) = Gauge32: 5")))
        #expect(try Command.check(["ip", "-n", a, "mptcp", "limits", "show"]).contains("subflows 5"))
        #expect(try Command.check(["ip", "-n", b, "mptcp", "limits", "show"]).contains("subflows 6"))
        #expect(try Command.check(["ip", "mptcp", "limits", "show"]) == rootBefore)
        #expect(try lab.exec(lab.client, ["ip", "mptcp", "limits", "show"]) == labBefore)

        // SNMPv2c: each community sees its context only.
        #expect(try s.limit(s.community(a)) == "5")
        #expect(try s.limit(s.community(b)) == "6")
        let listed = try s.community(a).walk(MPTCPMIB.ContextTable.oid.dotted)
        #expect(listed.allSatisfy { ["noSuchObject", "noSuchInstance", "endOfMibView"].contains($0.type) }, "\(listed)")
    }

    @Test("Namespaces created and deleted while walks run: contexts follow, others unaffected, no descriptor leak")
    func namespacesComeAndGo() throws {
        try requireIntegration()
        let spaces = Namespaces()
        defer { spaces.shutdown() }
        let steady = Self.namespace("nxs")
        try spaces.add(steady)
        try Command.check(["ip", "-n", steady, "mptcp", "limits", "set", "subflows", "4"])
        // This test's names only: another run's namespaces would move the descriptor count.
        let s = try ContextAgent(tag: "nd", arguments: ["--namespaces", Self.namespace("nx*")])
        defer { s.shutdown() }
        try s.waitForState(steady, 1)
        let threads = try s.resources().threads
        // Walks of the steady context and of the default one, back to back, all along.
        // Retries as an NMS has them (net-snmp's default is 5).
        let v3 = (["-v3"] + PrivateSNMPD.v3Options + ["-t", "3", "-r", "2"]).joined(separator: " ")
        let walker = try Daemon(["sh", "-c", """
            while :; do
              snmpbulkwalk \(v3) -n \(steady) \(s.snmpd.target) 1.3.6.1.3.8684 > /dev/null 2>&1 && echo OK || echo FAIL
              snmpbulkwalk \(v3) \(s.snmpd.target) 1.3.6.1.3.8684.1.1 > /dev/null 2>&1 && echo OK || echo FAIL
            done
            """], name: "context-walker", environment: ["MIBS": ""])
        defer { walker.stop() }
        // The walks give the two polled contexts their background refresher (a thread and
        // its sockets) after one cache TTL; a first cycle settles what is allocated once.
        try waitUntil("two walks of each context and the refreshers' threads", timeout: 30) {
            try walker.output.split(separator: "\n").filter { $0 == "OK" }.count >= 4 && s.resources().threads >= threads + 2
        }
        let probe = Self.namespace("nxc")
        try spaces.add(probe)
        try s.waitForState(probe, 1)
        try spaces.delete(probe)
        try s.waitForState(probe, nil)
        // Refreshers start one cache TTL after their context is first polled: the baseline
        // is taken once descriptors and threads have stayed the same for two seconds.
        var settled = try s.resources(), since = MonotonicClock.now
        try waitUntil("the agent's descriptors and threads to settle", timeout: 30, interval: 0.25) {
            let now = try s.resources()
            if now.fds != settled.fds || now.threads != settled.threads { settled = now; since = MonotonicClock.now }
            return MonotonicClock.now - since >= 2
        }
        let before = try s.resources()
        let started = MonotonicClock.now
        for i in 0..<100 {
            let name = Self.namespace("nxc-\(i)")
            try spaces.add(name)
            try s.waitForState(name, 1, timeout: 5)
            try spaces.delete(name)
            try s.waitForState(name, nil, timeout: 5)
        }
        let perCycle = (MonotonicClock.now - started) / 100
        let after = try s.resources()
        #expect(after.fds == before.fds, "descriptors \(before.fds) -> \(after.fds)")
        #expect(after.threads == before.threads, "threads \(before.threads) -> \(after.threads)")
        #expect(perCycle < 2, "a namespace took \(perCycle) s on average to be registered and unregistered")
        walker.signal(SIGTERM, waitUpTo: 10)
        let results = walker.output.split(separator: "\n")
        #expect(results.filter { $0 == "OK" }.count >= 10, "only \(results.count) walks")
        #expect(!results.contains("FAIL"), "\(results.filter { $0 == "FAIL" }.count) of \(results.count) walks failed")
        #expect(try s.limit(s.v3(steady)) == "4")
        #expect(s.agent.isRunning)
        // net-snmp's subagent (un)registers synchronously and drops a request that snmpd sends
        // meanwhile: rare, and bounded by the number of changes.
        #expect(s.raced <= 5, "\(s.raced) of 200 registration changes met a request")
    }

    @Test("namespaces: a pattern serves the names it matches as they come, a name is served as it is, all serves every name")
    func namespacePatterns() throws {
        try requireIntegration()
        let spaces = Namespaces()
        defer { spaces.shutdown() }
        let matched = Self.namespace("nxa-1"), named = Self.namespace("nxb"), other = Self.namespace("nxz")
        try spaces.add(matched)
        try spaces.add(named)
        let some = try ContextAgent(tag: "ng", arguments: ["--namespaces", "\(Self.namespace("nxa-*")),\(named)"])
        defer { some.shutdown() }
        try some.waitForState(matched, 1)
        try some.waitForState(named, 1)
        // Added in this order: once the later match is served, the earlier non-match was seen.
        try spaces.add(other)
        let later = Self.namespace("nxa-2")
        try spaces.add(later)
        try some.waitForState(later, 1)
        #expect(try some.state(other) == nil)
        try spaces.delete(matched)
        try some.waitForState(matched, nil)
        some.shutdown()
        let all = try ContextAgent(tag: "nl", arguments: ["--namespaces", "all"])
        defer { all.shutdown() }
        for name in [named, other, later] { try all.waitForState(name, 1) }
    }

    @Test("A namespace named by its file (/proc/PID/ns/net) is served until its last process exits")
    func namespaceByPath() throws {
        try requireIntegration()
        let spaces = Namespaces()
        defer { spaces.shutdown() }
        let name = Self.namespace("nxp")
        try spaces.add(name)
        try Command.check(["ip", "-n", name, "mptcp", "limits", "set", "subflows", "7"])
        // A "container": a process in the namespace, which then loses its name.
        let holder = try Daemon(["ip", "netns", "exec", name, "sleep", "600"], name: "netns-holder")
        defer { holder.stop() }
        // Until the holder is inside: its namespace is the named one.
        let inode = try Command.check(["stat", "-L", "-c", "%i", "/run/netns/" + name]).split(separator: "\n")[0]
        try waitUntil("the holder to enter \(name)", timeout: 10) {
            (try? Command.check(["readlink", "/proc/\(holder.pid)/ns/net"]))?.contains("net:[\(inode)]") == true
        }
        try spaces.delete(name)
        let s = try ContextAgent(tag: "np", arguments: ["--namespace", "box=/proc/\(holder.pid)/ns/net"])
        defer { s.shutdown() }
        try s.waitForState("box", 1)
        #expect(try s.limit(s.v3("box")) == "7")
        holder.signal(SIGKILL, waitUpTo: 5)
        try s.waitForState("box", 2, timeout: 10)
        #expect(try s.v3("box").get([G.limitSubflows.oid.dotted + ".0"]).first?.type == "noSuchObject")
    }

    @Test("50 idle namespaces cost no CPU and no thread")
    func idleNamespaces() throws {
        try requireIntegration()
        let spaces = Namespaces()
        defer { spaces.shutdown() }
        let names = (0..<50).map { Self.namespace("nxi-\($0)") }
        for name in names { try spaces.add(name) }
        let s = try ContextAgent(tag: "ni", arguments: ["--namespaces", Self.namespace("nxi-*"), "--ping-interval", "0"])
        defer { s.shutdown() }
        for name in names { try s.waitForState(name, 1) }
        func ticks() throws -> Int {
            let f = try FileIO.readText("/proc/\(s.agent.pid)/stat").split(separator: ")").last!.split(separator: " ")
            return Int(f[11])! + Int(f[12])!  // utime, stime (fields 14 and 15 of stat)
        }
        // Until the registrations are over: no CPU used over half a second.
        var previous = try ticks()
        try waitUntil("the agent to settle after registering 50 contexts", timeout: 20, interval: 0.5) {
            let now = try ticks()
            defer { previous = now }
            return now == previous
        }
        let t0 = try ticks()
        // The subject is time: 10 s in which 50 idle namespaces must cost (almost) no CPU.
        elapse(10)
        let t1 = try ticks()
        #expect(t1 - t0 <= 1, "\(t1 - t0) ticks in 10 s")
        // Main thread only: a context gets its refresher thread when it is first polled.
        #expect(try s.resources().threads <= 2)
    }
}
