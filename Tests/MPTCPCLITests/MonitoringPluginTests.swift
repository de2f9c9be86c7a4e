import MPTCPCLI
import Testing

/// The Monitoring Plugins conventions `mptcp-mib check` follows, on values worked out here
/// from the development guidelines' table of ranges.
@Suite("Monitoring plugin: ranges, performance data, counter rates")
struct MonitoringPluginTests {
    func alerts(_ range: String, _ values: [Double]) throws -> [Bool] {
        let r = try PluginRange(range)
        return values.map(r.alerts)
    }

    @Test("Ranges alert as the guidelines' table says")
    func ranges() throws {
        // 10: < 0 or > 10
        #expect(try alerts("10", [-1, 0, 10, 10.5]) == [true, false, false, true])
        // 10: : < 10
        #expect(try alerts("10:", [9.9, 10, 1e9]) == [true, false, false])
        // ~:10 : > 10
        #expect(try alerts("~:10", [-1e9, 10, 11]) == [false, false, true])
        // 10:20 : outside
        #expect(try alerts("10:20", [9, 10, 20, 21]) == [true, false, false, true])
        // @10:20 : inside, bounds included
        #expect(try alerts("@10:20", [9, 10, 20, 21]) == [false, true, true, false])
        // 0: any value above 0 alerts (the checks' "any" default)
        #expect(try alerts("0", [0, 0.01, 1]) == [false, true, true])
        for bad in ["", "x", "20:10", "@", "1:2:3", "~", "nan"] {
            #expect(throws: PluginRange.RangeError.self, "\(bad)") { try PluginRange(bad) }
        }
    }

    @Test("Status: critical before warning; performance data as 'label'=value[UOM];warn;crit;min;max")
    func metrics() throws {
        let m = PluginMetric("fallback", 12.5, unit: "%", warning: try PluginRange("10"), critical: try PluginRange("25"), maximum: 100)
        #expect(m.status == .warning)
        #expect(m.performanceData == "'fallback'=12.5%;10;25;0;100")
        #expect(PluginMetric("fallback", 30, unit: "%", warning: try PluginRange("10"), critical: try PluginRange("25")).status == .critical)
        #expect(PluginMetric("paths_down", 0, warning: try PluginRange("0")).performanceData == "'paths_down'=0;0;;0")
        #expect(PluginMetric("connections", 40).performanceData == "'connections'=40;;;0")
        #expect(PluginMetric("x", 1, minimum: nil).performanceData == "'x'=1")
        // Combined: critical, then warning, then unknown, then ok.
        #expect([PluginStatus.ok, .unknown, .warning].max() == .warning)
        #expect([PluginStatus.ok, .unknown].max() == .unknown && [PluginStatus.critical, .warning].max() == .critical)
    }

    @Test("Rates per minute between two samples; none across a discontinuity, a decrease or a restart")
    func rates() {
        let before = CounterSample(time: 100, discontinuity: 7, counters: ["MPFailRx": 10, "DataCsumErr": 0])
        let after = CounterSample(time: 130, discontinuity: 7, counters: ["MPFailRx": 13, "DataCsumErr": 0])
        #expect(after.ratesPerMinute(since: before) == ["MPFailRx": 6, "DataCsumErr": 0])
        #expect(after.ratesPerMinute(since: nil) == nil)
        var restarted = after
        restarted.discontinuity = 9
        #expect(restarted.ratesPerMinute(since: before) == nil)
        var lower = after
        lower.counters["MPFailRx"] = 2
        #expect(lower.ratesPerMinute(since: before) == nil)
        var rebooted = after
        rebooted.time = 5  // the monotonic clock started over
        #expect(rebooted.ratesPerMinute(since: before) == nil)
        // The state file: what it writes, it reads; what it did not write, it does not.
        #expect(CounterSample(text: after.text) == after)
        #expect(CounterSample(text: "garbage") == nil && CounterSample(text: "time 1\n") == nil)
    }
}
