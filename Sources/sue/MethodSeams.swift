import Foundation
import LinearAlgebra
import SUE
import SUEFiles

// THE SEAMS between the command line and the SUE method.
//
// Every command parses its options, loads and checks its inputs (see the *Command.swift files and
// `InputValidation`), and then calls exactly one function below with checked, typed arguments. This is the
// only file where the commands touch the method layer:
//   fit        → pick the method (`MethodRegistry.swift`), fit it on `WeaklyPairedData`, save with `ModelFormat`
//   embed      → `ModelFormat.load`, check the input's columns against the model, map, `NPYFile.write`
//   evaluate   → map both sides, Recall@1/5/10 both ways, a table or one JSON object
//   search     → map queries and index, top-k by cosine similarity, a table or JSON lines
//   demo       → fit the methods on the embedded data, print the table, write the SVG, say where it is
//   experiment → the protocol of issue 5 (Appendix D.7 split per seed), a table or one JSON line per method
// Progress goes to `context.progress` (stderr); results to stdout. Every file is written atomically.
// Nothing that depends on the run (times, thread count) goes into a file, so the same seed gives the same bytes.

// MARK: fit

func fitAndWriteModel(_ inputs: InputValidation.FitInputs<Float>, _ settings: FitSettings,
                      _ context: RunContext) throws -> Int32 {
    // A pair listed twice is one pair: duplicates would weight it twice and break methods that match rows one to one.
    var seen = Set<PairsFile.Pair>()
    let pairs = inputs.pairs.filter { seen.insert($0).inserted }.map { KnownPair(x: $0.x, y: $0.y) }
    let data = WeaklyPairedData(x: inputs.x, y: inputs.y, pairs: pairs)
    let (method, reason) = try lookUpMethod(named: settings.method, for: data)

    let start = DispatchTime.now()
    let fitted = try method.fit(data, FitContext(seed: settings.seed, progress: context.progress.report))
    context.progress.end()
    let seconds = secondsSince(start)
    guard let storable = fitted as? StorableEmbedding else {
        throw MethodUnavailable.notStorable(method.name)
    }
    let configuration = JSONValue.object([
        "method": .string(settings.method),
        "se": .string(settings.spectralEmbedding),
        "dims": .integer(settings.dimensions),
        "cca": .integer(settings.ccaComponents),
        "knn": .integer(settings.neighbours),
        "mmd": .bool(settings.mmd),
        "seed": .integer(Int(settings.seed)),
    ])
    let report = JSONValue.object([
        "method": .string(method.name),
        "reason": .string(reason),
        "pairs": .integer(pairs.count),
        "x_rows": .integer(data.x.rows),
        "y_rows": .integer(data.y.rows),
        "seed": .integer(Int(settings.seed)),
    ])
    try context.progress.step("writing the model") {
        try ModelFormat.save(storable, xColumns: data.x.columns, yColumns: data.y.columns,
                             configuration: configuration, report: report, to: settings.output)
    }
    print("method:   \(method.name) — \(method.summary) (\(reason))")
    print("data:     X \(data.x.rows)×\(data.x.columns), Y \(data.y.rows)×\(data.y.columns), \(pairs.count) known pairs")
    print("model:    \(settings.output.path), shared dimension \(storable.dimension)")
    print(String(format: "time:     %.2f s to fit", seconds))
    return ExitStatus.success
}

// MARK: embed, evaluate, search

/// Loads a model file, with errors naming it.
private func loadModel(_ file: SafetensorsFile, _ name: String) throws -> ModelFormat.LoadedModel {
    try ModelFormat.load(file, source: name)
}

/// Maps `input` (rows of modality `modality`) into the shared space, after checking its width.
private func embed(_ model: ModelFormat.LoadedModel, modelFile: String, modality: String, _ input: Matrix<Float>,
                   inputFile: String) throws -> Matrix<Float> {
    let expected = modality == "x" ? model.xColumns : model.yColumns
    try InputValidation.columnCheck(input, expected: expected, file: inputFile,
                                    purpose: "the model \(modelFile) (its \(modality.uppercased()) side)")
    return modality == "x" ? try model.embedding.embedX(input) : try model.embedding.embedY(input)
}

