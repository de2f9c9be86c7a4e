/// The `MPTcpExt` counters of a namespace, in the kernel's order, by kernel name.
public struct Counters: Sendable, Hashable {
    public struct Counter: Sendable, Hashable {
        public var name: String
        public var value: UInt64
        /// Levels rather than running totals; all other MPTcpExt fields are counters.
        public var isGauge: Bool { Counters.gaugeNames.contains(name) }
    }

    public static let gaugeNames: Set<String> = ["MPCurrEstab"]

    public private(set) var all: [Counter]
    private var index: [String: Int]

    /// The counters as the kernel lists them: names and values, in its order.
    public init(_ counters: [(name: String, value: UInt64)]) {
        all = counters.map { Counter(name: $0.name, value: $0.value) }
        index = Dictionary(counters.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(name: String) -> UInt64? {
        index[name].map { all[$0].value }
    }
}

/// The raw text of each `/proc/sys/net/mptcp` file the kernel has, by file name.
public struct Settings: Sendable, Hashable {
    public var values: [String: String]
    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(name: String) -> String? { values[name] }

    /// Space-separated list knobs (`available_schedulers`, `available_path_managers`).
    public func list(_ name: String) -> [String] {
        (values[name] ?? "").split(separator: " ").map(String.init)
    }
}
