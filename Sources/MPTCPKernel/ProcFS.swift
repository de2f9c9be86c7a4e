import MPTCPModel
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// Counters from `/proc/net/netstat` and settings from `/proc/sys/net/mptcp`, of the
/// namespace of this process.
public enum ProcFS {
    // thread-self: the namespace of the calling thread, which may differ from the process's.
    public static let netstatPath = "/proc/thread-self/net/netstat"
    public static let sysctlDirectory = "/proc/sys/net/mptcp"

    /// The MPTcpExt counters by name, in file order; nil when the kernel has none.
    public static func counters(path: String = netstatPath) throws -> Counters? {
        parseNetstat(try readFile(path))
    }

    /// Parses the `MPTcpExt:` name line and the value line after it. Names are read, not
    /// assumed: kernels append counters.
    public static func parseNetstat(_ text: String) -> Counters? {
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("MPTcpExt:") }
        guard lines.count >= 2 else { return nil }
        let names = lines[0].split(separator: " ").dropFirst()
        let values = lines[1].split(separator: " ").dropFirst()
        guard names.count == values.count else { return nil }
        var counters: [(name: String, value: UInt64)] = []
        counters.reserveCapacity(names.count)
        for (name, value) in zip(names, values) {
            guard let v = UInt64(value) else { return nil }
            counters.append((String(name), v))
        }
        return Counters(counters)
    }

    /// Every readable file of the MPTCP sysctl directory, trimmed.
    public static func settings(directory: String = sysctlDirectory) throws -> Settings {
        let names: [String]
        do { names = try FileIO.entries(of: directory) } catch {
            if error.errno == ENOENT { throw KernelError.mptcpUnavailable("no \(directory)") }
            throw KernelError.system(operation: "read \(directory)", errno: error.errno)
        }
        var values: [String: String] = [:]
        for name in names where !name.hasPrefix(".") {
            if let text = try? readFile(directory + "/" + name) {
                values[name] = text.trimmingTrailingWhitespace()
            }
        }
        return Settings(values)
    }

    /// Throws `.mptcpDisabled` when `net.mptcp.enabled` is 0 (reads keep working then;
    /// only new MPTCP sockets fail) and `.mptcpUnavailable` without MPTCP.
    public static func requireEnabled(directory: String = sysctlDirectory) throws {
        guard try settings(directory: directory)["enabled"] != "0" else { throw KernelError.mptcpDisabled }
    }

    /// Whether this process has CAP_NET_ADMIN (bit 12 of CapEff in /proc/self/status),
    /// which every write to the path manager and the MPTCP sysctls needs.
    /// The running kernel's release as (major, minor), from /proc/sys/kernel/osrelease.
    public static let release: (major: Int, minor: Int)? = {
        guard let text = try? readFile("/proc/sys/kernel/osrelease") else { return nil }
        let parts = text.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }()

    public static func hasNetAdmin() -> Bool {
        guard let status = try? readFile("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let bits = UInt64(line.dropFirst("CapEff:".count).filter { !$0.isWhitespace }, radix: 16)
        else { return false }
        return bits & (1 << 12) != 0
    }

    /// Writes one MPTCP sysctl (one write; interrupted writes are retried, a short write
    /// fails). The kernel's refusal (EINVAL, ENOENT for an unknown scheduler) becomes
    /// `.refused`, a missing privilege `.permissionDenied`.
    public static func writeSetting(_ name: String, _ value: String, directory: String = sysctlDirectory) throws(KernelError) {
        let operation = "set net.mptcp.\(name) to \"\(value)\""
        do {
            try FileIO.write(directory + "/" + name, value + "\n")
        } catch {
            switch error.errno {
            case EACCES, EPERM, EROFS: throw .permissionDenied(operation: operation)
            default: throw .refused(operation: operation, errno: error.errno, message: "")
            }
        }
    }

    static func readFile(_ path: String) throws(KernelError) -> String {
        do { return try FileIO.readText(path) } catch { throw .system(operation: error.operation, errno: error.errno) }
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
