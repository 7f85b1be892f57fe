import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles
import Spectral

// THE SEAMS between the command line and the library.
//
// Every command parses its options, loads and checks its inputs (see the *Command.swift files and
// `InputValidation`), and then calls exactly one function below with checked, typed arguments:
//   fit        → the catalogue's estimator, fitted on `WeaklyPairedData`, saved with `ModelFile`
//   embed      → `ModelFile.load`, check the input's columns, map and write in blocks (Streaming.swift)
//   evaluate   → map both sides, Recall@1/5/10 both ways, a table or one JSON object
//   search     → map the queries, then the index in blocks, top-k by cosine merged over blocks (Streaming.swift)
//   demo       → fit the methods on the embedded data, print the table, write the SVG, say where it is
//   experiment → the paper's protocol (Appendix D.7 split per seed), a table or one JSON line per method
// Progress goes to stderr; results to stdout. Every file is written atomically. Nothing that depends on the run
// (times, thread count) goes into a file, so the same seed gives the same bytes.

// MARK: fit

func fitAndWriteModel(_ inputs: InputValidation.FitInputs<Float>, _ settings: FitSettings,
                      _ context: RunContext) throws -> Int32 {
    let data = WeaklyPairedData(x: inputs.x, y: inputs.y, pairs: inputs.pairs.map { KnownPair(x: $0.x, y: $0.y) })
    let start = DispatchTime.now()
    let fitContext = context.fitContext()
    var model: any AlignmentModel = try settings.estimator.fit(data, context: fitContext)
    context.progress.end()
    let seconds = secondsSince(start)
    var report = model.report
    if report.method == settings.method.name && report.reason == "requested" {
        report.reason = "requested with --method \(settings.method.name)"
            + (pipelineOptions.contains(where: context.options.wasGiven) ? " and the pipeline options in the report's configuration" : "")
    }
    try context.progress.step("writing the model") {
        var stored = model.storedForm
        stored.report = report
        model = try StoredModels.rebuild(stored)
        try ModelFile.save(model, to: settings.output)
    }
    let chosen = report.method
    print("method:   \(chosen)" + (chosen == settings.method.name ? " — \(settings.method.summary)" : " (chosen by \(settings.method.name))"))
    print("why:      \(report.reason)")
    print("data:     X \(data.x.rows)×\(data.x.columns), Y \(data.y.rows)×\(data.y.columns), \(data.pairs.count) known pairs")
    if let core = fitContext.coreRows, data.x.rows > core || data.y.rows > core {
        print("core:     fitted on a seeded sample of at most \(core) rows per side, every paired row included (--core-rows)")
    }
    print("model:    \(settings.output.path), shared dimension \(model.dimension)")
    for note in report.notes { print("note:     " + wrap(note, width: 90, indent: 10)) }
    print(String(format: "time:     %.2f s to fit", seconds))
    return ExitStatus.success
}

// MARK: embed, evaluate, search

/// Loads a model file, with errors naming it.
private func loadModel(_ file: SafetensorsFile, _ name: String) throws -> ModelFile.LoadedModel {
    try ModelFile.load(file, source: name)
}

/// Maps `input` (rows of modality `modality`) into the shared space, after checking its width.
private func embed(_ model: ModelFile.LoadedModel, modelFile: String, modality: String, _ input: Matrix<Float>,
                   inputFile: String) throws -> Matrix<Float> {
    let expected = modality == "x" ? model.xColumns : model.yColumns
    try InputValidation.columnCheck(input, expected: expected, file: inputFile,
                                    purpose: "the model \(modelFile) (its \(modality.uppercased()) side)")
    return try model.model.embed(input, from: modality == "x" ? .x : .y)
}

