import MPTCPMIB
import MPTCPModel
import NetSNMP
import SMI

/// MPTCP-MIB over one SNMP session: values decoded by the MIB, tables as rows.
struct MIBClient {
    let session: SNMPSession
    let repetitions: Int

    func walk(_ root: OID, from start: OID? = nil) throws -> [VarBind] {
        var out: [VarBind] = []
        try session.walk(root, from: start, repetitions: repetitions) { out.append($0) }
        return out
    }

    func get(_ oids: [OID]) throws -> [VarBind] {
        do { return try session.get(oids) } catch let e as SNMPError { throw CLIError(e, varbinds: oids) }
    }

    /// One instance; an agent that answers with fewer varbinds than asked is an error.
    func get(_ oid: OID) throws -> VarBind {
        guard let vb = try get([oid]).first else { throw CLIError(.refused, "\(MIBNames.format(oid)): empty response") }
        return vb
    }

    /// Scalar instances in one request; an exception is an error, `lacking` says what such an agent lacks.
    func scalars(_ objects: [MIBObject], lacking: String? = nil) throws -> [SNMPValue] {
        let varbinds = try get(objects.map { $0.oid + [0] })
        if let missing = varbinds.first(where: { $0.value.isException }) {
            let note = lacking.map { " (\($0))" } ?? ""
            throw CLIError(.noSuchObject, "\(MIBNames.format(missing.oid)): \(PrintedValue.raw(missing.value))\(note)")
        }
        return varbinds.map(\.value)
    }

    /// Counter and gauge scalars' values as numbers: a value of another type is the agent's error.
    static func numbers<Values: Sequence<SNMPValue>>(_ values: Values, of objects: [MIBObject]) throws -> [UInt64] {
        try zip(values, objects).map { value, object in
            guard let n = value.number else { throw CLIError(.refused, "\(object.name): \(value.typeName) is not a number") }
            return n
        }
    }

    func set(_ varbinds: [VarBind]) throws -> [VarBind] {
        do { return try session.set(varbinds) } catch let e as SNMPError { throw CLIError(e, varbinds: varbinds.map(\.oid)) }
    }

    /// A table's rows in index order: index sub-identifiers and column values by column number.
    func rows(_ table: MIBTable) throws -> [TableRow] {
        try Self.assemble(table, try walk(table.entryOID))
    }

    /// The rows whose index comes after `index`: each readable column walked from there
    /// (a walk of the entry would go on with the next column's first rows).
    func rows(_ table: MIBTable, after index: OID) throws -> [TableRow] {
        var varbinds: [VarBind] = []
        for column in table.columns where column.access != .notAccessible {
            varbinds += try walk(column.oid, from: column.oid + index)
        }
        return try Self.assemble(table, varbinds)
    }

    private static func assemble(_ table: MIBTable, _ varbinds: [VarBind]) throws -> [TableRow] {
        var rows: [TableRow] = []
        var position: [[UInt32]: Int] = [:]
        let entry = table.entryOID
        for vb in varbinds {
            guard vb.oid.count > entry.count + 1, !vb.value.isException else { continue }
            let value = vb.value
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

extension SNMPValue {
    /// A number of any integer type (a negative INTEGER as 0); nil for other types.
    var number: UInt64? {
        switch self {
        case .unsigned(let v), .counter32(let v), .timeticks(let v): return UInt64(v)
        case .counter64(let v): return v
        case .integer(let v): return UInt64(clamping: v)
        default: return nil
        }
    }
}

extension IndexValue {
    /// As a table cell: an address or a name without the quotes that it has in an OID's name.
    var cell: String {
        switch self {
        case .address(let a): return a?.description ?? ""
        case .text(let s): return s
        default: return text
        }
    }
}

/// One row of a table as read over SNMP.
struct TableRow {
    let table: MIBTable
    let index: [UInt32]
    var values: [UInt32: SNMPValue]

    subscript(_ column: MIBObject) -> SNMPValue? { values[column.subID] }

    var decodedIndex: [IndexValue] { MIBNames.decodeIndex(index, table: table) ?? index.map { .number($0) } }

    /// Component `i` of the index as a table cell (`?` if there is none).
    func index(_ i: Int) -> String {
        let index = decodedIndex
        return i < index.count ? index[i].cell : "?"
    }

    func text(_ column: MIBObject) -> String { self[column].map { ValueText.format($0, column.syntax) } ?? "-" }

    func number(_ column: MIBObject) -> UInt64? { self[column]?.number }

    /// A BITS column as the model's option set: bit n of the MIB is 1 << n.
    func flags<Flags: OptionSet>(_ column: MIBObject, as: Flags.Type) -> Flags? where Flags.RawValue == UInt32 {
        guard case .octets(let bits)? = self[column] else { return nil }
        return Flags(rawValue: SNMPValue.bitNumbers(bits).reduce(0) { $0 | 1 << UInt32($1) })
    }

    /// `address:port` of two columns as `ss` prints a socket (`[address]:port` for IPv6).
    func endpoint(_ address: MIBObject, _ port: MIBObject) -> String {
        if case .octets(let bytes)? = self[address], let a = IPAddress(bytes: bytes), let p = number(port).flatMap(UInt16.init(exactly:)) {
            return SocketAddress(address: a, port: p).description
        }
        return "\(text(address)):\(text(port))"
    }

    /// The documented JSON schema: one key per index component and column, named after
    /// the MIB object without its table's prefix (mptcpConnectionLocalPort -> localPort).
    var json: JSON {
        var fields: [(String, JSON)] = []
        for (object, value) in zip(table.indexes, decodedIndex) {
            let v: JSON
            switch value {
            case .number(let n):
                // An enumerated index (mptcpPathCloseReason) by its name, as its columns would be.
                v = object.syntax.names.isEmpty ? .uint(UInt64(n)) : JSON(ValueText.decode(.integer(Int32(bitPattern: n)), object.syntax))
            case .token(let t): v = .string(String(t, radix: 16))
            case .addressType(let f): v = .string(IndexValue.name(f))
            case .address(let a): v = .string(a?.description ?? "")
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
