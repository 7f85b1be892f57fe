import Foundation
import LinearAlgebra
import SUE
import Autodiff
import SUEFiles
import Spectral

// sue-bench spectralnet --x X.npy [--rows n] [--network default|paper|W-W-...] [--affinity global|batch]
//                       [--epochs E] [--batch m] [--lr r] [--neighbors k] [--dims d] [--eigenvalues e]
//                       [--validation fraction] [--patience epochs] [--plateau epochs]
//                       [--seed s] [--references] [--no-net] [--verbose] [--json]
//
// The parametric SE of one modality against the numeric SE of the same rows (the first --rows rows of X, all by
// default): the numeric SE's leading --eigenvalues random-walk eigenvalues (default dims + 5, to see the gap after
// the dims-th), then one SpectralNet fit, timed (seconds per epoch = median time between epoch ends), and its
// agreement with the numeric SE (`spectralAgreement`): all principal-angle sines, their mean square, the Rayleigh
// ratio and each eigenvector's sine. --network paper is Appendix D.8 (4096-4096-1024, batch 4096, Adam 1e-4,
// 100 epochs, the per-batch affinity unless --affinity global); use --epochs to shorten it and extrapolate.
func runSpectralNetBenchmark(_ args: BenchArguments) throws {
    guard let xPath = args.string("x") else { throw BenchError("spectralnet needs --x X.npy") }
    var x = try NPYFile.read(URL(fileURLWithPath: xPath), as: Float.self)
    if let rows = args.int("rows"), rows < x.rows { x = x.rows(Array(0..<rows)) }
    let seed = UInt64(args.int("seed") ?? 0)
    var c = SpectralNet.Configuration.default
    switch args.string("network") ?? "default" {
    case "default": break
    case "paper": c = .paper
    case let widths:
        let hidden = widths.split(separator: "-").compactMap { Int($0) }
        guard !hidden.isEmpty else { throw BenchError("--network is default, paper or widths like 512-512") }
        c.hidden = hidden
    }
    if let a = args.string("affinity") {
        guard let affinity = SpectralNet.Affinity(rawValue: a) else { throw BenchError("unknown --affinity \(a)") }
        c.affinity = affinity
    }
    if let e = args.int("epochs") { c.epochs = e }
    if let m = args.int("batch") { c.batchSize = m }
    if let r = args.double("lr") { c.learningRate = r }
    if let k = args.int("neighbors") { c.neighbors = k }
    if let d = args.int("dims") { c.dimensions = d }
    if let f = args.double("validation") { c.validationFraction = f }
    if let p = args.int("patience") { c.earlyStoppingPatience = p }
    if let p = args.int("plateau") { c.plateauPatience = p }
    let eigenvalueCount = args.int("eigenvalues") ?? c.dimensions + 5

    var fields: [String: Any] = ["workload": "spectralnet", "rows": x.rows, "neighbors": c.neighbors,
                                 "dims": c.dimensions, "threads": Parallel.threadCount, "build": buildFlavour]
    @Sendable func clock() -> Double { monotonicSeconds() }
    func rounded(_ v: Double, _ digits: Double = 1000) -> Double { (v * digits).rounded() / digits }
    func list(_ v: [Double], _ format: String = "%.3f") -> String { v.map { String(format: format, $0) }.joined(separator: ",") }

    var start = clock()
    var solver = EigensolverConfiguration(tolerance: 1e-7)
    solver.seed = seed
    let numeric = try NumericSpectralEmbedding(configuration: .init(
        neighbors: c.neighbors, dimensions: max(c.dimensions, eigenvalueCount), metric: c.metric,
        eigensolver: solver, allowUnconverged: true)).fit(x)
    fields["numeric_seconds"] = rounded(clock() - start, 100)
    fields["eigenvalues"] = list(numeric.eigenvalues, "%.4f")
    let gap = numeric.eigenvalues[c.dimensions - 1] - numeric.eigenvalues[c.dimensions]
    fields["gap_after_dims"] = rounded(gap, 1e5)
    fields["relative_gap"] = rounded(gap / max(1e-300, 1 - numeric.eigenvalues[c.dimensions - 1]), 1e4)
    if args.has("references") {
        // Two non-parametric references for the agreement scale: the numeric SE of a graph with twice the
        // neighbours, and the numeric SE of a random 90 % of the rows with the other 10 % embedded by Nyström
        // (what a map fitted without those rows can do at best, in the numeric mode).
        let doubled = try NumericSpectralEmbedding(configuration: .init(
            neighbors: min(2 * c.neighbors, x.rows - 1), dimensions: c.dimensions, metric: c.metric,
            eigensolver: solver, allowUnconverged: true)).fit(x)
        var rng = SeededRandom(seed: seed &+ 1)
        let order = rng.permutation(x.rows)
        let held = Array(order.prefix(x.rows / 10)), kept = Array(order.dropFirst(x.rows / 10))
        let partial = try NumericSpectralEmbedding(configuration: .init(
            neighbors: c.neighbors, dimensions: c.dimensions, metric: c.metric, eigensolver: solver,
            allowUnconverged: true)).fit(x.rows(kept))
        let extended = try partial.transform(x.rows(held))
        var combined = Matrix<Double>(rows: x.rows, columns: c.dimensions)
        for (r, i) in kept.enumerated() { for j in 0..<c.dimensions { combined[i, j] = partial.embedding[r, j] } }
        for (r, i) in held.enumerated() { for j in 0..<c.dimensions { combined[i, j] = extended[r, j] } }
        for (name, y) in [("doubled_k", doubled.embedding), ("nystrom_10pct", combined)] {
            let a = try spectralAgreement(y, with: numeric)
            fields["reference_\(name)_ratio"] = rounded(a.rayleighRatio, 1e4)
            fields["reference_\(name)_largest_sine"] = rounded(a.subspace.largestSine)
            fields["reference_\(name)_mean_squared_sine"] = rounded(a.subspace.meanSquaredSine)
        }
    }
    if let epochs = args.int("supervised-ceiling") {
        let a = try supervisedCeiling(x, numeric, hidden: c.hidden, dims: c.dimensions, epochs: epochs, seed: seed)
        fields["ceiling_ratio"] = rounded(a.rayleighRatio, 1e4)
        fields["ceiling_largest_sine"] = rounded(a.subspace.largestSine)
        fields["ceiling_mean_squared_sine"] = rounded(a.subspace.meanSquaredSine)
    }
    if args.has("no-net") { emit(fields, json: args.json); return }

    fields["network"] = c.hidden.map(String.init).joined(separator: "-")
    fields["affinity"] = c.affinity.rawValue
    fields["batch"] = c.batchSize
    fields["learning_rate"] = c.learningRate
    let log = EventLog()
    let verbose = args.has("verbose")
    start = clock()
    let fitStart = start
    let net = try SpectralNet(configuration: c).fit(x, context: FitContext(seed: seed) { event in
        log.record(event)
        if verbose {
            FileHandle.standardError.write(String(format: "  %@  %.1f s\n", event.detail, clock() - fitStart).data(using: .utf8)!)
        }
    })
    let fitSeconds = clock() - start
    let epochEnds = log.times
    let perEpoch = epochEnds.count > 1 ? median(zip(epochEnds.dropFirst(), epochEnds).map { $0 - $1 })
                                       : (epochEnds.first.map { $0 - start } ?? 0)
    fields["fit_seconds"] = rounded(fitSeconds, 100)
    fields["seconds_per_epoch"] = rounded(perEpoch, 100)
    fields["setup_seconds"] = rounded(fitSeconds - perEpoch * Double(epochEnds.count), 100)
    fields["epochs_run"] = net.history.count
    fields["best_epoch"] = net.bestEpoch
    fields["recoveries"] = net.recoveries
    fields["final_validation_loss"] = rounded(net.history.last?.validationLoss ?? .nan, 1e5)

    let learned = try net.embed(x)
    // Against the first `dims` numeric eigenvectors (the extra ones were only there for the eigenvalues).
    let agreement = try spectralAgreement(learned, with: numeric)
    fields["largest_sine"] = rounded(agreement.subspace.largestSine)
    fields["mean_squared_sine"] = rounded(agreement.subspace.meanSquaredSine)
    fields["sines"] = list(agreement.subspace.sines)
    fields["rayleigh_ratio"] = rounded(agreement.rayleighRatio, 1e4)
    fields["ritz_values"] = list(agreement.ritzValues, "%.4f")
    fields["optimal_values"] = list(agreement.optimalValues, "%.4f")
    fields["eigenvector_sines"] = list(agreement.eigenvectorSines)
    emit(fields, json: args.json)
}

