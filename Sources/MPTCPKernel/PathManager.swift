import CMPTCPNetlink
import MPTCPModel

#if canImport(Glibc)
import Glibc
#endif

/// The `mptcp_pm` generic-netlink family: in-kernel path-manager endpoints and limits.
/// Not thread-safe: use one instance per thread.
public final class PathManager {
    let handle: OpaquePointer

    public static let familyName = "mptcp_pm"

    /// `family` is for tests of a kernel without MPTCP; production uses "mptcp_pm".
    public init(family: String = PathManager.familyName) throws {
        var err: Int32 = 0
        guard let h = mptcp_nl_open_pm(family, &err) else {
            if err == -ENOENT { throw KernelError.mptcpUnavailable("no \"\(family)\" generic netlink family") }
            throw KernelError.fromShim(err, operation: "open mptcp_pm generic netlink socket")
        }
        handle = h
    }

    deinit { mptcp_nl_close(handle) }

    public func endpoints() throws -> [Endpoint] {
        var endpoints: [Endpoint] = []
        let ret = RecordSink<mptcp_nl_endpoint>.run({ record in
            if let e = PathManager.endpoint(record) { endpoints.append(e) }
            return 0
        }) { context in
            mptcp_nl_dump_endpoints(handle, { RecordSink.forward($0, $1) }, context)
        }
        try check(ret, "dump endpoints")
        return endpoints
    }

    public func limits() throws -> Limits {
        var subflows: UInt32 = 0, accepted: UInt32 = 0
        try check(mptcp_nl_get_limits(handle, &subflows, &accepted), "get limits")
        return Limits(subflows: subflows, addAddrAccepted: accepted)
    }

    /// Sets either limit or both; nil leaves a limit unchanged.
    public func setLimits(subflows: UInt32? = nil, addAddrAccepted: UInt32? = nil) throws {
        try check(mptcp_nl_set_limits(handle, subflows.map(Int64.init) ?? -1, addAddrAccepted.map(Int64.init) ?? -1),
                  "set limits", isWrite: true)
    }

    /// Adds `request`; its zero fields are left to the kernel (id 0: the kernel allocates
    /// one, as it never gives 0 to an endpoint; port 0: none; ifIndex 0: no interface).
    public func addEndpoint(_ request: Endpoint) throws {
        var ep = mptcp_nl_endpoint()
        var attrs: [Int] = [MPTCP_NL_ADDR_ATTR_FAMILY, MPTCP_NL_ADDR_ATTR_FLAGS]
        ep.family = UInt16(request.address.family == .ipv4 ? AF_INET : AF_INET6)
        attrs.append(request.address.family == .ipv4 ? MPTCP_NL_ADDR_ATTR_ADDR4 : MPTCP_NL_ADDR_ATTR_ADDR6)
        withUnsafeMutableBytes(of: &ep.addr) { dst in
            for (i, b) in request.address.bytes.enumerated() { dst[i] = b }
        }
        ep.flags = request.flags.rawValue
        if request.id != 0 {
            ep.id = request.id
            attrs.append(MPTCP_NL_ADDR_ATTR_ID)
        }
        if request.port != 0 {
            ep.port = request.port
            attrs.append(MPTCP_NL_ADDR_ATTR_PORT)
        }
        if request.ifIndex != 0 {
            ep.ifindex = Int32(bitPattern: request.ifIndex)
            attrs.append(MPTCP_NL_ADDR_ATTR_IF_IDX)
        }
        ep.attrs = attrs.reduce(0) { $0 | 1 << UInt32($1) }
        try check(mptcp_nl_add_endpoint(handle, &ep), "add endpoint \(request.address)", isWrite: true)
    }

    public func deleteEndpoint(id: UInt8) throws {
        try check(mptcp_nl_delete_endpoint(handle, id), "delete endpoint \(id)", isWrite: true)
    }

    /// The kernel changes only backup and fullmesh of an existing endpoint.
    public func setEndpointFlags(id: UInt8, flags: EndpointFlags) throws {
        try check(mptcp_nl_set_endpoint_flags(handle, id, flags.rawValue), "set flags of endpoint \(id)", isWrite: true)
    }

    func check(_ ret: Int32, _ operation: String, isWrite: Bool = false) throws {
        guard ret < 0 else { return }
        throw KernelError.fromShim(ret, operation: operation,
                                   message: String(cString: mptcp_nl_error_message(handle)), isWrite: isWrite)
    }

    static func endpoint(_ e: mptcp_nl_endpoint) -> Endpoint? {
        let family: IPAddress.Family
        switch Int32(e.family) {
        case AF_INET: family = .ipv4
        case AF_INET6: family = .ipv6
        default: return nil
        }
        var addr = e.addr
        let address = withUnsafeBytes(of: &addr) { IPAddress(family: family, prefixOf: $0) }
        return Endpoint(id: e.id, address: address, port: e.port, ifIndex: UInt32(bitPattern: e.ifindex),
                        flags: EndpointFlags(rawValue: e.flags))
    }
}
