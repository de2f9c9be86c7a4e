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

/// A conceptual table: its entry OID, its INDEX objects and its columns. A table is
/// identified by its OID: equality and hashing look at nothing else.
public struct MIBTable: Sendable, Hashable {
    public let name: String
    public let entryName: String
    public let oid: OID
    public let indexes: [MIBObject]
    /// Every column in OID order, index columns included.
    public let columns: [MIBObject]

    public var entryOID: OID { oid + [1] }

    /// A table whose columns are the `MIBObject` properties of `columns`, in the order
    /// they are declared (a test checks that this is OID order, as in the MIB text).
    public init<C: TableColumns>(name: String, entryName: String, columns: C, indexes: [KeyPath<C, MIBObject>]) {
        self.name = name
        self.entryName = entryName
        oid = Array(C.entry.dropLast())
        self.indexes = indexes.map { columns[keyPath: $0] }
        self.columns = Mirror(reflecting: columns).children.compactMap { $0.value as? MIBObject }
    }

    public static func == (a: MIBTable, b: MIBTable) -> Bool { a.oid == b.oid }
    public func hash(into hasher: inout Hasher) { hasher.combine(oid) }
}

/// The columns of one table, each declared once as a stored property (`let x = c(...)`)
/// in column order: the table's column list is read from them, never written again.
public protocol TableColumns: Sendable {
    /// The entry's OID: column n is `entry + [n]`.
    static var entry: OID { get }
    /// The access of a column that does not say otherwise.
    static var access: Access { get }
}

extension TableColumns {
    public static var access: Access { .readOnly }

    /// Column `n` of this table.
    public static func c(_ name: String, _ n: UInt32, _ syntax: Syntax, _ access: Access = Self.access,
                         units: String? = nil) -> MIBObject {
        MIBObject(name, entry + [n], syntax, access, units: units)
    }
}

/// A table of MPTCP-MIB: `Table.column` reads a column declared in `Table.Columns`.
@dynamicMemberLookup
public protocol DeclaredTable {
    associatedtype Columns: TableColumns
    static var columns: Columns { get }
    static var table: MIBTable { get }
}

extension DeclaredTable {
    public static subscript(dynamicMember column: KeyPath<Columns, MIBObject>) -> MIBObject { columns[keyPath: column] }
    public static var oid: OID { table.oid }
}

/// A NOTIFICATION-TYPE and its OBJECTS.
public struct MIBNotification: Sendable, Hashable {
    public let name: String
    public let oid: OID
    public let objects: [MIBObject]
}
