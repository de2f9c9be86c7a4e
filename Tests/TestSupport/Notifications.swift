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

/// A private snmptrapd on 127.0.0.1 at a port the kernel picks, printing what it receives (numeric
/// OIDs, hex octets, raw timeticks) to a log this class parses. `v3User`: accept SNMPv3
/// (informs) from that user only; otherwise any community is accepted.
public final class PrivateSNMPTrapd: @unchecked Sendable {
    public let directory: String
    public let port: UInt16
    private let daemon: Daemon

    public var target: String { "127.0.0.1:\(port)" }

    /// `namespace`: listen on that network namespace's 127.0.0.1 (for an snmpd running there).
    public init(tag: String, v3User: (name: String, auth: String, priv: String)? = nil, namespace: String? = nil) throws {
        directory = Paths.temporaryDirectory(tag)
        var config = "disableAuthorization yes\n"
        if let u = v3User {
            config = PrivateSNMPD.v3UserLine + "\nauthUser log \(u.name) authPriv\n"
        }
        try FileIO.write(directory + "/snmptrapd.conf", config, createMode: 0o600)
        daemon = try Daemon(inNamespace(namespace) + ["snmptrapd", "-f", "-Lo", "-On", "-Ox", "-Ot", "-C", "-c", directory + "/snmptrapd.conf",
                             "--persistentDir=\(directory)/persist", "udp:127.0.0.1:0"],
                            name: "snmptrapd", environment: ["MIBS": ""])
        try daemon.waitForOutput("NET-SNMP version", timeout: 10)
        port = try daemon.boundPort(.udp)
    }

    /// Everything received so far, in order. A notification is the line after its header,
    /// varbinds separated by tabs; long hex strings continue on the lines that follow.
    public func received() -> [ReceivedNotification] {
        var texts: [String] = []
        var inNotification = false
        for line in daemon.output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains("[UDP: [") {
                inNotification = true
                texts.append("")
            } else if inNotification && !line.isEmpty {
                texts[texts.count - 1] += (texts[texts.count - 1].isEmpty ? "" : "\n") + line
            } else {
                inNotification = false
            }
        }
        return texts.map { text in
            let varbinds = SNMPTools.parse(text.split(separator: "\t").joined(separator: "\n"))
            let trapOID = varbinds.first { $0.oid == [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0] }
                .map { $0.value.split(separator: ".").compactMap { UInt32($0) } } ?? []
            return ReceivedNotification(trapOID: trapOID, varbinds: varbinds)
        }
    }

    /// Waits until `condition` holds for what was received; returns it.
    @discardableResult
    public func wait(timeout: Double = 10, for what: String,
                     _ condition: ([ReceivedNotification]) -> Bool) throws -> [ReceivedNotification] {
        try waitFor("snmptrapd to receive \(what)", timeout: timeout, detail: { "received: \(self.received())" }) {
            let all = received()
            return condition(all) ? all : nil
        }
    }

    public func shutdown() {
        daemon.stop()
        Paths.removeTree(directory)
    }

    deinit { shutdown() }
}
