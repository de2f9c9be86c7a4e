import Foundation
import MPTCPMIB
import MPTCPModel
import Platform
import SMI
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - The YAML the template is written in

/// A YAML node of the block subset Zabbix exports and `contrib/zabbix/mptcp-mib-template.yaml`
/// is written in: mappings, `- ` sequences (items on the dash's line or below it), plain,
/// single- and double-quoted scalars, `|` and `|-` literal blocks, `#` comment lines. Anything
/// else (flow collections, anchors, folded blocks, trailing comments) is an error naming the
/// line, so the template cannot drift into YAML this reader would misread.
indirect enum YAML: Sendable {
    case scalar(String)
    case list([YAML])
    case map([YAMLEntry])

    subscript(key: String) -> YAML? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    var string: String? {
        if case .scalar(let s) = self { return s }
        return nil
    }

    var list: [YAML] {
        if case .list(let l) = self { return l }
        return []
    }

    /// Every value of `key` anywhere below this node.
    func all(_ key: String) -> [YAML] {
        switch self {
        case .scalar: return []
        case .list(let l): return l.flatMap { $0.all(key) }
        case .map(let entries): return entries.flatMap { ($0.key == key ? [$0.value] : []) + $0.value.all(key) }
        }
    }
}

struct YAMLEntry: Sendable {
    let key: String
    let value: YAML
}

struct YAMLError: Error, CustomStringConvertible {
    let description: String
}

struct YAMLReader {
    struct Line {
        let number: Int
        let indent: Int
        let text: Substring
        let raw: Substring
    }

    private var lines: [Line]
    private var i = 0

    static func parse(_ text: String) throws -> YAML {
        var reader = YAMLReader(text)
        reader.skipBlank()
        guard reader.i < reader.lines.count else { throw YAMLError(description: "empty document") }
        let node = try reader.node(indent: reader.lines[reader.i].indent)
        reader.skipBlank()
        if reader.i < reader.lines.count { throw reader.error("unexpected indentation") }
        return node
    }

