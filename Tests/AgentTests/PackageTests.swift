import MPTCPAgent
import MPTCPMIB
import MPTCPMIBView
import Platform
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The man pages in `man/` against the programs' real option lists.
@Suite("Man pages")
struct ManPageTests {
    /// Every option and subcommand name in `--experimental-dump-help` (swift-argument-parser's
    /// description of the command tree), as the page must spell them.
    static func optionsAndCommands(_ executable: String) throws -> (options: Set<String>, commands: Set<String>) {
        let json = try Command.check([Paths.executable(executable), "--experimental-dump-help"])
        var options = Set<String>(), commands = Set<String>()
        // The dump is JSON; the names are in `"name" : "..."` entries whose `kind` is long or short.
        let text = json.replacing(" ", with: "").replacing("\n", with: "")
        for entry in text.split(separator: "{") {
            guard let kind = Self.field(entry, "kind"), let name = Self.field(entry, "name") else { continue }
            if kind == "long" { options.insert("--" + name) }
            if kind == "short" { options.insert("-" + name) }
        }
        for part in text.split(separator: "\"commandName\":\"").dropFirst(2) {
            commands.insert(String(part.prefix { $0 != "\"" }))
        }
        return (options, commands)
    }

    static func field(_ entry: Substring, _ key: String) -> String? {
        guard let r = entry.firstRange(of: "\"\(key)\":\"") else { return nil }
        return String(entry[r.upperBound...].prefix { $0 != "\"" })
    }

    /// The page (of man/, or at `path`) as man renders it, without warnings (`man --warnings`).
    static func rendered(_ page: String, path: String? = nil) throws -> String {
        let r = try Command.run(["man", "--warnings", "-l", path ?? Paths.packageRoot + "/man/" + page],
                                environment: ["MANWIDTH": "80"])
        #expect(r.status == 0, "man on \(path ?? page) exited \(r.status)")
        #expect(r.stderr.isEmpty, "man --warnings on \(path ?? page): \(r.stderr)")
        // Without overstrike and with plain hyphens, as people search it.
        return r.stdout.replacing("\u{2010}", with: "-").replacing("\u{2212}", with: "-")
    }

    /// The entries of a section of a rendered page: each tag (a line indented by 7) with its
    /// paragraph (the lines indented further), blanks collapsed.
    static func entries(_ page: String, section: String) -> [(tag: String, text: String)] {
        let lines = page.split(separator: "\n").drop { $0 != section }.dropFirst().prefix { $0.first == " " }
        var entries: [(tag: String, text: String)] = []
        for line in lines {
            let indent = line.prefix { $0 == " " }.count
            let words = line.split(separator: " ").joined(separator: " ")
            if indent == 7 { entries.append((words, "")) } else if !entries.isEmpty { entries[entries.count - 1].text += " " + words }
        }
        return entries
    }

