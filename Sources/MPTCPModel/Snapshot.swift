/// Everything the kernel says about MPTCP in one namespace at one moment.
/// A part the kernel could not deliver is empty (or nil) and named in `failures`.
/// What the agent learnt from the path manager's events is not the kernel's: `merge`
/// adds it after the read.
public struct Snapshot: Sendable {
    public var connections: [Connection]
    /// Only subflows whose token belongs to a connection in `connections`: the dumps are
    /// not atomic, and a subflow of a connection born between them has no row to join.
    public var subflows: [Subflow]
    public var listeners: [Listener]
    /// nil when the kernel has no `mptcp_pm` family.
    public var endpoints: [Endpoint]?
    public var limits: Limits?
    /// nil when `/proc/net/netstat` has no MPTcpExt lines.
    public var counters: Counters?
    public var settings: Settings
    /// The interface holding each of the namespace's addresses, by address (IPv4-mapped
    /// IPv6 as IPv4; the first interface listed where several hold one).
    public var interfaces: [IPAddress: UInt32]
    /// The peer addresses the subflows use (see `RemoteAddress.build`); `merge` adds the
    /// announced ones.
    public var remoteAddresses: [RemoteAddress]
    /// One row per local address in use or configured (see `PathSummary.build`); `merge`
    /// adds the event counts.
    public var paths: [PathSummary]
    public var host: HostSummary
    /// One line per part that failed, e.g. "subflows: Operation not permitted".
    public var failures: [String]

    /// `subflows` is filtered where it is: passed with `consume`, the dump is not copied.
    public init(connections: [Connection] = [], subflows: consuming [Subflow] = [], listeners: [Listener] = [],
                endpoints: [Endpoint]? = nil, limits: Limits? = nil, counters: Counters? = nil,
                settings: Settings = Settings(), interfaces: [IPAddress: UInt32] = [:], failures: [String] = []) {
        let tokens = Set(connections.map(\.token))
        self.connections = connections
        var joined = consume subflows
        joined.removeAll { !tokens.contains($0.token) }
        self.subflows = joined
        self.listeners = listeners
        self.endpoints = endpoints
        self.limits = limits
        self.counters = counters
        self.settings = settings
        self.interfaces = interfaces
        self.remoteAddresses = RemoteAddress.build(subflows: self.subflows)
        self.paths = PathSummary.build(subflows: self.subflows, endpoints: endpoints ?? [], interfaces: interfaces)
        self.host = HostSummary(connections: connections, subflows: self.subflows)
        self.failures = failures
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

extension Snapshot {
    /// Adds what the events told to what the kernel said: the addresses peers announced on
    /// the connections in `liveTokens` (the tokens of `connections`, which the caller has
    /// at hand) join `remoteAddresses`, the event counts join `paths`. The tables are
    /// changed in place, and only where the knowledge has something for them.
    public mutating func merge(_ knowledge: EventKnowledge, liveTokens: Set<UInt32>) {
        RemoteAddress.merge(knowledge.announcements, into: &remoteAddresses, liveTokens: liveTokens)
        PathSummary.merge(knowledge.pathEvents, into: &paths, interfaces: interfaces)
    }

    /// Moves a table out of the snapshot, leaving it empty, so its storage can be freed
    /// as soon as the taker is done with it.
    public mutating func take<Row>(_ table: WritableKeyPath<Snapshot, [Row]>) -> [Row] {
        let rows = self[keyPath: table]
        self[keyPath: table] = []
        return rows
    }

    public mutating func takeCounters() -> [Counters.Counter] {
        let all = counters?.all ?? []
        counters = counters.map { _ in Counters([]) }
        return all
    }
}
