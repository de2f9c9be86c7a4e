import Logging
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import Platform
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Hands out one MIB view per request PDU, in one of two ways:
///
/// - `onDemand` (the AgentX subagent): a view is reused for `ttl` seconds; after that the
///   next request starts a refresh on a background thread and keeps being answered from
///   the previous view until the new one is ready, so no request waits for a kernel dump
///   while polls keep coming. A view older than twice the TTL (after an idle period) is
///   refreshed before answering, but a request waits for that at most `freshWait`: a dump
///   of 10^5 connections takes seconds, more than clients wait; such a request is answered
///   from the view there is. After a change (a SET) the kernel is read before answering.
///   The first view is taken before the MIB is registered (`prime`). Nothing runs while
///   nobody polls.
/// - `delegated` (inside snmpd, whose only thread must never wait for the kernel): a
///   request is answered from a view at most `ttl` old, or not now: `view()` returns nil,
///   a background thread takes a snapshot and rings `ready`, and the request, delegated to
///   net-snmp meanwhile (`DelegatedRequests`), is answered then. While polls keep coming,
///   the next snapshot is started ahead, 1.5 times as long before the view expires as the
///   last one took, so that requests do not wait for it (seconds at 10^5 connections). If
///   dumps overrun the view's life (the host got busier: under heavy churn a dump of
///   60,000 connections that took 1.4 s can take 4 to 40), requests are answered from the
///   newest view while the next is read (its age is then at most its dump's duration, the
///   TTL and the next dump's). After an idle period a request waits for a fresh view, but
///   at most `freshWait`, as above; then it is answered from the newest view, and so is
///   every request while that dump runs on. Nothing runs while nobody polls either.
///
/// A view is built from a kernel snapshot and what `AgentState` adds to it.
public final class ViewCache: @unchecked Sendable {
    public enum RefreshPolicy: Sendable {
        case onDemand, delegated
    }

    private struct Entry {
        let view: MIBView
        /// When its dump began (what its age counts from), and when it was installed.
        let takenAt: Double
        let installedAt: Double
    }

    /// Opens a snapshot source for the calling thread (each reading thread owns its
    /// netlink sockets).
    public typealias ReaderFactory = @Sendable () throws -> any SnapshotSource

    public private(set) var ttl: Double
    /// How long a request waits for a view refreshed after an idle period (both policies):
    /// half of what net-snmp's clients (and snmpd, per try, for a subagent) wait by default.
    static let freshWait = 0.5
    private let condition = Monitor()
    private var entry: Entry?  // guarded by condition
    /// Bumped by `invalidate()`: a dump that started before it must not be installed.
    private var generation = 0  // guarded by condition
    private var refreshWanted = false  // guarded by condition
    /// Whether the background refresher is taking a snapshot now, and since when (-inf: it
    /// began before a SET, and its view will not be installed).
    private var refreshing = false  // guarded by condition
    private var refreshStartedAt = -Double.infinity  // guarded by condition
    /// When a request last asked for a view (`onDemand`).
    private var lastAsked = -Double.infinity  // guarded by condition
    /// How long the last refresh took, dump and view (`delegated` starts the next that early).
    private var lastDuration = 0.0  // guarded by condition
    private var stopped = false  // guarded by condition
    private let foreground: any SnapshotSource
    private let namespace: NetworkNamespace?
    private let makeReader: ReaderFactory
    private let state: AgentState
    private let logger: Logger
    private let failureLog = RateLimiter(interval: 60)
    private var refresher: Worker?  // guarded by condition
    /// A replaced view a request was still using (see `refresh`).
    private let retired = Mutex<MIBView?>(nil)
    let policy: RefreshPolicy
    /// `delegated`: rung after each background refresh (nil: `onDemand`).
    let ready: Doorbell?

    /// `makeReader` opens the snapshot source of each reading thread: the kernel, or an
    /// in-memory snapshot in synthetic mode, which then does all the same work but the dumps.
    /// `state`: the agent's, added to each snapshot.
    /// `namespace`: read that network namespace (nil: the process's), from threads that entered it.
    public init(ttl: Double, policy: RefreshPolicy = .onDemand, makeReader: @escaping ReaderFactory,
                state: AgentState, namespace: NetworkNamespace? = nil, logger: Logger) throws {
        self.ttl = ttl
        self.policy = policy
        ready = policy == .delegated ? try Doorbell() : nil
        self.makeReader = makeReader
        self.namespace = namespace
        foreground = try namespace.perform { try makeReader() }
        self.state = state
        self.logger = logger
    }