    /// A key's paragraph gives what its declaration says: the allowed values and the default.
    static func expectDescribes(_ text: String, _ key: ConfigurationKey, page: String) {
        let text = text.lowercased()
        if let allowed = key.allowed { #expect(text.contains(allowed.lowercased()), "\(page): \(key.name) lacks \(allowed)") }
        if let d = (key.defaultNote ?? key.defaultText)?.lowercased() {
            #expect(text.contains("default \(d)") || text.contains("default: \(d)"), "\(page): \(key.name) lacks its default \(d)")
        }
    }

    @Test("mptcp-agentx(8) documents exactly the options of mptcp-agentx; each key's as declared")
    func agentPage() throws {
        let page = try Self.rendered("mptcp-agentx.8")
        let (options, _) = try Self.optionsAndCommands("mptcp-agentx")
        let entries = Self.entries(page, section: "OPTIONS").filter { $0.tag.hasPrefix("-") }
        let documented = entries.flatMap { $0.tag.split(separator: ", ").map { String($0.prefix { $0 != " " }) } }
        #expect(documented.count == Set(documented).count, "\(documented)")
        #expect(Set(documented) == options)
        for key in AgentConfiguration.keys {
            let tag = (key.shortOption.map { "-\($0), " } ?? "") + "--\(key.name) \(key.optionValueName)"
            guard let entry = entries.first(where: { $0.tag == tag }) else {
                Issue.record("mptcp-agentx.8 lacks an entry '\(tag)'")
                continue
            }
            Self.expectDescribes(entry.text, key, page: "mptcp-agentx.8")
        }
    }

    @Test("mptcp-mib(1) documents every command and option of mptcp-mib")
    func cliPage() throws {
        let page = try Self.rendered("mptcp-mib.1")
        let (options, commands) = try Self.optionsAndCommands("mptcp-mib")
        #expect(commands.isSuperset(of: ["walk", "paths", "notifications", "watch", "show", "set"]), "\(commands)")
        // Options are the tags of SNMP OPTIONS ("-v version", "-h, --help") and the options a
        // command's synopsis in COMMANDS takes ("counters [--nonzero]"): words, not substrings.
        func words(_ tag: String) -> [String] {
            tag.split(whereSeparator: { " |[]".contains($0) }).map(String.init)
        }
        let optionTags = Self.entries(page, section: "SNMP OPTIONS").map(\.tag).filter { $0.hasPrefix("-") }
        let commandTags = Self.entries(page, section: "COMMANDS").map(\.tag)
        let documented = optionTags.flatMap { $0.split(separator: ", ").map { String($0.prefix { $0 != " " }) } }
            + commandTags.flatMap(words).filter { $0.hasPrefix("-") }
        #expect(Set(documented) == options, "documented \(Set(documented).subtracting(options)), missing \(options.subtracting(documented))")
        // Commands: a word of a COMMANDS tag ("limits show | limits set ...", "endpoint add ...").
        let commandWords = Set(commandTags.flatMap(words))
        for command in commands.sorted() { #expect(commandWords.contains(command), "mptcp-mib.1 lacks the command \(command)") }
    }

    @Test("mptcp-agentx.conf(5) documents exactly the declared keys, each as the parser reads it")
    func configurationPage() throws {
        let page = try Self.rendered("mptcp-agentx.conf.5")
        let entries = Self.entries(page, section: "KEYS")
        #expect(entries.map(\.tag) == AgentConfiguration.keys.map { ([$0.name] + $0.valueNames).joined(separator: " ") })
        for (entry, key) in zip(entries, AgentConfiguration.keys) { Self.expectDescribes(entry.text, key, page: "mptcp-agentx.conf.5") }
        // Each entry is a line of the file ("cache-ttl seconds"): the parser knows the key and
        // its number of values, whatever it thinks of the placeholder.
        for entry in entries {
            var c = AgentConfiguration()
            do { try c.apply(file: entry.tag, path: "page") } catch {
                let name = entry.tag.prefix { $0 != " " }
                #expect(error.message.hasPrefix("page:1: \(name): '"), "\(entry.tag): \(error.message)")
            }
        }
        // The example is a file the parser takes.
        let example = page.split(separator: "\n").drop { $0 != "EXAMPLE" }.dropFirst().prefix { $0.first == " " }
        #expect(example.count >= 5)
        var c = AgentConfiguration()
        try c.apply(file: example.joined(separator: "\n"), path: "EXAMPLE")
    }
}

/// `scripts/package`, installed and removed with dpkg on this machine.
@Suite("Debian package", .serialized, .enabled(if: IntegrationEnvironment.shouldRun))
struct PackageTests {
    static let files = [
        "/usr/sbin/mptcp-agentx", "/usr/bin/mptcp-mib", "/usr/share/snmp/mibs/MPTCP-MIB.txt", "/etc/mptcp-agentx.conf",
        "/lib/systemd/system/mptcp-agentx.service", "/usr/lib/x86_64-linux-gnu/mptcp-mib/libmptcp-snmpd.so",
        "/usr/share/man/man8/mptcp-agentx.8.gz", "/usr/share/man/man1/mptcp-mib.1.gz", "/usr/share/man/man5/mptcp-agentx.conf.5.gz",
        "/usr/share/bash-completion/completions/mptcp-mib", "/usr/share/zsh/vendor-completions/_mptcp-mib",
        "/usr/share/doc/mptcp-mib/copyright", "/usr/share/doc/mptcp-mib/examples/snmpd.conf.example",
        "/usr/share/doc/mptcp-mib/examples/snmpd-mptcp-module.conf",
        "/usr/share/doc/mptcp-mib/examples/zabbix/mptcp-mib-template.yaml", "/usr/share/doc/mptcp-mib/examples/zabbix/README.md",
        "/usr/share/doc/mptcp-mib/examples/zabbix/zabbix-trap-handler.sh",
        "/usr/share/doc/mptcp-mib/examples/nagios/mptcp-mib.cfg", "/usr/share/doc/mptcp-mib/examples/collectd/mptcp.conf",
        "/usr/share/doc/mptcp-mib/examples/prometheus/README.md", "/usr/share/doc/mptcp-mib/examples/prometheus/generator.yml",
        "/usr/share/doc/mptcp-mib/examples/prometheus/snmp.yml", "/usr/share/doc/mptcp-mib/examples/prometheus/prometheus.yml",
        "/usr/share/doc/mptcp-mib/examples/prometheus/rules/mptcp-alerts.yml",
        "/usr/share/doc/mptcp-mib/examples/prometheus/rules/mptcp-alerts.test.yml",
        "/usr/share/doc/mptcp-mib/examples/prometheus/grafana/mptcp-dashboard.json",
        "/usr/share/doc/mptcp-mib/examples/prometheus/grafana/queries.txt",
    ]

    static func installed() -> Bool {
        (try? Command.run(["dpkg-query", "-W", "-f=${Status}", "mptcp-mib"]).stdout.contains("install ok installed")) == true
    }

    @Test("Build, lintian, install, use without the toolchain, remove, purge")
    func lifecycle() throws {
        try requireIntegration()
        try #require(!Self.installed(), "mptcp-mib is installed on this machine: the test would remove it")
        let dir = Paths.temporaryDirectory("pkg")
        defer { Paths.removeTree(dir) }
        let deb = try Command.check([Paths.script("package"), dir], timeout: 3600).split(separator: "\n").last.map(String.init) ?? ""
        #expect(deb.hasSuffix("_amd64.deb") && access(deb, F_OK) == 0, "\(deb)")

        // lintian: no error, no warning, no info (the overrides say why for the rest); its exit
        // status says so too (2: a tag at or above --fail-on; 1: lintian itself failed).
        let lint = try Command.run(["lintian", "--tag-display-limit", "0", "-I", "--pedantic", "--fail-on", "error,warning,info",
                                    deb], timeout: 600)
        let complaints = lint.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") || $0.hasPrefix("I:") }
        #expect(complaints.isEmpty, "\(complaints)")
        #expect(lint.status == 0, "lintian exited \(lint.status): \(lint.stderr)\(lint.stdout)")
        let control = try Command.check(["dpkg-deb", "-f", deb, "Depends", "Suggests"])
        #expect(control.contains("libsnmp40") && control.contains("libmnl0") && !control.contains("swift"), "\(control)")
        #expect(control.contains("Suggests: snmpd"))

        defer { _ = try? Command.run(["dpkg", "-P", "mptcp-mib"]) }
        // Every Depends is already installed (scripts/install-deps installs them): dpkg -i alone
        // installs the package, no registry needed.
        let depends = try Command.check(["dpkg-deb", "-f", deb, "Depends"]).split(separator: ",")
            .map { $0.split(separator: "|").map { String($0.split(separator: "(")[0].split(whereSeparator: \.isWhitespace).joined()) } }
        for alternatives in depends {
            let present = try alternatives.contains { name in
                try Command.run(["dpkg-query", "-W", "-f=${Status}", name]).stdout.contains("install ok installed")
            }
            #expect(present, "Depends \(alternatives.joined(separator: " | ")) is not installed: scripts/install-deps should install it")
        }
        try Command.check(["dpkg", "-i", deb], timeout: 300)
        #expect(Self.installed())
        for file in Self.files { #expect(access(file, F_OK) == 0, "\(file) is missing") }
        #expect(try Command.check(["getent", "passwd", "mptcp-agentx"]).contains("/usr/sbin/nologin"))
        // Installed, not enabled: nothing runs that the admin did not enable.
        #expect(access("/etc/systemd/system/snmpd.service.wants/mptcp-agentx.service", F_OK) != 0)
        #expect(try Command.check(["cat", "/lib/systemd/system/mptcp-agentx.service"]).contains("ExecStart=/usr/sbin/mptcp-agentx"))
        for page in ["mptcp-agentx.8", "mptcp-mib.1", "mptcp-agentx.conf.5"] {
            let section = page.split(separator: ".").last!
            _ = try ManPageTests.rendered(page, path: "/usr/share/man/man\(section)/\(page).gz")
        }

        // No Swift library, and working with the toolchain hidden.
        for binary in ["/usr/sbin/mptcp-agentx", "/usr/bin/mptcp-mib", "/usr/lib/x86_64-linux-gnu/mptcp-mib/libmptcp-snmpd.so"] {
            let libraries = try Command.check(["ldd", binary])
            #expect(!libraries.contains("swift") && !libraries.contains("not found"), "\(binary): \(libraries)")
        }
        let toolchain = try Self.toolchainDirectory()
        let hidden = try Command.run(["unshare", "-m", "sh", "-c",
                                      "mount -t tmpfs none '\(toolchain)' && ! ls '\(toolchain)/usr' 2>/dev/null && /usr/bin/mptcp-mib --help > /dev/null && /usr/sbin/mptcp-agentx --help > /dev/null"])
        #expect(hidden.status == 0, "\(hidden.stderr)\(hidden.stdout)")

        // As the packaged user with CAP_NET_ADMIN only, in an MPTCP lab: --check, then a walk
        // through a private snmpd with the installed binaries.
        let lab = try Lab(tag: "pk")
        defer { lab.shutdown() }
        try lab.startServers()
        try lab.connect(v4: 3, v6: 0)
        let asUser = ["setpriv", "--reuid=mptcp-agentx", "--regid=mptcp-agentx", "--init-groups", "--inh-caps=+net_admin",
                      "--ambient-caps=+net_admin", "--bounding-set=-all,+net_admin"]
        let check = try Command.run(["ip", "netns", "exec", lab.client] + asUser + ["/usr/sbin/mptcp-agentx", "-C", TestRun.emptyAgentConfiguration, "--check"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("connections 3"), "\(check.stdout)")
        let snmpd = try PrivateSNMPD(tag: "pk")
        defer { snmpd.shutdown() }
        // The subagent's user reaches the AgentX socket, as agentXPerms lets it in production.
        try Command.check(["chown", "mptcp-agentx", snmpd.directory, snmpd.socketPath])
        let agent = try Daemon(["ip", "netns", "exec", lab.client] + asUser + ["/usr/sbin/mptcp-agentx", "-f", "-C", TestRun.emptyAgentConfiguration,
                                                                              "-x", "unix:" + snmpd.socketPath],
                               name: "installed-agentx")
        defer { agent.stop() }
        try agent.waitForOutput("AgentX subagent connected", timeout: 20)
        let walk = try snmpd.tools.bulkWalk()
        #expect(walk.filter { $0.oid.hasPrefix(MPTCPMIB.SubflowTable.state.oid) }.count == 9)
        let cli = try Command.check(["/usr/bin/mptcp-mib", "connections", "--json", "-v", "2c", "-c", "public", snmpd.target])
        #expect(cli.components(separatedBy: "\"token\"").count - 1 == 3, "\(cli)")
        agent.stop()

        // remove: the files go, the conffile and the user stay; purge: the conffile goes too.
        try Command.check(["dpkg", "-r", "mptcp-mib"], timeout: 300)
        for file in Self.files where file != "/etc/mptcp-agentx.conf" { #expect(access(file, F_OK) != 0, "\(file) is left after dpkg -r") }
        #expect(access("/etc/mptcp-agentx.conf", F_OK) == 0, "dpkg -r removed the conffile")
        #expect((try? Command.check(["getent", "passwd", "mptcp-agentx"])) != nil)
        try Command.check(["dpkg", "-P", "mptcp-mib"], timeout: 300)
        #expect(access("/etc/mptcp-agentx.conf", F_OK) != 0, "dpkg -P left the conffile")
        #expect(!Self.installed())
    }

    /// The directory of the Swift toolchain this test runs from (`swift` on PATH, or /opt/swift).
    static func toolchainDirectory() throws -> String {
        let swift = (try? Command.check(["sh", "-c", "readlink -f \"$(command -v swift || echo /opt/swift/usr/bin/swift)\""])) ?? ""
        let path = swift.split(separator: "\n").first.map(String.init) ?? "/opt/swift/usr/bin/swift"
        guard let r = path.firstRange(of: "/usr/bin/swift") else { return "/opt/swift" }
        return String(path[..<r.lowerBound])
    }
}