func embedWithModel(_ model: SafetensorsFile, modelFile: String, modality: String, input: Matrix<Float>,
                    inputFile: String, output: URL, _ context: RunContext) throws -> Int32 {
    let loaded = try loadModel(model, modelFile)
    let shared = try context.progress.step("mapping \(input.rows) rows") {
        try embed(loaded, modelFile: modelFile, modality: modality, input, inputFile: inputFile)
    }
    try NPYFile.write(shared, to: output)
    print("wrote \(output.path): \(shared.rows) rows × \(shared.columns) columns (shared space, float32)")
    return ExitStatus.success
}

func evaluateModel(_ model: SafetensorsFile, modelFile: String, x: Matrix<Float>, y: Matrix<Float>, json: Bool,
                   _ context: RunContext) throws -> Int32 {
    let loaded = try loadModel(model, modelFile)
    let options = context.options
    let (sx, sy) = try context.progress.step("mapping and ranking \(x.rows) test pairs") {
        (try embed(loaded, modelFile: modelFile, modality: "x", x, inputFile: options.string("x")!),
         try embed(loaded, modelFile: modelFile, modality: "y", y, inputFile: options.string("y")!))
    }
    let recall = interimRecall(sx, sy)
    if json {
        print(JSONValue.object([
            "method": .string(loaded.report["method"]?.stringValue ?? loaded.kind),
            "test_pairs": .integer(x.rows),
            "x_to_y": recallJSON(recall.xToY),
            "y_to_x": recallJSON(recall.yToX),
        ]).text)
    } else {
        var table = TextTable(header: ["direction", "R@1", "R@5", "R@10"])
        table.append(["X→Y"] + percentCells(recall.xToY))
        table.append(["Y→X"] + percentCells(recall.yToX))
        print("Recall@k (%) on \(x.rows) test pairs; chance level for R@1 is \(String(format: "%.2f", 100 / Double(x.rows)))")
        print(table.render())
    }
    return ExitStatus.success
}

func searchWithModel(_ model: SafetensorsFile, modelFile: String, queryModality: String, queries: Matrix<Float>,
                     index: Matrix<Float>, k: Int, json: Bool, _ context: RunContext) throws -> Int32 {
    let loaded = try loadModel(model, modelFile)
    let options = context.options
    let indexModality = queryModality == "x" ? "y" : "x"
    let results = try context.progress.step("searching \(index.rows) rows for \(queries.rows) queries") {
        () -> [[(row: Int, score: Float)]] in
        let q = try embed(loaded, modelFile: modelFile, modality: queryModality, queries,
                          inputFile: options.string("query-\(queryModality)")!)
        let i = try embed(loaded, modelFile: modelFile, modality: indexModality, index,
                          inputFile: options.string("index-\(indexModality)")!)
        return interimTopK(q, i, k: k)
    }
    var lines = [String]()
    for (query, best) in results.enumerated() {
        if json {
            lines.append(JSONValue.object([
                "query": .integer(query),
                "rows": .array(best.map { .integer($0.row) }),
                "scores": .array(best.map { .fixed(Double($0.score), decimals: 4) }),
            ]).text)
        } else {
            lines.append("query \(query): " + best.map { "\($0.row) (\(String(format: "%.4f", $0.score)))" }.joined(separator: ", "))
        }
    }
    print(lines.joined(separator: "\n"))
    return ExitStatus.success
}

// MARK: experiment and demo

/// One method's results over the seeds of an experiment.
struct MethodResults {
    var method: String
    var pairs: Int
    var xToY: [InterimRecall] = []
    var yToX: [InterimRecall] = []
    var fitSeconds: [Double] = []
}

/// Fits `method` on the training part of `split` and measures retrieval on its test part.
private func fitAndScore(_ method: AlignmentMethod, x: Matrix<Float>, y: Matrix<Float>, split: InterimSplit,
                         seed: UInt64, _ context: RunContext)
    throws -> (fitted: SharedEmbedding, xToY: InterimRecall, yToX: InterimRecall, seconds: Double) {
    let n = split.pairedRows.count
    let data = WeaklyPairedData(x: x.rows(split.pairedRows + split.unpairedX), y: y.rows(split.pairedRows + split.unpairedY),
                                pairs: (0..<n).map { KnownPair(x: $0, y: $0) })
    let start = DispatchTime.now()
    let fitted = try method.fit(data, FitContext(seed: seed, progress: context.progress.report))
    let seconds = secondsSince(start)
    context.progress.end()
    let recall = interimRecall(try fitted.embedX(x.rows(split.testRows)), try fitted.embedY(y.rows(split.testRows)))
    return (fitted, recall.xToY, recall.yToX, seconds)
}

