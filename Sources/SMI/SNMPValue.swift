/// A value as it travels in a varbind (RFC 3416), including the three exceptions.
public enum SNMPValue: Sendable, Hashable {
    case integer(Int32)  // INTEGER, Integer32 and textual conventions on them
    case unsigned(UInt32)  // Gauge32 / Unsigned32 (one tag)
    case counter32(UInt32)
    case counter64(UInt64)  // Counter64, CounterBasedGauge64
    case timeticks(UInt32)  // TimeTicks, TimeStamp
    case octets([UInt8])  // OCTET STRING, BITS and textual conventions on them
    case objectID(OID)
    case ipAddress([UInt8])
    case null
    case noSuchObject
    case noSuchInstance
    case endOfMibView

    /// True for the three varbind exceptions.
    public var isException: Bool {
        switch self {
        case .noSuchObject, .noSuchInstance, .endOfMibView: return true
        default: return false
        }
    }

    /// A TruthValue (SNMPv2-TC): true(1), false(2).
    public static func truth(_ b: Bool) -> SNMPValue { .integer(b ? 1 : 2) }

    /// A Gauge32, saturating at its maximum as RFC 2578 says a gauge does.
    public static func gauge<T: BinaryInteger>(_ v: T) -> SNMPValue { .unsigned(UInt32(clamping: v)) }

    /// A BITS value with the given bit numbers set, `length` octets long; bit 0 is the
    /// most significant bit of the first octet (RFC 2578 section 7.1.4).
    public static func bits(_ set: [Int], length: Int) -> SNMPValue {
        var octets = [UInt8](repeating: 0, count: length)
        for bit in set where bit >= 0 && bit / 8 < length { octets[bit / 8] |= 0x80 >> UInt8(bit % 8) }
        return .octets(octets)
    }

    /// The bit numbers set in the octets of a BITS value.
    public static func bitNumbers(_ octets: [UInt8]) -> [Int] {
        octets.enumerated().flatMap { i, byte in (0..<8).filter { byte & (0x80 >> UInt8($0)) != 0 }.map { i * 8 + $0 } }
    }

    /// net-snmp's name of the type (as `snmpget` prints it).
    public var typeName: String {
        switch self {
        case .integer: return "INTEGER"
        case .unsigned: return "Gauge32"
        case .counter32: return "Counter32"
        case .counter64: return "Counter64"
        case .timeticks: return "Timeticks"
        case .octets: return "OCTET STRING"
        case .objectID: return "OBJECT IDENTIFIER"
        case .ipAddress: return "IpAddress"
        case .null: return "NULL"
        case .noSuchObject: return "noSuchObject"
        case .noSuchInstance: return "noSuchInstance"
        case .endOfMibView: return "endOfMibView"
        }
    }
}

/// One variable binding.
public struct VarBind: Sendable, Hashable {
    public var oid: OID
    public var value: SNMPValue

    public init(oid: OID, value: SNMPValue) {
        self.oid = oid
        self.value = value
    }
}
