import CNetSNMP
import MPTCPMIB
import MPTCPMIBView

/// Answers the requests net-snmp hands to the MPTCP-MIB registration: reads from one
/// view per call (one call per request PDU), SETs through the SET engine.
final class RequestHandler {
    let state: AgentState
    let cache: ViewCache
    let sets: SetEngine
    init(state: AgentState, cache: ViewCache, sets: SetEngine) {
        self.state = state
        self.cache = cache
        self.sets = sets
    }

    func handle(mode: Int32, reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>,
                requests: UnsafeMutablePointer<netsnmp_request_info>?) -> Int32 {
        let list = RequestList(head: requests)
        LogSink.shared.flush()
        state.anchorUptime(ticks: UInt32(truncatingIfNeeded: netsnmp_get_agent_uptime()))
        sets.expirePending()
        guard mode == CNETSNMP_MODE_GET || mode == CNETSNMP_MODE_GETNEXT else {
            return sets.handle(mode: mode, reqinfo: reqinfo, requests: list)
        }
        guard let view = cache.view() else {
            // Inside snmpd, before the first background snapshot is in: no answer is better
            // than a wrong one, and snmpd must not wait for the kernel.
            for r in list where r.pointee.processed == 0 { netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR) }
            return SNMP_ERR_NOERROR
        }
        if mode == CNETSNMP_MODE_GET {
            for r in list where r.pointee.processed == 0 {
                guard let vb = r.pointee.requestvb else { continue }
                switch view.get(vb.oid) {
                case .value(let v): vb.set(v)
                case .noSuchObject: netsnmp_set_request_error(reqinfo, r, Int32(CNETSNMP_NOSUCHOBJECT))
                case .noSuchInstance: netsnmp_set_request_error(reqinfo, r, Int32(CNETSNMP_NOSUCHINSTANCE))
                }
            }
        } else {
            for r in list where r.pointee.processed == 0 {
                guard let vb = r.pointee.requestvb else { continue }
                // Left untouched (ASN_NULL), net-snmp moves on past our subtree.
                guard let (oid, value) = view.next(after: vb.oid) else { continue }
                vb.setOID(oid)
                vb.set(value)
            }
        }
        return SNMP_ERR_NOERROR
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
    return h.handle(mode: reqinfo.pointee.mode, reqinfo: reqinfo, requests: requests)
}