    private init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { n, raw in
            let indent = raw.prefix { $0 == " " }.count
            return Line(number: n + 1, indent: indent, text: raw.dropFirst(indent), raw: raw)
        }
    }

    private func error(_ what: String) -> YAMLError {
        let line = i < lines.count ? lines[i] : lines[lines.count - 1]
        return YAMLError(description: "line \(line.number): \(what): \(line.raw)")
    }

    private mutating func skipBlank() {
        while i < lines.count && (lines[i].text.isEmpty || lines[i].text.hasPrefix("#")) { i += 1 }
    }

    private static func isItem(_ t: Substring) -> Bool { t == "-" || t.hasPrefix("- ") }

    private mutating func node(indent: Int) throws -> YAML {
        skipBlank()
        guard i < lines.count, lines[i].indent == indent else { throw error("expected a node at indentation \(indent)") }
        if lines[i].text.contains("\t") { throw error("tab") }
        return Self.isItem(lines[i].text) ? try sequence(indent) : try mapping(indent)
    }

    /// `key: rest` with a plain key.
    private static func split(_ t: Substring) -> (String, Substring)? {
        guard let colon = t.firstIndex(of: ":") else { return nil }
        let key = t[..<colon]
        guard let first = key.first, first.isLetter || first == "_",
              key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
        let rest = t[t.index(after: colon)...]
        guard rest.isEmpty || rest.first == " " else { return nil }
        return (String(key), rest.drop { $0 == " " })
    }

    private mutating func sequence(_ indent: Int) throws -> YAML {
        var items: [YAML] = []
        while true {
            skipBlank()
            guard i < lines.count, lines[i].indent == indent, Self.isItem(lines[i].text) else { break }
            let rest = lines[i].text.dropFirst(1).drop { $0 == " " }
            if rest.isEmpty {
                i += 1
                skipBlank()
                guard i < lines.count, lines[i].indent > indent else { throw error("empty sequence item") }
                items.append(try node(indent: lines[i].indent))
            } else if Self.split(rest) != nil {
                // A mapping that starts on the dash's line: read that line as if the dash were a space.
                let inner = indent + (lines[i].text.count - rest.count)
                lines[i] = Line(number: lines[i].number, indent: inner, text: rest, raw: lines[i].raw)
                items.append(try mapping(inner))
            } else if rest == "|" || rest == "|-" {
                i += 1
                items.append(.scalar(literal(parent: indent, keepNewline: rest == "|")))
            } else {
                items.append(.scalar(try scalar(rest)))
                i += 1
            }
        }
        return .list(items)
    }

    private mutating func mapping(_ indent: Int) throws -> YAML {
        var entries: [YAMLEntry] = []
        while true {
            skipBlank()
            guard i < lines.count, lines[i].indent == indent, !Self.isItem(lines[i].text) else { break }
            guard let (key, rest) = Self.split(lines[i].text) else { throw error("expected 'key: value'") }
            if entries.contains(where: { $0.key == key }) { throw error("duplicate key \(key)") }
            if rest.isEmpty {
                i += 1
                skipBlank()
                if i < lines.count && (lines[i].indent > indent || (lines[i].indent == indent && Self.isItem(lines[i].text))) {
                    entries.append(YAMLEntry(key: key, value: try node(indent: lines[i].indent)))
                } else {
                    entries.append(YAMLEntry(key: key, value: .scalar("")))
                }
            } else if rest == "|" || rest == "|-" {
                i += 1
                entries.append(YAMLEntry(key: key, value: .scalar(literal(parent: indent, keepNewline: rest == "|"))))
            } else {
                entries.append(YAMLEntry(key: key, value: .scalar(try scalar(rest))))
                i += 1
            }
        }
        return .map(entries)
    }

    /// The lines indented deeper than `parent` (and blank lines among them), without the
    /// block's indentation; `|` keeps one final newline, `|-` none.
    private mutating func literal(parent: Int, keepNewline: Bool) -> String {
        var body: [Substring] = []
        var blockIndent: Int?
        while i < lines.count && (lines[i].text.isEmpty || lines[i].indent > parent) {
            if !lines[i].text.isEmpty && blockIndent == nil { blockIndent = lines[i].indent }
            body.append(lines[i].text.isEmpty ? "" : lines[i].raw.dropFirst(min(blockIndent ?? 0, lines[i].indent)))
            i += 1
        }
        while body.last == "" { body.removeLast() }
        return body.joined(separator: "\n") + (keepNewline && !body.isEmpty ? "\n" : "")
    }

    private func scalar(_ t: Substring) throws -> String {
        if t.hasPrefix("'") {
            guard t.count >= 2, t.hasSuffix("'") else { throw error("unterminated quote") }
            let inner = t.dropFirst().dropLast()
            if inner.replacing("''", with: "").contains("'") { throw error("text after a closing quote") }
            return String(inner).replacing("''", with: "'")
        }
        if t.hasPrefix("\"") {
            guard t.count >= 2, t.hasSuffix("\"") else { throw error("unterminated quote") }
            var out = "", escaped = false
            for c in t.dropFirst().dropLast() {
                if escaped {
                    switch c {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\\", "\"", "/": out.append(c)
                    default: throw error("unsupported escape \\\(c)")
                    }
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else {
                    out.append(c)
                }
            }
            return out
        }
        if let first = t.first, "[{&*!>%@`".contains(first) { throw error("unsupported YAML") }
        if t.contains(" #") { throw error("trailing comment") }
        var s = t
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

// MARK: - The template, read and checked against MPTCP-MIB

/// `contrib/zabbix/mptcp-mib-template.yaml`, read with `YAMLReader`: the template "MPTCP-MIB by
/// SNMP" and, apart, "MPTCP-MIB traps fallback by SNMP" with snmptrap.fallback alone (Generic by
/// SNMP has that key too, and a host cannot have it twice).
struct ZabbixTemplate {
    static let name = "MPTCP-MIB by SNMP"
    static let fallbackName = "MPTCP-MIB traps fallback by SNMP"
    static let directory = Paths.packageRoot + "/contrib/zabbix"
    static var path: String { directory + "/mptcp-mib-template.yaml" }

    let root: YAML
    let template: YAML
    let fallback: YAML

    init(_ text: String) throws {
        root = try YAMLReader.parse(text)
        let templates = root["zabbix_export"]?["templates"]?.list ?? []
        guard let t = templates.first(where: { $0["template"]?.string == Self.name }),
              let f = templates.first(where: { $0["template"]?.string == Self.fallbackName }) else {
            throw YAMLError(description: "no template \(Self.name) and \(Self.fallbackName)")
        }
        template = t
        fallback = f
    }

    var items: [YAML] { template["items"]?.list ?? [] }
    var rules: [YAML] { template["discovery_rules"]?.list ?? [] }
    var prototypes: [YAML] { rules.flatMap { $0["item_prototypes"]?.list ?? [] } }
    /// Triggers and trigger prototypes, wherever they are written (on an item or at the top).
    var triggers: [YAML] {
        (items.flatMap { $0["triggers"]?.list ?? [] }) + (root["zabbix_export"]?["triggers"]?.list ?? [])
            + prototypes.flatMap { $0["trigger_prototypes"]?.list ?? [] } + rules.flatMap { $0["trigger_prototypes"]?.list ?? [] }
    }
    var graphs: [YAML] { (root["zabbix_export"]?["graphs"]?.list ?? []) + rules.flatMap { $0["graph_prototypes"]?.list ?? [] } }
    var macros: [String: String] {
        Dictionary((template["macros"]?.list ?? []).map { ($0["macro"]?.string ?? "", $0["value"]?.string ?? "") }) { a, _ in a }
    }

    static func preprocessing(_ item: YAML) -> [String] { (item["preprocessing"]?.list ?? []).compactMap { $0["type"]?.string } }

    /// `discovery[{#A},oid,{#B},oid]` -> [(macro, OID)].
    static func discoveryColumns(_ snmpOID: String) -> [(String, OID)]? {
        guard snmpOID.hasPrefix("discovery["), snmpOID.hasSuffix("]") else { return nil }
        let parts = snmpOID.dropFirst("discovery[".count).dropLast().split(separator: ",").map(String.init)
        guard parts.count % 2 == 0, !parts.isEmpty else { return nil }
        return stride(from: 0, to: parts.count, by: 2).compactMap { i in numericOID(parts[i + 1]).map { (parts[i], $0) } }
    }

    static func numericOID(_ text: String) -> OID? {
        let t = text.hasPrefix(".") ? String(text.dropFirst()) : text
        let parts = t.split(separator: ".", omittingEmptySubsequences: false)
        let oid = parts.compactMap { UInt32($0) }
        return oid.count == parts.count && !oid.isEmpty ? oid : nil
    }

    /// The regex of `snmptrap["regex"]` (a quoted key parameter: only \" is an escape).
    static func trapRegex(_ key: String) -> String? {
        guard key.hasPrefix("snmptrap[\""), key.hasSuffix("\"]") else { return nil }
        return String(key.dropFirst("snmptrap[\"".count).dropLast(2)).replacing("\\\"", with: "\"")
    }

    /// The item keys a trigger expression or formula names after `/host/` (or `//`).
    static func referencedKeys(_ expression: String, host: String) -> [String] {
        var keys: [String] = []
        for marker in ["/\(host)/", "(//"] {
            var rest = Substring(expression)
            while let r = rest.firstRange(of: marker) {
                rest = rest[r.upperBound...]
                var key = "", depth = 0, quoted = false
                var previous: Character = " "
                for c in rest {
                    if quoted {
                        if c == "\"" && previous != "\\" { quoted = false }
                    } else if c == "\"" {
                        quoted = true
                    } else if c == "[" {
                        depth += 1
                    } else if c == "]" {
                        depth -= 1
                    } else if depth == 0 && (c == "," || c == ")") {
                        break
                    }
                    key.append(c)
                    previous = c
                }
                keys.append(key)
            }
        }
        return keys
    }

    /// `{$NAME}` and `{$NAME:"context"}` -> NAME with braces, `{$NAME}`.
    static func macroNames(_ text: String) -> [String] {
        var out: [String] = []
        var rest = Substring(text)
        while let r = rest.firstRange(of: "{$") {
            rest = rest[r.lowerBound...]
            guard let end = rest.firstIndex(where: { $0 == "}" || $0 == ":" }) else { break }
            out.append(String(rest[..<end]) + "}")
            rest = rest[end...]
        }
        return out
    }

    /// The enumerations value maps may stand for, by the name of their type.
    static let enumerations: [String: Syntax] = Dictionary(uniqueKeysWithValues: [
        Syntax.truthValue, .rowStatus, .storageType, .inetAddressType, .mptcpTcpState, .mptcpResetReason,
        .mptcpLimitingFactor, .mptcpCloseReason, .mptcpEventKind,
    ].map { ($0.typeName, $0) })

    /// Tables whose size grows with the traffic: the template must not poll them.
    static let perConnectionTables: [MIBTable] = [
        MPTCPMIB.ConnectionTable.table, MPTCPMIB.SubflowTable.table, MPTCPMIB.RemoteAddressTable.table,
        MPTCPMIB.EventLogTable.table,
    ]

    /// The MPTcpExt counters issue 23 asks for, and the host figures.
    static let requiredCounters = [
        "MPJoinSynRx", "MPJoinSynTx", "MPJoinSynAckRx", "MPJoinAckRx", "MPJoinNoTokenFound", "MPJoinSynAckHMacFailure",
        "MPJoinAckHMacFailure", "MPJoinRejected", "MPCapableFallbackACK", "MPCapableFallbackSYNACK", "MPFailRx", "MPFailTx",
        "DataCsumErr", "AddAddrDrop", "Blackhole", "MPRstTx", "MPRstRx", "RmSubflow",
    ]
    static let requiredScalars: [MIBObject] = {
        typealias G = MPTCPMIB.General
        return [G.enabled, G.currentConnections, G.currentSubflows, G.connectionsOneSubflow, G.connectionsTwoSubflows,
                G.connectionsMoreSubflows, G.connectionsFallback, G.statsDiscontinuityTime]
    }()
    static let requiredPathColumns: [MIBObject] = {
        typealias P = MPTCPMIB.PathTable
        return [P.subflows, P.established, P.active, P.backup, P.connections, P.bytesSent, P.bytesReceived, P.rttMean,
                P.lossEstimate, P.minRtt, P.deliveryRate, P.sendShare, P.opened, P.closed, P.failed, P.lastCloseReason]
    }()

    /// A trap as the handler writes it for Zabbix (after the ZBXTRAP line), or as snmptrapd prints
    /// it when it loads MPTCP-MIB.
    static func sampleTraps(_ n: MIBNotification) -> [String] {
        ["20261205.120133 .1.3.6.1.2.1.1.3.0 0:0:00:44.67\n.1.3.6.1.6.3.1.1.4.1.0 .\(n.oid.dotted)\n"
            + ".\(MPTCPMIB.NotificationObjects.side.oid.dotted).0 1",
         "20261205.120133 .1.3.6.1.2.1.1.3.0 0:0:00:44.67\n.1.3.6.1.6.3.1.1.4.1.0 .\(n.oid.dotted)",
         "20261205.120133 DISMAN-EVENT-MIB::sysUpTimeInstance 0:0:00:44.67\nSNMPv2-MIB::snmpTrapOID.0 MPTCP-MIB::\(n.name)\n"]
    }

    /// What is wrong with the template text; empty when nothing is.
    static func problems(in text: String) -> [String] {
        var p: [String] = []
        let t: ZabbixTemplate
        do { t = try ZabbixTemplate(text) } catch { return ["cannot read the template: \(error)"] }
        let export = t.root["zabbix_export"]
        if export?["version"]?.string != "6.0" { p.append("version is not '6.0'") }
        if export?["templates"]?.list.count != 2 || t.template["name"]?.string != name || t.fallback["name"]?.string != fallbackName {
            p.append("not two templates, \(name) and \(fallbackName)")
        }
        let fallbackItems = t.fallback["items"]?.list ?? []
        if fallbackItems.count != 1 || fallbackItems.first?["key"]?.string != "snmptrap.fallback"
            || fallbackItems.first?["type"]?.string != "SNMP_TRAP" || fallbackItems.first?["value_type"]?.string != "LOG" {
            p.append("\(fallbackName) must hold snmptrap.fallback (SNMP_TRAP, LOG) and nothing else")
        }
        if t.template.all("key").contains(where: { $0.string == "snmptrap.fallback" }) {
            p.append("\(name) has snmptrap.fallback: it could not be linked next to Generic by SNMP")
        }

        // UUIDs: 32 hex digits, version 4, variant 10xx, each once.
        let uuids = t.root.all("uuid").compactMap(\.string)
        for u in uuids {
            let c = Array(u)
            if c.count != 32 || !u.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) || c[12] != "4" || !"89ab".contains(c[16]) {
                p.append("uuid \(u) is not a valid version 4 UUID")
            }
        }
        for (u, n) in Dictionary(uuids.map { ($0, 1) }, uniquingKeysWith: +) where n > 1 { p.append("uuid \(u) is used \(n) times") }

        // Value maps: each is one of the MIB's enumerations, names and numbers.
        var valueMaps: [String: Syntax] = [:]
        for map in t.template["valuemaps"]?.list ?? [] {
            let mapName = map["name"]?.string ?? "?"
            guard let tc = mapName.split(separator: "::").last, let syntax = enumerations[String(tc)] else {
                p.append("value map \(mapName) is not named after an enumeration of the MIB")
                continue
            }
            var mappings: [Int64: String] = [:]
            for m in map["mappings"]?.list ?? [] {
                guard let v = m["value"]?.string.flatMap({ Int64($0) }), let n = m["newvalue"]?.string else {
                    p.append("value map \(mapName): a mapping is not number -> name")
                    continue
                }
                mappings[v] = n
            }
            if mappings != syntax.names { p.append("value map \(mapName) is \(mappings.sorted { $0.key < $1.key }), the MIB's \(syntax.labelList(numbered: true))") }
            valueMaps[mapName] = syntax
        }

        var keys: Set<String> = []
        func check(_ item: YAML, table: MIBTable?) {
            let key = item["key"]?.string ?? "?"
            if !keys.insert(key).inserted { p.append("key \(key) is used twice") }
            let type = item["type"]?.string ?? "ZABBIX_PASSIVE"
            let steps = preprocessing(item)
            if type != "SNMP_AGENT" {
                if steps.contains("CHANGE_PER_SECOND") { p.append("\(key): change per second on a \(type) item") }
                return
            }
            let text = item["snmp_oid"]?.string ?? ""
            var oidText = text
            if table != nil {
                guard text.hasSuffix(".{#SNMPINDEX}") else { return p.append("\(key): prototype OID \(text) does not end in .{#SNMPINDEX}") }
                oidText = String(text.dropLast(".{#SNMPINDEX}".count))
            }
            guard let oid = numericOID(oidText), let (object, instance) = MPTCPMIB.object(containing: oid) else {
                return p.append("\(key): \(text) names no object of MPTCP-MIB")
            }
            if let table {
                if !instance.isEmpty || !table.columns.contains(object) { p.append("\(key): \(text) is not a column of \(table.name)") }
            } else if Array(instance) != [0] || MPTCPMIB.table(of: object) != nil {
                p.append("\(key): \(text) is not a scalar instance (.0)")
            }
            if !object.access.isReadable { p.append("\(key): \(object.name) is \(object.access.rawValue)") }
            if let owner = MPTCPMIB.table(of: object), perConnectionTables.contains(owner) {
                p.append("\(key): \(object.name) is in \(owner.name), whose size grows with the connections")
            }
            let description = item["description"]?.string ?? ""
            if description.split(separator: "\n").first.map(String.init) != "MPTCP-MIB::\(object.name)" {
                p.append("\(key): the description's first line is not MPTCP-MIB::\(object.name)")
            }
            let syntax = object.syntax
            let isCounter = syntax.type == .counter32 || syntax.type == .counter64
            if steps.contains("CHANGE_PER_SECOND") != isCounter {
                p.append("\(key): \(object.name) is \(syntax.typeName) but change per second is \(isCounter ? "missing" : "applied")")
            }
            let valueType = item["value_type"]?.string ?? "UNSIGNED"
            if isCounter && valueType != "FLOAT" { p.append("\(key): a rate must be FLOAT") }
            switch syntax.encoding {
            case .octets, .bits:
                if valueType != "CHAR" && valueType != "TEXT" { p.append("\(key): \(syntax.typeName) stored as \(valueType)") }
            default:
                if valueType != "UNSIGNED" && valueType != "FLOAT" { p.append("\(key): \(syntax.typeName) stored as \(valueType)") }
            }
            let valueMap = item["valuemap"]?["name"]?.string
            if syntax.encoding == .integer && !syntax.names.isEmpty {
                if valueMap == nil { p.append("\(key): \(object.name) is an enumeration (\(syntax.typeName)) without a value map") }
            }
            if let valueMap {
                if let mapped = valueMaps[valueMap] {
                    if mapped.typeName != syntax.typeName { p.append("\(key): value map \(valueMap) on a \(syntax.typeName) object") }
                } else {
                    p.append("\(key): value map \(valueMap) is not in the template")
                }
            }
            if syntax.encoding == .bits {
                // The JavaScript step names the bits in order.
                let script = (item["preprocessing"]?.list ?? []).first { $0["type"]?.string == "JAVASCRIPT" }?["parameters"]?.list.first?.string ?? ""
                let names = syntax.names.sorted { $0.key < $1.key }.map { "'\($0.value)'" }.joined(separator: ", ")
                if !script.contains("var names = [\(names)];") || syntax.names.keys.sorted() != Array(0..<Int64(syntax.names.count)) {
                    p.append("\(key): the JavaScript step does not name the bits of \(object.name) in order (\(names))")
                }
            }
            if let kernel = key.firstRange(of: "mptcp.ext.rate[").map({ String(key[$0.upperBound...].dropLast()) }),
               MPTCPMIB.Stats.kernelName(of: object) != kernel {
                p.append("\(key) polls \(object.name)")
            }
        }
        for item in t.items { check(item, table: nil) }
        for rule in t.rules {
            let key = rule["key"]?.string ?? "?"
            keys.insert(key)
            guard let columns = discoveryColumns(rule["snmp_oid"]?.string ?? ""), !columns.isEmpty else {
                p.append("\(key): snmp_oid is not discovery[{#MACRO},OID,...]")
                continue
            }
            var tables: Set<MIBTable> = []
            for (macro, oid) in columns {
                guard let (object, instance) = MPTCPMIB.object(containing: oid), instance.isEmpty,
                      let table = MPTCPMIB.table(of: object), object.access.isReadable else {
                    p.append("\(key): \(macro) \(oid.dotted) is not a readable column of MPTCP-MIB")
                    continue
                }
                tables.insert(table)
            }
            guard tables.count == 1, let table = tables.first else {
                p.append("\(key): its columns are not of one table")
                continue
            }
            if perConnectionTables.contains(table) { p.append("\(key) walks \(table.name)") }
            for proto in rule["item_prototypes"]?.list ?? [] { check(proto, table: table) }
        }

        // Every notification: one trap item whose regex matches it and no other.
        let notifications = MPTCPMIB.Notifications.all
        let trapItems = t.items.filter { $0["type"]?.string == "SNMP_TRAP" }
        var matched: Set<String> = []
        for item in trapItems {
            let key = item["key"]?.string ?? "?"
            if item["value_type"]?.string != "LOG" { p.append("\(key): a trap item must be LOG") }
            guard let pattern = trapRegex(key), let regex = try? Regex(pattern) else {
                p.append("\(key): not snmptrap[\"regex\"] with a valid regex")
                continue
            }
            let hits = notifications.filter { n in sampleTraps(n).allSatisfy { $0.contains(regex) } }
            let partial = notifications.filter { n in sampleTraps(n).contains { $0.contains(regex) } }
            guard hits.count == 1, partial.count == 1, let n = hits.first else {
                p.append("\(key) matches \(partial.map(\.name)) (each form of exactly one notification expected)")
                continue
            }
            if !matched.insert(n.name).inserted { p.append("two trap items for \(n.name)") }
            if !(item["description"]?.string ?? "").hasPrefix("MPTCP-MIB::\(n.name) (\(n.oid.dotted))") {
                p.append("\(key): the description does not start with MPTCP-MIB::\(n.name) (\(n.oid.dotted))")
            }
        }
        for n in notifications where !matched.contains(n.name) { p.append("no trap item for \(n.name) (\(n.oid.dotted))") }

        // Triggers, calculated items and graphs name existing items; macros exist.
        let defined = Set(t.macros.keys)
        var triggerNames: [String] = []
        for trigger in t.triggers {
            let name = trigger["name"]?.string ?? "?"
            triggerNames.append(name)
            for field in ["expression", "recovery_expression"] {
                guard let expression = trigger[field]?.string else { continue }
                let named = referencedKeys(expression, host: Self.name)
                if named.isEmpty && field == "expression" { p.append("trigger \(name): its expression names no item of \(Self.name)") }
                for key in named where !keys.contains(key) { p.append("trigger \(name) names \(key), which the template does not have") }
            }
        }
        for (name, n) in Dictionary(triggerNames.map { ($0, 1) }, uniquingKeysWith: +) where n > 1 { p.append("trigger \(name) is defined \(n) times") }
        for item in t.items where item["type"]?.string == "CALCULATED" {
            for key in referencedKeys(item["params"]?.string ?? "", host: Self.name) where !keys.contains(key) {
                p.append("\(item["key"]?.string ?? "?") computes from \(key), which the template does not have")
            }
        }
        for graph in t.graphs {
            for gi in graph["graph_items"]?.list ?? [] {
                let key = gi["item"]?["key"]?.string ?? "?"
                if gi["item"]?["host"]?.string != Self.name || !keys.contains(key) { p.append("graph \(graph["name"]?.string ?? "?") draws \(key)") }
            }
        }
        for text in t.root.all("expression").compactMap(\.string) + t.root.all("recovery_expression").compactMap(\.string)
            + t.root.all("delay").compactMap(\.string) + t.root.all("value").compactMap(\.string) + t.root.all("history").compactMap(\.string)
            + t.root.all("lifetime").compactMap(\.string) {
            for macro in macroNames(text) where !defined.contains(macro) && macro != "{$SNMP_COMMUNITY}" {
                p.append("macro \(macro) is used but not defined")
            }
        }

        // What the template is for.
        for name in requiredCounters {
            let object = MPTCPMIB.Stats.object(kernelName: name)!
            if !t.items.contains(where: { $0["snmp_oid"]?.string == (object.oid + [0]).dotted }) { p.append("no item polls \(object.name)") }
        }
        for object in requiredScalars where !t.items.contains(where: { $0["snmp_oid"]?.string == (object.oid + [0]).dotted }) {
            p.append("no item polls \(object.name)")
        }
        for object in requiredPathColumns where !t.prototypes.contains(where: { $0["snmp_oid"]?.string == object.oid.dotted + ".{#SNMPINDEX}" }) {
            p.append("no item prototype polls \(object.name)")
        }
        for table in [MPTCPMIB.PathTable.table, MPTCPMIB.EndpointTable.table, MPTCPMIB.ListenerTable.table] {
            let discovered = t.rules.contains { rule in
                (discoveryColumns(rule["snmp_oid"]?.string ?? "") ?? []).contains { table.columns.map(\.oid).contains($0.1) }
            }
            if !discovered { p.append("no discovery of \(table.name)") }
        }
        if t.rules.contains(where: { ($0["graph_prototypes"]?.list ?? []).isEmpty && $0["key"]?.string == "mptcp.path.discovery" }) {
            p.append("no graph prototypes for the paths")
        }
        return p
    }
}

// MARK: - The Zabbix API

struct ZabbixError: Error, CustomStringConvertible {
    let description: String
}

/// Zabbix 6.0's JSON-RPC API through curl; the session token goes in the request's `auth`
/// member (6.0 does not take `Authorization: Bearer`).
final class ZabbixAPI {
    let url: String
    private var token: String?

    init(url: String) { self.url = url }

    @discardableResult
    func call(_ method: String, _ params: Any) throws -> Any {
        var body: [String: Any] = ["jsonrpc": "2.0", "method": method, "params": params, "id": 1]
        if let token { body["auth"] = token }
        let request = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let r = try Command.run(["curl", "-sS", "--max-time", "120", "-H", "Content-Type: application/json-rpc",
                                 "--data-binary", "@-", url], timeout: 130, stdin: request)
        guard r.status == 0 else { throw ZabbixError(description: "\(method): curl exited \(r.status): \(r.stderr)") }
        guard let answer = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw ZabbixError(description: "\(method): not JSON-RPC: \(r.stdout.prefix(500))")
        }
        if let error = answer["error"] as? [String: Any] {
            throw ZabbixError(description: "\(method): \(error["message"] ?? "") \(error["data"] ?? "")")
        }
        guard let result = answer["result"] else { throw ZabbixError(description: "\(method): no result") }
        return result
    }

    func rows(_ method: String, _ params: Any) throws -> [[String: Any]] {
        guard let rows = try call(method, params) as? [[String: Any]] else { throw ZabbixError(description: "\(method): not a list") }
        return rows
    }

    func login() throws {
        token = try call("user.login", ["username": "Admin", "password": "zabbix"]) as? String
    }

    /// configuration.import with rules that create and update everything the template has.
    func importTemplate(_ yaml: String) throws -> Any {
        let all: [String: Bool] = ["createMissing": true, "updateExisting": true, "deleteMissing": true]
        return try call("configuration.import", ["format": "yaml", "source": yaml, "rules": [
            "groups": ["createMissing": true], "templates": ["createMissing": true, "updateExisting": true],
            "items": all, "discoveryRules": all, "triggers": all, "graphs": all, "valueMaps": all,
            "templateLinkage": ["createMissing": true],
        ]])
    }
}

