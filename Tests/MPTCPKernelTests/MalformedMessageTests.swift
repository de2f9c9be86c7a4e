import CMPTCPNetlink
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Truncated and corrupted messages are rejected and never over-read: each message is
/// placed so that it ends exactly at an inaccessible page, where any read past its end
/// would crash the test process.
@Suite("Netlink parsers reject truncated and malformed messages")
struct MalformedMessageTests {
    typealias Parser = @Sendable (UnsafeRawPointer, Int) -> Int32

    static let parsers: [(String, Int, Parser)] = {
        let connection: Parser = { var c = mptcp_nl_connection(); return mptcp_nl_parse_connection($0, $1, &c) }
        let subflow: Parser = { var s = mptcp_nl_subflow(); return mptcp_nl_parse_subflow($0, $1, &s) }
        let endpoint: Parser = { var e = mptcp_nl_endpoint(); return mptcp_nl_parse_endpoint($0, $1, &e) }
        let event: Parser = { var e = mptcp_nl_event(); return mptcp_nl_parse_event($0, $1, &e) }
        let limits: Parser = { var a: UInt32 = 0, b: UInt32 = 0; return mptcp_nl_parse_limits($0, $1, &a, &b) }
        let diagAttrs = 16 + 72, genlAttrs = 16 + 4
        return ParserTests.connectionFixtures.map { ($0, diagAttrs, connection) }
            + (ParserTests.subflowFixtures + ["tcp-plain"]).map { ($0, diagAttrs, subflow) }
            + ParserTests.endpointFixtures.map { ($0, genlAttrs, endpoint) }
            + ParserTests.eventFixtures.map { ($0, genlAttrs, event) }
            + [("pm-limits", genlAttrs, limits)]
    }()

