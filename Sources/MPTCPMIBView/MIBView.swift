import MPTCPMIB
import SMI
import MPTCPModel
import Synchronization

/// The answer to a GET of one OID.
public enum Lookup: Sendable, Equatable {
    case value(SNMPValue)
    /// No such object: the OID names no object, or one the running kernel does not have.
    case noSuchObject
    /// The object exists but not this instance.
    case noSuchInstance
}

/// A part of the subtree that a view answers for: a run of scalars or one table.
public protocol Region: AnyObject, Sendable {
    /// The OID where the region starts: it answers for OIDs from there to the next region's.
    var start: OID { get }
    func get(_ object: MIBObject, instance: ArraySlice<UInt32>) -> Lookup
    /// The first instance after `oid` in this region (the first of all if `oid` is before it).
    func next(after oid: OID) -> (OID, SNMPValue)?
}

/// One table's instances: rows sorted by their index OID, read column-major as GETNEXT
/// walks. Each row is held once, and its index OID is not held at all but encoded from the
/// row when a lookup compares it (at 10^5 connections the subflows' index OIDs were 20 MB
/// a view, twice over while a refresh builds the next). Not generic: a walk runs this
/// class's code for every table, and only `cell` and `encode` (built where the row type is
/// known, so specialized) touch a row. Generic code behind `any Region` is not specialized
/// and cost a walk 6× per varbind (retains of each column on every step).
final class TableRegion: Region {
    let table: MIBTable
    let entry: OID
    let count: Int
    /// The readable columns' sub-identifiers, ascending.
    private let subIDs: [UInt32]
    /// The value of column `subIDs[c]` in row `r`; nil where the row lacks it.
    private let cell: @Sendable (_ c: Int, _ r: Int) -> SNMPValue?
    /// Appends row `r`'s index sub-identifiers.
    private let encode: @Sendable (_ r: Int, _ out: inout [UInt32]) -> Void
    /// The rows, as `[Row]` of the table's declaration: for lookups by index.
    let rows: any Sendable
    /// The row of the instance `next` last returned: a walk asks next for the one after it,
    /// which is then found with one encoding instead of a binary search's twenty.
    private let lastRow = Atomic<Int>(0)

    init<Row: Sendable>(_ declaration: TableDeclaration<Row>, rows input: consuming [Row]) {
        table = declaration.table
        entry = declaration.table.entryOID
        let columns = declaration.columns.sorted { $0.object.subID < $1.object.subID }
        subIDs = columns.map(\.object.subID)
        let index = declaration.index
        var rows = consume input
        // Rows that come in strictly increasing index order (the event log's, the remote
        // addresses') need no sort.
        if !Self.inOrder(rows, index) {
            let order = declaration.indexLess.map { less in (0..<rows.count).sorted { less(rows[$0], rows[$1]) } }
                ?? Self.indexOrder(rows, index)
            // The rows are put in order where they are, not copied (60 MB more at 10^5).
            Self.arrange(&rows, in: order)
            // Equal indexes cannot both be instances: keep the first (the sort is stable).
            var kept = 0
            var last: [UInt32] = [], this: [UInt32] = []
            for n in rows.indices {
                this.removeAll(keepingCapacity: true)
                index(rows[n], &this)
                if kept > 0 && this == last { continue }
                if kept != n { rows.swapAt(kept, n) }
                kept += 1
                swap(&last, &this)
            }
            rows.removeLast(rows.count - kept)
        }
        count = rows.count
        self.rows = rows
        let values = columns.map(\.value)
        cell = { [rows] c, r in values[c](rows[r]) }
        encode = { [rows] r, out in index(rows[r], &out) }
    }

    /// The positions of the rows in the order of their encoded indexes (stable).
    private static func indexOrder<Row>(_ rows: [Row], _ index: (Row, inout [UInt32]) -> Void) -> [Int] {
        var flat: [UInt32] = []
        var bounds = [0]
        bounds.reserveCapacity(rows.count + 1)
        for i in rows.indices {
            index(rows[i], &flat)
            bounds.append(flat.count)
            if i == 0 { flat.reserveCapacity(flat.count * rows.count) }
        }
        func key(_ i: Int) -> ArraySlice<UInt32> { flat[bounds[i]..<bounds[i + 1]] }
        return (0..<rows.count).sorted { oidLess(key($0), key($1)) }
    }

