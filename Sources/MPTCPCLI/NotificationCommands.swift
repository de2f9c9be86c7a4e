import ArgumentParser
import MPTCPMIB
import NetSNMP
import SMI

typealias NC = MPTCPMIB.NotificationControl
typealias Kind = MPTCPMIB.Notifications.Kind

struct NotificationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "Show or set which notifications the agent sends and how many per second.",
        subcommands: [NotificationsShow.self, NotificationsSet.self], defaultSubcommand: NotificationsShow.self)
}

struct NotificationsShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "The enabled notifications, the rate limit, and what was sent, suppressed and dropped.")
    @OptionGroup var snmp: SNMPArguments

    func run() throws {
        try reporting { try Self.show(snmp.session(), json: snmp.json) }
    }

    static func show(_ client: MIBClient, json: Bool) throws {
        let counts = [NC.rateLimit, NC.sent, NC.suppressed, NC.dropped]
        let values = try client.scalars([NC.enabled] + counts, lacking: "an agent without notifications")
        let enabled = Self.kinds(values[0])
        let numbers = try MIBClient.numbers(values.dropFirst(), of: counts)
        if json {
            emit(JSON.object([
                ("enabled", .array(Kind.allCases.filter(enabled.contains).map { .string($0.name) })),
                ("rateLimit", .uint(numbers[0])), ("sent", .uint(numbers[1])),
                ("suppressed", .uint(numbers[2])), ("dropped", .uint(numbers[3])),
            ]).render())
            return
        }
        var table = TextTable(headers: ["NOTIFICATION", "SENT"])
        table.rows = Kind.allCases.map { [$0.notification.name, enabled.contains($0) ? "yes" : "no"] }
        emit(table.render())
        emit("rate limit \(numbers[0])/s, sent \(numbers[1]), suppressed \(numbers[2]), dropped \(numbers[3])")
    }

    static func kinds(_ value: SNMPValue) -> Set<Kind> {
        guard case .octets(let bits) = value else { return [] }
        return Set(SNMPValue.bitNumbers(bits).compactMap(Kind.init(rawValue:)))
    }
}

struct NotificationsSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Enable or disable notifications and set the rate limit, in one request.",
        discussion: """
            Words: enable KINDS, disable KINDS, only KINDS (KINDS: names separated by commas, or \
            all, none, default), rate N (per second, \(NC.rateLimit.syntax.rangeText)). Kinds: \(Kind.allCases.map(\.name).joined(separator: ", ")).

            Example: mptcp-mib notifications set -v3 ... HOST enable subflowEstablished rate 50
            """)
    @OptionGroup var snmp: SNMPArguments
    @Argument(help: "enable KINDS, disable KINDS, only KINDS, rate N.") var words: [String]

    func run() throws {
        try reporting {
            let client = try snmp.session()
            var enabled = NotificationsShow.kinds(try client.get(NC.enabled.oid + [0]).value)
            var rate: UInt32?
            var changedKinds = false
            var rest = words[...]
            while let word = rest.popFirst() {
                guard let value = rest.popFirst() else { throw CLIError(.usage, "\(word) needs a value") }
                switch word {
                case "enable", "disable", "only":
                    let kinds = try Self.kinds(value)
                    switch word {
                    case "enable": enabled.formUnion(kinds)
                    case "disable": enabled.subtract(kinds)
                    default: enabled = kinds
                    }
                    changedKinds = true
                case "rate":
                    guard let n = UInt32(value) else { throw CLIError(.usage, "rate needs a number, not '\(value)'") }
                    rate = n
                default:
                    throw CLIError(.usage, "'\(word)' is not enable, disable, only or rate")
                }
            }
            var varbinds: [VarBind] = []
            if changedKinds {
                varbinds.append(VarBind(oid: NC.enabled.oid + [0], value: .bits(enabled.map(\.rawValue), length: NC.enabled.syntax.bitsLength)))
            }
            if let rate { varbinds.append(VarBind(oid: NC.rateLimit.oid + [0], value: .unsigned(rate))) }
            guard !varbinds.isEmpty else { throw CLIError(.usage, "give enable, disable, only or rate") }
            _ = try client.set(varbinds)
            try NotificationsShow.show(client, json: snmp.json)
        }
    }

    static func kinds(_ text: String) throws -> Set<Kind> {
        switch text {
        case "all": return Set(Kind.allCases)
        case "none": return []
        case "default": return Kind.defaults
        default:
            return Set(try text.split(separator: ",").map { name in
                guard let kind = Kind.allCases.first(where: { $0.name == name }) else {
                    throw CLIError(.usage, "'\(name)' is not a notification (\(Kind.allCases.map(\.name).joined(separator: ", ")))")
                }
                return kind
            })
        }
    }
}
