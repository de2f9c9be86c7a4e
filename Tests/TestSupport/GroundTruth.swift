/// One socket as `ss -n[i]` prints it.
public struct SSSocket: Sendable {
    public var state: String
    public var recvQ: UInt32
    public var sendQ: UInt32
    public var localAddress: String
    public var localPort: UInt16
    /// `%dev` suffix of a socket bound to an interface.
    public var localDevice: String?
    public var peerAddress: String
    public var peerPort: UInt16
    /// `key:value` tokens of the info line.
    public var info: [String: String] = [:]
    /// Bare tokens of the info line (`fallback`, `remote_key`, `tcp-ulp-mptcp`, ...).
    public var words: Set<String> = []

    /// Hex field of the info line (`token:8b59b702`).
    public func hex(_ key: String) -> UInt64? { info[key].flatMap { UInt64($0, radix: 16) } }
    public func int(_ key: String) -> UInt64? { info[key].flatMap { UInt64($0) } }
}

/// Parses the text output of iproute2's `ss`, the tests' ground truth.
public enum SSParser {
    public static func sockets(_ text: String) -> [SSSocket] {
        var out: [SSSocket] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("State") { continue }
            if line.first == "\t" || line.first == " " {
                guard !out.isEmpty else { continue }
                var pending: String?  // `pacing_rate 66210705000bps`: a key, then its value
                for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    if let key = pending {
                        out[out.count - 1].info[key] = String(token)
                        pending = nil
                    } else if Self.spacedKeys.contains(String(token)) {
                        pending = String(token)
                    } else if let colon = token.firstIndex(of: ":") {
                        out[out.count - 1].info[String(token[..<colon])] = String(token[token.index(after: colon)...])
                    } else {
                        out[out.count - 1].words.insert(String(token))
                    }
                }
                continue
            }
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 5, let local = endpoint(f[3]), let peer = endpoint(f[4]) else { continue }
            var socket = SSSocket(state: String(f[0]), recvQ: UInt32(f[1]) ?? 0, sendQ: UInt32(f[2]) ?? 0,
                                  localAddress: local.0, localPort: local.1, localDevice: local.2,
                                  peerAddress: peer.0, peerPort: peer.1)
            // `ss -e` appends uid:N ino:N sk:N ... to the socket line.
            for token in f.dropFirst(5) {
                if let colon = token.firstIndex(of: ":") {
                    socket.info[String(token[..<colon])] = String(token[token.index(after: colon)...])
                }
            }
            out.append(socket)
        }
        return out
    }

    /// Info keys that ss separates from their value by a space.
    static let spacedKeys: Set<String> = ["send", "pacing_rate", "delivery_rate"]

    /// TCP sockets of `ss -tni` that are MPTCP subflows.
    public static func subflows(_ text: String) -> [SSSocket] {
        sockets(text).filter { $0.words.contains("tcp-ulp-mptcp") && $0.info["token"] != nil }
    }

    /// `10.0.0.1:80`, `10.0.0.1%eth0:80`, `[fd00::1]:80`, `*:80`.
    static func endpoint(_ s: Substring) -> (String, UInt16, String?)? {
        guard let colon = s.lastIndex(of: ":"), let port = UInt16(s[s.index(after: colon)...]) ?? (s.hasSuffix(":*") ? 0 : nil)
        else { return nil }
        var host = String(s[..<colon])
        var device: String?
        if let pct = host.firstIndex(of: "%") {
            device = String(host[host.index(after: pct)...]).replacingOccurrences("]", "")
            host = String(host[..<pct]) + (host.hasPrefix("[") ? "]" : "")
        }
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        return (host, port, device)
    }

    /// `ss` subflow flag letters as the kernel's MPTCP_SUBFLOW_FLAG_* bits.
    public static func subflowFlags(_ letters: String) -> UInt32 {
        let bits: [Character: UInt32] = ["M": 0x1, "m": 0x2, "J": 0x4, "j": 0x8, "B": 0x10, "b": 0x20,
                                         "e": 0x40, "c": 0x80, "v": 0x100]
        return letters.reduce(0) { $0 | (bits[$1] ?? 0) }
    }

    /// `token:REM(id:N)/LOC(id:M)` of a subflow: (remote token, remote id, local token, local id).
    public static func subflowTokens(_ value: String) -> (UInt32, UInt8, UInt32, UInt8)? {
        let parts = value.split(separator: "/")
        func one(_ p: Substring) -> (UInt32, UInt8)? {
            guard let open = p.firstIndex(of: "("), let t = UInt32(p[..<open], radix: 16),
                  let id = UInt8(p[p.index(open, offsetBy: 4)...].dropLast()) else { return nil }
            return (t, id)
        }
        guard parts.count == 2, let r = one(parts[0]), let l = one(parts[1]) else { return nil }
        return (r.0, r.1, l.0, l.1)
    }
}

