import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

/// `sue embed`: map one modality's embeddings into the shared space with a fitted model.
let embedCommand = Command(
    name: "embed",
    summary: "map embeddings of one modality into the shared space",
    usage: "sue embed --model model.safetensors --modality x|y --in A.npy --out B.npy [--rows A:B] [--batch-rows N]",
    options: [
        OptionSpec("model", .path(placeholder: "model.safetensors"), required: true, "a model written by sue fit"),
        OptionSpec("modality", .choice(["x", "y"]), required: true, "which side of the model the input comes from"),
        OptionSpec("in", .path(placeholder: "A.npy"), required: true, "embeddings to map, one row per item"),
        OptionSpec("out", .path(placeholder: "B.npy"), required: true, "where to write the shared-space embeddings (float32 .npy; - for standard output)"),
        OptionSpec("rows", .text(placeholder: "A:B"), "embed only rows A..<B of the input (a shard; B left out: to the end); shards give the same bytes as one run"),
        OptionSpec("batch-rows", .integer(minimum: 1), default: String(defaultBatchRows), "rows read, embedded and written at a time (memory: one block)"),
    ],
    details: """
        example:
          sue embed --model model.safetensors --modality y --in queries.npy --out shared.npy
          sue embed --model model.safetensors --modality x --in images.npy --rows 0:500000 --out part0.npy
        The input is read in blocks, so a file of any length needs the memory of one block.
        """,
    run: runEmbed)

func runEmbed(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let output = o.url("out")!, input = o.url("in")!
    try checkOutputFolder(output, inputs: ["model", "in"].compactMap { o.url($0) })
    let (loaded, modality, rows, _) = try modelAndInputRows(o)
    try embedStreaming(loaded.model, modality, input: input, rows: rows, batch: o.integer("batch-rows")!, output: output,
                       progress: context.progress)
    context.progress.end()
    let summary = "\(rows.count) rows × \(loaded.model.dimension) columns (shared space, float32)"
    if output.relativePath == "-" {
        // Standard output holds the .npy bytes, so the summary goes to stderr, where --quiet silences it.
        if !o.flag("quiet") { printError("wrote standard output: " + summary) }
    } else {
        print("wrote \(output.path): " + summary)
    }
    return ExitStatus.success
}
