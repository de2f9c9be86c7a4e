/// Subflow events on one local address since counting began, from the path manager's
/// event stream (exact while it is followed without loss).
public struct PathEvents: Sendable, Hashable {
    /// Subflows established (initial subflows included).
    public var opened: UInt64 = 0
    /// Subflows closed, on their own or with their connection.
    public var closed: UInt64 = 0
    /// Closed subflows that ended with an error or a reset (MP_TCPRST or TCP RST).
    public var failed: UInt64 = 0
    /// When these counts last started over or may have missed events (monotonic seconds).
    public var since: Double
    /// The closed subflows by why they ended, and when the last of each ended (monotonic
    /// seconds); only reasons that occurred have an entry.
    public var closes: [SubflowCloseReason: Closes] = [:]
    /// Why the last subflow that closed ended.
    public private(set) var lastCloseReason: SubflowCloseReason?
    /// The last subflow that closed: why, and when.
    public var lastClose: (reason: SubflowCloseReason, time: Double)? {
        lastCloseReason.flatMap { r in closes[r].map { (r, $0.last) } }
    }

    public struct Closes: Sendable, Hashable {
        public var subflows: UInt64
        public var last: Double

        public init(subflows: UInt64, last: Double) {
            self.subflows = subflows
            self.last = last
        }
    }

    public init(since: Double) { self.since = since }

    /// Counts a subflow that closed at `time` for `reason`; `failed`: with an error or a reset.
    public mutating func countClose(_ reason: SubflowCloseReason, failed: Bool, at time: Double) {
        closed += 1
        if failed { self.failed += 1 }
        closes[reason, default: Closes(subflows: 0, last: time)].subflows += 1
        closes[reason]!.last = time
        lastCloseReason = reason
    }
}

/// The health of one local address as a path: its subflows now, and what happened to
/// subflows on it since counting began. Built once per snapshot.
public struct PathSummary: Sendable, Hashable {
    public var address: IPAddress
    /// The interface holding the address (from the kernel's address list), 0 if none does.
    public var ifIndex: UInt32 = 0
    public var endpoint: Endpoint?
    public var subflows: UInt32 = 0
    public var established: UInt32 = 0
    public var backup: UInt32 = 0
    /// Established, fully established and not backup: the subflows that carry data.
    public var active: UInt32 = 0
    public var connections: UInt32 = 0
    /// Sums over the current subflows: they go down when a subflow closes.
    public var bytesSent: UInt64 = 0
    public var bytesReceived: UInt64 = 0
    public var retransmits: UInt64 = 0
    /// Smoothed RTT over the established subflows that report one, microseconds.
    public var rttMean: UInt32?
    public var rttMax: UInt32?
    /// Quality of the established subflows (MPTCP-MIB's mptcpPathQualityGroup): the least
    /// minimum RTT (µs), the sum of the latest delivery rates (octets/s), and lost plus
    /// retransmitted segments per thousand data segments sent (a subflow that also receives
    /// sends ACKs, which cannot be lost in this count); nil where no subflow reports the figure.
    public var minRtt: UInt32?
    public var deliveryRate: UInt64?
    public var lossPerMille: UInt32?
    /// This path's part of the bytes sent on all paths (`bytesSent`), per thousand, rounded
    /// down; nil while nothing was sent.
    public var sendSharePerMille: UInt32?
    public var events: PathEvents?

    public init(address: IPAddress) { self.address = address }

