import MPTCPMIB
import SMI
import MPTCPModel
import Testing

@Suite("Object names and values as people write them")
struct NamesAndValuesTests {
    @Test func namesRoundTrip() throws {
        let s = MPTCPMIB.SubflowTable.rtt
        // token 0x0A0B0C0D, ipv4 10.0.0.1 port 40000, ipv6 fd00::2 port 80
        let oid = s.oid + [168_496_141, 1, 4, 10, 0, 0, 1, 40000, 2, 16, 0xfd] + [UInt32](repeating: 0, count: 14) + [2, 80]
        let name = MIBNames.format(oid)
        #expect(name == "mptcpSubflowRtt.0xa0b0c0d.ipv4.\"10.0.0.1\".40000.ipv6.\"fd00::2\".80")
        #expect(try MIBNames.parse(name) == oid)
        let counter = MPTCPMIB.CounterTable.value.oid + [11] + Array("MPJoinSynRx".utf8).map(UInt32.init)
        #expect(MIBNames.format(counter) == "mptcpCounterValue.\"MPJoinSynRx\"")
        #expect(try MIBNames.parse("mptcpCounterValue.\"MPJoinSynRx\"") == counter)
        #expect(MIBNames.format(MPTCPMIB.General.enabled.oid + [0]) == "mptcpEnabled.0")
    }

    @Test func parseForms() throws {
        let g = MPTCPMIB.General.self
        #expect(try MIBNames.parse("mptcpLimitSubflows", instanceOfScalars: true) == g.limitSubflows.oid + [0])
        #expect(try MIBNames.parse("mptcpLimitSubflows") == g.limitSubflows.oid)
        #expect(try MIBNames.parse(".1.3.6.1.3.8684.1.1.13.0") == g.limitSubflows.oid + [0])
        #expect(try MIBNames.parse("mptcpSubflowTable") == MPTCPMIB.SubflowTable.oid)
        #expect(try MIBNames.parse("mptcpEndpointFlags.5") == MPTCPMIB.EndpointTable.flags.oid + [5])
        // A partial index is a prefix (walks, GETNEXT).
        #expect(try MIBNames.parse("mptcpSubflowRtt.0x10") == MPTCPMIB.SubflowTable.rtt.oid + [16])
        #expect(throws: MIBNameError.self) { try MIBNames.parse("mptcpNoSuchThing") }
        #expect(throws: MIBNameError.self) { try MIBNames.parse("mptcpSubflowRtt.1.ipv4.\"not-an-ip\"") }
        #expect(throws: MIBNameError.self) { try MIBNames.parse("mptcpEndpointFlags.1.2") }
        // Instances that do not follow the INDEX print as numbers.
        #expect(MIBNames.format(MPTCPMIB.SubflowTable.rtt.oid + [1, 9]) == "mptcpSubflowRtt.1.9")
    }

    @Test func valuesByTheirSyntax() throws {
        typealias C = MPTCPMIB.ConnectionTable
        typealias E = MPTCPMIB.EndpointTable
        #expect(ValueText.format(.integer(5), C.state.syntax) == "established")
        #expect(ValueText.format(.integer(1), MPTCPMIB.General.enabled.syntax) == "true")
        #expect(ValueText.format(.octets([0x60]), E.flags.syntax) == "subflow,backup")
        #expect(ValueText.format(.octets([]), E.flags.syntax) == "-")
        #expect(ValueText.format(.octets([10, 0, 0, 1]), C.localAddress.syntax) == "10.0.0.1")
        #expect(ValueText.format(.unsigned(0x8b59_b702), MPTCPMIB.SubflowTable.remoteToken.syntax) == "0x8b59b702")
        #expect(ValueText.format(.counter64(12), C.bytesSent.syntax) == "12")
        #expect(ValueText.decode(.octets([0x60]), E.flags.syntax) == .list(["subflow", "backup"]))
        #expect(ValueText.decode(.integer(2), MPTCPMIB.General.enabled.syntax) == .bool(false))

        #expect(try ValueText.parse("true", MPTCPMIB.General.enabled.syntax) == .integer(1))
        #expect(try ValueText.parse("createAndGo", E.rowStatus.syntax) == .integer(4))
        #expect(try ValueText.parse("subflow,backup", E.flags.syntax) == .octets([0x60]))
        #expect(try ValueText.parse("fd00::1", E.address.syntax) == .octets([0xfd] + [UInt8](repeating: 0, count: 14) + [1]))
        #expect(try ValueText.parse("4", MPTCPMIB.General.limitSubflows.syntax) == .unsigned(4))
        #expect(try ValueText.parse("default", MPTCPMIB.General.scheduler.syntax) == .octets(Array("default".utf8)))
        #expect(throws: MIBNameError.self) { try ValueText.parse("maybe", MPTCPMIB.General.enabled.syntax) }
        #expect(throws: MIBNameError.self) { try ValueText.parse("turbo", E.flags.syntax) }
        #expect(throws: MIBNameError.self) { try ValueText.parse("10.0.0.300", E.address.syntax) }
        #expect(throws: MIBNameError.self) { try ValueText.parse("-1", MPTCPMIB.General.limitSubflows.syntax) }
    }
}
