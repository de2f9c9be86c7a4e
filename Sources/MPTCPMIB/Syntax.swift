import SMI

/// MAX-ACCESS of an object.
public enum Access: String, Sendable {
    case notAccessible = "not-accessible"
    case accessibleForNotify = "accessible-for-notify"
    case readOnly = "read-only"
    case readWrite = "read-write"
    case readCreate = "read-create"

    public var isWritable: Bool { self == .readWrite || self == .readCreate }
    /// Whether GET and GETNEXT show it (not index columns, not notification-only objects).
    public var isReadable: Bool { self != .notAccessible && self != .accessibleForNotify }
}

/// The types MPTCP-MIB's objects are written with: SMI base types and the textual
/// conventions it uses, as the MIB text names them. Exhaustive switches over this enum
/// are how the agent and the CLI treat a type specially.
public enum SyntaxType: String, Sendable, CaseIterable {
    // SNMPv2-SMI
    case integer = "INTEGER"  // enumerations written in the object
    case integer32 = "Integer32"
    case unsigned32 = "Unsigned32"
    case gauge32 = "Gauge32"
    case counter32 = "Counter32"
    case counter64 = "Counter64"
    case timeTicks = "TimeTicks"
    case bits = "BITS"
    // SNMPv2-TC
    case displayString = "DisplayString"
    case truthValue = "TruthValue"
    case rowStatus = "RowStatus"
    case storageType = "StorageType"
    case testAndIncr = "TestAndIncr"
    case timeStamp = "TimeStamp"
    // HCNUM-TC
    case counterBasedGauge64 = "CounterBasedGauge64"
    // INET-ADDRESS-MIB
    case inetAddressType = "InetAddressType"
    case inetAddress = "InetAddress"
    case inetPortNumber = "InetPortNumber"
    // IF-MIB
    case interfaceIndexOrZero = "InterfaceIndexOrZero"
    // MPTCP-MIB
    case mptcpToken = "MptcpToken"
    case mptcpAddressId = "MptcpAddressId"
    case mptcpTcpState = "MptcpTcpState"
    case mptcpResetReason = "MptcpResetReason"
    case mptcpFallbackCauses = "MptcpFallbackCauses"
    case mptcpEventKind = "MptcpEventKind"
    case mptcpLimitingFactor = "MptcpLimitingFactor"
    case mptcpCloseReason = "MptcpCloseReason"

    /// How values of the type travel in a varbind.
    public var encoding: Syntax.Encoding {
        switch self {
        case .integer, .integer32, .truthValue, .rowStatus, .storageType, .testAndIncr, .inetAddressType,
             .interfaceIndexOrZero, .mptcpTcpState, .mptcpResetReason, .mptcpEventKind, .mptcpLimitingFactor,
             .mptcpCloseReason:
            return .integer
        case .unsigned32, .gauge32, .inetPortNumber, .mptcpToken, .mptcpAddressId:
            return .unsigned
        case .counter32: return .counter32
        case .counter64, .counterBasedGauge64: return .counter64
        case .timeTicks, .timeStamp: return .timeticks
        case .displayString, .inetAddress: return .octets
        case .bits, .mptcpFallbackCauses: return .bits
        }
    }
}

/// The SYNTAX of an object: its type, the range or size restriction written on the
/// object, and the labels of enumerations and BITS.
public struct Syntax: Sendable, Hashable {
    public enum Encoding: Sendable, Hashable {
        case integer  // INTEGER, Integer32 and TCs on them
        case unsigned  // Unsigned32, Gauge32 (one ASN.1 tag)
        case counter32
        case counter64  // Counter64, CounterBasedGauge64
        case timeticks  // TimeTicks, TimeStamp
        case octets  // OCTET STRING, DisplayString, InetAddress
        case bits  // BITS: octets, bit 0 the most significant bit of the first octet
    }

    public let type: SyntaxType
    /// Value range (numbers) or size range (octets) written on the object; empty if none.
    public let ranges: [ClosedRange<Int64>]
    /// Enumeration labels (INTEGER and TCs on it) or BITS names by bit number.
    public let names: [Int64: String]
    /// Restrictions that come from the type itself (e.g. InetPortNumber is 0..65535).
    public let typeRanges: [ClosedRange<Int64>]

    public init(_ type: SyntaxType, ranges: [ClosedRange<Int64>] = [], names: [Int64: String] = [:],
                typeRanges: [ClosedRange<Int64>] = []) {
        self.type = type
        self.ranges = ranges
        self.names = names
        self.typeRanges = typeRanges
    }

    public var encoding: Encoding { type.encoding }
    /// The type as written in the MIB: `Unsigned32`, `TruthValue`, `BITS`, `INTEGER`, ...
    public var typeName: String { type.rawValue }

    /// The ranges a value must satisfy: the object's own, else its type's.
    public var effectiveRanges: [ClosedRange<Int64>] { ranges.isEmpty ? typeRanges : ranges }

    /// The same type with a range or size restriction.
    public func restricted(_ ranges: ClosedRange<Int64>...) -> Syntax {
        Syntax(type, ranges: ranges, names: names, typeRanges: typeRanges)
    }

