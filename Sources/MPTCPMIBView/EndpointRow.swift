import MPTCPMIB
import SMI
import MPTCPModel

/// A row of mptcpEndpointTable: an endpoint the kernel holds (active), or one a manager
/// is building with createAndWait that lives only in the agent until it is activated.
public struct EndpointRow: Sendable, Hashable {
    /// The endpoint the row describes. A row the agent holds starts from the defaults
    /// (no port, no interface, no flags) and may not have an address yet: see `address`.
    public var endpoint: Endpoint
    /// mptcpEndpointAddressType as set; nil: that of the address.
    public var addressType: IPAddress.Family?
    /// active (in the kernel), notInService or notReady (held by the agent).
    public var status: RowStatus
    private var hasAddress: Bool

    /// A held row's address until one is set: never served, never sent to the kernel.
    private static let noAddress = IPAddress(bytes: [0, 0, 0, 0])!

    public init(id: UInt8, addressType: IPAddress.Family? = nil, address: IPAddress? = nil, status: RowStatus) {
        endpoint = Endpoint(id: id, address: address ?? Self.noAddress, flags: [])
        hasAddress = address != nil
        self.addressType = addressType
        self.status = status
    }

    /// The row of an endpoint the kernel holds.
    public init(_ e: Endpoint) {
        endpoint = e
        hasAddress = true
        addressType = e.address.family
        status = .active
    }

    public var id: UInt8 { endpoint.id }

    /// mptcpEndpointAddress; nil until it is set.
    public var address: IPAddress? {
        get { hasAddress ? endpoint.address : nil }
        set {
            endpoint.address = newValue ?? Self.noAddress
            hasAddress = newValue != nil
        }
    }

    /// A pending row has all it needs to become active: an address of its type.
    public var isComplete: Bool {
        guard let address else { return false }
        return addressType == nil || addressType == address.family
    }

    /// The table's rows: the kernel's endpoints, and the rows held by the agent under ids
    /// the kernel does not use.
    static func rows(kernel: [Endpoint]?, pending: [EndpointRow]) -> [UInt8: EndpointRow] {
        var rows: [UInt8: EndpointRow] = [:]
        for e in kernel ?? [] { rows[e.id] = EndpointRow(e) }
        for p in pending where rows[p.id] == nil { rows[p.id] = p }
        return rows
    }
}
