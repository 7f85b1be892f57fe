import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

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
        OptionSpec("rows", .text(placeholder: "A:B"), "search only rows A..<B of the index (a shard; row numbers stay those of the file)"),
        OptionSpec("batch-rows", .integer(minimum: 1), default: String(defaultBatchRows), "index rows read and embedded at a time (memory: one block)"),
        OptionSpec("json", .flag, "one JSON line per query: {\"query\": i, \"rows\": [...], \"scores\": [...]}"),
    ],
    details: """
        Results: for each query row, the k best rows of the index (0-based) with their cosine similarity
        in the shared space, best first. The index is read in blocks, so an index of any length needs the
        memory of one block; the queries are held in memory.
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
    let modelFile = o.string("model")!
    let loaded = try ModelFile.load(try SafetensorsFile.read(o.url("model")!), source: modelFile)
    let queryFile = o.string("query-\(queryModality)")!
    let queries = try InputValidation.loadEmbeddings(o.url("query-\(queryModality)")!, as: Float.self)
    let indexFile = o.string("index-\(indexModality)")!
    let indexURL = URL(fileURLWithPath: indexFile)
    let (count, columns) = try NPYFile.readHeader(indexURL).matrixShape()
    let expectedQuery = queryModality == "x" ? loaded.xColumns : loaded.yColumns
    let expectedIndex = indexModality == "x" ? loaded.xColumns : loaded.yColumns
    try InputValidation.columnCheck(queries, expected: expectedQuery, file: queryFile,
                                    purpose: "the model \(modelFile) (its \(queryModality.uppercased()) side)")
    guard columns == expectedIndex else {
        throw FileError(.invalidValue, file: indexFile, "has \(columns) columns, but the model \(modelFile) (its \(indexModality.uppercased()) side) expects \(expectedIndex)")
    }
    let rows = try selectedRows(o, count: count, file: indexFile)
    let k = o.integer("k")!
    if k > rows.count {
        throw FileError(.invalidValue, file: indexFile, "has \(rows.count) rows\(rows.count < count ? " in --rows" : ""), fewer than -k \(k)")
    }
    let embeddedQueries: Matrix<Float>
    do {
        embeddedQueries = try loaded.model.embed(queries, from: queryModality == "x" ? .x : .y)
    } catch let error as AlignmentError {
        throw FileError(.invalidValue, file: queryFile, "\(error)")
    }
    let results: [[SearchHit]]
    do {
        results = try searchStreaming(loaded.model, queries: embeddedQueries, indexModality: indexModality == "x" ? .x : .y,
                                      index: indexURL, rows: rows, batch: o.integer("batch-rows")!, k: k,
                                      progress: context.progress)
    } catch let error as AlignmentError {
        throw FileError(.invalidValue, file: queryFile, "\(error)")
    }
    context.progress.end()
    printSearchResults(results, json: o.flag("json"))
    return ExitStatus.success
}
