import CNetSNMP
import Logging
import MPTCPMIB

/// SET requests (net-snmp's RESERVE1, RESERVE2, ACTION, COMMIT, FREE, UNDO phases).
final class SetEngine {
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    func handle(mode: Int32, reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, requests: RequestList) -> Int32 {
        if mode == MODE_SET_RESERVE1 {
            for r in requests { netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE) }
        }
        return SNMP_ERR_NOERROR
    }
}