    /// Calls `parse` on `bytes` laid out to end at a PROT_NONE page.
    static func guarded(_ bytes: [UInt8], _ parse: Parser) -> Int32 {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = (bytes.count + page - 1) / page + 1
        let base = mmap(nil, pages * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        defer { munmap(base, pages * page) }
        mprotect(base + (pages - 1) * page, page, PROT_NONE)
        let start = base + (pages - 1) * page - bytes.count
        bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return parse(UnsafeRawPointer(start), bytes.count)
    }

    static func setLength(_ bytes: inout [UInt8], _ len: Int) {
        withUnsafeBytes(of: UInt32(len).littleEndian) { for i in 0..<4 { bytes[i] = $0[i] } }
    }

    @Test func wholeFixturesParse() throws {
        for (name, _, parse) in Self.parsers {
            let bytes = try #require(ParserTests.fixtures[name])
            #expect(Self.guarded(bytes, parse) >= 0, "\(name)")
        }
    }

    @Test func everyTruncationIsRejected() throws {
        for (name, attrsStart, parse) in Self.parsers {
            let full = try #require(ParserTests.fixtures[name])
            for len in 0..<full.count {
                // The header still claims the full length: the buffer is too short.
                let cut = Array(full[0..<len])
                #expect(Self.guarded(cut, parse) < 0, "\(name) cut to \(len)")
                // The header agrees with the cut: only whole attributes may remain.
                guard len >= 16 else { continue }
                var consistent = cut
                Self.setLength(&consistent, len)
                let ret = Self.guarded(consistent, parse)
                if len < attrsStart {
                    #expect(ret < 0, "\(name) header cut to \(len)")
                } else if !Self.wholeAttributeEnds(full, from: attrsStart).contains(len) {
                    #expect(ret < 0, "\(name) cut inside an attribute at \(len)")
                }
            }
        }
    }

    @Test func corruptAttributeLengthsAreRejected() throws {
        for (name, attrsStart, parse) in Self.parsers {
            let full = try #require(ParserTests.fixtures[name])
            for offset in Self.attributeBoundaries(full, from: attrsStart).dropLast() {
                let remaining = full.count - offset
                for bad in [0, 1, 3, remaining + 1, remaining + 4, 0xFFFF] {
                    var m = full
                    m[offset] = UInt8(bad & 0xff)
                    m[offset + 1] = UInt8(bad >> 8)
                    #expect(Self.guarded(m, parse) < 0, "\(name): attribute at \(offset) with length \(bad)")
                }
            }
        }
    }

    @Test func wrongSizedValuesAreRejected() throws {
        // TOKEN_LOC inside the MPTCP nest, shrunk from 4 to 2 bytes (the nest keeps its size).
        var sub = try #require(ParserTests.fixtures["tcp-subflow-join"])
        let token = try #require(Self.find(sub, type: UInt16(MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC), from: 16 + 72, nested: [19, 3]))
        sub[token] = 6
        let subflow = Self.parsers.first { $0.0 == "tcp-subflow-join" }!.2
        #expect(Self.guarded(sub, subflow) < 0)
        // The ULP name without its terminating NUL.
        var ulp = try #require(ParserTests.fixtures["tcp-subflow-join"])
        let name = try #require(Self.find(ulp, type: 1, from: 16 + 72, nested: [19]))
        for i in name + 4..<name + 10 { ulp[i] = 0x41 }
        #expect(Self.guarded(ulp, subflow) < 0)
        // An endpoint address of 3 bytes.
        var ep = try #require(ParserTests.fixtures["pm-endpoint-signal"])
        let addr = try #require(Self.find(ep, type: UInt16(MPTCP_NL_ADDR_ATTR_ADDR4), from: 20, nested: [1]))
        ep[addr] = 7
        #expect(Self.guarded(ep, Self.parsers.first { $0.0 == "pm-endpoint-signal" }!.2) < 0)
        // An event address of the wrong size.
        var ev = try #require(ParserTests.fixtures["event-announced"])
        let daddr = try #require(Self.find(ev, type: UInt16(MPTCP_NL_EV_ATTR_DADDR4), from: 20, nested: []))
        ev[daddr] = 6
        #expect(Self.guarded(ev, Self.parsers.first { $0.0 == "event-announced" }!.2) < 0)
    }

    /// Offsets of the top-level attributes from `start`, plus the end of the last one.
    static func attributeBoundaries(_ m: [UInt8], from start: Int) -> [Int] {
        var out: [Int] = []
        var off = start
        while off + 4 <= m.count {
            out.append(off)
            let len = Int(m[off]) | Int(m[off + 1]) << 8
            guard len >= 4 else { break }
            off += (len + 3) & ~3
        }
        out.append(min(off, m.count))
        return out
    }

    /// Cut points that leave only whole top-level attributes: an attribute's start, or
    /// anywhere between the end of its payload and the end of its padding.
    static func wholeAttributeEnds(_ m: [UInt8], from start: Int) -> Set<Int> {
        var out: Set<Int> = [start]
        var off = start
        while off + 4 <= m.count {
            let len = Int(m[off]) | Int(m[off + 1]) << 8
            guard len >= 4 else { break }
            let padded = (len + 3) & ~3
            out.formUnion((off + len)...(off + padded))
            off += padded
        }
        return out
    }

    /// Offset of the attribute of `type` inside the nests `path` (by type), or nil.
    static func find(_ m: [UInt8], type: UInt16, from start: Int, nested path: [UInt16]) -> Int? {
        var off = start, end = m.count
        var path = path[...]
        while off + 4 <= end {
            let len = Int(m[off]) | Int(m[off + 1]) << 8
            let t = (UInt16(m[off + 2]) | UInt16(m[off + 3]) << 8) & 0x3fff
            if let next = path.first, t == next {
                path = path.dropFirst()
                end = off + len
                off += 4
                continue
            }
            if path.isEmpty && t == type { return off }
            off += (len + 3) & ~3
        }
        return nil
    }
}
