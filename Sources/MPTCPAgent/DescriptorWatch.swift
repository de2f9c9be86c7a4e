import CNetSNMP

#if canImport(Glibc)
import Glibc
#endif

/// Descriptors whose readiness runs a handler from net-snmp's main loop. net-snmp watches
/// at most 32 external descriptors (NUM_EXTERNAL_FDS), and an agent serving many network
/// namespaces has an event socket for each: they share one epoll descriptor, which is
/// the only one net-snmp watches. Agent thread only.
final class DescriptorWatch {
    nonisolated(unsafe) static let shared = DescriptorWatch()

    private var epoll: Int32 = -1
    private var handlers: [Int32: () -> Void] = [:]

    /// Watches `fd` for reading; false if the system refused.
    @discardableResult
    func add(_ fd: Int32, _ handler: @escaping () -> Void) -> Bool {
        if epoll < 0 {
            epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
            guard epoll >= 0 else { return false }
            register_readfd(epoll, { _, _ in DescriptorWatch.shared.ready() }, nil)
        }
        var event = epoll_event()
        event.events = UInt32(EPOLLIN.rawValue)
        event.data.fd = fd
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else { return false }
        handlers[fd] = handler
        return true
    }

    /// Stops watching `fd`; the epoll descriptor goes when nothing is left to watch (an
    /// unloaded module leaves none behind).
    func remove(_ fd: Int32) {
        guard handlers.removeValue(forKey: fd) != nil else { return }
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil as UnsafeMutablePointer<epoll_event>?)
        if handlers.isEmpty {
            unregister_readfd(epoll)
            close(epoll)
            epoll = -1
        }
    }

    private func ready() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        let n = epoll_wait(epoll, &events, Int32(events.count), 0)
        guard n > 0 else { return }
        for event in events[0..<Int(n)] {
            // A handler may remove others: look each up as it comes.
            handlers[event.data.fd]?()
        }
    }
}
