import Foundation

/// A labels file: UTF-8 text, one label per line, line i labelling row i of the matching .npy file (as
/// `categories.txt` of a data set, or NumPy's `np.savetxt(f, labels, fmt="%s")`).
///
/// A label is the line with surrounding spaces and tabs removed; it may contain any other character, commas and
/// spaces included. A UTF-8 byte-order mark, Windows line ends and blank lines at the very end are accepted (an
/// editor's habits, not content); a blank line before the end is an error naming the line, since it would label
/// its row with nothing — and shift every label after it by one if it was meant to be skipped.
public enum LabelsFile {
    /// Reads the labels of `url`; with `rows`, also checks that there is exactly one label per row of the file
    /// named `rowsFile`, naming the first line that is missing or extra.
    public static func read(_ url: URL, rows: Int? = nil, rowsFile: String = "the rows") throws -> [String] {
        let source = try InputFile.open(url)
        // Parsing holds the text and its lines: a few times the file's size. Refuse what could not fit.
        let limit = Int(clamping: ProcessInfo.processInfo.physicalMemory / 16)
        if source.size > limit {
            throw FileError(.tooLarge, url: url,
                            "\(describeByteCount(Double(source.size))) is more than this machine can parse as a labels file (\(describeByteCount(Double(limit))))")
        }
        return try parse(Data(try source.bytes(at: 0, count: source.size)), file: url.path, rows: rows, rowsFile: rowsFile)
    }

    /// Parses the bytes of a labels file; `file` names it in errors (see `read`).
    public static func parse(_ data: Data, file: String, rows: Int? = nil, rowsFile: String = "the rows") throws -> [String] {
        guard var text = String(data: data, encoding: .utf8) else {
            throw FileError(.malformed, file: file, "not UTF-8 text; expected one label per line")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.replacingOccurrences(of: "\r\n", with: "\n")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        var labels = [String]()
        labels.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() {
            let label = line.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            guard !label.isEmpty else {
                throw FileError(.invalidValue, file: file, line: i + 1, "empty label; expected one label per line, one line per row")
            }
            if let control = label.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw FileError(.invalidValue, file: file, line: i + 1,
                                "the label '\(excerpt(label))' contains the control character U+\(String(format: "%04X", control.value)); expected printable text")
            }
            labels.append(label)
        }
        if let rows {
            if labels.count < rows {
                throw FileError(.invalidValue, file: file, line: labels.count + 1,
                                "\(labels.count) labels, but \(rowsFile) has \(rows) rows; the label of row \(labels.count) (0-based) is missing")
            }
            if labels.count > rows {
                throw FileError(.invalidValue, file: file, line: rows + 1,
                                "\(labels.count) labels, but \(rowsFile) has \(rows) rows; this line and the ones after it label no row")
            }
        }
        return labels
    }
}