extension Dictionary where Key == String, Value == Any {
    func text(_ key: String) -> String { self[key] as? String ?? "" }
}

// MARK: - Tests

/// contrib/zabbix: the template checked against MPTCP-MIB (fast, no Zabbix), then run end to end
/// in the real Zabbix 6.0 of Debian 12 (integration).
@Suite("Zabbix 6.0: the template against MPTCP-MIB, and end to end", .serialized)
struct ZabbixTests {
    @Test("Every OID is a readable object of MPTCP-MIB, value maps are its enumerations, rates only on counters, UUIDs valid and unique")
    func templateMatchesMIB() throws {
        let text = try FileIO.readText(ZabbixTemplate.path)
        let problems = ZabbixTemplate.problems(in: text)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        let t = try ZabbixTemplate(text)
        #expect(t.items.count > 60 && t.prototypes.count > 25 && t.triggers.count >= 15, "\(t.items.count) items, \(t.prototypes.count) prototypes, \(t.triggers.count) triggers")
        // Zabbix reads the quoted key parameter and the regex as written here.
        let trap = t.items.first { $0["key"]?.string?.contains("8684\\.0\\.10|") == true }?["key"]?.string
        #expect(trap == #"snmptrap["(\.1\.3\.6\.1\.3\.8684\.0\.10|MPTCP-MIB::mptcpBlackholeDetected)(\s|$)"]"#)
    }

