import CMPTCPNetlink
import MPTCPModel

#if canImport(Glibc)
import Glibc
#endif

/// One `mptcp_pm_events` message, decoded. Fields the event does not carry are nil.
public struct PathManagerEvent: Sendable, Hashable {
    public enum Kind: UInt8, Sendable {
        case created = 1, established = 2, closed = 3, announced = 6, removed = 7
        case subflowEstablished = 10, subflowClosed = 11, subflowPriority = 13
        case listenerCreated = 15, listenerClosed = 16
    }

    public var kind: Kind
    public var token: UInt32?
    public var local: SocketAddress?
    public var remote: SocketAddress?
    public var localID: UInt8?
    public var remoteID: UInt8?
    public var backup: Bool?
    public var ifIndex: UInt32?
    public var serverSide: Bool

    public init(kind: Kind, token: UInt32? = nil, local: SocketAddress? = nil, remote: SocketAddress? = nil,
                localID: UInt8? = nil, remoteID: UInt8? = nil, backup: Bool? = nil, ifIndex: UInt32? = nil,
                serverSide: Bool = false) {
        self.kind = kind
        self.token = token
        self.local = local
        self.remote = remote
        self.localID = localID
        self.remoteID = remoteID
        self.backup = backup
        self.ifIndex = ifIndex
        self.serverSide = serverSide
    }

    /// nil for event types this program does not know (newer kernels).
    public init?(_ e: mptcp_nl_event) {
        guard let kind = Kind(rawValue: e.type) else { return nil }
        func has(_ attr: Int) -> Bool { e.attrs & (1 << UInt32(attr)) != 0 }
        func address(_ v4: Int, _ v6: Int, _ buffer: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8),
                     port: UInt16) -> SocketAddress? {
            guard has(v4) || has(v6) else { return nil }
            return SockDiag.socketAddress(UInt8(has(v4) ? AF_INET : AF_INET6), buffer, port)
        }
        self.init(kind: kind)
        token = has(MPTCP_NL_EV_ATTR_TOKEN) ? e.token : nil
        local = address(MPTCP_NL_EV_ATTR_SADDR4, MPTCP_NL_EV_ATTR_SADDR6, e.saddr, port: e.sport)
        remote = address(MPTCP_NL_EV_ATTR_DADDR4, MPTCP_NL_EV_ATTR_DADDR6, e.daddr, port: e.dport)
        localID = has(MPTCP_NL_EV_ATTR_LOC_ID) ? e.loc_id : nil
        remoteID = has(MPTCP_NL_EV_ATTR_REM_ID) ? e.rem_id : nil
        backup = has(MPTCP_NL_EV_ATTR_BACKUP) ? e.backup != 0 : nil
        ifIndex = has(MPTCP_NL_EV_ATTR_IF_IDX) ? UInt32(bitPattern: e.ifindex) : nil
        serverSide = (has(MPTCP_NL_EV_ATTR_SERVER_SIDE) && e.server_side != 0)
            || (has(MPTCP_NL_EV_ATTR_FLAGS) && e.flags & 0x2 != 0)
    }
}

/// A subscription to the `mptcp_pm_events` multicast group. Poll `fileDescriptor` for
/// readability, then call `drain()`.
public final class EventMonitor {
    private let pm: PathManager

    public init() throws {
        pm = try PathManager()
        let ret = mptcp_nl_subscribe_events(pm.handle)
        if ret < 0 {
            throw KernelError.fromShim(ret, operation: "subscribe to mptcp_pm events")
        }
    }

    public var fileDescriptor: Int32 { mptcp_nl_fd(pm.handle) }

    /// Every pending event; `lost` is true when the kernel dropped some (socket overrun).
    public func drain() throws -> (events: [PathManagerEvent], lost: Bool) {
        var events: [PathManagerEvent] = []
        let ret = RecordSink<mptcp_nl_event>.run({ record in
            if let e = PathManagerEvent(record) { events.append(e) }
            return 0
        }) { context in
            mptcp_nl_read_events(pm.handle, { RecordSink.forward($0, $1) }, context)
        }
        if ret < 0 && ret != -ENOBUFS {
            throw KernelError.fromShim(ret, operation: "read mptcp_pm events")
        }
        return (events, ret == -ENOBUFS)
    }
}

/// The addresses peers announced (ADD_ADDR), per connection, kept up to date from events.
/// The kernel offers no dump of them: what was announced before the subscription is unknown.
public struct AnnouncementTracker: Sendable {
    private var byToken: [UInt32: [UInt8: SocketAddress]] = [:]

    public init() {}

    public mutating func apply(_ event: PathManagerEvent) {
        guard let token = event.token else { return }
        switch event.kind {
        case .announced:
            guard let id = event.remoteID, let address = event.remote else { return }
            byToken[token, default: [:]][id] = address
        case .removed:
            guard let id = event.remoteID else { return }
            byToken[token]?[id] = nil
            if byToken[token]?.isEmpty == true { byToken[token] = nil }
        case .closed:
            byToken[token] = nil
        default:
            break
        }
    }

    /// The connections with announcements.
    public var tokens: Set<UInt32> { Set(byToken.keys) }

    /// Drops connections that no longer exist (their CLOSED event may have been lost):
    /// those in `before` — known when a snapshot started — that the snapshot did not find
    /// alive. Connections that appeared during the snapshot are kept.
    public mutating func retain(alive: Set<UInt32>, before: Set<UInt32>) {
        byToken = byToken.filter { alive.contains($0.key) || !before.contains($0.key) }
    }

    public var announcements: [Announcement] {
        byToken.flatMap { token, ids in ids.map { Announcement(token: token, id: $0.key, address: $0.value) } }
    }
}
