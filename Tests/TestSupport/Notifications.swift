import Platform

#if canImport(Glibc)
import Glibc
#endif

/// One notification as snmptrapd printed it: its snmpTrapOID and its varbinds.
public struct ReceivedNotification: Sendable, CustomStringConvertible {
    public var trapOID: [UInt32]
    public var varbinds: [PrintedVarBind]

    /// The varbind whose OID starts with `prefix` (an object of the notification).
    public func value(_ prefix: [UInt32]) -> PrintedVarBind? {
        varbinds.first { $0.oid.count >= prefix.count && Array($0.oid[0..<prefix.count]) == prefix }
    }

    public var description: String { varbinds.map(\.description).joined(separator: "; ") }
}

/// A private snmptrapd on 127.0.0.1 at a free port, printing what it receives (numeric
/// OIDs, hex octets, raw timeticks) to a log this class parses. `v3User`: accept SNMPv3
/// (informs) from that user only; otherwise any community is accepted.
public final class PrivateSNMPTrapd: @unchecked Sendable {
    public let directory: String
    public let port: UInt16
    private let daemon: Daemon

    public var target: String { "127.0.0.1:\(port)" }

    public init(tag: String, v3User: (name: String, auth: String, priv: String)? = nil) throws {
        directory = Paths.temporaryDirectory(tag)
        port = try PrivateSNMPD.freeUDPPort()
        var config = "disableAuthorization yes\n"
        if let u = v3User {
            config = "createUser \(u.name) SHA-256 \"\(u.auth)\" AES \"\(u.priv)\"\nauthUser log \(u.name) authPriv\n"
        }
        try FileIO.write(directory + "/snmptrapd.conf", config, createMode: 0o600)
        daemon = try Daemon(["snmptrapd", "-f", "-Lo", "-On", "-Ox", "-Ot", "-C", "-c", directory + "/snmptrapd.conf",
                             "--persistentDir=\(directory)/persist", "udp:127.0.0.1:\(port)"],
                            name: "snmptrapd", environment: ["MIBS": ""])
        try daemon.waitForOutput("NET-SNMP version", timeout: 10)
    }

    /// Everything received so far, in order.
    public func received() -> [ReceivedNotification] {
        var out: [ReceivedNotification] = []
        var header = false
        for line in daemon.output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains("[UDP: [") {
                header = true
                continue
            }
            guard header else { continue }
            header = false
            let varbinds = SNMPTools.parse(line.split(separator: "\t").joined(separator: "\n"))
            let trapOID = varbinds.first { $0.oid == [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0] }
                .map { $0.value.split(separator: ".").compactMap { UInt32($0) } } ?? []
            out.append(ReceivedNotification(trapOID: trapOID, varbinds: varbinds))
        }
        return out
    }

    /// Waits until `condition` holds for what was received; returns it.
    @discardableResult
    public func wait(timeout: Double = 10, for what: String,
                     _ condition: ([ReceivedNotification]) -> Bool) throws -> [ReceivedNotification] {
        let deadline = MonotonicClock.now + timeout
        while true {
            let all = received()
            if condition(all) { return all }
            guard MonotonicClock.now < deadline else {
                throw CommandError(description: "snmptrapd: no \(what) within \(timeout) s; received: \(all)")
            }
            usleep(50_000)
        }
    }

    public func shutdown() {
        daemon.stop()
        Paths.removeTree(directory)
    }

    deinit { shutdown() }
}
