import Foundation
import LinearAlgebra
import SUE
import SUEFiles

/// `sue fit`: learn the shared space from X, Y and the known pairs, and save it as a model file.
let fitCommand = Command(
    name: "fit",
    summary: "fit a SUE model on two embedding files and a few known pairs",
    usage: "sue fit --x X.npy --y Y.npy [--pairs pairs.csv] --out model.safetensors [options]",
    options: [
        OptionSpec("x", .path(placeholder: "X.npy"), required: true, "embeddings of modality X, one row per item"),
        OptionSpec("y", .path(placeholder: "Y.npy"), required: true, "embeddings of modality Y (rows and columns may differ from X)"),
        OptionSpec("pairs", .path(placeholder: "pairs.csv"),
                   "known pairs: CSV with header x,y, one 0-based row index into X and into Y per line; leave out to fit without pairs (auto then returns the pair-free similarity profiles: weak, but above chance)"),
        OptionSpec("out", .path(placeholder: "model.safetensors"), required: true, "where to write the model"),
        OptionSpec("method", .text(placeholder: "NAME"), default: "auto",
                   "alignment method: auto (chooses by cross-validation on the pairs and says why), or a name from sue experiment --help"),
        OptionSpec("se", .choice(["numeric", "parametric", "pca", "autoencoder", "none"]),
                   "step 1 of the SUE pipeline: numeric (eigenvectors + Nyström), parametric (SpectralNet), pca, autoencoder or none (raw features) (default: the method's own: numeric for sue, parametric for sue-parametric, pca for mmd, autoencoder for ae)"),
        OptionSpec("dims", .integer(minimum: 1), default: "10", "dimension of step 1's embedding (the paper uses 10)"),
        OptionSpec("cca", .integerOrWord(minimum: 1, word: "off"), default: "8",
                   "CCA components, at most the number of pairs (the paper uses 8), or off for per-side standardisation (the mmd method's default is off)"),
        OptionSpec("knn", .integer(minimum: 1), default: "100",
                   "neighbours per point in the numeric SE's graph (the paper uses 100; the default is capped at the rows − 1, a larger value given here is an error)"),
        OptionSpec("mmd", .choice(["on", "off"]), default: "on", "refine the alignment with the MMD residual network"),
        coreRowsOption,
    ],
    details: """
        example:
          sue fit --x images.npy --y captions.npy --pairs pairs.csv --out model.safetensors
          sue fit --x images.npy --y captions.npy --pairs pairs.csv --out model.safetensors --method sue --dims 6
        Checks before fitting: files exist and are float .npy, no empty matrix, no NaN/Inf (the row is named),
        every pair index in range (the line is named), at least as many distinct pairs as CCA components.
        --se, --dims, --cca, --knn and --mmd configure the SUE pipeline methods (sue, sue-numeric, sue-parametric,
        mmd, ae), starting from the method's own settings; giving one with another method (auto, ridge,
        procrustes, cca, components+cca, cca+profiles, self-learning, similarity-profiles, contrastive) is an error,
        since it would be ignored. The model's "config" metadata records the settings used, its "report" the
        method actually fitted and why. Without --pairs the fit uses no pairs (auto: the similarity profiles).
        Large data: inputs with more rows than --core-rows are fitted on a seeded sample of that many rows per
        side (always including the paired rows); the time and memory of a fit then grow only linearly with the
        rows. Embed and search all rows afterwards with sue embed / sue search, which stream in blocks.
        """,
    run: runFit)

/// `--core-rows`, for the commands that fit (`RunContext.fitContext` applies it).
let coreRowsOption = OptionSpec(
    "core-rows", .integerOrWord(minimum: 2, word: "all"), default: "\(WeaklyPairedData.defaultCoreRows)",
    "rows per side a fit works with: every paired row and a seeded sample of the unpaired ones, so that the steps of quadratic cost stay bounded on large data (the model then embeds any number of rows); all: every row")

/// The options that configure the SUE pipeline (and only it).
let pipelineOptions = ["se", "dims", "cca", "knn", "mmd"]

