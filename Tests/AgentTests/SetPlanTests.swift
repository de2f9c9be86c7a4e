@testable import MPTCPAgent
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI
import Testing

/// RFC 2579's RowStatus state table, written out from the RFC (section "RowStatus",
/// the table of actions and states), against the one transition function.
@Suite("RowStatus transitions")
struct RowStatusTests {
    /// What RFC 2579 answers for (state, action) when the row is complete / incomplete:
    /// the resulting state, "A" for no row, or the error. canDeactivate: this agent's kernel
    /// has no disabled endpoints, so an active row cannot go notInService (note 6).
    static let rfc2579: [(RowStatus?, RowStatus?, complete: String, incomplete: String)] = [
        (nil, .createAndGo, "active", "inconsistentValue"),
        (nil, .createAndWait, "notInService", "notReady"),
        (nil, .active, "inconsistentValue", "inconsistentValue"),
        (nil, .notInService, "inconsistentValue", "inconsistentValue"),
        (nil, .destroy, "A", "A"),
        (nil, nil, "inconsistentName", "inconsistentName"),
        (.notReady, .createAndGo, "inconsistentValue", "inconsistentValue"),
        (.notReady, .createAndWait, "inconsistentValue", "inconsistentValue"),
        (.notReady, .active, "active", "inconsistentValue"),
        (.notReady, .notInService, "notInService", "inconsistentValue"),
        (.notReady, .destroy, "A", "A"),
        (.notReady, nil, "notInService", "notReady"),
        (.notInService, .createAndGo, "inconsistentValue", "inconsistentValue"),
        (.notInService, .createAndWait, "inconsistentValue", "inconsistentValue"),
        (.notInService, .active, "active", "inconsistentValue"),
        (.notInService, .notInService, "notInService", "inconsistentValue"),
        (.notInService, .destroy, "A", "A"),
        (.notInService, nil, "notInService", "notReady"),
        (.active, .createAndGo, "inconsistentValue", "inconsistentValue"),
        (.active, .createAndWait, "inconsistentValue", "inconsistentValue"),
        (.active, .active, "active", "active"),
        (.active, .notInService, "inconsistentValue", "inconsistentValue"),
        (.active, .destroy, "A", "A"),
        (.active, nil, "active", "active"),
    ]

    static func outcome(_ r: Result<RowStatus?, ErrorStatus>) -> String {
        switch r {
        case .success(let s?): return s.description
        case .success(nil): return "A"
        case .failure(let e): return e.description
        }
    }

    @Test func everyStateAndAction() {
        for (state, action, complete, incomplete) in Self.rfc2579 {
            let label = "\(state.map(\.description) ?? "A") + \(action.map(\.description) ?? "other column")"
            #expect(Self.outcome(RowStatus.transition(from: state, set: action, complete: true, canDeactivate: false)) == complete, "\(label)")
            #expect(Self.outcome(RowStatus.transition(from: state, set: action, complete: false, canDeactivate: false)) == incomplete,
                    "\(label), incomplete")
        }
        // notReady can never be set; an agent that can deactivate takes an active row to notInService.
        for state in [nil, RowStatus.notReady, .notInService, .active] {
            #expect(RowStatus.transition(from: state, set: .notReady, complete: true, canDeactivate: true) == .failure(.wrongValue))
        }
        #expect(RowStatus.transition(from: .active, set: .notInService, complete: true, canDeactivate: true) == .success(.notInService))
    }
}

/// The SET planner on its own: the checks of RESERVE2 and the order of the steps, against
/// a kernel state given as data (no kernel, no privileges).
@Suite("SET planner")
struct SetPlanTests {
    typealias G = MPTCPMIB.General
    typealias E = MPTCPMIB.EndpointTable

    static let settings = Settings(["enabled": "1", "scheduler": "default", "available_schedulers": "default",
                                    "checksum_enabled": "0", "path_manager": "kernel",
                                    "available_path_managers": "kernel userspace"])
    static let ten = IPAddress("10.0.0.1")!
    static let state = SetState(settings: settings, limits: Limits(subflows: 2, addAddrAccepted: 0), endpoints: [
        Endpoint(id: 1, address: ten, flags: [.subflow]),
        Endpoint(id: 2, address: IPAddress("10.0.0.2")!, flags: [.signal]),
    ])

