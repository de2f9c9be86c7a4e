import MPTCPMIB
import MPTCPMIBView
import SMI
import MPTCPModel
import TestSupport
import Testing

/// What iproute2, nstat and sysctl say about one namespace.
struct KernelTruth {
    var connections: [SSSocket] = []
    var subflows: [SSSocket] = []
    var listeners: [SSSocket] = []
    var endpoints: [IPEndpoint] = []
    var limits: [String: UInt32] = [:]
    var counters: [String: UInt64] = [:]
    var sysctl: [String: String] = [:]
    var ifindex: [String: UInt32] = [:]
    /// Interface of each local address (`ip -o addr`).
    var addressInterface: [String: UInt32] = [:]

    static func read(_ lab: Lab, _ ns: String) throws -> KernelTruth {
        var t = KernelTruth()
        t.connections = SSParser.sockets(try lab.exec(ns, ["ss", "-Mnie"]))
        t.subflows = SSParser.subflows(try lab.exec(ns, ["ss", "-tni"]))
        t.listeners = SSParser.sockets(try lab.exec(ns, ["ss", "-Mlni"])).filter { $0.state == "LISTEN" }
        t.endpoints = IPMPTCPParser.endpoints(try lab.exec(ns, ["ip", "mptcp", "endpoint", "show"]))
        t.limits = IPMPTCPParser.limits(try lab.exec(ns, ["ip", "mptcp", "limits", "show"]))
        t.counters = NstatParser.counters(try lab.exec(ns, ["nstat", "-azs"]))
        for line in try lab.exec(ns, ["sysctl", "net.mptcp"]).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }) }
            guard parts.count == 2, let key = parts[0].first?.split(separator: ".").last else { continue }
            t.sysctl[String(key)] = parts[1].joined(separator: " ")
        }
        for line in try lab.exec(ns, ["ip", "-o", "addr", "show"]).split(separator: "\n") {
            // 2: manc1    inet 10.201.1.1/24 scope global manc1 ...
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 4, let index = UInt32(f[0].dropLast()), f[2] == "inet" || f[2] == "inet6",
                  let address = f[3].split(separator: "/").first.flatMap({ IPAddress(String($0)) }) else { continue }
            t.addressInterface[address.description] = index
        }
        for line in try lab.exec(ns, ["ip", "-o", "link", "show"]).split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2)
            guard f.count >= 2, let index = UInt32(f[0]) else { continue }
            let name = f[1].split(separator: " ")[0].split(separator: "@")[0]
            t.ifindex[String(name)] = index
        }
        return t
    }
}

/// The walk of MPTCP-MIB that the kernel's state implies, written from the MIB's text
/// (independently of the agent's bindings): exact values, instances whose value moves
/// with time, and counters bracketed by two nstat reads.
struct ExpectedMIB {
    var exact: [[UInt32]: SNMPValue] = [:]
    var present: Set<[UInt32]> = []
    var bracketed: [[UInt32]: ClosedRange<UInt64>] = [:]
    /// Instances that may be there or not, with any value.
    var optional: Set<[UInt32]> = []

    var allOIDs: Set<[UInt32]> { Set(exact.keys).union(present).union(bracketed.keys) }

    /// The running kernel's (major, minor), as `uname -r` says.
    static let release: (Int, Int) = {
        let parts = ((try? Command.check(["uname", "-r"])) ?? "").split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (0, 0)
    }()

    static func address(_ text: String) -> [UInt8] {
        IPAddress(text == "*" ? "::" : text)!.bytes
    }

    static func inetIndex(_ text: String, _ port: UInt16) -> [UInt32] {
        if text == "*" { return [0, 0, UInt32(port)] }  // ss's dual-stack wildcard: TCP-MIB's unknown(0), ""
        let b = address(text)
        return [b.count == 4 ? 1 : 2, UInt32(b.count)] + b.map(UInt32.init) + [UInt32(port)]
    }

    static func bits(_ set: [Int], octets: Int) -> SNMPValue {
        var out = [UInt8](repeating: 0, count: octets)
        for b in set { out[b / 8] |= 0x80 >> UInt8(b % 8) }
        return .octets(out)
    }

