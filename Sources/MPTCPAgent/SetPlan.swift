import MPTCPKernel
import MPTCPMIB
import MPTCPModel

/// One write of a SET and what undoes it.
enum SetOperation: Equatable {
    case sysctl(file: String, new: String, old: String)
    case limits(new: Limits, old: Limits)
    case deleteEndpoint(Endpoint)
    /// Always with an id: the undo deletes by it.
    case addEndpoint(EndpointRequest)
    case setFlags(id: UInt8, new: EndpointFlags, old: EndpointFlags)
    /// A row created with createAndWait, held by the agent (nil: no such row).
    case pendingRow(id: UInt8, new: EndpointRow?, old: EndpointRow?)

    var summary: String {
        switch self {
        case .sysctl(let f, let new, let old): return "net.mptcp.\(f) \(old) -> \(new)"
        case .limits(let new, let old):
            return "limits subflows \(old.subflows) -> \(new.subflows), add_addr_accepted \(old.addAddrAccepted) -> \(new.addAddrAccepted)"
        case .deleteEndpoint(let e): return "endpoint \(e.id) (\(e.address)) deleted"
        case .addEndpoint(let r): return "endpoint \(r.id.map(String.init) ?? "?") (\(r.address)) added"
        case .setFlags(let id, let new, let old): return "endpoint \(id) flags 0x\(String(old.rawValue, radix: 16)) -> 0x\(String(new.rawValue, radix: 16))"
        case .pendingRow(let id, let new, _): return "endpoint row \(id) \(new.map { "held, \($0.status)" } ?? "discarded")"
        }
    }
}

/// The kernel's state a SET is checked against, read fresh for each SET.
struct KernelState {
    var settings: Settings
    var limits: Limits
    var endpoints: [Endpoint]
}

/// RESERVE2: the operations a SET's changes amount to, in the order they are applied
/// (settings, limits, endpoint deletions, additions, held rows, flag changes), each
/// blamed on the varbind that asked for it. Consistency between varbinds and with the
/// kernel is decided here, so that ACTION fails only when the kernel itself refuses.
struct SetPlan {
    struct Step: Equatable {
        let operation: SetOperation
        /// Index of the change (varbind) this step is for.
        let change: Int
    }

    struct Refusal: Error, Equatable {
        let change: Int
        let refusal: SetRefusal
    }

    static let maxEndpoints = 8
    static let changeableFlags: EndpointFlags = .changeable

    private(set) var steps: [Step] = []

    static func make(_ changes: [SetChange], state: KernelState, pending: [UInt8: EndpointRow],
                     interfaceExists: (UInt32) -> Bool) throws(Refusal) -> SetPlan {
        var plan = SetPlan()
        var seen: Set<OID> = []
        for (i, c) in changes.enumerated() where !seen.insert(c.oid).inserted {
            throw Refusal(change: i, refusal: .inconsistentValue("\(c.name) is set twice in one request"))
        }
        try plan.planScalars(changes, state)
        try plan.planEndpoints(changes, state, pending, interfaceExists)
        let order: (SetOperation) -> Int = {
            switch $0 {
            case .sysctl: return 0
            case .limits: return 1
            case .deleteEndpoint: return 2
            case .addEndpoint: return 3
            case .pendingRow: return 4
            case .setFlags: return 5
            }
        }
        plan.steps = plan.steps.enumerated().sorted { (order($0.1.operation), $0.0) < (order($1.1.operation), $1.0) }.map(\.1)
        return plan
    }

    private mutating func planScalars(_ changes: [SetChange], _ state: KernelState) throws(Refusal) {
        typealias G = MPTCPMIB.General
        var limits = state.limits
        var limitChange: Int?
        for (i, c) in changes.enumerated() where c.endpointID == nil {
            switch c.object {
            case G.limitSubflows, G.limitAddAddrAccepted:
                guard case .unsigned(let v) = c.value else { continue }
                if c.object == G.limitSubflows { limits.subflows = v } else { limits.addAddrAccepted = v }
                limitChange = limitChange ?? i
            case G.pathManager:
                let name = SysctlObject.text(of: c.value)
                guard let (file, text) = PathManagerSetting.write(name, state.settings) else { continue }
                steps.append(Step(operation: .sysctl(file: file, new: text, old: state.settings[file] ?? ""), change: i))
            default:
                guard let sysctl = SysctlObject.of(c.object) else { continue }
                let new = sysctl.text(c.value)
                let old = state.settings[sysctl.file] ?? ""
                steps.append(Step(operation: .sysctl(file: sysctl.file, new: new, old: old), change: i))
            }
        }
        if let i = limitChange {
            steps.append(Step(operation: .limits(new: limits, old: state.limits), change: i))
        }
    }

