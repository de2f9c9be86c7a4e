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

    /// A join closed without error or reset this soon after SUB_ESTABLISHED was refused
    /// (seconds): the peer resets a join it refuses right after the handshake, one RTT after
    /// SUB_ESTABLISHED, and the kernel then reports neither the peer's MP_TCPRST nor an error.
    public static let joinRefusalWindow = 3.0

    /// The reason of a SUB_CLOSED event. `withdrawn`: a path manager removed the subflow's
    /// address before it closed (the peer's REMOVE_ADDR, or the local endpoint deleted);
    /// `establishedFor`: seconds since its SUB_ESTABLISHED, nil if that was not seen.
    public init(subflowClosed event: PathManagerEvent, withdrawn: Bool, establishedFor: Double? = nil) {
        let error = event.error ?? 0
        let join = (event.localID ?? 0) != 0 || (event.remoteID ?? 0) != 0
        if let code = event.resetReason {
            self = code <= 6 ? SubflowCloseReason(rawValue: 10 + Int32(code))! : .mpTcpRstUnspecified
        } else if withdrawn {
            self = .removedByPathManager
        } else if error == Errno.connectionRefused
                    || (error == 0 && join && establishedFor.map { $0 < Self.joinRefusalWindow } ?? false) {
            self = .joinRefused  // a reset answered its MP_JOIN SYN, or followed the handshake
        } else {
            switch error {
            case 0: self = .orderly
            case Errno.connectionReset, Errno.brokenPipe: self = .tcpReset
            case Errno.timedOut: self = .timeout
            case Errno.connectionAborted: self = .aborted  // SOCK_DESTROY: ss -K
            default: self = .otherError
            }
        }
    }
}
