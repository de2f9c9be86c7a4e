import CNetSNMP
import Logging
import MPTCPMIB
import MPTCPMIBView

/// Answers the requests net-snmp hands to the MPTCP-MIB registration: reads from one
/// view per call (one call per request PDU), SETs through the SET engine. With a
/// `delegated` cache (inside snmpd), a read that finds no view fresh enough is answered
/// later (`DelegatedRequests`).
final class RequestHandler {
    let state: AgentState
    let cache: ViewCache
    let sets: SetEngine
    /// Reads waiting for a snapshot (nil: an `onDemand` cache, which never makes them wait).
    let delegated: DelegatedRequests?

    init(state: AgentState, cache: ViewCache, sets: SetEngine, logger: Logger) {
        self.state = state
        self.cache = cache
        self.sets = sets
        delegated = cache.policy == .delegated ? DelegatedRequests(logger: logger, lookup: { [cache] in cache.view(forRequestAt: $0) }) : nil
    }

    func handle(handler: UnsafeMutablePointer<netsnmp_mib_handler>?, reginfo: UnsafeMutablePointer<netsnmp_handler_registration>?,
                reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>,
                requests: UnsafeMutablePointer<netsnmp_request_info>?) -> Int32 {
        let list = RequestList(head: requests)
        let mode = reqinfo.pointee.mode
        LogSink.shared.flush()
        state.anchorUptime(ticks: UInt32(truncatingIfNeeded: netsnmp_get_agent_uptime()))
        sets.expirePending()
        guard mode == CNETSNMP_MODE_GET || mode == CNETSNMP_MODE_GETNEXT else {
            return sets.handle(mode: mode, reqinfo: reqinfo, requests: list)
        }
        let isInternal = delegated != nil && cnetsnmp_request_is_internal(reqinfo) != 0
        let view: MIBView?
        if delegated != nil && DelegatedRequests.answered(reqinfo) {
            // The later GETBULK repetitions of a PDU answered after a delegation: from the view it got.
            view = cache.peek()
        } else if isInternal {
            // snmpd's own monitors wait on snmpd's thread: answered now, from the latest view;
            // one older than the TTL is refreshed for their next evaluation.
            view = cache.view() ?? cache.peek()
        } else {
            view = cache.view()
        }
        guard let view else {
            if let delegated, !isInternal {
                delegated.delegate(handler: handler, reginfo: reginfo, reqinfo: reqinfo, requests: requests)
            } else {
                // No view yet (the namespace could not be entered, or a monitor's first evaluation).
                for r in list where r.pointee.processed == 0 { netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR) }
            }
            return SNMP_ERR_NOERROR
        }
        Self.answer(mode: mode, reqinfo: reqinfo, requests: list, view: view)
        return SNMP_ERR_NOERROR
    }

    /// Answers reads from `view`: GET, or GETNEXT (also for a GETBULK answered later).
    static func answer(mode: Int32, reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, requests: RequestList, view: MIBView) {
        if mode == CNETSNMP_MODE_GET {
            for r in requests where r.pointee.processed == 0 {
                guard let vb = r.pointee.requestvb else { continue }
                switch view.get(vb.oid) {
                case .value(let v): vb.set(v)
                case .noSuchObject: netsnmp_set_request_error(reqinfo, r, Int32(CNETSNMP_NOSUCHOBJECT))
                case .noSuchInstance: netsnmp_set_request_error(reqinfo, r, Int32(CNETSNMP_NOSUCHINSTANCE))
                }
            }
        } else {
            for r in requests where r.pointee.processed == 0 {
                guard let vb = r.pointee.requestvb else { continue }
                // Left untouched (ASN_NULL), net-snmp moves on past our subtree.
                guard let (oid, value) = view.next(after: vb.oid) else { continue }
                vb.setOID(oid)
                vb.set(value)
            }
        }
    }

    /// The cache rang: answers the delegated reads whose snapshot is in.
    func completeDelegated() {
        delegated?.complete()
    }
}

/// The C entry point net-snmp calls; the Swift handler travels in `myvoid`.
func mptcpNodeHandler(
    _ handler: UnsafeMutablePointer<netsnmp_mib_handler>?,
    _ reginfo: UnsafeMutablePointer<netsnmp_handler_registration>?,
    _ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>?,
    _ requests: UnsafeMutablePointer<netsnmp_request_info>?
) -> Int32 {
    guard let context = handler?.pointee.myvoid, let reqinfo else { return SNMP_ERR_GENERR }
    let h = Unmanaged<RequestHandler>.fromOpaque(context).takeUnretainedValue()
    return h.handle(handler: handler, reginfo: reginfo, reqinfo: reqinfo, requests: requests)
}
