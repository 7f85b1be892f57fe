import Foundation
import LinearAlgebra
import SUEFiles

/// `sue embed`: map one modality's embeddings into the shared space with a fitted model.
let embedCommand = Command(
    name: "embed",
    summary: "map embeddings of one modality into the shared space",
    usage: "sue embed --model model.safetensors --modality x|y --in A.npy --out B.npy",
    options: [
        OptionSpec("model", .path(placeholder: "model.safetensors"), required: true, "a model written by sue fit"),
        OptionSpec("modality", .choice(["x", "y"]), required: true, "which side of the model the input comes from"),
        OptionSpec("in", .path(placeholder: "A.npy"), required: true, "embeddings to map, one row per item"),
        OptionSpec("out", .path(placeholder: "B.npy"), required: true, "where to write the shared-space embeddings (float32 .npy)"),
    ],
    details: """
        example:
          sue embed --model model.safetensors --modality y --in queries.npy --out shared.npy
        """,
    run: runEmbed)

func runEmbed(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let output = o.url("out")!
    try checkOutputFolder(output, inputs: ["model", "in"].compactMap { o.url($0) })
    let model = try SafetensorsFile.read(o.url("model")!)
    let input = try InputValidation.loadEmbeddings(o.url("in")!, as: Float.self)
    return try embedWithModel(model, modelFile: o.string("model")!, modality: o.string("modality")!,
                              input: input, inputFile: o.string("in")!, output: output, context)
}
