import MPTCPMIB
import SMI
import MPTCPModel

/// The answer to a GET of one OID.
public enum Lookup: Sendable, Equatable {
    case value(SNMPValue)
    /// No such object: the OID names no object, or one the running kernel does not have.
    case noSuchObject
    /// The object exists but not this instance.
    case noSuchInstance
}

/// A column of a table and how to read it from a row; nil means the row lacks it.
public struct Column<Row>: Sendable {
    public let object: MIBObject
    public let value: @Sendable (Row) -> SNMPValue?

    public init(_ object: MIBObject, _ value: @escaping @Sendable (Row) -> SNMPValue?) {
        self.object = object
        self.value = value
    }
}

/// One table's instances: rows sorted by their index OID, read column-major as GETNEXT
/// walks. Each row is held once; the index OIDs of all rows share one buffer.
struct TableRegion<Row: Sendable>: Sendable {
    let entry: OID
    let columns: [Column<Row>]
    private let rows: [Row]
    private let keys: [UInt32]  // the rows' index OIDs, concatenated in row order
    private let starts: [Int]  // row i's index is keys[starts[i]..<starts[i + 1]]

    /// `index` appends a row's index sub-identifiers to the buffer it is given.
    init(table: MIBTable, columns: [Column<Row>], rows input: [Row], index: (Row, inout [UInt32]) -> Void) {
        entry = table.entryOID
        self.columns = columns.sorted { $0.object.subID < $1.object.subID }
        var flat: [UInt32] = []
        var bounds = [0]
        bounds.reserveCapacity(input.count + 1)
        for row in input {
            index(row, &flat)
            bounds.append(flat.count)
        }
        func key(_ i: Int) -> ArraySlice<UInt32> { flat[bounds[i]..<bounds[i + 1]] }
        let order = (0..<input.count).sorted { oidLess(key($0), key($1)) }
        var rows: [Row] = []
        var keys: [UInt32] = []
        var starts = [0]
        rows.reserveCapacity(input.count)
        keys.reserveCapacity(flat.count)
        starts.reserveCapacity(input.count + 1)
        for (n, i) in order.enumerated() {
            // Equal indexes cannot both be instances: keep the first.
            if n > 0 && key(order[n - 1]).elementsEqual(key(i)) { continue }
            rows.append(input[i])
            keys += key(i)
            starts.append(keys.count)
        }
        self.rows = rows
        self.keys = keys
        self.starts = starts
    }

    var count: Int { rows.count }

    private func key(_ i: Int) -> ArraySlice<UInt32> { keys[starts[i]..<starts[i + 1]] }

