import Foundation
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import SMI
import TestSupport
import Testing

/// `mptcp-mib`, the real binary, against the real agent behind snmpd.
@Suite("mptcp-mib against the agent", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct CLITests {
    static let binary = Paths.executable("mptcp-mib")

    static func v2c(_ s: AgentLab) -> [String] { ["-v", "2c", "-c", "public", s.snmpd.target] }
    static func v3(_ s: AgentLab, auth: String = PrivateSNMPD.v3User.auth) -> [String] {
        let u = PrivateSNMPD.v3User
        return ["-v", "3", "-u", u.name, "-l", "authPriv", "-a", "SHA-256", "-A", auth, "-x", "AES", "-X", u.priv, s.snmpd.target]
    }

    /// Runs `mptcp-mib COMMAND OPTIONS... ARGS...`.
    static func cli(_ command: [String], _ options: [String], _ args: [String] = []) throws -> CommandResult {
        try Command.run([binary] + command + options + args, timeout: 120)
    }

    static func json(_ r: CommandResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    static func rows(_ r: CommandResult) throws -> [[String: Any]] {
        try #require(try json(r) as? [[String: Any]], "not an array of objects: \(r.stdout.prefix(200))")
    }

    @Test("walk returns exactly the OIDs and values of snmpwalk -On")
    func walkMatchesSnmpwalk() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "cw", v4: 4, v6: 2)
        defer { s.shutdown() }
        let mine = try Self.cli(["walk"], Self.v2c(s) + ["--json"])
        #expect(mine.status == 0, "\(mine.stderr)")
        let theirs = try s.tools.walk()
        let items = try Self.rows(mine)
        #expect(items.map { $0["oid"] as? String } == theirs.map { $0.oid.map(String.init).joined(separator: ".") })
        // Time-since columns move every millisecond between the two walks; all else must match.
        typealias C = MPTCPMIB.ConnectionTable
        let moving = [C.lastDataSent, C.lastDataRecv, C.lastAckRecv].map(\.oid)
        for (item, vb) in zip(items, theirs) where !moving.contains(where: { vb.oid.hasPrefix($0) }) {
            let raw = item["raw"]
            if let hex = raw as? String {
                #expect(hex == (vb.octets ?? []).map { String(format: "%02x", $0) }.joined(), "\(vb)")
            } else {
                #expect((raw as? NSNumber)?.stringValue == vb.value, "\(vb)")
            }
        }
        // SNMPv1 through a view that holds MPTCP-MIB only: the walk ends at noSuchName, which
        // is how v1 says "end of the view", also when walking the last table.
        let v1 = ["-v", "1", "-c", "mptcponly", s.snmpd.target]
        let v1walk = try Self.cli(["walk"], v1 + ["--json"])
        #expect(v1walk.status == 0, "\(v1walk.stderr)")
        #expect(try Self.rows(v1walk).map { $0["oid"] as? String }
            == theirs.filter { $0.type != "Counter64" }.map { $0.oid.map(String.init).joined(separator: ".") })
        let last = try Self.cli(["listeners"], v1 + ["--json"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try Self.rows(last).count == 2)
        // --numeric prints OIDs as numbers, the values still decoded: exactly the instances of
        // snmpwalk, in its order, each established (5).
        let states = theirs.filter { $0.oid.hasPrefix(MPTCPMIB.ConnectionTable.state.oid) }
        #expect(states.count == 7, "\(states)")  // 4 + 2 + the fallback
        #expect(states.allSatisfy { $0.value == "5" }, "\(states)")
        let numeric = try Self.cli(["walk"], Self.v2c(s) + ["--numeric"], ["mptcpConnectionState"])
        #expect(numeric.status == 0, "\(numeric.stderr)")
        #expect(numeric.stdout.split(separator: "\n").map(String.init) == states.map { ".\($0.oid.dotted) = established" },
                "\(numeric.stdout)")
        // The text form names every instance by the MIB: the token in hex, the same instances.
        let text = try Self.cli(["walk"], Self.v2c(s), ["mptcpConnectionState"])
        let textLines = text.stdout.split(separator: "\n")
        #expect(textLines.allSatisfy { $0.hasPrefix("mptcpConnectionState.0x") && $0.hasSuffix(" = established") }, "\(text.stdout)")
        #expect(textLines.map { UInt32($0.dropFirst("mptcpConnectionState.0x".count).prefix { $0 != " " }, radix: 16) }
                == states.map { $0.oid.last }, "\(text.stdout)")
    }

    @Test("Table views equal the kernel: connections, subflows, endpoints, listeners, counters, limits")
    func tableViewsEqualKernel() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ct", v4: 4, v6: 2)
        defer { s.shutdown() }
        let truth = try KernelTruth.read(s.lab, s.lab.client)
        let o = Self.v2c(s) + ["--json"]

        let connections = try Self.rows(try Self.cli(["connections"], o))
        #expect(Set(connections.compactMap { $0["token"] as? String }) == Set(truth.connections.compactMap { $0.info["token"] }))
        for c in truth.connections {
            let row = try #require(connections.first { $0["token"] as? String == c.info["token"] })
            #expect(row["localAddress"] as? String == c.localAddress && (row["localPort"] as? Int) == Int(c.localPort))
            #expect(row["remoteAddress"] as? String == c.peerAddress && (row["remotePort"] as? Int) == Int(c.peerPort))
            #expect(row["state"] as? String == "established")
            #expect((row["flags"] as? [String])?.contains("fallback") == c.words.contains("fallback"))
            #expect((row["extraSubflows"] as? Int) == Int(c.int("subflows") ?? 0))
        }
        let subflows = try Self.rows(try Self.cli(["subflows"], o))
        #expect(subflows.count == truth.subflows.count)
        for sf in truth.subflows {
            let tokens = try #require(SSParser.subflowTokens(sf.info["token"]!))
            let row = try #require(subflows.first {
                $0["localAddress"] as? String == sf.localAddress && ($0["localPort"] as? Int) == Int(sf.localPort)
                    && $0["remoteAddress"] as? String == sf.peerAddress && ($0["remotePort"] as? Int) == Int(sf.peerPort)
            }, "\(sf.localAddress):\(sf.localPort)")
            #expect(row["token"] as? String == String(tokens.2, radix: 16))
            #expect((row["localId"] as? Int) == Int(tokens.3) && (row["remoteId"] as? Int) == Int(tokens.1))
            #expect((row["bytesSent"] as? Int) == Int(sf.int("bytes_sent") ?? 0))
        }
        // Filtered by token, in text.
        let one = try #require(connections.first { ($0["flags"] as? [String])?.contains("fallback") == false }?["token"] as? String)
        let filtered = try Self.cli(["subflows"], Self.v2c(s), [one])
        #expect(filtered.stdout.split(separator: "\n").count == 1 + truth.subflows.filter { $0.info["token"]!.hasSuffix("/\(one)(id:0)") || $0.info["token"]!.contains("/\(one)(") }.count)

        let endpoints = try Self.rows(try Self.cli(["endpoints"], o))
        #expect(endpoints.map { "\($0["id"]!) \($0["address"]!)" } == truth.endpoints.map { "\($0.id) \($0.address)" })
        #expect(endpoints.first?["flags"] as? [String] == ["subflow", "backup"])
        let listeners = try Self.rows(try Self.cli(["listeners"], o))
        #expect(Set(listeners.map { "\($0["address"]!) \($0["port"]!)" })
            == Set(truth.listeners.map { "\($0.localAddress == "*" ? "" : $0.localAddress) \($0.localPort)" }))
        let listenerText = try Self.cli(["listeners"], Self.v2c(s)).stdout
        #expect(listenerText.contains("*  ") && listenerText.contains("0.0.0.0"), "\(listenerText)")
        let counters = try Self.rows(try Self.cli(["counters"], o))
        #expect(counters.count == truth.counters.count)
        // In the kernel's order, as nstat prints them (not by index bytes).
        let nstatOrder = try s.lab.exec(s.lab.client, ["nstat", "-azs"]).split(separator: "\n")
            .compactMap { $0.split(separator: " ").first }.filter { $0.hasPrefix("MPTcpExt") }.map { String($0.dropFirst(8)) }
        #expect(counters.compactMap { $0["name"] as? String } == nstatOrder)
        let nonzero = try Self.rows(try Self.cli(["counters"], o + ["--nonzero"]))
        #expect(!nonzero.isEmpty && nonzero.count < counters.count)
        let limits = try #require(try Self.json(try Self.cli(["limits"], o)) as? [String: Int])
        #expect(limits == ["subflows": Int(truth.limits["subflows"]!), "addAddrAccepted": Int(truth.limits["add_addr_accepted"]!)])
        // Paths: one row per local address, with the subflows ss counts on it.
        let paths = try Self.rows(try Self.cli(["paths"], o))
        var perAddress: [String: Int] = [:]
        for sf in truth.subflows { perAddress[IPAddress(sf.localAddress)!.unmapped.description, default: 0] += 1 }
        for ep in truth.endpoints where perAddress[ep.address] == nil { perAddress[ep.address] = 0 }
        #expect(Dictionary(uniqueKeysWithValues: paths.map { ($0["address"] as! String, $0["subflows"] as! Int) }) == perAddress)
        #expect(paths.allSatisfy { $0["addressType"] as? String == "ipv4" || $0["addressType"] as? String == "ipv6" })
        let pathText = try Self.cli(["paths"], Self.v2c(s))
        #expect(pathText.stdout.hasPrefix("ADDRESS") && pathText.stdout.split(separator: "\n").count == paths.count + 1)
        // --wide: the quality columns after the others, one cell each; JSON has them always.
        for (view, added) in [("paths", ["MIN-RTT", "DELIVERY", "SHARE", "LAST-CLOSE"]),
                              ("subflows", ["MIN-RTT", "DELIVERY", "PACING", "LOST", "REORD", "SEGS", "NOTSENT", "CA",
                                            "BUSY", "RWND-LTD", "SNDBUF-LTD", "LAST-SND", "LAST-RCV"])] {
            let narrow = try Self.cli([view], Self.v2c(s)).stdout.split(separator: "\n")
            let wide = try Self.cli([view, "--wide"], Self.v2c(s)).stdout.split(separator: "\n")
            let headers = wide.first?.split(separator: " ").map(String.init) ?? []
            #expect(headers == (narrow.first?.split(separator: " ").map(String.init) ?? []) + added, "\(view)")
            #expect(wide.count == narrow.count && wide.dropFirst().allSatisfy { $0.split(separator: " ").count >= headers.count })
        }
        for sf in truth.subflows where sf.state == "ESTAB" {
            let row = try #require(subflows.first { ($0["localPort"] as? Int) == Int(sf.localPort) && $0["localAddress"] as? String == sf.localAddress })
            #expect((row["minRtt"] as? Int) == Int((Double(sf.info["minrtt"]!)! * 1000).rounded()))
        }
        let withSubflows = paths.filter { ($0["subflowsEstablished"] as? Int ?? 0) > 0 }
        #expect(!withSubflows.isEmpty && withSubflows.allSatisfy { $0["minRtt"] is Int && $0["sendShare"] is Int })
        // The loss estimate needs data sent: the backup path's subflows send none (absent there).
        #expect(withSubflows.contains { $0["lossEstimate"] is Int })
        // Peer addresses: exactly the rows that ss (subflows) and the server's signal endpoints
        // (announcements) imply, as ExpectedMIB derives them from the MIB's text.
        let remote = try Self.rows(try Self.cli(["remote-addresses"], o))
        typealias R = MPTCPMIB.RemoteAddressTable
        let peer = IPMPTCPParser.endpoints(try s.lab.exec(s.lab.server, ["ip", "mptcp", "endpoint", "show"]))
        let implied = ExpectedMIB(truth: truth, countersAfter: truth.counters, announcedBy: peer, bytesPerConnection: 1000).exact
        var expectedRemote: [String] = []
        for (oid, value) in implied where oid.count == R.address.oid.count + 2 && oid.hasPrefix(R.address.oid) {
            let index = Array(oid.suffix(2))
            guard case .octets(let address) = value, case .unsigned(let port)? = implied[R.port.oid + index],
                  case .octets(let bits)? = implied[R.source.oid + index], case .unsigned(let n)? = implied[R.subflows.oid + index] else {
                Issue.record("ExpectedMIB has an incomplete remote address row \(index)")
                continue
            }
            let source = (bits.first.map { ($0 & 0x80 != 0 ? ["subflow"] : []) + ($0 & 0x40 != 0 ? ["announced"] : []) }) ?? []
            expectedRemote.append("\(String(index[0], radix: 16)) \(index[1]) \(address) \(port) \(source) \(n)")
        }
        let gotRemote = remote.map { r in
            "\(r["token"] as? String ?? "?") \(r["id"] as? Int ?? -1) \((r["address"] as? String).flatMap(IPAddress.init)?.bytes ?? [])"
                + " \(r["port"] as? Int ?? -1) \(r["source"] as? [String] ?? []) \(r["subflows"] as? Int ?? -1)"
        }
        #expect(gotRemote.sorted() == expectedRemote.sorted(), "\(remote)")
        #expect(remote.contains { ($0["source"] as? [String]) == ["announced"] })

        // SNMPv3 authPriv gives the same view as v2c.
        let viaV3 = try Self.cli(["endpoints"], Self.v3(s) + ["--json"])
        #expect(viaV3.status == 0)
        #expect(try Self.rows(viaV3).count == endpoints.count)
        // The text views are aligned tables with a header.
        let text = try Self.cli(["connections"], Self.v2c(s))
        #expect(text.stdout.hasPrefix("TOKEN") && text.stdout.split(separator: "\n").count == connections.count + 1)
    }

    @Test("set, limits set and the endpoint verbs change the kernel")
    func writes() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "cs", v4: 1, v6: 0)
        defer { s.shutdown() }
        let v3 = Self.v3(s)
        func ip(_ args: String...) throws -> String { try s.lab.exec(s.lab.client, ["ip", "mptcp"] + args) }

        var r = try Self.cli(["set"], v3, ["mptcpChecksumEnabled", "true", "mptcpAddAddrTimeout", "45"])
        #expect(r.status == 0 && r.stdout.contains("mptcpChecksumEnabled.0 = true"), "\(r.stderr)")
        #expect(try s.lab.exec(s.lab.client, ["sysctl", "-n", "net.mptcp.checksum_enabled", "net.mptcp.add_addr_timeout"]) == "1\n45\n")

        // Notification controls: show, then enable, disable and rate in one request.
        r = try Self.cli(["notifications"], Self.v2c(s) + ["--json"])
        var controls = try #require(try Self.json(r) as? [String: Any], "\(r.stderr)")
        #expect(controls["enabled"] as? [String] == ["subflowClosed", "addressRemoved", "subflowPriority", "notificationsThrottled"])
        #expect(controls["rateLimit"] as? Int == 10)
        r = try Self.cli(["notifications", "set"], v3 + ["--json"], ["enable", "subflowEstablished", "disable", "subflowClosed,addressRemoved", "rate", "50"])
        controls = try #require(try Self.json(r) as? [String: Any], "\(r.stderr)")
        #expect(controls["enabled"] as? [String] == ["subflowEstablished", "subflowPriority", "notificationsThrottled"])
        #expect(controls["rateLimit"] as? Int == 50)
        r = try Self.cli(["notifications", "set"], v3, ["rate", "0"])
        #expect(r.status == 1 && r.stderr.contains("mptcpNotificationRateLimit.0: wrongValue, allowed 1..10000"), "\(r.stderr)")
        r = try Self.cli(["notifications"], Self.v2c(s))
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("mptcpSubflowEstablished ") && $0.hasSuffix(" yes") }, "\(r.stdout)")
        #expect(lines.contains { $0.hasPrefix("mptcpSubflowClosed ") && $0.hasSuffix(" no") } && r.stdout.contains("rate limit 50/s"))

        r = try Self.cli(["limits", "set"], v3, ["subflows", "5", "add-addr-accepted", "2"])
        #expect(r.status == 0 && r.stdout.contains("add_addr_accepted 2 subflows 5"), "\(r.stderr)")
        #expect(try ip("limits", "show").contains("add_addr_accepted 2 subflows 5"))

        // An address of its own: the lab's 10.201.2.1 carries a join subflow, so the kernel
        // already holds it as an implicit endpoint.
        try s.lab.exec(s.lab.client, ["ip", "addr", "add", "10.201.2.11/24", "dev", "\(s.lab.prefix)c2"])
        let c2 = try s.lab.exec(s.lab.client, ["cat", "/sys/class/net/\(s.lab.prefix)c2/ifindex"]).split(separator: "\n")[0]
        let used = Set(IPMPTCPParser.endpoints(try ip("endpoint", "show")).map(\.id))
        let next = (1...255).first { !used.contains(UInt8($0)) }!
        r = try Self.cli(["endpoint", "add"], v3, ["10.201.2.11", "dev", String(c2), "subflow", "backup"])
        #expect(r.status == 0 && r.stdout.contains("added endpoint \(next)"), "\(r.stdout)\(r.stderr)")
        #expect(try ip("endpoint", "show").contains("10.201.2.11 id \(next) subflow backup dev \(s.lab.prefix)c2"))
        r = try Self.cli(["endpoint", "add"], v3, ["fd00:201:2::1", "id", "7", "port", "7100", "signal"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try ip("endpoint", "show").contains("fd00:201:2::1 port 7100 id 7 signal"))

        r = try Self.cli(["endpoint", "flags"], v3, ["\(next)", "nobackup", "fullmesh"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try ip("endpoint", "show").contains("10.201.2.11 id \(next) subflow fullmesh"))

        r = try Self.cli(["endpoint", "delete"], v3, ["7"])
        #expect(r.status == 0)
        #expect(try !ip("endpoint", "show").contains("id 7"))
        r = try Self.cli(["set"], v3, ["mptcpEndpointRowStatus.\(next)", "destroy"])
        #expect(r.status == 0)
        #expect(try !ip("endpoint", "show").contains("10.201.2.11"))
    }

    @Test("Options left out come from net-snmp's snmp.conf (defVersion, defCommunity); snmpget's option forms")
    func snmpConfDefaults() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "cd", traffic: false)
        defer { s.shutdown() }
        // Values attached (-v2c -cpublic -lauthPriv ...) and options after the agent, as snmpget takes them.
        let u = PrivateSNMPD.v3User
        let forms: [[String]] = [
            ["-v2c", "-cpublic", s.snmpd.target, "mptcpLimitSubflows"],
            [s.snmpd.target, "-v", "2c", "-c", "public", "mptcpLimitSubflows"],
            [s.snmpd.target, "mptcpLimitSubflows", "-v2c", "-cpublic", "-t2", "-r1"],
            ["-v3", "-u\(u.name)", "-lauthPriv", "-aSHA-256", "-A\(u.auth)", "-xAES", "-X\(u.priv)", s.snmpd.target, "mptcpLimitSubflows"],
        ]
        for form in forms {
            let r = try Command.run([Self.binary, "get"] + form)
            #expect(r.status == 0 && r.stdout == "mptcpLimitSubflows.0 = 8\n", "\(form): \(r.stderr)")
        }
        let dir = s.snmpd.directory + "/conf"
        try Command.check(["sh", "-c", "mkdir -p \(dir) && printf 'defVersion 2c\\ndefCommunity public\\n' > \(dir)/snmp.conf"])
        let r = try Command.run([Self.binary, "limits", "--json", s.snmpd.target], environment: ["SNMPCONFPATH": dir])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.json(r) as? [String: Int] == ["subflows": 8, "addAddrAccepted": 8])
        // Without them, net-snmp's compiled default (SNMPv3) wants a user, as snmpget does.
        let bare = try Command.run([Self.binary, "limits", s.snmpd.target], environment: ["SNMPCONFPATH": "/nonexistent"])
        #expect(bare.status == 64 && bare.stderr.contains("No securityName specified"), "\(bare.stderr)")
    }

    @Test("Every error class: one line naming the object and the reason, and its exit status")
    func errorClasses() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "ce", v4: 1, v6: 0)
        defer { s.shutdown() }
        let v2c = Self.v2c(s), v3 = Self.v3(s)
        let silent = try SilentUDPPort()
        defer { withExtendedLifetime(silent) {} }
        let dead = silent.port
        let cases: [(String, [String], [String], [String], Int32, String)] = [
            ("timeout", ["get"], ["-v", "2c", "-c", "public", "-t", "0.3", "-r", "0", "127.0.0.1:\(dead)"], ["mptcpEnabled"], 3,
             "mptcp-mib: timeout: no response from 127.0.0.1:\(dead)"),
            ("unknown host", ["get"], ["-v", "2c", "-c", "public", "nonexistent.invalid"], ["mptcpEnabled"], 4, "nonexistent.invalid"),
            ("wrong passphrase", ["get"], Self.v3(s, auth: "not-the-passphrase"), ["mptcpEnabled"], 5,
             "mptcp-mib: authentication failure:"),
            ("no such instance", ["get"], v2c, ["mptcpEndpointFlags.77"], 2, "mptcp-mib: mptcpEndpointFlags.77: no such instance"),
            ("no such object", ["get"], v2c, [MPTCPMIB.objectsOID.dotted + ".99.0"], 2, "no such object"),
            ("SET out of range", ["set"], v3, ["mptcpLimitSubflows", "9"], 1, "mptcp-mib: mptcpLimitSubflows.0: wrongValue, allowed 0..8"),
            ("SET by a community", ["set"], v2c, ["mptcpLimitSubflows", "2"], 1, "mptcp-mib: mptcpLimitSubflows.0: noAccess"),
            ("SET of a read-only object", ["set"], v3, ["mptcpCurrentSubflows", "2"], 1, "mptcpCurrentSubflows.0: notWritable"),
            ("SET of an inconsistent row", ["set"], v3, ["mptcpEndpointAddress.40", "10.9.9.9"], 1,
             "mptcpEndpointAddress.40: inconsistentName"),
            ("value the MIB cannot take", ["set"], v3, ["mptcpChecksumEnabled", "maybe"], 64,
             "mptcp-mib: mptcpChecksumEnabled: 'maybe' is not true or false"),
            ("delete of a missing endpoint", ["endpoint", "delete"], v3, ["99"], 2, "mptcp-mib: endpoint 99: no such endpoint"),
            ("unknown object", ["get"], v2c, ["mptcpNoSuchThing"], 64, "mptcp-mib: unknown object 'mptcpNoSuchThing'"),
            ("bad version", ["get"], ["-v", "4", "-c", "public", s.snmpd.target], ["mptcpEnabled"], 64, "-v '4' is not one of 1, 2c, 3"),
        ]
        for (what, command, options, args, status, message) in cases {
            let r = try Self.cli(command, options, args)
            #expect(r.status == status, "\(what): exit \(r.status), \(r.stderr)")
            #expect(r.stderr.contains(message), "\(what): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("1.3.6.1.3.8684.1.1"), "\(what): \(r.stderr)")
            if status != 64 { #expect(r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)") }
        }
        #expect(try s.lab.exec(s.lab.client, ["ip", "mptcp", "limits", "show"]).contains("subflows 8"))
    }

    @Test("watch prints rates per interval; help, examples and shell completion")
    func watchHelpAndCompletion() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "cx", v4: 2, v6: 0)
        defer { s.shutdown() }
        // The lab is quiet (AgentLab waits for it): between two reads of the kernel that show
        // no byte moved, every rate is 0 and every counter delta is within nstat's change.
        let before = try KernelTruth.read(s.lab, s.lab.client)
        let r = try Self.cli(["watch"], Self.v2c(s) + ["--json", "--interval", "0.5", "--count", "2"])
        let after = try KernelTruth.read(s.lab, s.lab.client)
        #expect(r.status == 0, "\(r.stderr)")
        func bytes(_ t: KernelTruth) -> [String] {
            t.subflows.map { "\($0.localAddress):\($0.localPort) \($0.info["bytes_sent"] ?? "-") \($0.info["bytes_received"] ?? "-")" }.sorted()
        }
        #expect(bytes(before) == bytes(after), "the lab was not quiet")
        let objects = r.stdout.split(separator: "\n").map(String.init)
        #expect(objects.count == 2)
        let readings = try objects.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let first = try #require(readings.first), second = try #require(readings.last)
        // The first reading has no previous one: no rates, no deltas.
        #expect((first["intervalSeconds"] as? Double) == 0)
        #expect(try #require(first["connections"] as? [[String: Any]]).allSatisfy { $0["sentPerSecond"] is NSNull })
        #expect((first["counterDeltas"] as? [String: Any])?.isEmpty == true)
        let interval = try #require(second["intervalSeconds"] as? Double)
        #expect(interval >= 0.5 && interval < 5, "\(interval)")
        let connections = try #require(second["connections"] as? [[String: Any]])
        #expect(Set(connections.compactMap { $0["token"] as? String }) == Set(before.connections.compactMap { $0.info["token"] }))
        let subflows = try #require(second["subflows"] as? [[String: Any]])
        #expect(subflows.count == before.subflows.count)
        for row in connections + subflows {
            for rate in ["sentPerSecond", "receivedPerSecond", "retransmitsPerSecond"] {
                #expect((row[rate] as? Double) == 0, "\(rate) of \(row)")
            }
        }
        let deltas = try #require(second["counterDeltas"] as? [String: Int])
        for (name, delta) in deltas {
            let low = try #require(before.counters[name], "\(name) is not a counter nstat knows")
            let high = try #require(after.counters[name])
            #expect(delta > 0 && UInt64(delta) <= high - low, "\(name): delta \(delta), nstat \(low)...\(high)")
        }
        // Paths: the subflows ss counts per local address, none opened or failed meanwhile.
        let paths = try #require(second["paths"] as? [[String: Any]])
        var perAddress: [String: Int] = [:]
        for sf in before.subflows { perAddress[IPAddress(sf.localAddress)!.unmapped.description, default: 0] += 1 }
        for ep in before.endpoints where perAddress[ep.address] == nil { perAddress[ep.address] = 0 }
        #expect(Dictionary(uniqueKeysWithValues: paths.map { ($0["address"] as? String ?? "?", $0["subflows"] as? Int ?? -1) }) == perAddress)
        #expect(paths.allSatisfy { ($0["openedPerSecond"] as? Double) == 0 && ($0["failedPerSecond"] as? Double) == 0 }, "\(paths)")
        let text = try Self.cli(["watch"], Self.v2c(s) + ["--interval", "0.2", "--count", "1"])
        #expect(text.stdout.contains("mptcp-mib watch \(s.snmpd.target), every 0.2 s: \(before.connections.count) connections, "
                                     + "\(before.subflows.count) subflows"), "\(text.stdout)")
        #expect(text.stdout.contains("SENT/s") && text.stdout.contains("FAILED/s"))

        let help = try Command.run([Self.binary, "--help"])
        #expect(help.stdout.contains("Examples") && help.stdout.contains("Exit status"))
        for command in ["walk", "get", "set", "connections", "subflows", "paths", "endpoints", "listeners", "counters", "limits",
                        "endpoint", "watch", "remote-addresses", "notifications"] {
            #expect(try Command.run([Self.binary, command, "--help"]).status == 0, "\(command)")
        }
        for shell in ["bash", "zsh", "fish"] {
            let completion = try Command.run([Self.binary, "--generate-completion-script", shell])
            #expect(completion.status == 0 && completion.stdout.contains("mptcp-mib"), "\(shell)")
        }
    }
}

