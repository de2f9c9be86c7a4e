import MPTCPMIB
import SMI
import MPTCPModel

/// Where each scalar's value comes from in a snapshot and the agent's facts (the tables'
/// columns are declared with their tables, in `ServedTables.swift`).
enum Bindings {
    typealias G = MPTCPMIB.General

    // MARK: Scalars

    static func scalar(_ object: MIBObject, snapshot s: Snapshot, facts: AgentFacts, endpointNextID: UInt32) -> SNMPValue? {
        if let kernelName = MPTCPMIB.Stats.kernelName(of: object) {
            guard let v = s.counters?[kernelName] else { return nil }
            return object.syntax.encoding == .counter64 ? .counter64(v) : .gauge(v)
        }
        if let sysctl = SysctlObject.of(object) { return sysctl.value(s.settings) }
        func text(_ value: String?) -> SNMPValue? { value.map { .octets(Array($0.utf8)) } }
        switch object {
        case G.pathManager: return text(PathManagerSetting.current(s.settings))
        case G.availablePathManagers: return text(PathManagerSetting.available(s.settings)?.joined(separator: " "))
        case G.limitSubflows: return s.limits.map { .unsigned($0.subflows) }
        case G.limitAddAddrAccepted: return s.limits.map { .unsigned($0.addAddrAccepted) }
        case G.currentConnections: return .gauge(s.connections.count)
        case G.currentSubflows: return .gauge(s.subflows.count)
        case G.currentListeners: return .gauge(s.listeners.count)
        case G.endpointNextID: return s.endpoints == nil ? nil : .unsigned(endpointNextID)
        case G.statsDiscontinuityTime:
            return facts.statsDiscontinuity.map { .timeticks(facts.timeStamp($0)) }
        case G.connectionsOneSubflow: return .gauge(s.host.oneSubflow)
        case G.connectionsTwoSubflows: return .gauge(s.host.twoSubflows)
        case G.connectionsMoreSubflows: return .gauge(s.host.moreSubflows)
        case G.connectionsFallback: return .gauge(s.host.fallback)
        case G.connectionsBackupOnly: return .gauge(s.host.backupOnly)
        case G.subflowsEstablished: return .gauge(s.host.establishedSubflows)
        case G.endpointSpinLock: return s.endpoints == nil ? nil : .integer(facts.endpointSpinLock)
        case G.snapshotTime: return facts.snapshotTime.map { .timeticks(facts.timeStamp($0)) }
        default: return nil
        }
    }

    typealias N = MPTCPMIB.NotificationControl
    static func control(_ object: MIBObject, _ facts: AgentFacts) -> SNMPValue? {
        let n = facts.notifications
        switch object {
        case N.enabled: return .bits(n.enabled.map(\.rawValue), length: N.enabled.syntax.bitsLength)
        case N.rateLimit: return .unsigned(n.rateLimit)
        case N.sent: return .counter64(n.sent)
        case N.suppressed: return .counter64(n.suppressed)
        case N.dropped: return .counter64(n.dropped)
        case N.discontinuityTime: return .timeticks(facts.timeStamp(n.since))
        default: return nil
        }
    }

    typealias L = MPTCPMIB.EventLog
    static func eventLog(_ object: MIBObject, _ facts: AgentFacts) -> SNMPValue? {
        let log = facts.eventLog
        switch object {
        case L.size: return .unsigned(log.size)
        case L.lastIndex: return .unsigned(log.lastIndex)
        case L.dropped: return .counter64(log.dropped)
        case L.discontinuityTime: return .timeticks(facts.timeStamp(log.since))
        default: return nil
        }
    }

    /// Linux TCP states as MptcpTcpState (TCP-MIB's tcpConnectionState numbering).
    static func tcpState(_ s: TCPState) -> SNMPValue {
        let value: Int32
        switch s {
        case .close: value = 1
        case .listen: value = 2
        case .synSent: value = 3
        case .synReceived, .newSynReceived: value = 4
        case .established: value = 5
        case .finWait1: value = 6
        case .finWait2: value = 7
        case .closeWait: value = 8
        case .lastAck: value = 9
        case .closing: value = 10
        case .timeWait: value = 11
        }
        return .integer(value)
    }
}
