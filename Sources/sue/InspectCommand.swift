import Foundation
import LinearAlgebra
import SUEFiles
import SUEModelFiles

/// `sue inspect`: what is in a .npy, .safetensors or pairs .csv file, and is it usable?
let inspectCommand = Command(
    name: "inspect",
    summary: "describe .npy, .safetensors and pairs .csv files and check them",
    usage: "sue inspect FILE…",
    options: [],
    details: """
        For .npy: format version, dtype, shape, row-norm range and the first row with NaN/Inf, if any (read in
        blocks of rows, so a file larger than memory can be inspected).
        For .safetensors: metadata and every tensor's shape. For .csv: the number of pairs and the largest
        indices (checked against --x/--y row counts only by sue fit).
        """,
    acceptsArguments: true,
    run: runInspect)

func runInspect(_ context: RunContext) throws -> Int32 {
    let files = context.options.positional
    if files.isEmpty {
        throw UsageError(message: "sue inspect: no files given", hint: "usage: sue inspect FILE…")
    }
    var status = ExitStatus.success
    for path in files {
        do {
            print(try describe(URL(fileURLWithPath: path)))
        } catch let error as FileError {
            printError("sue inspect: \(error.description)")
            status = ExitStatus.failure
        }
    }
    return status
}

private func describe(_ url: URL) throws -> String {
    switch url.pathExtension.lowercased() {
    case "npy": return try describeNPY(url)
    case "safetensors": return try describeSafetensors(url)
    case "csv": return try describePairs(url)
    default:
        throw FileError(.unsupported, url: url, "unknown file type '.\(url.pathExtension)'; expected .npy, .safetensors or .csv")
    }
}

/// Describes a .npy from its header and computes its statistics by streaming blocks of rows, so that a file
/// of any size is inspected in a few megabytes of memory. Values are read as float64, which holds every
/// stored type exactly, so that a float64 value beyond float32's range is reported rather than read as Inf.
private func describeNPY(_ url: URL) throws -> String {
    let header = try NPYFile.readHeader(url)
    let (rows, columns) = header.matrixShape()
    let shape = header.shape.count == 1 ? "(\(header.shape[0]),)" : "(\(header.shape.map(String.init).joined(separator: ", ")))"
    var lines = ["\(url.path): .npy format \(header.majorVersion).0, \(header.elementType.rawValue)"
                 + (header.byteOrder == .big ? " (big-endian)" : "") + ", shape \(shape) → \(rows) rows × \(columns) columns"]
    if rows == 0 || columns == 0 {
        lines.append("  empty: cannot be used as embeddings")
        return lines.joined(separator: "\n")
    }
    // A 1-D array is one row; it is streamed as a column (n × 1) so that its blocks stay small too, and its
    // one norm is summed over all of them.
    let vector: NPYFile.VectorLayout = header.shape.count == 1 ? .column : .row
    let (streamedRows, streamedColumns) = header.matrixShape(vector: vector)
    let blockRows = max(1, (8 << 20) / (streamedColumns * MemoryLayout<Double>.stride))
    var minimumNorm = Double.infinity, maximumNorm = 0.0, zeroRows = 0
    var vectorSquares = 0.0
    var start = 0
    while start < streamedRows {
        let end = min(streamedRows, start + blockRows)
        let block = try NPYFile.readRows(url, start..<end, as: Double.self, vector: vector)
        for i in 0..<block.rows {
            var squares = 0.0
            for j in 0..<block.columns {
                let x = block.elements[i * block.columns + j]
                let (row, column) = vector == .row ? (start + i, j) : (0, start + i)
                if !x.isFinite {
                    lines.append("  row \(row) contains \(x) (column \(column)): not usable until repaired")
                    return lines.joined(separator: "\n")
                }
                if Float(x).isInfinite {
                    lines.append("  row \(row), column \(column) holds \(x), beyond float32's range (±3.4e38): must be rescaled before use")
                    return lines.joined(separator: "\n")
                }
                squares += x * x
            }
            if vector == .column {
                vectorSquares += squares
            } else {
                let norm = squares.squareRoot()
                minimumNorm = min(minimumNorm, norm)
                maximumNorm = max(maximumNorm, norm)
                if norm == 0 { zeroRows += 1 }
            }
        }
        start = end
    }
    if vector == .column {
        minimumNorm = vectorSquares.squareRoot()
        maximumNorm = minimumNorm
        if minimumNorm == 0 { zeroRows = 1 }
    }
    lines.append(String(format: "  all values finite; row norms %.4g … %.4g", minimumNorm, maximumNorm)
                 + (zeroRows > 0 ? ", \(zeroRows) all-zero rows" : ""))
    return lines.joined(separator: "\n")
}

private func describeSafetensors(_ url: URL) throws -> String {
    let file = try SafetensorsFile.read(url)
    var lines = ["\(url.path): safetensors, \(file.names.count) tensors, \(file.metadata.count) metadata entries"]
    for name in file.names {
        if let m = file.tensors[name] { lines.append("  \(name): F32 \(m.rows)×\(m.columns)") }
        if let m = file.doubleTensors[name] { lines.append("  \(name): F64 \(m.rows)×\(m.columns)") }
    }
    for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) {
        let oneLine = value.replacingOccurrences(of: "\n", with: "\\n")
        let shown = oneLine.count > 100 ? String(oneLine.prefix(100)) + "…" : oneLine
        lines.append("  metadata \(key) = \(shown)")
    }
    if file.metadata["format"] == IndexFile.format {
        // An index is checked as sue search would load it (cells in range, unit rows), and summarised.
        let loaded = try IndexFile.load(url)
        let sizes = loaded.index.cellSizes
        lines.append("  a sue index of \(loaded.index.count) \(loaded.modality.rawValue.uppercased()) rows × \(loaded.index.columns) columns"
                     + " (file rows from \(loaded.rowOffset)) in \(loaded.index.cells) cells of \(sizes.min()!)–\(sizes.max()!) rows"
                     + (sizes.contains(0) ? " (\(sizes.filter { $0 == 0 }.count) empty)" : "") + "; checked")
    }
    return lines.joined(separator: "\n")
}

private func describePairs(_ url: URL) throws -> String {
    let pairs = try PairsFile.read(url, xRows: Int.max, yRows: Int.max)
    let distinctX = Set(pairs.map(\.x)).count, distinctY = Set(pairs.map(\.y)).count
    var line = "\(url.path): \(pairs.count) pairs (\(Set(pairs).count) distinct) over \(distinctX) rows of X and \(distinctY) rows of Y"
    if let maxX = pairs.map(\.x).max(), let maxY = pairs.map(\.y).max() {
        line += "\n  largest indices: x \(maxX), y \(maxY) (X needs at least \(maxX + 1) rows, Y at least \(maxY + 1))"
    }
    return line
}
