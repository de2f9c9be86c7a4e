import CNetSNMP
import Logging
import MPTCPKernel
import MPTCPMIB
import MPTCPMIBView
import Platform

#if canImport(Glibc)
import Glibc
#endif

/// The network namespaces served as SNMP contexts besides the process's own: one
/// `MIBService` per namespace, registered in the context of its name, following
/// `/run/netns` (inotify) as namespaces come and go. Agent thread only.
///
/// Registrations change only in `applyPendingChanges()`, which the front end calls between
/// two turns of net-snmp's main loop: a registration is a synchronous AgentX exchange, and
/// made from a callback inside the loop it would consume input the loop has already seen
/// as ready, which the loop then blocks reading.
///
/// A namespace is held open while it is served, so it cannot vanish under a request;
/// when its name disappears the context is unregistered and everything of it closed.
public final class ContextRegistry {
    public static let namedDirectory = "/run/netns"

    private var configuration: AgentConfiguration
    private let makeService: (String, NetworkNamespace, AgentConfiguration) throws -> MIBService
    private let publish: ([ServedContext]) -> Void
    private let logger: Logger
    private var served: [String: (namespace: NetworkNamespace, service: MIBService)] = [:]
    private var unavailable: [String: ServedContext] = [:]
    private var inotify: Int32 = -1
    private var rescanAlarm: UInt32 = 0
    private var pollAlarm: UInt32 = 0
    /// Whether `/run/netns`, the configuration or the poll asked for a look.
    private var pending = false

    /// `makeService` builds (and registers) the service of one namespace; `publish` shows
    /// the rows of mptcpContextTable in the default context.
    public init(configuration: AgentConfiguration, logger: Logger,
                makeService: @escaping (String, NetworkNamespace, AgentConfiguration) throws -> MIBService,
                publish: @escaping ([ServedContext]) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.makeService = makeService
        self.publish = publish
    }

    /// Whether notifications can be delivered now (a subagent: while attached).
    public var attached = false {
        didSet { for (_, s) in served { s.service.attached = attached } }
    }

    /// Serves what the configuration asks for and starts following /run/netns.
    public func start() {
        if configuration.followsNamedNamespaces {
            watchNamedDirectory()
        }
        rescan()
    }

    /// Does what callbacks asked for since the last call; call it outside net-snmp's loop.
    public func applyPendingChanges() {
        guard pending else { return }
        pending = false
        rescan()
    }

    /// A reloaded configuration: serves what it asks for from now on.
    public func apply(_ new: AgentConfiguration) {
        for (_, s) in served { s.service.apply(new) }
        guard new.namespaces != configuration.namespaces || new.namespacePaths != configuration.namespacePaths else {
            configuration = new
            return
        }
        configuration = new
        if inotify < 0 && new.followsNamedNamespaces { watchNamedDirectory() }
        pending = true
    }

    /// Unregisters every context and closes every namespace.
    public func stop() {
        for alarm in [rescanAlarm, pollAlarm] where alarm != 0 { snmp_alarm_unregister(alarm) }
        rescanAlarm = 0
        pollAlarm = 0
        if inotify >= 0 {
            DescriptorWatch.shared.remove(inotify)
            close(inotify)
            inotify = -1
        }
        for (_, s) in served { s.service.stop() }
        served.removeAll()
        unavailable.removeAll()
    }

    deinit { stop() }

    /// The contexts wanted now: name and namespace file.
    private func wanted() -> [String: String] {
        var out: [String: String] = [:]
        switch configuration.namespaces {
        case .none: break
        case .all:
            for name in Self.namedNamespaces() { out[name] = Self.namedDirectory + "/" + name }
        case .named(let entries):
            let patterns = entries.filter(AgentConfiguration.isNamespacePattern)
            var names = entries.filter { !AgentConfiguration.isNamespacePattern($0) }
            if !patterns.isEmpty {
                names += Self.namedNamespaces().filter { name in patterns.contains { fnmatch($0, name, 0) == 0 } }
            }
            for name in names { out[name] = Self.namedDirectory + "/" + name }
        }
        for (name, path) in configuration.namespacePaths { out[name] = path }
        return out
    }

