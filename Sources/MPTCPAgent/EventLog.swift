import MPTCPModel

/// The bounded, sequence-numbered log behind mptcpEventLogTable (RFC 3014's idea): the
/// newest `capacity` entries, each numbered once, oldest removed first and counted.
/// Memory is bounded by the capacity whatever the rate of events. Part of `AgentState`,
/// which locks it.
struct EventLog {
    /// The largest capacity mptcpEventLogSize allows.
    static let maximumCapacity = 100_000

    private(set) var capacity: Int
    /// A ring: once full, `oldest` is where the next entry goes.
    private var ring: [EventLogEntry] = []
    private var oldest = 0
    /// The index of the newest entry ever logged; 0 before the first.
    private(set) var lastIndex: UInt32 = 0
    /// Entries removed to make room or to fit a smaller capacity.
    private(set) var dropped: UInt64 = 0
    /// When the log started (monotonic seconds): indexes and `dropped` count from then.
    let start: Double

    init(capacity: Int, start: Double) {
        self.capacity = min(max(capacity, 0), Self.maximumCapacity)
        self.start = start
    }

    /// Numbers the entry and keeps it, removing the oldest when full.
    mutating func append(_ entry: EventLogEntry) {
        var entry = entry
        // Unsigned32 (1..4294967295): after the last index comes 1 again.
        lastIndex = lastIndex == UInt32.max ? 1 : lastIndex + 1
        entry.index = lastIndex
        guard capacity > 0 else {
            dropped += 1
            return
        }
        if ring.count < capacity {
            ring.append(entry)
        } else {
            ring[oldest] = entry
            oldest = (oldest + 1) % capacity
            dropped += 1
        }
    }

    /// Changes the capacity; the oldest entries beyond it go (and are counted).
    mutating func resize(_ newCapacity: Int) {
        let kept = entries.suffix(min(max(newCapacity, 0), Self.maximumCapacity))
        dropped += UInt64(ring.count - kept.count)
        capacity = min(max(newCapacity, 0), Self.maximumCapacity)
        ring = Array(kept)
        oldest = 0
    }

    /// The entries held, oldest first.
    var entries: [EventLogEntry] {
        Array(ring[oldest...] + ring[..<oldest])
    }
}
