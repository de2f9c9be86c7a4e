import ArgumentParser
import MPTCPMIB
import NetSNMP
import SMI

struct Walk: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk MPTCP-MIB, or the subtree of OBJECT, and print name.index = value.",
        discussion: """
            Examples:
              mptcp-mib walk -c public 127.0.0.1
              mptcp-mib walk -c public 127.0.0.1 mptcpEndpointTable
              mptcp-mib walk -c public --numeric 127.0.0.1 1.3.6.1.3.8684.1.1
            """)

    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "An object, table or OID (default: mptcpMIB).") var object: String?

    func run() throws {
        try reporting {
            let root = try MIBNames.parse(object ?? "mptcpMIB")
            let varbinds = try snmp.session().walk(root)
            guard !varbinds.isEmpty else { throw CLIError(.noSuchObject, "\(object ?? "mptcpMIB"): no instances") }
            let printed = varbinds.map { ($0, PrintedValue($0, name: snmp.name($0.oid))) }
            if snmp.json {
                emit(JSON.array(printed.map(\.1.json)).render())
            } else {
                printed.forEach { emit("\(snmp.name($0.0.oid)) = \($0.1.text)") }
            }
        }
    }
}

struct Get: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Get objects (a scalar may be named without its .0).",
        discussion: """
            Examples:
              mptcp-mib get -c public 127.0.0.1 mptcpLimitSubflows mptcpScheduler
              mptcp-mib get -c public 127.0.0.1 'mptcpConnectionState.0x8b59b702'
            """)

    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "Objects: names with their index, or OIDs.") var objects: [String]

    func validate() throws {
        if objects.isEmpty { throw ValidationError("name at least one object") }
    }

    func run() throws {
        try reporting {
            let oids = try objects.map { text throws(MIBNameError) in try MIBNames.parse(text, instanceOfScalars: true) }
            let varbinds = try snmp.session().get(oids)
            let missing = varbinds.filter { $0.value.isException }
            let printed = varbinds.map { PrintedValue($0, name: snmp.name($0.oid)) }
            if snmp.json {
                emit(JSON.array(printed.map(\.json)).render())
            } else {
                for (vb, p) in zip(varbinds, printed) where !vb.value.isException { emit("\(snmp.name(vb.oid)) = \(p.text)") }
            }
            if let first = missing.first {
                for m in missing.dropFirst() { printError("\(snmp.name(m.oid)): \(PrintedValue.raw(m.value))") }
                throw CLIError(.noSuchObject, "\(snmp.name(first.oid)): \(PrintedValue.raw(first.value))")
            }
        }
    }
}

struct SetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set objects in one request; values are written as people write them.",
        discussion: """
            The type of each value comes from the MIB: numbers, true/false, enumeration and BITS \
            names (comma-separated), IP addresses, text. All assignments go in one PDU: either \
            all apply or none.

            Examples:
              mptcp-mib set -v3 -u mptcpadmin -l authPriv -a SHA-256 -A ... -x AES -X ... HOST \\
                  mptcpLimitSubflows 4 mptcpChecksumEnabled true
              mptcp-mib set ... HOST mptcpEndpointRowStatus.9 createAndGo \\
                  mptcpEndpointAddress.9 10.0.2.1 mptcpEndpointFlags.9 subflow,backup
            """)

    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "OBJECT VALUE pairs.") var assignments: [String]

    func validate() throws {
        if assignments.isEmpty || assignments.count % 2 != 0 { throw ValidationError("give OBJECT VALUE pairs") }
    }

    func run() throws {
        try reporting {
            var varbinds: [VarBind] = []
            for i in stride(from: 0, to: assignments.count, by: 2) {
                let oid = try MIBNames.parse(assignments[i], instanceOfScalars: true)
                guard let (object, _) = MPTCPMIB.object(containing: oid) else {
                    throw CLIError(.usage, "\(assignments[i]): not an object of MPTCP-MIB")
                }
                do {
                    varbinds.append(VarBind(oid: oid, value: try ValueText.parse(assignments[i + 1], object.syntax)))
                } catch {
                    throw CLIError(.usage, "\(object.name): \(error)")
                }
            }
            let result = try snmp.session().set(varbinds)
            let printed = result.map { PrintedValue($0, name: snmp.name($0.oid)) }
            if snmp.json {
                emit(JSON.array(printed.map(\.json)).render())
            } else {
                for (vb, p) in zip(result, printed) { emit("\(snmp.name(vb.oid)) = \(p.text)") }
            }
        }
    }
}
