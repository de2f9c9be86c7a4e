import SMI
/// One object of MPTCP-MIB: the single Swift definition that the agent and the CLI
/// share, checked against `MIB/MPTCP-MIB.txt` by a test.
public struct MIBObject: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let oid: OID
    public let syntax: Syntax
    public let access: Access
    public let units: String?

    public init(_ name: String, _ oid: OID, _ syntax: Syntax, _ access: Access, units: String? = nil) {
        self.name = name
        self.oid = oid
        self.syntax = syntax
        self.access = access
        self.units = units
    }

    /// The last sub-identifier: the column number of a table column.
    public var subID: UInt32 { oid.last! }
    public var description: String { name }
}

/// A conceptual table: its entry OID, its INDEX objects and its columns.
public struct MIBTable: Sendable, Hashable {
    public let name: String
    public let entryName: String
    public let oid: OID
    public let indexes: [MIBObject]
    /// Every column in OID order, index columns included.
    public let columns: [MIBObject]

    public var entryOID: OID { oid + [1] }
}

/// A NOTIFICATION-TYPE and its OBJECTS.
public struct MIBNotification: Sendable, Hashable {
    public let name: String
    public let oid: OID
    public let objects: [MIBObject]
}
