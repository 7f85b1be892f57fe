import Foundation
import LinearAlgebra
import SUEFiles

/// `sue fit`: learn the shared space from X, Y and the known pairs, and save it as a model file.
let fitCommand = Command(
    name: "fit",
    summary: "fit a SUE model on two embedding files and a few known pairs",
    usage: "sue fit --x X.npy --y Y.npy --pairs pairs.csv --out model.safetensors [options]",
    options: [
        OptionSpec("x", .path(placeholder: "X.npy"), required: true, "embeddings of modality X, one row per item"),
        OptionSpec("y", .path(placeholder: "Y.npy"), required: true, "embeddings of modality Y (rows and columns may differ from X)"),
        OptionSpec("pairs", .path(placeholder: "pairs.csv"), required: true,
                   "known pairs: CSV with header x,y, one 0-based row index into X and into Y per line"),
        OptionSpec("out", .path(placeholder: "model.safetensors"), required: true, "where to write the model"),
        OptionSpec("method", .text(placeholder: "NAME"), default: "auto",
                   "alignment method: auto (chooses by cross-validation on the pairs and says why), or a name from sue experiment --help"),
        OptionSpec("se", .choice(["numeric", "parametric", "none"]), default: "numeric",
                   "spectral embedding: numeric (eigenvectors + Nyström), parametric (SpectralNet) or none"),
        OptionSpec("dims", .integer(minimum: 1), default: "10", "spectral embedding dimension (the paper uses 10)"),
        OptionSpec("cca", .integer(minimum: 1), default: "8",
                   "CCA components, at most the number of pairs (the paper uses 8)"),
        OptionSpec("knn", .integer(minimum: 1), default: "100", "neighbours per point in the affinity graph (the paper uses 100)"),
        OptionSpec("mmd", .choice(["on", "off"]), default: "on", "refine the alignment with the MMD residual network"),
    ],
    details: """
        example:
          sue fit --x images.npy --y captions.npy --pairs pairs.csv --out model.safetensors
        Checks before fitting: files exist and are float .npy, no empty matrix, no NaN/Inf (the row is named),
        every pair index in range (the line is named), at least as many distinct pairs as --cca components.
        --se, --dims, --knn and --mmd configure the SUE pipeline methods; the linear methods (ridge, procrustes,
        cca, self-learning, and auto, which picks among them) do not use them. All are recorded in the model's
        "config" metadata, and the method actually fitted and why in its "report".
        """,
    run: runFit)

/// The checked settings of `sue fit`, handed to the method.
struct FitSettings {
    var method: String
    var spectralEmbedding: String
    var dimensions: Int
    var ccaComponents: Int
    var neighbours: Int
    var mmd: Bool
    var seed: UInt64
    var output: URL
}

func runFit(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let settings = FitSettings(method: o.string("method")!, spectralEmbedding: o.string("se")!, dimensions: o.integer("dims")!,
                               ccaComponents: o.integer("cca")!, neighbours: o.integer("knn")!,
                               mmd: o.string("mmd") == "on", seed: context.seed, output: o.url("out")!)
    try checkOutputFolder(settings.output)
    _ = try lookUpMethod(named: settings.method)  // before a long load
    let inputs = try context.progress.step("loading inputs") {
        try InputValidation.loadFitInputs(x: o.url("x")!, y: o.url("y")!, pairs: o.url("pairs")!,
                                          ccaComponents: settings.ccaComponents, as: Float.self)
    }
    if settings.neighbours >= inputs.x.rows || settings.neighbours >= inputs.y.rows {
        throw UsageError(message: "sue fit: --knn \(settings.neighbours) needs more rows than that in both X (\(inputs.x.rows)) and Y (\(inputs.y.rows))",
                         hint: "use a smaller --knn")
    }
    return try fitAndWriteModel(inputs, settings, context)
}

/// Fails early (before a long fit) if the output's folder does not exist.
func checkOutputFolder(_ url: URL) throws {
    var isDirectory: ObjCBool = false
    let folder = url.deletingLastPathComponent()
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw FileError(.notFound, url: url, "the output folder \(folder.path) does not exist")
    }
}
