import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import Spectral

// sue-bench sue-fit --x X.npy --y Y.npy [--pairs 100] [--se numeric|parametric|pca|autoencoder|none]
//                   [--network default|paper] [--epochs E] [--mmd-epochs E] [--neighbors k] [--dims k] [--components r]
//                   [--no-cca] [--no-mmd]
//                   [--seed s] [--compare-numeric] [--evaluate] [--json]
//
// One SUE fit on all rows of X and Y (row i of X pairs with row i of Y; the first --pairs rows of a seeded
// permutation are the known pairs), timed per stage. With --network paper the SpectralNet is the paper's
// 4096-4096-1024 network with batch 4096; use --epochs 1 and multiply the SE stage by 100 for the paper's schedule.
// --evaluate fits on the D.7 training part instead (400 test pairs held out) and reports Recall@1/5/10 both ways.
// --compare-numeric (parametric mode) also fits the numeric SE of X and reports the principal-angle sines between
// span{1, SpectralNet(X)} and span{1, ψ(X)}, their mean square and the Rayleigh ratio (`spectralAgreement`).
func runSUEFitBenchmark(_ args: BenchArguments) throws {
    guard let xPath = args.string("x"), let yPath = args.string("y") else {
        throw BenchError("sue-fit needs --x X.npy --y Y.npy")
    }
    let x = try NPYFile.read(URL(fileURLWithPath: xPath), as: Float.self)
    let y = try NPYFile.read(URL(fileURLWithPath: yPath), as: Float.self)
    guard x.rows == y.rows else { throw BenchError("X has \(x.rows) rows, Y has \(y.rows): they must be row-paired") }
    let seed = UInt64(args.int("seed") ?? 0)
    var rng = SeededRandom(seed: seed)
    let order = rng.permutation(x.rows)
    let pairCount = min(args.int("pairs") ?? 100, x.rows)
    let pairs = order.prefix(pairCount).map { KnownPair(x: $0, y: $0) }
    // --evaluate: the D.7 protocol instead (400 test pairs held out, 10 % of the unpaired rows dropped per side).
    let split = args.has("evaluate") ? try AlignmentSplit(rows: x.rows, pairs: pairCount, test: 400, seed: seed) : nil

    var c = SUEPipeline()
    if let se = args.string("se") {
        guard let mode = SUEPipeline.EmbeddingMode(rawValue: se) else { throw BenchError("unknown --se \(se)") }
        c.se = mode
    }
    if args.string("network") == "paper" { c.spectralNet = .paper; c.autoencoder = .paper }
    if let e = args.int("epochs") { c.spectralNet.epochs = e; c.autoencoder.epochs = e }
    if let e = args.int("mmd-epochs") { c.mmdNet.epochs = e }
    if let k = args.int("neighbors") { c.neighbors = k }
    if let d = args.int("dims") { c.seDimensions = d }
    if let r = args.int("components") { c.ccaComponents = r }
    if args.has("no-cca") { c.cca = false }
    if args.has("no-mmd") { c.mmd = false }

    let data = split?.trainingData(x: x, y: y) ?? WeaklyPairedData(x: x, y: y, pairs: pairs)
    let verbose = !args.json
    let clock = StageClock()
    let context = FitContext(seed: seed) { event in
        clock.record(event)
        if verbose && (event.fraction == 1 || event.fraction == nil) {
            FileHandle.standardError.write("  \(event.stage): \(event.detail)\n".data(using: .utf8)!)
        }
    }
    let start = DispatchTime.now().uptimeNanoseconds
    let model = try c.fit(data, context: context)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    var fields: [String: Any] = [
        "workload": "sue-fit", "rows": data.x.rows, "pairs": pairCount, "se": c.se.rawValue, "cca": c.cca, "mmd": c.mmd,
        "neighbors": c.neighbors, "dims": c.seDimensions, "components": c.ccaComponents, "seconds": (seconds * 100).rounded() / 100, "threads": Parallel.threadCount,
        "build": buildFlavour,
    ]
    if c.se == .parametric {
        fields["network"] = c.spectralNet.hidden.map(String.init).joined(separator: "-")
        fields["batch"] = c.spectralNet.batchSize
        fields["epochs_run_x"] = model.spectralNetX?.history.count ?? 0
        fields["recoveries_x"] = model.spectralNetX?.recoveries ?? 0
    }
    if args.has("compare-numeric"), let net = model.spectralNetX {
        let numeric = try NumericSpectralEmbedding(configuration: .init(
            neighbors: c.neighbors, dimensions: c.seDimensions, metric: c.metric, allowUnconverged: true)).fit(x)
        func withConstant(_ m: Matrix<Double>) -> Matrix<Double> {
            Matrix<Double>(rows: m.rows, columns: m.columns + 1) { i, j in j == 0 ? 1 : m[i, j - 1] }
        }
        let distance = try subspaceDistance(withConstant(try net.embed(x)), withConstant(numeric.embedding))
        fields["subspace_largest_sine_x"] = (distance.largestSine * 1000).rounded() / 1000
        fields["subspace_sines_x"] = distance.sines.map { String(format: "%.3f", $0) }.joined(separator: ",")
        // Better posed than the largest sine when the spectrum is flat (see `SpectralAgreement`).
        let agreement = try spectralAgreement(try net.embed(x), with: numeric)
        fields["subspace_mean_squared_sine_x"] = (agreement.subspace.meanSquaredSine * 1000).rounded() / 1000
        fields["rayleigh_ratio_x"] = (agreement.rayleighRatio * 10000).rounded() / 10000
    }
    if let split {
        let test = split.testData(x: x, y: y)
        let scores = try retrievalRecall(try model.embedX(test.x), try model.embedY(test.y))
        fields["x_to_y_r1_r5_r10"] = [scores.xToY.r1, scores.xToY.r5, scores.xToY.r10].map { String(format: "%.2f", $0) }.joined(separator: "/")
        fields["y_to_x_r1_r5_r10"] = [scores.yToX.r1, scores.yToX.r5, scores.yToX.r10].map { String(format: "%.2f", $0) }.joined(separator: "/")
    }
    for (stage, s) in clock.seconds {
        fields["stage " + stage] = (s * 100).rounded() / 100
    }
    emit(fields, json: args.json)
}

/// Seconds per fit stage, from the progress events that open (fraction 0) and close (fraction 1) each stage.
final class StageClock: @unchecked Sendable {
    private let lock = NSLock()
    private var started: [String: UInt64] = [:]
    private(set) var seconds: [(stage: String, seconds: Double)] = []

    /// Called from the fit's progress callback (possibly from several threads, hence the lock).
    func record(_ event: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        let now = DispatchTime.now().uptimeNanoseconds
        if event.fraction == 0, started[event.stage] == nil { started[event.stage] = now }
        if event.fraction == 1, let start = started.removeValue(forKey: event.stage) {
            seconds.append((event.stage, Double(now - start) * 1e-9))
        }
    }
}
