import ArgumentParser
import MPTCPMIB
import NetSNMP
import SMI

/// The options net-snmp users know, in the forms `snmpget` accepts (`-v 2c` and `-v2c`,
/// before or after the agent), and the agent. Unset options fall back to net-snmp's
/// configuration (snmp.conf: defVersion, defCommunity, defSecurityName, ...).
struct SNMPArguments: ParsableArguments {
    @OptionGroup var options: SessionArguments
    @Option(name: .joined("c"), help: "Community (SNMPv1, SNMPv2c).") var community: String?
    @Option(help: "GETBULK repetitions for walks (SNMPv2c and v3).") var repetitions = 25
    @Flag(help: "Print JSON instead of text.") var json = false
    @Flag(help: "Print OIDs as numbers.") var numeric = false
    @Argument(help: "The agent: [udp:|tcp:]HOST[:PORT] (port 161 by default).") var target: String

    func validate() throws {
        if repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
    }

    func session() throws -> MIBClient {
        MIBClient(session: try options.open(target, community: community), repetitions: repetitions)
    }

    /// The name of an OID as this command prints it.
    func name(_ oid: OID) -> String { numeric ? "." + oid.dotted : MIBNames.format(oid) }
}

/// net-snmp's options but the community, which `check` takes as -C (its -c is the
/// critical threshold, as in the Monitoring Plugins' check_snmp).
struct SessionArguments: ParsableArguments {
    @Option(name: .joined("v"), help: "SNMP version: 1, 2c or 3.") var version: String?
    @Option(name: .joined("u"), help: "SNMPv3 user.") var user: String?
    @Option(name: .joined("l"), help: "SNMPv3 security level: noAuthNoPriv, authNoPriv or authPriv.") var level: String?
    @Option(name: .joined("a"), help: "SNMPv3 authentication protocol: MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512.") var authProtocol: String?
    @Option(name: .joined("A"), help: "SNMPv3 authentication passphrase.") var authPassphrase: String?
    @Option(name: .joined("x"), help: "SNMPv3 privacy protocol: DES, AES, AES-192 or AES-256.") var privProtocol: String?
    @Option(name: .joined("X"), help: "SNMPv3 privacy passphrase.") var privPassphrase: String?
    @Option(name: .joined("t"), help: "Timeout in seconds (net-snmp's default: 1).") var timeout: Double?
    @Option(name: .joined("r"), help: "Retries (net-snmp's default: 5).") var retries: Int?
    @Option(name: .joined("n"), help: "SNMP context: a network namespace the agent serves (SNMPv3; with v1 and v2c, snmpd maps communities to contexts).")
    var context: String?

    func validate() throws {
        func check(_ value: String?, _ allowed: [String], _ what: String) throws {
            if let value, !allowed.contains(value) {
                throw ValidationError("\(what) '\(value)' is not one of \(allowed.joined(separator: ", "))")
            }
        }
        try check(version, ["1", "2c", "3"], "-v")
        try check(level, ["noAuthNoPriv", "authNoPriv", "authPriv"], "-l")
        try check(authProtocol, ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"], "-a")
        try check(privProtocol, ["DES", "AES", "AES-192", "AES-256"], "-x")
        if let timeout, timeout <= 0 { throw ValidationError("-t must be a positive number of seconds") }
        if let retries, retries < 0 { throw ValidationError("-r must be 0 or more") }
    }

    func open(_ target: String, community: String?) throws -> SNMPSession {
        var o = SessionOptions()
        o.version = version
        o.community = community
        o.user = user
        o.securityLevel = level
        o.authProtocol = authProtocol
        o.authPassphrase = authPassphrase
        o.privProtocol = privProtocol
        o.privPassphrase = privPassphrase
        o.timeout = timeout
        o.retries = retries
        o.contextName = context
        return try SNMPSession(target: target, options: o)
    }
}

extension NameSpecification {
    /// A short option that also takes its value joined (`-v2c`), as net-snmp's tools do.
    static func joined(_ letter: Character) -> NameSpecification { .customShort(letter, allowingJoined: true) }
}
