@testable import MPTCPAgent
import MPTCPMIB
import MPTCPMIBView
import MPTCPModel
import Platform
import SMI
import TestSupport
import Testing

/// The declarations of `AgentConfiguration.keys` through the real parser and the real
/// mptcp-agentx (the man pages against them: `ManPageTests`).
@Suite("Configuration keys")
struct ConfigurationKeyTests {
    typealias Keys = AgentConfiguration
    static let rates = MPTCPMIB.NotificationControl.rateLimit.syntax.ranges[0]

    /// Values each key refuses: out of its range, not one of its choices, not its form.
    /// master takes any word.
    static let refused: [String: [String]] = [
        "cache-ttl": ["-1", "3601", "soon"],
        "ping-interval": ["-1", "3601", "1.5"],
        "log-level": ["loud"],
        "log-target": ["file"],
        "notifications": ["everything", "subflowClosed,nothing"],
        "notification-rate": ["\(rates.lowerBound - 1)", "\(rates.upperBound + 1)", "many"],
        "event-log-size": ["-1", "100001", "lots"],
        "namespaces": ["a/b", "none,blue"],
        "namespace": ["blue relative/path", "a/b /proc/1/ns/net"],
    ]

    /// The configuration after one line of a file, or the parser's error.
    static func parse(_ line: String) -> Result<AgentConfiguration, ConfigurationError> {
        var c = AgentConfiguration()
        return Result { () throws(ConfigurationError) in try c.apply(file: line, path: "test.conf"); return c }
    }

    @Test("Key names are unique, and each key's default text parses to the configuration's default")
    func defaultsParse() throws {
        #expect(Set(Keys.keys.map(\.name)).count == Keys.keys.count)
        for key in Keys.keys {
            guard let text = key.defaultText else { continue }
            #expect(try Self.parse("\(key.name) \(text)").get() == AgentConfiguration(), "\(key.name) \(text)")
        }
        #expect(Keys.keys.filter { $0.defaultText == nil }.map(\.name) == ["master", "namespace"])
    }

    @Test("README's mptcp-agentx table has a row for every key: its option, its name and its default")
    func readmeTable() throws {
        let readme = try FileIO.readText(Paths.packageRoot + "/README.md")
        // | option | configuration key | default | meaning |, backquotes removed, spaces single.
        func cell(_ text: Substring) -> String {
            let words: [Substring] = text.filter { $0 != "`" }.split(separator: " ")
            return words.joined(separator: " ")
        }
        let lines: [Substring] = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }
        let rows: [[String]] = lines.map { line in line.split(separator: "|", omittingEmptySubsequences: false).map(cell) }
        for key in Keys.keys {
            guard let row = rows.first(where: { $0.count == 6 && $0[2].split(separator: " ").first == Substring(key.name) }) else {
                Issue.record("README's mptcp-agentx table has no row for \(key.name)")
                continue
            }
            let option = key.shortOption.map { "-\($0)" } ?? "--\(key.name)"
            #expect(row[1].hasPrefix(option + " "), "\(key.name): option \(row[1])")
            if let text = key.defaultText { #expect(row[3].hasPrefix(text), "\(key.name): default \(row[3]) vs \(text)") }
        }
    }

    @Test("namespaces: names and shell patterns separated by commas")
    func namespacePatterns() throws {
        #expect(try Self.parse("namespaces blue,cpe-*,edge-[0-9]").get().namespaces == .named(["blue", "cpe-*", "edge-[0-9]"]))
        #expect(AgentConfiguration.isNamespacePattern("cpe-*") && AgentConfiguration.isNamespacePattern("edge-[0-9]")
                && AgentConfiguration.isNamespacePattern("a?") && !AgentConfiguration.isNamespacePattern("blue"))
    }

    @Test("Every key refuses what is out of its range, with a message naming the line, the key and the value")
    func refusals() {
        #expect(Set(Self.refused.keys) == Set(Keys.keys.map(\.name)).subtracting(["master"]))
        for (name, values) in Self.refused {
            for value in values {
                let line = "\(name) \(value)"
                guard case .failure(let error) = Self.parse(line) else {
                    Issue.record("\(line) was accepted")
                    continue
                }
                #expect(error.message.hasPrefix("test.conf:1: \(name): '"), "\(line): \(error.message)")
            }
        }
        let wrongCount = Self.parse("cache-ttl 1 2")
        #expect(wrongCount == .failure(ConfigurationError(message: "test.conf:1: cache-ttl: expected one value, found 2")))
        #expect(Self.parse("namespace blue") == .failure(ConfigurationError(message: "test.conf:1: namespace: expected name and path, found 1")))
        #expect(Self.parse("\n# comment\n bogus 1") == .failure(ConfigurationError(
            message: "test.conf:3: bogus: unknown key (known: \(Keys.keys.map(\.name).joined(separator: ", ")))")))
    }

    @Test("notification-rate takes exactly what a SET of mptcpNotificationRateLimit takes")
    func rateRangeIsTheMIBs() throws {
        let settings = Settings([:])
        for rate in [Self.rates.lowerBound - 1, Self.rates.lowerBound, Self.rates.upperBound, Self.rates.upperBound + 1] {
            let byFile = Self.parse("notification-rate \(rate)")
            let bySet = Result { () throws(SetRefusal) in
                try SetChange.validate(oid: MPTCPMIB.NotificationControl.rateLimit.oid + [0], value: .unsigned(UInt32(rate)),
                                       settings: settings)
            }
            let fileTakes = (try? byFile.get()) != nil, setTakes = (try? bySet.get()) != nil
            #expect(fileTakes == setTakes, "\(rate)")
            if case .success(let c) = byFile { #expect(c.notificationRate == UInt32(rate)) }
        }
    }

    @Test("An option's value goes to its key; a key of two values takes name=path")
    func optionValues() throws {
        var c = AgentConfiguration()
        for key in Keys.keys where key.name == "namespace" {
            try key.set(&c, option: "box=/proc/1/ns/net")
            #expect(throws: ConfigurationError(message: "--namespace: 'box' is not NAME=PATH")) { try key.set(&c, option: "box") }
        }
        #expect(c.namespacePaths == ["box": "/proc/1/ns/net"])
    }

    @Test("mptcp-agentx has an option for every key, which reaches the key's parser")
    func agentOptions() throws {
        let agentx = Paths.executable("mptcp-agentx")
        for key in Keys.keys {
            // A value the key refuses, or (master takes any) a later key that refuses one:
            // an error from the configuration, never from the option parser, and never running.
            let value = Self.refused[key.name]?.first?.replacing(" ", with: "=")
            let given = [["--\(key.name)=\(value ?? "unix:/nowhere")"]] + (key.shortOption.map { [["-\($0)", value ?? "unix:/nowhere"]] } ?? [])
            for option in given {
                let argv = [agentx, "-f", "-C", "/dev/null"] + option + (value == nil ? ["--cache-ttl", "soon"] : [])
                let r = try Command.run(argv, timeout: 10)
                let blamed = value == nil ? "cache-ttl" : key.name
                #expect(r.status == 1 && r.stderr.hasPrefix("mptcp-agentx: --\(blamed): '"), "\(argv.dropFirst()): \(r.status) \(r.stderr)")
            }
        }
    }
}