    @Test("The check catches a wrong OID, a wrong value map, a rate on a gauge, a duplicated UUID, a per-connection column")
    func checkCatchesMistakes() throws {
        let text = try FileIO.readText(ZabbixTemplate.path)
        let mutations: [(String, String, String)] = [
            ("snmp_oid: 1.3.6.1.3.8684.1.1.15.0", "snmp_oid: 1.3.6.1.3.8684.1.1.99.0", "1.3.6.1.3.8684.1.1.99.0 names no object"),
            ("newvalue: aborted", "newvalue: abort", "value map MPTCP-MIB::MptcpCloseReason"),
            ("snmp_oid: '1.3.6.1.3.8684.1.9.1.7.{#SNMPINDEX}'", "snmp_oid: '1.3.6.1.3.8684.1.9.1.17.{#SNMPINDEX}'", "mptcpPathSubflowsClosed is Counter64 but change per second is missing"),
            ("snmp_oid: '1.3.6.1.3.8684.1.9.1.6.{#SNMPINDEX}'", "snmp_oid: '1.3.6.1.3.8684.1.5.1.14.{#SNMPINDEX}'", "is not a column of mptcpPathTable"),
            ("8684\\.0\\.4|", "8684\\.0\\.5|", "no trap item for mptcpSubflowClosed"),
            ("{$MPTCP.PATH.RTT.MAX:", "{$MPTCP.PATH.RTT.MAXIMUM:", "macro {$MPTCP.PATH.RTT.MAXIMUM} is used but not defined"),
            ("key: 'mptcp.path.loss[{#SNMPINDEX}]'", "key: 'mptcp.path.lost[{#SNMPINDEX}]'", "names mptcp.path.loss[{#SNMPINDEX}], which the template does not have"),
        ]
        for (from, to, expected) in mutations {
            #expect(text.contains(from), "the template no longer has '\(from)'")
            let problems = ZabbixTemplate.problems(in: text.replacing(from, with: to))
            #expect(problems.contains { $0.contains(expected) }, "\(from) -> \(to): \(problems)")
        }
        // UUIDs: one used twice, one that is not version 4.
        let t = try ZabbixTemplate(text)
        let first = try #require(t.template["uuid"]?.string), second = try #require(t.items.first?["uuid"]?.string)
        #expect(ZabbixTemplate.problems(in: text.replacing(second, with: first)).contains { $0.contains("uuid \(first) is used 2 times") })
        let notV4 = String(first.prefix(12)) + "1" + String(first.dropFirst(13))
        #expect(ZabbixTemplate.problems(in: text.replacing(first, with: notV4)).contains { $0.contains("uuid \(notV4) is not a valid version 4 UUID") })
    }

