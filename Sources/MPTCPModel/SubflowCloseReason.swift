/// Why a subflow ended: MPTCP-MIB's MptcpCloseReason, whose DESCRIPTION gives the rules
/// in the order `init(subflowClosed:withdrawn:)` applies them.
public enum SubflowCloseReason: Int32, Sendable, Hashable, CaseIterable {
    case orderly = 1, withConnection, tcpReset, timeout, removedByPathManager, joinRefused, otherError, aborted
    /// An MP_TCPRST from the peer: 10 + its RFC 8684 reason code.
    case mpTcpRstUnspecified = 10, mpTcpRstMptcpSpecificError, mpTcpRstLackOfResources,
         mpTcpRstAdministrativelyProhibited, mpTcpRstTooMuchOutstandingData, mpTcpRstUnacceptablePerformance,
         mpTcpRstMiddleboxInterference

    /// Linux's errno values in SUB_CLOSED's error attribute (the kernel's numbering, not
    /// the C library's: they agree on every architecture this agent is built for).
    enum Errno {
        static let brokenPipe: UInt8 = 32, connectionAborted: UInt8 = 103, connectionReset: UInt8 = 104, timedOut: UInt8 = 110,
                   connectionRefused: UInt8 = 111
    }

    /// The reason of a SUB_CLOSED event. `withdrawn`: a path manager removed the subflow's
    /// address before it closed (the peer's REMOVE_ADDR, or the local endpoint deleted).
    public init(subflowClosed event: PathManagerEvent, withdrawn: Bool) {
        if let code = event.resetReason {
            self = code <= 6 ? SubflowCloseReason(rawValue: 10 + Int32(code))! : .mpTcpRstUnspecified
        } else if withdrawn {
            self = .removedByPathManager
        } else {
            switch event.error ?? 0 {
            case 0: self = .orderly
            case Errno.connectionRefused: self = .joinRefused  // a reset answered the MP_JOIN SYN
            case Errno.connectionReset, Errno.brokenPipe: self = .tcpReset
            case Errno.timedOut: self = .timeout
            case Errno.connectionAborted: self = .aborted  // SOCK_DESTROY: ss -K
            default: self = .otherError
            }
        }
    }
}
