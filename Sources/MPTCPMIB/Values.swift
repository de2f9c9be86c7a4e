import MPTCPModel

/// A value of an instance, tagged with its SMI encoding.
public enum MIBValue: Sendable, Hashable {
    case integer(Int32)
    case unsigned(UInt32)  // Unsigned32 and Gauge32
    case counter32(UInt32)
    case counter64(UInt64)  // Counter64 and CounterBasedGauge64
    case octets([UInt8])

    public static func truth(_ b: Bool) -> MIBValue { .integer(b ? 1 : 2) }
    public static func gauge<T: BinaryInteger>(_ v: T) -> MIBValue { .unsigned(UInt32(clamping: v)) }

    /// A BITS value with the given bit numbers set, `length` octets long.
    public static func bits(_ set: [Int], length: Int) -> MIBValue {
        var octets = [UInt8](repeating: 0, count: length)
        for bit in set where bit / 8 < length { octets[bit / 8] |= 0x80 >> UInt8(bit % 8) }
        return .octets(octets)
    }

    /// A BITS value from a kernel flag word whose bit n is the MIB's bit n.
    public static func bits(flags: UInt32, syntax: Syntax) -> MIBValue {
        bits((0..<32).filter { flags & (1 << UInt32($0)) != 0 && syntax.names[Int64($0)] != nil },
             length: syntax.bitsLength)
    }

    /// The bit numbers set in a BITS value.
    public static func bitNumbers(_ octets: [UInt8]) -> [Int] {
        octets.enumerated().flatMap { i, byte in (0..<8).filter { byte & (0x80 >> UInt8($0)) != 0 }.map { i * 8 + $0 } }
    }

    public var encoding: Syntax.Encoding {
        switch self {
        case .integer: return .integer
        case .unsigned: return .unsigned
        case .counter32: return .counter32
        case .counter64: return .counter64
        case .octets: return .octets
        }
    }
}

/// Encodings of index values into OID sub-identifiers (RFC 2578 section 7.7, RFC 4001).
public enum IndexEncoding {
    /// InetAddressType, the length-prefixed InetAddress (not IMPLIED), then the port.
    public static func append(_ endpoint: SocketAddress, to oid: inout OID) {
        let a = endpoint.address
        oid.append(UInt32(a.family.rawValue))
        oid.append(UInt32(a.family.byteCount))
        for b in a.bytes { oid.append(UInt32(b)) }
        oid.append(UInt32(endpoint.port))
    }

    /// A length-prefixed OCTET STRING (not IMPLIED).
    public static func append(string s: String, to oid: inout OID) {
        oid.append(UInt32(s.utf8.count))
        for b in s.utf8 { oid.append(UInt32(b)) }
    }
}

extension IPAddress {
    /// The InetAddressType of this address.
    public var inetAddressType: MIBValue { .integer(Int32(family.rawValue)) }
}
