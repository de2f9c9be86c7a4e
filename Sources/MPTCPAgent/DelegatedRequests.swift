import CNetSNMP
import Logging
import MPTCPMIBView
import Platform

/// Requests answered later, inside snmpd: net-snmp's delegated requests. A request that
/// finds no view fresh enough is marked delegated and kept here while the cache's refresher
/// takes a snapshot; snmpd meanwhile goes on serving its other MIBs and other PDUs. When
/// the refresher rings (`ViewCache.ready`, watched from snmpd's main loop), `complete`
/// answers every request whose snapshot is in, and snmpd sends the responses. Agent
/// thread only (every call here is net-snmp's).
final class DelegatedRequests {
    private struct Pending {
        let cache: UnsafeMutablePointer<netsnmp_delegated_cache>
        /// When it was delegated (`complete`'s lookup decides which dump will do).
        let since: Double
    }

    private var pending: [Pending] = []
    private var alarm: UInt32 = 0
    private let logger: Logger
    /// The view for a request delegated at a time, or nil while it is to wait.
    private let lookup: (Double) -> MIBView?

    /// How long a request may wait for its snapshot before it fails with genErr. net-snmp
    /// has no timeout of its own, and while anything is delegated a SET (and every PDU after
    /// it) waits: a refresher that cannot read must not stop snmpd.
    static let deadline: Double = 15

    /// The name of the per-PDU mark (`netsnmp_agent_add_list_data`): a PDU answered after a
    /// delegation is answered from the view it got, also for its later GETBULK repetitions,
    /// which net-snmp hands to the handler one by one.
    static let mark = "mptcpAnswered"
    nonisolated(unsafe) private static var markData: UInt8 = 1

    init(logger: Logger, lookup: @escaping (Double) -> MIBView?) {
        self.logger = logger
        self.lookup = lookup
    }

    /// Whether this PDU was answered once already after a delegation.
    static func answered(_ reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>) -> Bool {
        netsnmp_agent_get_list_data(reqinfo, mark) != nil
    }

    /// Marks `requests` delegated and keeps them until `complete` finds their view.
    func delegate(handler: UnsafeMutablePointer<netsnmp_mib_handler>?, reginfo: UnsafeMutablePointer<netsnmp_handler_registration>?,
                  reqinfo: UnsafeMutablePointer<netsnmp_agent_request_info>, requests: UnsafeMutablePointer<netsnmp_request_info>?) {
        netsnmp_handler_mark_requests_as_delegated(requests, REQUEST_IS_DELEGATED)
        guard let cache = netsnmp_create_delegated_cache(handler, reginfo, reqinfo, requests, nil) else {
            netsnmp_handler_mark_requests_as_delegated(requests, REQUEST_IS_NOT_DELEGATED)
            for r in RequestList(head: requests) { netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR) }
            return
        }
        pending.append(Pending(cache: cache, since: MonotonicClock.now))
        // Every 0.25 s while any waits: a request that waited `ViewCache.freshWait` is answered
        // from the view there is (`lookup`) even if no snapshot came in.
        if alarm == 0 {
            alarm = snmp_alarm_register_hr(timeval(tv_sec: 0, tv_usec: 250_000), UInt32(SA_REPEAT), { _, context in
                guard let context else { return }
                let requests = Unmanaged<DelegatedRequests>.fromOpaque(context).takeUnretainedValue()
                requests.complete()
                requests.expire()
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Answers what waits for a view that `lookup` now has (lookup(t): the view for a
    /// request delegated at t; else nil, and it asks for one).
    func complete() {
        var waiting: [Pending] = []
        for p in pending {
            guard let view = lookup(p.since) else {
                waiting.append(p)
                continue
            }
            // The same code as a request answered at once.
            finish(p) { reqinfo, requests in
                RequestHandler.answer(mode: reqinfo.pointee.mode, reqinfo: reqinfo, requests: requests, view: view)
            }
        }
        pending = waiting
        stopAlarmIfIdle()
    }

    /// Fails every waiting request with genErr (the module is unloaded, or the deadline).
    func failAll() {
        let all = pending
        pending = []
        all.forEach(fail)
        stopAlarmIfIdle()
    }

    /// Fails the requests that waited longer than the deadline (snmp_alarm, snmpd's thread).
    private func expire() {
        let now = MonotonicClock.now
        let late = pending.filter { now - $0.since >= Self.deadline }
        guard !late.isEmpty else { return }
        logger.error("no MPTCP snapshot within \(Int(Self.deadline)) s: \(late.count) request(s) answered with genErr")
        pending.removeFirst(late.count)  // delegated in time order: the late ones lead
        late.forEach(fail)
        stopAlarmIfIdle()
    }

    private func fail(_ p: Pending) {
        finish(p) { reqinfo, requests in
            for r in requests { netsnmp_set_request_error(reqinfo, r, SNMP_ERR_GENERR) }
        }
    }

    /// Runs `body` on the requests of `p` if their PDU is still waiting, ends the
    /// delegation (snmpd answers the PDU from its main loop), and frees the cache.
    private func finish(_ p: Pending, _ body: (UnsafeMutablePointer<netsnmp_agent_request_info>, RequestList) -> Void) {
        defer { netsnmp_free_delegated_cache(p.cache) }
        // nil: the PDU is gone (snmpd timed it out or was reloaded): touch nothing.
        guard let c = netsnmp_handler_check_cache(p.cache), let reqinfo = c.pointee.reqinfo else { return }
        let requests = RequestList(head: c.pointee.requests)
        netsnmp_handler_mark_requests_as_delegated(c.pointee.requests, REQUEST_IS_NOT_DELEGATED)
        netsnmp_agent_add_list_data(reqinfo, netsnmp_create_data_list(Self.mark, &Self.markData, nil))
        let mode = reqinfo.pointee.mode
        body(reqinfo, requests)
        // A GETBULK is answered as GETNEXTs by bulk_to_next above the handler, which fixes up
        // the repetitions after a call that returned at once: after a delegation, here.
        if mode == CNETSNMP_MODE_GETBULK { netsnmp_bulk_to_next_fix_requests(c.pointee.requests) }
    }

    private func stopAlarmIfIdle() {
        guard pending.isEmpty, alarm != 0 else { return }
        snmp_alarm_unregister(alarm)
        alarm = 0
    }
}
