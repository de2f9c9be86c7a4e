import SMI
import MPTCPModel

/// One decoded index component of a table instance.
public enum IndexValue: Sendable, Hashable {
    case number(UInt32)
    case token(UInt32)
    /// nil: unknown(0), the type of TCP-MIB's wildcard for both families.
    case addressType(IPAddress.Family?)
    /// nil: the zero-length address of that wildcard.
    case address(IPAddress?)
    case text(String)

    /// As it appears in a name: `0x8b59b702`, `ipv4`, `"10.0.0.1"`, `"MPJoinSynRx"`, `80`.
    public var text: String {
        switch self {
        case .number(let n): return "\(n)"
        case .token(let t): return "0x" + String(t, radix: 16)
        case .addressType(let f): return Self.name(f)
        case .address(let a): return "\"\(a.map(\.description) ?? "")\""
        case .text(let s): return "\"\(s)\""
        }
    }

    /// InetAddressType labels: `ipv4`, `ipv6`, `unknown`.
    public static func name(_ family: IPAddress.Family?) -> String {
        switch family {
        case .ipv4?: return "ipv4"
        case .ipv6?: return "ipv6"
        case nil: return "unknown"
        }
    }
}

public struct MIBNameError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ d: String) { description = d }
}

/// Names of MPTCP-MIB: `name.index` text to OIDs and back, without MIB files. Indexes are
/// written as net-snmp users know them, with tokens in hex and addresses quoted:
/// `mptcpSubflowRtt.0x8b59b702.ipv4."10.0.0.1".40000.ipv4."10.0.0.2".80`.
public enum MIBNames {
    /// Every named node: the module, its groups, tables, entries, objects, notifications.
    public static let nodes: [String: OID] = {
        var n: [String: OID] = [
            "mptcpMIB": MPTCPMIB.root, "mptcpNotifications": MPTCPMIB.notificationsOID,
            "mptcpObjects": MPTCPMIB.objectsOID, "mptcpGeneral": MPTCPMIB.generalOID, "mptcpStats": MPTCPMIB.statsOID,
        ]
        for t in MPTCPMIB.tables {
            n[t.name] = t.oid
            n[t.entryName] = t.entryOID
        }
        for o in MPTCPMIB.objects { n[o.name] = o.oid }
        for x in MPTCPMIB.Notifications.all { n[x.name] = x.oid }
        return n
    }()

