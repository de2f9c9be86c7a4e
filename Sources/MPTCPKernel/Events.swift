import CMPTCPNetlink
import MPTCPModel

#if canImport(Glibc)
import Glibc
#endif

extension PathManagerEvent {
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
        denyJoinInitialAddress = has(MPTCP_NL_EV_ATTR_FLAGS) && e.flags & 0x1 != 0
        error = has(MPTCP_NL_EV_ATTR_ERROR) ? e.error : nil
        resetReason = has(MPTCP_NL_EV_ATTR_RESET_REASON) ? e.reset_reason : nil
        resetFlags = has(MPTCP_NL_EV_ATTR_RESET_FLAGS) ? e.reset_flags : nil
    }
}

/// A subscription to the `mptcp_pm_events` multicast group. Poll `fileDescriptor` for
/// readability, then call `drain()`.
public final class EventMonitor {
    private let pm: PathManager
    /// A second socket for dumps: replies on the subscribed one would mix with events.
    private let dumps: PathManager

    /// Opens both sockets in the calling thread's network namespace.
    public init() throws {
        pm = try PathManager()
        dumps = try PathManager()
        let ret = mptcp_nl_subscribe_events(pm.handle)
        if ret < 0 {
            throw KernelError.fromShim(ret, operation: "subscribe to mptcp_pm events")
        }
    }

    public var fileDescriptor: Int32 { mptcp_nl_fd(pm.handle) }

    /// Pending events, from at most `maxDatagrams` datagrams (0: all; a bound keeps a storm
    /// from holding the caller); `lost` is true when the kernel dropped some (overrun).
    public func drain(maxDatagrams: UInt32 = 0) throws -> (events: [PathManagerEvent], lost: Bool) {
        var events: [PathManagerEvent] = []
        let ret = RecordSink<mptcp_nl_event>.run({ record in
            if let e = PathManagerEvent(record) { events.append(e) }
            return 0
        }) { context in
            mptcp_nl_read_events(pm.handle, maxDatagrams, { RecordSink.forward($0, $1) }, context)
        }
        if ret < 0 && ret != -ENOBUFS {
            throw KernelError.fromShim(ret, operation: "read mptcp_pm events")
        }
        return (events, ret == -ENOBUFS)
    }

    /// The ids of the in-kernel path manager's endpoints now: a SUB_CLOSED whose local id
    /// is not among them was closed because its endpoint was deleted.
    public func endpointIDs() throws -> Set<UInt8> { Set(try dumps.endpoints().map(\.id)) }
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

    /// The address the peer announced with `id` on connection `token`, if known.
    public func address(token: UInt32, id: UInt8) -> SocketAddress? { byToken[token]?[id] }
}

/// Counts subflow events per local address (PathEvents), from the event stream: a subflow
/// opens with the connection's ESTABLISHED (its initial subflow) or SUB_ESTABLISHED, and
/// closes with SUB_CLOSED or, for those still open, with the connection's CLOSED (which
/// the kernel sends without a SUB_CLOSED per subflow) or when its connection is found
/// gone without one (the side that receives an MP_FASTCLOSE gets no CLOSED).
public struct PathEventCounter: Sendable {
    private struct SubflowKey: Hashable {
        let local: SocketAddress
        let remote: SocketAddress
    }

    private var counts: [IPAddress: PathEvents] = [:]
    /// The open subflows of each connection, with when each was established.
    private var open: [UInt32: [SubflowKey: Double]] = [:]
    /// When counting began (monotonic seconds): new addresses start from then on.
    private var start: Double

    public init(start: Double) { self.start = start }

    /// Applies an event received at `now`; `withdrawn`: for SUB_CLOSED, a path manager
    /// removed the subflow's address before it closed.
    public mutating func apply(_ event: PathManagerEvent, withdrawn: Bool = false, at now: Double) {
        guard let token = event.token else { return }
        switch event.kind {
        case .established, .subflowEstablished:
            guard let local = event.local, let remote = event.remote else { return }
            let key = SubflowKey(local: local, remote: remote)
            guard open[token]?[key] == nil else { return }
            open[token, default: [:]][key] = now
            update(local.address) { $0.opened += 1 }
        case .subflowClosed:
            guard let local = event.local, let remote = event.remote else { return }
            let established = open[token]?.removeValue(forKey: SubflowKey(local: local, remote: remote))
            let reason = SubflowCloseReason(subflowClosed: event, withdrawn: withdrawn,
                                            establishedFor: established.map { now - $0 })
            update(local.address) { $0.countClose(reason, failed: event.isFailure, at: now) }
        case .closed:
            closeWithConnection(token, at: now)
        default:
            break
        }
    }

    /// Events were lost: from now on the counts may miss some (a discontinuity for all).
    public mutating func markLoss(at now: Double) {
        start = now
        for a in counts.keys { counts[a]?.since = now }
    }

    /// Connections known `before` a snapshot taken at `now` that it did not find `alive`
    /// ended without a CLOSED (an MP_FASTCLOSE received, or the event lost): their open
    /// subflows closed with them.
    public mutating func retain(alive: Set<UInt32>, before: Set<UInt32>, at now: Double) {
        for token in open.keys where !alive.contains(token) && before.contains(token) {
            closeWithConnection(token, at: now)
        }
    }

    public var tokens: Set<UInt32> { Set(open.keys) }
    public var byAddress: [IPAddress: PathEvents] { counts }

    private mutating func closeWithConnection(_ token: UInt32, at now: Double) {
        guard let subflows = open.removeValue(forKey: token) else { return }
        for key in subflows.keys {
            update(key.local.address) { $0.countClose(.withConnection, failed: false, at: now) }
        }
    }

    /// An address seen for the first time has counted since counting began.
    private mutating func update(_ address: IPAddress, _ change: (inout PathEvents) -> Void) {
        let a = address.unmapped
        var c = counts[a] ?? PathEvents(since: start)
        change(&c)
        counts[a] = c
    }
}
