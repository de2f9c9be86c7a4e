import Platform
#if canImport(Glibc)
import Glibc
#endif

/// Just enough of an SMIv2 reader to check MIB/MPTCP-MIB.txt against the Swift
/// definitions: objects, their OIDs, SYNTAX, MAX-ACCESS, UNITS and INDEX, notifications
/// and the module's textual conventions.
struct SMIModule {
    struct SyntaxText: Equatable {
        var typeName: String
        var ranges: [ClosedRange<Int64>] = []
        var names: [Int64: String] = [:]
    }

    struct ObjectType {
        var name: String
        var oid: [UInt32]
        var syntax: SyntaxText
        var access: String
        var units: String?
        var index: [String]
    }

    var objects: [String: ObjectType] = [:]
    var notifications: [String: (oid: [UInt32], objects: [String])] = [:]
    /// OBJECT-GROUP and NOTIFICATION-GROUP members, by group.
    var groups: [String: [String]] = [:]
    var textualConventions: [String: SyntaxText] = [:]
    var oids: [String: [UInt32]] = [:]

    static let knownRoots: [String: [UInt32]] = ["experimental": [1, 3, 6, 1, 3]]

    init(path: String) throws {
        let tokens = try Self.tokenize(Self.read(path))
        var parents: [String: (String, UInt32)] = [:]
        var pendingObjects: [String: (SyntaxText, String, String?, [String])] = [:]
        var pendingNotifications: [String: [String]] = [:]
        // Skip the IMPORTS clause: its macro names are not definitions.
        var i = (tokens.firstIndex(of: ";") ?? -1) + 1
        func at(_ k: Int) -> String { k < tokens.count ? tokens[k] : "" }
        func assignment(from k: inout Int) -> (String, UInt32) {
            while at(k) != "::=" { k += 1 }
            let parent = at(k + 2), n = UInt32(at(k + 3))!
            k += 5
            return (parent, n)
        }
        while i < tokens.count {
            let name = at(i), kw = at(i + 1)
            switch kw {
            case "OBJECT-GROUP", "NOTIFICATION-GROUP":
                var k = i + 2
                k += 2  // OBJECTS|NOTIFICATIONS {
                var members: [String] = []
                while at(k) != "}" { if at(k) != "," { members.append(at(k)) }; k += 1 }
                groups[name] = members
                parents[name] = assignment(from: &k)
                i = k
            case "MODULE-IDENTITY", "MODULE-COMPLIANCE":
                var k = i + 2
                parents[name] = assignment(from: &k)
                i = k
            case "OBJECT" where at(i + 2) == "IDENTIFIER":
                var k = i + 3
                parents[name] = assignment(from: &k)
                i = k
            case "OBJECT-TYPE":
                var k = i + 2
                precondition(at(k) == "SYNTAX")
                k += 1
                let syntax = Self.syntax(tokens, &k)
                var units: String?, access = "", index: [String] = []
                while at(k) != "::=" {
                    switch at(k) {
                    case "UNITS": units = Self.unquote(at(k + 1)); k += 2
                    case "MAX-ACCESS": access = at(k + 1); k += 2
                    case "INDEX":
                        k += 2
                        while at(k) != "}" {
                            if at(k) != "," && at(k) != "IMPLIED" { index.append(at(k)) }
                            k += 1
                        }
                    case "DEFVAL":
                        k += 2
                        var depth = 1
                        while depth > 0 { if at(k) == "{" { depth += 1 } else if at(k) == "}" { depth -= 1 }; k += 1 }
                    default: k += 1
                    }
                }
                parents[name] = assignment(from: &k)
                pendingObjects[name] = (syntax, access, units, index)
                i = k
            case "NOTIFICATION-TYPE":
                var k = i + 2
                var objects: [String] = []
                if at(k) == "OBJECTS" {
                    k += 2
                    while at(k) != "}" { if at(k) != "," { objects.append(at(k)) }; k += 1 }
                }
                parents[name] = assignment(from: &k)
                pendingNotifications[name] = objects
                i = k
            case "::=" where at(i + 2) == "TEXTUAL-CONVENTION":
                var k = i + 3
                while at(k) != "SYNTAX" { k += 1 }
                k += 1
                textualConventions[name] = Self.syntax(tokens, &k)
                i = k
            default:
                i += 1
            }
        }
        func resolve(_ name: String) -> [UInt32] {
            if let root = Self.knownRoots[name] { return root }
            let (parent, n) = parents[name]!
            return resolve(parent) + [n]
        }
        for name in parents.keys { oids[name] = resolve(name) }
        for (name, o) in pendingObjects {
            objects[name] = ObjectType(name: name, oid: oids[name]!, syntax: o.0, access: o.1, units: o.2, index: o.3)
        }
        for (name, objs) in pendingNotifications { notifications[name] = (oids[name]!, objs) }
    }

    /// SYNTAX value: a type name with an optional `{ labels }`, `(range)` or `(SIZE (...))`.
    static func syntax(_ t: [String], _ k: inout Int) -> SyntaxText {
        var s = SyntaxText(typeName: t[k])
        k += 1
        if s.typeName == "SEQUENCE" { s.typeName = "SEQUENCE OF"; k += 2; return s }
        if s.typeName == "OCTET" { s.typeName = "OCTET STRING"; k += 1 }
        if t[k] == "{" {
            k += 1
            while t[k] != "}" {
                if t[k] == "," { k += 1; continue }
                let label = t[k]
                let value = Int64(t[k + 2])!
                s.names[value] = label
                k += 4
            }
            k += 1
        } else if t[k] == "(" {
            var depth = 0
            var nums: [Int64] = []
            var pendingLow: Int64?
            repeat {
                switch t[k] {
                case "(": depth += 1
                case ")": depth -= 1
                case "SIZE", "|": break
                case "..": pendingLow = nums.removeLast()
                default:
                    let v = Int64(t[k])!
                    if let low = pendingLow { s.ranges.append(low...v); pendingLow = nil } else { nums.append(v) }
                }
                k += 1
                if depth > 0, t[k] == "|" || t[k] == ")" { s.ranges += nums.map { $0...$0 }; nums = [] }
            } while depth > 0
        }
        return s
    }

    static func unquote(_ s: String) -> String { String(s.dropFirst().dropLast()) }

    static func read(_ path: String) throws -> String {
        do { return try FileIO.readText(path) } catch { throw SMIError(message: "\(error)") }
    }

    static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace { i += 1; continue }
            if c == "-" && i + 1 < chars.count && chars[i + 1] == "-" {  // comment to end of line
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            if c == "\"" {
                var j = i + 1
                while chars[j] != "\"" { j += 1 }
                tokens.append(String(chars[i...j]))
                i = j + 1
                continue
            }
            if c == ":" && i + 2 < chars.count && chars[i + 1] == ":" && chars[i + 2] == "=" {
                tokens.append("::=")
                i += 3
                continue
            }
            if c == "." && i + 1 < chars.count && chars[i + 1] == "." {
                tokens.append("..")
                i += 2
                continue
            }
            if "{}(),|;".contains(c) {
                tokens.append(String(c))
                i += 1
                continue
            }
            var j = i
            while j < chars.count && !chars[j].isWhitespace && !"{}(),|;\"".contains(chars[j])
                && !(chars[j] == "." && j + 1 < chars.count && chars[j + 1] == ".") { j += 1 }
            tokens.append(String(chars[i..<j]))
            i = j
        }
        return tokens
    }
}

struct SMIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
