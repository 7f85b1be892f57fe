import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

/// `sue search`: for each query of one modality, the k nearest items of the other modality.
let searchCommand = Command(
    name: "search",
    summary: "cross-modal retrieval: nearest items of one modality for queries of the other",
    usage: "sue search --model model.safetensors (--query-y Q.npy | --query-x Q.npy) (--index-x X.npy | --index-y Y.npy | --index I.safetensors [--probes P]) [-k 10] [--json]",
    options: [
        OptionSpec("model", .path(placeholder: "model.safetensors"), required: true, "a model written by sue fit"),
        OptionSpec("query-x", .path(placeholder: "Q.npy"), "queries from modality X (search an index of Y)"),
        OptionSpec("query-y", .path(placeholder: "Q.npy"), "queries from modality Y (search an index of X)"),
        OptionSpec("index-x", .path(placeholder: "X.npy"), "items of modality X to search"),
        OptionSpec("index-y", .path(placeholder: "Y.npy"), "items of modality Y to search"),
        OptionSpec("index", .path(placeholder: "I.safetensors"), "an index written by sue index: approximate search, much faster on large data"),
        OptionSpec("probes", .integer(minimum: 1), "with --index: cells searched per query (default: an eighth of the cells); more is slower and finds more of the exact top k"),
        OptionSpec("k", short: "k", .integer(minimum: 1), default: "10", "results per query"),
        OptionSpec("rows", .text(placeholder: "A:B"), "search only rows A..<B of the index (a shard; row numbers stay those of the file)"),
        OptionSpec("batch-rows", .integer(minimum: 1), default: String(defaultBatchRows), "index rows read and embedded at a time (memory: one block)"),
        OptionSpec("json", .flag, "one JSON line per query: {\"query\": i, \"rows\": [...], \"scores\": [...]}"),
    ],
    details: """
        Results: for each query row, the k best rows of the index (0-based) with their cosine similarity
        in the shared space, best first. With --index-x/--index-y the search is exact and the file is read in
        blocks, so an index of any length needs the memory of one block; the queries are held in memory.
        With --index (built once by sue index) the search is approximate: each query is compared with the
        rows of its --probes most similar cells only; --probes equal to the index's cells is exact.
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
    if o.isSet("index") { return try runIndexedSearch(context, queryModality: queryModality) }
    if o.isSet("probes") {
        throw UsageError(message: "sue search: --probes applies to an index written by sue index (--index I.safetensors)", hint: hint)
    }
    guard o.isSet("index-\(indexModality)"), !o.isSet("index-\(queryModality)") else {
        throw UsageError(message: "sue search: --query-\(queryModality) searches the other modality: give --index-\(indexModality) (and not --index-\(queryModality))", hint: hint)
    }
    let modelFile = o.string("model")!
    let loaded = try ModelFile.load(try SafetensorsFile.read(o.url("model")!), source: modelFile)
    let (embeddedQueries, queryFile) = try queriesInSharedSpace(o, loaded, modelFile: modelFile, side: queryModality)
    let indexFile = o.string("index-\(indexModality)")!
    let indexURL = URL(fileURLWithPath: indexFile)
    let (count, columns) = try NPYFile.readHeader(indexURL).matrixShape()
    let expectedIndex = indexModality == "x" ? loaded.xColumns : loaded.yColumns
    guard columns == expectedIndex else {
        throw FileError(.invalidValue, file: indexFile, "has \(columns) columns, but the model \(modelFile) (its \(indexModality.uppercased()) side) expects \(expectedIndex)")
    }
    let rows = try selectedRows(o, count: count, file: indexFile)
    let k = o.integer("k")!
    if k > rows.count {
        throw FileError(.invalidValue, file: indexFile, "has \(rows.count) rows\(rows.count < count ? " in --rows" : ""), fewer than -k \(k)")
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

/// `sue search --index`: approximate search of an index written by `sue index`.
private func runIndexedSearch(_ context: RunContext, queryModality: String) throws -> Int32 {
    let o = context.options
    let hint = "see 'sue search --help'"
    if let clash = ["index-x", "index-y", "rows", "batch-rows"].first(where: { o.wasGiven($0) }) {
        throw UsageError(message: "sue search: --index searches the rows it was built from; leave out --\(clash)", hint: hint)
    }
    let modelFile = o.string("model")!, indexFile = o.string("index")!
    let loaded = try ModelFile.load(try SafetensorsFile.read(o.url("model")!), source: modelFile)
    context.progress.report("reading the index", nil, indexFile)
    let stored = try IndexFile.load(o.url("index")!)
    guard stored.modelFingerprint == (try IndexFile.modelFingerprint(of: o.url("model")!)) else {
        throw FileError(.invalidValue, file: indexFile, "was built with another model than \(modelFile); its rows are in another shared space (rebuild it with sue index --model \(modelFile))")
    }
    let indexModality = stored.modality.rawValue
    guard indexModality != queryModality else {
        throw UsageError(message: "sue search: \(indexFile) indexes \(indexModality.uppercased()) rows; search it with --query-\(indexModality == "x" ? "y" : "x") queries of the other modality", hint: hint)
    }
    let (embedded, queryFile) = try queriesInSharedSpace(o, loaded, modelFile: modelFile, side: queryModality)
    let k = o.integer("k")!
    if k > stored.index.count {
        throw FileError(.invalidValue, file: indexFile, "holds \(stored.index.count) rows, fewer than -k \(k)")
    }
    if let probes = o.integer("probes"), probes > stored.index.cells {
        throw FileError(.invalidValue, file: indexFile, "has \(stored.index.cells) cells, fewer than --probes \(probes)")
    }
    let results: [[SearchHit]]
    do {
        let tracker = RowProgress(reporter: context.progress, stage: "searching \(embedded.rows) queries", total: stored.index.cells,
                                  unit: "cells")
        results = try stored.index.search(embedded, k: k, probes: o.integer("probes")) { done, _ in tracker.update(done) }
    } catch let error as AlignmentError {
        throw FileError(.invalidValue, file: queryFile, "\(error)")
    }
    context.progress.end()
    let offset = stored.rowOffset
    printSearchResults(results.map { $0.map { SearchHit(row: $0.row + offset, score: $0.score) } }, json: o.flag("json"))
    return ExitStatus.success
}

/// The queries of `--query-x` or `--query-y` (`side`), checked against the model's width for that side and mapped
/// into its shared space; a failure names the query file.
private func queriesInSharedSpace(_ o: ParsedOptions, _ loaded: ModelFile.LoadedModel, modelFile: String,
                                  side: String) throws -> (rows: Matrix<Float>, file: String) {
    let file = o.string("query-\(side)")!
    let queries = try InputValidation.loadEmbeddings(o.url("query-\(side)")!, as: Float.self)
    try InputValidation.columnCheck(queries, expected: side == "x" ? loaded.xColumns : loaded.yColumns, file: file,
                                    purpose: "the model \(modelFile) (its \(side.uppercased()) side)")
    do {
        return (try loaded.model.embed(queries, from: side == "x" ? .x : .y), file)
    } catch let error as AlignmentError {
        throw FileError(.invalidValue, file: file, "\(error)")
    }
}
