import CNetSNMP
import MPTCPMIB

/// Reading and writing net-snmp varbinds with MIB values.
extension UnsafeMutablePointer where Pointee == netsnmp_variable_list {
    var oid: OID {
        let n = pointee.name_length
        guard let name = pointee.name else { return [] }
        return (0..<n).map { UInt32(truncatingIfNeeded: name[$0]) }
    }

    func setOID(_ oid: OID) {
        let wide = oid.map { CNetSNMP.oid($0) }
        _ = wide.withUnsafeBufferPointer { snmp_set_var_objid(self, $0.baseAddress, $0.count) }
    }

    func set(_ value: MIBValue) {
        switch value {
        case .integer(let v): _ = snmp_set_var_typed_integer(self, u_char(ASN_INTEGER), Int(v))
        case .unsigned(let v): _ = snmp_set_var_typed_integer(self, CNETSNMP_ASN_GAUGE, Int(v))
        case .counter32(let v): _ = snmp_set_var_typed_integer(self, CNETSNMP_ASN_COUNTER, Int(v))
        case .counter64(let v):
            var c = counter64(high: UInt(v >> 32), low: UInt(v & 0xffff_ffff))
            _ = snmp_set_var_typed_value(self, CNETSNMP_ASN_COUNTER64, &c, MemoryLayout<counter64>.size)
        case .octets(let bytes):
            _ = bytes.withUnsafeBufferPointer { snmp_set_var_typed_value(self, u_char(ASN_OCTET_STR), $0.baseAddress, $0.count) }
        }
    }

    /// The value a SET carries, as a MIB value of the encoding its ASN.1 type implies;
    /// nil for types MPTCP-MIB never uses (the caller answers wrongType).
    var setValue: MIBValue? {
        let v = pointee
        switch v.type {
        case u_char(ASN_INTEGER):
            return v.val.integer.map { .integer(Int32(truncatingIfNeeded: $0.pointee)) }
        case CNETSNMP_ASN_GAUGE:
            return v.val.integer.map { .unsigned(UInt32(truncatingIfNeeded: $0.pointee)) }
        case CNETSNMP_ASN_COUNTER:
            return v.val.integer.map { .counter32(UInt32(truncatingIfNeeded: $0.pointee)) }
        case CNETSNMP_ASN_COUNTER64:
            return v.val.counter64.map { .counter64(UInt64($0.pointee.high) << 32 | UInt64($0.pointee.low & 0xffff_ffff)) }
        case u_char(ASN_OCTET_STR):
            guard let p = v.val.string else { return .octets([]) }
            return .octets(Array(UnsafeBufferPointer(start: p, count: v.val_len)))
        default:
            return nil
        }
    }
}

/// The requests of one handler call, as a Swift sequence.
struct RequestList: Sequence {
    let head: UnsafeMutablePointer<netsnmp_request_info>?

    func makeIterator() -> AnyIterator<UnsafeMutablePointer<netsnmp_request_info>> {
        var next = head
        return AnyIterator {
            guard let current = next else { return nil }
            next = current.pointee.next
            return current
        }
    }
}
