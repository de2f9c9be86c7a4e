/// What stops a connection from having more subflows now (MPTCP-MIB's
/// MptcpLimitingFactor), from what the kernel reports of the connection (mptcp_info), the
/// namespace's endpoints and path manager, the connection's subflows, the peer's
/// announcements, and the path manager's events. The rules follow the in-kernel path
/// manager of Linux 6.18 (net/mptcp/pm_kernel.c, pm.c): the `*_max` fields of
/// mptcp_info are read live from the namespace, and all of them are 0 for a connection a
/// userspace path manager handles. The MIB's TC says which facts decide each value.
public enum LimitingFactor: Int32, Sendable, CaseIterable {
    /// It can have more subflows and the kernel is on its way: a join is under way, or an
    /// endpoint or announcement is left to use.
    case none = 1
    /// Plain TCP now: no subflow can join.
    case fallback = 2
    /// Its additional subflows reached the subflows limit (a server refuses further joins).
    case subflowLimit = 3
    /// The peer announced an address it cannot use: add_addr_accepted reached its limit.
    case addAddrAcceptedLimit = 4
    /// More subflows need a local endpoint it does not have.
    case noLocalEndpoint = 5
    /// Its local endpoints are used and the peer announced nothing usable.
    case noPeerAddress = 6
    /// A join the kernel tried failed (refused, reset or timed out) and the kernel does
    /// not retry it.
    case joinFailed = 7
    /// A userspace path manager decides, not the kernel's.
    case userspacePathManager = 8
    /// The connection is closing: no join starts or is accepted.
    case closing = 9

    /// The namespace's side of the decision, computed once per snapshot.
    public struct Host: Sendable {
        var endpoints: [Endpoint]
        /// Limits or endpoints are configured for the in-kernel path manager.
        var configured: Bool
        var userspace: Bool
        /// Established joins (MP_JOIN subflows) by connection token.
        var joins: [UInt32: Int] = [:]
        /// Announced peer addresses (id ≠ 0, not withdrawn) by token: unused ones and
        /// those carrying a subflow.
        var unusedAnnouncements: [UInt32: Int] = [:]
        var usedAnnouncements: [UInt32: Int] = [:]

        public init(_ s: Snapshot) {
            endpoints = s.endpoints ?? []
            configured = (s.limits.map { $0.subflows != 0 || $0.addAddrAccepted != 0 } ?? false)
                || endpoints.contains { !$0.flags.isDisjoint(with: [.signal, .subflow, .laminar]) }
            userspace = s.settings["pm_type"] == "1" || s.settings["path_manager"] == "userspace"
            for sf in s.subflows where sf.state == .established
                && !(sf.flags ?? []).isDisjoint(with: [.joinLocal, .joinRemote]) {
                joins[sf.token, default: 0] += 1
            }
            for r in s.remoteAddresses where r.id != 0 && r.sources.contains(.announced) {
                if r.subflows == 0 { unusedAnnouncements[r.token, default: 0] += 1 }
                else { usedAnnouncements[r.token, default: 0] += 1 }
            }
        }

        /// Endpoints with `flag` other than one on the connection's own address, which the
        /// kernel never uses for it (it is the initial subflow's).
        func usable(_ flag: EndpointFlags, by c: Connection, of count: UInt8?) -> Int {
            let own = endpoints.contains { $0.flags.contains(flag) && $0.address == c.local.address.unmapped }
            return max(0, Int(count ?? 0) - (own ? 1 : 0))
        }
    }

    /// What the path manager's events told about a connection.
    public struct Events: Sendable {
        /// Local address ids of joins that failed while the peer's address stayed.
        public var failedJoins: Set<UInt8> = []
        /// The peer forbids joins to its first address.
        public var peerDeniesInitialAddress = false

        public init(failedJoins: Set<UInt8> = [], peerDeniesInitialAddress: Bool = false) {
            self.failedJoins = failedJoins
            self.peerDeniesInitialAddress = peerDeniesInitialAddress
        }
    }

    public init(_ c: Connection, host: Host, events: Events) {
        switch c.state {
        case .established, .synSent, .synReceived: break
        default:
            self = .closing
            return
        }
        if c.flags.contains(.fallback) {
            self = .fallback
        } else if c.limitSubflows == 0 && c.signalEndpoints == 0 && c.limitAddAddrAccepted == 0
                    && (c.subflowEndpoints ?? 0) == 0 && (c.laminarEndpoints ?? 0) == 0 && (host.configured || host.userspace) {
            self = .userspacePathManager
        } else if c.extraSubflows >= c.limitSubflows {
            self = .subflowLimit
        } else if Self.expectsMore(c, host: host, events: events) {
            self = .none
        } else if events.failedJoins.contains(where: { id in id == 0 || host.endpoints.contains { $0.id == id } }) {
            self = .joinFailed
        } else {
            let unused = host.unusedAnnouncements[c.token] ?? 0
            if unused > 0 && c.addAddrAccepted >= c.limitAddAddrAccepted {
                self = .addAddrAcceptedLimit
            } else if unused > 0 || (host.usedAnnouncements[c.token] ?? 0) > 0 {
                self = .noLocalEndpoint
            } else {
                self = .noPeerAddress
            }
        }
    }

    /// A join under way, an address left to announce, or a local endpoint left to use.
    private static func expectsMore(_ c: Connection, host: Host, events: Events) -> Bool {
        if Int(c.extraSubflows) > host.joins[c.token] ?? 0 { return true }
        if Int(c.addAddrSignal) < host.usable(.signal, by: c, of: c.signalEndpoints) { return true }
        // Joins to the peer's first address only: none if it forbids them and nothing it
        // announces may be accepted.
        let blocked = events.peerDeniesInitialAddress && c.limitAddAddrAccepted == 0
        return !blocked && Int(c.localAddrUsed ?? 0) < host.usable(.subflow, by: c, of: c.subflowEndpoints)
    }
}