func runExperimentMethods(x: Matrix<Float>, y: Matrix<Float>, _ settings: ExperimentSettings,
                          _ context: RunContext) throws -> Int32 {
    let methods = try settings.methods.map { name -> AlignmentMethod in
        guard let m = methodRegistry.first(where: { $0.name == name }) else { throw MethodUnavailable(name: name) }
        return m
    }
    var results = methods.map { MethodResults(method: $0.name, pairs: settings.pairs) }
    for s in 0..<settings.seeds {
        let seed = settings.seed &+ UInt64(s)
        let split = InterimSplit(rows: x.rows, pairs: settings.pairs, test: settings.test, seed: seed)
        for (m, method) in methods.enumerated() {
            let r = try fitAndScore(method, x: x, y: y, split: split, seed: seed, context)
            results[m].xToY.append(r.xToY)
            results[m].yToX.append(r.yToX)
            results[m].fitSeconds.append(r.seconds)
        }
    }
    if settings.json {
        for r in results { print(experimentJSON(r, seeds: settings.seeds).text) }
    } else {
        print("Recall@k (%) on \(settings.test) test pairs, \(settings.pairs) known pairs, mean ± sd over \(settings.seeds) seed(s)")
        print(resultsTable(results, showPairs: false).render())
    }
    return ExitStatus.success
}

/// `{"method":…,"pairs":…,"seeds":…,"x_to_y":{"r1":…,"r5":…,"r10":…},"y_to_x":{…},"fit_seconds":…,"sd":{…}}`
/// (means over seeds; `sd` holds the population standard deviations of the same figures).
func experimentJSON(_ r: MethodResults, seeds: Int) -> JSONValue {
    func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
    func sd(_ v: [Double]) -> Double {
        let m = mean(v)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(v.count, 1))).squareRoot()
    }
    func summary(_ v: [InterimRecall], _ f: ([Double]) -> Double) -> JSONValue {
        .object([
            "r1": .fixed(f(v.map(\.r1)), decimals: 2),
            "r5": .fixed(f(v.map(\.r5)), decimals: 2),
            "r10": .fixed(f(v.map(\.r10)), decimals: 2),
        ])
    }
    return .object([
        "method": .string(r.method),
        "pairs": .integer(r.pairs),
        "seeds": .integer(seeds),
        "x_to_y": summary(r.xToY, mean),
        "y_to_x": summary(r.yToX, mean),
        "fit_seconds": .fixed(mean(r.fitSeconds), decimals: 3),
        "sd": .object([
            "x_to_y": summary(r.xToY, sd),
            "y_to_x": summary(r.yToX, sd),
            "fit_seconds": .fixed(sd(r.fitSeconds), decimals: 3),
        ]),
    ])
}

