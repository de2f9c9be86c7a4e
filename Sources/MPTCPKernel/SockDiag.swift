import CMPTCPNetlink
import MPTCPModel

#if canImport(Glibc)
import Glibc
#endif

/// Reads MPTCP connections, listeners and subflows through sock_diag: one dump per kind
/// and address family, whatever the number of sockets.
public final class SockDiag {
    private let handle: OpaquePointer

    public init() throws {
        var err: Int32 = 0
        guard let h = mptcp_nl_open_diag(&err) else {
            throw KernelError.fromShim(err, operation: "open sock_diag socket")
        }
        handle = h
    }

    deinit { mptcp_nl_close(handle) }

    /// Sizes of the previous dumps: arrays are reserved from them instead of growing by
    /// doubling, which at 30,000 subflows would briefly hold twice the memory.
    private var lastConnections = 0
    private var lastSubflows = 0

    /// An empty array with room for a dump `last` records long and an eighth more.
    private func room<Element>(after last: Int) -> [Element] {
        var a: [Element] = []
        a.reserveCapacity(last + last / 8)
        return a
    }

    /// MPTCP sockets in connected states, and listeners merged by address and port.
    public func connectionsAndListeners() throws -> (connections: [Connection], listeners: [Listener]) {
        let found = try dump("dump MPTCP sockets", fresh: { Found(connections: room(after: lastConnections)) },
                             add: { $0.add($1) }) { nl, family, context in
            mptcp_nl_dump_connections(nl, family, TCPState.connected | TCPState.listen.mask, { RecordSink.forward($0, $1) },
                                      context)
        }
        lastConnections = found.connections.count
        return (found.connections, found.listeners.values.sorted { ($0.local, $0.dualStack ? 0 : 1) < ($1.local, $1.dualStack ? 0 : 1) })
    }

    /// TCP sockets in connected states whose ULP is mptcp and that carry MPTCP info.
    public func subflows() throws -> [Subflow] {
        let subflows = try dump("dump TCP subflows", fresh: { room(after: lastSubflows) }, add: { (subflows, r: mptcp_nl_subflow) in
            if r.attrs & (1 << MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC) != 0, let state = TCPState(rawValue: r.sock.state) {
                subflows.append(SockDiag.subflow(r, state: state))
            }
        }) { nl, family, context in
            mptcp_nl_dump_subflows(nl, family, TCPState.connected, { RecordSink.forward($0, $1) }, context)
        }
        lastSubflows = subflows.count
        return subflows
    }

    /// What a dump of MPTCP sockets found.
    struct Found {
        var connections: [Connection] = []
        var listeners: [ListenerKey: Listener] = [:]

        struct ListenerKey: Hashable {
            let local: SocketAddress
            let dualStack: Bool
        }

        mutating func add(_ r: mptcp_nl_connection) {
            guard let state = TCPState(rawValue: r.sock.state) else { return }
            if state == .listen {
                let local = SockDiag.local(r.sock)
                // `::` without IPV6_V6ONLY also accepts IPv4 connections.
                let dualStack = local.address.family == .ipv6 && local.address.isUnspecified && r.v6only == 0
                let l = Listener(local: local, dualStack: dualStack, acceptQueue: r.sock.rqueue, backlog: r.sock.wqueue)
                let key = ListenerKey(local: local, dualStack: dualStack)
                // Sockets listening on one address and port (SO_REUSEPORT) are one listener.
                guard var mine = listeners[key] else {
                    listeners[key] = l
                    return
                }
                mine.acceptQueue = mine.acceptQueue.addingSaturated(l.acceptQueue)
                mine.backlog = mine.backlog.addingSaturated(l.backlog)
                mine.sockets += 1
                listeners[key] = mine
            } else if r.info_len > 0 {
                connections.append(SockDiag.connection(r, state: state))
            }
        }
    }

    /// Dumps IPv4 then IPv6 into one result, made by `fresh`: `call` starts the shim's dump of
    /// a family with `{ RecordSink.forward($0, $1) }` as the callback and the context given;
    /// each record goes to `add`. Starts over once if the kernel reports the dump as
    /// interrupted (records delivered until then may be inconsistent).
    private func dump<Record, Result>(_ operation: String, fresh: () -> Result, add: (inout Result, Record) -> Void,
                                      _ call: (OpaquePointer, UInt8, UnsafeMutableRawPointer) -> Int32) throws -> Result {
        var ret: Int32 = 0
        for _ in 0..<2 {
            var result = fresh()
            for family in [UInt8(AF_INET), UInt8(AF_INET6)] {
                ret = RecordSink<Record>.run({ add(&result, $0); return 0 }) { context in
                    call(handle, family, context)
                }
                if ret < 0 { break }
            }
            if ret >= 0 { return result }
            if ret != -EINTR { break }
        }
        throw KernelError.fromShim(ret, operation: operation, message: String(cString: mptcp_nl_error_message(handle)))
    }

    static func family(_ af: UInt8) -> IPAddress.Family { af == UInt8(AF_INET6) ? .ipv6 : .ipv4 }

    static func local(_ s: mptcp_nl_sock) -> SocketAddress { socketAddress(s.family, s.src, s.sport) }
    static func remote(_ s: mptcp_nl_sock) -> SocketAddress { socketAddress(s.family, s.dst, s.dport) }

    /// An address from a kernel address buffer (imported from C as a 16-byte tuple).
    static func socketAddress<Buffer>(_ af: UInt8, _ buffer: Buffer, _ port: UInt16) -> SocketAddress {
        var b = buffer
        let address = withUnsafeBytes(of: &b) { IPAddress(family: family(af), prefixOf: $0) }
        return SocketAddress(address: address, port: port)
    }

