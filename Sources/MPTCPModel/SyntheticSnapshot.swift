extension Snapshot {
    /// An in-memory snapshot of `connections` connections with `subflowsPerConnection`
    /// subflows each and every optional field set, for the agent's synthetic mode (the
    /// benchmark's ceiling: same rows, no kernel access) and for tests.
    public static func synthetic(connections count: Int, subflowsPerConnection: Int = 3) -> Snapshot {
        let server = IPAddress(bytes: [10, 201, 1, 2])!
        var connections: [Connection] = []
        var subflows: [Subflow] = []
        connections.reserveCapacity(count)
        subflows.reserveCapacity(count * subflowsPerConnection)
        for i in 0..<count {
            // Tokens spread over the whole 32-bit range as the kernel's random ones are.
            let token = UInt32(truncatingIfNeeded: (UInt64(i) &+ 1) &* 0x9E37_79B9)
            let port = UInt16(10000 + i % 50000)
            let local = SocketAddress(address: IPAddress(bytes: [10, 201, 1, 1])!, port: port)
            var c = Connection(token: token, local: local, remote: SocketAddress(address: server, port: 5000),
                               state: .established)
            c.flags = .remoteKeyReceived
            c.extraSubflows = UInt8(subflowsPerConnection - 1)
            c.subflowsTotal = UInt8(subflowsPerConnection)
            c.limitSubflows = 8
            c.limitAddAddrAccepted = 8
            c.addAddrAccepted = 1
            c.localAddrUsed = 1
            c.subflowEndpoints = 1
            c.laminarEndpoints = 0
            c.checksumEnabled = false
            c.retransmits = 0
            c.bytesRetransmitted = 0
            c.bytesSent = 1000
            c.bytesReceived = 1000
            c.bytesAcked = 1000
            c.writeSeq = UInt64(token) << 20
            c.sndUna = c.writeSeq
            c.rcvNxt = UInt64(token) << 16
            c.lastDataSent = 100
            c.lastDataReceived = 100
            c.lastAckReceived = 100
            connections.append(c)
            for j in 0..<subflowsPerConnection {
                let localSub = SocketAddress(address: IPAddress(bytes: [10, 201, UInt8(1 + j % 3), 1])!,
                                             port: UInt16(truncatingIfNeeded: Int(port) + j * 7))
                var s = Subflow(token: token, local: localSub,
                                remote: SocketAddress(address: IPAddress(bytes: [10, 201, UInt8(1 + j % 2), 2])!,
                                                      port: 5000), state: .established)
                s.localID = UInt8(j)
                s.remoteID = UInt8(j % 2)
                s.remoteToken = j == 0 ? 0 : token ^ 0x5a5a_5a5a
                s.flags = j == 0 ? [.mpCapableLocal, .mpCapableRemote, .fullyEstablished, .connected]
                    : [.joinLocal, .joinRemote, .fullyEstablished, .connected]
                s.rtt = 120
                s.rttVariance = 60
                s.congestionWindow = 10
                s.mss = 1448
                s.retransmits = 0
                s.totalRetransmits = 0
                s.bytesSent = 1000
                s.bytesAcked = 1000
                s.bytesReceived = 1000
                s.minRtt = 100
                s.deliveryRate = 1_000_000
                s.pacingRate = 2_000_000
                s.lost = 0
                s.reordering = 3
                s.segsOut = 10
                s.segsIn = 10
                s.notSentBytes = 0
                s.caState = 0
                s.busyTime = 1000
                s.rwndLimitedTime = 0
                s.sndbufLimitedTime = 0
                s.lastDataSent = 100
                s.lastDataReceived = 100
                s.deliveredCe = 0
                subflows.append(s)
            }
        }
        return Snapshot(connections: connections, subflows: subflows, endpoints: [], limits: Limits(subflows: 8, addAddrAccepted: 8),
                        settings: Settings(["enabled": "1"]))
    }
}
