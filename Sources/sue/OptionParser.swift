import Foundation

/// A small declarative command-line parser, written by hand to keep the package free of dependencies.
///
/// Each command declares its options once (`OptionSpec`: name, type, default, help); the same declaration
/// drives parsing, validation of values, `--help` output and "did you mean" hints, so the help can never
/// drift from what the parser accepts. Accepted spellings: `--name value`, `--name=value`, a one-letter
/// alias `-k value`, and bare `--flag` for booleans.

/// A mistake on the command line: one line for the user, plus a hint on where to look.
struct UsageError: Error {
    let message: String
    let hint: String?
}

/// The type of an option's value, which is also how it is checked.
enum OptionKind: Sendable {
    case flag
    case integer(minimum: Int)
    /// An integer ≥ `minimum`, or the one word `word` (e.g. `--cca 8` or `--cca off`).
    case integerOrWord(minimum: Int, word: String)
    case number(minimum: Double)
    case text(placeholder: String)
    case path(placeholder: String)
    case choice([String])
    /// A comma-separated list whose items must come from `allowed`.
    case list([String])

    var placeholder: String {
        switch self {
        case .flag: return ""
        case .integer: return "N"
        case .integerOrWord(_, let word): return "N|\(word)"
        case .number: return "X"
        case .text(let p), .path(let p): return p
        case .choice(let values): return values.joined(separator: "|")
        case .list: return "A,B,…"
        }
    }
}

struct OptionSpec: Sendable {
    let name: String
    let short: Character?
    let kind: OptionKind
    /// `nil` with `required == false` means "no default: unset unless given".
    let defaultValue: String?
    let required: Bool
    let help: String

    init(_ name: String, short: Character? = nil, _ kind: OptionKind, default defaultValue: String? = nil,
         required: Bool = false, _ help: String) {
        self.name = name
        self.short = short
        self.kind = kind
        self.defaultValue = defaultValue
        self.required = required
        self.help = help
    }
}

/// Options every command accepts.
let commonOptions: [OptionSpec] = [
    OptionSpec("seed", .integer(minimum: 0), default: "0",
               "random seed; the same seed gives byte-identical outputs whatever --threads is"),
    OptionSpec("threads", .integer(minimum: 1), default: String(ProcessInfo.processInfo.activeProcessorCount),
               "worker threads; the default is the number of cores"),
    OptionSpec("quiet", .flag, "no progress messages on stderr"),
    OptionSpec("help", short: "h", .flag, "show this help"),
]

/// A command: its name, one-line summary, options, and what it does.
struct Command: Sendable {
    let name: String
    let summary: String
    let usage: String
    let options: [OptionSpec]
    /// Extra paragraphs for `--help` (examples, what the output looks like).
    let details: String
    /// Whether bare (non-option) arguments are accepted, e.g. the files of `sue inspect`.
    let acceptsArguments: Bool
    let run: @Sendable (RunContext) throws -> Int32

    init(name: String, summary: String, usage: String, options: [OptionSpec], details: String = "",
         acceptsArguments: Bool = false, run: @escaping @Sendable (RunContext) throws -> Int32) {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.options = options + commonOptions
        self.details = details
        self.acceptsArguments = acceptsArguments
        self.run = run
    }

    var helpText: String {
        var lines = ["usage: \(usage)", "", summary, "", "options:"]
        let labels = options.map { spec -> String in
            var label = (spec.short.map { "-\($0), " } ?? "    ") + "--\(spec.name)"
            if case .flag = spec.kind {} else { label += " \(spec.kind.placeholder)" }
            return label
        }
        let width = min(34, (labels.map(\.count).max() ?? 0) + 2)
        for (spec, label) in zip(options, labels) {
            var text = spec.help
            if spec.required { text += " (required)" } else if let d = spec.defaultValue { text += " (default: \(d))" }
            let pad = label.count < width ? String(repeating: " ", count: width - label.count) : "\n" + String(repeating: " ", count: width + 2)
            lines.append("  \(label)\(pad)" + wrap(text, width: 100 - width - 2, indent: width + 2))
        }
        if !details.isEmpty { lines += ["", details] }
        return lines.joined(separator: "\n")
    }
}

/// Word-wraps `text` to `width` columns, indenting continuation lines by `indent` spaces.
func wrap(_ text: String, width: Int, indent: Int) -> String {
    var lines = [String]()
    var current = ""
    for word in text.split(separator: " ") {
        if !current.isEmpty && current.count + 1 + word.count > width {
            lines.append(current)
            current = ""
        }
        current += (current.isEmpty ? "" : " ") + word
    }
    lines.append(current)
    return lines.joined(separator: "\n" + String(repeating: " ", count: indent))
}

/// The checked values of one command line.
struct ParsedOptions {
    let command: String
    private(set) var values: [String: String] = [:]
    private(set) var arguments: [String] = []
    /// The options written on the command line (the others have their defaults, if any).
    private(set) var given: Set<String> = []

    init(command: String) { self.command = command }

