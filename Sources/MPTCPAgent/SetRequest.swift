import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI

/// An SNMP error for one varbind of a SET, with the reason for the log.
struct SetRefusal: Error, Equatable {
    let status: ErrorStatus
    let reason: String

    static func wrongType(_ r: String) -> SetRefusal { SetRefusal(status: .wrongType, reason: r) }
    static func wrongLength(_ r: String) -> SetRefusal { SetRefusal(status: .wrongLength, reason: r) }
    static func wrongValue(_ r: String) -> SetRefusal { SetRefusal(status: .wrongValue, reason: r) }
    static func noCreation(_ r: String) -> SetRefusal { SetRefusal(status: .noCreation, reason: r) }
    static func notWritable(_ r: String) -> SetRefusal { SetRefusal(status: .notWritable, reason: r) }
    static func noAccess(_ r: String) -> SetRefusal { SetRefusal(status: .noAccess, reason: r) }
    static func inconsistentValue(_ r: String) -> SetRefusal { SetRefusal(status: .inconsistentValue, reason: r) }
    static func inconsistentName(_ r: String) -> SetRefusal { SetRefusal(status: .inconsistentName, reason: r) }
    static func resourceUnavailable(_ r: String) -> SetRefusal { SetRefusal(status: .resourceUnavailable, reason: r) }
    static func commitFailed(_ r: String) -> SetRefusal { SetRefusal(status: .commitFailed, reason: r) }
    static func undoFailed(_ r: String) -> SetRefusal { SetRefusal(status: .undoFailed, reason: r) }
}

/// One varbind of a SET that passed RESERVE1: a writable object, a valid instance and a
/// value of the right type, length and range.
struct SetChange {
    let oid: OID
    let object: MIBObject
    /// The index: `[0]` for scalars, `[id]` for endpoint columns.
    let instance: [UInt32]
    let value: SNMPValue

    var name: String { MIBNames.format(oid) }

    /// The endpoint id of an endpoint column.
    var endpointID: UInt8? {
        MPTCPMIB.table(of: object) == MPTCPMIB.EndpointTable.table ? UInt8(instance[0]) : nil
    }

    /// RESERVE1 (RFC 3416 section 4.2.5, in its order): checks that need nothing but the
    /// MIB, the request, and which sysctls (`settings`) this kernel has.
    static func validate(oid: OID, value: SNMPValue, settings: Settings) throws(SetRefusal) -> SetChange {
        guard let (object, instanceSlice) = MPTCPMIB.object(containing: oid), object.access.isWritable else {
            let name = MPTCPMIB.object(containing: oid)?.object.name ?? oid.dotted
            throw .notWritable("\(name) is not writable")
        }
        let instance = Array(instanceSlice)
        let syntax = object.syntax
        guard value.encoding == (syntax.encoding == .bits ? .octets : syntax.encoding) else {
            throw .wrongType("\(object.name) takes \(syntax.typeName)")
        }
        // RFC 3416 order: length and value (steps 4 and 6) before the instance (step 7).
        try checkLengthAndRange(object, value)
        if MPTCPMIB.table(of: object) != nil {
            guard instance.count == 1, (1...255).contains(instance[0]) else {
                throw .noCreation("\(object.name): the index must be an endpoint id in 1..255")
            }
        } else if instance != [0] {
            throw .noCreation("\(object.name) is a scalar: its only instance is .0")
        }
        try checkAgainstKernel(object, value, settings)
        return SetChange(oid: oid, object: object, instance: instance, value: value)
    }

    private static func checkLengthAndRange(_ object: MIBObject, _ value: SNMPValue) throws(SetRefusal) {
        let syntax = object.syntax
        switch value {
        case .octets(let bytes) where syntax.encoding == .bits:
            guard bytes.count <= syntax.bitsLength else {
                throw .wrongLength("\(object.name) is at most \(syntax.bitsLength) octet(s)")
            }
            let unknown = SNMPValue.bitNumbers(bytes).filter { syntax.names[Int64($0)] == nil }
            guard unknown.isEmpty else { throw .wrongValue("\(object.name): no bit \(unknown[0])") }
        case .octets(let bytes):
            let sizes = syntax.effectiveRanges
            guard sizes.isEmpty || sizes.contains(where: { $0.contains(Int64(bytes.count)) }) else {
                throw .wrongLength("\(object.name) takes \(syntax.rangeText) octets, not \(bytes.count)")
            }
            if syntax.type == .displayString {
                guard bytes.allSatisfy({ (0x20...0x7e).contains($0) }) else {
                    throw .wrongValue("\(object.name) takes printable ASCII")
                }
            }
        case .integer(let v) where !syntax.names.isEmpty:
            guard let label = syntax.names[Int64(v)] else {
                throw .wrongValue("\(object.name): \(v) is not one of \(syntax.labelList(numbered: true))")
            }
            if syntax.type == .rowStatus && RowStatus(rawValue: v) == .notReady {
                throw .wrongValue("\(object.name): notReady(3) cannot be set")
            }
            if syntax.type == .inetAddressType && label != "ipv4" && label != "ipv6" {
                throw .wrongValue("\(object.name): only ipv4(1) and ipv6(2) endpoints exist")
            }
        case .integer(let v):
            try checkRange(object, Int64(v))
        case .unsigned(let v), .counter32(let v), .timeticks(let v):
            try checkRange(object, Int64(v))
        default:
            break  // Counter64 has no range; other types were refused as wrongType
        }
    }

    private static func checkRange(_ object: MIBObject, _ v: Int64) throws(SetRefusal) {
        let allowed = object.syntax.effectiveRanges
        guard allowed.isEmpty || allowed.contains(where: { $0.contains(v) }) else {
            throw .wrongValue("\(object.name): \(v) is out of range, allowed \(object.syntax.rangeText)")
        }
    }

    /// What depends on this kernel: which sysctls exist and which names they accept.
    private static func checkAgainstKernel(_ object: MIBObject, _ value: SNMPValue, _ settings: Settings) throws(SetRefusal) {
        if object == MPTCPMIB.General.pathManager {
            guard let available = PathManagerSetting.available(settings) else {
                throw .notWritable("\(object.name): this kernel has no path manager selection")
            }
            let name = SysctlObject.text(of: value)
            guard available.contains(name) else {
                throw .wrongValue("\(object.name): '\(name)' is not one of \(available.joined(separator: ", "))")
            }
        }
        guard let sysctl = SysctlObject.of(object) else { return }
        guard settings[sysctl.file] != nil else {
            throw .notWritable("\(object.name): this kernel has no net.mptcp.\(sysctl.file)")
        }
        if let choices = sysctl.choices {
            let name = sysctl.text(value)
            let available = settings.list(choices)
            guard available.contains(name) else {
                throw .wrongValue("\(object.name): '\(name)' is not one of \(available.joined(separator: ", "))")
            }
        }
    }
}

extension SysctlObject {
    /// The text of a DisplayString value.
    static func text(of value: SNMPValue) -> String {
        if case .octets(let b) = value { return String(decoding: b, as: UTF8.self) }
        return ""
    }
}