    /// True when the kernel sent the field at `path` (its struct was long enough).
    static func sent<Root, Value>(_ path: KeyPath<Root, Value>, within length: UInt32) -> Bool {
        MemoryLayout<Root>.offset(of: path)! + MemoryLayout<Value>.size <= Int(length)
    }

    static func connection(_ r: mptcp_nl_connection, state: TCPState) -> Connection {
        let i = r.info
        let n = r.info_len
        var c = Connection(token: i.token, local: local(r.sock), remote: remote(r.sock), state: state)
        c.ifIndex = r.sock.ifindex
        c.uid = r.sock.uid
        c.flags = ConnectionFlags(rawValue: i.flags)
        c.extraSubflows = i.subflows
        c.addAddrSignal = i.add_addr_signal
        c.addAddrAccepted = i.add_addr_accepted
        c.limitSubflows = i.subflows_max
        c.signalEndpoints = i.add_addr_signal_max
        c.limitAddAddrAccepted = i.add_addr_accepted_max
        c.writeSeq = i.write_seq
        c.sndUna = i.snd_una
        c.rcvNxt = i.rcv_nxt
        if sent(\mptcp_nl_info.local_addr_max, within: n) {
            c.localAddrUsed = i.local_addr_used
            c.subflowEndpoints = i.local_addr_max
        }
        if sent(\mptcp_nl_info.csum_enabled, within: n) { c.checksumEnabled = i.csum_enabled != 0 }
        if sent(\mptcp_nl_info.bytes_acked, within: n) {
            c.retransmits = i.retransmits
            c.bytesRetransmitted = i.bytes_retrans
            c.bytesSent = i.bytes_sent
            c.bytesReceived = i.bytes_received
            c.bytesAcked = i.bytes_acked
        }
        if sent(\mptcp_nl_info.subflows_total, within: n) { c.subflowsTotal = i.subflows_total }
        if sent(\mptcp_nl_info.last_ack_recv, within: n) {
            // 6.10 turned the reserved byte into endp_laminar_max (6.18); before that it is 0,
            // which is also the truth: no laminar endpoints existed.
            c.laminarEndpoints = i.endp_laminar_max
            // Byte 82 was reserved until 6.19 made it endp_fullmesh_max: the length of
            // mptcp_info did not change, so only the release tells a count from padding.
            if let r = ProcFS.release, r >= (6, 19) { c.fullmeshEndpoints = i.endp_fullmesh_max }
            c.lastDataSent = i.last_data_sent
            c.lastDataReceived = i.last_data_recv
            c.lastAckReceived = i.last_ack_recv
        }
        return c
    }

    /// TCPI_OPT_ECN of tcpi_options: the connection negotiated ECN.
    static let ecnNegotiated: UInt8 = 8

    static func subflow(_ r: mptcp_nl_subflow, state: TCPState) -> Subflow {
        var s = Subflow(token: r.token_loc, local: local(r.sock), remote: remote(r.sock), state: state)
        s.ifIndex = r.sock.ifindex
        func has(_ attr: Int) -> Bool { r.attrs & (1 << UInt32(attr)) != 0 }
        if has(MPTCP_NL_SUBFLOW_ATTR_TOKEN_REM) { s.remoteToken = r.token_rem }
        if has(MPTCP_NL_SUBFLOW_ATTR_ID_LOC) { s.localID = r.id_loc }
        if has(MPTCP_NL_SUBFLOW_ATTR_ID_REM) { s.remoteID = r.id_rem }
        if has(MPTCP_NL_SUBFLOW_ATTR_FLAGS) { s.flags = SubflowFlags(rawValue: r.flags) }
        let t = r.tcp
        let n = r.tcp_info_len
        if sent(\mptcp_nl_tcp_info.total_retrans, within: n) {
            s.rtt = t.rtt
            s.rttVariance = t.rttvar
            s.congestionWindow = t.snd_cwnd
            s.mss = t.snd_mss
            s.retransmits = t.retrans
            s.totalRetransmits = t.total_retrans
            s.lost = t.lost
            s.reordering = t.reordering
            s.caState = t.ca_state
            s.lastDataSent = t.last_data_sent
            s.lastDataReceived = t.last_data_recv
        }
        if sent(\mptcp_nl_tcp_info.bytes_received, within: n) {
            s.bytesAcked = t.bytes_acked
            s.bytesReceived = t.bytes_received
        }
        if sent(\mptcp_nl_tcp_info.bytes_sent, within: n) { s.bytesSent = t.bytes_sent }
        // The 4.6 to 4.18 additions, all there on any kernel with MPTCP (5.6 and later).
        if sent(\mptcp_nl_tcp_info.delivered_ce, within: n) {
            s.segsOut = t.segs_out
            s.dataSegsOut = t.data_segs_out
            s.segsIn = t.segs_in
            s.notSentBytes = t.notsent_bytes
            s.minRtt = t.min_rtt == UInt32.max ? nil : t.min_rtt  // ~0: no sample yet
            s.deliveryRate = t.delivery_rate
            s.pacingRate = t.pacing_rate == UInt64.max ? nil : t.pacing_rate  // ~0: not paced
            s.busyTime = t.busy_time
            s.rwndLimitedTime = t.rwnd_limited
            s.sndbufLimitedTime = t.sndbuf_limited
            if t.options & Self.ecnNegotiated != 0 { s.deliveredCe = t.delivered_ce }
        }
        return s
    }
}

extension UInt32 {
    /// Sums of many sockets' queues must not trap on a host with huge backlogs.
    func addingSaturated(_ other: UInt32) -> UInt32 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
