import Foundation
import LinearAlgebra
import SUEFiles

/// `sue inspect`: what is in a .npy, .safetensors or pairs .csv file, and is it usable?
let inspectCommand = Command(
    name: "inspect",
    summary: "describe .npy, .safetensors and pairs .csv files and check them",
    usage: "sue inspect FILE…",
    options: [],
    details: """
        For .npy: format version, dtype, shape, row-norm range and the first row with NaN/Inf, if any.
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

private func describeNPY(_ url: URL) throws -> String {
    let header = try NPYFile.readHeader(url)
    let m = try NPYFile.read(url, as: Float.self)
    var lines = ["\(url.path): .npy format \(header.majorVersion).0, \(header.elementType.rawValue), shape "
                 + "(\(header.shape.map(String.init).joined(separator: ", "))) → \(m.rows) rows × \(m.columns) columns"]
    if m.isEmpty {
        lines.append("  empty: cannot be used as embeddings")
    } else if let bad = m.firstNonFinite() {
        lines.append("  row \(bad.row) contains \(bad.value) (column \(bad.column)): not usable until repaired")
    } else {
        var norms = [Double]()
        norms.reserveCapacity(m.rows)
        m.withView { v in
            for i in 0..<m.rows {
                var s = 0.0
                for j in 0..<m.columns { s += Double(v[i, j]) * Double(v[i, j]) }
                norms.append(s.squareRoot())
            }
        }
        let zero = norms.filter { $0 == 0 }.count
        lines.append(String(format: "  all values finite; row norms %.4g … %.4g", norms.min()!, norms.max()!)
                     + (zero > 0 ? ", \(zero) all-zero rows" : ""))
    }
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