/// Diagnostic (--supervised-ceiling): the same MLP trained by regression on the numeric ψ itself (MSE, Adam,
/// full-batch steps): how close to ψ this architecture gets when told the answer, in the same measures.
func supervisedCeiling(_ x: Matrix<Float>, _ numeric: FittedNumericSpectralEmbedding, hidden: [Int], dims: Int,
                       epochs: Int, seed: UInt64) throws -> SpectralAgreement {
    var rng = SeededRandom(seed: seed)
    let input = try ColumnStandardizer(fitting: x).embed(x)
    // Targets: ψ scaled to unit variance per column.
    var target = Matrix<Float>(rows: x.rows, columns: dims)
    for j in 0..<dims {
        var s = 0.0
        for i in 0..<x.rows { s += numeric.embedding[i, j] * numeric.embedding[i, j] }
        let scale = (Double(x.rows) / s).squareRoot()
        for i in 0..<x.rows { target[i, j] = Float(numeric.embedding[i, j] * scale) }
    }
    let model = MLP<Float>(sizes: [x.columns] + hidden + [dims], hidden: .leakyReLU, output: .identity, rng: &rng)
    let adam = Adam(parameters: model.parameters, learningRate: 1e-3)
    let tape = Tape<Float>()
    let data = Tensor(constant: input), y = Tensor(constant: target)
    for _ in 0..<epochs {
        var order = rng.permutation(x.rows)
        while !order.isEmpty {
            let rows = Array(order.prefix(256)); order.removeFirst(rows.count)
            tape.reset(); adam.zeroGradients()
            let d = model(tape.gatherRows(data, rows)) - tape.gatherRows(y, rows)
            try tape.backward(tape.mean(d * d))
            adam.step()
        }
    }
    tape.reset()
    let out = model(tape.gatherRows(data, Array(0..<x.rows))).value.converted(to: Double.self)
    return try spectralAgreement(out, with: numeric)
}
