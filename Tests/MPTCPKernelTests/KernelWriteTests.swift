import MPTCPKernel
import MPTCPModel
import Platform
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Path-manager writes, events and the typed errors, against the live kernel.
@Suite("Kernel writes, events and errors", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct KernelWriteTests {
    @Test("Endpoint add, flags and delete, and limits, read back by ip mptcp")
    func endpointAndLimitRoundTrip() throws {
        try requireIntegration()
        let lab = try Lab(tag: "wr")
        defer { lab.shutdown() }
        let ns = lab.server
        let ifindex = try #require(UInt32(try lab.exec(ns, ["cat", "/sys/class/net/\(lab.prefix)s3/ifindex"])
            .split(separator: "\n")[0]))
        try inNetworkNamespace(ns) {
            let pm = try PathManager()
            try pm.addEndpoint(Endpoint(id: 42, address: IPAddress("10.201.3.2")!, port: 7000, ifIndex: ifindex,
                                               flags: [.signal, .backup]))
            try pm.addEndpoint(Endpoint(id: 0, address: IPAddress("fd00:201:3::2")!, flags: [.subflow, .fullmesh]))
            try pm.setLimits(subflows: 5, addAddrAccepted: 3)
        }
        var shown = IPMPTCPParser.endpoints(try lab.exec(ns, ["ip", "mptcp", "endpoint", "show"]))
        let added = try #require(shown.first { $0.id == 42 })
        #expect(added.address == "10.201.3.2" && added.port == 7000 && added.device == "\(lab.prefix)s3")
        #expect(added.flags == ["signal", "backup"])
        let allocated = try #require(shown.first { $0.address == "fd00:201:3::2" })
        #expect(allocated.flags == ["subflow", "fullmesh"] && allocated.id != 0)
        #expect(IPMPTCPParser.limits(try lab.exec(ns, ["ip", "mptcp", "limits", "show"])) == ["subflows": 5, "add_addr_accepted": 3])

        try inNetworkNamespace(ns) {
            let pm = try PathManager()
            try pm.setEndpointFlags(id: allocated.id, flags: [.backup])
            try pm.deleteEndpoint(id: 42)
            let endpoints = try pm.endpoints()
            #expect(endpoints.first { $0.id == allocated.id }?.flags == [.subflow, .backup])
            #expect(!endpoints.contains { $0.id == 42 })
            #expect(try pm.limits() == Limits(subflows: 5, addAddrAccepted: 3))
        }
        shown = IPMPTCPParser.endpoints(try lab.exec(ns, ["ip", "mptcp", "endpoint", "show"]))
        #expect(shown.first { $0.id == allocated.id }?.flags == ["subflow", "backup"])
        #expect(!shown.contains { $0.id == 42 })
    }

    @Test("Kernel refusals carry the errno and the extack text")
    func refusalsCarryExtack() throws {
        try requireIntegration()
        let lab = try Lab(tag: "wx")
        defer { lab.shutdown() }
        let before = try lab.exec(lab.server, ["ip", "mptcp", "endpoint", "show"])
        let errors: [KernelError] = try inNetworkNamespace(lab.server) {
            let pm = try PathManager()
            func attempt(_ body: () throws -> Void) -> KernelError? {
                do { try body(); return nil } catch { return error as? KernelError }
            }
            return [
                attempt { try pm.setLimits(subflows: 9) },
                attempt { try pm.addEndpoint(Endpoint(id: 0, address: IPAddress("10.9.9.9")!, flags: [.implicit])) },
                attempt { try pm.addEndpoint(Endpoint(id: 0, address: IPAddress("10.9.9.9")!, flags: [.signal, .fullmesh])) },
                attempt { try pm.addEndpoint(Endpoint(id: 0, address: IPAddress("10.201.2.2")!, flags: [.signal])) },
                attempt { try pm.deleteEndpoint(id: 200) },
            ].map { $0 ?? .malformedReply(operation: "no error") }
        }
        #expect(errors[0] == .refused(operation: "set limits", errno: EINVAL, message: "limit greater than maximum (8)"))
        #expect(errors[1] == .refused(operation: "add endpoint 10.9.9.9", errno: EINVAL, message: "can't create IMPLICIT endpoint"))
        #expect(errors[2] == .refused(operation: "add endpoint 10.9.9.9", errno: EINVAL,
                                      message: "flags mustn't have both signal and fullmesh"))
        if case .refused(_, let code, _) = errors[3] { #expect(code == EEXIST) } else { Issue.record("duplicate: \(errors[3])") }
        #expect(errors[4] == .refused(operation: "delete endpoint 200", errno: EINVAL, message: "address not found"))
        #expect(errors[0].description == "set limits: the kernel refused: limit greater than maximum (8) (Invalid argument)")
        #expect(try lab.exec(lab.server, ["ip", "mptcp", "endpoint", "show"]) == before)
    }

    @Test("Without CAP_NET_ADMIN: reads work, writes and events fail as permissionDenied")
    func withoutNetAdmin() throws {
        try requireIntegration()
        let lab = try Lab(tag: "wp")
        defer { lab.shutdown() }
        let (snapshot, write, subscribe) = try inNetworkNamespace(lab.client, dropping: [.netAdmin]) {
            () -> (Snapshot, Error?, Error?) in
            let snapshot = try SnapshotReader().read()
            var write: Error?, subscribe: Error?
            do { try PathManager().setLimits(subflows: 1) } catch { write = error }
            do { _ = try EventMonitor() } catch { subscribe = error }
            return (snapshot, write, subscribe)
        }
        #expect(snapshot.failures.isEmpty && snapshot.endpoints?.count == 1 && snapshot.limits != nil)
        #expect(write as? KernelError == .permissionDenied(operation: "set limits"))
        #expect(subscribe as? KernelError == .permissionDenied(operation: "subscribe to mptcp_pm events"))
        #expect("\(write!)" == "set limits: permission denied (CAP_NET_ADMIN is required)")
        #expect(IPMPTCPParser.limits(try lab.exec(lab.client, ["ip", "mptcp", "limits", "show"]))["subflows"] == 8)
    }

    @Test("No MPTCP, unknown family and MPTCP disabled are typed errors")
    func unavailableAndDisabled() throws {
        try requireIntegration()
        #expect(throws: KernelError.mptcpUnavailable("no /nonexistent/mptcp")) {
            try SnapshotReader(sysctlDirectory: "/nonexistent/mptcp")
        }
        #expect(throws: KernelError.mptcpUnavailable("no \"mptcp_nope\" generic netlink family")) {
            try PathManager(family: "mptcp_nope")
        }
        let lab = try Lab(tag: "wd")
        defer { lab.shutdown() }
        try lab.exec(lab.client, ["sysctl", "-q", "-w", "net.mptcp.enabled=0"])
        let (snapshot, error) = try inNetworkNamespace(lab.client) { () -> (Snapshot, Error?) in
            do { try ProcFS.requireEnabled(); return (try SnapshotReader().read(), nil) } catch {
                return (try SnapshotReader().read(), error)
            }
        }
        #expect(error as? KernelError == .mptcpDisabled)
        #expect(snapshot.settings["enabled"] == "0" && snapshot.failures.isEmpty)
    }

    @Test("Events: connection, announcement and subflow events of real connections")
    func events() throws {
        try requireIntegration()
        let lab = try Lab(tag: "we")
        defer { lab.shutdown() }
        try lab.startServers()
        let monitor = try inNetworkNamespace(lab.client) { try EventMonitor() }
        try lab.connect(v4: 3, v6: 0)
        var events: [PathManagerEvent] = []
        let deadline = MonotonicClock.now + 5
        while MonotonicClock.now < deadline {
            var pfd = pollfd(fd: monitor.fileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 200) > 0 {
                let (batch, lost) = try monitor.drain()
                #expect(!lost)
                events += batch
            } else if events.filter({ $0.kind == .subflowEstablished }).count >= 6 {
                break
            }
        }
        let tokens = Set(try inNetworkNamespace(lab.client) { try SnapshotReader().read() }.connections.map(\.token))
        #expect(Set(events.filter { $0.kind == .established }.compactMap(\.token)) == tokens)
        let announced = events.filter { $0.kind == .announced }
        #expect(Set(announced.compactMap(\.token)) == tokens)
        #expect(Set(announced.compactMap { $0.remote?.address.description }) == ["10.201.2.2", "fd00:201:2::2"])
        #expect(events.filter { $0.kind == .subflowEstablished }.count == 6)
        var tracker = AnnouncementTracker()
        events.forEach { tracker.apply($0) }
        #expect(tracker.announcements.count == 6)
    }
}