    /// The allowed ranges as people read them: `0..8`, `4 or 16`.
    public var rangeText: String {
        effectiveRanges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)..\($0.upperBound)" }
            .joined(separator: " or ")
    }

    /// The labels in value order: `true, false`; with numbers: `active(1), notInService(2)`.
    public func labelList(numbered: Bool = false) -> String {
        names.sorted { $0.key < $1.key }.map { numbered ? "\($0.value)(\($0.key))" : $0.value }.joined(separator: ", ")
    }

    /// The value of a label, ignoring case.
    public func value(ofLabel label: String) -> Int64? {
        names.first { $0.value.lowercased() == label.lowercased() }?.key
    }

    /// Octets of a BITS value covering every named bit.
    public var bitsLength: Int { Int((names.keys.max() ?? 0) / 8 + 1) }

    public static let integer32 = Syntax(.integer32, typeRanges: [-2147483648...2147483647])
    public static let unsigned32 = Syntax(.unsigned32, typeRanges: [0...4294967295])
    public static let gauge32 = Syntax(.gauge32, typeRanges: [0...4294967295])
    public static let counter32 = Syntax(.counter32)
    public static let counter64 = Syntax(.counter64)
    public static let timeStamp = Syntax(.timeStamp)
    public static let counterBasedGauge64 = Syntax(.counterBasedGauge64)
    public static let displayString = Syntax(.displayString, typeRanges: [0...255])
    public static let truthValue = Syntax(.truthValue, names: [1: "true", 2: "false"])
    public static let rowStatus = Syntax(.rowStatus, names: Dictionary(uniqueKeysWithValues: RowStatus.allCases.map {
        (Int64($0.rawValue), $0.description)
    }))
    public static let storageType = Syntax(.storageType, names: [
        1: "other", 2: "volatile", 3: "nonVolatile", 4: "permanent", 5: "readOnly",
    ])
    public static let testAndIncr = Syntax(.testAndIncr, typeRanges: [0...2147483647])
    public static let inetAddressType = Syntax(.inetAddressType, names: [
        0: "unknown", 1: "ipv4", 2: "ipv6", 3: "ipv4z", 4: "ipv6z", 16: "dns",
    ])
    public static let inetAddress = Syntax(.inetAddress, typeRanges: [0...255])
    public static let inetPortNumber = Syntax(.inetPortNumber, typeRanges: [0...65535])
    public static let interfaceIndexOrZero = Syntax(.interfaceIndexOrZero, typeRanges: [0...2147483647])
    public static let mptcpToken = Syntax(.mptcpToken, typeRanges: [0...4294967295])
    public static let mptcpAddressId = Syntax(.mptcpAddressId, typeRanges: [0...255])
    public static let mptcpTcpState = Syntax(.mptcpTcpState, names: [
        1: "closed", 2: "listen", 3: "synSent", 4: "synReceived", 5: "established", 6: "finWait1",
        7: "finWait2", 8: "closeWait", 9: "lastAck", 10: "closing", 11: "timeWait",
    ])

    public static let mptcpResetReason = Syntax(.mptcpResetReason, names: [
        -1: "noReset", 0: "unspecified", 1: "mptcpSpecificError", 2: "lackOfResources", 3: "administrativelyProhibited",
        4: "tooMuchOutstandingData", 5: "unacceptablePerformance", 6: "middleboxInterference",
    ])

    public static let mptcpFallbackCauses = Syntax(.mptcpFallbackCauses, names: [
        0: "mpCapableFallbackSynAck", 1: "mpCapableFallbackAck", 2: "mpCapableDataFallback", 3: "synTxDrop",
        4: "blackholeDisabled", 5: "tokenInitFailed", 6: "md5Signature", 7: "simultaneousConnect", 8: "dssFallback",
        9: "dssCorruption", 10: "infiniteMapTx", 11: "infiniteMapRx", 12: "mpFailTx", 13: "mpFailRx",
    ])

    /// Provisional: settled with the kernel's path-manager logic (issue 20).
    public static let mptcpLimitingFactor = Syntax(.mptcpLimitingFactor, names: [
        1: "none", 2: "fallback", 3: "subflowLimit", 4: "addAddrAcceptedLimit", 5: "noLocalEndpoint", 6: "noPeerAddress",
        7: "joinFailed", 8: "userspacePathManager", 9: "closing",
    ])

    public static let mptcpCloseReason = Syntax(.mptcpCloseReason, names: [
        1: "orderly", 2: "withConnection", 3: "tcpReset", 4: "timeout", 5: "removedByPathManager", 6: "joinRefused",
        7: "otherError", 8: "aborted", 10: "mpTcpRstUnspecified", 11: "mpTcpRstMptcpSpecificError", 12: "mpTcpRstLackOfResources",
        13: "mpTcpRstAdministrativelyProhibited", 14: "mpTcpRstTooMuchOutstandingData",
        15: "mpTcpRstUnacceptablePerformance", 16: "mpTcpRstMiddleboxInterference",
    ])

    public static let mptcpEventKind = Syntax(.mptcpEventKind, names: [
        1: "connectionCreated", 2: "connectionEstablished", 3: "connectionClosed", 6: "addressAnnounced",
        7: "addressRemoved", 10: "subflowEstablished", 11: "subflowClosed", 13: "subflowPriority",
        15: "listenerCreated", 16: "listenerClosed", 100: "connectionFallback", 101: "blackholeDetected",
        102: "eventsLost",
    ])

    public static func bits(_ names: [Int64: String]) -> Syntax { Syntax(.bits, names: names) }
    public static func enumeration(_ names: [Int64: String]) -> Syntax { Syntax(.integer, names: names) }
}

extension SNMPValue {
    /// The SMI encoding of a value; nil for values no object of this MIB has.
    public var encoding: Syntax.Encoding? {
        switch self {
        case .integer: return .integer
        case .unsigned: return .unsigned
        case .counter32: return .counter32
        case .counter64: return .counter64
        case .timeticks: return .timeticks
        case .octets: return .octets
        default: return nil
        }
    }
}
