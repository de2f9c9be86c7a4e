import CNetSNMP

/// The requests of one handler call, as a Swift sequence.
struct RequestList: Sequence {
    let head: UnsafeMutablePointer<netsnmp_request_info>?

    func makeIterator() -> AnyIterator<UnsafeMutablePointer<netsnmp_request_info>> {
        var next = head
        return AnyIterator {
            guard let current = next else { return nil }
            next = current.pointee.next
            return current
        }
    }
}