    func isSet(_ name: String) -> Bool { values[name] != nil }
    /// Whether the user wrote the option (rather than it taking its default).
    func wasGiven(_ name: String) -> Bool { given.contains(name) }
    func flag(_ name: String) -> Bool { values[name] == "true" }
    func string(_ name: String) -> String? { values[name] }
    func integer(_ name: String) -> Int? { values[name].flatMap { Int($0) } }
    func number(_ name: String) -> Double? { values[name].flatMap { Double($0) } }
    func url(_ name: String) -> URL? { values[name].map { URL(fileURLWithPath: $0) } }
    func list(_ name: String) -> [String] {
        values[name].map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? []
    }
    /// Positional arguments (only for commands that accept them).
    var positional: [String] { arguments }

    /// Parses `arguments` against `command.options`, applying defaults and checking every value.
    static func parse(_ args: [String], for command: Command) throws -> ParsedOptions {
        var result = ParsedOptions(command: command.name)
        let hint = "see 'sue \(command.name) --help'"
        var i = 0
        while i < args.count {
            let arg = args[i]
            i += 1
            var spec: OptionSpec?
            var inlineValue: String?
            if arg.hasPrefix("--") && arg.count > 2 {
                let body = arg.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                if body.contains("=") { inlineValue = String(body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[1]) }
                spec = command.options.first { $0.name == name }
                if spec == nil {
                    throw UsageError(message: "sue \(command.name): unknown option '--\(name)'" + suggestion(name, command), hint: hint)
                }
            } else if arg.hasPrefix("-") && arg.count == 2 && !(arg.last!.isNumber) {
                spec = command.options.first { $0.short == arg.last }
                if spec == nil { throw UsageError(message: "sue \(command.name): unknown option '\(arg)'", hint: hint) }
            } else {
                guard command.acceptsArguments else {
                    throw UsageError(message: "sue \(command.name): unexpected argument '\(arg)' (options start with --)", hint: hint)
                }
                result.arguments.append(arg)
                continue
            }
            let option = spec!
            result.given.insert(option.name)
            if case .flag = option.kind {
                if let v = inlineValue, !["true", "false"].contains(v) {
                    throw UsageError(message: "sue \(command.name): --\(option.name) is a switch and takes no value, found '\(v)'", hint: hint)
                }
                result.values[option.name] = inlineValue ?? "true"
                continue
            }
            let value: String
            if let v = inlineValue {
                value = v
            } else if i < args.count, !(args[i].hasPrefix("--") && args[i].count > 2) {
                value = args[i]
                i += 1
            } else {
                throw UsageError(message: "sue \(command.name): --\(option.name) needs a value (\(option.kind.placeholder))", hint: hint)
            }
            result.values[option.name] = try check(value, for: option, command: command.name)
        }
        if result.flag("help") { return result }
        for option in command.options where result.values[option.name] == nil {
            if option.required {
                throw UsageError(message: "sue \(command.name): missing required option --\(option.name) \(option.kind.placeholder)", hint: hint)
            }
            if let d = option.defaultValue { result.values[option.name] = d }
        }
        return result
    }

    private static func check(_ value: String, for option: OptionSpec, command: String) throws -> String {
        func bad(_ expected: String) -> UsageError {
            UsageError(message: "sue \(command): --\(option.name) expects \(expected), found '\(value)'",
                       hint: "see 'sue \(command) --help'")
        }
        switch option.kind {
        case .flag:
            return value
        case .integer(let minimum):
            guard let n = Int(value), n >= minimum else {
                throw bad(minimum == 0 ? "a non-negative integer" : minimum == 1 ? "a positive integer" : "an integer ≥ \(minimum)")
            }
            return value
        case .integerOrWord(let minimum, let word):
            guard value == word || (Int(value).map { $0 >= minimum } ?? false) else {
                throw bad((minimum == 1 ? "a positive integer" : "an integer ≥ \(minimum)") + " or '\(word)'")
            }
            return value
        case .number(let minimum):
            guard let x = Double(value), x.isFinite, x >= minimum else { throw bad("a number ≥ \(minimum)") }
            return value
        case .text, .path:
            guard !value.isEmpty else { throw bad("a non-empty value") }
            return value
        case .choice(let allowed):
            guard allowed.contains(value) else { throw bad("one of " + allowed.joined(separator: ", ")) }
            return value
        case .list(let allowed):
            let items = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if let unknown = items.first(where: { !allowed.contains($0) }) {
                throw UsageError(message: "sue \(command): --\(option.name): unknown item '\(unknown)'; expected a comma-separated list of " + allowed.joined(separator: ", "),
                                 hint: "see 'sue \(command) --help'")
            }
            return value
        }
    }

    /// " (did you mean '--pairs'?)" when an option is one or two edits away from a real one.
    private static func suggestion(_ name: String, _ command: Command) -> String {
        let scored = command.options.map { ($0.name, editDistance(name, $0.name)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(1, min(2, name.count / 3)) else { return "" }
        return " (did you mean '--\(best)'?)"
    }
}

/// Levenshtein distance by the classic two-row dynamic programme.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
