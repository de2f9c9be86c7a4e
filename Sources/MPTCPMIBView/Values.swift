import MPTCPModel
import MPTCPMIB
import SMI

/// Encodings of index values into OID sub-identifiers (RFC 2578 section 7.7, RFC 4001).
public enum IndexEncoding {
    /// InetAddressType, the length-prefixed InetAddress (not IMPLIED), then the port.
    public static func append(_ endpoint: SocketAddress, to oid: inout OID) {
        append(endpoint.address, to: &oid)
        oid.append(UInt32(endpoint.port))
    }

    /// InetAddressType and the length-prefixed InetAddress.
    public static func append(_ a: IPAddress, to oid: inout OID) {
        oid.append(UInt32(a.family.rawValue))
        oid.append(UInt32(a.family.byteCount))
        for i in 0..<a.family.byteCount { oid.append(UInt32(a.byte(i))) }
    }

    /// A length-prefixed OCTET STRING (not IMPLIED).
    public static func append(string s: String, to oid: inout OID) {
        oid.append(UInt32(s.utf8.count))
        for b in s.utf8 { oid.append(UInt32(b)) }
    }
}

extension IPAddress {
    /// The InetAddressType of this address.
    public var inetAddressType: SNMPValue { .integer(Int32(family.rawValue)) }
}

extension SNMPValue {
    /// A BITS value from a kernel flag word whose bit n is the MIB's bit n.
    public static func bits(flags: UInt32, syntax: Syntax) -> SNMPValue {
        bits((0..<32).filter { flags & (1 << UInt32($0)) != 0 && syntax.names[Int64($0)] != nil },
             length: syntax.bitsLength)
    }
}