    /// A SET's varbinds through RESERVE1, then planned.
    static func plan(_ varbinds: [(MIBObject, UInt32, SNMPValue)], state: SetState = state,
                     pending: [UInt8: EndpointRow] = [:]) throws -> Result<SetPlan, SetPlan.Refusal> {
        let changes = try varbinds.map { object, instance, value in
            try SetChange.validate(oid: object.oid + [instance], value: value, settings: state.settings)
        }
        return Result { () throws(SetPlan.Refusal) in
            try SetPlan.make(changes, state: state, pending: pending, interfaceExists: { $0 == 7 })
        }
    }

    static func steps(_ r: Result<SetPlan, SetPlan.Refusal>) -> [SetOperation]? {
        guard case .success(let p) = r else { return nil }
        return p.steps.map(\.operation)
    }

    static func refusal(_ r: Result<SetPlan, SetPlan.Refusal>) -> (Int, ErrorStatus)? {
        guard case .failure(let f) = r else { return nil }
        return (f.change, f.refusal.status)
    }

    static let status = RowStatus.self
    static func rs(_ s: RowStatus) -> SNMPValue { .integer(s.rawValue) }
    static func flags(_ names: String) -> SNMPValue { try! ValueText.parse(names, E.flags.syntax) }

    @Test func createAndGoAddsTheEndpoint() throws {
        let r = try Self.plan([(E.rowStatus, 9, Self.rs(.createAndGo)), (E.addressType, 9, .integer(1)),
                               (E.address, 9, .octets([10, 0, 0, 9])), (E.flags, 9, Self.flags("subflow,backup")),
                               (E.ifIndex, 9, .integer(7))])
        #expect(Self.steps(r) == [.addEndpoint(Endpoint(id: 9, address: IPAddress("10.0.0.9")!, ifIndex: 7,
                                                                flags: [.subflow, .backup]))])
    }

    @Test func createAndWaitHoldsTheRowUntilActive() throws {
        var r = try Self.plan([(E.rowStatus, 9, Self.rs(.createAndWait))])
        #expect(Self.steps(r) == [.pendingRow(id: 9, new: EndpointRow(id: 9, status: .notReady), old: nil)])
        let notReady = EndpointRow(id: 9, status: .notReady)
        r = try Self.plan([(E.address, 9, .octets([10, 0, 0, 9]))], pending: [9: notReady])
        let held = EndpointRow(id: 9, address: IPAddress("10.0.0.9")!, status: .notInService)
        #expect(Self.steps(r) == [.pendingRow(id: 9, new: held, old: notReady)])
        r = try Self.plan([(E.rowStatus, 9, Self.rs(.active))], pending: [9: held])
        #expect(Self.steps(r) == [.addEndpoint(Endpoint(id: 9, address: IPAddress("10.0.0.9")!, flags: [])),
                                  .pendingRow(id: 9, new: nil, old: held)])
        // Without an address it cannot become active or notInService.
        #expect(Self.refusal(try Self.plan([(E.rowStatus, 9, Self.rs(.active))], pending: [9: notReady]))! == (0, .inconsistentValue))
        #expect(Self.refusal(try Self.plan([(E.rowStatus, 9, Self.rs(.notInService))], pending: [9: notReady]))! == (0, .inconsistentValue))
        // Destroying a held row discards it.
        #expect(Self.steps(try Self.plan([(E.rowStatus, 9, Self.rs(.destroy))], pending: [9: held]))
            == [.pendingRow(id: 9, new: nil, old: held)])
    }

    @Test func activeRowsChangeOnlyBackupAndFullmesh() throws {
        #expect(Self.steps(try Self.plan([(E.flags, 1, Self.flags("subflow,backup"))]))
            == [.setFlags(id: 1, new: [.subflow, .backup], old: [.subflow])])
        // signal cannot be added in place; fullmesh is refused on a signal endpoint.
        #expect(Self.refusal(try Self.plan([(E.flags, 1, Self.flags("subflow,signal"))]))! == (0, .inconsistentValue))
        #expect(Self.refusal(try Self.plan([(E.flags, 2, Self.flags("signal,fullmesh"))]))! == (0, .inconsistentValue))
        // The address of an active row cannot change: blamed on that varbind.
        #expect(Self.refusal(try Self.plan([(E.rowStatus, 1, Self.rs(.active)), (E.address, 1, .octets([10, 0, 0, 5]))]))! == (1, .inconsistentValue))
        // The kernel has no disabled endpoints.
        #expect(Self.refusal(try Self.plan([(E.rowStatus, 1, Self.rs(.notInService))]))! == (0, .inconsistentValue))
        #expect(Self.refusal(try Self.plan([(E.rowStatus, 1, Self.rs(.createAndGo))]))! == (0, .inconsistentValue))
    }

    @Test func refusalsOfTheKernelAreForeseen() throws {
        func go(_ id: UInt32, _ address: [UInt8], _ flags: String, port: UInt32? = nil, ifIndex: Int32? = nil) -> [(MIBObject, UInt32, SNMPValue)] {
            [(E.rowStatus, id, Self.rs(.createAndGo)), (E.address, id, .octets(address)), (E.flags, id, Self.flags(flags))]
                + (port.map { [(E.port, id, .unsigned($0))] } ?? []) + (ifIndex.map { [(E.ifIndex, id, .integer($0))] } ?? [])
        }
        // Duplicate address, signal with fullmesh, a port without signal-only, an unknown interface.
        #expect(Self.refusal(try Self.plan(go(9, [10, 0, 0, 1], "subflow")))! == (0, .inconsistentValue))
        #expect(Self.refusal(try Self.plan(go(9, [10, 0, 0, 9], "signal,fullmesh")))! == (0, .inconsistentValue))
        #expect(Self.refusal(try Self.plan(go(9, [10, 0, 0, 9], "subflow", port: 80)))! == (0, .inconsistentValue))
        #expect(Self.refusal(try Self.plan(go(9, [10, 0, 0, 9], "subflow", ifIndex: 8)))! == (0, .inconsistentValue))
        // Nobody but the kernel sets implicit: wrongValue on the flags varbind.
        #expect(Self.refusal(try Self.plan(go(9, [10, 0, 0, 9], "implicit")))! == (2, .wrongValue))
        // A ninth endpoint.
        var full = Self.state
        full.endpoints = (1...8).map { Endpoint(id: UInt8($0), address: IPAddress(bytes: [10, 1, 0, UInt8($0)])!, flags: [.subflow]) }
        #expect(Self.refusal(try Self.plan(go(9, [10, 0, 0, 9], "subflow"), state: full))! == (0, .resourceUnavailable))
        // Columns of a row that does not exist; the same object twice.
        #expect(Self.refusal(try Self.plan([(E.flags, 9, Self.flags("subflow"))]))! == (0, .inconsistentName))
        #expect(Self.refusal(try Self.plan([(G.limitSubflows, 0, .unsigned(1)), (G.limitSubflows, 0, .unsigned(2))]))! == (1, .inconsistentValue))
    }

    @Test func stepsAreOrderedSoThatAnAddressCanMove() throws {
        // Destroy endpoint 1 and create 9 with its address, plus a sysctl and a limit, in one PDU.
        let r = try Self.plan([(E.rowStatus, 9, Self.rs(.createAndGo)), (E.address, 9, .octets([10, 0, 0, 1])),
                               (E.rowStatus, 1, Self.rs(.destroy)), (G.limitSubflows, 0, .unsigned(4)),
                               (G.checksumEnabled, 0, .truth(true)), (E.rowStatus, 12, Self.rs(.destroy))])
        #expect(Self.steps(r) == [
            .sysctl(file: "checksum_enabled", new: "1", old: "0"),
            .limits(new: Limits(subflows: 4, addAddrAccepted: 0), old: Limits(subflows: 2, addAddrAccepted: 0)),
            .deleteEndpoint(Self.state.endpoints[0]),
            .addEndpoint(Endpoint(id: 9, address: Self.ten, flags: [])),
        ])
    }

    @Test func reserve1ChecksEachVarbindAgainstTheMIB() {
        func status(_ object: MIBObject, _ instance: UInt32, _ value: SNMPValue) -> ErrorStatus? {
            do {
                _ = try SetChange.validate(oid: object.oid + [instance], value: value, settings: Self.settings)
                return nil
            } catch { return error.status }
        }
        #expect(status(G.limitSubflows, 0, .integer(1)) == .wrongType)
        #expect(status(G.limitSubflows, 0, .unsigned(9)) == .wrongValue)
        #expect(status(G.limitSubflows, 1, .unsigned(1)) == .noCreation)
        #expect(status(G.currentConnections, 0, .unsigned(1)) == .notWritable)
        #expect(status(G.scheduler, 0, .octets(Array("fastest".utf8))) == .wrongValue)
        #expect(status(G.closeTimeout, 0, .integer(5)) == .notWritable)  // this "kernel" has no close_timeout
        #expect(status(E.address, 9, .octets([1, 2, 3])) == .wrongLength)
        #expect(status(E.rowStatus, 9, Self.rs(.notReady)) == .wrongValue)
        #expect(status(E.rowStatus, 0, Self.rs(.createAndGo)) == .noCreation)
        #expect(status(E.flags, 9, .octets([0x00, 0x80])) == .wrongLength)
    }
}
