import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI

/// One notification: its kind and its varbinds, snmpTrapOID.0 first (net-snmp puts
/// sysUpTime.0 before it).
struct Notification: Equatable {
    let kind: MPTCPMIB.Notifications.Kind
    let varbinds: [VarBind]
}

/// Turns path-manager events into MPTCP-MIB notifications. Each object carries the
/// instance of its row (a connection's token, a subflow's index, a peer address's token
/// and id, a path's address), so a manager can join the notification to the tables. What
/// the event does not say comes from what the agent knows: the events before it and the
/// last view of the kernel. Pure: the lookups are given.
struct NotificationBuilder {
    /// What the agent knows that an event does not say.
    struct Knowledge {
        /// The addresses of a connection's initial subflow, and when it was first seen (TimeStamp).
        var connection: (UInt32) -> (local: SocketAddress, remote: SocketAddress, firstSeen: UInt32)?
        /// The address a peer used with an id (announced or seen on a subflow).
        var peerAddress: (_ token: UInt32, _ id: UInt8) -> SocketAddress?
        /// The interface holding a local address.
        var interface: (IPAddress) -> UInt32?
    }

    static let snmpTrapOID: OID = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0]

    typealias K = MPTCPMIB.Notifications.Kind
    typealias C = MPTCPMIB.ConnectionTable
    typealias S = MPTCPMIB.SubflowTable
    typealias R = MPTCPMIB.RemoteAddressTable
    typealias N = MPTCPMIB.NotificationObjects

    let knowledge: Knowledge

    /// The kind of notification an event calls for; nil for events that have none
    /// (CREATED, listeners: see the README's "Notifications").
    static func kind(of e: PathManagerEvent) -> K? {
        switch e.kind {
        case .established: return .connectionEstablished
        case .closed: return .connectionClosed
        case .subflowEstablished: return .subflowEstablished
        case .subflowClosed: return .subflowClosed
        case .subflowPriority: return .subflowPriority
        case .announced: return .addressAnnounced
        case .removed: return .addressRemoved
        case .created, .listenerCreated, .listenerClosed: return nil
        }
    }

    /// The notification an event calls for; nil for events that have none or lack what
    /// identifies them.
    func notification(for e: PathManagerEvent) -> Notification? {
        guard let token = e.token else { return nil }
        switch e.kind {
        case .established:
            guard let local = e.local, let remote = e.remote else { return nil }
            return Self.make(.connectionEstablished, connection(token, local, remote)
                + [VarBind(oid: N.side.oid + [0], value: .integer(e.serverSide ? 2 : 1))])
        case .closed:
            let known = knowledge.connection(token)
            return Self.make(.connectionClosed, connection(token, known?.local, known?.remote)
                + [VarBind(oid: C.firstSeen.oid + [token], value: .timeticks(known?.firstSeen ?? 0))])
        case .subflowEstablished, .subflowPriority:
            guard let sub = subflow(token, e) else { return nil }
            let kind: K = e.kind == .subflowEstablished ? .subflowEstablished : .subflowPriority
            return Self.make(kind, sub + [VarBind(oid: N.backup.oid + [0], value: .truth(e.backup ?? false))])
        case .subflowClosed:
            guard let sub = subflow(token, e) else { return nil }
            return Self.make(.subflowClosed, sub + [
                VarBind(oid: N.error.oid + [0], value: .unsigned(UInt32(e.error ?? 0))),
                VarBind(oid: N.resetReason.oid + [0], value: .integer(e.resetReason.map { Int32(clamping: $0) } ?? -1)),
                VarBind(oid: N.resetFlags.oid + [0], value: .unsigned(e.resetFlags ?? 0)),
            ])
        case .announced:
            guard let id = e.remoteID else { return nil }
            return Self.make(.addressAnnounced, peer(token, id, e.remote))
        case .removed:
            guard let id = e.remoteID else { return nil }
            return Self.make(.addressRemoved, peer(token, id, knowledge.peerAddress(token, id)))
        case .created, .listenerCreated, .listenerClosed:
            return nil
        }
    }

    /// mptcpConnectionFallback: the connection's addresses and what the fallback is attributed to.
    func fallback(_ c: Connection, causes: FallbackCauses) -> Notification {
        Self.make(.connectionFallback, connection(c.token, c.local, c.remote) + [
            VarBind(oid: C.fallbackCauses.oid + [c.token], value: .bits(flags: causes.rawValue, syntax: C.fallbackCauses.syntax)),
        ])
    }

    /// mptcpBlackholeDetected, with the counters and the timeout as they are now; absent
    /// ones (an older kernel) are left out.
    static func blackhole(counters: Counters?, timeout: Int32?) -> Notification {
        let objects = MPTCPMIB.Notifications.blackholeDetected.objects
        var varbinds: [VarBind] = []
        for object in objects {
            if let name = MPTCPMIB.Stats.kernelName(of: object) {
                if let v = counters?[name] { varbinds.append(VarBind(oid: object.oid + [0], value: .counter64(v))) }
            } else if let timeout {
                varbinds.append(VarBind(oid: object.oid + [0], value: .integer(timeout)))
            }
        }
        return Self.make(.blackholeDetected, varbinds)
    }

    /// mptcpNotificationsThrottled: `count` refused in the burst, `total` since the start.
    static func throttled(count: UInt64, total: UInt64) -> Notification {
        Self.make(.notificationsThrottled, [VarBind(oid: N.suppressedCount.oid + [0], value: .gauge(count)),
                                       VarBind(oid: MPTCPMIB.NotificationControl.suppressed.oid + [0], value: .counter64(total))])
    }

    private static func make(_ kind: K, _ objects: [VarBind]) -> Notification {
        Notification(kind: kind, varbinds: [VarBind(oid: Self.snmpTrapOID, value: .objectID(kind.notification.oid))] + objects)
    }

    /// The six address objects of a connection; unknown(0), empty and 0 for what is not known.
    private func connection(_ token: UInt32, _ local: SocketAddress?, _ remote: SocketAddress?) -> [VarBind] {
        func side(_ a: SocketAddress?, _ type: MIBObject, _ address: MIBObject, _ port: MIBObject) -> [VarBind] {
            [VarBind(oid: type.oid + [token], value: .integer(Int32(a?.address.family.rawValue ?? 0))),
             VarBind(oid: address.oid + [token], value: .octets(a?.address.bytes ?? [])),
             VarBind(oid: port.oid + [token], value: .unsigned(UInt32(a?.port ?? 0)))]
        }
        return side(local, C.localAddressType, C.localAddress, C.localPort)
            + side(remote, C.remoteAddressType, C.remoteAddress, C.remotePort)
    }

    /// The identifying objects of a subflow: its ids and interface with the subflow's index,
    /// and the interface holding its local address with the path's index.
    private func subflow(_ token: UInt32, _ e: PathManagerEvent) -> [VarBind]? {
        guard let local = e.local, let remote = e.remote else { return nil }
        var index: OID = [token]
        IndexEncoding.append(local, to: &index)
        IndexEncoding.append(remote, to: &index)
        var path: OID = []
        IndexEncoding.append(local.address.unmapped, to: &path)
        return [
            VarBind(oid: S.localID.oid + index, value: .unsigned(UInt32(e.localID ?? 0))),
            VarBind(oid: S.remoteID.oid + index, value: .unsigned(UInt32(e.remoteID ?? 0))),
            VarBind(oid: S.ifIndex.oid + index, value: .integer(Int32(bitPattern: e.ifIndex ?? 0))),
            VarBind(oid: MPTCPMIB.PathTable.ifIndex.oid + path,
                    value: .integer(Int32(bitPattern: knowledge.interface(local.address.unmapped) ?? 0))),
        ]
    }

    private func peer(_ token: UInt32, _ id: UInt8, _ a: SocketAddress?) -> [VarBind] {
        let index: OID = [token, UInt32(id)]
        return [VarBind(oid: R.addressType.oid + index, value: .integer(Int32(a?.address.family.rawValue ?? 0))),
                VarBind(oid: R.address.oid + index, value: .octets(a?.address.bytes ?? [])),
                VarBind(oid: R.port.oid + index, value: .unsigned(UInt32(a?.port ?? 0)))]
    }
}
