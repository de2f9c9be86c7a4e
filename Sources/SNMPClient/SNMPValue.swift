import CNetSNMP

/// An object identifier as sub-identifiers.
public typealias ObjectID = [UInt32]

/// A value as it travels in a PDU.
public enum SNMPValue: Sendable, Hashable {
    case integer(Int32)
    case unsigned(UInt32)  // Gauge32 / Unsigned32
    case counter32(UInt32)
    case counter64(UInt64)
    case timeticks(UInt32)
    case octets([UInt8])
    case objectID(ObjectID)
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
}

public struct VarBind: Sendable, Hashable {
    public var oid: ObjectID
    public var value: SNMPValue

    public init(oid: ObjectID, value: SNMPValue) {
        self.oid = oid
        self.value = value
    }

    init(_ v: UnsafeMutablePointer<netsnmp_variable_list>) {
        let p = v.pointee
        oid = (0..<p.name_length).map { UInt32(truncatingIfNeeded: p.name[$0]) }
        func int() -> Int { p.val.integer?.pointee ?? 0 }
        switch p.type {
        case u_char(ASN_INTEGER): value = .integer(Int32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_GAUGE: value = .unsigned(UInt32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_COUNTER: value = .counter32(UInt32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_TIMETICKS: value = .timeticks(UInt32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_COUNTER64:
            let c = p.val.counter64!.pointee
            value = .counter64(UInt64(c.high & 0xffff_ffff) << 32 | UInt64(c.low & 0xffff_ffff))
        case u_char(ASN_OCTET_STR):
            value = .octets(p.val.string.map { Array(UnsafeBufferPointer(start: $0, count: p.val_len)) } ?? [])
        case CNETSNMP_ASN_IPADDRESS:
            value = .ipAddress(p.val.string.map { Array(UnsafeBufferPointer(start: $0, count: p.val_len)) } ?? [])
        case u_char(ASN_OBJECT_ID):
            let n = p.val_len / MemoryLayout<oid>.size
            value = .objectID(p.val.objid.map { o in (0..<n).map { UInt32(truncatingIfNeeded: o[$0]) } } ?? [])
        case CNETSNMP_NOSUCHOBJECT: value = .noSuchObject
        case CNETSNMP_NOSUCHINSTANCE: value = .noSuchInstance
        case CNETSNMP_ENDOFMIBVIEW: value = .endOfMibView
        default: value = .null
        }
    }
}

/// SNMP error-status values of a response PDU (RFC 3416).
public enum ErrorStatus: Int, Sendable, CustomStringConvertible {
    case noError = 0, tooBig, noSuchName, badValue, readOnly, genErr, noAccess, wrongType, wrongLength,
        wrongEncoding, wrongValue, noCreation, inconsistentValue, resourceUnavailable, commitFailed,
        undoFailed, authorizationError, notWritable, inconsistentName

    private static let names = [
        "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType", "wrongLength",
        "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue", "resourceUnavailable", "commitFailed",
        "undoFailed", "authorizationError", "notWritable", "inconsistentName",
    ]

    public var description: String { Self.names[rawValue] }
}
