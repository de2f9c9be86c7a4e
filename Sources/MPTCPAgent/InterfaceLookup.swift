import MPTCPKernel
import MPTCPModel
import Platform

/// Which interface holds a local address, from the kernel's address list read at most
/// once a second (a storm of notifications does not become a storm of dumps).
final class InterfaceLookup {
    private let source: InterfaceAddresses
    private var byAddress: [IPAddress: UInt32] = [:]
    private var readAt = -Double.infinity

    init() throws { source = try InterfaceAddresses() }

    func interface(holding address: IPAddress) -> UInt32? {
        let now = MonotonicClock.now
        if byAddress[address] == nil && now - readAt >= 1 {
            readAt = now
            if let interfaces = try? source.interfaces() { byAddress = interfaces }
        }
        return byAddress[address]
    }
}
