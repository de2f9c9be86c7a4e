/// An object identifier as a list of sub-identifiers.
public typealias OID = [UInt32]

extension Array where Element == UInt32 {
    /// Dotted-decimal form, e.g. `1.3.6.1.3.8684`.
    public var dotted: String { map(String.init).joined(separator: ".") }

    /// Parses dotted-decimal text (a leading dot is allowed).
    public init?(dotted text: String) {
        let parts = text.drop(while: { $0 == "." }).split(separator: ".", omittingEmptySubsequences: false)
        var out: [UInt32] = []
        for p in parts {
            guard let v = UInt32(p) else { return nil }
            out.append(v)
        }
        guard !out.isEmpty else { return nil }
        self = out
    }

    public func hasPrefix(_ prefix: OID) -> Bool {
        count >= prefix.count && self[0..<prefix.count].elementsEqual(prefix)
    }
}

/// Lexicographic order of OIDs (and of index suffixes).
@inline(__always)
public func oidLess<A: RandomAccessCollection, B: RandomAccessCollection>(_ a: A, _ b: B) -> Bool
where A.Element == UInt32, B.Element == UInt32 {
    var i = a.startIndex, j = b.startIndex
    while i != a.endIndex && j != b.endIndex {
        let x = a[i], y = b[j]
        if x != y { return x < y }
        i = a.index(after: i)
        j = b.index(after: j)
    }
    return i == a.endIndex && j != b.endIndex
}

/// MAX-ACCESS of an object.
public enum Access: String, Sendable {
    case notAccessible = "not-accessible"
    case accessibleForNotify = "accessible-for-notify"
    case readOnly = "read-only"
    case readWrite = "read-write"
    case readCreate = "read-create"

    public var isWritable: Bool { self == .readWrite || self == .readCreate }
}

/// The SYNTAX of an object: how its values are encoded, the type name as the MIB
/// writes it, the range or size restriction written on the object, and the labels of
/// enumerations and BITS.
public struct Syntax: Sendable, Hashable {
    public enum Encoding: Sendable, Hashable {
        case integer  // INTEGER, Integer32 and TCs on them
        case unsigned  // Unsigned32, Gauge32 (one ASN.1 tag)
        case counter32
        case counter64  // Counter64, CounterBasedGauge64
        case octets  // OCTET STRING, DisplayString, InetAddress
        case bits  // BITS: octets, bit 0 the most significant bit of the first octet
    }

    public let encoding: Encoding
    /// The type as written in the MIB: `Unsigned32`, `TruthValue`, `BITS`, `INTEGER`, ...
    public let typeName: String
    /// Value range (numbers) or size range (octets) written on the object; empty if none.
    public let ranges: [ClosedRange<Int64>]
    /// Enumeration labels (INTEGER and TCs on it) or BITS names by bit number.
    public let names: [Int64: String]
    /// Restrictions that come from the type itself (e.g. InetPortNumber is 0..65535).
    public let typeRanges: [ClosedRange<Int64>]

    public init(_ encoding: Encoding, _ typeName: String, ranges: [ClosedRange<Int64>] = [],
                names: [Int64: String] = [:], typeRanges: [ClosedRange<Int64>] = []) {
        self.encoding = encoding
        self.typeName = typeName
        self.ranges = ranges
        self.names = names
        self.typeRanges = typeRanges
    }

    /// The ranges a value must satisfy: the object's own, else its type's.
    public var effectiveRanges: [ClosedRange<Int64>] { ranges.isEmpty ? typeRanges : ranges }

    /// The same type with a range or size restriction.
    public func restricted(_ ranges: ClosedRange<Int64>...) -> Syntax {
        Syntax(encoding, typeName, ranges: ranges, names: names, typeRanges: typeRanges)
    }

    public static let integer32 = Syntax(.integer, "Integer32", typeRanges: [-2147483648...2147483647])
    public static let unsigned32 = Syntax(.unsigned, "Unsigned32", typeRanges: [0...4294967295])
    public static let gauge32 = Syntax(.unsigned, "Gauge32", typeRanges: [0...4294967295])
    public static let counter32 = Syntax(.counter32, "Counter32")
    public static let counter64 = Syntax(.counter64, "Counter64")
    public static let counterBasedGauge64 = Syntax(.counter64, "CounterBasedGauge64")
    public static let displayString = Syntax(.octets, "DisplayString", typeRanges: [0...255])
    public static let truthValue = Syntax(.integer, "TruthValue", names: [1: "true", 2: "false"])
    public static let rowStatus = Syntax(.integer, "RowStatus", names: [
        1: "active", 2: "notInService", 3: "notReady", 4: "createAndGo", 5: "createAndWait", 6: "destroy",
    ])
    public static let inetAddressType = Syntax(.integer, "InetAddressType", names: [
        0: "unknown", 1: "ipv4", 2: "ipv6", 3: "ipv4z", 4: "ipv6z", 16: "dns",
    ])
    public static let inetAddress = Syntax(.octets, "InetAddress", typeRanges: [0...255])
    public static let inetPortNumber = Syntax(.unsigned, "InetPortNumber", typeRanges: [0...65535])
    public static let interfaceIndexOrZero = Syntax(.integer, "InterfaceIndexOrZero", typeRanges: [0...2147483647])
    public static let mptcpToken = Syntax(.unsigned, "MptcpToken", typeRanges: [0...4294967295])
    public static let mptcpAddressId = Syntax(.unsigned, "MptcpAddressId", typeRanges: [0...255])
    public static let mptcpTcpState = Syntax(.integer, "MptcpTcpState", names: [
        1: "closed", 2: "listen", 3: "synSent", 4: "synReceived", 5: "established", 6: "finWait1",
        7: "finWait2", 8: "closeWait", 9: "lastAck", 10: "closing", 11: "timeWait",
    ])

    public static func bits(_ names: [Int64: String]) -> Syntax { Syntax(.bits, "BITS", names: names) }

    /// Octets of a BITS value covering every named bit.
    public var bitsLength: Int { Int((names.keys.max() ?? 0) / 8 + 1) }
}
