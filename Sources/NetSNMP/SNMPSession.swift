import CNetSNMP
import Platform
import SMI

#if canImport(Glibc)
import Glibc
#endif

/// Why an SNMP exchange failed.
public enum SNMPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Options net-snmp refused (its message).
    case usage(String)
    /// No response within timeout x (retries + 1).
    case timeout(target: String)
    /// The target could not be reached or resolved (net-snmp's message).
    case transport(String)
    /// SNMPv3: wrong user, passphrase or security level (net-snmp's message).
    case authentication(String)
    /// The agent answered with an error status, at varbind `index` (1-based; 0: none).
    case response(ErrorStatus, index: Int)

    public var description: String {
        switch self {
        case .usage(let m): return m
        case .timeout(let t): return "timeout: no response from \(t)"
        case .transport(let m): return m
        case .authentication(let m): return "authentication failure: \(m)"
        case .response(let s, let i): return i > 0 ? "\(s) (varbind \(i))" : "\(s)"
        }
    }
}

extension SNMPError {
    /// Classifies one of net-snmp's library errors (SNMPERR_*).
    init(library code: Int32, message: String, target: String) {
        switch code {
        case SNMPERR_AUTHENTICATION_FAILURE, SNMPERR_UNKNOWN_USER_NAME, SNMPERR_UNSUPPORTED_SEC_LEVEL,
             SNMPERR_USM_AUTHENTICATIONFAILURE, SNMPERR_USM_UNKNOWNSECURITYNAME, SNMPERR_USM_UNSUPPORTEDSECURITYLEVEL,
             SNMPERR_DECRYPTION_ERR, SNMPERR_USM_DECRYPTIONERROR:
            self = .authentication(message)
        case SNMPERR_TIMEOUT:
            self = .timeout(target: target)
        case SNMPERR_BAD_SEC_NAME, SNMPERR_BAD_SEC_LEVEL, SNMPERR_BAD_VERSION, SNMPERR_BAD_COMMUNITY,
             SNMPERR_UNKNOWN_SEC_MODEL:
            self = .usage(message)  // the options (or snmp.conf) do not say enough
        default:
            self = .transport(message)
        }
    }
}

/// How to reach an agent: net-snmp's own options, passed through its argument parser so
/// that `snmp.conf` defaults (defVersion, defCommunity, defSecurityName, ...) apply as
/// they do for snmpget.
public struct SessionOptions: Sendable, Equatable {
    public var version: String?  // "1", "2c", "3"
    public var community: String?
    public var user: String?
    public var securityLevel: String?  // noAuthNoPriv, authNoPriv, authPriv
    public var authProtocol: String?  // MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512
    public var authPassphrase: String?
    public var privProtocol: String?  // DES, AES, AES-192, AES-256
    public var privPassphrase: String?
    public var timeout: Double?  // seconds
    public var retries: Int?
    public var contextName: String?  // SNMPv3 contextName

    public init() {}

    /// net-snmp command-line arguments for these options and `target`.
    public func arguments(target: String) -> [String] {
        var a: [String] = []
        func add(_ flag: String, _ v: String?) { if let v { a += [flag, v] } }
        add("-v", version)
        add("-c", community)
        add("-u", user)
        add("-l", securityLevel)
        add("-a", authProtocol)
        add("-A", authPassphrase)
        add("-x", privProtocol)
        add("-X", privPassphrase)
        add("-t", timeout.map { "\($0)" })
        add("-r", retries.map { "\($0)" })
        add("-n", contextName)
        return a + [target]
    }
}

/// One SNMP session (net-snmp's single-session API). Not thread-safe.
public final class SNMPSession {
    private let handle: UnsafeMutableRawPointer
    public let target: String
    public let version: Int

    public init(target: String, options: SessionOptions) throws {
        self.target = target
        // The client needs no MIB files: it knows MPTCP-MIB by itself.
        setenv("MIBS", "", 0)
        var session = netsnmp_session()
        let argv = ["mptcp-mib"] + options.arguments(target: target)
        var cargs = argv.map { strdup($0) }
        defer { cargs.forEach { free($0) } }
        let captured = StderrCapture()
        let rc = cargs.withUnsafeMutableBufferPointer {
            netsnmp_parse_args(Int32(argv.count), $0.baseAddress, &session, "", nil, Int32(NETSNMP_PARSE_ARGS_NOLOGGING))
        }
        let message = captured.finish()
        guard rc >= 0 else {
            throw SNMPError.usage(message.isEmpty ? "invalid SNMP options" : message)
        }
        version = session.version
        // Opening an SNMPv3 session already talks to the agent (engine ID discovery).
        guard let h = snmp_sess_open(&session) else {
            var sys: Int32 = 0, lib: Int32 = 0  // (C errno, SNMPERR_*)
            var text: UnsafeMutablePointer<CChar>?
            snmp_error(&session, &sys, &lib, &text)
            let m = text.map { String(cString: $0) } ?? "cannot open a session to \(target)"
            free(text)
            throw SNMPError(library: lib, message: m, target: target)
        }
        handle = h
    }