    private mutating func planEndpoints(_ changes: [SetChange], _ state: KernelState, _ pending: [UInt8: EndpointRow],
                                        _ interfaceExists: (UInt32) -> Bool) throws(Refusal) {
        typealias E = MPTCPMIB.EndpointTable
        var ids: [UInt8] = []
        var byID: [UInt8: [(index: Int, change: SetChange)]] = [:]
        for (i, c) in changes.enumerated() {
            guard let id = c.endpointID else { continue }
            if byID[id] == nil { ids.append(id) }
            byID[id, default: []].append((i, c))
        }
        // Deletions first: an address freed by a destroy may be reused in the same request.
        var remaining = state.endpoints
        for id in ids {
            let group = byID[id]!
            if let status = group.first(where: { $0.change.object == E.rowStatus }),
               status.change.value == .integer(6), let e = state.endpoints.first(where: { $0.id == id }) {
                steps.append(Step(operation: .deleteEndpoint(e), change: status.index))
                remaining.removeAll { $0.id == id }
            }
        }
        for id in ids {
            let group = byID[id]!
            let status = group.first { $0.change.object == E.rowStatus }
            let columns = group.filter { $0.change.object != E.rowStatus }
            let blame = status?.index ?? columns[0].index
            func refuse(_ r: SetRefusal, at index: Int? = nil) -> Refusal { Refusal(change: index ?? blame, refusal: r) }
            let action: Int32? = status.flatMap { if case .integer(let v) = $0.change.value { return v } else { return nil } }

            if let active = state.endpoints.first(where: { $0.id == id }) {
                switch action {
                case 6?: continue  // planned above
                case 4?, 5?: throw refuse(.inconsistentValue("endpoint \(id) already exists"))
                case 2?: throw refuse(.inconsistentValue("endpoint \(id) is active and the kernel cannot take it out of service"))
                default: break  // active(1) or no status: changes in place
                }
                var row = EndpointRow(active)
                for (i, c) in columns {
                    let before = row
                    try Self.apply(c, to: &row, blame: i)
                    if c.object != E.flags && row != before {
                        throw refuse(.inconsistentValue("\(c.object.name) of an active endpoint cannot change; destroy and create it"), at: i)
                    }
                }
                if row.flags != active.flags {
                    let i = columns.first { $0.change.object == E.flags }!.index
                    guard (row.flags.rawValue ^ active.flags.rawValue) & ~Self.changeableFlags.rawValue == 0 else {
                        throw refuse(.inconsistentValue("only backup and fullmesh can change on an active endpoint"), at: i)
                    }
                    if row.flags.contains(.fullmesh) && !active.flags.isDisjoint(with: [.signal, .implicit]) {
                        throw refuse(.inconsistentValue("fullmesh is not allowed on a signal or implicit endpoint"), at: i)
                    }
                    steps.append(Step(operation: .setFlags(id: id, new: row.flags, old: active.flags), change: i))
                }
            } else if var row = pending[id] {
                let old = row
                switch action {
                case 6?:
                    steps.append(Step(operation: .pendingRow(id: id, new: nil, old: old), change: blame))
                    continue
                case 4?, 5?: throw refuse(.inconsistentValue("endpoint row \(id) already exists (\(row.status))"))
                default: break
                }
                try Self.fill(&row, columns)
                row.status = row.isComplete ? .notInService : .notReady
                switch action {
                case 1?:
                    try addEndpoint(row, to: &remaining, interfaceExists, blame: blame)
                    steps.append(Step(operation: .pendingRow(id: id, new: nil, old: old), change: blame))
                case 2?:
                    guard row.isComplete else { throw refuse(.inconsistentValue("endpoint row \(id) has no address yet")) }
                    steps.append(Step(operation: .pendingRow(id: id, new: row, old: old), change: blame))
                default:
                    steps.append(Step(operation: .pendingRow(id: id, new: row, old: old), change: blame))
                }
            } else {
                switch action {
                case 6?: continue  // destroying a row that does not exist: noError (RFC 2579)
                case 4?:
                    var row = EndpointRow(id: id, status: .notReady)
                    try Self.fill(&row, columns)
                    try addEndpoint(row, to: &remaining, interfaceExists, blame: blame)
                case 5?:
                    var row = EndpointRow(id: id, status: .notReady)
                    try Self.fill(&row, columns)
                    row.status = row.isComplete ? .notInService : .notReady
                    steps.append(Step(operation: .pendingRow(id: id, new: row, old: nil), change: blame))
                case nil:
                    throw refuse(.inconsistentName("endpoint row \(id) does not exist: create it with createAndGo or createAndWait"))
                default:
                    throw refuse(.inconsistentValue("endpoint row \(id) does not exist"))
                }
            }
        }
    }

