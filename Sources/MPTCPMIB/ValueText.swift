import MPTCPModel

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
    /// The value for machines (JSON).
    public static func decode(_ value: MIBValue, _ syntax: Syntax) -> DecodedValue {
        switch value {
        case .integer(let v):
            if syntax == .truthValue && (v == 1 || v == 2) { return .bool(v == 1) }
            if let name = syntax.names[Int64(v)] { return .text(name) }
            return .number(Int64(v))
        case .unsigned(let v) where syntax.typeName == "MptcpToken":
            return .text(String(v, radix: 16))
        case .unsigned(let v), .counter32(let v):
            return .unsigned(UInt64(v))
        case .counter64(let v):
            return .unsigned(v)
        case .octets(let bytes):
            if syntax.encoding == .bits {
                return .list(MIBValue.bitNumbers(bytes).map { syntax.names[Int64($0)] ?? "bit\($0)" })
            }
            if syntax.typeName == "InetAddress", let a = IPAddress(bytes: bytes) { return .text(a.description) }
            if syntax.typeName == "DisplayString" { return .text(String(decoding: bytes, as: UTF8.self)) }
            return .text(bytes.map { hex2($0) }.joined(separator: ":"))
        }
    }

    /// The value for people: `established`, `signal,backup`, `10.0.0.1`, `0x8b59b702`.
    public static func format(_ value: MIBValue, _ syntax: Syntax) -> String {
        switch (value, decode(value, syntax)) {
        case (.unsigned(let v), _) where syntax.typeName == "MptcpToken": return "0x" + String(v, radix: 16)
        case (_, .list(let names)): return names.isEmpty ? "-" : names.joined(separator: ",")
        case (_, .bool(let b)): return b ? "true" : "false"
        case (_, .text(let t)): return t
        case (_, .number(let n)): return "\(n)"
        case (_, .unsigned(let n)): return "\(n)"
        }
    }

    /// Parses what a person wrote for an object of `syntax` (SET).
    public static func parse(_ text: String, _ syntax: Syntax) throws(MIBNameError) -> MIBValue {
        func bad(_ what: String) -> MIBNameError { MIBNameError("'\(text)' is not \(what)") }
        switch syntax.encoding {
        case .integer:
            if syntax == .truthValue {
                switch text.lowercased() {
                case "true", "yes", "on", "1": return .integer(1)
                case "false", "no", "off", "2": return .integer(2)
                default: throw bad("true or false")
                }
            }
            if let (v, _) = syntax.names.first(where: { $0.value.lowercased() == text.lowercased() }) {
                return .integer(Int32(v))
            }
            guard let v = Int32(text) else {
                throw bad(syntax.names.isEmpty ? "a number" : "one of " + syntax.names.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", "))
            }
            return .integer(v)
        case .unsigned, .counter32:
            let v = text.hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
            guard let v else { throw bad("an unsigned number") }
            return syntax.encoding == .counter32 ? .counter32(v) : .unsigned(v)
        case .counter64:
            guard let v = UInt64(text) else { throw bad("an unsigned number") }
            return .counter64(v)
        case .bits:
            let names = text.split(whereSeparator: { $0 == "," || $0 == "+" || $0 == "|" || $0 == " " }).map(String.init)
            var bits: [Int] = []
            for n in names where n != "-" {
                guard let (bit, _) = syntax.names.first(where: { $0.value.lowercased() == n.lowercased() }) else {
                    throw MIBNameError("'\(n)' is not one of " + syntax.names.sorted { $0.key < $1.key }.map(\.value).joined(separator: ", "))
                }
                bits.append(Int(bit))
            }
            return .bits(bits, length: syntax.bitsLength)
        case .octets:
            if syntax.typeName == "InetAddress" {
                guard let a = IPAddress(text) else { throw bad("an IPv4 or IPv6 address") }
                return .octets(a.bytes)
            }
            return .octets(Array(text.utf8))
        }
    }

    private static func hex2(_ b: UInt8) -> String {
        let digits = String(b, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
