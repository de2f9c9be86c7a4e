public struct EndpointFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let signal = EndpointFlags(rawValue: 0x01)
    public static let subflow = EndpointFlags(rawValue: 0x02)
    public static let backup = EndpointFlags(rawValue: 0x04)
    public static let fullmesh = EndpointFlags(rawValue: 0x08)
    public static let implicit = EndpointFlags(rawValue: 0x10)
    public static let laminar = EndpointFlags(rawValue: 0x20)

    /// The only flags the kernel's SET_FLAGS changes on an existing endpoint.
    public static let changeable: EndpointFlags = [.backup, .fullmesh]
}

/// An endpoint of the in-kernel path manager (`ip mptcp endpoint`).
public struct Endpoint: Sendable, Hashable {
    public var id: UInt8
    public var address: IPAddress
    /// 0 when the endpoint has no port.
    public var port: UInt16
    /// 0 when the endpoint is not bound to an interface.
    public var ifIndex: UInt32
    public var flags: EndpointFlags

    public init(id: UInt8, address: IPAddress, port: UInt16 = 0, ifIndex: UInt32 = 0, flags: EndpointFlags) {
        self.id = id
        self.address = address
        self.port = port
        self.ifIndex = ifIndex
        self.flags = flags
    }
}

/// The in-kernel path manager's per-namespace limits (`ip mptcp limits`).
public struct Limits: Sendable, Hashable {
    public var subflows: UInt32
    public var addAddrAccepted: UInt32

    public init(subflows: UInt32, addAddrAccepted: UInt32) {
        self.subflows = subflows
        self.addAddrAccepted = addAddrAccepted
    }
}
