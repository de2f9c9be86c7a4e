#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address held inline (no heap allocation), ordered like the
/// InetAddress index encoding orders it: IPv4 before IPv6, then by bytes.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Family: UInt8, Sendable, Comparable {
        case ipv4 = 1, ipv6 = 2  // InetAddressType values

        public static func < (a: Family, b: Family) -> Bool { a.rawValue < b.rawValue }
        public var byteCount: Int { self == .ipv4 ? 4 : 16 }
    }

    // Big-endian halves of the address; IPv4 uses the low 32 bits of `low`. The family comes
    // last so that a port after the address fits the padding (a socket address: 24 bytes, not 32).
    private let high: UInt64
    private let low: UInt64
    public let family: Family

    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        switch bytes.count {
        case 4: family = .ipv4
        case 16: family = .ipv6
        default: return nil
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if family == .ipv6 && i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// Parses dotted-quad or RFC 4291 text.
    public init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    /// The first `family.byteCount` bytes of a kernel address buffer (network order).
    public init(family: Family, prefixOf buffer: UnsafeRawBufferPointer) {
        self.init(bytes: buffer.prefix(family.byteCount))!
    }

    public var bytes: [UInt8] { (0..<family.byteCount).map(byte) }

    /// Byte `i` (network order) without building an array: index encoding reads addresses
    /// on every lookup of a table.
    public func byte(_ i: Int) -> UInt8 {
        if family == .ipv4 { return UInt8(truncatingIfNeeded: low >> (24 - 8 * UInt64(i))) }
        return UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (56 - 8 * UInt64(i % 8)))
    }

    public var isUnspecified: Bool { high == 0 && low == 0 }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as a dual-stack
    /// socket talking to an IPv4 peer reports it); any other address as it is.
    public var unmapped: IPAddress {
        guard family == .ipv6, high == 0, low >> 32 == 0xffff else { return self }
        let v4 = UInt32(truncatingIfNeeded: low)
        return IPAddress(bytes: [UInt8(v4 >> 24), UInt8(truncatingIfNeeded: v4 >> 16), UInt8(truncatingIfNeeded: v4 >> 8),
                                 UInt8(truncatingIfNeeded: v4)])!
    }

    public var description: String {
        let raw = bytes
        let af = family == .ipv4 ? AF_INET : AF_INET6
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        return raw.withUnsafeBytes { src in
            inet_ntop(af, src.baseAddress, &out, socklen_t(out.count)).map { String(cString: $0) } ?? "?"
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.family != b.family { return a.family < b.family }
        return (a.high, a.low) < (b.high, b.low)
    }
}

/// An address and a port (0 when none applies).
public struct SocketAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `ss` style: `10.0.0.1:80`, `[fd00::1]:80`.
    public var description: String {
        address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    public static func < (a: SocketAddress, b: SocketAddress) -> Bool {
        (a.address, a.port) < (b.address, b.port)
    }
}
