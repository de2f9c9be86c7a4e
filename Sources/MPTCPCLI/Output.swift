import MPTCPMIB
import NetSNMP
import SMI

/// Columns aligned for people, like `ss` and `ip`.
struct TextTable {
    let headers: [String]
    var rows: [[String]] = []

    func render() -> String {
        let widths = headers.indices.map { i in ([headers[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, c) in cells.enumerated() {
                out += i == cells.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 2)
            }
            return out
        }
        return ([line(headers)] + rows.map(line)).joined(separator: "\n")
    }
}

/// How a varbind is printed: by the MIB when the object is known.
struct PrintedValue {
    let text: String
    let json: JSON

    init(_ vb: VarBind, name: String) {
        var fields: [(String, JSON)] = [("oid", .string(vb.oid.dotted)), ("name", .string(name)), ("type", .string(vb.value.typeName))]
        if !vb.value.isException, let (object, _) = MPTCPMIB.object(containing: vb.oid) {
            text = ValueText.format(vb.value, object.syntax)
            fields.append(("value", JSON(ValueText.decode(vb.value, object.syntax))))
        } else {
            let raw = Self.raw(vb.value)
            text = raw
            fields.append(("value", .string(raw)))
        }
        fields.append(("raw", Self.rawJSON(vb.value)))
        json = .object(fields)
    }

    /// The value without MIB knowledge.
    static func raw(_ v: SNMPValue) -> String {
        switch v {
        case .integer(let x): return "\(x)"
        case .unsigned(let x), .counter32(let x), .timeticks(let x): return "\(x)"
        case .counter64(let x): return "\(x)"
        case .octets(let b):
            if !b.isEmpty && b.allSatisfy({ (0x20...0x7e).contains($0) }) { return String(decoding: b, as: UTF8.self) }
            return hex(b)
        case .objectID(let o): return "." + o.dotted
        case .ipAddress(let b): return b.map(String.init).joined(separator: ".")
        case .null: return "NULL"
        case .noSuchObject: return "no such object"
        case .noSuchInstance: return "no such instance"
        case .endOfMibView: return "end of MIB view"
        }
    }

    /// Numbers as numbers, octets as lowercase hex: exactly what was on the wire.
    static func rawJSON(_ v: SNMPValue) -> JSON {
        switch v {
        case .integer(let x): return .int(Int64(x))
        case .unsigned(let x), .counter32(let x), .timeticks(let x): return .uint(UInt64(x))
        case .counter64(let x): return .uint(x)
        case .octets(let b), .ipAddress(let b): return .string(hex(b))
        case .objectID(let o): return .string(o.dotted)
        default: return .null
        }
    }

    static func hex(_ b: [UInt8]) -> String {
        b.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

func emit(_ text: String) {
    print(text)
}
