import MPTCPMIB
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// contrib/collectd/mptcp.conf: every OID is the object its comment names, and Debian's
/// collectd (collectd-core) with its csv writer stores what SNMP says.
@Suite("collectd: contrib/collectd/mptcp.conf", .serialized)
struct CollectdTests {
    static let path = Paths.packageRoot + "/contrib/collectd/mptcp.conf"

    struct Block { let name: String, object: String, type: String, table: Bool, oid: [UInt32] }

    /// The Data blocks: name, the object of the comment above, Type, Table, Values.
    static func blocks() throws -> [Block] {
        var out: [Block] = []
        var comment = "", name = "", type = "", table = false
        for raw in try FileIO.readText(path).split(separator: "\n") {
            let line = raw.trimmingPrefix(while: \.isWhitespace)
            func quoted() -> String { String(line.split(separator: "\"").dropFirst().first ?? "") }
            if line.hasPrefix("# mptcp") { comment = String(line.dropFirst(2).prefix { $0 != "," && $0 != " " }) }
            else if line.hasPrefix("<Data ") { name = quoted() }
            else if line.hasPrefix("Type ") { type = quoted() }
            else if line.hasPrefix("Table ") { table = line.hasSuffix("true") }
            else if line.hasPrefix("Values ") {
                out.append(Block(name: name, object: comment, type: type, table: table,
                                 oid: quoted().split(separator: ".").compactMap { UInt32($0) }))
            }
        }
        return out
    }

    @Test("Every Data block reads the object its comment names: a scalar's instance or a column, gauge or derive as the MIB says")
    func blocksMatchTheMIB() throws {
        let blocks = try Self.blocks()
        #expect(blocks.count == 38 && Set(blocks.map(\.name)).count == blocks.count)
        for b in blocks {
            let object = try #require(MPTCPMIB.object(named: b.object), "\(b.name): no object \(b.object)")
            #expect(object.access.isReadable, "\(b.name)")
            #expect(b.oid == (b.table ? object.oid : object.oid + [0]), "\(b.name): \(b.oid.dotted) is not \(b.object)")
            // Running totals are derive; levels (and the path table's CounterBasedGauge64 sums) gauge.
            let counter = object.syntax.type == .counter64 || object.syntax.type == .counter32
            #expect(b.type == (counter ? "derive" : "gauge"), "\(b.name): \(b.type) for \(object.syntax.type)")
        }
        // The example Host block collects every Data block.
        let collected = try FileIO.readText(Self.path).split(separator: "\n").filter { $0.hasPrefix("#    Collect ") }
            .flatMap { $0.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) } }
        #expect(collected == blocks.map(\.name))
    }

    @Test("collectd's snmp plugin and csv writer store what snmpget says, per path by index")
    func collectdStoresWhatSNMPSays() throws {
        try requireIntegration()
        let s = try AgentLab(tag: "cl", v4: 6, v6: 2)
        defer { s.shutdown() }
        let dir = Paths.temporaryDirectory("collectd")
        defer { Paths.removeTree(dir) }
        let blocks = try Self.blocks()
        try FileIO.write(dir + "/collectd.conf", """
            Hostname "mptcp-lab"
            FQDNLookup false
            BaseDir "\(dir)"
            PIDFile "\(dir)/collectd.pid"
            TypesDB "/usr/share/collectd/types.db"
            Interval 1
            LoadPlugin csv
            <Plugin csv>
              DataDir "\(dir)/csv"
              StoreRates false
            </Plugin>
            Include "\(Self.path)"
            <Plugin snmp>
              <Host "mptcp-lab">
                Address "\(s.snmpd.target)"
                Version 2
                Community "public"
                Interval 1
                Collect \(blocks.map { "\"\($0.name)\"" }.joined(separator: " "))
              </Host>
            </Plugin>

            """, createMode: 0o644)
        let check = try Command.run(["collectd", "-t", "-C", dir + "/collectd.conf"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let collectd = try Daemon(["collectd", "-f", "-C", dir + "/collectd.conf"], name: "collectd")
        defer { collectd.stop() }
        // The csv plugin writes DataDir/HOST/PLUGIN[-INSTANCE]/TYPE-TYPEINSTANCE-DATE: the last line is the last value.
        func stored() -> [String: Double] {
            var out: [String: Double] = [:]
            for plugin in ["snmp", "snmp-path"] {
                let d = "\(dir)/csv/mptcp-lab/\(plugin)"
                for file in (try? FileIO.entries(of: d)) ?? [] {
                    guard let last = (try? FileIO.readText(d + "/" + file))?.split(separator: "\n").last,
                          let value = last.split(separator: ",").last.flatMap({ Double($0) }) else { continue }
                    // gauge-connections-2026-12-05 -> gauge-connections
                    out[String(file.dropLast("-YYYY-MM-DD".count))] = value
                }
            }
            return out
        }
        // Every scalar, and every path column for each path row that has it (each Data block
        // is a file of its own, written when its read is done: wait for all of them).
        let paths = try s.tools.walk(MPTCPMIB.PathTable.subflows.oid.dotted).map { Array($0.oid[MPTCPMIB.PathTable.subflows.oid.count...]) }
        #expect(paths.count >= 3)
        func tableKey(_ b: Block, _ row: PrintedVarBind) -> String {
            "\(b.type)-\(b.name.dropFirst("mptcp_path_".count))-\(row.oid[b.oid.count...].map(String.init).joined(separator: "."))"
        }
        var expected = blocks.filter { !$0.table }.map { "\($0.type)-\(Self.typeInstance($0))" }
        for b in blocks where b.table { expected += try s.tools.walk(b.oid.dotted).map { tableKey(b, $0) } }
        var values: [String: Double] = [:]
        try waitUntil("collectd to store every figure", timeout: 30, interval: 0.5, detail: { "\(values.keys.sorted())" }) {
            values = stored()
            return expected.allSatisfy { values[$0] != nil }
        }
        // The lab is quiet: what collectd stored is what SNMP says now.
        for b in blocks {
            if b.table {
                for row in try s.tools.walk(b.oid.dotted) {
                    let key = tableKey(b, row)
                    #expect(values[key] == row.number.map { Double($0) }, "\(key): collectd \(values[key] ?? -1), snmpwalk \(row.value)")
                }
            } else {
                let key = "\(b.type)-\(Self.typeInstance(b))"
                let snmp = try s.tools.get([b.oid.dotted]).first?.number
                #expect(values[key] == snmp.map { Double($0) }, "\(key): collectd \(values[key] ?? -1), snmpget \(snmp ?? 0)")
            }
        }
    }

    /// The TypeInstance of a scalar block (the line after Table in the file).
    static func typeInstance(_ b: Block) -> String {
        b.object.hasPrefix("mptcpExt") ? String(b.object.dropFirst("mptcpExt".count)) : String(b.name.dropFirst("mptcp_".count))
    }
}