    /// First row whose index is greater than `suffix`.
    private func firstRow<S: RandomAccessCollection>(after suffix: S) -> Int where S.Element == UInt32 {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if oidLess(suffix, key(mid)) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The row whose index is `instance`.
    func row(_ instance: ArraySlice<UInt32>) -> Row? {
        let i = firstRow(after: instance) - 1
        return i >= 0 && key(i).elementsEqual(instance) ? rows[i] : nil
    }

    func get(column: MIBObject, instance: ArraySlice<UInt32>) -> Lookup {
        guard let c = columns.first(where: { $0.object.subID == column.subID }) else { return .noSuchObject }
        let i = firstRow(after: instance) - 1
        guard i >= 0, key(i).elementsEqual(instance), let v = c.value(rows[i]) else { return .noSuchInstance }
        return .value(v)
    }

    /// entry.column.index, built in one allocation (a walk builds one per varbind).
    private func instance(column: Int, row: Int) -> OID {
        let index = key(row)
        var oid = OID()
        oid.reserveCapacity(entry.count + 1 + index.count)
        oid.append(contentsOf: entry)
        oid.append(columns[column].object.subID)
        oid.append(contentsOf: index)
        return oid
    }

    /// The first instance after `oid` in this table, column by column.
    func next(after oid: OID) -> (OID, SNMPValue)? {
        var column = 0
        var row = 0
        if oid.hasPrefix(entry) {
            if oid.count > entry.count {
                let sub = oid[entry.count]
                column = columns.firstIndex { $0.object.subID >= sub } ?? columns.count
                if column < columns.count && columns[column].object.subID == sub {
                    row = firstRow(after: oid[(entry.count + 1)...])
                }
            }
        } else if !oidLess(oid, entry) {
            return nil  // past this table
        }
        while column < columns.count {
            let value = columns[column].value
            while row < rows.count {
                if let v = value(rows[row]) { return (instance(column: column, row: row), v) }
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
struct ScalarRegion: Sendable {
    let objects: [MIBObject]  // OID order
    let values: [SNMPValue?]
    /// Each object's instance OID (`.0`), computed once: GETNEXT binary-searches them.
    private let instances: [OID]

    init(objects: [MIBObject], values: [SNMPValue?]) {
        self.objects = objects
        self.values = values
        instances = objects.map { $0.oid + [0] }
    }

    func get(_ object: MIBObject, instance: ArraySlice<UInt32>) -> Lookup {
        guard let i = objects.firstIndex(of: object), let v = values[i] else { return .noSuchObject }
        return instance.elementsEqual([0]) ? .value(v) : .noSuchInstance
    }

    func next(after oid: OID) -> (OID, SNMPValue)? {
        // The first instance greater than `oid`, then the first present from there.
        var lo = 0, hi = instances.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if oidLess(oid, instances[mid]) { hi = mid } else { lo = mid + 1 }
        }
        for i in lo..<instances.count {
            if let v = values[i] { return (instances[i], v) }
        }
        return nil
    }
}

/// MPTCP-MIB over one snapshot: answers GET and GETNEXT for the whole subtree.
/// Immutable and shareable (a class: handing it to a request is one retain, not a copy
/// of every table); build a new view for a new snapshot.
public final class MIBView: Sendable {
    private let scalars: ScalarRegion
    private let counters: TableRegion<Counters.Counter>
    private let connections: TableRegion<ConnectionRow>
    private let subflows: TableRegion<Subflow>
    private let endpoints: TableRegion<EndpointRow>
    private let remoteAddresses: TableRegion<RemoteAddress>
    private let listeners: TableRegion<Listener>
    private let paths: TableRegion<PathRow>
    /// mptcpNotificationControl: scalars after the tables.
    private let controls: ScalarRegion
    /// mptcpContextTable, after mptcpNotificationControl.
    private let contexts: TableRegion<ServedContext>

    /// Builds the view; it keeps what it serves, not the snapshot. Each table's rows are
    /// taken out of the snapshot as the table is built, so a snapshot passed with
    /// `consume` is freed table by table rather than held until the end.
    public init(snapshot: consuming Snapshot, facts: AgentFacts = AgentFacts()) {
        var rows: [UInt8: EndpointRow] = [:]
        for e in snapshot.endpoints ?? [] { rows[e.id] = EndpointRow(e) }
        for p in facts.pendingEndpoints where rows[p.id] == nil { rows[p.id] = p }
        let nextID = (1...255).first { rows[UInt8($0)] == nil }.map(UInt32.init) ?? 0

        let scalarObjects = MPTCPMIB.General.all + MPTCPMIB.Stats.all
        scalars = ScalarRegion(objects: scalarObjects, values: scalarObjects.map {
            Bindings.scalar($0, snapshot: snapshot, facts: facts, endpointNextID: nextID)
        })
        controls = ScalarRegion(objects: MPTCPMIB.NotificationControl.all,
                                values: MPTCPMIB.NotificationControl.all.map { Bindings.control($0, facts) })
        counters = TableRegion(table: MPTCPMIB.CounterTable.table, columns: Bindings.counterColumns,
                               rows: snapshot.takeCounters(), index: { IndexEncoding.append(string: $0.name, to: &$1) })
        let uptime = facts.uptime
        connections = TableRegion(table: MPTCPMIB.ConnectionTable.table, columns: Bindings.connectionColumns,
                                  rows: snapshot.take(\.connections).map { c in
                                      ConnectionRow(connection: c, firstSeen: facts.firstSeen[c.token].map(uptime.timeStamp(at:)))
                                  },
                                  index: { $1.append($0.connection.token) })
        subflows = TableRegion(table: MPTCPMIB.SubflowTable.table, columns: Bindings.subflowColumns,
                               rows: snapshot.take(\.subflows),
                               index: { row, out in
                                   out.append(row.token)
                                   IndexEncoding.append(row.local, to: &out)
                                   IndexEncoding.append(row.remote, to: &out)
                               })
        endpoints = TableRegion(table: MPTCPMIB.EndpointTable.table, columns: Bindings.endpointColumns,
                                rows: Array(rows.values), index: { $1.append(UInt32($0.id)) })
        remoteAddresses = TableRegion(table: MPTCPMIB.RemoteAddressTable.table, columns: Bindings.remoteAddressColumns,
                                      rows: snapshot.take(\.remoteAddresses), index: { $1 += [$0.token, UInt32($0.id)] })
        listeners = TableRegion(table: MPTCPMIB.ListenerTable.table, columns: Bindings.listenerColumns,
                                rows: snapshot.take(\.listeners), index: { listener, out in
                                    // TCP-MIB's wildcard for both families: unknown(0), a zero-length address.
                                    if listener.dualStack { out += [0, 0, UInt32(listener.local.port)] }
                                    else { IndexEncoding.append(listener.local, to: &out) }
                                })
        contexts = TableRegion(table: MPTCPMIB.ContextTable.table, columns: Bindings.contextColumns,
                               rows: facts.contexts.filter { (1...32).contains($0.name.utf8.count) },
                               index: { IndexEncoding.append(string: $0.name, to: &$1) })
        paths = TableRegion(table: MPTCPMIB.PathTable.table, columns: Bindings.pathColumns,
                            rows: snapshot.take(\.paths).map { p in
                                PathRow(path: p, discontinuity: p.events.map { uptime.timeStamp(at: $0.since) })
                            },
                            index: { IndexEncoding.append($0.path.address, to: &$1) })
    }

    public func get(_ oid: OID) -> Lookup {
        guard let (object, instance) = MPTCPMIB.object(containing: oid), object.access.isReadable else {
            return .noSuchObject
        }
        switch MPTCPMIB.table(of: object)?.name {
        case nil where object.oid.hasPrefix(MPTCPMIB.NotificationControl.oid): return controls.get(object, instance: instance)
        case nil: return scalars.get(object, instance: instance)
        case MPTCPMIB.CounterTable.table.name: return counters.get(column: object, instance: instance)
        case MPTCPMIB.ConnectionTable.table.name: return connections.get(column: object, instance: instance)
        case MPTCPMIB.SubflowTable.table.name: return subflows.get(column: object, instance: instance)
        case MPTCPMIB.EndpointTable.table.name: return endpoints.get(column: object, instance: instance)
        case MPTCPMIB.RemoteAddressTable.table.name: return remoteAddresses.get(column: object, instance: instance)
        case MPTCPMIB.ListenerTable.table.name: return listeners.get(column: object, instance: instance)
        case MPTCPMIB.ContextTable.table.name: return contexts.get(column: object, instance: instance)
        default: return paths.get(column: object, instance: instance)
        }
    }

    /// The first instance of MPTCP-MIB whose OID is greater than `oid`; nil past the subtree.
    public func next(after oid: OID) -> (oid: OID, value: SNMPValue)? {
        if !oidLess(oid, MPTCPMIB.root + [2]) { return nil }  // past mptcpObjects: conformance has no instances
        return scalars.next(after: oid)
            ?? counters.next(after: oid)
            ?? connections.next(after: oid)
            ?? subflows.next(after: oid)
            ?? endpoints.next(after: oid)
            ?? remoteAddresses.next(after: oid)
            ?? listeners.next(after: oid)
            ?? paths.next(after: oid)
            ?? controls.next(after: oid)
            ?? contexts.next(after: oid)
    }

    /// A connection of this view, by token.
    public func connection(token: UInt32) -> Connection? { connections.row([token])?.connection }

    /// A peer address of a connection, by the peer's address id.
    public func remoteAddress(token: UInt32, id: UInt8) -> RemoteAddress? { remoteAddresses.row([token, UInt32(id)]) }

    /// The path summary of a local address.
    public func path(_ address: IPAddress) -> PathSummary? {
        var index: OID = []
        IndexEncoding.append(address, to: &index)
        return paths.row(index[...])?.path
    }

    /// Instances in each table, for logs and benchmarks.
    public var rowCounts: [String: Int] {
        [MPTCPMIB.CounterTable.table.name: counters.count, MPTCPMIB.ConnectionTable.table.name: connections.count,
         MPTCPMIB.SubflowTable.table.name: subflows.count, MPTCPMIB.EndpointTable.table.name: endpoints.count,
         MPTCPMIB.RemoteAddressTable.table.name: remoteAddresses.count,
         MPTCPMIB.ListenerTable.table.name: listeners.count, MPTCPMIB.PathTable.table.name: paths.count]
    }
}