    static func namedNamespaces() -> [String] { (try? FileIO.entries(of: namedDirectory)) ?? [] }

    /// Brings the served contexts in line with what is wanted and exists.
    private func rescan() {
        let wanted = wanted()
        for (name, s) in served where wanted[name] != s.namespace.path || !s.namespace.isCurrent {
            s.service.stop()
            served[name] = nil
            logger.notice("context \(name): no longer served (\(s.namespace.path) is gone)")
        }
        unavailable = unavailable.filter { wanted[$0.key] != nil }
        for (name, path) in wanted.sorted(by: { $0.key < $1.key }) where served[name] == nil {
            do {
                guard (1...32).contains(name.utf8.count) else {
                    throw ConfigurationError(message: "an SNMP context name has 1 to 32 characters")
                }
                let namespace = try NetworkNamespace(name: name, path: path)
                let service = try makeService(name, namespace, configuration)
                service.attached = attached
                served[name] = (namespace, service)
                unavailable[name] = nil
                logger.notice("context \(name): serving the network namespace \(path)")
            } catch {
                let why = "\(error)"
                if unavailable[name]?.error != why {
                    // `ip netns add` creates the file a moment before it mounts the namespace on it.
                    if case KernelError.system(_, EINVAL) = error {
                        logger.debug("context \(name): \(path) is not a network namespace (yet)")
                    } else {
                        logger.warning("context \(name): cannot serve \(path): \(why)")
                    }
                }
                unavailable[name] = ServedContext(name: name, path: path, error: why)
            }
        }
        publish((served.map { ServedContext(name: $0.key, path: $0.value.namespace.path) } + unavailable.values)
            .sorted { $0.name < $1.name })
        // Explicit paths (e.g. /proc/PID/ns/net) and namespaces that could not be served yet
        // have no event to wait for: look again every few seconds. Otherwise nothing runs.
        let needPolling = !configuration.namespacePaths.isEmpty || !unavailable.isEmpty || (inotify < 0 && configuration.namespaces != .none)
        if needPolling && pollAlarm == 0 {
            pollAlarm = snmp_alarm_register(Self.pollSeconds, UInt32(SA_REPEAT), { _, context in
                Unmanaged<ContextRegistry>.fromOpaque(context!).takeUnretainedValue().pending = true
            }, Unmanaged.passUnretained(self).toOpaque())
        } else if !needPolling && pollAlarm != 0 {
            snmp_alarm_unregister(pollAlarm)
            pollAlarm = 0
        }
    }

    static let pollSeconds: UInt32 = 2

    /// inotify on /run/netns: `ip netns add` creates the file there and then mounts the
    /// namespace on it, so a change is looked at once now and once a moment later.
    private func watchNamedDirectory() {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            logger.warning("cannot watch \(Self.namedDirectory) (inotify: \(String(cString: strerror(errno)))): looking every \(Self.pollSeconds) s")
            return
        }
        let mask = UInt32(IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF)
        if inotify_add_watch(fd, Self.namedDirectory, mask) < 0 {
            // No namespace was ever named on this host: ip creates the directory with the first.
            if mkdir(Self.namedDirectory, 0o755) != 0 && errno != EEXIST || inotify_add_watch(fd, Self.namedDirectory, mask) < 0 {
                logger.warning("cannot watch \(Self.namedDirectory): \(String(cString: strerror(errno))): looking every \(Self.pollSeconds) s")
                close(fd)
                return
            }
        }
        inotify = fd
        DescriptorWatch.shared.add(fd) { [unowned self] in namedDirectoryChanged(fd) }
    }

    private func namedDirectoryChanged(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while read(fd, &buffer, buffer.count) > 0 {}  // which file does not matter: rescan all
        pending = true
        if rescanAlarm == 0 {
            rescanAlarm = snmp_alarm_register_hr(timeval(tv_sec: 0, tv_usec: 300_000), 0, { _, context in
                let registry = Unmanaged<ContextRegistry>.fromOpaque(context!).takeUnretainedValue()
                registry.rescanAlarm = 0
                registry.pending = true
            }, Unmanaged.passUnretained(self).toOpaque())
        }
    }
}
