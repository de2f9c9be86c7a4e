import CNetSNMP
import Logging
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import NetSNMP
import Platform
import SMI

/// Sends MPTCP-MIB notifications through net-snmp, which hands them to snmpd's
/// notification targets (trap2sink, informsink, trapsess, SNMP-NOTIFICATION-MIB): as an
/// AgentX Notify from a subagent, directly from inside snmpd. Every notification passes
/// the gate (enable bits, rate limit) first; when the agent is not attached to its
/// master it is dropped and counted, never queued. Agent thread only.
final class Notifier {
    private var gate: NotificationGate
    /// SNMP context the notifications are sent in (nil: the default context).
    private let context: String?
    private let logger: Logger
    /// Shows the controls and counts in views; `changed`: the controls changed (a SET).
    private let publish: (_ state: NotificationState, _ controlsChanged: Bool) -> Void
    /// Whether the SNMP engine can deliver: an AgentX subagent only while attached.
    var attached: Bool
    /// The net-snmp alarm that watches for the end of a burst (0: none).
    private var burstAlarm: UInt32 = 0

    init(_ state: NotificationState, context: String?, attached: Bool, logger: Logger,
         publish: @escaping (NotificationState, Bool) -> Void) {
        gate = NotificationGate(state, at: MonotonicClock.now)
        self.context = context
        self.attached = attached
        self.logger = logger
        self.publish = publish
        publish(gate.state, true)
    }

    deinit { stopBurstAlarm() }

    var state: NotificationState { gate.state }

    func configure(enabled: Set<MPTCPMIB.Notifications.Kind>, rateLimit: UInt32) {
        gate.configure(enabled: enabled, rateLimit: rateLimit)
        publish(gate.state, true)
    }

    /// Sends a notification of `kind` if the gate lets it through; it is built only then.
    func send(_ kind: MPTCPMIB.Notifications.Kind, _ build: () -> Notification?) {
        switch gate.admit(kind, at: MonotonicClock.now) {
        case .disabled:
            return
        case .suppressed:
            startBurstAlarm()
        case .send:
            if let n = build() { deliver(n) }
        }
        publish(gate.state, false)
    }

    private func deliver(_ n: Notification) {
        guard attached else {
            gate.recordDropped()
            return
        }
        let list = VarBindList(n.varbinds)
        if let context {
            context.withCString { send_v3trap(list.pointer, $0) }
        } else {
            send_v2trap(list.pointer)
        }
        gate.recordSent()
    }

    /// Called every second during a burst: once nothing was refused for a second, says how
    /// many were (mptcpNotificationsThrottled, whatever the rate limit) and stops watching.
    fileprivate func checkBurst() {
        guard let count = gate.endedBurst(at: MonotonicClock.now) else { return }
        stopBurstAlarm()
        logger.notice("notification burst ended: \(count) suppressed by the rate limit of \(gate.state.rateLimit)/s")
        if gate.state.enabled.contains(.notificationsThrottled) {
            deliver(NotificationBuilder.throttled(count: count, total: gate.state.suppressed))
        }
        publish(gate.state, false)
    }

    private func startBurstAlarm() {
        guard burstAlarm == 0 else { return }
        burstAlarm = snmp_alarm_register(1, UInt32(SA_REPEAT), { _, context in
            Unmanaged<Notifier>.fromOpaque(context!).takeUnretainedValue().checkBurst()
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func stopBurstAlarm() {
        guard burstAlarm != 0 else { return }
        snmp_alarm_unregister(burstAlarm)
        burstAlarm = 0
    }
}
