import MPTCPMIB

/// A JSON value with keys kept in the order they were added, so output is stable.
enum JSON {
    case object([(String, JSON)])
    case array([JSON])
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null

    init(_ v: DecodedValue) {
        switch v {
        case .number(let n): self = .int(n)
        case .unsigned(let n): self = .uint(n)
        case .bool(let b): self = .bool(b)
        case .text(let t): self = .string(t)
        case .list(let l): self = .array(l.map { .string($0) })
        }
    }

    /// On one line, for streams (one value per line).
    var compact: String {
        switch self {
        case .object(let fields): return "{" + fields.map { "\(JSON.quote($0.0)):\($0.1.compact)" }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map(\.compact).joined(separator: ",") + "]"
        default: return render()
        }
    }

    func render(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1), end = String(repeating: "  ", count: indent)
        switch self {
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { "\(pad)\(JSON.quote($0.0)): \($0.1.render(indent: indent + 1))" }.joined(separator: ",\n")
                + "\n\(end)}"
        case .array(let items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
                return "[" + items.map { $0.render() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { pad + $0.render(indent: indent + 1) }.joined(separator: ",\n") + "\n\(end)]"
        case .string(let s): return JSON.quote(s)
        case .int(let n): return "\(n)"
        case .uint(let n): return "\(n)"
        case .double(let d): return d.isFinite ? "\((d * 100).rounded() / 100)" : "null"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}
