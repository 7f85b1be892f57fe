import Foundation
import LinearAlgebra
import SUEFiles

/// `sue evaluate`: cross-modal retrieval quality of a model on row-aligned test pairs.
let evaluateCommand = Command(
    name: "evaluate",
    summary: "Recall@1/5/10 in both directions on row-aligned test pairs",
    usage: "sue evaluate --model model.safetensors --x TX.npy --y TY.npy [--json]",
    options: [
        OptionSpec("model", .path(placeholder: "model.safetensors"), required: true, "a model written by sue fit"),
        OptionSpec("x", .path(placeholder: "TX.npy"), required: true, "test embeddings of modality X"),
        OptionSpec("y", .path(placeholder: "TY.npy"), required: true, "test embeddings of modality Y; row i pairs with row i of --x"),
        OptionSpec("json", .flag, "print one JSON object instead of a table"),
    ],
    run: runEvaluate)

func runEvaluate(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let model = try SafetensorsFile.read(o.url("model")!)
    let x = try InputValidation.loadEmbeddings(o.url("x")!, as: Float.self)
    let y = try InputValidation.loadEmbeddings(o.url("y")!, as: Float.self)
    try InputValidation.rowAlignmentCheck(x: x, xFile: o.string("x")!, y: y, yFile: o.string("y")!)
    return try evaluateModel(model, modelFile: o.string("model")!, x: x, y: y, json: o.flag("json"), context)
}
