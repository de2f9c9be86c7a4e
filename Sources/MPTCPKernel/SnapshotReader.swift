import MPTCPModel

/// Builds a `Snapshot` from one dump of each kind. A part that fails is left empty
/// and named in `Snapshot.failures`; reading never throws once the reader exists.
/// Only what the kernel says: the agent merges what the events told afterwards.
/// Not thread-safe: one reader per thread.
public final class SnapshotReader {
    private let diag: SockDiag
    private let pm: PathManager?
    private let pmError: KernelError?
    private let route: InterfaceAddresses
    private let netstatPath: String
    private let sysctlDirectory: String

    /// Fails when the kernel has no MPTCP (checked through the sysctl directory: an
    /// empty sock_diag dump proves nothing).
    public init(netstatPath: String = ProcFS.netstatPath, sysctlDirectory: String = ProcFS.sysctlDirectory) throws {
        _ = try ProcFS.settings(directory: sysctlDirectory)
        diag = try SockDiag()
        route = try InterfaceAddresses()
        do {
            pm = try PathManager()
            pmError = nil
        } catch let e as KernelError {
            pm = nil
            pmError = e
        }
        self.netstatPath = netstatPath
        self.sysctlDirectory = sysctlDirectory
    }

    public func read() -> Snapshot {
        var failures: [String] = []
        func attempt<T>(_ part: String, _ body: () throws -> T) -> T? {
            do { return try body() } catch {
                failures.append("\(part): \(error)")
                return nil
            }
        }
        let sockets = attempt("connections") { try diag.connectionsAndListeners() }
        let subflows = attempt("subflows") { try diag.subflows() }
        var endpoints: [Endpoint]?
        var limits: Limits?
        if let pm {
            endpoints = attempt("endpoints") { try pm.endpoints() }
            limits = attempt("limits") { try pm.limits() }
        } else if let pmError {
            failures.append("path manager: \(pmError)")
        }
        let interfaces = attempt("interface addresses") { try route.interfaces() } ?? [:]
        let counters = attempt("counters") { try ProcFS.counters(path: netstatPath) } ?? nil
        let settings = attempt("settings") { try ProcFS.settings(directory: sysctlDirectory) } ?? Settings()
        return Snapshot(connections: sockets?.connections ?? [], subflows: consume subflows ?? [],
                        listeners: sockets?.listeners ?? [], endpoints: endpoints, limits: limits,
                        counters: counters, settings: settings, interfaces: interfaces, failures: failures)
    }
}