    /// The view for one request PDU; nil only in `delegated` mode, when the view is older
    /// than the TTL (or there is none yet). Call from the agent thread only.
    public func view() -> MIBView? {
        let now = MonotonicClock.now
        if policy == .delegated { return view(takenSince: now - ttl, ahead: true) }
        condition.lock()
        let polled = now - lastAsked < 2 * ttl
        lastAsked = now
        if let e = entry, e.takenAt.isFinite {
            let age = now - e.takenAt
            if age < ttl {
                condition.unlock()
                return e.view
            }
            // Older than twice the TTL the view is refreshed before answering, but only after
            // an idle period: while polls keep coming the background refresh keeps up, and on
            // a busy host a dump that took long must not make the next request wait for one.
            if age < 2 * ttl || polled || refreshing {
                wantRefresh()
                condition.unlock()
                return e.view
            }
        }
        if let e = entry, e.takenAt.isFinite, !stopped {
            // Old, not wrong (a changed view is read here, however long that takes): the
            // refresher takes it; a newer view is one installed after `e`.
            wantRefresh()
            let deadline = now + Self.freshWait
            while entry?.takenAt == e.takenAt && MonotonicClock.now < deadline { condition.wait(until: deadline) }
            let answer = entry?.view ?? e.view
            condition.unlock()
            return answer
        }
        condition.unlock()
        return refreshInForeground()
    }

    /// `onDemand`: takes the first view now, on the calling thread, unless there is one (a
    /// request to a freshly started subagent must not wait for a dump of seconds).
    public func prime() {
        guard policy == .onDemand, peek() == nil else { return }
        _ = refreshInForeground()
    }

    /// A view read on the calling thread (`onDemand`: the first, after a change, or with
    /// the refresher stopped).
    private func refreshInForeground() -> MIBView? {
        guard let namespace else { return refresh(with: foreground) }
        // The agent's thread stays in its namespace: the read runs on a thread that enters this one.
        do {
            return try namespace.perform { refresh(with: foreground) }
        } catch {
            if failureLog.allow("\(error)") { logger.error("\(error)") }
            return peek()
        }
    }

    /// `delegated`: the view if its dump began at `time` or later; else nil, and a
    /// background refresh is wanted unless one that began at `time` or later is under way
    /// (`ready` rings when it is done). `ahead` (a request, `time` being now - ttl): a
    /// refresh is also wanted if the view expires sooner than a refresh takes and half as
    /// long again (dumps on a busy host vary that much), and an expired view is handed out
    /// while polled: installed less than a TTL ago (its own dump overran), or replaced by a
    /// dump under way that began then.
    func view(takenSince time: Double, ahead: Bool = false) -> MIBView? {
        condition.lock()
        defer { condition.unlock() }
        if let e = entry, e.takenAt >= time {
            if ahead && !refreshing && e.takenAt - time < 1.5 * lastDuration { wantRefresh() }
            return e.view
        }
        // The dump under way has taken longer than a request waits (`freshWait`): answered from
        // the newest view at once, as the requests that waited for it were.
        if ahead && refreshing && MonotonicClock.now - refreshStartedAt >= Self.freshWait, let view = newestUnchanged {
            return view
        }
        // Polled: the view was installed less than a TTL ago, or the dump replacing it began then.
        if let e = entry, ahead && e.takenAt.isFinite {
            if !refreshing && time <= e.installedAt {
                wantRefresh()
                return e.view
            }
            if refreshing && refreshStartedAt > e.takenAt && refreshStartedAt <= e.installedAt + ttl { return e.view }
        }
        if !(refreshing && refreshStartedAt >= time) { wantRefresh() }
        return nil
    }

    /// `delegated`: the view for a request delegated at `arrival`, if its dump began at most
    /// the TTL before then, as a request answered at once would get (not only one begun after
    /// it: under load that is a whole second dump to wait for); else nil, as `view(takenSince:)`.
    /// A request that has waited `freshWait` is answered from the newest view, older than the
    /// TTL (mptcpSnapshotTime tells how old): on a host busy with churn a dump that takes a
    /// second quiet takes up to a minute, and clients wait a second or two. Not after a SET:
    /// that request waits for a view that shows the change.
    func view(forRequestAt arrival: Double) -> MIBView? {
        if let view = view(takenSince: arrival - ttl) { return view }
        guard MonotonicClock.now - arrival >= Self.freshWait else { return nil }
        condition.lock()
        defer { condition.unlock() }
        return newestUnchanged
    }

    /// The newest view, unless a SET changed the kernel since its dump began (condition held).
    private var newestUnchanged: MIBView? { entry.flatMap { $0.takenAt.isFinite ? $0.view : nil } }