    /// `announcedBy`: the peer's signal endpoints, announced to every connection the agent
    /// saw being created; `bytesPerConnection`: what the traffic generator sent (and got back).
    init(truth t: KernelTruth, countersAfter: [String: UInt64], announcedBy peer: [IPEndpoint],
         bytesPerConnection: UInt64) {
        let flagBits = ["signal": 0, "subflow": 1, "backup": 2, "fullmesh": 3, "rawflags 10": 4, "rawflags 20": 5]
        typealias G = MPTCPMIB.General
        func scalar(_ o: MIBObject, _ v: SNMPValue?) { if let v { exact[o.oid + [0]] = v } }
        func truth(_ key: String) -> SNMPValue? { t.sysctl[key].map { .integer($0 == "1" ? 1 : 2) } }
        func text(_ key: String) -> SNMPValue? { t.sysctl[key].map { .octets(Array($0.utf8)) } }
        scalar(G.enabled, truth("enabled"))
        scalar(G.pathManager, text("path_manager"))
        scalar(G.availablePathManagers, text("available_path_managers"))
        scalar(G.scheduler, text("scheduler"))
        scalar(G.availableSchedulers, text("available_schedulers"))
        scalar(G.checksumEnabled, truth("checksum_enabled"))
        scalar(G.allowJoinInitialAddrPort, truth("allow_join_initial_addr_port"))
        scalar(G.addAddrTimeout, t.sysctl["add_addr_timeout"].flatMap { Int32($0) }.map { .integer($0) })
        scalar(G.staleLossCount, t.sysctl["stale_loss_cnt"].flatMap { UInt32($0) }.map { .unsigned($0) })
        scalar(G.closeTimeout, t.sysctl["close_timeout"].flatMap { Int32($0) }.map { .integer($0) })
        scalar(G.blackholeTimeout, t.sysctl["blackhole_timeout"].flatMap { Int32($0) }.map { .integer($0) })
        scalar(G.synRetransBeforeFallback, t.sysctl["syn_retrans_before_tcp_fallback"].flatMap { UInt32($0) }.map { .unsigned($0) })
        scalar(G.limitSubflows, t.limits["subflows"].map { .unsigned($0) })
        scalar(G.limitAddAddrAccepted, t.limits["add_addr_accepted"].map { .unsigned($0) })
        scalar(G.currentConnections, .unsigned(UInt32(t.connections.count)))
        scalar(G.currentSubflows, .unsigned(UInt32(t.subflows.count)))
        let listenerKeys = Set(t.listeners.map { "\($0.localAddress) \($0.localPort)" })
        scalar(G.currentListeners, .unsigned(UInt32(listenerKeys.count)))
        let usedIDs = Set(t.endpoints.map(\.id))
        scalar(G.endpointNextID, .unsigned(UInt32((1...255).first { !usedIDs.contains(UInt8($0)) } ?? 0)))
        // Host-wide gauges, counted here from ss.
        func tokenOf(_ s: SSSocket) -> UInt32 { SSParser.subflowTokens(s.info["token"]!)!.2 }
        func isBackup(_ s: SSSocket) -> Bool { SSParser.subflowFlags(s.info["flags"] ?? "") & 0x30 != 0 }
        let subflowsOf = Dictionary(grouping: t.subflows, by: tokenOf)
        let counts = t.connections.map { subflowsOf[UInt32($0.hex("token")!)] ?? [] }
        scalar(G.connectionsOneSubflow, .unsigned(UInt32(counts.filter { $0.count == 1 }.count)))
        scalar(G.connectionsTwoSubflows, .unsigned(UInt32(counts.filter { $0.count == 2 }.count)))
        scalar(G.connectionsMoreSubflows, .unsigned(UInt32(counts.filter { $0.count >= 3 }.count)))
        scalar(G.connectionsFallback, .unsigned(UInt32(t.connections.filter { $0.words.contains("fallback") }.count)))
        scalar(G.connectionsBackupOnly, .unsigned(UInt32(counts.filter { own in
            let established = own.filter { $0.state == "ESTAB" }
            return !established.isEmpty && established.allSatisfy(isBackup)
        }.count)))
        scalar(G.subflowsEstablished, .unsigned(UInt32(t.subflows.filter { $0.state == "ESTAB" }.count)))
        present.insert(G.statsDiscontinuityTime.oid + [0])
        present.insert(G.snapshotTime.oid + [0])
        present.insert(G.endpointSpinLock.oid + [0])
        // Notification controls as the agent starts by default; what it sent moves with events.
        typealias NC = MPTCPMIB.NotificationControl
        exact[NC.enabled.oid + [0]] = Self.bits([3, 5, 6, 7], octets: 2)  // subflowClosed, addressRemoved, subflowPriority, notificationsThrottled
        exact[NC.rateLimit.oid + [0]] = .unsigned(10)
        for o in [NC.sent, NC.suppressed, NC.dropped, NC.discontinuityTime] { present.insert(o.oid + [0]) }
        // The event log as the agent starts by default; its entries: see `differences`.
        typealias EL = MPTCPMIB.EventLog
        exact[EL.size.oid + [0]] = .unsigned(1000)
        exact[EL.dropped.oid + [0]] = .counter64(0)
        present.insert(EL.lastIndex.oid + [0])
        present.insert(EL.discontinuityTime.oid + [0])

        // Named counters (Linux 6.18's list) and the counter table.
        for (name, high) in countersAfter {
            let low = t.counters[name] ?? high
            let range = min(low, high)...max(low, high)
            if let i = MPTCPMIB.Stats.kernelNames.firstIndex(of: name) {
                bracketed[MPTCPMIB.statsOID + [UInt32(i + 1), 0]] = range
            }
            let index = [UInt32(name.utf8.count)] + name.utf8.map(UInt32.init)
            if name == "MPCurrEstab" {
                bracketed[MPTCPMIB.CounterTable.gauge.oid + index] = range
            } else {
                bracketed[MPTCPMIB.CounterTable.value.oid + index] = range
                // The lab's counters are far below 2^32: the low 32 bits are the value.
                bracketed[MPTCPMIB.CounterTable.value32.oid + index] = range
            }
        }

        // Connections.
        typealias C = MPTCPMIB.ConnectionTable
        let subflowsByToken = Dictionary(grouping: t.subflows) { SSParser.subflowTokens($0.info["token"]!)!.2 }
        let subflowEndpoints = t.endpoints.filter { $0.flags.contains("subflow") }
        for s in t.connections {
            let token = UInt32(s.hex("token")!)
            func col(_ o: MIBObject, _ v: SNMPValue) { exact[o.oid + [token]] = v }
            func gauge(_ key: String) -> SNMPValue { .unsigned(UInt32(s.int(key) ?? 0)) }
            let local = Self.address(s.localAddress), remote = Self.address(s.peerAddress)
            col(C.localAddressType, .integer(local.count == 4 ? 1 : 2))
            col(C.localAddress, .octets(local))
            col(C.localPort, .unsigned(UInt32(s.localPort)))
            col(C.remoteAddressType, .integer(remote.count == 4 ? 1 : 2))
            col(C.remoteAddress, .octets(remote))
            col(C.remotePort, .unsigned(UInt32(s.peerPort)))
            col(C.state, .integer(s.state == "ESTAB" ? 5 : -1))
            col(C.flags, Self.bits((s.words.contains("fallback") ? [0] : []) + (s.words.contains("remote_key") ? [1] : []), octets: 1))
            col(C.ifIndex, .integer(Int32(s.localDevice.flatMap { t.ifindex[$0] } ?? 0)))
            col(C.extraSubflows, gauge("subflows"))
            let own = subflowsByToken[token] ?? []
            col(C.subflowsTotal, .unsigned(UInt32(own.count)))
            col(C.subflowsMax, gauge("subflows_max"))
            col(C.addAddrSignal, gauge("add_addr_signal"))
            col(C.addAddrAccepted, gauge("add_addr_accepted"))
            col(C.addAddrAcceptMax, gauge("add_addr_accepted_max"))
            col(C.signalEndpoints, gauge("add_addr_signal_max"))
            // local_addr_used counts the subflow endpoints the path manager tried, including
            // ones whose subflow could not be created (the v4 endpoint on a v6 connection);
            // iproute2 6.1 does not print it, so only its presence is checked here.
            present.insert(C.localAddrUsed.oid + [token])
            col(C.subflowEndpoints, .unsigned(UInt32(subflowEndpoints.count)))
            col(C.laminarEndpoints, .unsigned(0))
            // The lab has no fullmesh endpoint; before 6.19 (uname -r) the kernel does not say.
            if Self.release >= (6, 19) { col(C.fullmeshEndpoints, .unsigned(0)) }
            col(C.checksum, .integer(t.sysctl["checksum_enabled"] == "1" ? 1 : 2))
            col(C.bytesSent, .counter64(bytesPerConnection))
            // A connection that fell back reports its TCP subflow's bytes_acked, SYN included.
            let fallbackAcked = s.words.contains("fallback") ? own.first?.int("bytes_acked") : nil
            col(C.bytesAcked, .counter64(fallbackAcked ?? bytesPerConnection))
            col(C.bytesReceived, .counter64(bytesPerConnection))
            col(C.writeSeq, .counter64(s.hex("write_seq") ?? 0))
            col(C.sndUna, .counter64(s.hex("snd_una") ?? 0))
            col(C.rcvNxt, .counter64(s.hex("rcv_nxt") ?? 0))
            col(C.uid, .unsigned(UInt32(s.int("uid") ?? 0)))  // ss -e omits uid 0
            // The lab's connections: every join the path manager can make is made, and the
            // other family's announcement is unusable; more would need another local endpoint.
            col(C.limitingFactor, .integer(s.words.contains("fallback") ? 2 : 5))
            // The agent starts before the traffic in a new namespace: a fallback is attributed
            // to the fallback counters nstat shows above 0.
            if s.words.contains("fallback") {
                col(C.fallbackCauses, Self.bits(FallbackCauses.counters.indices.filter { (t.counters[FallbackCauses.counters[$0]] ?? 0) > 0 },
                                                octets: 2))
            }
            for o in [C.retransmits, C.bytesRetrans, C.lastDataSent, C.lastDataRecv, C.lastAckRecv, C.firstSeen] {
                present.insert(o.oid + [token])
            }
        }

        // Subflows.
        typealias S = MPTCPMIB.SubflowTable
        struct RemoteKey: Hashable { let token: UInt32; let id: UInt8 }
        var remote: [RemoteKey: (address: String, port: UInt16, subflows: UInt32, announced: Bool)] = [:]
        for s in t.subflows {
            let (remoteToken, remoteID, token, localID) = SSParser.subflowTokens(s.info["token"]!)!
            let index = [token] + Self.inetIndex(s.localAddress, s.localPort) + Self.inetIndex(s.peerAddress, s.peerPort)
            func col(_ o: MIBObject, _ v: SNMPValue) { exact[o.oid + index] = v }
            let flags = SSParser.subflowFlags(s.info["flags"] ?? "")
            col(S.state, .integer(s.state == "ESTAB" ? 5 : -1))
            col(S.flags, Self.bits((0..<9).filter { flags & (1 << UInt32($0)) != 0 }, octets: 2))
            col(S.localID, .unsigned(UInt32(localID)))
            col(S.remoteID, .unsigned(UInt32(remoteID)))
            col(S.remoteToken, .unsigned(remoteToken))
            col(S.ifIndex, .integer(Int32(s.localDevice.flatMap { t.ifindex[$0] } ?? 0)))
            let rtt = s.info["rtt"]!.split(separator: "/").map { UInt32((Double($0)! * 1000).rounded()) }
            col(S.rtt, .unsigned(rtt[0]))
            col(S.rttVar, .unsigned(rtt[1]))
            col(S.cwnd, .unsigned(UInt32(s.int("cwnd")!)))
            col(S.mss, .unsigned(UInt32(s.int("mss")!)))
            col(S.bytesSent, .counter64(s.int("bytes_sent") ?? 0))
            col(S.bytesAcked, .counter64(s.int("bytes_acked") ?? 0))
            col(S.bytesReceived, .counter64(s.int("bytes_received") ?? 0))
            let retrans = s.info["retrans"]?.split(separator: "/").compactMap { UInt32($0) } ?? [0, 0]
            col(S.retransmits, .unsigned(retrans[0]))
            col(S.totalRetrans, .counter32(retrans[1]))
            // Quality from tcp_info: ss prints a field only when it differs from its default
            // (0, and 3 for reordering); rates in bits per second; times in whole ms.
            col(S.minRtt, .unsigned(UInt32((Double(s.info["minrtt"]!)! * 1000).rounded())))
            func rate(_ key: String) -> UInt64 { Self.rate(s, key) }
            col(S.deliveryRate, .counter64(rate("delivery_rate")))
            if s.info["pacing_rate"] != nil { col(S.pacingRate, .counter64(rate("pacing_rate"))) }
            else { optional.insert(S.pacingRate.oid + index) }  // 0 or not paced: ss says neither
            col(S.lost, .unsigned(UInt32(s.int("lost") ?? 0)))
            col(S.reordering, .unsigned(UInt32(s.int("reordering") ?? 3)))
            col(S.segsOut, .counter32(UInt32(s.int("segs_out") ?? 0)))
            col(S.segsIn, .counter32(UInt32(s.int("segs_in") ?? 0)))
            col(S.notSentBytes, .unsigned(UInt32(s.int("notsent") ?? 0)))
            col(S.caState, .integer(1))  // the lab is quiet: every subflow in Open
            func milliseconds(_ key: String) -> UInt64 { UInt64(s.info[key]?.prefix { $0.isNumber } ?? "0")! }
            for (o, key) in [(S.busyTime, "busy"), (S.rwndLimitedTime, "rwnd_limited"), (S.sndbufLimitedTime, "sndbuf_limited")] {
                let ms = milliseconds(key)
                bracketed[o.oid + index] = ms * 1000...ms * 1000 + 999
            }
            // Times since: they grow between ss's read and the walk (well under a minute).
            for (o, key) in [(S.lastDataSent, "lastsnd"), (S.lastDataRecv, "lastrcv")] {
                let ms = UInt64(s.int(key) ?? 0)
                bracketed[o.oid + index] = ms...ms + 60_000
            }
            // No ECN in the lab: no instance of mptcpSubflowDeliveredCe (ss would say "ecn").
            #expect(!s.words.contains("ecn"))
            let key = RemoteKey(token: token, id: remoteID)
            if var r = remote[key] {
                r.subflows += 1
                r.port = min(r.port, s.peerPort)
                remote[key] = r
            } else {
                remote[key] = (s.peerAddress, s.peerPort, 1, false)
            }
        }

        // Peer addresses: seen on subflows, and announced by the peer's signal endpoints.
        for c in t.connections where !c.words.contains("fallback") {
            let token = UInt32(c.hex("token")!)
            for ep in peer where ep.flags.contains("signal") {
                let key = RemoteKey(token: token, id: ep.id)
                let port = ep.port != 0 ? ep.port : c.peerPort
                if let r = remote[key] {
                    remote[key] = (ep.address, port, r.subflows, true)
                } else {
                    remote[key] = (ep.address, port, 0, true)
                }
            }
        }
        typealias R = MPTCPMIB.RemoteAddressTable
        for (key, r) in remote {
            let index = [key.token, UInt32(key.id)]
            let bytes = Self.address(r.address)
            exact[R.addressType.oid + index] = .integer(bytes.count == 4 ? 1 : 2)
            exact[R.address.oid + index] = .octets(bytes)
            exact[R.port.oid + index] = .unsigned(UInt32(r.port))
            exact[R.source.oid + index] = Self.bits((r.subflows > 0 ? [0] : []) + (r.announced ? [1] : []), octets: 1)
            exact[R.subflows.oid + index] = .unsigned(r.subflows)
        }

        // Endpoints.
        typealias E = MPTCPMIB.EndpointTable
        for ep in t.endpoints {
            let index = [UInt32(ep.id)]
            let bytes = Self.address(ep.address)
            exact[E.addressType.oid + index] = .integer(bytes.count == 4 ? 1 : 2)
            exact[E.address.oid + index] = .octets(bytes)
            exact[E.port.oid + index] = .unsigned(UInt32(ep.port))
            exact[E.ifIndex.oid + index] = .integer(Int32(ep.device.flatMap { t.ifindex[$0] } ?? 0))
            exact[E.flags.oid + index] = Self.bits(ep.flags.compactMap { flagBits[$0] }, octets: 1)
            exact[E.rowStatus.oid + index] = .integer(1)
            exact[E.storageType.oid + index] = .integer(2)
        }

        // Paths: one row per local address of a subflow or an endpoint, computed here from
        // ss -tni, ip -o addr and ip mptcp endpoint.
        typealias P = MPTCPMIB.PathTable
        let allBytesSent = t.subflows.reduce(UInt64(0)) { $0 + ($1.int("bytes_sent") ?? 0) }
        var pathRows: [IPAddress: [SSSocket]] = [:]
        for s in t.subflows { pathRows[IPAddress(s.localAddress)!.unmapped, default: []].append(s) }
        for ep in t.endpoints where pathRows[IPAddress(ep.address)!.unmapped] == nil { pathRows[IPAddress(ep.address)!.unmapped] = [] }
        for (address, own) in pathRows {
            var index: [UInt32] = [address.family == .ipv4 ? 1 : 2, UInt32(address.bytes.count)]
            index += address.bytes.map(UInt32.init)
            func col(_ o: MIBObject, _ v: SNMPValue) { exact[o.oid + index] = v }
            let endpoint = t.endpoints.filter { IPAddress($0.address)!.unmapped == address }.min { $0.id < $1.id }
            let established = own.filter { $0.state == "ESTAB" }
            let rtts = established.compactMap { $0.info["rtt"]?.split(separator: "/").first.map { UInt64((Double($0)! * 1000).rounded()) } }
            col(P.ifIndex, .integer(Int32(t.addressInterface[address.description] ?? 0)))
            col(P.endpointID, .unsigned(UInt32(endpoint?.id ?? 0)))
            col(P.endpointFlags, Self.bits(endpoint?.flags.compactMap { flagBits[$0] } ?? [], octets: 1))
            col(P.subflows, .unsigned(UInt32(own.count)))
            col(P.established, .unsigned(UInt32(established.count)))
            col(P.backup, .unsigned(UInt32(own.filter(isBackup).count)))
            col(P.active, .unsigned(UInt32(established.filter { !isBackup($0) && SSParser.subflowFlags($0.info["flags"] ?? "") & 0x40 != 0 }.count)))
            col(P.connections, .unsigned(UInt32(Set(own.map(tokenOf)).count)))
            col(P.bytesSent, .counter64(own.reduce(0) { $0 + ($1.int("bytes_sent") ?? 0) }))
            col(P.bytesReceived, .counter64(own.reduce(0) { $0 + ($1.int("bytes_received") ?? 0) }))
            col(P.retransmits, .counter64(own.reduce(0) {
                $0 + UInt64($1.info["retrans"]?.split(separator: "/").last.flatMap { UInt64($0) } ?? 0)
            }))
            if !rtts.isEmpty {
                col(P.rttMean, .unsigned(UInt32(rtts.reduce(0, +) / UInt64(rtts.count))))
                col(P.rttMax, .unsigned(UInt32(rtts.max()!)))
            }
            // Quality from the established subflows' minrtt, delivery_rate, lost, retrans and data_segs_out.
            let minRtts = established.compactMap { $0.info["minrtt"].map { UInt32((Double($0)! * 1000).rounded()) } }
            if let least = minRtts.min() { col(P.minRtt, .unsigned(least)) }
            if !established.isEmpty { col(P.deliveryRate, .counter64(established.reduce(0) { $0 + Self.rate($1, "delivery_rate") })) }
            let segsOut = established.reduce(UInt64(0)) { $0 + ($1.int("data_segs_out") ?? 0) }
            let lostAndRetransmitted = established.reduce(UInt64(0)) {
                $0 + ($1.int("lost") ?? 0) + ($1.info["retrans"]?.split(separator: "/").last.flatMap { UInt64($0) } ?? 0)
            }
            if segsOut > 0 { col(P.lossEstimate, .unsigned(UInt32(min(1000, lostAndRetransmitted * 1000 / segsOut)))) }
            if allBytesSent > 0 {
                col(P.sendShare, .unsigned(UInt32(own.reduce(0) { $0 + ($1.int("bytes_sent") ?? 0) } * 1000 / allBytesSent)))
            }
            // Event counts and close reasons are checked exactly where subflows open and close
            // (PathSummaryIntegrationTests): there whenever a current subflow opened while the
            // agent listened, maybe after.
            for o in [P.opened, P.closed, P.failed, P.discontinuityTime] {
                if own.isEmpty { optional.insert(o.oid + index) } else { present.insert(o.oid + index) }
            }
            for o in [P.lastCloseReason, P.lastCloseTime] { optional.insert(o.oid + index) }
        }

        // Listeners: sockets on one address and port are one row.
        typealias L = MPTCPMIB.ListenerTable
        for (_, group) in Dictionary(grouping: t.listeners, by: { "\($0.localAddress) \($0.localPort)" }) {
            let index = Self.inetIndex(group[0].localAddress, group[0].localPort)
            exact[L.acceptQueue.oid + index] = .unsigned(group.reduce(0) { $0 + $1.recvQ })
            exact[L.backlog.oid + index] = .unsigned(group.reduce(0) { $0 + $1.sendQ })
            exact[L.sockets.oid + index] = .unsigned(UInt32(group.count))
        }
    }

