/// A small parser for the two header languages this module meets:
///
/// * the `.npy` header, a Python dictionary literal such as `{'descr': '<f4', 'fortran_order': False,
///   'shape': (3, 4), }` (NumPy writes it with `repr` and reads it with `ast.literal_eval`);
/// * the safetensors header, a JSON object.
///
/// Both are parsed by one recursive-descent parser with a `Dialect` switch, because they share their
/// structure (strings, integers, booleans, lists, dictionaries) and differ only in spelling: Python has
/// single quotes, tuples, `True`/`None` and trailing commas; JSON has `\u` escapes, `true`/`null` and no
/// trailing commas. Floating-point numbers are read in JSON (model metadata may hold them) and rejected, with
/// a clear message, in Python headers, where no valid `.npy` header has one. The parser works on UTF-8 bytes
/// and reports byte offsets.
enum LiteralValue {
    case string(String)
    case integer(Int)
    /// JSON numbers with a fraction or an exponent (never produced by the Python dialect).
    case float(Double)
    case boolean(Bool)
    case none
    case list([LiteralValue])
    /// Python tuples are kept apart from lists because NumPy requires `shape` to be a tuple.
    case tuple([LiteralValue])
    /// Keys in file order; duplicates are rejected while parsing.
    case dictionary([(key: String, value: LiteralValue)])

    /// A short name of the value's type for error messages ("a tuple", "a string", …).
    var kindName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a floating-point number"
        case .boolean: return "a boolean"
        case .none: return "None/null"
        case .list: return "a list"
        case .tuple: return "a tuple"
        case .dictionary: return "a dictionary"
        }
    }
}

struct LiteralParseError: Error {
    let offset: Int
    let message: String
    var description: String { "\(message) at byte \(offset) of the header" }
}

struct LiteralParser {
    enum Dialect { case python, json }

    private let bytes: [UInt8]
    private let dialect: Dialect
    /// Whether Python 2's long-integer suffix (`3L`) is accepted after an integer (Python dialect only).
    private let acceptsLongSuffix: Bool
    private var position = 0
    private var depth = 0
    /// Nesting limit: headers are at most three levels deep; the limit keeps hostile input from
    /// exhausting the stack through recursion.
    private let maximumDepth = 32

    /// Parses exactly one value; only whitespace may follow it.
    /// - Parameter acceptsLongSuffix: accept `3L` as 3 (Python dialect), as NumPy does in headers of format
    ///   versions 1 and 2, which Python 2 may have written.
    static func parse(_ bytes: [UInt8], dialect: Dialect, acceptsLongSuffix: Bool = false) throws -> LiteralValue {
        var parser = LiteralParser(bytes: bytes, dialect: dialect, acceptsLongSuffix: acceptsLongSuffix)
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.position != bytes.count { throw parser.error("unexpected text after the end of the value") }
        return value
    }

    private init(bytes: [UInt8], dialect: Dialect, acceptsLongSuffix: Bool) {
        self.bytes = bytes
        self.dialect = dialect
        self.acceptsLongSuffix = acceptsLongSuffix && dialect == .python
    }

    private func error(_ message: String) -> LiteralParseError {
        LiteralParseError(offset: position, message: message)
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipWhitespace()
        guard current == c else {
            throw error("expected '\(Character(Unicode.Scalar(c)))', found \(describeCurrent())")
        }
        position += 1
    }

    private func describeCurrent() -> String {
        guard let c = current else { return "the end of the header" }
        if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        return "byte 0x\(String(c, radix: 16))"
    }

