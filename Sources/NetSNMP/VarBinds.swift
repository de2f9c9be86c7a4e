import CNetSNMP
import SMI

/// Values in and out of net-snmp's varbinds: the one codec the agent (requests, SETs,
/// notifications) and the client (requests, responses) share.
extension UnsafeMutablePointer where Pointee == netsnmp_variable_list {
    public var oid: OID {
        let n = pointee.name_length
        guard let name = pointee.name else { return [] }
        return (0..<n).map { UInt32(truncatingIfNeeded: name[$0]) }
    }

    public func setOID(_ oid: OID) {
        // net-snmp's sub-identifiers are wider than ours; converted on the stack (one per varbind of a walk).
        withUnsafeTemporaryAllocation(of: CNetSNMP.oid.self, capacity: oid.count) { wide in
            for (i, v) in oid.enumerated() { wide[i] = CNetSNMP.oid(v) }
            _ = snmp_set_var_objid(self, wide.baseAddress, oid.count)
        }
    }

    /// The varbind's value; `.null` for types SNMPv2 does not define.
    public var value: SNMPValue {
        let p = pointee
        func int() -> Int { p.val.integer?.pointee ?? 0 }
        func bytes() -> [UInt8] { p.val.string.map { Array(UnsafeBufferPointer(start: $0, count: p.val_len)) } ?? [] }
        switch p.type {
        case u_char(ASN_INTEGER): return .integer(Int32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_GAUGE: return .unsigned(UInt32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_COUNTER: return .counter32(UInt32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_TIMETICKS: return .timeticks(UInt32(truncatingIfNeeded: int()))
        case CNETSNMP_ASN_COUNTER64:
            guard let c = p.val.counter64?.pointee else { return .null }
            return .counter64(UInt64(c.high & 0xffff_ffff) << 32 | UInt64(c.low & 0xffff_ffff))
        case u_char(ASN_OCTET_STR): return .octets(bytes())
        case CNETSNMP_ASN_IPADDRESS: return .ipAddress(bytes())
        case u_char(ASN_OBJECT_ID):
            let n = p.val_len / MemoryLayout<CNetSNMP.oid>.size
            return .objectID(p.val.objid.map { o in (0..<n).map { UInt32(truncatingIfNeeded: o[$0]) } } ?? [])
        case CNETSNMP_NOSUCHOBJECT: return .noSuchObject
        case CNETSNMP_NOSUCHINSTANCE: return .noSuchInstance
        case CNETSNMP_ENDOFMIBVIEW: return .endOfMibView
        default: return .null
        }
    }

    /// Stores `value` (net-snmp copies it).
    public func set(_ value: SNMPValue) {
        switch value {
        case .integer(let v): _ = snmp_set_var_typed_integer(self, u_char(ASN_INTEGER), Int(v))
        case .unsigned(let v): _ = snmp_set_var_typed_integer(self, CNETSNMP_ASN_GAUGE, Int(v))
        case .counter32(let v): _ = snmp_set_var_typed_integer(self, CNETSNMP_ASN_COUNTER, Int(v))
        case .timeticks(let v): _ = snmp_set_var_typed_integer(self, CNETSNMP_ASN_TIMETICKS, Int(v))
        case .counter64(let v):
            var c = counter64(high: UInt(v >> 32), low: UInt(v & 0xffff_ffff))
            _ = snmp_set_var_typed_value(self, CNETSNMP_ASN_COUNTER64, &c, MemoryLayout<counter64>.size)
        case .octets(let bytes): setBytes(u_char(ASN_OCTET_STR), bytes)
        case .ipAddress(let bytes): setBytes(CNETSNMP_ASN_IPADDRESS, bytes)
        case .objectID(let o):
            let wide = o.map { CNetSNMP.oid($0) }
            _ = wide.withUnsafeBytes { snmp_set_var_typed_value(self, u_char(ASN_OBJECT_ID), $0.baseAddress, $0.count) }
        case .null: _ = snmp_set_var_typed_value(self, u_char(ASN_NULL), nil, 0)
        case .noSuchObject: _ = snmp_set_var_typed_value(self, CNETSNMP_NOSUCHOBJECT, nil, 0)
        case .noSuchInstance: _ = snmp_set_var_typed_value(self, CNETSNMP_NOSUCHINSTANCE, nil, 0)
        case .endOfMibView: _ = snmp_set_var_typed_value(self, CNETSNMP_ENDOFMIBVIEW, nil, 0)
        }
    }

    /// An empty value passes a nil pointer with length 0, which net-snmp stores as empty.
    private func setBytes(_ type: u_char, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBufferPointer { snmp_set_var_typed_value(self, type, $0.baseAddress, $0.count) }
    }

    public var varBind: VarBind { VarBind(oid: oid, value: value) }
}

/// A linked list of varbinds built for a PDU or a notification; freed on deinit unless
/// handed over with `take()`.
public final class VarBindList {
    private var head: UnsafeMutablePointer<netsnmp_variable_list>?

    public init(_ varbinds: [VarBind] = []) {
        varbinds.forEach(append)
    }

    deinit { if let head { snmp_free_varbind(head) } }

    public func append(_ vb: VarBind) {
        let name = vb.oid.map { CNetSNMP.oid($0) }
        let added = name.withUnsafeBufferPointer {
            snmp_varlist_add_variable(&head, $0.baseAddress, $0.count, u_char(ASN_NULL), nil, 0)
        }
        added?.set(vb.value)
    }

    /// The list, now owned by the caller (net-snmp functions that consume it).
    public func take() -> UnsafeMutablePointer<netsnmp_variable_list>? {
        defer { head = nil }
        return head
    }

    /// The list, still owned by this object.
    public var pointer: UnsafeMutablePointer<netsnmp_variable_list>? { head }
}

/// The varbinds of a linked list, in order.
public struct VarBindSequence: Sequence {
    let head: UnsafeMutablePointer<netsnmp_variable_list>?
    public init(_ head: UnsafeMutablePointer<netsnmp_variable_list>?) { self.head = head }

    public func makeIterator() -> AnyIterator<UnsafeMutablePointer<netsnmp_variable_list>> {
        var next = head
        return AnyIterator {
            guard let current = next else { return nil }
            next = current.pointee.next_variable
            return current
        }
    }
}
