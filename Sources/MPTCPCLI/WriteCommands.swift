import ArgumentParser
import MPTCPMIB
import MPTCPModel
import NetSNMP
import SMI

typealias G = MPTCPMIB.General

struct Limits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or set the path manager's limits, like `ip mptcp limits`.",
        subcommands: [LimitsShow.self, LimitsSet.self], defaultSubcommand: LimitsShow.self)
}

struct LimitsShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the limits.")
    @OptionGroup var snmp: SNMPArguments

    func run() throws {
        try reporting { try Self.show(snmp.session(), json: snmp.json) }
    }

    /// Reads and prints the limits over an open session (also after a write).
    static func show(_ client: MIBClient, json: Bool) throws {
        let limits = [G.limitSubflows, G.limitAddAddrAccepted]
        let n = try MIBClient.numbers(client.scalars(limits), of: limits)
        if json {
            emit(JSON.object([("subflows", .uint(n[0])), ("addAddrAccepted", .uint(n[1]))]).render())
        } else {
            emit("add_addr_accepted \(n[1]) subflows \(n[0])")
        }
    }
}

struct LimitsSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Set either limit or both in one request.",
        discussion: "Example: mptcp-mib limits set -v3 ... HOST subflows 4 add-addr-accepted 2")
    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "subflows N, add-addr-accepted N.") var words: [String]

    func run() throws {
        try reporting {
            var varbinds: [VarBind] = []
            var rest = words[...]
            while let key = rest.popFirst() {
                let object: MIBObject
                switch key {
                case "subflows": object = G.limitSubflows
                case "add-addr-accepted", "add_addr_accepted": object = G.limitAddAddrAccepted
                default: throw CLIError(.usage, "'\(key)' is not subflows or add-addr-accepted")
                }
                guard let text = rest.popFirst(), let v = UInt32(text) else { throw CLIError(.usage, "\(key) needs a number") }
                varbinds.append(VarBind(oid: object.oid + [0], value: .unsigned(v)))
            }
            guard !varbinds.isEmpty else { throw CLIError(.usage, "give subflows N and/or add-addr-accepted N") }
            let client = try snmp.session()
            _ = try client.set(varbinds)
            try LimitsShow.show(client, json: snmp.json)
        }
    }
}

struct EndpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoint", abstract: "Add, delete or change endpoints, like `ip mptcp endpoint`.",
        subcommands: [EndpointAdd.self, EndpointDelete.self, EndpointFlags.self])
}