/// Every command's `--help` as swift-argument-parser prints it, without the runs of blanks
/// that a multi-line string's lost line continuation leaves in a sentence.
@Suite("Help texts")
struct HelpTextTests {
    /// The command paths of an executable (`[]`, `["limits"]`, `["limits", "set"]`, ...), from
    /// its `--experimental-dump-help`.
    static func commandPaths(_ executable: String) throws -> [[String]] {
        let dump = try Command.check([Paths.executable(executable), "--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.utf8)) as? [String: Any])
        func paths(_ command: [String: Any], _ path: [String]) -> [[String]] {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            return [path] + subcommands.flatMap { sub in
                (sub["commandName"] as? String).map { paths(sub, path + [$0]) } ?? []
            }
        }
        return paths(try #require(root["command"] as? [String: Any]), [])
    }

    /// Lines of `help` with a sentence that has two blanks in a row: in the overview and
    /// discussion, lines that are not indented (indented ones are examples, aligned on
    /// purpose); in the lists, the help column (from column 26, after the aligned names).
    static func brokenLines(_ help: String) -> [Substring] {
        var inLists = false
        return help.split(separator: "\n").filter { line in
            if line.hasPrefix("USAGE:") { inLists = true }
            let prose = inLists ? (line.first == " " ? line.dropFirst(26) : "") : (line.first == " " ? "" : line)
            return prose.contains("  ")
        }
    }

    @Test("No --help of mptcp-mib or mptcp-agentx has runs of blanks in its sentences", arguments: ["mptcp-mib", "mptcp-agentx"])
    func helpTexts(executable: String) throws {
        let paths = try Self.commandPaths(executable)
        #expect(executable == "mptcp-agentx" || paths.contains(["contexts"]) && paths.contains(["limits", "set"]), "\(paths)")
        for path in paths {
            let r = try Command.run([Paths.executable(executable)] + path + ["--help"])
            #expect(r.status == 0 && r.stdout.contains("USAGE:"), "\(path)")
            #expect(Self.brokenLines(r.stdout).isEmpty, "\(executable) \(path.joined(separator: " ")) --help: \(Self.brokenLines(r.stdout))")
        }
    }
}
