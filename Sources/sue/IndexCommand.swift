import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

/// `sue index`: embed one modality's rows with a model and build an approximate-search index of them.
let indexCommand = Command(
    name: "index",
    summary: "build an approximate-search index of one modality's rows in the shared space",
    usage: "sue index --model model.safetensors --modality x|y --in X.npy --out index.safetensors [--cells N] [--rows A:B]",
    options: [
        OptionSpec("model", .path(placeholder: "model.safetensors"), required: true, "a model written by sue fit"),
        OptionSpec("modality", .choice(["x", "y"]), required: true, "which side of the model the rows come from"),
        OptionSpec("in", .path(placeholder: "X.npy"), required: true, "the items to index, one row per item"),
        OptionSpec("out", .path(placeholder: "index.safetensors"), required: true, "where to write the index"),
        OptionSpec("cells", .integer(minimum: 1), "cells the rows are partitioned into (default: about √rows / 2)"),
        OptionSpec("rows", .text(placeholder: "A:B"), "index only rows A..<B of the input (a shard; row numbers stay those of the file)"),
        OptionSpec("batch-rows", .integer(minimum: 1), default: String(defaultBatchRows), "rows read and embedded at a time"),
    ],
    details: """
        The index is an inverted file: spherical k-means on a seeded sample partitions the embedded rows into
        cells, and sue search --index compares each query only with the rows of its most similar cells
        (--probes). It holds the embedded rows, so it needs rows × dimension × 4 bytes of memory and of disk.
        example:
          sue index  --model model.safetensors --modality x --in images.npy --out images.index.safetensors
          sue search --model model.safetensors --query-y captions.npy --index images.index.safetensors -k 10
        """,
    run: runIndex)

func runIndex(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let output = o.url("out")!, input = o.url("in")!, modelURL = o.url("model")!
    try checkOutputFolder(output, inputs: [modelURL, input])
    guard output.relativePath != "-" else {
        throw UsageError(message: "sue index: --out must be a file (the index is read back by sue search --index)", hint: "see 'sue index --help'")
    }
    let (loaded, modality, rows, count) = try modelAndInputRows(o)
    guard rows.count > 0 else { throw FileError(.invalidValue, url: input, "--rows selects no rows") }
    if let cells = o.integer("cells"), cells > rows.count {
        throw FileError(.invalidValue, url: input, "has \(rows.count) rows\(rows.count < count ? " in --rows" : ""), fewer than --cells \(cells)")
    }
    // The index holds every embedded row: refuse before allocating what the machine cannot hold.
    let dimension = loaded.model.dimension
    let bytes = Double(rows.count) * Double(dimension) * 4
    let available = Double(ProcessInfo.processInfo.physicalMemory)
    if bytes > available {
        throw FileError(.tooLarge, url: input, String(format: "an index of %d rows × %d columns needs %.1f GB in memory, this machine has %.1f GB; index it in shards with --rows", rows.count, dimension, bytes / 1e9, available / 1e9))
    }
    var embedded = Matrix<Float>(rows: rows.count, columns: dimension)
    let tracker = RowProgress(reporter: context.progress, stage: "embedding", total: rows.count)
    let batch = o.integer("batch-rows")!
    for start in stride(from: rows.lowerBound, to: rows.upperBound, by: batch) {
        let end = min(rows.upperBound, start + batch)
        let block = try embeddedBlock(loaded.model, modality, file: input, rows: start..<end)
        let at = (start - rows.lowerBound) * dimension
        embedded.elements.replaceSubrange(at..<(at + block.elements.count), with: block.elements)
        tracker.update(end - rows.lowerBound)
    }
    let cells = o.integer("cells") ?? InvertedFileIndex.defaultCells(rows: rows.count)
    let index: InvertedFileIndex
    do {
        let rounds = 10
        let start = DispatchTime.now().uptimeNanoseconds
        var assigning: RowProgress? = nil       // started with the assignment, so that its rate is the assignment's
        index = try InvertedFileIndex(consume embedded, cells: cells, iterations: rounds, seed: context.seed) { name, fraction in
            if name == "k-means" {
                // The rounds stop early once no row changes cell, so the time left is not known in advance.
                context.progress.report("indexing: k-means on a sample, \(cells) cells", fraction,
                                        String(format: "round %.0f of at most %d, %.0f s", fraction * Double(rounds), rounds,
                                               Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9))
            } else {
                if assigning == nil {
                    assigning = RowProgress(reporter: context.progress, stage: "indexing: every row to its nearest cell", total: rows.count)
                }
                assigning?.update(Int((fraction * Double(rows.count)).rounded()))
            }
        }
    } catch let error as AlignmentError {
        throw FileError(.invalidValue, url: input, "\(error)")
    }
    context.progress.report("writing", nil, output.path)
    try IndexFile.save(index, modality: modality, rowOffset: rows.lowerBound,
                       modelFingerprint: try IndexFile.modelFingerprint(of: modelURL), to: output)
    context.progress.end()
    let sizes = index.cellSizes
    print("wrote \(output.path): \(rows.count) rows × \(dimension) columns of \(modality.rawValue.uppercased()) in \(cells) cells (\(sizes.min()!)–\(sizes.max()!) rows each); search it with sue search --index")
    return ExitStatus.success
}
