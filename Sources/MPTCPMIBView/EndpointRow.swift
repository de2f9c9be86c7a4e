import MPTCPMIB
import SMI
import MPTCPModel

/// A row of mptcpEndpointTable: an endpoint the kernel holds (active), or one a manager
/// is building with createAndWait that lives only in the agent until it is activated.
public struct EndpointRow: Sendable, Hashable {
    public var id: UInt8
    public var addressType: IPAddress.Family?
    public var address: IPAddress?
    public var port: UInt16
    public var ifIndex: UInt32
    public var flags: EndpointFlags
    /// active (in the kernel), notInService or notReady (held by the agent).
    public var status: RowStatus

    public init(id: UInt8, addressType: IPAddress.Family? = nil, address: IPAddress? = nil, port: UInt16 = 0,
                ifIndex: UInt32 = 0, flags: EndpointFlags = [], status: RowStatus) {
        self.id = id
        self.addressType = addressType
        self.address = address
        self.port = port
        self.ifIndex = ifIndex
        self.flags = flags
        self.status = status
    }

    public init(_ e: Endpoint) {
        self.init(id: e.id, addressType: e.address.family, address: e.address, port: e.port, ifIndex: e.ifIndex,
                  flags: e.flags, status: .active)
    }

    /// A pending row has all it needs to become active: an address of its type.
    public var isComplete: Bool {
        guard let address else { return false }
        return addressType == nil || addressType == address.family
    }
}
