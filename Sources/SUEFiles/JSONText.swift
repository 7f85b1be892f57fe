import Foundation

// A minimal JSON *writer* (reading JSON is `LiteralParser`'s job): used for the safetensors header, for
// model metadata such as the configuration and training report, and for `--json` output of the commands.

/// A JSON value. Objects keep their keys in insertion order, so written text is deterministic.
public indirect enum JSONValue: Equatable, Sendable {
    /// A string, written with `jsonQuoted`.
    case string(String)
    /// An integer, written exactly.
    case integer(Int)
    /// Written in the shortest form that reads back to the same `Double` (JSON has no NaN/Inf: null).
    case number(Double)
    /// Written with exactly `decimals` digits after the point, for reports (e.g. recall percentages).
    case fixed(Double, decimals: Int)
    /// `true` or `false`.
    case bool(Bool)
    /// An array, elements in order.
    case array([JSONValue])
    /// An object; its fields are written in order (duplicate keys are not checked).
    case object([Field])
    /// `null`.
    case null

    /// One member of an object.
    public struct Field: Equatable, Sendable {
        /// The member's name.
        public var key: String
        /// The member's value.
        public var value: JSONValue
        /// The member `key: value`.
        public init(_ key: String, _ value: JSONValue) { self.key = key; self.value = value }
    }

    /// An object from key–value pairs, in the given order.
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        .object(pairs.map { Field($0.key, $0.value) })
    }

    /// Compact JSON text.
    public var text: String {
        switch self {
        case .string(let s): return jsonQuoted(s)
        case .integer(let n): return String(n)
        case .number(let x): return x.isFinite ? "\(x)" : "null"
        case .fixed(let x, let decimals): return x.isFinite ? String(format: "%.\(decimals)f", x) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.map { jsonQuoted($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        case .null: return "null"
        }
    }

    /// Parses JSON text (e.g. a metadata entry of a model file); errors name `source`.
    public static func parse(_ text: String, source: String) throws -> JSONValue {
        do {
            return convert(try LiteralParser.parse(Array(text.utf8), dialect: .json))
        } catch let e as LiteralParseError {
            throw FileError(.malformed, file: source, "invalid JSON: \(e.message) at byte \(e.offset)")
        }
    }

    private static func convert(_ v: LiteralValue) -> JSONValue {
        switch v {
        case .string(let s): return .string(s)
        case .integer(let n): return .integer(n)
        case .float(let x): return .number(x)
        case .boolean(let b): return .bool(b)
        case .none: return .null
        case .list(let items), .tuple(let items): return .array(items.map(convert))
        case .dictionary(let pairs): return .object(pairs.map { Field($0.key, convert($0.value)) })
        }
    }

    /// The value of `key` in an object (`nil` for other values or a missing key).
    public subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields.first { $0.key == key }?.value }
        return nil
    }

    /// The string, if this is `.string`.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    /// The integer, if this is `.integer` (numbers are not converted; see `doubleValue`).
    public var intValue: Int? { if case .integer(let n) = self { return n }; return nil }
    /// The boolean, if this is `.bool`.
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    /// The elements, if this is `.array`.
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    /// Any number as a `Double`.
    public var doubleValue: Double? {
        switch self {
        case .integer(let n): return Double(n)
        case .number(let x), .fixed(let x, _): return x
        default: return nil
        }
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped, everything else verbatim
/// UTF-8 — the choices of `serde_json`, so safetensors headers match the reference writer byte for byte.
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
