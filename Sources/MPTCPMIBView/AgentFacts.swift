import MPTCPModel
import MPTCPMIB
import SMI

/// What the agent adds to a kernel snapshot: its own state, not the kernel's. Starts as
/// a view with no agent behind it has it (tests, `mptcp-agentx --check`); the agent sets
/// what it knows.
public struct AgentFacts: Sendable {
    /// The TimeStamp (sysUpTime, hundredths) of a monotonic instant, by the clock of the
    /// agent that answers; 0 for everything without one.
    public var timeStamp: @Sendable (_ monotonic: Double) -> UInt32 = { _ in 0 }
    /// Endpoint rows created with createAndWait that live in the agent.
    public var pendingEndpoints: [EndpointRow] = []
    public var endpointSpinLock: Int32 = 0
    /// When the snapshot's dump began (monotonic seconds); nil: no agent behind the view.
    public var snapshotTime: Double?
    /// When the counters last had a discontinuity (monotonic seconds); nil: never read.
    public var statsDiscontinuity: Double?
    /// When each connection was first seen (monotonic seconds), by token.
    public var firstSeen: [UInt32: Double] = [:]
    public var notifications = NotificationState.withoutAgent
    /// The other namespaces served as contexts (mptcpContextTable, in the default context).
    public var contexts: [ServedContext] = []
    /// Why connections fell back to TCP, by token, for those the agent saw falling back.
    public var fallbackCauses: [UInt32: FallbackCauses] = [:]
    /// Additional subflows that closed while their peer address stayed, by connection: the
    /// local address ids of the failed joins (from the path manager's events).
    public var joinFailures: [UInt32: Set<UInt8>] = [:]
    /// Connections whose peer forbids joins to its first address (from the events).
    public var peerDeniesInitialAddress: Set<UInt32> = []
    public var eventLog = EventLogFacts()

    public init() {}
}

/// A network namespace served as an SNMP context: a row of mptcpContextTable.
public struct ServedContext: Sendable, Equatable {
    public var name: String
    /// The namespace's file (/run/netns/NAME, /proc/PID/ns/net).
    public var path: String
    /// Why it cannot be served now; nil while it is served.
    public var error: String?

    public init(name: String, path: String, error: String? = nil) {
        self.name = name
        self.path = path
        self.error = error
    }
}

/// The notification controls and what became of the notifications (mptcpNotificationControl).
public struct NotificationState: Sendable, Hashable {
    public var enabled: Set<MPTCPMIB.Notifications.Kind>
    public var rateLimit: UInt32
    public var sent: UInt64 = 0
    public var suppressed: UInt64 = 0
    public var dropped: UInt64 = 0
    /// When counting began (monotonic seconds).
    public var since: Double

    /// A view with no agent behind it (tests, `mptcp-agentx --check`) sends nothing: no kind
    /// enabled, the lowest rate the MIB allows. The agent's start values are its configuration's.
    public static let withoutAgent = NotificationState(
        enabled: [], rateLimit: UInt32(MPTCPMIB.NotificationControl.rateLimit.syntax.ranges[0].lowerBound))

    public init(enabled: Set<MPTCPMIB.Notifications.Kind>, rateLimit: UInt32, since: Double = 0) {
        self.enabled = enabled
        self.rateLimit = rateLimit
        self.since = since
    }
}

/// The event log as a view shows it (mptcpEventLog).
public struct EventLogFacts: Sendable {
    public var size: UInt32 = 0
    public var lastIndex: UInt32 = 0
    public var dropped: UInt64 = 0
    /// When the log started (monotonic seconds).
    public var since: Double = 0
    /// Oldest first.
    public var entries: [EventLogEntry] = []

    public init() {}

    public init(size: UInt32, lastIndex: UInt32, dropped: UInt64, since: Double, entries: [EventLogEntry]) {
        self.size = size
        self.lastIndex = lastIndex
        self.dropped = dropped
        self.since = since
        self.entries = entries
    }
}
