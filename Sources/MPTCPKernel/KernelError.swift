#if canImport(Glibc)
import Glibc
#endif

/// Why a kernel read or write failed. Every case names the operation and the reason.
public enum KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kernel has no MPTCP (no `mptcp_pm` family, no `/proc/sys/net/mptcp`).
    case mptcpUnavailable(String)
    /// `net.mptcp.enabled` is 0: MPTCP sockets cannot be created in this namespace.
    case mptcpDisabled
    /// A write (or event subscription) needs CAP_NET_ADMIN in the namespace.
    case permissionDenied(operation: String)
    /// The kernel refused a request; `message` is its extack text when it gave one.
    case refused(operation: String, errno: Int32, message: String)
    /// A reply that is truncated or malformed.
    case malformedReply(operation: String)
    /// Any other system error.
    case system(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case .mptcpUnavailable(let why):
            return "MPTCP is not available in this kernel: \(why)"
        case .mptcpDisabled:
            return "MPTCP is disabled in this network namespace (net.mptcp.enabled = 0)"
        case .permissionDenied(let op):
            return "\(op): permission denied (CAP_NET_ADMIN is required)"
        case .refused(let op, let code, let message):
            let reason = message.isEmpty ? KernelError.text(code) : "\(message) (\(KernelError.text(code)))"
            return "\(op): the kernel refused: \(reason)"
        case .malformedReply(let op):
            return "\(op): malformed reply from the kernel"
        case .system(let op, let code):
            return "\(op): \(KernelError.text(code))"
        }
    }

    /// Maps a negative errno from the netlink shim to a typed error.
    static func fromShim(_ ret: Int32, operation: String, message: String = "", isWrite: Bool = false) -> KernelError {
        let code = -ret
        switch code {
        case EPERM, EACCES:
            return .permissionDenied(operation: operation)
        case EBADMSG:
            return .malformedReply(operation: operation)
        default:
            return isWrite || !message.isEmpty
                ? .refused(operation: operation, errno: code, message: message)
                : .system(operation: operation, errno: code)
        }
    }

    static func text(_ code: Int32) -> String { String(cString: strerror(code)) }
}
