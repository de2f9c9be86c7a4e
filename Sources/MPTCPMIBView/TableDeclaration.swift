import MPTCPMIB
import SMI
import MPTCPModel

/// A column of a table as the agent serves it: the contract's object and how to read its
/// value from a row; nil means the row lacks it (no instance).
public struct Column<Row>: Sendable {
    public let object: MIBObject
    public let value: @Sendable (Row) -> SNMPValue?

    public init(_ object: MIBObject, _ value: @escaping @Sendable (Row) -> SNMPValue?) {
        self.object = object
        self.value = value
    }
}

/// One table as the agent serves it, declared once: the contract's table, its readable
/// columns, how a row's index is encoded, and where a view's rows come from. `MIBView`
/// knows no table by name: it builds and answers every table of `MPTCPMIB.servedTables`.
public struct TableDeclaration<Row: Sendable>: Sendable {
    public let table: MIBTable
    public let columns: [Column<Row>]
    /// Appends a row's index sub-identifiers (RFC 2578 section 7.7) to the buffer given.
    public let index: @Sendable (Row, inout [UInt32]) -> Void
    /// Whether one row's index comes before another's, compared on the rows (nil: on the
    /// encoded indexes). Given for the largest tables: sorting them by encoded index holds
    /// every row's index at once, 14 MB for the subflows of 60,000 connections. Must agree
    /// with `index` (a test checks).
    public let indexLess: (@Sendable (Row, Row) -> Bool)?
    /// The rows of one view: taken out of the snapshot (so that a consumed snapshot is
    /// freed table by table), with what the agent adds.
    public let rows: @Sendable (inout Snapshot, AgentFacts) -> [Row]
    /// Builds the table's part of a view. A closure made here, where `Row` is known: the
    /// compiler specializes it (and the region's cell reader) for the row type, which a
    /// generic method called through `any ServedTable` would not be.
    private let build: @Sendable (TableDeclaration, inout Snapshot, AgentFacts) -> TableRegion

    public init(_ table: MIBTable, index: @escaping @Sendable (Row, inout [UInt32]) -> Void,
                indexLess: (@Sendable (Row, Row) -> Bool)? = nil,
                rows: @escaping @Sendable (inout Snapshot, AgentFacts) -> [Row], columns: [Column<Row>]) {
        self.table = table
        self.index = index
        self.indexLess = indexLess
        self.rows = rows
        self.columns = columns
        build = { declaration, snapshot, facts in TableRegion(declaration, rows: rows(&snapshot, facts)) }
    }
}

/// A declared table, whatever its rows: what `MIBView` iterates over.
public protocol ServedTable: Sendable {
    var table: MIBTable { get }
    /// Builds the table's part of a view.
    func region(_ snapshot: inout Snapshot, _ facts: AgentFacts) -> any Region
}

extension TableDeclaration: ServedTable {
    public func region(_ snapshot: inout Snapshot, _ facts: AgentFacts) -> any Region {
        build(self, &snapshot, facts)
    }
}