func evaluateModel(_ model: SafetensorsFile, modelFile: String, x: Matrix<Float>, y: Matrix<Float>, json: Bool,
                   _ context: RunContext) throws -> Int32 {
    let loaded = try loadModel(model, modelFile)
    let options = context.options
    let (sx, sy) = try context.progress.step("mapping and ranking \(x.rows) test pairs") {
        (try embed(loaded, modelFile: modelFile, modality: "x", x, inputFile: options.string("x")!),
         try embed(loaded, modelFile: modelFile, modality: "y", y, inputFile: options.string("y")!))
    }
    let recall = try retrievalRecall(sx, sy)
    if json {
        print(JSONValue.object([
            "method": .string(loaded.report?.method ?? loaded.kind),
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

/// Prints search results: one line per query (or one JSON object per query).
func printSearchResults(_ results: [[SearchHit]], json: Bool) {
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
}

// MARK: experiment and demo

func runExperimentMethods(x: Matrix<Float>, y: Matrix<Float>, _ settings: ExperimentSettings,
                          _ context: RunContext) throws -> Int32 {
    let progress = context.progress
    var results = [AlignmentExperimentResult]()
    for pairs in settings.pairs {
        results += try runAlignmentExperiment(x: x, y: y, pairs: pairs, test: settings.test, seeds: settings.seeds,
                                              firstSeed: settings.seed, methods: try settings.methods.map(catalogueEntry),
                                              dropFraction: settings.dropFraction,
                                              threads: context.threads, coreRows: context.fitContext().coreRows) { line in
            progress.report("experiment", nil, line.trimmingCharacters(in: .whitespaces))
        }
        context.progress.end()
        if settings.json {
            for r in results.suffix(settings.methods.count) {
                print(experimentJSON(r).text)
            }
        }
    }
    if !settings.json {
        let seeds = settings.seeds == 1 ? "seed \(settings.seed)" : "\(settings.seeds) seeds (\(settings.seed)…\(settings.seed + UInt64(settings.seeds) - 1))"
        let counts = settings.pairs.map(String.init).joined(separator: ", ")
        print("Recall@k (%) on \(settings.test) test pairs, \(counts) known pairs, mean ± sd over \(seeds)")
        print(resultsTable(results.map { ($0.method, $0.pairs, $0.recall, $0.fitSeconds) }, showPairs: settings.pairs.count > 1).render())
    }
    return ExitStatus.success
}

/// `{"method":…,"pairs":…,"seeds":…,"x_to_y":{"r1":…,"r5":…,"r10":…},"y_to_x":{…},"fit_seconds":…,"sd":{…},
/// "splits":[…]}`: means over seeds, in percent; `sd` holds the standard deviations over seeds of the same
/// figures; `auto` adds the method it chose per seed (`choices`). `splits` has one object per seed, in seed
/// order: its `seed`, recall both ways, `fit_seconds`, the `method` the fit used and `why` (for `auto`, the
/// reasons it gives), so that a surprising mean can be traced to the split and the decision behind it.
func experimentJSON(_ r: AlignmentExperimentResult) -> JSONValue {
    let splits: [JSONValue] = r.perSeed.indices.map { i in
        let seed = r.firstSeed &+ UInt64(i)
        return .object([
            .init("seed", Int(exactly: seed).map(JSONValue.integer) ?? .string(String(seed))),
            .init("x_to_y", recallJSON(r.perSeed[i].xToY)),
            .init("y_to_x", recallJSON(r.perSeed[i].yToX)),
            .init("fit_seconds", .fixed(r.perSeedSeconds[i], decimals: 3)),
            .init("method", .string(r.choices[i])),
            .init("why", .string(r.reasons[i])),
        ])
    }
    return experimentJSON(method: r.method, pairs: r.pairs, seeds: r.seeds, recall: r.recall, fitSeconds: r.fitSeconds,
                          choices: r.choices.contains { $0 != r.method } ? r.choices : [], splits: splits)
}

/// The fields of `experimentJSON(_:)` from their values (`splits` left out when empty), for `sue demo` too.
func experimentJSON(method: String, pairs: Int, seeds: Int, recall: RecallSummary, fitSeconds: Double,
                    choices: [String] = [], splits: [JSONValue] = []) -> JSONValue {
    var fields: [JSONValue.Field] = [
        .init("method", .string(method)),
        .init("pairs", .integer(pairs)),
        .init("seeds", .integer(seeds)),
        .init("x_to_y", recallJSON(recall.mean.xToY)),
        .init("y_to_x", recallJSON(recall.mean.yToX)),
        .init("fit_seconds", .fixed(fitSeconds, decimals: 3)),
        .init("sd", .object(["x_to_y": recallJSON(recall.standardDeviation.xToY),
                             "y_to_x": recallJSON(recall.standardDeviation.yToX)])),
    ]
    if !choices.isEmpty { fields.append(.init("choices", .array(choices.map { .string($0) }))) }
    if !splits.isEmpty { fields.append(.init("splits", .array(splits))) }
    return .object(fields)
}

/// The readable table of `sue experiment` and `sue demo`: one row per method (and pair count).
func resultsTable(_ rows: [(method: String, pairs: Int, recall: RecallSummary, fitSeconds: Double)],
                  showPairs: Bool) -> TextTable {
    var table = TextTable(header: ["method"] + (showPairs ? ["pairs"] : [])
                          + ["X→Y R@1", "R@5", "R@10", "Y→X R@1", "R@5", "R@10", "fit s"])
    for r in rows {
        let m = r.recall.mean, sd = r.recall.standardDeviation
        func cell(_ mean: Double, _ spread: Double) -> String {
            r.recall.count > 1 ? String(format: "%.1f±%.1f", mean, spread) : String(format: "%.1f", mean)
        }
        table.append([r.method] + (showPairs ? [String(r.pairs)] : [])
                     + [cell(m.xToY.r1, sd.xToY.r1), cell(m.xToY.r5, sd.xToY.r5), cell(m.xToY.r10, sd.xToY.r10),
                        cell(m.yToX.r1, sd.yToX.r1), cell(m.yToX.r5, sd.yToX.r5), cell(m.yToX.r10, sd.yToX.r10),
                        String(format: "%.2f", r.fitSeconds)])
    }
    return table
}

/// The methods `sue demo` compares, chosen to fit its one-minute budget on 2 cores: the default (`auto`), the
/// paper's pipeline (`sue`), and the baselines a practitioner would try first (ridge, Procrustes, CCA,
/// contrastive). Left out: self-learning (`auto` runs it and shows when it chooses it), the SUE variants and
/// ablations (`sue-numeric` is `sue`; `sue-parametric`, `ae` and `mmd` take longer) — `sue experiment` runs them.
var demoMethods: [CatalogueEntry] {
    ["auto", "sue", "ridge", "procrustes", "cca", "contrastive"].compactMap { name in Catalogue.entries.first { $0.name == name } }
}

func runDemoMethods(x: Matrix<Float>, y: Matrix<Float>, texts: [String], categories: [String], pairs: [Int], test: Int,
                    svg: URL, json: Bool, _ context: RunContext) throws -> Int32 {
    let methods = demoMethods
    var rows = [(method: String, pairs: Int, recall: RecallSummary, fitSeconds: Double)]()
    var pictured = [(name: String, fitted: any AlignmentModel)]()
    var lastSplit: AlignmentSplit?
    for n in pairs {
        let split = try AlignmentSplit(rows: x.rows, pairs: n, test: test, seed: context.seed)
        lastSplit = split
        for method in methods {
            context.progress.report("demo", nil, "fitting \(method.name) with \(n) pairs")
            let r = try evaluate(method.estimator, on: split, x: x, y: y, context: context.fitContext())
            context.progress.end()
            var name = method.name
            if r.model.report.method != method.name { name += " → " + r.model.report.method }
            rows.append((name, n, RecallSummary([r.scores]), r.seconds))
            if n == pairs.last! { pictured.append((name, r.model)) }
        }
    }
    context.progress.end()

    // The picture: the held-out texts of both encoders in each method's shared space, in one joint 2-D view
    // per method (Fig. 13 of the paper); grey lines join the two embeddings of a few of the same texts.
    let split = lastSplit!
    let held = split.testData(x: x, y: y)
    var panels = [SVGScatterPlot.Panel]()
    for (name, fitted) in pictured {
        let plane = PlanarProjection.principalPlane(try fitted.embedX(held.x), try fitted.embedY(held.y))
        panels.append(SVGScatterPlot.Panel(title: "\(name), \(pairs.last!) pairs", x: plane.x, y: plane.y,
                                           links: (0..<min(25, test)).map { (x: $0, y: $0) }))
    }
    let labels = split.testRows.map { "\(texts[$0]) [\(categories[$0])]" }
    let picture = SVGScatterPlot(
        title: "sue demo: \(test) held-out texts in each method's shared space", panels: panels,
        xName: "MiniLM-L6 (X)", yName: "e5-small (Y)",
        caption: "Joint PCA of both modalities in each shared space; grey lines join the two embeddings of 25 test texts (short lines = aligned).",
        xLabels: labels, yLabels: labels)
    try picture.write(to: svg)

    if json {
        for r in rows { print(experimentJSON(method: r.method, pairs: r.pairs, seeds: 1, recall: r.recall, fitSeconds: r.fitSeconds).text) }
    } else {
        print("sue demo: \(x.rows) texts embedded by two encoders (X: MiniLM-L6 \(x.columns)-d, Y: e5-small \(y.columns)-d).")
        print("Each method sees the unpaired rows of both encoders and N known pairs; Recall@k (%) on \(test) held-out texts, seed \(context.seed).")
        print("")
        print(resultsTable(rows, showPairs: true).render())
        print("")
        print(wrap("What it means: for each held-out text embedded by one encoder, a method ranks all \(test) texts "
                   + "embedded by the other encoder by cosine similarity in its shared space; R@1 is how often the same "
                   + "text comes first (chance: \(String(format: "%.1f", 100 / Double(test))) %), R@10 how often it is "
                   + "among the first ten. A method that reaches high recall from a few dozen pairs has connected two "
                   + "embedding models that were never trained together; ridge (and the other baselines) shows what "
                   + "the pairs alone can do.", width: 100, indent: 0))
    }
    print("picture of the shared space: \(svg.path)")
    return ExitStatus.success
}

// MARK: helpers

private func secondsSince(_ start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
}

private func recallJSON(_ r: Recall) -> JSONValue {
    .object(["r1": .fixed(r.r1, decimals: 2), "r5": .fixed(r.r5, decimals: 2), "r10": .fixed(r.r10, decimals: 2)])
}

private func percentCells(_ r: Recall) -> [String] {
    [r.r1, r.r5, r.r10].map { String(format: "%.1f", $0) }
}
