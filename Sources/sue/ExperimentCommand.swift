import Foundation
import LinearAlgebra
import SUE
import SUEFiles


/// `sue experiment`: "how well would SUE work on my data with N pairs?", by the paper's protocol.
let experimentCommand = Command(
    name: "experiment",
    summary: "compare SUE with baselines on fully paired data, with N known pairs (the paper's protocol)",
    usage: "sue experiment --x X.npy --y Y.npy [--pairs 100 | --pairs 10,50,300] [--test 400] [--seeds 5] [--methods auto,ridge,…] [--drop 0.1] [--json]",
    options: [
        OptionSpec("x", .path(placeholder: "X.npy"), required: true, "embeddings of modality X"),
        OptionSpec("y", .path(placeholder: "Y.npy"), required: true, "embeddings of modality Y; row i pairs with row i of --x"),
        OptionSpec("pairs", .text(placeholder: "N[,N…]"), default: "100", "training pairs kept per seed (0 for methods that need none); a comma-separated list runs the protocol for each count, one table"),
        OptionSpec("test", .integer(minimum: 10), default: "400", "test pairs drawn per seed"),
        OptionSpec("seeds", .integer(minimum: 1), default: "5", "repetitions with different draws: seeds S, S+1, …, S+N−1 with S = --seed (the same seeds give the same splits, so results are comparable across runs)"),
        OptionSpec("methods", .list(Catalogue.names), default: "auto,ridge,cca,sue",
                   "methods to compare: " + Catalogue.entries.map { "\($0.name) (\($0.summary))" }.joined(separator: ", ")),
        OptionSpec("drop", .number(minimum: 0), default: "0.1", "fraction of the unpaired rows dropped from each modality, independently, so that some rows have no counterpart on the other side (below 1; 0.5 leaves a kept row's counterpart present only half the time)"),
        OptionSpec("json", .flag, "one JSON line per method and pair count instead of a table: the means, and each split with its recall, the method the fit used and why"),
        coreRowsOption,
    ],
    details: """
        Per seed: draw --test test pairs, keep --pairs training pairs, make the remaining rows weakly paired
        (drop --drop of them per modality independently, shuffle), fit each method, report Recall@1/5/10 both ways (%).
        """,
    run: runExperiment)

/// The checked settings of `sue experiment`.
struct ExperimentSettings {
    var pairs: [Int]
    var test: Int
    var seeds: Int
    var methods: [String]
    var json: Bool
    var seed: UInt64
    /// Fraction of the unpaired rows dropped from each side, independently.
    var dropFraction: Double
}

func runExperiment(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let counts = o.list("pairs").map { Int($0) }
    guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? -1) >= 0 }) else {
        throw UsageError(message: "sue experiment: --pairs expects integers ≥ 0, one or comma-separated, found '\(o.string("pairs")!)'",
                         hint: "see 'sue experiment --help'")
    }
    let settings = ExperimentSettings(pairs: counts.map { $0! }, test: o.integer("test")!, seeds: o.integer("seeds")!,
                                      methods: o.list("methods"), json: o.flag("json"), seed: context.seed,
                                      dropFraction: o.number("drop")!)
    guard settings.dropFraction < 1 else {
        throw UsageError(message: "sue experiment: --drop must be below 1 (a fraction of the unpaired rows), found \(o.string("drop")!)",
                         hint: "see 'sue experiment --help'")
    }
    for name in settings.methods { _ = try catalogueEntry(named: name) }  // before a long load
    let (x, y) = try context.progress.step("loading inputs") {
        (try InputValidation.loadEmbeddings(o.url("x")!, as: Float.self),
         try InputValidation.loadEmbeddings(o.url("y")!, as: Float.self))
    }
    try InputValidation.rowAlignmentCheck(x: x, xFile: o.string("x")!, y: y, yFile: o.string("y")!)
    if settings.pairs.max()! + settings.test >= x.rows {
        throw FileError(.invalidValue, file: o.string("x")!,
                        "has \(x.rows) rows; --pairs \(settings.pairs.max()!) + --test \(settings.test) leave no unpaired rows")
    }
    return try runExperimentMethods(x: x, y: y, settings, context)
}
