import Foundation

/// The one error type of the file layer: *which file*, *where in it* (a line, when that means something),
/// and *what is wrong*, phrased as "expected … found …" whenever there is an expectation to state.
///
/// Every reader in this module throws `FileError` for bad input and never traps on it, so that the `sue`
/// command can print `description` as its one-line message and exit with a non-zero status.
public struct FileError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// Broad classes of failure, for callers (and tests) that branch on the kind rather than the text.
    public enum Kind: String, Sendable {
        /// The file does not exist or cannot be opened.
        case notFound
        /// Reading or writing failed at the operating-system level (permissions, disk full, …).
        case io
        /// The bytes do not follow the format: bad magic, malformed header, wrong sizes, truncation.
        case malformed
        /// A well-formed file that uses a feature this package does not read (big-endian, int64, …).
        case unsupported
        /// A well-formed file whose *values* are unusable: NaN/Inf, empty matrix, index out of range, a float64
        /// value beyond float32's range when reading as `Float`, …
        case invalidValue
        /// A well-formed file whose decoded contents would not fit in this machine's memory. Refused before
        /// anything is allocated, because an allocation that fails ends the process instead of throwing.
        case tooLarge
    }

    /// The class of failure.
    public let kind: Kind
    /// The path as the user gave it (or a logical name such as "X" when there is no file).
    public let file: String
    /// 1-based line number for line-oriented formats (CSV), otherwise `nil`.
    public let line: Int?
    /// What is wrong, phrased as "expected … found …" where there is an expectation to state.
    public let problem: String

    /// An error about `file` (a path or a logical name), at the 1-based `line` when there is one.
    public init(_ kind: Kind, file: String, line: Int? = nil, _ problem: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.problem = problem
    }

    /// An error about the file at `url`, named by its path.
    public init(_ kind: Kind, url: URL, line: Int? = nil, _ problem: String) {
        self.init(kind, file: url.path, line: line, problem)
    }

    /// `path:line: problem`, the convention of compilers and `grep -n`, so editors can jump to it.
    public var description: String {
        if let line { return "\(file):\(line): \(problem)" }
        return "\(file): \(problem)"
    }

    public var errorDescription: String? { description }
}

/// At most `limit` characters of user-supplied text, for messages that quote it: a longer text is cut and
/// ends in "…", and line breaks and other control characters are shown as escapes, so that a message
/// stays one line of bounded length whatever the file holds.
func excerpt<S: StringProtocol>(_ text: S, limit: Int = 80) -> String {
    var shown = [String]()
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": shown.append("\\n")
        case "\r": shown.append("\\r")
        case "\t": shown.append("\\t")
        case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value):
            shown.append("\\u{" + String(scalar.value, radix: 16) + "}")
        default: shown.append(String(scalar))
        }
        if shown.count > limit { break }  // enough to know that the text will be cut
    }
    // Counted in escaped pieces: an escape stands for one character of the input.
    return shown.count <= limit ? shown.joined() : shown.prefix(limit - 1).joined() + "…"
}

/// A byte count for messages, in binary units (GiB = 2³⁰ bytes, the unit in which memory is sold and shown).
func describeByteCount(_ bytes: Double) -> String {
    let units: [(Double, String)] = [(0x1p60, "EiB"), (0x1p50, "PiB"), (0x1p40, "TiB"), (0x1p30, "GiB"), (0x1p20, "MiB"), (0x1p10, "KiB")]
    for (size, name) in units where bytes >= size {
        return String(format: "%.1f", bytes / size) + " " + name
    }
    return "\(Int(bytes)) bytes"
}

/// Refuses, before anything is allocated, to decode `elements` values into a type of `stride` bytes when
/// they would need more memory than the machine has: an allocation that large would end the process
/// (or have it killed) instead of throwing, and no answer is worth that.
/// - Parameters:
///   - elements: the number of values to decode (already checked not to overflow).
///   - typeName: the decoded type as the user knows it, e.g. "float32".
func checkDecodedSize(elements: Int, stride: Int, typeName: String, file: String) throws {
    let (bytes, overflow) = elements.multipliedReportingOverflow(by: stride)
    let available = ProcessInfo.processInfo.physicalMemory
    if overflow || UInt64(bytes) > available {
        let needed = Double(elements) * Double(stride)
        throw FileError(.tooLarge, file: file,
                        "needs \(describeByteCount(needed)) as \(typeName), this machine has \(describeByteCount(Double(available))) of memory; use a smaller file or embed it in parts")
    }
}
