import ArgumentParser
import MPTCPMIB
import SNMPClient

/// The options net-snmp users know, then the agent. Unset options fall back to
/// net-snmp's configuration (snmp.conf: defVersion, defCommunity, defSecurityName, ...).
struct SNMPArguments: ParsableArguments {
    @Option(name: .customShort("v"), help: "SNMP version: 1, 2c or 3.")
    var version: String?

    @Option(name: .customShort("c"), help: "Community (SNMPv1, SNMPv2c).")
    var community: String?

    @Option(name: .customShort("u"), help: "SNMPv3 user.")
    var user: String?

    @Option(name: .customShort("l"), help: "SNMPv3 security level: noAuthNoPriv, authNoPriv or authPriv.")
    var level: String?

    @Option(name: .customShort("a"), help: "SNMPv3 authentication protocol: MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512.")
    var authProtocol: String?

    @Option(name: .customShort("A"), help: "SNMPv3 authentication passphrase.")
    var authPassphrase: String?

    @Option(name: .customShort("x"), help: "SNMPv3 privacy protocol: DES, AES, AES-192 or AES-256.")
    var privProtocol: String?

    @Option(name: .customShort("X"), help: "SNMPv3 privacy passphrase.")
    var privPassphrase: String?

    @Option(name: .customShort("t"), help: "Timeout in seconds (net-snmp's default: 1).")
    var timeout: Double?

    @Option(name: .customShort("r"), help: "Retries (net-snmp's default: 5).")
    var retries: Int?

    @Option(help: "GETBULK repetitions for walks (SNMPv2c and v3).")
    var repetitions = 25

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Print OIDs as numbers.")
    var numeric = false

    @Argument(help: "The agent: [udp:|tcp:]HOST[:PORT] (port 161 by default).")
    var target: String

    func validate() throws {
        func check(_ value: String?, _ allowed: [String], _ what: String) throws {
            if let value, !allowed.contains(value) {
                throw ValidationError("\(what) '\(value)' is not one of \(allowed.joined(separator: ", "))")
            }
        }
        try check(version, ["1", "2c", "3"], "-v")
        try check(level, ["noAuthNoPriv", "authNoPriv", "authPriv"], "-l")
        try check(authProtocol, ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"], "-a")
        try check(privProtocol, ["DES", "AES", "AES-192", "AES-256"], "-x")
        if let timeout, timeout <= 0 { throw ValidationError("-t must be a positive number of seconds") }
        if let retries, retries < 0 { throw ValidationError("-r must be 0 or more") }
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
    }

    func session() throws -> MIBClient {
        var o = SessionOptions()
        o.version = version
        o.community = community
        o.user = user
        o.securityLevel = level
        o.authProtocol = authProtocol
        o.authPassphrase = authPassphrase
        o.privProtocol = privProtocol
        o.privPassphrase = privPassphrase
        o.timeout = timeout
        o.retries = retries
        return MIBClient(session: try SNMPSession(target: target, options: o), repetitions: repetitions)
    }

    /// The name of an OID as this command prints it.
    func name(_ oid: ObjectID) -> String { numeric ? "." + oid.dotted : MIBNames.format(oid) }
}

/// MPTCP-MIB over one SNMP session: values decoded by the MIB, tables as rows.
struct MIBClient {
    let session: SNMPSession
    let repetitions: Int

    func walk(_ root: ObjectID) throws -> [VarBind] {
        var out: [VarBind] = []
        try session.walk(root, repetitions: repetitions) { out.append($0) }
        return out
    }

    func get(_ oids: [ObjectID]) throws -> [VarBind] {
        do { return try session.get(oids) } catch let e as SNMPError { throw CLIError(e, varbinds: oids) }
    }

    /// One instance; an agent that answers with fewer varbinds than asked is an error.
    func get(_ oid: ObjectID) throws -> VarBind {
        guard let vb = try get([oid]).first else { throw CLIError(.refused, "\(MIBNames.format(oid)): empty response") }
        return vb
    }

    func set(_ varbinds: [VarBind]) throws -> [VarBind] {
        do { return try session.set(varbinds) } catch let e as SNMPError { throw CLIError(e, varbinds: varbinds.map(\.oid)) }
    }