    /// Whether each row's index is greater than the one before.
    private static func inOrder<Row>(_ rows: [Row], _ index: (Row, inout [UInt32]) -> Void) -> Bool {
        var last: [UInt32] = [], this: [UInt32] = []
        for n in rows.indices {
            this.removeAll(keepingCapacity: true)
            index(rows[n], &this)
            if n > 0 && !oidLess(last, this) { return false }
            swap(&last, &this)
        }
        return true
    }

    /// Puts `rows[order[n]]` at `n` for every n, in place: one cycle of the permutation at a time.
    private static func arrange<Row>(_ rows: inout [Row], in order: [Int]) {
        var placed = [Bool](repeating: false, count: rows.count)
        for first in rows.indices where !placed[first] {
            var j = first
            while order[j] != first {
                rows.swapAt(j, order[j])  // rows[order[j]] lands at j; the cycle's first row moves on
                placed[j] = true
                j = order[j]
            }
            placed[j] = true
        }
    }

    var start: OID { table.oid }

    /// The position of the first row whose index is greater than `suffix` (`count` if none).
    private func firstRow(after suffix: ArraySlice<UInt32>) -> Int {
        var key: [UInt32] = []
        key.reserveCapacity(64)
        return firstOID(after: suffix, count: count) { r in
            key.removeAll(keepingCapacity: true)
            encode(r, &key)
            return key
        }
    }

    /// The first row whose index is greater than `suffix`: the one after `lastRow` if that
    /// row's index is `suffix`, else by binary search.
    private func row(after suffix: ArraySlice<UInt32>) -> Int {
        let hint = lastRow.load(ordering: .relaxed)
        if hint < count {
            var key: [UInt32] = []
            key.reserveCapacity(suffix.count)
            encode(hint, &key)
            if key.elementsEqual(suffix) { return hint + 1 }
        }
        return firstRow(after: suffix)
    }

    /// The position of the row whose index is `instance`.
    func position(of instance: ArraySlice<UInt32>) -> Int? {
        let i = firstRow(after: instance) - 1
        guard i >= 0 else { return nil }
        var key: [UInt32] = []
        encode(i, &key)
        return key.elementsEqual(instance) ? i : nil
    }

    func get(_ object: MIBObject, instance: ArraySlice<UInt32>) -> Lookup {
        guard object.oid.count == entry.count + 1, object.oid.hasPrefix(entry),
              let c = subIDs.firstIndex(of: object.subID) else { return .noSuchObject }
        guard let r = position(of: instance), let v = cell(c, r) else { return .noSuchInstance }
        return .value(v)
    }

    /// entry.column.index, built in one allocation (a walk builds one per varbind).
    private func instance(column: Int, row: Int) -> OID {
        var oid = OID()
        oid.reserveCapacity(entry.count + 1 + 40)
        oid.append(contentsOf: entry)
        oid.append(subIDs[column])
        encode(row, &oid)
        return oid
    }

    /// The first instance after `oid` in this table, column by column.
    func next(after oid: OID) -> (OID, SNMPValue)? {
        var column = 0
        var row = 0
        if oid.hasPrefix(entry) {
            if oid.count > entry.count {
                let sub = oid[entry.count]
                column = subIDs.firstIndex { $0 >= sub } ?? subIDs.count
                if column < subIDs.count && subIDs[column] == sub {
                    row = self.row(after: oid[(entry.count + 1)...])
                }
            }
        } else if !oidLess(oid, entry) {
            return nil  // past this table
        }
        while column < subIDs.count {
            while row < count {
                if let v = cell(column, row) {
                    lastRow.store(row, ordering: .relaxed)
                    return (instance(column: column, row: row), v)
                }
                row += 1
            }
            column += 1
            row = 0
        }
        return nil
    }
}

/// Scalars (general settings and named counters), each either present with a value or
/// absent on the running kernel.
final class ScalarRegion: Region {
    let start: OID
    private let objects: [MIBObject]  // OID order
    private let values: [SNMPValue?]
    /// Each object's instance OID (`.0`), computed once: GETNEXT binary-searches them.
    private let instances: [OID]

    init(start: OID, objects: [MIBObject], values: [SNMPValue?]) {
        self.start = start
        self.objects = objects
        self.values = values
        instances = objects.map { $0.oid + [0] }
    }

    func get(_ object: MIBObject, instance: ArraySlice<UInt32>) -> Lookup {
        let i = firstOID(after: object.oid, count: objects.count) { objects[$0].oid } - 1
        guard i >= 0, objects[i].oid == object.oid, let v = values[i] else { return .noSuchObject }
        return instance.elementsEqual([0]) ? .value(v) : .noSuchInstance
    }

