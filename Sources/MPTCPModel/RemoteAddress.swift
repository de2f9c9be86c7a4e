/// An address the peer announced with ADD_ADDR, learnt from the path-manager events.
public struct Announcement: Sendable, Hashable {
    public var token: UInt32
    public var id: UInt8
    public var address: SocketAddress

    public init(token: UInt32, id: UInt8, address: SocketAddress) {
        self.token = token
        self.id = id
        self.address = address
    }
}

/// A peer address of one connection, keyed by the peer's address id.
public struct RemoteAddress: Sendable, Hashable {
    public struct Sources: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let subflow = Sources(rawValue: 1 << 0)
        public static let announced = Sources(rawValue: 1 << 1)
    }

    public var token: UInt32
    public var id: UInt8
    public var address: IPAddress
    /// The announced port, or else the lowest remote port of the subflows using it.
    public var port: UInt16
    public var sources: Sources
    public var subflows: UInt32

    /// The peer addresses the subflows use: one row per connection and peer address id,
    /// sorted by both; its address is that of the first subflow (in `subflows`) using the id.
    public static func build(subflows: [Subflow]) -> [RemoteAddress] {
        // Each subflow's (token, id) with its position, sorted: a run of one key is one row.
        // A dictionary of rows cost at 10^5 connections several times the memory of these
        // 16-byte pairs, and a tenth of a refresh in hashing and resizing.
        var keyed: [(key: UInt64, subflow: Int)] = []
        keyed.reserveCapacity(subflows.count)
        for i in subflows.indices {
            if let id = subflows[i].remoteID { keyed.append((UInt64(subflows[i].token) << 8 | UInt64(id), i)) }
        }
        keyed.sort { ($0.key, $0.subflow) < ($1.key, $1.subflow) }
        var rows: [RemoteAddress] = []
        var n = 0
        while n < keyed.count {
            let key = keyed[n].key
            let first = subflows[keyed[n].subflow]
            var row = RemoteAddress(token: first.token, id: UInt8(truncatingIfNeeded: key), address: first.remote.address,
                                    port: first.remote.port, sources: .subflow, subflows: 0)
            while n < keyed.count && keyed[n].key == key {
                row.subflows += 1
                row.port = min(row.port, subflows[keyed[n].subflow].remote.port)
                n += 1
            }
            rows.append(row)
        }
        return rows
    }

    /// Adds the addresses peers announced to `rows` (as `build` returns them, and kept so):
    /// an announcement overrides the address and port of the row of its id, or adds a row.
    /// Announcements of connections not in `liveTokens` (gone) are dropped.
    public static func merge(_ announcements: [Announcement], into rows: inout [RemoteAddress], liveTokens: Set<UInt32>) {
        var added: [RemoteAddress] = []
        for a in announcements where liveTokens.contains(a.token) {
            var lo = 0, hi = rows.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if (rows[mid].token, rows[mid].id) < (a.token, a.id) { lo = mid + 1 } else { hi = mid }
            }
            if lo < rows.count && rows[lo].token == a.token && rows[lo].id == a.id {
                rows[lo].sources.insert(.announced)
                rows[lo].address = a.address.address
                rows[lo].port = a.address.port
            } else {
                added.append(RemoteAddress(token: a.token, id: a.id, address: a.address.address,
                                           port: a.address.port, sources: .announced, subflows: 0))
            }
        }
        guard !added.isEmpty else { return }
        // Two sorted runs (stdlib's sort merges runs): linear, not a second full sort.
        added.sort { ($0.token, $0.id) < ($1.token, $1.id) }
        rows += added
        rows.sort { ($0.token, $0.id) < ($1.token, $1.id) }
    }
}