/// One line of `ip mptcp endpoint show`.
public struct IPEndpoint: Sendable, Equatable {
    public var address: String
    public var id: UInt8
    public var port: UInt16
    public var flags: Set<String>
    public var device: String?
}

public enum IPMPTCPParser {
    /// `10.0.0.1 port 1000 id 3 signal backup dev eth0` (iproute2 6.1 prints unknown flags
    /// as `rawflags N`).
    public static func endpoints(_ text: String) -> [IPEndpoint] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard let first = f.first else { return nil }
            var ep = IPEndpoint(address: first, id: 0, port: 0, flags: [], device: nil)
            var i = 1
            while i < f.count {
                switch f[i] {
                case "id": ep.id = UInt8(f[i + 1]) ?? 0; i += 2
                case "port": ep.port = UInt16(f[i + 1]) ?? 0; i += 2
                case "dev": ep.device = f[i + 1]; i += 2
                case "rawflags": ep.flags.insert("rawflags \(f[i + 1])"); i += 2
                default: ep.flags.insert(f[i]); i += 1
                }
            }
            return ep
        }
    }

    /// `add_addr_accepted 8 subflows 8` -> [name: value].
    public static func limits(_ text: String) -> [String: UInt32] {
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        var out: [String: UInt32] = [:]
        var i = 0
        while i + 1 < f.count {
            if let v = UInt32(f[i + 1]) { out[f[i]] = v }
            i += 2
        }
        return out
    }
}

/// One line of `ip mptcp monitor`: the event's kernel number and its fields.
public struct MonitorEvent: Sendable, Equatable {
    /// MPTCP_EVENT_* (enum mptcp_event_type).
    public var kind: Int32
    /// `token=`, `saddr4=`, `dport=`, ...: as printed.
    public var fields: [String: String]

    public var token: UInt32? { fields["token"].flatMap { UInt32($0, radix: 16) } }
    public var localAddress: String? { fields["saddr4"] ?? fields["saddr6"] }
    public var remoteAddress: String? { fields["daddr4"] ?? fields["daddr6"] }
}

public enum MonitorParser {
    /// iproute2's names of the event types (ipmptcp.c), by kernel number.
    static let kinds: [String: Int32] = [
        "CREATED": 1, "ESTABLISHED": 2, "CLOSED": 3, "ANNOUNCED": 6, "REMOVED": 7, "SF_ESTABLISHED": 10,
        "SF_CLOSED": 11, "SF_PRIO": 13, "LISTENER_CREATED": 15, "LISTENER_CLOSED": 16,
    ]

    /// `[       CREATED] token=170f8d4a remid=0 locid=0 saddr4=10.201.1.1 ...` lines; iproute2
    /// 6.1 prints the types it does not know (the listener events) as `[UNKNOWN 15]`, without
    /// their fields. Other lines are skipped.
    public static func events(_ text: String) -> [MonitorEvent] {
        text.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
            let name = line[line.index(after: line.startIndex)..<close].split(separator: " ")
            let kind = name.first == "UNKNOWN" && name.count == 2 ? Int32(name[1]) : kinds[name.joined()]
            guard let kind else { return nil }
            var fields: [String: String] = [:]
            for word in line[line.index(after: close)...].split(separator: " ") {
                let pair = word.split(separator: "=", maxSplits: 1)
                if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
            }
            return MonitorEvent(kind: kind, fields: fields)
        }
    }
}

/// `nstat -azs` output: counter name -> absolute value.
public enum NstatParser {
    public static func counters(_ text: String, prefix: String = "MPTcpExt") -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2, f[0].hasPrefix(prefix), let v = UInt64(f[1]) else { continue }
            out[String(f[0].dropFirst(prefix.count))] = v
        }
        return out
    }
}

extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