/// The readable table of `sue experiment` and `sue demo`: one row per method (and pair count).
func resultsTable(_ results: [MethodResults], showPairs: Bool) -> TextTable {
    var table = TextTable(header: ["method"] + (showPairs ? ["pairs"] : [])
                          + ["X→Y R@1", "R@5", "R@10", "Y→X R@1", "R@5", "R@10", "fit s"])
    for r in results {
        func cell(_ v: [Double]) -> String {
            let m = v.reduce(0, +) / Double(max(v.count, 1))
            guard v.count > 1 else { return String(format: "%.1f", m) }
            let sd = (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
            return String(format: "%.1f±%.1f", m, sd)
        }
        let t = r.fitSeconds.reduce(0, +) / Double(max(r.fitSeconds.count, 1))
        table.append([r.method] + (showPairs ? [String(r.pairs)] : [])
                     + [cell(r.xToY.map(\.r1)), cell(r.xToY.map(\.r5)), cell(r.xToY.map(\.r10)),
                        cell(r.yToX.map(\.r1)), cell(r.yToX.map(\.r5)), cell(r.yToX.map(\.r10)),
                        String(format: "%.2f", t)])
    }
    return table
}

func runDemoMethods(x: Matrix<Float>, y: Matrix<Float>, texts: [String], categories: [String], pairs: [Int], test: Int,
                    svg: URL, json: Bool, _ context: RunContext) throws -> Int32 {
    let methods = methodRegistry
    var results = [MethodResults]()
    var pictured = [(name: String, fitted: SharedEmbedding)]()
    var split = InterimSplit(rows: x.rows, pairs: 0, test: test, seed: context.seed)
    let total = Double(pairs.count * methods.count)
    for (p, n) in pairs.enumerated() {
        split = InterimSplit(rows: x.rows, pairs: n, test: test, seed: context.seed)
        for (m, method) in methods.enumerated() {
            context.progress.report("demo", Double(p * methods.count + m) / total, "fitting \(method.name) with \(n) pairs")
            let r = try fitAndScore(method, x: x, y: y, split: split, seed: context.seed, context)
            results.append(MethodResults(method: method.name, pairs: n, xToY: [r.xToY], yToX: [r.yToX], fitSeconds: [r.seconds]))
            if n == pairs.last! { pictured.append((method.name, r.fitted)) }
        }
    }
    context.progress.end()

    // The picture: the held-out texts of both encoders in each method's shared space, in one joint 2-D view
    // per method (Fig. 13 of the paper); grey lines join the two embeddings of a few of the same texts.
    let tx = x.rows(split.testRows), ty = y.rows(split.testRows)
    var panels = [SVGScatterPlot.Panel]()
    for (name, fitted) in pictured {
        let plane = PlanarProjection.principalPlane(try fitted.embedX(tx), try fitted.embedY(ty))
        panels.append(SVGScatterPlot.Panel(title: "\(name), \(pairs.last!) pairs", x: plane.x, y: plane.y,
                                           links: (0..<min(25, test)).map { (x: $0, y: $0) }))
    }
    let labels = split.testRows.map { "\(texts[$0]) [\(categories[$0])]" }
    let picture = SVGScatterPlot(
        title: "Demo: \(test) held-out texts in the shared space", panels: panels,
        xName: "MiniLM-L6 (X)", yName: "e5-small (Y)",
        caption: "Joint PCA of both modalities in each method's shared space; grey lines join the two embeddings of 25 test texts.",
        xLabels: labels, yLabels: labels)
    try picture.write(to: svg)

    if json {
        for r in results { print(experimentJSON(r, seeds: 1).text) }
    } else {
        print("sue demo: \(x.rows) texts embedded by two encoders (X: MiniLM-L6 \(x.columns)-d, Y: e5-small \(y.columns)-d).")
        print("Each method sees the unpaired rows of both encoders and N known pairs; Recall@k (%) on \(test) held-out texts, seed \(context.seed).")
        print("")
        print(resultsTable(results, showPairs: true).render())
        print("")
        print(wrap("What it means: for each held-out text embedded by one encoder, the method ranks all \(test) texts "
                   + "embedded by the other encoder by cosine similarity in its shared space; R@1 is how often the same "
                   + "text comes first (chance: \(String(format: "%.1f", 100 / Double(test))) %), R@10 how often it is "
                   + "among the first ten. The higher, the better a few known pairs suffice to connect two "
                   + "embedding models that were never trained together.", width: 100, indent: 0))
    }
    print("picture of the shared space: \(svg.path)")
    return ExitStatus.success
}

// MARK: helpers

private func secondsSince(_ start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
}

private func recallJSON(_ r: InterimRecall) -> JSONValue {
    .object(["r1": .fixed(r.r1, decimals: 2), "r5": .fixed(r.r5, decimals: 2), "r10": .fixed(r.r10, decimals: 2)])
}

private func percentCells(_ r: InterimRecall) -> [String] {
    [r.r1, r.r5, r.r10].map { String(format: "%.1f", $0) }
}

extension MethodUnavailable {
    static func notStorable(_ name: String) -> Error {
        UsageError(message: "sue fit: method '\(name)' cannot be saved to a model file in this build", hint: "choose another --method")
    }
}
