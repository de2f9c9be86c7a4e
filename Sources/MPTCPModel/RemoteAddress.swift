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

    /// Merges the peer addresses seen on subflows with those the peer announced.
    /// Announcements of connections that no longer exist are dropped.
    public static func build(subflows: [Subflow], announcements: [Announcement],
                             liveTokens: Set<UInt32>) -> [RemoteAddress] {
        struct Key: Hashable { let token: UInt32; let id: UInt8 }
        var rows: [Key: RemoteAddress] = [:]
        for sf in subflows {
            guard let id = sf.remoteID else { continue }
            let key = Key(token: sf.token, id: id)
            if var row = rows[key] {
                row.subflows += 1
                row.port = min(row.port, sf.remote.port)
                rows[key] = row
            } else {
                rows[key] = RemoteAddress(token: sf.token, id: id, address: sf.remote.address,
                                          port: sf.remote.port, sources: .subflow, subflows: 1)
            }
        }
        for a in announcements where liveTokens.contains(a.token) {
            let key = Key(token: a.token, id: a.id)
            if var row = rows[key] {
                row.sources.insert(.announced)
                row.address = a.address.address
                row.port = a.address.port
                rows[key] = row
            } else {
                rows[key] = RemoteAddress(token: a.token, id: a.id, address: a.address.address,
                                          port: a.address.port, sources: .announced, subflows: 0)
            }
        }
        return rows.values.sorted { ($0.token, $0.id) < ($1.token, $1.id) }
    }
}

/// What the path manager's event stream has told that no dump shows: the addresses peers
/// announced, and the subflow events of each local address.
public struct EventKnowledge: Sendable {
    public var announcements: [Announcement]
    public var pathEvents: [IPAddress: PathEvents]

    public init(announcements: [Announcement] = [], pathEvents: [IPAddress: PathEvents] = [:]) {
        self.announcements = announcements
        self.pathEvents = pathEvents
    }
}
