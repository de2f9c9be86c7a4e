import MPTCPMIB
import SMI
import MPTCPModel

/// A general scalar backed by one file of /proc/sys/net/mptcp: the one mapping both the
/// agent's reads (MIB view) and its writes (SET) use.
public struct SysctlObject: Sendable {
    public enum Kind: Sendable {
        case truth  // 0/1 file, TruthValue object
        case integer  // signed decimal
        case unsigned  // unsigned decimal
        case name  // a word from an "available_..." list
    }

    public let object: MIBObject
    public let file: String
    public let kind: Kind
    /// For `.name`: the file listing the accepted names.
    public let choices: String?

    init(_ object: MIBObject, _ file: String, _ kind: Kind, choices: String? = nil) {
        self.object = object
        self.file = file
        self.kind = kind
        self.choices = choices
    }

    /// The object's value from the file's text; nil if the kernel has no such file.
    public func value(_ settings: Settings) -> SNMPValue? {
        guard let text = settings[file] else { return nil }
        switch kind {
        case .truth: return .truth(text != "0")
        case .integer: return Int32(text).map { .integer($0) }
        case .unsigned: return UInt32(text).map { .unsigned($0) }
        case .name: return .octets(Array(text.utf8))
        }
    }

    /// The text to write for a (validated) value.
    public func text(_ value: SNMPValue) -> String {
        switch value {
        case .integer(let v) where kind == .truth: return v == 1 ? "1" : "0"
        case .integer(let v): return "\(v)"
        case .unsigned(let v), .counter32(let v), .timeticks(let v): return "\(v)"
        case .counter64(let v): return "\(v)"
        case .octets(let b): return String(decoding: b, as: UTF8.self)
        default: return ""  // RESERVE1 lets only the object's own encoding through
        }
    }

    public static let all: [SysctlObject] = {
        typealias G = MPTCPMIB.General
        return [
            SysctlObject(G.enabled, "enabled", .truth),
            SysctlObject(G.scheduler, "scheduler", .name, choices: "available_schedulers"),
            SysctlObject(G.availableSchedulers, "available_schedulers", .name),
            SysctlObject(G.checksumEnabled, "checksum_enabled", .truth),
            SysctlObject(G.allowJoinInitialAddrPort, "allow_join_initial_addr_port", .truth),
            SysctlObject(G.addAddrTimeout, "add_addr_timeout", .integer),
            SysctlObject(G.staleLossCount, "stale_loss_cnt", .unsigned),
            SysctlObject(G.closeTimeout, "close_timeout", .integer),
            SysctlObject(G.blackholeTimeout, "blackhole_timeout", .integer),
            SysctlObject(G.synRetransBeforeFallback, "syn_retrans_before_tcp_fallback", .unsigned),
        ]
    }()

    /// The sysctl object of `object`, if it is one of them.
    public static func of(_ object: MIBObject) -> SysctlObject? { all.first { $0.object == object } }
}

/// The path manager: `path_manager` (6.15+) is authoritative; older kernels only have
/// `pm_type` (0 kernel, 1 userspace).
public enum PathManagerSetting {
    public static let names = ["kernel", "userspace"]

    public static func current(_ s: Settings) -> String? {
        if let pm = s["path_manager"] { return pm }
        return s["pm_type"].flatMap { Int($0) }.flatMap { names.indices.contains($0) ? names[$0] : nil }
    }

    public static func available(_ s: Settings) -> [String]? {
        if s["available_path_managers"] != nil { return s.list("available_path_managers") }
        return s["pm_type"] != nil ? names : nil
    }

    /// The file and text that select `name`.
    public static func write(_ name: String, _ s: Settings) -> (file: String, text: String)? {
        if s["path_manager"] != nil { return ("path_manager", name) }
        return names.firstIndex(of: name).map { ("pm_type", "\($0)") }
    }
}
