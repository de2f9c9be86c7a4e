import ArgumentParser
import Platform
import MPTCPMIB
import NetSNMP
import SMI

/// A failure of a command: one line for the user and the exit status that classifies it.
struct CLIError: Error, CustomStringConvertible {
    enum Kind: Int32, CaseIterable {
        case refused = 1  // the agent answered with an error status (SET refused, ...)
        case noSuchObject = 2  // no such object, instance or row
        case timeout = 3  // no response
        case transport = 4  // host unknown or unreachable
        case authentication = 5  // SNMPv3 user, passphrase or level refused
        case usage = 64  // bad arguments (as ArgumentParser's validation errors)
    }

    let kind: Kind
    let description: String

    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        description = message
    }

    /// An SNMP failure; `varbinds` names the object an error status points at.
    init(_ error: SNMPError, varbinds: [OID] = []) {
        switch error {
        case .usage(let m): self.init(.usage, m)
        case .timeout(let t): self.init(.timeout, "timeout: no response from \(t)")
        case .transport(let m): self.init(.transport, m)
        case .authentication(let m): self.init(.authentication, "authentication failure: \(m)")
        case .response(let status, let index):
            guard index > 0, index <= varbinds.count else {
                self.init(.refused, "the agent answered \(status)")
                return
            }
            let oid = varbinds[index - 1]
            var line = "\(MIBNames.format(oid)): \(status)"
            if let hint = Self.hint(status, oid) { line += ", " + hint }
            self.init(status == .noSuchName ? .noSuchObject : .refused, line)
        }
    }

    /// What the MIB allows for the object an error status points at.
    static func hint(_ status: ErrorStatus, _ oid: OID) -> String? {
        guard let (object, _) = MPTCPMIB.object(containing: oid) else { return nil }
        let s = object.syntax
        switch status {
        case .wrongValue, .wrongLength:
            if s.encoding == .bits || !s.names.isEmpty { return "allowed " + s.labelList() }
            guard !s.effectiveRanges.isEmpty else { return nil }
            return status == .wrongLength ? "allowed \(s.rangeText) octets" : "allowed \(s.rangeText)"
        case .wrongType: return "the MIB says \(s.typeName)"
        case .notWritable: return "read-only"
        case .noAccess: return "no write access (SNMPv2c communities are read-only; use the SNMPv3 user)"
        case .inconsistentValue: return "not consistent with the current state (see the agent's log)"
        case .inconsistentName: return "no such row (create it with createAndGo or createAndWait)"
        case .resourceUnavailable: return "the kernel has no room (at most 8 endpoints)"
        case .commitFailed: return "the kernel refused; nothing was changed (see the agent's log)"
        default: return nil
        }
    }

    static let exitCodes = """
        Exit status: 0 success; 1 the agent refused (error status, e.g. a SET's wrongValue); \
        2 no such object, instance or row; 3 timeout; 4 host unknown or unreachable; \
        5 SNMPv3 authentication failure; 64 bad arguments.
        """
}

/// Runs a command body, turning failures into one line on stderr and the exit status.
func reporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as CLIError {
        printError(e.description)
        throw ExitCode(e.kind.rawValue)
    } catch let e as SNMPError {
        let e = CLIError(e)
        printError(e.description)
        throw ExitCode(e.kind.rawValue)
    } catch let e as MIBNameError {
        printError(e.description)
        throw ExitCode(CLIError.Kind.usage.rawValue)
    }
}

func printError(_ message: String) {
    StandardError.write("mptcp-mib: \(message)\n")
}
