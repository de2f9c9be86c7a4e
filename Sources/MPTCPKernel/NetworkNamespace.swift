import CMPTCPNetlink
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// A network namespace other than the process's, held open by a file descriptor of its
/// namespace file (`/run/netns/NAME`, `/proc/PID/ns/net`), so that it lives at least as long
/// as this object. Kernel access for it runs on threads that entered it: a netlink socket
/// belongs to the namespace of the thread that created it, and `/proc/thread-self/net` and
/// `/proc/sys/net` show the reading thread's namespace. The process's other threads never
/// change namespace.
public final class NetworkNamespace: @unchecked Sendable {
    public let name: String
    public let path: String
    private let fd: Int32
    /// The namespace's identity (nsfs inode), to tell it from another one at the same path.
    public let inode: UInt64

    static let cloneNewNet: Int32 = 0x4000_0000

    /// Opens the namespace file; fails if it is missing or not a network namespace.
    public init(name: String, path: String) throws(KernelError) {
        self.name = name
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system(operation: "open network namespace \(path)", errno: errno) }
        var st = stat()
        // A namespace file is a bind mount of an nsfs inode; the file `ip netns add` creates
        // before mounting it is a plain empty file, not a namespace.
        guard fstat(fd, &st) == 0, Self.isNetworkNamespace(fd) else {
            close(fd)
            throw .system(operation: "open network namespace \(path)", errno: EINVAL)
        }
        self.fd = fd
        inode = UInt64(st.st_ino)
    }

    deinit { close(fd) }

    /// NS_GET_NSTYPE (_IO(0xb7, 0x3)): the kind of namespace a file descriptor refers to.
    private static func isNetworkNamespace(_ fd: Int32) -> Bool {
        ioctl(fd, UInt(0xb703)) == cloneNewNet
    }

    /// Whether `path` still names this namespace (not deleted, not replaced).
    public var isCurrent: Bool {
        var st = stat()
        return stat(path, &st) == 0 && UInt64(st.st_ino) == inode
    }

    /// Moves the calling thread into the namespace, for a thread that serves only it
    /// (never the process's main thread). Needs CAP_SYS_ADMIN.
    public func enter() throws(KernelError) {
        let rc = mptcp_nl_enter_netns(fd)
        guard rc == 0 else {
            throw .system(operation: "enter network namespace \(name) (setns needs CAP_SYS_ADMIN)", errno: -rc)
        }
    }

    /// Runs `body` on a thread of its own inside the namespace and returns its result.
    public func perform<T>(_ body: () throws -> T) throws -> T {
        var result: Result<T, any Error>?
        try withoutActuallyEscaping(body) { body in
            let worker = Worker { result = Result { try self.enter(); return try body() } }
            guard worker.startError == 0 else {
                throw KernelError.system(operation: "start a thread for network namespace \(name)", errno: worker.startError)
            }
            worker.join()
        }
        return try result!.get()
    }
}

extension Optional where Wrapped == NetworkNamespace {
    /// Runs `body` in the namespace, or here when there is none (the process's own).
    public func perform<T>(_ body: () throws -> T) throws -> T {
        switch self {
        case .some(let namespace): return try namespace.perform(body)
        case .none: return try body()
        }
    }
}
