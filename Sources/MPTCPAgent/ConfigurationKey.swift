/// A key of the configuration file, which is also an option of mptcp-agentx (`--NAME`).
/// Each key is declared once, in `AgentConfiguration.keys`, next to the property it sets
/// (whose initial value is the default): what its value is (type, range or choices) and
/// its help. The file's parser, mptcp-agentx's options and their help, and the man-page
/// tests read these declarations.
public struct ConfigurationKey: Sendable {
    public let name: String
    /// The option's one-letter name, if it has one (`-x`).
    public let shortOption: Character?
    /// What the value is called in the help and the man pages (`seconds`). A key with two
    /// (`name path`) takes two words in the file and `name=path` on the command line.
    public let valueNames: [String]
    /// What the key does, without the allowed values and the default.
    public let summary: String
    /// The allowed values as the help and the man pages write them (`1 to 10000`); nil
    /// when the summary says it.
    public let allowed: String?
    /// The default as the file writes it; nil when it cannot be written.
    public let defaultText: String?
    /// The default as the help and the man pages say it, when it is not `defaultText`.
    public let defaultNote: String?
    /// Whether each occurrence adds a value (a file line, an option) instead of replacing it.
    public let repeatable: Bool
    let store: @Sendable (inout AgentConfiguration, [String]) throws(Refusal) -> Void

    /// Why a value is refused; the caller says where it came from.
    struct Refusal: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    /// The option's value as `--help` shows it: `seconds`, `name=path`.
    public var optionValueName: String { valueNames.joined(separator: "=") }

    /// One sentence for `--help`: the summary, then what is allowed and the default.
    public var help: String {
        let notes = [allowed, (defaultNote ?? defaultText).map { "default \($0)" }, repeatable ? "repeatable" : nil].compactMap { $0 }
        return notes.isEmpty ? summary + "." : "\(summary) (\(notes.joined(separator: "; ")))."
    }

    /// Sets `configuration` from an option's value (`name=path` for a key of two values);
    /// errors name the option.
    public func set(_ configuration: inout AgentConfiguration, option value: String) throws(ConfigurationError) {
        var words = [value]
        if valueNames.count == 2 {
            guard let eq = value.firstIndex(of: "=") else {
                throw ConfigurationError(message: "--\(name): '\(value)' is not \(optionValueName.uppercased())")
            }
            words = [String(value[..<eq]), String(value[value.index(after: eq)...])]
        }
        do { try store(&configuration, words) } catch { throw ConfigurationError(message: "--\(name): \(error.reason)") }
    }

    /// A key whose value `store` reads itself (lists, names, pairs).
    static func custom(_ name: String, valueNames: [String], summary: String, defaultText: String?, defaultNote: String? = nil,
                       repeatable: Bool = false,
                       store: @escaping @Sendable (inout AgentConfiguration, [String]) throws(Refusal) -> Void) -> ConfigurationKey {
        ConfigurationKey(name: name, shortOption: nil, valueNames: valueNames, summary: summary, allowed: nil,
                         defaultText: defaultText, defaultNote: defaultNote, repeatable: repeatable, store: store)
    }

    /// A key whose value is any word.
    static func text(_ name: String, _ property: WritableKeyPath<AgentConfiguration, String?> & Sendable, short: Character? = nil,
                     valueName: String, summary: String, defaultNote: String) -> ConfigurationKey {
        ConfigurationKey(name: name, shortOption: short, valueNames: [valueName], summary: summary, allowed: nil,
                         defaultText: nil, defaultNote: defaultNote, repeatable: false) { c, words throws(Refusal) in
            c[keyPath: property] = words[0]
        }
    }

    /// A key whose value is a number in `range`; `what` names it in errors ("a number of seconds").
    static func number<N: LosslessStringConvertible & Comparable & Sendable>(
        _ name: String, _ property: WritableKeyPath<AgentConfiguration, N> & Sendable, valueName: String, what: String,
        range: ClosedRange<N>, summary: String
    ) -> ConfigurationKey {
        let low = plain(range.lowerBound), high = plain(range.upperBound)
        return ConfigurationKey(name: name, shortOption: nil, valueNames: [valueName], summary: summary, allowed: "\(low) to \(high)",
                                defaultText: plain(AgentConfiguration()[keyPath: property]), defaultNote: nil,
                                repeatable: false) { c, words throws(Refusal) in
            guard let v = N(words[0]), range.contains(v) else { throw Refusal("'\(words[0])' is not \(what) in \(low)...\(high)") }
            c[keyPath: property] = v
        }
    }

    /// A key whose value is one of the names of `V`.
    static func choice<V: RawRepresentable<String> & CaseIterable & Sendable>(
        _ name: String, _ property: WritableKeyPath<AgentConfiguration, V> & Sendable, short: Character? = nil,
        valueName: String, summary: String, defaultNote: String? = nil
    ) -> ConfigurationKey {
        let names = V.allCases.map(\.rawValue)
        let listed = names.dropLast().joined(separator: ", ") + " or " + names.last!
        return ConfigurationKey(name: name, shortOption: short, valueNames: [valueName], summary: summary, allowed: listed,
                                defaultText: AgentConfiguration()[keyPath: property].rawValue, defaultNote: defaultNote,
                                repeatable: false) { c, words throws(Refusal) in
            guard let v = V(rawValue: words[0]) else {
                throw Refusal("'\(words[0])' is not \(names.count == 2 ? listed : "one of " + names.joined(separator: ", "))")
            }
            c[keyPath: property] = v
        }
    }

    /// A number as people write it: `1`, not `1.0`.
    static func plain<N: LosslessStringConvertible>(_ n: N) -> String {
        if let d = n as? Double, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return n.description
    }
}
