// The conventions of the Monitoring Plugins development guidelines, which Nagios, Icinga,
// Naemon and Shinken read: four states, threshold ranges, performance data.

/// A plugin's result, its exit status.
public enum PluginStatus: Int32, Sendable, Comparable {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    public var label: String {
        switch self {
        case .ok: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown: "UNKNOWN"
        }
    }

    /// The worse of two, as results combine: critical, then warning, then unknown, then ok.
    public static func < (a: Self, b: Self) -> Bool { a.severity < b.severity }

    private var severity: Int {
        switch self {
        case .ok: 0
        case .unknown: 1
        case .warning: 2
        case .critical: 3
        }
    }
}

/// A threshold range: `10` (alert outside 0...10), `10:` (below 10), `~:10` (above 10),
/// `10:20` (outside 10...20), `@10:20` (inside 10...20, bounds included).
public struct PluginRange: Sendable, Equatable, CustomStringConvertible {
    public let start: Double?  // nil: negative infinity
    public let end: Double?  // nil: infinity
    public let alertsInside: Bool
    public let description: String

    public init(_ text: String) throws(RangeError) {
        description = text
        var rest = Substring(text)
        alertsInside = rest.first == "@"
        if alertsInside { rest = rest.dropFirst() }
        func number(_ s: Substring) throws(RangeError) -> Double {
            guard let v = Double(s), v.isFinite else { throw RangeError(text: text) }
            return v
        }
        if let colon = rest.firstIndex(of: ":") {
            let low = rest[..<colon], high = rest[rest.index(after: colon)...]
            start = low == "~" ? nil : try number(low)
            end = high.isEmpty ? nil : try number(high)
        } else {
            start = 0
            end = try number(rest)
        }
        if let start, let end, start > end { throw RangeError(text: text) }
    }

    /// Whether `value` raises the alert this range is the threshold of.
    public func alerts(_ value: Double) -> Bool {
        let inside = (start.map { value >= $0 } ?? true) && (end.map { value <= $0 } ?? true)
        return inside == alertsInside
    }

    public struct RangeError: Error, Sendable, CustomStringConvertible {
        public let text: String
        public var description: String {
            "'\(text)' is not a threshold range (N, N:, ~:N, N:M, or @ before one of those, N <= M)"
        }
    }
}

/// A measured value and its thresholds: the status they give it, and its performance data.
public struct PluginMetric: Sendable {
    public let label: String
    public let value: Double
    public let unit: String
    public let warning: PluginRange?
    public let critical: PluginRange?
    public let minimum: Double?
    public let maximum: Double?

    public init(_ label: String, _ value: Double, unit: String = "", warning: PluginRange? = nil,
                critical: PluginRange? = nil, minimum: Double? = 0, maximum: Double? = nil) {
        self.label = label
        self.value = value
        self.unit = unit
        self.warning = warning
        self.critical = critical
        self.minimum = minimum
        self.maximum = maximum
    }

    public var status: PluginStatus {
        if critical?.alerts(value) ?? false { return .critical }
        if warning?.alerts(value) ?? false { return .warning }
        return .ok
    }

    /// `'label'=value[UOM];[warn];[crit];[min];[max]`.
    public var performanceData: String {
        func number(_ v: Double?) -> String { v.map(Self.format) ?? "" }
        let fields = ["'\(label)'=\(Self.format(value))\(unit)", warning?.description ?? "", critical?.description ?? "",
                      number(minimum), number(maximum)]
        return fields.joined(separator: ";").replacing(/;+$/, with: "")
    }

    /// Integers without a decimal point; others with up to three decimals.
    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        let thousandths = (v * 1000).rounded()
        var text = String(thousandths / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

/// The counters one run read, kept for the next: a rate needs two samples. A counter
/// discontinuity (the agent restarted, or counted from scratch: mptcpStatsDiscontinuityTime
/// changed, or a counter went down) starts over instead of reporting a rate.
public struct CounterSample: Sendable, Equatable {
    /// Wall-clock seconds.
    public var time: Double
    public var discontinuity: UInt64
    public var counters: [String: UInt64]

    public init(time: Double, discontinuity: UInt64, counters: [String: UInt64]) {
        self.time = time
        self.discontinuity = discontinuity
        self.counters = counters
    }

    /// How much each counter rose per minute since `previous`; nil when there is no
    /// usable previous sample (none, a discontinuity, or no time elapsed).
    public func ratesPerMinute(since previous: CounterSample?) -> [String: Double]? {
        guard let previous, previous.discontinuity == discontinuity, time > previous.time else { return nil }
        var rates: [String: Double] = [:]
        for (name, value) in counters {
            guard let before = previous.counters[name] else { continue }
            if value < before { return nil }
            rates[name] = Double(value - before) * 60 / (time - previous.time)
        }
        return rates
    }

    /// One line per field: `time T`, `discontinuity D`, then `NAME VALUE`.
    public var text: String {
        (["time \(time)", "discontinuity \(discontinuity)"] + counters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })
            .joined(separator: "\n") + "\n"
    }

    /// nil for a file this did not write (it is then replaced).
    public init?(text: String) {
        var time: Double?, discontinuity: UInt64?, counters: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count == 2 else { return nil }
            switch f[0] {
            case "time": time = Double(f[1])
            case "discontinuity": discontinuity = UInt64(f[1])
            default:
                guard let v = UInt64(f[1]) else { return nil }
                counters[String(f[0])] = v
            }
        }
        guard let time, let discontinuity else { return nil }
        self.init(time: time, discontinuity: discontinuity, counters: counters)
    }
}