    /// Plans adding `row` to the kernel's `existing` endpoints, checked as the kernel would
    /// check it (so that only its own, unforeseeable refusals are left for ACTION).
    private mutating func addEndpoint(_ row: EndpointRow, to existing: inout [Endpoint], _ interfaceExists: (UInt32) -> Bool,
                                      blame: Int) throws(Refusal) {
        func refuse(_ r: SetRefusal) -> Refusal { Refusal(change: blame, refusal: r) }
        guard let address = row.address else {
            throw refuse(.inconsistentValue("endpoint \(row.id) needs mptcpEndpointAddress (and its type)"))
        }
        if let type = row.addressType, type != address.family {
            throw refuse(.inconsistentValue("endpoint \(row.id): a \(type) address has \(type.byteCount) octets, not \(address.family.byteCount)"))
        }
        if row.flags.isSuperset(of: [.signal, .fullmesh]) {
            throw refuse(.inconsistentValue("endpoint \(row.id): flags mustn't have both signal and fullmesh"))
        }
        if row.port != 0 && !(row.flags.contains(.signal) && !row.flags.contains(.subflow)) {
            throw refuse(.inconsistentValue("endpoint \(row.id): a port needs the signal flag without subflow"))
        }
        if row.ifIndex != 0 && !interfaceExists(row.ifIndex) {
            throw refuse(.inconsistentValue("endpoint \(row.id): no interface with index \(row.ifIndex)"))
        }
        if let twin = existing.first(where: { $0.address == address && $0.port == row.port }) {
            let implicit = twin.flags.contains(.implicit) ? " (implicit: the kernel made it for a subflow; destroy it first)" : ""
            throw refuse(.inconsistentValue("endpoint \(row.id): \(address) is already endpoint \(twin.id)\(implicit)"))
        }
        guard existing.count < Self.maxEndpoints else {
            throw refuse(.resourceUnavailable("the kernel holds at most \(Self.maxEndpoints) endpoints"))
        }
        existing.append(Endpoint(id: row.id, address: address, port: row.port, ifIndex: row.ifIndex, flags: row.flags))
        let request = EndpointRequest(id: row.id, address: address, port: row.port, ifIndex: row.ifIndex, flags: row.flags)
        steps.append(Step(operation: .addEndpoint(request), change: blame))
    }

    /// Writes column values into a row that is not (yet) in the kernel: nobody but the
    /// kernel creates an implicit endpoint.
    private static func fill(_ row: inout EndpointRow, _ columns: [(index: Int, change: SetChange)]) throws(Refusal) {
        for (i, c) in columns {
            try apply(c, to: &row, blame: i)
            if c.object == MPTCPMIB.EndpointTable.flags && row.flags.contains(.implicit) {
                throw Refusal(change: i, refusal: .wrongValue("\(c.object.name): implicit(4) is set by the kernel only"))
            }
        }
    }

    /// Writes one column value into a row.
    private static func apply(_ c: SetChange, to row: inout EndpointRow, blame: Int) throws(Refusal) {
        typealias E = MPTCPMIB.EndpointTable
        switch (c.object, c.value) {
        case (E.addressType, .integer(let v)):
            row.addressType = IPAddress.Family(rawValue: UInt8(v))
        case (E.address, .octets(let b)):
            row.address = IPAddress(bytes: b)
        case (E.port, .unsigned(let v)):
            row.port = UInt16(v)
        case (E.ifIndex, .integer(let v)):
            row.ifIndex = UInt32(v)
        case (E.flags, .octets(let b)):
            row.flags = EndpointFlags(rawValue: MIBValue.bitNumbers(b).reduce(0) { $0 | 1 << UInt32($1) })
        default:
            throw Refusal(change: blame, refusal: .wrongType("\(c.object.name): unexpected value"))
        }
    }
}
