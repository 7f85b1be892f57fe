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
        /// A well-formed file whose *values* are unusable: NaN/Inf, empty matrix, index out of range, …
        case invalidValue
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

/// Reads a whole file, turning the operating system's failure into a `FileError` that names the file.
func readWholeFile(_ url: URL) throws -> Data {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
        throw FileError(.notFound, url: url, "no such file")
    }
    if isDirectory.boolValue { throw FileError(.io, url: url, "is a directory, expected a file") }
    do {
        return try Data(contentsOf: url, options: .mappedIfSafe)
    } catch {
        throw FileError(.io, url: url, "cannot be read (\(error.localizedDescription))")
    }
}
