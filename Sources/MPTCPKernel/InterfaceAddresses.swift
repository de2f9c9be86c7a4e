import CMPTCPNetlink
import MPTCPModel

#if canImport(Glibc)
import Glibc
#endif

/// The addresses of the namespace's interfaces, through rtnetlink: which interface holds a
/// local address, whether or not a socket is bound to it.
public final class InterfaceAddresses {
    private let handle: OpaquePointer

    public init() throws {
        var err: Int32 = 0
        guard let h = mptcp_nl_open_route(&err) else { throw KernelError.fromShim(err, operation: "open rtnetlink socket") }
        handle = h
    }

    deinit { mptcp_nl_close(handle) }

    /// Every address of every interface, in the kernel's order.
    public func all() throws -> [(address: IPAddress, ifIndex: UInt32)] {
        var out: [(address: IPAddress, ifIndex: UInt32)] = []
        let ret = RecordSink<mptcp_nl_address>.run({ r in
            let family: IPAddress.Family = Int32(r.family) == AF_INET6 ? .ipv6 : .ipv4
            var bytes = r.addr
            let address = withUnsafeBytes(of: &bytes) { IPAddress(family: family, prefixOf: $0) }
            out.append((address, r.ifindex))
            return 0
        }) { context in
            mptcp_nl_dump_addresses(handle, { RecordSink.forward($0, $1) }, context)
        }
        if ret < 0 {
            throw KernelError.fromShim(ret, operation: "dump interface addresses", message: String(cString: mptcp_nl_error_message(handle)))
        }
        return out
    }

    /// The interface holding each address, by address (IPv4-mapped IPv6 as IPv4); where
    /// several interfaces hold one address, the first the kernel lists.
    public func interfaces() throws -> [IPAddress: UInt32] {
        Dictionary(try all().map { ($0.address.unmapped, $0.ifIndex) }, uniquingKeysWith: { first, _ in first })
    }
}
