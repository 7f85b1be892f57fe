import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

// Embedding and searching files of any size: rows are read, embedded and written (or searched) in blocks, so
// the memory a command needs is one block plus its result, whatever the file's length. Every model embeds each
// row on its own (the same bits in a block of one or of a million: tested), so a file embedded in shards gives
// the same bytes as one run.

/// Rows per block when a command streams a file (`--batch-rows`).
let defaultBatchRows = 65_536

/// The rows `--rows A:B` selects of a file of `count` rows (all of them without the option).
func selectedRows(_ options: ParsedOptions, count: Int, file: String) throws -> Range<Int> {
    guard let text = options.string("rows") else { return 0..<count }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, let start = Int(parts[0]), let end = parts[1].isEmpty ? count : Int(parts[1]),
          start >= 0, start <= end else {
        throw UsageError(message: "sue: --rows expects A:B with 0 ≤ A ≤ B (B may be left out for the end), found '\(text)'",
                         hint: "e.g. --rows 0:100000")
    }
    guard end <= count else {
        throw FileError(.invalidValue, file: file, "has \(count) rows; --rows \(start):\(end) reaches past the end")
    }
    return start..<end
}

/// What `sue embed` and `sue index` read first: the model (`--model`), the side it maps (`--modality`), and the
/// rows `--rows` selects of `--in` (with the file's row count), checked to be a non-empty matrix of the width the
/// model takes on that side.
func modelAndInputRows(_ o: ParsedOptions) throws -> (loaded: ModelFile.LoadedModel, modality: Modality, rows: Range<Int>, count: Int) {
    let input = o.url("in")!, modelFile = o.string("model")!
    let loaded = try ModelFile.load(try SafetensorsFile.read(o.url("model")!), source: modelFile)
    let modality: Modality = o.string("modality") == "x" ? .x : .y
    let (count, columns) = try NPYFile.readHeader(input).matrixShape()
    guard count > 0, columns > 0 else {
        throw FileError(.invalidValue, url: input, "empty matrix (\(count) × \(columns)); expected at least one row and one column")
    }
    let expected = modality == .x ? loaded.xColumns : loaded.yColumns
    guard columns == expected else {
        throw FileError(.invalidValue, url: input, "has \(columns) columns, but the model \(modelFile) (its \(modality.rawValue.uppercased()) side) expects \(expected)")
    }
    return (loaded, modality, try selectedRows(o, count: count, file: o.string("in")!), count)
}

/// Progress of a pass over rows (or other units): done, rate and the time left.
struct RowProgress {
    let reporter: ProgressReporter
    let stage: String
    let total: Int
    var unit = "rows"
    let start = DispatchTime.now().uptimeNanoseconds

    func update(_ done: Int) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        reporter.report(stage, total > 0 ? Double(done) / Double(total) : 1,
                        String(format: "%d of %d \(unit), %.0f \(unit)/s, about %.0f s left", done, total, rate, left))
    }
}

/// One block of rows of a .npy file, checked (finite, named by absolute row) and embedded.
func embeddedBlock(_ model: any AlignmentModel, _ modality: Modality, file: URL, rows: Range<Int>) throws -> Matrix<Float> {
    let block = try NPYFile.readRows(file, rows, as: Float.self)
    try InputValidation.finiteCheck(block, file: file.path, rowOffset: rows.lowerBound)
    do {
        return try model.embed(block, from: modality)
    } catch let error as AlignmentError {
        throw FileError(.invalidValue, url: file, "rows \(rows.lowerBound)..<\(rows.upperBound) (the block holding the row named next, counted within the block): \(error)")
    }
}

/// Embeds rows `rows` of `input` in blocks of `batch` into a float32 .npy at `output`.
func embedStreaming(_ model: any AlignmentModel, _ modality: Modality, input: URL, rows: Range<Int>, batch: Int,
                    output: URL, progress: ProgressReporter) throws {
    let tracker = RowProgress(reporter: progress, stage: "embedding", total: rows.count)
    try NPYFile.write(rows: rows.count, columns: model.dimension, to: output) { writer in
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: batch) {
            let end = min(rows.upperBound, start + batch)
            try writer.append(try embeddedBlock(model, modality, file: input, rows: start..<end))
            tracker.update(end - rows.lowerBound)
        }
    }
}

/// The `k` best rows of `index` (rows `rows` of the file, numbered from the file's start) for each query, by
/// cosine in the shared space, read and embedded in blocks of `batch`: each block's top k, merged in block order
/// (a tie goes to the lower row, as within a block).
func searchStreaming(_ model: any AlignmentModel, queries: Matrix<Float>, indexModality: Modality, index: URL,
                     rows: Range<Int>, batch: Int, k: Int, progress: ProgressReporter) throws -> [[SearchHit]] {
    let tracker = RowProgress(reporter: progress, stage: "searching", total: rows.count)
    var best = NearestRows(queries: queries.rows, k: k)
    for start in stride(from: rows.lowerBound, to: rows.upperBound, by: batch) {
        let end = min(rows.upperBound, start + batch)
        let block = try embeddedBlock(model, indexModality, file: index, rows: start..<end)
        best.add(try cosineTopK(queries, block, k: min(k, block.rows)), rowOffset: start)
        tracker.update(end - rows.lowerBound)
    }
    return best.hits
}
