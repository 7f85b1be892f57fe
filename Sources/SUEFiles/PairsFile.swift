import Foundation

/// The list of known correspondences between the rows of X and the rows of Y, as a two-column CSV:
///
/// ```
/// x,y
/// 0,17
/// 3,2
/// ```
///
/// Each data line pairs row `x` of X with row `y` of Y (0-based, as in NumPy). The header line is required
/// (it documents which column is which and catches a file whose columns were swapped or that has none).
/// Surrounding spaces, Windows line ends, a UTF-8 byte-order mark and blank lines at the end are accepted;
/// anything else that is not two non-negative integers within range is an error naming the line.
///
/// Pairs are one to one: the same pair listed twice is accepted (and returned as listed), but two different
/// pairs that share a row (X row 0 with Y rows 5 and 6) contradict each other and are refused, naming both
/// lines — the alignment methods match rows one to one, and would otherwise have to guess which line is right.
public enum PairsFile {
    /// One line of the file: row `x` of X with row `y` of Y.
    public struct Pair: Hashable, Sendable {
        /// Row of X (0-based).
        public var x: Int
        /// Row of Y (0-based).
        public var y: Int
        /// A pair with both rows given.
        public init(x: Int, y: Int) { self.x = x; self.y = y }
    }

    /// Reads and validates the pairs against the row counts of X and Y.
    public static func read(_ url: URL, xRows: Int, yRows: Int) throws -> [Pair] {
        let source = try InputFile.open(url)
        // Parsing holds the text, its lines and the pairs with their index: up to about 32 bytes of memory per
        // byte of a file of short lines. A file that would not fit is refused before it is read.
        let limit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 32)
        if source.size > limit {
            throw FileError(.tooLarge, url: url,
                            "\(describeByteCount(Double(source.size))) is more than this machine can parse as a pairs file (\(describeByteCount(Double(limit))), a 32nd of its memory); split the pairs or use a larger machine")
        }
        let data = Data(try source.bytes(at: 0, count: source.size))
        return try parse(data, file: url.path, xRows: xRows, yRows: yRows)
    }

    /// Parses CSV bytes; `file` names them in errors.
    public static func parse(_ data: Data, file: String, xRows: Int, yRows: Int) throws -> [Pair] {
        guard var text = String(data: data, encoding: .utf8) else {
            throw FileError(.malformed, file: file, "not UTF-8 text; expected a CSV file with the header x,y")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // Windows line ends first: Swift treats "\r\n" as one Character, which a split on "\n" would not cut.
        text = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }

        guard let header = lines.first else {
            throw FileError(.malformed, file: file, "empty file; expected the header line x,y followed by one pair per line")
        }
        let headerFields = header.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard headerFields == ["x", "y"] else {
            let hint: String
            if headerFields.count == 2 && headerFields.allSatisfy({ Int($0) != nil }) {
                hint = " (the header line is missing: add x,y as the first line)"
            } else if headerFields == ["", "x", "y"] {
                hint = " (a pandas index column? write with df.to_csv(path, index=False))"
            } else {
                hint = ""
            }
            throw FileError(.malformed, file: file, line: 1, "expected the header x,y, found '\(excerpt(header))'\(hint)")
        }

        var pairs = [Pair]()
        pairs.reserveCapacity(lines.count - 1)
        var lineOfX = [Int: (y: Int, line: Int)](), lineOfY = [Int: (x: Int, line: Int)]()
        for (index, line) in lines.enumerated().dropFirst() {
            let lineNumber = index + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count == 1 && fields[0].isEmpty {
                throw FileError(.malformed, file: file, line: lineNumber, "blank line before the end of the file")
            }
            guard fields.count == 2 else {
                throw FileError(.malformed, file: file, line: lineNumber,
                                "expected 2 columns (x,y), found \(fields.count): '\(excerpt(line))'")
            }
            let x = try parseIndex(fields[0], column: "x", rows: xRows, matrix: "X", file: file, line: lineNumber)
            let y = try parseIndex(fields[1], column: "y", rows: yRows, matrix: "Y", file: file, line: lineNumber)
            if let earlier = lineOfX[x], earlier.y != y {
                throw FileError(.invalidValue, file: file, line: lineNumber,
                                "pairs X row \(x) with Y row \(y), but line \(earlier.line) pairs it with Y row \(earlier.y); each row may have one partner")
            }
            if let earlier = lineOfY[y], earlier.x != x {
                throw FileError(.invalidValue, file: file, line: lineNumber,
                                "pairs Y row \(y) with X row \(x), but line \(earlier.line) pairs it with X row \(earlier.x); each row may have one partner")
            }
            if lineOfX[x] == nil { lineOfX[x] = (y, lineNumber) }
            if lineOfY[y] == nil { lineOfY[y] = (x, lineNumber) }
            pairs.append(Pair(x: x, y: y))
        }
        return pairs
    }

    private static func parseIndex(_ field: String, column: String, rows: Int, matrix: String,
                              file: String, line: Int) throws -> Int {
        guard let value = Int(field) else {
            throw FileError(.malformed, file: file, line: line,
                            "\(column) = '\(excerpt(field))' is not an integer; expected a 0-based row index into \(matrix)")
        }
        guard value >= 0 else {
            throw FileError(.invalidValue, file: file, line: line,
                            "\(column) = \(value) is negative; expected a 0-based row index into \(matrix)")
        }
        guard value < rows else {
            throw FileError(.invalidValue, file: file, line: line,
                            "\(column) = \(value) is out of range: \(matrix) has \(rows) rows"
                                + (rows > 0 ? " (valid indices 0…\(rows - 1))" : ""))
        }
        return value
    }

    /// Writes the pairs with the header `x,y`, atomically.
    public static func write(_ pairs: [Pair], to url: URL) throws {
        var text = "x,y\n"
        for p in pairs { text += "\(p.x),\(p.y)\n" }
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}