    @Test("The README describes every trigger; the trap handler and the lab script are where the README says")
    func documentation() throws {
        let readme = try FileIO.readText(ZabbixTemplate.directory + "/README.md")
        let t = try ZabbixTemplate(try FileIO.readText(ZabbixTemplate.path))
        for name in Set(t.triggers.compactMap { $0["name"]?.string }) {
            #expect(readme.contains("| \(name) |"), "README.md does not describe the trigger '\(name)'")
        }
        for macro in t.macros.keys { #expect(readme.contains(macro), "README.md does not list \(macro)") }
        #expect(access(ZabbixTemplate.directory + "/zabbix-trap-handler.sh", R_OK) == 0)
        #expect(access(Paths.script("zabbix-lab"), X_OK) == 0)
    }

    typealias P = MPTCPMIB.PathTable

    static let configPHP = "/etc/zabbix/zabbix.conf.php"

    /// `KEY=VALUE` lines.
    static func environment(_ text: String) -> [String: String] {
        Dictionary(text.split(separator: "\n").compactMap { line -> (String, String)? in
            guard let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<eq]), String(line[line.index(after: eq)...]))
        }) { a, _ in a }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// snmpget of many OIDs, a few dozen per request.
    static func get(_ tools: SNMPTools, _ oids: [String]) throws -> [String: PrintedVarBind] {
        var out: [String: PrintedVarBind] = [:]
        for start in stride(from: 0, to: oids.count, by: 40) {
            for vb in try tools.get(Array(oids[start..<min(oids.count, start + 40)])) { out[vb.oid.dotted] = vb }
        }
        return out
    }

    /// What Zabbix should hold for an SNMP item, from snmpget of its OID and the item's stored
    /// preprocessing (1 multiplier, 10 change per second, 21 JavaScript, 26 check for not supported).
    enum Expected {
        case absent
        case rate
        case number(Double)
        case text(String)
    }

    static func expected(_ vb: PrintedVarBind, steps: [[String: Any]], valueType: String) -> Expected? {
        if vb.type.hasPrefix("noSuch") || vb.type == "endOfMibView" { return .absent }
        let types = steps.map { $0.text("type") }
        if types.contains("10") { return .rate }
        if valueType == "1" || valueType == "4" {
            guard let octets = vb.octets else { return nil }
            if types.contains("21") {
                let names = MPTCPMIB.EndpointTable.flagBits.names
                let set = (0..<Int64(octets.count * 8)).filter { bit in
                    names[bit] != nil && octets[Int(bit / 8)] & (0x80 >> UInt8(bit % 8)) != 0
                }
                return .text(set.compactMap { names[$0] }.joined(separator: ","))
            }
            return .text(String(decoding: octets, as: UTF8.self))
        }
        guard let n = vb.number else { return nil }
        var value = Double(n)
        for step in steps where step.text("type") == "1" { value *= Double(step.text("params")) ?? .nan }
        return .number(value)
    }

    @Test("The template imports, discovers the agent's paths, endpoints and listeners, polls what snmpget reads, rates add up, traps arrive, triggers fire",
          .enabled(if: IntegrationEnvironment.shouldRun))
    func endToEnd() throws {
        try requireIntegration()
        let started = MonotonicClock.now
        var timings: [String] = []
        func lap(_ what: String) { timings.append("\(what) \(String(format: "%.1f", MonotonicClock.now - started)) s") }
        #expect(access(Self.configPHP, F_OK) != 0, "\(Self.configPHP) exists: the lab must not depend on it")

        let dir = Paths.temporaryDirectory("zbx")
        defer {
            _ = try? Command.run([Paths.script("zabbix-lab"), "down", dir], timeout: 120)
            Paths.removeTree(dir)
            #expect(access(Self.configPHP, F_OK) != 0, "\(Self.configPHP) is left behind")
        }
        let lab = Self.environment(try Command.check([Paths.script("zabbix-lab"), "up", dir], timeout: 300))
        let api = ZabbixAPI(url: try #require(lab["ZABBIX_API"]))
        let serverConf = try #require(lab["ZABBIX_SERVER_CONF"]), trapTarget = try #require(lab["ZABBIX_TRAP_TARGET"])
        #expect(access(Self.configPHP, F_OK) != 0, "the frontend's configuration went to the real /etc")
        lap("Zabbix up")

        // The agent, with connectionEstablished notifications to the lab's snmptrapd.
        let s = try AgentLab(tag: "zb", v4: 4, v6: 2, agentArguments: ["--notifications", "connectionEstablished"],
                             snmpdConfiguration: "trap2sink \(trapTarget) public")
        defer { s.shutdown() }
        lap("MPTCP lab up")

        let version = try api.call("apiinfo.version", [String: Any]()) as? String ?? ""
        #expect(version.hasPrefix("6.0."), "Zabbix API \(version)")
        try api.login()
        let yaml = try FileIO.readText(ZabbixTemplate.path)
        let file = try ZabbixTemplate(yaml)
        // A broken copy is refused as a whole, with the reason; nothing of it is created.
        let broken = yaml.replacing("type: SNMP_AGENT\n", with: "type: SNMP_AGENTX\n", maxReplacements: 1)
            .replacing(ZabbixTemplate.name, with: "MPTCP-MIB broken copy")
        do {
            _ = try api.importTemplate(broken)
            Issue.record("the broken template was imported")
        } catch let error as ZabbixError {
            #expect(error.description.contains("unexpected constant \"SNMP_AGENTX\""), "\(error)")
        }
        #expect(try api.rows("template.get", ["output": ["host"], "filter": ["host": "MPTCP-MIB broken copy"]]).isEmpty)
        #expect(try api.importTemplate(yaml) as? Bool == true)
        func templateNamed(_ name: String) throws -> String {
            try #require(try api.rows("template.get", ["output": ["templateid"], "filter": ["host": name]]).first?.text("templateid"))
        }
        let templateID = try templateNamed(ZabbixTemplate.name), fallbackID = try templateNamed(ZabbixTemplate.fallbackName)

        // Nothing dropped on the way: the export has what the file has.
        func keys(_ list: Any?) -> Set<String> { Set((list as? [[String: Any]] ?? []).map { $0.text("key") }) }
        func names(_ list: Any?) -> [String] { (list as? [[String: Any]] ?? []).map { $0.text("name") } }
        let exportText = try #require(try api.call("configuration.export", ["format": "json", "options": ["templates": [templateID, fallbackID]]]) as? String)
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(exportText.utf8)) as? [String: Any])["zabbix_export"] as? [String: Any]
        let exportedTemplates = exported?["templates"] as? [[String: Any]] ?? []
        let exportedTemplate = try #require(exportedTemplates.first { $0.text("template") == ZabbixTemplate.name })
        #expect(keys(exportedTemplates.first { $0.text("template") == ZabbixTemplate.fallbackName }?["items"]) == ["snmptrap.fallback"])
        #expect(keys(exportedTemplate["items"]) == Set(file.items.compactMap { $0["key"]?.string }))
        let exportedRules = exportedTemplate["discovery_rules"] as? [[String: Any]] ?? []
        #expect(Set(exportedRules.map { $0.text("key") }) == Set(file.rules.compactMap { $0["key"]?.string }))
        #expect(Set(exportedRules.flatMap { keys($0["item_prototypes"]) }) == Set(file.prototypes.compactMap { $0["key"]?.string }))
        let exportedTriggers = (exported?["triggers"] as? [[String: Any]] ?? []).map { $0.text("name") }
            + (exportedTemplate["items"] as? [[String: Any]] ?? []).flatMap { names($0["triggers"]) }
            + exportedRules.flatMap { rule in names(rule["trigger_prototypes"])
                + (rule["item_prototypes"] as? [[String: Any]] ?? []).flatMap { names($0["trigger_prototypes"]) } }
        #expect(exportedTriggers.sorted() == file.triggers.compactMap { $0["name"]?.string }.sorted())
        #expect(Set(names(exported?["graphs"]) + exportedRules.flatMap { names($0["graph_prototypes"]) })
                == Set(file.graphs.compactMap { $0["name"]?.string }))
        #expect(Set(names(exportedTemplate["valuemaps"])) == Set((file.template["valuemaps"]?.list ?? []).compactMap { $0["name"]?.string }))
        // A module: no item or discovery key in common with Linux by SNMP (which includes
        // Generic by SNMP), so that both link to one host; the fallback template is the
        // alternative to Generic by SNMP's snmptrap.fallback. (Linking Linux by SNMP to a host
        // here would take PHP minutes.)
        let linux = try templateNamed("Linux by SNMP")
        let linuxKeys = Set(try api.rows("item.get", ["output": ["key_"], "templateids": linux]).map { $0.text("key_") }
                            + api.rows("discoveryrule.get", ["output": ["key_"], "templateids": linux]).map { $0.text("key_") })
        let ours = Set(file.items.compactMap { $0["key"]?.string } + file.rules.compactMap { $0["key"]?.string })
        #expect(linuxKeys.count > 20 && linuxKeys.isDisjoint(with: ours), "in common: \(linuxKeys.intersection(ours))")
        #expect(linuxKeys.contains("snmptrap.fallback"))
        lap("template imported")

        // The host: the agent's snmpd, fast intervals for the test.
        let groupID = try #require((try api.call("hostgroup.create", ["name": "CI hosts"]) as? [String: Any])?["groupids"] as? [String]).first!
        let macros: [[String: String]] = [
            ["macro": "{$SNMP_COMMUNITY}", "value": "public"], ["macro": "{$MPTCP.INTERVAL}", "value": "5s"],
            ["macro": "{$MPTCP.CONFIG.INTERVAL}", "value": "5s"], ["macro": "{$MPTCP.LLD.INTERVAL}", "value": "10s"],
            ["macro": "{$MPTCP.PATH.DOWN.TIME}", "value": "10s"],
        ]
        let hostID = try #require((try api.call("host.create", [
            "host": "mptcp-lab", "groups": [["groupid": groupID]], "templates": [["templateid": templateID], ["templateid": fallbackID]],
            "interfaces": [["type": 2, "main": 1, "useip": 1, "ip": "127.0.0.1", "dns": "", "port": "\(s.snmpd.port)",
                            "details": ["version": 2, "bulk": 1, "community": "{$SNMP_COMMUNITY}"]]],
            "macros": macros,
        ]) as? [String: Any])?["hostids"] as? [String]).first!
        func reload() throws { try Command.check(["zabbix_server", "-c", serverConf, "-R", "config_cache_reload"]) }
        try reload()
        let ruleIDs = try api.rows("discoveryrule.get", ["output": ["itemid", "key_"], "hostids": hostID]).map { $0.text("itemid") }
        #expect(ruleIDs.count == 3)
        _ = try? api.call("task.create", ruleIDs.map { ["type": 6, "request": ["itemid": $0]] })

        // Discovery: exactly the rows the agent serves.
        let pathRows = try s.tools.walk(P.ifIndex.oid.dotted).map { Array($0.oid[P.ifIndex.oid.count...]) }
        let listenerRows = try s.tools.walk(MPTCPMIB.ListenerTable.sockets.oid.dotted).map { Array($0.oid[MPTCPMIB.ListenerTable.sockets.oid.count...]) }
        let endpoints = try s.endpoints()
        let prototypesPerRule = Dictionary(uniqueKeysWithValues: file.rules.map { ($0["key"]?.string ?? "", $0["item_prototypes"]?.list.count ?? 0) })
        let expectedDiscovered = pathRows.count * prototypesPerRule["mptcp.path.discovery", default: 0]
            + endpoints.count * prototypesPerRule["mptcp.endpoint.discovery", default: 0]
            + listenerRows.count * prototypesPerRule["mptcp.listener.discovery", default: 0]
        #expect(pathRows.count >= 5 && endpoints.count >= 1 && listenerRows.count == 2, "\(pathRows) \(endpoints) \(listenerRows)")
        var discovered: [[String: Any]] = []
        try waitUntil("Zabbix to discover \(expectedDiscovered) items", timeout: 90, interval: 1, detail: {
            "\(discovered.count) discovered; rules: \((try? api.rows("discoveryrule.get", ["output": ["key_", "state", "error"], "hostids": hostID])) ?? [])"
        }) {
            discovered = try api.rows("item.get", ["output": ["key_", "name"], "hostids": hostID, "filter": ["flags": 4]])
            return discovered.count >= expectedDiscovered
        }
        #expect(discovered.count == expectedDiscovered)
        lap("discovered")
        func suffixes(_ prefix: String) -> [String: String] {
            Dictionary(discovered.compactMap { item -> (String, String)? in
                let key = item.text("key_")
                guard key.hasPrefix(prefix + "["), key.hasSuffix("]") else { return nil }
                return (String(key.dropFirst(prefix.count + 1).dropLast()), item.text("name"))
            }) { a, _ in a }
        }
        let paths = suffixes("mptcp.path.subflows")
        #expect(Set(paths.keys) == Set(pathRows.map(\.dotted)), "discovered \(paths.keys.sorted()), snmpwalk \(pathRows.map(\.dotted))")
        for row in pathRows {
            guard let index = MIBNames.decodeIndex(row, table: P.table), case .address(let a?) = index[1] else {
                Issue.record("path index \(row.dotted)")
                continue
            }
            #expect(paths[row.dotted] == "Path \(a.description): subflows", "\(row.dotted): \(paths[row.dotted] ?? "-")")
        }
        let endpointItems = suffixes("mptcp.endpoint.port")
        #expect(Set(endpointItems.keys) == Set(endpoints.map { "\($0.id)" }))
        for ep in endpoints {
            #expect(endpointItems["\(ep.id)"] == "Endpoint \(ep.address) (id \(ep.id)): port", "\(endpointItems)")
        }
        let listeners = suffixes("mptcp.listener.sockets")
        #expect(Set(listeners.keys) == Set(listenerRows.map(\.dotted)))
        #expect(Set(listeners.values) == ["Listener 0.0.0.0 port 6000: sockets", "Listener * port 6001: sockets"], "\(listeners)")

        // Values: every SNMP item equals snmpget of its OID after the template's preprocessing;
        // absent objects (noSuchInstance) store nothing and leave the item supported.
        try reload()
        let itemFields: [String: Any] = ["output": ["itemid", "key_", "snmp_oid", "value_type", "lastvalue", "lastclock", "state", "error", "type"],
                                         "hostids": hostID, "selectPreprocessing": "extend"]
        var snmpItems: [[String: Any]] = []
        var pending: [String] = []
        try waitUntil("every SNMP item to have its value", timeout: 90, interval: 1, detail: { "\(pending.prefix(10))" }) {
            snmpItems = try api.rows("item.get", itemFields).filter { $0.text("type") == "20" }
            let read = try Self.get(s.tools, snmpItems.map { $0.text("snmp_oid") })
            pending = snmpItems.compactMap { item in
                let absent = read[item.text("snmp_oid")].map { $0.type.hasPrefix("noSuch") } ?? false
                if item.text("state") == "1" { return "\(item.text("key_")) not supported: \(item.text("error"))" }
                return !absent && item.text("lastclock") == "0" ? item.text("key_") : nil
            }
            return pending.isEmpty
        }
        lap("all items polled")
        snmpItems = try api.rows("item.get", itemFields).filter { $0.text("type") == "20" }
        let read = try Self.get(s.tools, snmpItems.map { $0.text("snmp_oid") })
        var compared = 0, absent = 0, rates = 0
        for item in snmpItems {
            let key = item.text("key_")
            guard let vb = read[item.text("snmp_oid")],
                  let expected = Self.expected(vb, steps: item["preprocessing"] as? [[String: Any]] ?? [], valueType: item.text("value_type")) else {
                Issue.record("\(key): cannot compare \(read[item.text("snmp_oid")].map(\.description) ?? "nothing")")
                continue
            }
            switch expected {
            case .absent:
                #expect(item.text("lastclock") == "0" && item.text("state") == "0", "\(key): absent in the agent, yet \(item)")
                absent += 1
            case .rate:
                #expect(Double(item.text("lastvalue")) != nil, "\(key): \(item.text("lastvalue"))")
                rates += 1
            case .number(let n):
                let got = Double(item.text("lastvalue")) ?? .nan
                // A TimeStamp may move by one tick: the agent converts it to snmpd's sysUpTime
                // (hundredths) anew on each request.
                var tolerance = 1e-9 * max(1, abs(n))
                if let oid = ZabbixTemplate.numericOID(item.text("snmp_oid")), MPTCPMIB.object(containing: oid)?.object.syntax.type == .timeStamp {
                    tolerance += abs(n) / Double(max(1, vb.number ?? 1))
                }
                #expect(abs(got - n) <= tolerance, "\(key) = \(item.text("lastvalue")), snmpget \(vb) -> \(n)")
                compared += 1
            case .text(let t):
                #expect(item.text("lastvalue") == t, "\(key) = '\(item.text("lastvalue"))', snmpget \(vb) -> '\(t)'")
                compared += 1
            }
        }
        #expect(compared >= 100 && rates >= 50, "\(compared) values compared, \(rates) rates, \(absent) absent")
        // The calculated fallback ratio, from the values Zabbix holds.
        let all = try api.rows("item.get", ["output": ["key_", "lastvalue", "lastclock", "state"], "hostids": hostID])
        func last(_ key: String) -> Double? { all.first { $0.text("key_") == key }.flatMap { Double($0.text("lastvalue")) } }
        let current = try #require(last("mptcp.connections.current")), fallback = try #require(last("mptcp.connections.fallback"))
        #expect(fallback >= 1)
        try waitUntil("the fallback ratio", timeout: 30, interval: 1) {
            let ratio = try api.rows("item.get", ["output": ["lastvalue", "lastclock", "state"], "hostids": hostID,
                                                  "filter": ["key_": "mptcp.connections.fallback.ratio"]]).first
            guard let ratio, ratio.text("state") == "0", ratio.text("lastclock") != "0", let v = Double(ratio.text("lastvalue")) else { return false }
            return abs(v - 100 * fallback / max(current, 1)) < 1e-9
        }
        lap("values compared")

        // A rate: with the counter still, open connections; the stored rates times the time
        // between polls add up to the counter's increase between two snmpget readings.
        let rateKey = "mptcp.ext.rate[MPCapableSYNTX]"
        let counter = MPTCPMIB.Stats.object(kernelName: "MPCapableSYNTX")!.oid + [0]
        let rateItem = try #require(snmpItems.first { $0.text("key_") == rateKey }?.text("itemid"))
        func history(_ itemID: String, type: Int, after: Double) throws -> [(time: Double, value: String)] {
            try api.rows("history.get", ["history": type, "itemids": itemID, "sortfield": "clock", "sortorder": "ASC",
                                         "time_from": Int(after)]).map {
                (Double($0.text("clock"))! + Double($0.text("ns"))! / 1e9, $0.text("value"))
            }.filter { $0.time > after }
        }
        let c0 = try #require(try s.tools.get([counter.dotted]).first?.number)
        let beforeFirst = Self.now()
        let first = try waitFor("a rate polled while the counter is \(c0)", timeout: 30, interval: 0.5) {
            try history(rateItem, type: 0, after: beforeFirst).first
        }
        let opened = 3
        let subflowsBefore = SSParser.subflows(try s.lab.exec(s.lab.client, ["ss", "-tni"])).count
        try s.lab.start(s.lab.client, [Paths.executable("mptcp-traffic"), "connect", "--to", "10.201.1.2:5000", "--count", "\(opened)",
                                       "--bytes", "1000"], name: "zb-more").waitForOutput("connected \(opened) failed 0", timeout: 60)
        try s.lab.waitForSubflows(expected: subflowsBefore + 3 * opened)
        try s.lab.waitUntilQuiet()
        let c1 = try #require(try s.tools.get([counter.dotted]).first?.number)
        let afterLast = Self.now()
        #expect(c1 >= c0 + UInt64(opened), "MPCapableSYNTX \(c0) -> \(c1)")
        _ = try waitFor("a rate polled after the counter reached \(c1)", timeout: 30, interval: 0.5) {
            try history(rateItem, type: 0, after: afterLast).first
        }
        let rated = try history(rateItem, type: 0, after: first.time - 0.001)
        var increase = 0.0
        for (previous, value) in zip(rated, rated.dropFirst()) { increase += Double(value.value)! * (value.time - previous.time) }
        #expect(abs(increase - Double(c1 - c0)) < 1e-6 * Double(c1) + 1e-3,
                "rates \(rated.map(\.value)) over \(rated.map(\.time)) add up to \(increase), snmpget \(c0) -> \(c1)")
        lap("rate checked")

        // Traps: the agent's mptcpConnectionEstablished for each new connection, through snmpd,
        // snmptrapd and the handler, in its item; another OID in snmptrap.fallback; a
        // blackhole notification in its item fires the blackhole trigger.
        let trapItems = Dictionary(uniqueKeysWithValues: try api.rows("item.get", ["output": ["itemid", "key_"], "hostids": hostID,
                                                                               "filter": ["type": 17]]).map { ($0.text("key_"), $0.text("itemid")) })
        let established = try #require(trapItems.first { $0.key.contains("8684\\.0\\.1|") }?.value)
        var traps: [(time: Double, value: String)] = []
        try waitUntil("\(opened) mptcpConnectionEstablished traps in Zabbix", timeout: 30, interval: 0.5, detail: { "\(traps)" }) {
            traps = try history(established, type: 2, after: 0)
            return traps.count >= opened
        }
        #expect(traps.count == opened)
        for trap in traps {
            #expect(trap.value.contains(".1.3.6.1.6.3.1.1.4.1.0 .1.3.6.1.3.8684.0.1\n") && trap.value.contains("\"0A C9 01 02 \""), "\(trap.value)")
        }
        let fallbackItem = try #require(trapItems["snmptrap.fallback"])
        #expect(try history(fallbackItem, type: 2, after: 0).isEmpty)
        try Command.check(["snmptrap", "-v", "2c", "-c", "public", trapTarget, "", "1.3.6.1.6.3.1.1.5.1", "1.3.6.1.2.1.1.5.0", "s", "zabbix-ci"])
        try Command.check(["snmptrap", "-v", "2c", "-c", "public", trapTarget, "", "1.3.6.1.3.8684.0.10",
                           MPTCPMIB.General.blackholeTimeout.oid.dotted + ".0", "i", "3600"])
        try waitUntil("the other trap in snmptrap.fallback", timeout: 30, interval: 0.5) {
            try history(fallbackItem, type: 2, after: 0).contains { $0.value.contains("\"zabbix-ci\"") }
        }
        func trigger(_ name: String) throws -> [String: Any]? {
            try api.rows("trigger.get", ["output": ["description", "value", "state", "error"], "hostids": hostID,
                                         "filter": ["description": name]]).first
        }
        try waitUntil("the blackhole trigger to fire", timeout: 30, interval: 0.5, detail: { "\((try? trigger("MPTCP: blackhole detected")) ?? [:])" }) {
            try trigger("MPTCP: blackhole detected")?.text("value") == "1"
        }
        #expect(try history(fallbackItem, type: 2, after: 0).allSatisfy { !$0.value.contains("8684.0.10") })
        lap("traps checked")

        // Kill the backup endpoint's subflows: its path has no established subflow; its trigger
        // fires (after {$MPTCP.PATH.DOWN.TIME}, 10 s here), not the implicit endpoints' nor the
        // endpoint-less paths'; the last close reason is aborted(8).
        try s.lab.exec(s.lab.client, ["ss", "-K", "-tn", "src", "10.201.3.1"])
        try waitUntil("the path trigger of 10.201.3.1 to fire", timeout: 60, interval: 1) {
            try trigger("Path 10.201.3.1: endpoint without established subflows")?.text("value") == "1"
        }
        for other in ["10.201.1.1", "10.201.2.1", "fd00:201:1::1"] {
            let t = try trigger("Path \(other): endpoint without established subflows")
            #expect(t?.text("value") == "0" && t?.text("state") == "0", "\(other): \(t ?? [:])")
        }
        try waitUntil("the last close reason of 10.201.3.1", timeout: 30, interval: 1) {
            try api.rows("item.get", ["output": ["lastvalue", "lastclock"], "hostids": hostID,
                                      "filter": ["key_": "mptcp.path.last_close_reason[1.4.10.201.3.1]"]]).first?.text("lastvalue") == "8"
        }
        lap("path trigger checked")
        // Every trigger evaluates (no expression error), whatever its value.
        for t in try api.rows("trigger.get", ["output": ["description", "state", "error"], "hostids": hostID]) {
            #expect(t.text("state") == "0", "\(t.text("description")): \(t.text("error"))")
        }
        print("ZabbixTests.endToEnd: \(timings.joined(separator: ", "))")
    }
}
