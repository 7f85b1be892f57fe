import Foundation

// Result formatting for stdout: aligned text tables for people; for programs, one JSON object per line
// built with `JSONValue` (SUEFiles). Both are deterministic, so equal results print equal bytes.

/// A plain-text table with right-aligned numeric columns, e.g.
/// ```
/// method        X→Y R@1   R@5  R@10   Y→X R@1   R@5  R@10
/// sue              41.2  70.3  80.1      40.8  69.9  79.5
/// ```
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(header: [String]) { self.header = header }

    mutating func append(_ row: [String]) {
        precondition(row.count == header.count, "row has \(row.count) cells, header has \(header.count)")
        rows.append(row)
    }

    /// First column left-aligned (names), the others right-aligned (numbers), two spaces between columns.
    func render() -> String {
        let widths = header.indices.map { c in ([header[c]] + rows.map { $0[c] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