/// The checked settings of `sue fit`, handed to the method.
struct FitSettings {
    /// The catalogue entry of `--method`.
    var method: CatalogueEntry
    /// The estimator to fit: the entry's, with the pipeline options applied when it is a SUE pipeline.
    var estimator: any Aligner
    var output: URL
}

func runFit(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let entry = try catalogueEntry(named: o.string("method")!)  // before a long load
    let pipeline = try pipelineConfiguration(o, entry)
    let settings = FitSettings(method: entry, estimator: pipeline ?? entry.estimator, output: o.url("out")!)
    try checkOutputFolder(settings.output, inputs: ["x", "y", "pairs"].compactMap { o.url($0) })
    let inputs = try context.progress.step("loading inputs") {
        try InputValidation.loadFitInputs(x: o.url("x")!, y: o.url("y")!, pairs: o.url("pairs"), as: Float.self)
    }
    if let c = pipeline, c.cca {
        // CCA on n pairs has at most n meaningful directions: asking for more can only produce noise.
        let distinct = Set(inputs.pairs).count
        guard let pairsFile = o.string("pairs") else {
            throw FileError(.invalidValue, file: "--pairs", "no pairs file given, but \(c.ccaComponents) CCA components were requested; give --pairs or --cca off")
        }
        if distinct < c.ccaComponents {
            throw FileError(.invalidValue, file: pairsFile,
                            "\(distinct) distinct pairs, fewer than the \(c.ccaComponents) CCA components requested; use --cca \(max(1, distinct - 1)) or provide more pairs")
        }
    }
    if o.wasGiven("knn"), let k = pipeline?.neighbors, k >= inputs.x.rows || k >= inputs.y.rows {
        throw UsageError(message: "sue fit: --knn \(k) needs more rows than that in both X (\(inputs.x.rows)) and Y (\(inputs.y.rows))",
                         hint: "use a smaller --knn")
    }
    return try fitAndWriteModel(inputs, settings, context)
}

/// The SUE pipeline `sue fit` uses: nil for methods other than the pipeline's (and then no pipeline option may
/// be given), else the method's own configuration with every pipeline option the user gave applied.
func pipelineConfiguration(_ o: ParsedOptions, _ entry: CatalogueEntry) throws -> SUEPipeline? {
    guard var c = entry.estimator as? SUEPipeline else {
        if let name = pipelineOptions.first(where: o.wasGiven) {
            throw UsageError(message: "sue fit: --\(name) applies to the sue pipeline methods (sue, sue-parametric, mmd, ae); the method is \(entry.name)",
                             hint: "add --method sue, or leave out --\(name)")
        }
        return nil
    }
    if o.wasGiven("se") { c.se = SUEPipeline.EmbeddingMode(rawValue: o.string("se")!)! }
    if o.wasGiven("dims") { c.seDimensions = o.integer("dims")! }
    if o.wasGiven("cca") {
        if let n = o.integer("cca") { c.cca = true; c.ccaComponents = n } else { c.cca = false }
    }
    if o.wasGiven("knn") { c.neighbors = o.integer("knn")! }
    if o.wasGiven("mmd") { c.mmd = o.string("mmd") == "on" }
    return c
}

/// The catalogue entry called `name`, as a command-line error when there is none.
func catalogueEntry(named name: String) throws -> CatalogueEntry {
    guard let entry = Catalogue.entries.first(where: { $0.name == name }) else {
        throw UsageError(message: "unknown method '\(name)'", hint: "available: \(Catalogue.names.joined(separator: ", "))")
    }
    return entry
}

/// Fails early (before a long fit) if the output's folder does not exist, or if the output is one of the
/// command's inputs (writing it would destroy the input).
func checkOutputFolder(_ url: URL, inputs: [URL] = []) throws {
    if let input = inputs.first(where: { AtomicFile.sameFile($0, url) }) {
        throw FileError(.invalidValue, url: url, "is also an input (\(input.path)); choose another output file")
    }
    if url.path == "-" || url.relativePath == "-" { return }
    var isDirectory: ObjCBool = false
    let folder = url.deletingLastPathComponent()
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw FileError(.notFound, url: url, "the output folder \(folder.path) does not exist")
    }
}
