import MPTCPModel
import SMI

/// A decoded value for machines: what `--json` prints.
public enum DecodedValue: Sendable, Equatable {
    case number(Int64)
    case unsigned(UInt64)
    case bool(Bool)
    case text(String)
    case list([String])
}

/// Values of MPTCP-MIB objects as people write and read them: enumerations and BITS by
/// name, InetAddress as text, tokens in hex, TruthValue as true/false.
public enum ValueText {
    /// The value for machines (JSON); nil for a value of a type the object cannot have.
    public static func decode(_ value: SNMPValue, _ syntax: Syntax) -> DecodedValue {
        switch value {
        case .integer(let v):
            if syntax.type == .truthValue && (v == 1 || v == 2) { return .bool(v == 1) }
            if let name = syntax.names[Int64(v)] { return .text(name) }
            return .number(Int64(v))
        case .unsigned(let v) where syntax.type == .mptcpToken:
            return .text(String(v, radix: 16))
        case .unsigned(let v), .counter32(let v), .timeticks(let v):
            return .unsigned(UInt64(v))
        case .counter64(let v):
            return .unsigned(v)
        case .octets(let bytes) where syntax.encoding == .bits:
            return .list(SNMPValue.bitNumbers(bytes).map { syntax.names[Int64($0)] ?? "bit\($0)" })
        case .octets(let bytes):
            switch syntax.type {
            case .inetAddress:
                if let a = IPAddress(bytes: bytes) { return .text(a.description) }
                return .text(bytes.isEmpty ? "" : hex(bytes))
            case .displayString:
                return .text(String(decoding: bytes, as: UTF8.self))
            default:
                return .text(hex(bytes))
            }
        case .objectID(let o):
            return .text(o.dotted)
        case .ipAddress(let b):
            return .text(b.map(String.init).joined(separator: "."))
        case .null, .noSuchObject, .noSuchInstance, .endOfMibView:
            return .text(value.typeName)
        }
    }

    /// The value for people: `established`, `signal,backup`, `10.0.0.1`, `0x8b59b702`.
    public static func format(_ value: SNMPValue, _ syntax: Syntax) -> String {
        switch (value, decode(value, syntax)) {
        case (.unsigned(let v), _) where syntax.type == .mptcpToken: return "0x" + String(v, radix: 16)
        case (_, .list(let names)): return names.isEmpty ? "-" : names.joined(separator: ",")
        case (_, .bool(let b)): return b ? "true" : "false"
        case (_, .text(let t)): return t
        case (_, .number(let n)): return "\(n)"
        case (_, .unsigned(let n)): return "\(n)"
        }
    }

    /// Parses what a person wrote for an object of `syntax` (SET).
    public static func parse(_ text: String, _ syntax: Syntax) throws(MIBNameError) -> SNMPValue {
        func bad(_ what: String) -> MIBNameError { MIBNameError("'\(text)' is not \(what)") }
        switch syntax.encoding {
        case .integer:
            if syntax.type == .truthValue {
                switch text.lowercased() {
                case "true", "yes", "on", "1": return .integer(1)
                case "false", "no", "off", "2": return .integer(2)
                default: throw bad("true or false")
                }
            }
            if let v = syntax.value(ofLabel: text) { return .integer(Int32(v)) }
            guard let v = Int32(text) else {
                throw bad(syntax.names.isEmpty ? "a number" : "one of " + syntax.labelList())
            }
            return .integer(v)
        case .unsigned, .counter32, .timeticks:
            let v = text.hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
            guard let v else { throw bad("an unsigned number") }
            switch syntax.encoding {
            case .counter32: return .counter32(v)
            case .timeticks: return .timeticks(v)
            default: return .unsigned(v)
            }
        case .counter64:
            guard let v = UInt64(text) else { throw bad("an unsigned number") }
            return .counter64(v)
        case .bits:
            let names = text.split(whereSeparator: { $0 == "," || $0 == "+" || $0 == "|" || $0 == " " }).map(String.init)
            var bits: [Int] = []
            for n in names where n != "-" {
                guard let bit = syntax.value(ofLabel: n) else {
                    throw MIBNameError("'\(n)' is not one of " + syntax.labelList())
                }
                bits.append(Int(bit))
            }
            return .bits(bits, length: syntax.bitsLength)
        case .octets:
            if syntax.type == .inetAddress {
                guard let a = IPAddress(text) else { throw bad("an IPv4 or IPv6 address") }
                return .octets(a.bytes)
            }
            return .octets(Array(text.utf8))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}