    /// Compares a walk (of the subtree `within`) with these expectations; returns one line
    /// per difference.
    func differences(_ walk: [PrintedVarBind], within: [UInt32] = MPTCPMIB.root) -> [String] {
        var out: [String] = []
        var seen: Set<[UInt32]> = []
        // The event log's entries are the lab's events, which DiagnosisTests compares with
        // `ip mptcp monitor`: here each must have a kind and the indexes run 1...lastIndex.
        let log = MPTCPMIB.EventLogTable.self
        var logged: [UInt32] = []
        for vb in walk where vb.oid.hasPrefix(log.table.entryOID) {
            if Array(vb.oid.dropLast()) == log.kind.oid { logged.append(vb.oid.last!) }
        }
        let lastIndex = walk.first { $0.oid == MPTCPMIB.EventLog.lastIndex.oid + [0] }?.number ?? 0
        if logged != (lastIndex == 0 ? [] : Array(1...UInt32(lastIndex))) {
            out.append("event log: entries \(logged), mptcpEventLogLastIndex \(lastIndex)")
        }
        // mptcpPathCloseTable: its rows are what closed while the agent listened, which
        // PathSummaryIntegrationTests counts exactly.
        let closes = MPTCPMIB.PathCloseTable.table.entryOID
        for vb in walk where !vb.oid.hasPrefix(log.table.entryOID) && !vb.oid.hasPrefix(closes) {
            seen.insert(vb.oid)
            let oid = vb.oid.map(String.init).joined(separator: ".")
            if let want = exact[vb.oid] {
                if Self.value(vb) != want { out.append("\(oid): got \(vb.type): \(vb.value), expected \(want)") }
            } else if let range = bracketed[vb.oid] {
                if !(vb.number.map { range.contains($0) } ?? false) { out.append("\(oid): \(vb.value) not in \(range)") }
            } else if !present.contains(vb.oid) && !optional.contains(vb.oid) {
                out.append("\(oid): unexpected instance \(vb.type): \(vb.value)")
            }
        }
        for missing in allOIDs.subtracting(seen).filter({ $0.hasPrefix(within) }).sorted(by: { oidLess($0, $1) }) {
            out.append("\(missing.map(String.init).joined(separator: ".")): missing from the walk")
        }
        return out
    }

    /// A rate ss prints in bits per second ("NNNbps"), in octets per second; 0 when absent.
    static func rate(_ s: SSSocket, _ key: String) -> UInt64 {
        UInt64(s.info[key].map { $0.dropLast("bps".count) } ?? "0")! / 8
    }

    static func value(_ vb: PrintedVarBind) -> SNMPValue? {
        switch vb.type {
        case "INTEGER": return Int32(vb.value).map { .integer($0) }
        case "Gauge32": return UInt32(vb.value).map { .unsigned($0) }
        case "Counter32": return UInt32(vb.value).map { .counter32($0) }
        case "Counter64": return UInt64(vb.value).map { .counter64($0) }
        default: return vb.octets.map { .octets($0) }
        }
    }
}