    private mutating func parseValue() throws -> LiteralValue {
        skipWhitespace()
        guard let c = current else { throw error("expected a value, found the end of the header") }
        switch c {
        case UInt8(ascii: "{"): return try nested { try $0.parseDictionary() }
        case UInt8(ascii: "["): return try nested { .list(try $0.parseSequence(closing: UInt8(ascii: "]"))) }
        case UInt8(ascii: "(") where dialect == .python: return try nested { try $0.parseParenthesised() }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "'") where dialect == .python: return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: return try parseKeyword()
        }
    }

    private mutating func nested(_ body: (inout LiteralParser) throws -> LiteralValue) throws -> LiteralValue {
        depth += 1
        defer { depth -= 1 }
        if depth > maximumDepth { throw error("nesting deeper than \(maximumDepth) levels") }
        return try body(&self)
    }

    private mutating func parseKeyword() throws -> LiteralValue {
        let start = position
        while let c = current, (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) {
            position += 1
        }
        let word = String(decoding: bytes[start..<position], as: UTF8.self)
        switch (dialect, word) {
        case (.python, "True"), (.json, "true"): return .boolean(true)
        case (.python, "False"), (.json, "false"): return .boolean(false)
        case (.python, "None"), (.json, "null"): return .none
        default:
            position = start
            throw error("expected a value, found \(word.isEmpty ? describeCurrent() : "'\(excerpt(word, limit: 20))'")")
        }
    }

    /// An integer, or in JSON a floating-point number when a fraction or exponent follows the digits.
    private mutating func parseNumber() throws -> LiteralValue {
        let start = position
        do {
            return .integer(try parseInteger())
        } catch let e as LiteralParseError where dialect == .json && e.message.contains("floating-point") {
            position = start
            while let c = current, (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-")
                    || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                position += 1
            }
            guard let x = Double(String(decoding: bytes[start..<position], as: UTF8.self)), x.isFinite else {
                position = start
                throw error("malformed number")
            }
            return .float(x)
        }
    }

    /// Decimal integers with overflow detection, spelled as both languages require: no leading zeros (Python 3
    /// refuses `050`, which Python 2 read as octal, and allows only `0`, `00`, …; JSON allows only `0`).
    /// Python 2 era headers wrote `3L`; the suffix is accepted where `acceptsLongSuffix` says so.
    private mutating func parseInteger() throws -> Int {
        let negative = current == UInt8(ascii: "-")
        if negative { position += 1 }
        let firstDigit = current
        var value = 0
        var digits = 0
        while let c = current, c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
            if digits > 0 && firstDigit == UInt8(ascii: "0") && (dialect == .json || c != UInt8(ascii: "0")) {
                throw error("leading zeros in an integer are not allowed")
            }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(c - UInt8(ascii: "0")))
            if o1 || o2 { throw error("integer too large") }
            value = sum
            digits += 1
            position += 1
        }
        if digits == 0 { throw error("expected digits, found \(describeCurrent())") }
        if let c = current, c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            throw error("expected an integer, found a floating-point number")
        }
        if acceptsLongSuffix, current == UInt8(ascii: "L") { position += 1 }
        return negative ? -value : value
    }

    private mutating func parseString() throws -> String {
        let quote = bytes[position]
        position += 1
        var out = [UInt8]()
        while true {
            guard let c = current else { throw error("unterminated string") }
            position += 1
            if c == quote { break }
            if c == 0x0A || c == 0x0D { throw error("line break inside a string") }
            if dialect == .json && c < 0x20 { throw error("control character inside a string") }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard let e = current else { throw error("unterminated string") }
            position += 1
            switch e {
            case UInt8(ascii: "\\"), UInt8(ascii: "\""):
                out.append(e)
            case UInt8(ascii: "'") where dialect == .python:
                out.append(e)
            case UInt8(ascii: "/") where dialect == .json:
                out.append(e)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                // JSON spells characters outside the Basic Multilingual Plane as a UTF-16 surrogate pair.
                if (0xD800..<0xDC00).contains(scalar) {
                    guard current == UInt8(ascii: "\\"), position + 1 < bytes.count,
                          bytes[position + 1] == UInt8(ascii: "u") else { throw error("unpaired surrogate in \\u escape") }
                    position += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                position -= 1
                throw error("unsupported escape sequence \\\(excerpt(String(Character(Unicode.Scalar(e)))))")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
        return s
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v * 16 + digit
            position += 1
        }
        return v
    }

    /// Items separated by commas up to `closing`. Python allows one trailing comma; JSON does not.
    private mutating func parseSequence(closing: UInt8) throws -> [LiteralValue] {
        position += 1  // the opening bracket
        var items = [LiteralValue]()
        skipWhitespace()
        if current == closing { position += 1; return items }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            if current == closing { position += 1; return items }
            try expect(UInt8(ascii: ","))
            skipWhitespace()
            if current == closing {
                if dialect == .json { throw error("trailing comma") }
                position += 1
                return items
            }
        }
    }

    /// `(…)`: a tuple when empty or when it contains a comma, otherwise just a parenthesised value —
    /// exactly Python's rule, so `(3)` is the integer 3 and `(3,)` is a one-element tuple.
    private mutating func parseParenthesised() throws -> LiteralValue {
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: ")") { position += 1; return .tuple([]) }
        let first = try parseValue()
        skipWhitespace()
        if current == UInt8(ascii: ")") { position += 1; return first }
        try expect(UInt8(ascii: ","))
        var items = [first]
        skipWhitespace()
        while current != UInt8(ascii: ")") {
            items.append(try parseValue())
            skipWhitespace()
            if current == UInt8(ascii: ")") { break }
            try expect(UInt8(ascii: ","))
            skipWhitespace()
        }
        position += 1
        return .tuple(items)
    }

    private mutating func parseDictionary() throws -> LiteralValue {
        position += 1  // '{'
        var entries = [(key: String, value: LiteralValue)]()
        var seen = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") { position += 1; return .dictionary(entries) }
        while true {
            skipWhitespace()
            let keyStart = position
            guard let c = current, c == UInt8(ascii: "\"") || (dialect == .python && c == UInt8(ascii: "'")) else {
                throw error("expected a string key, found \(describeCurrent())")
            }
            let key = try parseString()
            if !seen.insert(key).inserted {
                position = keyStart
                throw error("duplicate key '\(excerpt(key, limit: 40))'")
            }
            try expect(UInt8(ascii: ":"))
            entries.append((key, try parseValue()))
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .dictionary(entries) }
            try expect(UInt8(ascii: ","))
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                if dialect == .json { throw error("trailing comma") }
                position += 1
                return .dictionary(entries)
            }
        }
    }
}