    /// A table's rows in index order: index sub-identifiers and column values by column number.
    func rows(_ table: MIBTable) throws -> [TableRow] {
        var rows: [TableRow] = []
        var position: [[UInt32]: Int] = [:]
        let entry = table.entryOID
        for vb in try walk(entry) {
            guard vb.oid.count > entry.count + 1, let value = MIBValue(vb.value) else { continue }
            let index = Array(vb.oid[(entry.count + 1)...])
            if let i = position[index] {
                rows[i].values[vb.oid[entry.count]] = value
            } else {
                position[index] = rows.count
                rows.append(TableRow(table: table, index: index, values: [vb.oid[entry.count]: value]))
            }
        }
        return rows.sorted { oidLess($0.index, $1.index) }
    }
}

/// One row of a table as read over SNMP.
struct TableRow {
    let table: MIBTable
    let index: [UInt32]
    var values: [UInt32: MIBValue]

    subscript(_ column: MIBObject) -> MIBValue? { values[column.subID] }

    var decodedIndex: [IndexValue] { MIBNames.decodeIndex(index, table: table) ?? index.map { .number($0) } }

    func text(_ column: MIBObject) -> String { self[column].map { ValueText.format($0, column.syntax) } ?? "-" }

    func number(_ column: MIBObject) -> UInt64? {
        switch self[column] {
        case .unsigned(let v)?, .counter32(let v)?: return UInt64(v)
        case .counter64(let v)?: return v
        case .integer(let v)?: return UInt64(clamping: v)
        default: return nil
        }
    }

    /// `address:port`, or `[address]:port` for IPv6, from two columns.
    func endpoint(_ address: MIBObject, _ port: MIBObject) -> String {
        let a = text(address), p = text(port)
        return a.contains(":") ? "[\(a)]:\(p)" : "\(a):\(p)"
    }

    /// The documented JSON schema: one key per index component and column, named after
    /// the MIB object without its table's prefix (mptcpConnectionLocalPort -> localPort).
    var json: JSON {
        var fields: [(String, JSON)] = []
        for (object, value) in zip(table.indexes, decodedIndex) {
            let v: JSON
            switch value {
            case .number(let n): v = .uint(UInt64(n))
            case .token(let t): v = .string(String(t, radix: 16))
            case .addressType(let f): v = .string(f == .ipv4 ? "ipv4" : "ipv6")
            case .address(let a): v = .string(a.description)
            case .text(let s): v = .string(s)
            }
            fields.append((Self.key(object, table), v))
        }
        for column in table.columns where column.access != .notAccessible {
            guard let value = self[column] else { continue }
            fields.append((Self.key(column, table), JSON(ValueText.decode(value, column.syntax))))
        }
        return .object(fields)
    }

    static func key(_ object: MIBObject, _ table: MIBTable) -> String {
        let prefix = String(table.name.dropLast("Table".count))
        var rest = object.name.hasPrefix(prefix) ? String(object.name.dropFirst(prefix.count)) : object.name
        if rest.isEmpty { rest = "Address" }
        return rest.prefix(1).lowercased() + rest.dropFirst()
    }
}

extension MIBValue {
    init?(_ v: SNMPValue) {
        switch v {
        case .integer(let x): self = .integer(x)
        case .unsigned(let x): self = .unsigned(x)
        case .counter32(let x): self = .counter32(x)
        case .counter64(let x): self = .counter64(x)
        case .octets(let b): self = .octets(b)
        default: return nil
        }
    }
}

extension SNMPValue {
    init(_ v: MIBValue) {
        switch v {
        case .integer(let x): self = .integer(x)
        case .unsigned(let x): self = .unsigned(x)
        case .counter32(let x): self = .counter32(x)
        case .counter64(let x): self = .counter64(x)
        case .octets(let b): self = .octets(b)
        }
    }

    /// net-snmp's name of the type, for JSON.
    var typeName: String {
        switch self {
        case .integer: return "INTEGER"
        case .unsigned: return "Gauge32"
        case .counter32: return "Counter32"
        case .counter64: return "Counter64"
        case .timeticks: return "Timeticks"
        case .octets: return "OCTET STRING"
        case .objectID: return "OBJECT IDENTIFIER"
        case .ipAddress: return "IpAddress"
        case .null: return "NULL"
        case .noSuchObject: return "noSuchObject"
        case .noSuchInstance: return "noSuchInstance"
        case .endOfMibView: return "endOfMibView"
        }
    }
}