    private static let byOID: [OID: String] = Dictionary(nodes.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })

    /// Parses a numeric OID (`1.3.6...`, `.1.3.6...`) or `name[.index]`. A scalar named
    /// without an instance gets `.0` when `instanceOfScalars` is set (GET and SET).
    public static func parse(_ text: String, instanceOfScalars: Bool = false) throws(MIBNameError) -> OID {
        if let oid = OID(dotted: text) { return oid }
        let parts = split(text)
        guard let name = parts.first, let base = nodes[name] else {
            throw MIBNameError("unknown object '\(text.split(separator: ".").first ?? "")' (not in MPTCP-MIB)")
        }
        let rest = Array(parts.dropFirst())
        let object = MPTCPMIB.object(named: name)
        if rest.isEmpty {
            if instanceOfScalars, let object, MPTCPMIB.table(of: object) == nil { return base + [0] }
            return base
        }
        if let object, let table = MPTCPMIB.table(of: object) {
            return base + (try encodeIndex(rest, table: table, text: text))
        }
        return base + (try numbers(rest, text: text))
    }

    /// `name.index` for an OID of the MIB (the dotted OID otherwise).
    public static func format(_ oid: OID) -> String {
        guard let (object, instance) = MPTCPMIB.object(containing: oid) else {
            return byOID[oid] ?? oid.dotted
        }
        if instance.isEmpty { return object.name }
        if let table = MPTCPMIB.table(of: object), let index = decodeIndex(instance, table: table) {
            return object.name + "." + index.map(\.text).joined(separator: ".")
        }
        return object.name + "." + instance.map(String.init).joined(separator: ".")
    }

    /// The index components of a table instance; nil if they do not follow the INDEX.
    public static func decodeIndex<C: Collection>(_ instance: C, table: MIBTable) -> [IndexValue]? where C.Element == UInt32 {
        var rest = ArraySlice(instance)
        var out: [IndexValue] = []
        for object in table.indexes {
            switch object.syntax.type {
            case .mptcpToken:
                guard let v = rest.popFirst() else { return nil }
                out.append(.token(v))
            case .inetAddressType:
                guard let v = rest.popFirst(), v < 256 else { return nil }
                if v == 0 {
                    out.append(.addressType(nil))
                    continue
                }
                guard let f = IPAddress.Family(rawValue: UInt8(v)) else { return nil }
                out.append(.addressType(f))
            case .inetAddress:
                guard let n = rest.popFirst(), rest.count >= Int(n), n == 0 || n == 4 || n == 16 else { return nil }
                if n == 0 {
                    out.append(.address(nil))
                    continue
                }
                let bytes = rest.prefix(Int(n))
                guard bytes.allSatisfy({ $0 < 256 }), let a = IPAddress(bytes: bytes.map { UInt8($0) }) else { return nil }
                rest = rest.dropFirst(Int(n))
                out.append(.address(a))
            case .displayString:
                guard let n = rest.popFirst(), rest.count >= Int(n) else { return nil }
                let chars = rest.prefix(Int(n))
                guard chars.allSatisfy({ (0x20...0x7e).contains($0) }) else { return nil }
                rest = rest.dropFirst(Int(n))
                out.append(.text(String(decoding: chars.map { UInt8($0) }, as: UTF8.self)))
            default:
                guard let v = rest.popFirst() else { return nil }
                out.append(.number(v))
            }
        }
        return rest.isEmpty ? out : nil
    }

    /// Encodes written index components following the table's INDEX.
    static func encodeIndex(_ parts: [String], table: MIBTable, text: String) throws(MIBNameError) -> OID {
        var rest = parts[...]
        var out: OID = []
        func bad(_ why: String) -> MIBNameError { MIBNameError("\(text): \(why)") }
        for object in table.indexes {
            guard let part = rest.popFirst() else {
                // A partial index is a prefix: fine for walks and GETNEXT.
                return out
            }
            let quoted = part.count >= 2 && part.hasPrefix("\"") && part.hasSuffix("\"") ? String(part.dropFirst().dropLast()) : nil
            switch object.syntax.type {
            case .inetAddressType:
                switch part {
                case "unknown": out.append(0)
                case "ipv4": out.append(1)
                case "ipv6": out.append(2)
                default:
                    guard let v = UInt32(part) else { throw bad("'\(part)' is not ipv4, ipv6 or a number") }
                    out.append(v)
                }
            case .inetAddress:
                if quoted == "" {
                    out.append(0)
                } else if let quoted {
                    guard let a = IPAddress(quoted) else { throw bad("'\(quoted)' is not an IP address") }
                    out += [UInt32(a.family.byteCount)] + a.bytes.map(UInt32.init)
                } else {
                    // Numeric: a length, then that many octets.
                    guard let n = UInt32(part) else { throw bad("'\(part)' is not a quoted address") }
                    out.append(n)
                    for _ in 0..<n {
                        guard let b = rest.popFirst().flatMap({ UInt32($0) }) else { throw bad("address shorter than \(n)") }
                        out.append(b)
                    }
                }
            case .displayString:
                let s = quoted ?? part
                out += [UInt32(s.utf8.count)] + s.utf8.map(UInt32.init)
            default:
                guard let v = part.hasPrefix("0x") ? UInt32(part.dropFirst(2), radix: 16) : UInt32(part) else {
                    throw bad("'\(part)' is not a number")
                }
                out.append(v)
            }
        }
        guard rest.isEmpty else { throw bad("more index components than \(table.entryName) has") }
        return out
    }

    static func numbers(_ parts: [String], text: String) throws(MIBNameError) -> OID {
        var out: OID = []
        for p in parts {
            guard let v = UInt32(p) else { throw MIBNameError("\(text): '\(p)' is not a number") }
            out.append(v)
        }
        return out
    }

    /// Splits at dots outside double quotes.
    static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        for c in text {
            if c == "\"" { quoted.toggle() }
            if c == "." && !quoted {
                parts.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}
