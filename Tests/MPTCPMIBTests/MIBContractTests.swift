import MPTCPMIB
import MPTCPModel
import SMI
import Testing

/// The MIB text is the contract; the Swift definitions must say exactly the same.
@Suite("MPTCP-MIB text equals the Swift definitions")
struct MIBContractTests {
    static let mibPath: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/MIB/MPTCP-MIB.txt"
    }()

    let mib: SMIModule
    init() throws { mib = try SMIModule(path: Self.mibPath) }

    /// Tables and entries are OBJECT-TYPEs of the text without instances; everything else
    /// must be an object of the Swift definitions and vice versa.
    @Test func sameObjects() {
        let structural = Set(MPTCPMIB.tables.flatMap { [$0.name, $0.entryName] })
        let inText = Set(mib.objects.keys).subtracting(structural)
        let inSwift = Set(MPTCPMIB.objects.map(\.name))
        #expect(inText.subtracting(inSwift).isEmpty, "only in the MIB text: \(inText.subtracting(inSwift).sorted())")
        #expect(inSwift.subtracting(inText).isEmpty, "only in Swift: \(inSwift.subtracting(inText).sorted())")
        #expect(MPTCPMIB.Stats.all.count == 76)
    }

    @Test func sameOIDAccessUnitsAndSyntax() {
        for object in MPTCPMIB.objects {
            guard let text = mib.objects[object.name] else {
                Issue.record("\(object.name) missing from the MIB text")
                continue
            }
            #expect(text.oid == object.oid, "\(object.name): OID")
            #expect(text.access == object.access.rawValue, "\(object.name): MAX-ACCESS")
            #expect(text.units == object.units, "\(object.name): UNITS")
            #expect(text.syntax.typeName == object.syntax.typeName, "\(object.name): SYNTAX type")
            #expect(text.syntax.ranges == object.syntax.ranges, "\(object.name): range or size")
            if object.syntax.typeName == "BITS" || object.syntax.typeName == "INTEGER" {
                #expect(text.syntax.names == object.syntax.names, "\(object.name): labels")
            }
            // Textual conventions of this module: labels and ranges come from the TC.
            if let tc = mib.textualConventions[object.syntax.typeName] {
                #expect(tc.names == object.syntax.names, "\(object.name): labels of \(object.syntax.typeName)")
                #expect(tc.ranges == object.syntax.typeRanges.filter { _ in !tc.ranges.isEmpty },
                        "\(object.name): range of \(object.syntax.typeName)")
            }
        }
    }

    @Test func tablesHaveTheirIndexesAndColumns() throws {
        for table in MPTCPMIB.tables {
            let t = try #require(mib.objects[table.name])
            let entry = try #require(mib.objects[table.entryName])
            #expect(t.oid == table.oid && t.syntax.typeName == "SEQUENCE OF")
            #expect(entry.oid == table.entryOID)
            #expect(entry.index == table.indexes.map(\.name), "\(table.name): INDEX")
            let columns = mib.objects.values.filter { $0.oid.count == entry.oid.count + 1 && Array($0.oid.dropLast()) == entry.oid }
            #expect(columns.sorted { $0.oid.last! < $1.oid.last! }.map(\.name) == table.columns.map(\.name),
                    "\(table.name): columns")
        }
    }

    @Test func sameNotifications() throws {
        #expect(Set(mib.notifications.keys) == Set(MPTCPMIB.Notifications.all.map(\.name)))
        for n in MPTCPMIB.Notifications.all {
            let text = try #require(mib.notifications[n.name])
            #expect(text.oid == n.oid)
            #expect(text.objects == n.objects.map(\.name))
        }
    }

    /// The conformance groups of mptcpStats follow the kernel generations of the Swift
    /// definitions: each counter in the group of the release that introduced it.
    @Test func statsGroupsFollowKernelGenerations() throws {
        let stats = MPTCPMIB.Stats.self
        #expect(Set(stats.firstRelease.keys) == Set(stats.kernelNames))
        let releases = Set(stats.firstRelease.values)
        for release in releases {
            let group = try #require(mib.groups[stats.groupName(release: release)], "no group for Linux \(release)")
            let expected = stats.kernelNames.filter { stats.firstRelease[$0] == release }.map { "mptcpExt" + $0 }
            #expect(Set(group) == Set(expected), "Linux \(release)")
        }
        // Every readable object is in some group (smilint says the same, with the base modules).
        let grouped = Set(mib.groups.values.flatMap { $0 })
        for o in MPTCPMIB.objects where o.access != .notAccessible {
            #expect(grouped.contains(o.name), "\(o.name) is in no conformance group")
        }
    }

    @Test func moduleRoot() {
        #expect(mib.oids["mptcpMIB"] == MPTCPMIB.root)
        #expect(mib.oids["mptcpGeneral"] == MPTCPMIB.generalOID)
        #expect(mib.oids["mptcpStats"] == MPTCPMIB.statsOID)
    }

    /// MptcpFallbackCauses' DESCRIPTION pairs each bit's label with its MPTcpExt counter
    /// ("label  CounterName: ..."): the agent's table of counters must follow it bit by bit.
    @Test func fallbackCausesNameTheirCounters() throws {
        let lines = try SMIModule.read(Self.mibPath).split(separator: "\n")
        let start = try #require(lines.firstIndex { $0.hasPrefix("MptcpFallbackCauses ::= TEXTUAL-CONVENTION") })
        let end = try #require(lines[start...].firstIndex { $0.hasPrefix("    SYNTAX") })
        let labels = Syntax.mptcpFallbackCauses.names
        var described: [String: String] = [:]
        for line in lines[start..<end] {
            let words = line.split(separator: " ")
            guard words.count >= 2, labels.values.contains(String(words[0])), words[1].hasSuffix(":") else { continue }
            described[String(words[0])] = String(words[1].dropLast())
        }
        #expect(labels.count == FallbackCauses.counters.count && described.count == labels.count)
        for (bit, counter) in FallbackCauses.counters.enumerated() {
            let label = try #require(labels[Int64(bit)])
            #expect(described[label] == counter, "bit \(bit) \(label): the MIB says \(described[label] ?? "nothing"), the agent \(counter)")
            #expect(MPTCPMIB.Stats.kernelNames.contains(counter), "\(counter) is not an MPTcpExt counter")
        }
    }
}