struct EndpointAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add an endpoint (RowStatus createAndGo, one request).",
        discussion: """
            Words after the address: id N (default: mptcpEndpointNextId), dev IFNAME or dev \
            IFINDEX (names are looked up in the agent's IF-MIB ifName/ifDescr), port P, and \
            the flags signal, subflow, backup, fullmesh, laminar.

            Example: mptcp-mib endpoint add -v3 ... HOST 10.0.2.1 id 5 dev eth1 subflow backup
            """)
    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "The endpoint's address.") var address: String
    @Argument(help: "id N, dev IF, port P, flags.") var words: [String] = []

    func run() throws {
        try reporting {
            guard let ip = IPAddress(address) else { throw CLIError(.usage, "'\(address)' is not an IP address") }
            var id: UInt32?, dev: String?, port: UInt32 = 0
            var flags: [String] = []
            var rest = words[...]
            while let w = rest.popFirst() {
                switch w {
                case "id", "dev", "port":
                    guard let v = rest.popFirst() else { throw CLIError(.usage, "\(w) needs a value") }
                    if w == "dev" {
                        dev = v
                    } else {
                        guard let n = UInt32(v) else { throw CLIError(.usage, "\(w) needs a number, not '\(v)'") }
                        if w == "id" { id = n } else { port = n }
                    }
                case "signal", "subflow", "backup", "fullmesh", "laminar": flags.append(w)
                default: throw CLIError(.usage, "'\(w)' is not id, dev, port or a flag (signal, subflow, backup, fullmesh, laminar)")
                }
            }
            let client = try snmp.session()
            let endpointID = try id ?? nextID(client)
            var varbinds = [
                VarBind(oid: E.rowStatus.oid + [endpointID], value: .integer(RowStatus.createAndGo.rawValue)),
                VarBind(oid: E.addressType.oid + [endpointID], value: .integer(Int32(ip.family.rawValue))),
                VarBind(oid: E.address.oid + [endpointID], value: .octets(ip.bytes)),
                VarBind(oid: E.flags.oid + [endpointID], value: try ValueText.parse(flags.joined(separator: ","), E.flags.syntax)),
            ]
            if port != 0 { varbinds.append(VarBind(oid: E.port.oid + [endpointID], value: .unsigned(port))) }
            if let dev { varbinds.append(VarBind(oid: E.ifIndex.oid + [endpointID], value: .integer(try ifIndex(dev, client)))) }
            _ = try client.set(varbinds)
            if !snmp.json { emit("added endpoint \(endpointID)") }
            try Endpoints.show(client, json: snmp.json)
        }
    }

    func nextID(_ client: MIBClient) throws -> UInt32 {
        let vb = try client.get(G.endpointNextID.oid + [0])
        guard case .unsigned(let id) = vb.value, id != 0 else { throw CLIError(.refused, "no free endpoint id (mptcpEndpointNextId is 0)") }
        return id
    }

    /// An interface index (InterfaceIndexOrZero: 1..2147483647), or a name looked up in the
    /// agent's IF-MIB (ifName, then ifDescr).
    func ifIndex(_ dev: String, _ client: MIBClient) throws -> Int32 {
        if let n = UInt32(dev) {
            guard let index = Int32(exactly: n), index > 0 else { throw CLIError(.usage, "dev \(dev): not an interface index") }
            return index
        }
        for column: OID in [[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1], [1, 3, 6, 1, 2, 1, 2, 2, 1, 2]] {
            for vb in (try? client.walk(column)) ?? [] where vb.value == .octets(Array(dev.utf8)) {
                if let last = vb.oid.last, let index = Int32(exactly: last) { return index }
            }
        }
        throw CLIError(.noSuchObject, "dev \(dev): the agent's IF-MIB has no interface of that name (give its index)")
    }
}

struct EndpointDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete an endpoint (RowStatus destroy).")
    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "The endpoint id.") var id: UInt32

    func run() throws {
        try reporting {
            let client = try snmp.session()
            let status = E.rowStatus.oid + [id]
            if try client.get(status).value.isException {
                throw CLIError(.noSuchObject, "endpoint \(id): no such endpoint")
            }
            _ = try client.set([VarBind(oid: status, value: .integer(RowStatus.destroy.rawValue))])
            if !snmp.json { emit("deleted endpoint \(id)") }
        }
    }
}

struct EndpointFlags: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flags", abstract: "Change the backup and fullmesh flags of an endpoint in place.",
        discussion: "Example: mptcp-mib endpoint flags -v3 ... HOST 5 backup nofullmesh")
    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "The endpoint id.") var id: UInt32
    @Argument(help: "backup, nobackup, fullmesh, nofullmesh.") var changes: [String]

    func run() throws {
        try reporting {
            let client = try snmp.session()
            let oid = E.flags.oid + [id]
            let current = try client.get(oid)
            guard case .octets(let bytes) = current.value else { throw CLIError(.noSuchObject, "endpoint \(id): no such endpoint") }
            var bits = Set(SNMPValue.bitNumbers(bytes))
            for c in changes {
                let flag = c.hasPrefix("no") ? String(c.dropFirst(2)) : c
                guard flag == "backup" || flag == "fullmesh", let bit = E.flags.syntax.value(ofLabel: flag) else {
                    throw CLIError(.usage, "'\(c)' is not backup, nobackup, fullmesh or nofullmesh")
                }
                if c.hasPrefix("no") { bits.remove(Int(bit)) } else { bits.insert(Int(bit)) }
            }
            _ = try client.set([VarBind(oid: oid, value: .bits(bits.sorted(), length: E.flags.syntax.bitsLength))])
            try Endpoints.show(client, json: snmp.json)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