    /// One summary per local address that current subflows use or that an endpoint names;
    /// sorted by address. IPv4-mapped IPv6 addresses count as the IPv4 address.
    /// `interfaces`: the interface holding each of the namespace's addresses (`Snapshot.interfaces`).
    public static func build(subflows: [Subflow], endpoints: [Endpoint], interfaces: [IPAddress: UInt32]) -> [PathSummary] {
        var rows: [IPAddress: PathSummary] = [:]
        var tokens: [IPAddress: Set<UInt32>] = [:]
        var rttSum: [IPAddress: (sum: UInt64, count: UInt64)] = [:]
        var loss: [IPAddress: (lostAndRetransmitted: UInt64, sent: UInt64)] = [:]
        func row(_ a: IPAddress) -> PathSummary { rows[a] ?? PathSummary(address: a) }
        for sf in subflows {
            let a = sf.local.address.unmapped
            var r = row(a)
            r.subflows += 1
            if sf.isBackup { r.backup += 1 }
            if sf.state == .established {
                r.established += 1
                if !sf.isBackup && sf.flags?.contains(.fullyEstablished) ?? true { r.active += 1 }
                if let rtt = sf.rtt {
                    r.rttMax = max(r.rttMax ?? 0, rtt)
                    rttSum[a, default: (0, 0)].sum += UInt64(rtt)
                    rttSum[a, default: (0, 0)].count += 1
                }
                if let m = sf.minRtt { r.minRtt = min(r.minRtt ?? .max, m) }
                if let d = sf.deliveryRate { r.deliveryRate = (r.deliveryRate ?? 0) &+ d }
                if let sent = sf.dataSegsOut {
                    loss[a, default: (0, 0)].lostAndRetransmitted += UInt64(sf.lost ?? 0) + UInt64(sf.totalRetransmits ?? 0)
                    loss[a, default: (0, 0)].sent += UInt64(sent)
                }
            }
            r.bytesSent &+= sf.bytesSent ?? 0
            r.bytesReceived &+= sf.bytesReceived ?? 0
            r.retransmits &+= UInt64(sf.totalRetransmits ?? 0)
            tokens[a, default: []].insert(sf.token)
            rows[a] = r
        }
        for e in endpoints {
            var r = row(e.address.unmapped)
            // Two endpoints of one address (different ports): the lower id speaks for it.
            if r.endpoint.map({ $0.id > e.id }) ?? true { r.endpoint = e }
            rows[r.address] = r
        }
        let allSent = rows.values.reduce(UInt64(0)) { $0 &+ $1.bytesSent }
        for (a, var r) in rows {
            r.connections = UInt32(tokens[a]?.count ?? 0)
            r.ifIndex = interfaces[a] ?? 0
            if let s = rttSum[a], s.count > 0 { r.rttMean = UInt32(s.sum / s.count) }
            if let l = loss[a], l.sent > 0 { r.lossPerMille = UInt32(min(1000, l.lostAndRetransmitted * 1000 / l.sent)) }
            // Full width: 1000 × a 64-bit byte count may not fit in 64 bits; the quotient does.
            if allSent > 0 { r.sendSharePerMille = UInt32(allSent.dividingFullWidth(r.bytesSent.multipliedFullWidth(by: 1000)).quotient) }
            rows[a] = r
        }
        return rows.values.sorted { $0.address < $1.address }
    }

    /// Adds the event counts of each local address to `rows` (as `build` returns them, and
    /// kept so); an address with counts and no row (its subflows are gone) gets one.
    public static func merge(_ events: [IPAddress: PathEvents], into rows: inout [PathSummary], interfaces: [IPAddress: UInt32]) {
        var added = false
        for (a, counts) in events {
            // One row per local address: a handful, searched in place.
            if let i = rows.firstIndex(where: { $0.address == a }) {
                rows[i].events = counts
            } else {
                var r = PathSummary(address: a)
                r.events = counts
                r.ifIndex = interfaces[a] ?? 0
                rows.append(r)
                added = true
            }
        }
        if added { rows.sort { $0.address < $1.address } }
    }
}

/// Host-wide multipath health, computed once per snapshot.
public struct HostSummary: Sendable, Hashable {
    /// Connections by their number of current subflows: 1, 2, and 3 or more.
    public var oneSubflow: UInt32 = 0
    public var twoSubflows: UInt32 = 0
    public var moreSubflows: UInt32 = 0
    /// Connections that fell back to plain TCP.
    public var fallback: UInt32 = 0
    /// Connections whose established subflows are all backup ones: the backup path carries the data.
    public var backupOnly: UInt32 = 0
    public var establishedSubflows: UInt32 = 0

    public init() {}

    public init(connections: [Connection], subflows: [Subflow]) {
        var perToken: [UInt32: (all: UInt32, established: UInt32, backup: UInt32)] = [:]
        for sf in subflows {
            var c = perToken[sf.token] ?? (0, 0, 0)
            c.all += 1
            if sf.state == .established {
                c.established += 1
                establishedSubflows += 1
                if sf.isBackup { c.backup += 1 }
            }
            perToken[sf.token] = c
        }
        for conn in connections {
            let c = perToken[conn.token] ?? (0, 0, 0)
            switch c.all {
            case 0: break
            case 1: oneSubflow += 1
            case 2: twoSubflows += 1
            default: moreSubflows += 1
            }
            if conn.flags.contains(.fallback) { fallback += 1 }
            if c.established > 0 && c.backup == c.established { backupOnly += 1 }
        }
    }
}