    deinit { snmp_sess_close(handle) }

    public func get(_ oids: [OID]) throws -> [VarBind] {
        try request(CNETSNMP_MSG_GET, oids)
    }

    public func getNext(_ oids: [OID]) throws -> [VarBind] {
        try request(CNETSNMP_MSG_GETNEXT, oids)
    }

    public func getBulk(_ oids: [OID], nonRepeaters: Int = 0, maxRepetitions: Int) throws -> [VarBind] {
        try request(CNETSNMP_MSG_GETBULK, oids) { pdu in
            pdu.pointee.errstat = nonRepeaters  // non-repeaters travel in errstat
            pdu.pointee.errindex = maxRepetitions  // max-repetitions in errindex
        }
    }

    /// Sets every varbind in one PDU.
    public func set(_ varbinds: [VarBind]) throws -> [VarBind] {
        guard let pdu = snmp_pdu_create(CNETSNMP_MSG_SET) else { throw SNMPError.transport("out of memory") }
        for vb in varbinds { add(vb, to: pdu) }
        return try exchange(pdu)
    }

    /// Every instance under `root`, in order: GETBULK with `repetitions` on v2c/v3,
    /// GETNEXT on v1 (or when `repetitions` is 0).
    /// The instances under `root`, from the first after `start` (default: all of them).
    public func walk(_ root: OID, from start: OID? = nil, repetitions: Int = 25, _ body: (VarBind) throws -> Void) throws {
        var current = start ?? root
        while true {
            let batch: [VarBind]
            do {
                batch = version == SNMP_VERSION_1 || repetitions == 0
                    ? try getNext([current]) : try getBulk([current], maxRepetitions: repetitions)
            } catch SNMPError.response(.noSuchName, _) where version == SNMP_VERSION_1 {
                return  // SNMPv1 says "end of the view" this way
            }
            guard !batch.isEmpty else { return }
            for vb in batch {
                if vb.value == .endOfMibView || !vb.oid.starts(with: root) { return }
                guard oidLess(current, vb.oid) else {
                    throw SNMPError.transport("\(target) returned \(vb.oid.map(String.init).joined(separator: ".")) after "
                        + "\(current.map(String.init).joined(separator: ".")): OID not increasing")
                }
                try body(vb)
                current = vb.oid
            }
        }
    }

    private func request(_ type: Int32, _ oids: [OID],
                         _ prepare: (UnsafeMutablePointer<netsnmp_pdu>) -> Void = { _ in }) throws -> [VarBind] {
        guard let pdu = snmp_pdu_create(type) else { throw SNMPError.transport("out of memory") }
        prepare(pdu)
        for o in oids { add(VarBind(oid: o, value: .null), to: pdu) }
        return try exchange(pdu)
    }

    private func add(_ vb: VarBind, to pdu: UnsafeMutablePointer<netsnmp_pdu>) {
        let name = vb.oid.map { CNetSNMP.oid($0) }
        let added = name.withUnsafeBufferPointer { snmp_add_null_var(pdu, $0.baseAddress, $0.count) }
        added?.set(vb.value)
    }

    /// Sends `pdu` (consumed) and returns the response's varbinds.
    private func exchange(_ pdu: UnsafeMutablePointer<netsnmp_pdu>) throws -> [VarBind] {
        var response: UnsafeMutablePointer<netsnmp_pdu>?
        let status = snmp_sess_synch_response(handle, pdu, &response)
        defer { if let response { snmp_free_pdu(response) } }
        switch status {
        case STAT_SUCCESS:
            guard let r = response else { throw SNMPError.transport("empty response from \(target)") }
            if r.pointee.errstat != SNMP_ERR_NOERROR {
                throw SNMPError.response(ErrorStatus(rawValue: r.pointee.errstat) ?? .genErr, index: r.pointee.errindex)
            }
            return VarBindSequence(r.pointee.variables).map(\.varBind)
        case STAT_TIMEOUT:
            throw SNMPError.timeout(target: target)
        default:
            var sys: Int32 = 0, lib: Int32 = 0  // (C errno, SNMPERR_*)
            var text: UnsafeMutablePointer<CChar>?
            snmp_sess_error(handle, &sys, &lib, &text)
            let m = text.map { String(cString: $0) } ?? "SNMP error \(lib)"
            free(text)
            throw SNMPError(library: lib, message: m, target: target)
        }
    }
}

/// Captures what net-snmp's argument parser prints on stderr, to report it as one error.
final class StderrCapture {
    private var saved: Int32
    private var path: String

    init() {
        var template = Array("/tmp/mptcp-mib-args-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        saved = dup(2)
        dup2(fd, 2)
        close(fd)
    }

    func finish() -> String {
        dup2(saved, 2)
        close(saved)
        defer { unlink(path) }
        let text = (try? FileIO.readText(path)) ?? ""
        return text.split(separator: "\n").joined(separator: "; ")
    }
}
