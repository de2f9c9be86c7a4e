import MPTCPMIB
import MPTCPMIBView
import SMI
import TestSupport
import Testing

@Suite("SET through snmpd: endpoints, limits and settings", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct AgentSetTests {
    typealias G = MPTCPMIB.General
    typealias E = MPTCPMIB.EndpointTable

    static func scalar(_ o: MIBObject) -> String { o.oid.dotted + ".0" }
    static func column(_ o: MIBObject, _ id: UInt32) -> String { o.oid.dotted + ".\(id)" }

    @Test("Every writable scalar: a valid SET changes the kernel and reads back")
    func writableScalars() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ss", traffic: false)
        defer { s.shutdown() }
        // (object, snmpset type and value, sysctl file, its expected text, value read back)
        let cases: [(MIBObject, String, String, String?, String, String)] = [
            (G.enabled, "i", "2", "enabled", "0", "2"),
            (G.pathManager, "s", "userspace", "path_manager", "userspace", "userspace"),
            (G.scheduler, "s", "default", "scheduler", "default", "default"),
            (G.checksumEnabled, "i", "1", "checksum_enabled", "1", "1"),
            (G.allowJoinInitialAddrPort, "i", "2", "allow_join_initial_addr_port", "0", "2"),
            (G.addAddrTimeout, "i", "60", "add_addr_timeout", "60", "60"),
            (G.staleLossCount, "u", "7", "stale_loss_cnt", "7", "7"),
            (G.closeTimeout, "i", "30", "close_timeout", "30", "30"),
            (G.blackholeTimeout, "i", "0", "blackhole_timeout", "0", "0"),
            (G.synRetransBeforeFallback, "u", "5", "syn_retrans_before_tcp_fallback", "5", "5"),
            (G.limitSubflows, "u", "3", nil, "subflows 3", "3"),
            (G.limitAddAddrAccepted, "u", "4", nil, "add_addr_accepted 4", "4"),
        ]
        for (object, type, value, file, expected, readBack) in cases {
            let outcome = try s.v3.set([(Self.scalar(object), type, value)])
            guard case .set = outcome else {
                Issue.record("\(object.name): \(outcome)")
                continue
            }
            if let file {
                #expect(try s.sysctl(file) == expected, "\(object.name)")
            } else {
                #expect(try s.lab.exec(s.lab.client, ["ip", "mptcp", "limits", "show"]).contains(expected), "\(object.name)")
            }
            let got = try s.v3.get([Self.scalar(object)]).first
            let text = got?.octets.map { String(decoding: $0, as: UTF8.self) } ?? got?.value
            #expect(text == readBack, "\(object.name) read back \(String(describing: got))")
        }
    }

    @Test("Endpoint rows: createAndGo, createAndWait + columns + active, flags in place, destroy")
    func endpointRows() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "se", traffic: false)
        defer { s.shutdown() }
        let c2 = try s.ifindex("\(s.lab.prefix)c2")

        // createAndGo with every column in one PDU.
        var r = try s.v3.set([(Self.column(E.rowStatus, 20), "i", "4"), (Self.column(E.addressType, 20), "i", "1"),
                              (Self.column(E.address, 20), "x", "0AC90201"), (Self.column(E.flags, 20), "x", "40")])
        #expect(r.isSet, "\(r)")
        var ep = try #require(try s.endpoints().first { $0.id == 20 })
        #expect(ep.address == "10.201.2.1" && ep.flags == ["subflow"])
        #expect(try s.v3.get([Self.column(E.rowStatus, 20)]).first?.value == "1")

        // createAndWait, then the columns, then active: an IPv6 signal endpoint with a port and a device.
        r = try s.v3.set([(Self.column(E.rowStatus, 21), "i", "5")])
        #expect(r.isSet, "\(r)")
        #expect(try s.v3.get([Self.column(E.rowStatus, 21)]).first?.value == "3")  // notReady
        #expect(try s.endpoints().first { $0.id == 21 } == nil)
        r = try s.v3.set([(Self.column(E.addressType, 21), "i", "2"), (Self.column(E.address, 21), "x", "FD000201000200000000000000000001"),
                          (Self.column(E.port, 21), "u", "7000"), (Self.column(E.ifIndex, 21), "i", "\(c2)"),
                          (Self.column(E.flags, 21), "x", "80")])
        #expect(r.isSet, "\(r)")
        #expect(try s.v3.get([Self.column(E.rowStatus, 21)]).first?.value == "2")  // notInService
        #expect(try s.endpoints().first { $0.id == 21 } == nil)
        r = try s.v3.set([(Self.column(E.rowStatus, 21), "i", "1")])
        #expect(r.isSet, "\(r)")
        ep = try #require(try s.endpoints().first { $0.id == 21 })
        #expect(ep.address == "fd00:201:2::1" && ep.port == 7000 && ep.device == "\(s.lab.prefix)c2" && ep.flags == ["signal"])
        #expect(try s.v3.get([Self.column(E.rowStatus, 21)]).first?.value == "1")

        // Flags of an active row change in place (backup added); the address may be re-set to itself.
        r = try s.v3.set([(Self.column(E.flags, 20), "x", "60"), (Self.column(E.address, 20), "x", "0AC90201")])
        #expect(r.isSet, "\(r)")
        #expect(try s.endpoints().first { $0.id == 20 }?.flags == ["subflow", "backup"])
        #expect(try s.v3.get([Self.column(E.flags, 20)]).first?.octets == [0x60])

        // destroy removes both.
        r = try s.v3.set([(Self.column(E.rowStatus, 20), "i", "6"), (Self.column(E.rowStatus, 21), "i", "6")])
        #expect(r.isSet, "\(r)")
        #expect(try s.endpoints().map(\.id) == [1])
        #expect(try s.v3.get([Self.column(E.rowStatus, 20)]).first?.type == "noSuchInstance")
    }

    @Test("Bad requests: the exact SNMP error, and the kernel unchanged")
    func badRequests() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "sb", traffic: false)
        defer { s.shutdown() }
        // Endpoints 1 (10.201.3.1, the lab's) and 2..8 filled up for the resource test below.
        let existing = Self.column(E.rowStatus, 1)
        let rs = { (id: UInt32) in Self.column(E.rowStatus, id) }
        let addr = { (id: UInt32) in Self.column(E.address, id) }
        let type = { (id: UInt32) in Self.column(E.addressType, id) }
        let flags = { (id: UInt32) in Self.column(E.flags, id) }
        let v4 = "0AC90201"  // 10.201.2.1
        let lock = try #require(try s.v3.get([Self.scalar(G.endpointSpinLock)]).first?.number)
        let stale = lock == 2147483647 ? 0 : lock + 1
        // (what, varbinds, expected status, index of the varbind blamed)
        let cases: [(String, [(String, String, String)], String, Int)] = [
            ("TruthValue as a string", [(Self.scalar(G.enabled), "s", "1")], "wrongType", 0),
            ("TruthValue out of its enumeration", [(Self.scalar(G.enabled), "i", "3")], "wrongValue", 0),
            ("TimeTicks for a TruthValue", [(Self.scalar(G.checksumEnabled), "t", "1")], "wrongType", 0),
            ("scalar instance other than .0", [(G.enabled.oid.dotted + ".1", "i", "1")], "noCreation", 0),
            ("limit above the kernel's maximum", [(Self.scalar(G.limitSubflows), "u", "9")], "wrongValue", 0),
            ("limit as INTEGER", [(Self.scalar(G.limitSubflows), "i", "2")], "wrongType", 0),
            ("add_addr_accepted limit far out of range", [(Self.scalar(G.limitAddAddrAccepted), "u", "100")], "wrongValue", 0),
            ("unknown scheduler", [(Self.scalar(G.scheduler), "s", "nosuch")], "wrongValue", 0),
            ("empty scheduler name", [(Self.scalar(G.scheduler), "s", "")], "wrongLength", 0),
            ("scheduler name too long", [(Self.scalar(G.scheduler), "s", String(repeating: "a", count: 33))], "wrongLength", 0),
            ("unknown path manager", [(Self.scalar(G.pathManager), "s", "fancy")], "wrongValue", 0),
            ("negative blackhole timeout", [(Self.scalar(G.blackholeTimeout), "i", "-1")], "wrongValue", 0),
            // The kernel holds timeouts in clock ticks and refuses what overflows them: a
            // refusal in ACTION, undone, reported as commitFailed.
            ("ADD_ADDR timeout beyond the kernel's ticks", [(Self.scalar(G.addAddrTimeout), "i", "2147483647")], "commitFailed", 0),
            ("spin lock with a stale value", [(Self.scalar(G.endpointSpinLock), "i", "\(stale)")], "inconsistentValue", 0),
            ("spin lock out of range", [(Self.scalar(G.endpointSpinLock), "i", "-1")], "wrongValue", 0),
            ("SYN retransmissions above 255", [(Self.scalar(G.synRetransBeforeFallback), "u", "256")], "wrongValue", 0),
            ("read-only scalar", [(Self.scalar(G.availableSchedulers), "s", "x")], "notWritable", 0),
            ("read-only gauge", [(Self.scalar(G.currentConnections), "u", "1")], "notWritable", 0),
            ("read-only counter", [(MPTCPMIB.Stats.all[12].oid.dotted + ".0", "u", "1")], "notWritable", 0),
            ("read-only table column", [(MPTCPMIB.ConnectionTable.state.oid.dotted + ".1", "i", "1")], "notWritable", 0),
            ("no such object in the subtree", [(MPTCPMIB.objectsOID.dotted + ".99.0", "i", "1")], "notWritable", 0),
            ("createAndGo without an address", [(rs(30), "i", "4")], "inconsistentValue", 0),
            ("address of 5 octets", [(rs(30), "i", "4"), (addr(30), "x", "0AC9020101")], "wrongLength", 1),
            ("ipv4 type with an IPv6 address", [(rs(30), "i", "4"), (type(30), "i", "1"),
                                                 (addr(30), "x", "FD000201000200000000000000000001")], "inconsistentValue", 0),
            ("dns address type", [(rs(30), "i", "4"), (type(30), "i", "16"), (addr(30), "x", v4)], "wrongValue", 1),
            ("createAndGo on an existing id", [(existing, "i", "4"), (Self.column(E.address, 1), "x", v4)], "inconsistentValue", 0),
            ("duplicate address", [(rs(30), "i", "4"), (addr(30), "x", "0AC90301")], "inconsistentValue", 0),
            ("signal with fullmesh", [(rs(30), "i", "4"), (addr(30), "x", v4), (flags(30), "x", "90")], "inconsistentValue", 0),
            ("implicit flag", [(rs(30), "i", "4"), (addr(30), "x", v4), (flags(30), "x", "08")], "wrongValue", 2),
            ("unnamed flag bit", [(rs(30), "i", "4"), (addr(30), "x", v4), (flags(30), "x", "02")], "wrongValue", 2),
            ("flags longer than one octet", [(flags(1), "x", "4000")], "wrongLength", 0),
            ("port without signal", [(rs(30), "i", "4"), (addr(30), "x", v4), (flags(30), "x", "40"),
                                      (Self.column(E.port, 30), "u", "7000")], "inconsistentValue", 0),
            ("endpoint id 0", [(rs(0), "i", "4")], "noCreation", 0),
            ("endpoint id 256", [(rs(256), "i", "4")], "noCreation", 0),
            ("interface that does not exist", [(rs(30), "i", "4"), (addr(30), "x", v4),
                                               (Self.column(E.ifIndex, 30), "i", "999")], "inconsistentValue", 0),
            ("address of an active row", [(addr(1), "x", v4)], "inconsistentValue", 0),
            ("subflow flag of an active row", [(flags(1), "x", "20")], "inconsistentValue", 0),
            ("notInService on an active row", [(existing, "i", "2")], "inconsistentValue", 0),
            ("column of a row that does not exist", [(addr(30), "x", v4)], "inconsistentName", 0),
            ("RowStatus notReady", [(rs(30), "i", "3")], "wrongValue", 0),
            ("RowStatus 7", [(rs(30), "i", "7")], "wrongValue", 0),
            ("active on a row that does not exist", [(rs(30), "i", "1")], "inconsistentValue", 0),
            ("the same object twice", [(Self.scalar(G.limitSubflows), "u", "2"), (Self.scalar(G.limitSubflows), "u", "3")],
             "inconsistentValue", 1),
            ("destroy of a row that does not exist (RFC 2579: noError)", [(rs(30), "i", "6")], "noError", 0),
        ]
        #expect(cases.count >= 30)
        let before = try s.kernelState()
        for (what, varbinds, status, blamed) in cases {
            let outcome = try s.v3.set(varbinds)
            if status == "noError" {
                #expect(outcome.isSet, "\(what): \(outcome)")
            } else {
                let failed = varbinds[blamed].0.split(separator: ".").compactMap { UInt32($0) }
                #expect(outcome == .error(status: status, failed: failed), "\(what)")
            }
            #expect(try s.kernelState() == before, "\(what): the kernel changed")
        }

        // A community may read but not write, whatever it asks.
        #expect(try s.tools.set([(Self.scalar(G.limitSubflows), "u", "2")])
            == .error(status: "noAccess", failed: G.limitSubflows.oid + [0]))
        #expect(try s.tools.get([Self.scalar(G.limitSubflows)]).first?.type == "Gauge32")

        // The kernel holds at most 8 endpoints: the 9th is resourceUnavailable.
        for id in UInt32(2)...8 {
            #expect(try s.v3.set([(rs(id), "i", "4"), (addr(id), "x", hex8(0x0AC9_0400 + id))]).isSet)
        }
        let full = try s.kernelState()
        #expect(try s.v3.set([(rs(30), "i", "4"), (addr(30), "x", v4)])
            == .error(status: "resourceUnavailable", failed: E.rowStatus.oid + [30]))
        #expect(try s.kernelState() == full)
    }

    @Test("mptcpEndpointSpinLock: TestAndIncr guards endpoint creation between managers")
    func spinLock() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "sl", traffic: false)
        defer { s.shutdown() }
        let lock = Self.scalar(G.endpointSpinLock)
        let value = try #require(try s.v3.get([lock]).first?.number)
        // Manager A reads the lock and creates an endpoint with it in the same PDU: accepted, lock + 1.
        let create = [(lock, "i", "\(value)"), (Self.column(E.rowStatus, 40), "i", "4"), (Self.column(E.address, 40), "x", "0AC90201")]
        #expect(try s.v3.set(create).isSet)
        #expect(try s.v3.get([lock]).first?.number == (value == 2147483647 ? 0 : value + 1))
        #expect(try s.endpoints().contains { $0.id == 40 })
        // Manager B, who read the old value, is refused and nothing of its PDU applies.
        let before = try s.kernelState()
        let other = [(lock, "i", "\(value)"), (Self.column(E.rowStatus, 41), "i", "4"), (Self.column(E.address, 41), "x", "0AC90202")]
        #expect(try s.v3.set(other) == .error(status: "inconsistentValue", failed: G.endpointSpinLock.oid + [0]))
        #expect(try s.kernelState() == before)
        #expect(try s.v3.get([Self.column(E.storageType, 40)]).first?.value == "2")
    }

    @Test("A PDU either applies completely or leaves the kernel as it was")
    func atomicity() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "sa", traffic: false)
        defer { s.shutdown() }
        let before = try s.kernelState()
        let good: [(String, String, String)] = [
            (Self.scalar(G.limitSubflows), "u", "3"), (Self.scalar(G.checksumEnabled), "i", "1"),
            (Self.scalar(G.addAddrTimeout), "i", "33"), (Self.column(E.rowStatus, 1), "i", "6"),
            (Self.column(E.rowStatus, 40), "i", "4"), (Self.column(E.address, 40), "x", "0AC90201"),
        ]
        // The last varbind is refused while checking (RESERVE): nothing is applied.
        let refused = good + [(Self.scalar(G.limitAddAddrAccepted), "u", "9")]
        #expect(try s.v3.set(refused) == .error(status: "wrongValue", failed: G.limitAddAddrAccepted.oid + [0]))
        #expect(try s.kernelState() == before)
        // The last varbind passes every check but the kernel refuses it while applying (a
        // signal endpoint with a port on an address that is not local: its listener cannot
        // bind): everything applied before it is undone.
        let failing = good + [(Self.column(E.rowStatus, 41), "i", "4"), (Self.column(E.address, 41), "x", "0A636363"),
                              (Self.column(E.flags, 41), "x", "80"), (Self.column(E.port, 41), "u", "7001")]
        let outcome = try s.v3.set(failing)
        guard case .error(let status, _) = outcome else {
            Issue.record("expected the kernel to refuse, got \(outcome)")
            return
        }
        #expect(status == "commitFailed" || status == "undoFailed", "\(outcome)")
        #expect(try s.kernelState() == before)
        #expect(s.agent.log.contains("the kernel refused"))
        // The same PDU without the failing varbind applies as a whole.
        #expect(try s.v3.set(good).isSet)
        #expect(try s.sysctl("checksum_enabled") == "1" && s.sysctl("add_addr_timeout") == "33")
        #expect(try s.endpoints().map { "\($0.id) \($0.address)" } == ["40 10.201.2.1"])
    }

    @Test("Without CAP_NET_ADMIN every SET is refused and reads keep working")
    func withoutNetAdmin() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "sc", traffic: false, agentWrapper: ["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin"])
        defer { s.shutdown() }
        let before = try s.kernelState()
        #expect(try s.v3.set([(Self.scalar(G.limitSubflows), "u", "3")])
            == .error(status: "noAccess", failed: G.limitSubflows.oid + [0]))
        #expect(try s.kernelState() == before)
        #expect(try s.v3.get([Self.scalar(G.limitSubflows)]).first?.value == "8")
        #expect(s.agent.log.contains("SETs are refused: the process lacks CAP_NET_ADMIN"))
    }
}

extension SNMPTools.SetOutcome {
    var isSet: Bool { if case .set = self { return true } else { return false } }
}

/// Eight hex digits, as snmpset's `x` type takes an IPv4 address.
func hex8(_ v: UInt32) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