    /// The current view as it is, without refreshing it (nil before the first).
    func peek() -> MIBView? {
        condition.lock()
        defer { condition.unlock() }
        return entry?.view
    }

    /// The kernel or the agent's state changed (a SET): views from dumps begun before are
    /// not installed, and the next request gets a view that shows the change. The view is
    /// kept, marked as too old, for what `peek()` serves.
    public func invalidate() {
        condition.lock()
        generation += 1
        entry = entry.map { Entry(view: $0.view, takenAt: -.infinity, installedAt: $0.installedAt) }
        refreshStartedAt = -.infinity
        condition.unlock()
    }

    /// The refresher's nice value (the agent's thread keeps the process's).
    static let refresherNice: Int32 = 10

    public func setTTL(_ ttl: Double) {
        condition.lock()
        self.ttl = ttl
        condition.broadcast()
        condition.unlock()
    }

    /// The SET engine's rows held for createAndWait and its spin lock: kept in the agent's
    /// state and shown at once.
    func publish(pendingEndpoints rows: [EndpointRow], spinLock: Int32) {
        state.hold(pendingEndpoints: rows, spinLock: spinLock)
        invalidate()
    }

    /// Stops the refresher and waits until it has (a dump it is taking is finished first).
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        let worker = refresher
        refresher = nil
        condition.unlock()
        worker?.join()
    }

    /// Reads the kernel with `reader` and installs the view unless a newer one won.
    @discardableResult
    private func refresh(with reader: any SnapshotSource) -> MIBView {
        let started = MonotonicClock.now
        condition.lock()
        let startGeneration = generation
        condition.unlock()
        let (snapshot, facts) = state.read(reader, startedAt: started)
        for failure in snapshot.failures where failureLog.allow(failure) {
            logger.warning("kernel read failed, the affected table answers empty: \(failure)")
        }
        let counts = "connections \(snapshot.connections.count) subflows \(snapshot.subflows.count)"
        // Consumed: the view frees each table's snapshot rows once it has sorted them.
        let view = MIBView(snapshot: consume snapshot, facts: facts)
        var replaced: Entry?
        condition.lock()
        let ttl = self.ttl
        // Install unless a newer view won, or a SET changed the kernel after this dump began.
        if generation == startGeneration && (entry.map { started > $0.takenAt } ?? true) {
            replaced = entry
            let now = MonotonicClock.now
            entry = Entry(view: view, takenAt: started, installedAt: now)
            lastDuration = now - started
            condition.broadcast()
        }
        condition.unlock()
        // Inside snmpd, snmpd's thread must never pay for freeing a view: the view just
        // replaced is freed here, unless a request still answers from it; then one refresh
        // later, here too. (A subagent frees it now.)
        if policy == .delegated, var old = replaced?.view {
            replaced = nil
            if !isKnownUniquelyReferenced(&old) { retired.withLock { $0 = old } }
        }
        replaced = nil
        // A snapshot of a large host is tens of megabytes of short-lived allocations:
        // give the freed pages back instead of keeping the high-water mark.
        HeapTuning.returnFreeMemory()
        let took = MonotonicClock.now - started
        logger.debug("snapshot: \(counts) in \(took) s")
        // The host is too busy (or too large) for the TTL: answers are that much older.
        if took > ttl && failureLog.allow("slow snapshot") {
            logger.warning("a snapshot took \(Int(took.rounded())) s, more than cache-ttl (\(ttl) s): data served meanwhile was older than cache-ttl")
        }
        ready?.ring()
        return view
    }

    /// Wakes the background refresher (started on first need) for a snapshot (condition held).
    private func wantRefresh() {
        startRefresher()
        refreshWanted = true
        condition.broadcast()
    }

    /// Starts the background refresher on first need (condition held). It waits for a
    /// request to want a refresh.
    private func startRefresher() {
        guard refresher == nil && !stopped else { return }
        // The thread keeps the cache alive until it has seen `stop()`.
        refresher = Worker { [self] in
            // Requests first: on a saturated host the agent's thread must not wait for the CPU
            // while a snapshot is being taken (on Linux the nice value, for "0", is this thread's).
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, Self.refresherNice)
            let reader: any SnapshotSource
            do {
                try namespace?.enter()
                reader = try makeReader()
            } catch {
                logger.error("background snapshot reader: \(error)")
                return
            }
            while true {
                condition.lock()
                while !refreshWanted && !stopped { condition.wait() }
                if stopped {
                    condition.unlock()
                    return
                }
                refreshWanted = false
                refreshing = true
                refreshStartedAt = MonotonicClock.now
                condition.unlock()
                refresh(with: reader)
                condition.lock()
                refreshing = false
                condition.unlock()
            }
        }
    }
}