    func next(after oid: OID) -> (OID, SNMPValue)? {
        // The first instance greater than `oid`, then the first present from there.
        for i in firstOID(after: oid, count: instances.count, key: { instances[$0] })..<instances.count {
            if let v = values[i] { return (instances[i], v) }
        }
        return nil
    }
}

/// MPTCP-MIB over one snapshot: answers GET and GETNEXT for the whole subtree.
/// Immutable and shareable (a class: handing it to a request is one retain, not a copy
/// of every table); build a new view for a new snapshot.
public final class MIBView: Sendable {
    /// The scalars, the declared tables and the notification controls, in OID order.
    private let regions: [any Region]
    /// Each region's start, for the binary search that picks a region.
    private let starts: [OID]

    /// Builds the view; it keeps what it serves, not the snapshot. Each table's rows are
    /// taken out of the snapshot as the table is built, so a snapshot passed with
    /// `consume` is freed table by table rather than held until the end.
    public init(snapshot: consuming Snapshot, facts: AgentFacts = AgentFacts()) {
        let endpoints = EndpointRow.rows(kernel: snapshot.endpoints, pending: facts.pendingEndpoints)
        let nextID = (1...255).first { endpoints[UInt8($0)] == nil }.map(UInt32.init) ?? 0
        let scalarObjects = MPTCPMIB.General.all + MPTCPMIB.Stats.all
        var regions: [any Region] = [
            ScalarRegion(start: MPTCPMIB.generalOID, objects: scalarObjects, values: scalarObjects.map {
                Bindings.scalar($0, snapshot: snapshot, facts: facts, endpointNextID: nextID)
            }),
            ScalarRegion(start: MPTCPMIB.NotificationControl.oid, objects: MPTCPMIB.NotificationControl.all,
                         values: MPTCPMIB.NotificationControl.all.map { Bindings.control($0, facts) }),
            ScalarRegion(start: MPTCPMIB.EventLog.oid, objects: MPTCPMIB.EventLog.all,
                         values: MPTCPMIB.EventLog.all.map { Bindings.eventLog($0, facts) }),
        ]
        for table in MPTCPMIB.servedTables { regions.append(table.region(&snapshot, facts)) }
        regions.sort { oidLess($0.start, $1.start) }
        self.regions = regions
        starts = regions.map(\.start)
    }

    /// The region that answers for `oid`: the last one starting at or before it.
    private func region(of oid: OID) -> Int {
        firstOID(after: oid, count: starts.count) { starts[$0] } - 1
    }

    public func get(_ oid: OID) -> Lookup {
        guard let (object, instance) = MPTCPMIB.object(containing: oid), object.access.isReadable else {
            return .noSuchObject
        }
        let r = region(of: object.oid)
        return r >= 0 ? regions[r].get(object, instance: instance) : .noSuchObject
    }

    /// The first instance of MPTCP-MIB whose OID is greater than `oid`; nil past the subtree.
    public func next(after oid: OID) -> (oid: OID, value: SNMPValue)? {
        if !oidLess(oid, MPTCPMIB.root + [2]) { return nil }  // past mptcpObjects: conformance has no instances
        for r in max(region(of: oid), 0)..<regions.count {
            if let found = regions[r].next(after: oid) { return found }
        }
        return nil
    }

    /// The row of a declared table whose index is `instance`.
    private func row<Row>(_ declaration: TableDeclaration<Row>, _ instance: ArraySlice<UInt32>) -> Row? {
        let table = regions[region(of: declaration.table.oid)] as! TableRegion
        return table.position(of: instance).map { (table.rows as! [Row])[$0] }
    }

    /// A connection of this view, by token.
    public func connection(token: UInt32) -> Connection? {
        row(MPTCPMIB.ConnectionTable.served, [token])?.connection
    }

    /// A peer address of a connection, by the peer's address id.
    public func remoteAddress(token: UInt32, id: UInt8) -> RemoteAddress? {
        row(MPTCPMIB.RemoteAddressTable.served, [token, UInt32(id)])
    }

    /// The path summary of a local address.
    public func path(_ address: IPAddress) -> PathSummary? {
        var index: OID = []
        IndexEncoding.append(address, to: &index)
        return row(MPTCPMIB.PathTable.served, index[...])?.path
    }

    /// Instances in each table, for logs and benchmarks.
    public var rowCounts: [MIBTable: Int] {
        var counts: [MIBTable: Int] = [:]
        for region in regions {
            if let table = region as? TableRegion { counts[table.table] = table.count }
        }
        return counts
    }
}
