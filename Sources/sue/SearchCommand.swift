import Foundation
import LinearAlgebra
import SUEFiles

/// `sue search`: for each query of one modality, the k nearest items of the other modality.
let searchCommand = Command(
    name: "search",
    summary: "cross-modal retrieval: nearest items of one modality for queries of the other",
    usage: "sue search --model model.safetensors (--query-y Q.npy --index-x X.npy | --query-x Q.npy --index-y Y.npy) [-k 10] [--json]",
    options: [
        OptionSpec("model", .path(placeholder: "model.safetensors"), required: true, "a model written by sue fit"),
        OptionSpec("query-x", .path(placeholder: "Q.npy"), "queries from modality X (search an index of Y)"),
        OptionSpec("query-y", .path(placeholder: "Q.npy"), "queries from modality Y (search an index of X)"),
        OptionSpec("index-x", .path(placeholder: "X.npy"), "items of modality X to search"),
        OptionSpec("index-y", .path(placeholder: "Y.npy"), "items of modality Y to search"),
        OptionSpec("k", short: "k", .integer(minimum: 1), default: "10", "results per query"),
        OptionSpec("json", .flag, "one JSON line per query: {\"query\": i, \"rows\": [...], \"scores\": [...]}"),
    ],
    details: """
        Results: for each query row, the k best rows of the index (0-based) with their cosine similarity
        in the shared space, best first.
        """,
    run: runSearch)

func runSearch(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let hint = "see 'sue search --help'"
    let queryModality: String
    switch (o.isSet("query-x"), o.isSet("query-y")) {
    case (true, false): queryModality = "x"
    case (false, true): queryModality = "y"
    case (true, true): throw UsageError(message: "sue search: give either --query-x or --query-y, not both", hint: hint)
    case (false, false): throw UsageError(message: "sue search: missing queries: --query-x Q.npy or --query-y Q.npy", hint: hint)
    }
    let indexModality = queryModality == "x" ? "y" : "x"
    guard o.isSet("index-\(indexModality)"), !o.isSet("index-\(queryModality)") else {
        throw UsageError(message: "sue search: --query-\(queryModality) searches the other modality: give --index-\(indexModality) (and not --index-\(queryModality))", hint: hint)
    }
    let model = try SafetensorsFile.read(o.url("model")!)
    let queries = try InputValidation.loadEmbeddings(o.url("query-\(queryModality)")!, as: Float.self)
    let indexFile = o.string("index-\(indexModality)")!
    let index = try InputValidation.loadEmbeddings(URL(fileURLWithPath: indexFile), as: Float.self)
    let k = o.integer("k")!
    if k > index.rows {
        throw FileError(.invalidValue, file: indexFile, "has \(index.rows) rows, fewer than -k \(k)")
    }
    return try searchWithModel(model, modelFile: o.string("model")!, queryModality: queryModality, queries: queries,
                               index: index, k: k, json: o.flag("json"), context)
}
