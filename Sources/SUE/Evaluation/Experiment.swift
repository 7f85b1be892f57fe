import Foundation
import LinearAlgebra

/// Per-method outcome of `runAlignmentExperiment`.
public struct AlignmentExperimentResult: Sendable {
    /// The catalogue name of the method.
    public var method: String
    /// Known pairs per split.
    public var pairs: Int
    /// Number of splits (seeds).
    public var seeds: Int
    /// Mean and standard deviation over seeds of Recall@1/5/10 (percent), both directions.
    public var recall: RecallSummary
    /// Per-seed results, in seed order.
    public var perSeed: [RetrievalScores]
    /// Mean wall-clock seconds of one fit (preprocessing included, evaluation excluded).
    public var fitSeconds: Double
    /// The method each fit reports it used, in seed order (for `auto`, its choice).
    public var choices: [String]
    /// Why each fit used its method, in seed order (for `auto`, the reasons it gives; otherwise "requested").
    public var reasons: [String]
    /// Wall-clock seconds of each fit, in seed order.
    public var perSeedSeconds: [Double]
    /// The first split's seed; split i has seed `firstSeed + i`.
    public var firstSeed: UInt64
}

/// A model fitted on one split's training part and scored on its test part.
public struct EvaluatedFit: Sendable {
    /// The fitted model.
    public var model: any AlignmentModel
    /// Recall@1/5/10 on the split's test pairs.
    public var scores: RetrievalScores
    /// Wall-clock seconds of the fit (evaluation excluded).
    public var seconds: Double
}

/// Fits `estimator` on the training part of `split` (rows of `x` and `y`, paired row by row) and measures
/// retrieval among its test pairs.
public func evaluate(_ estimator: any Aligner, on split: AlignmentSplit, x: Matrix<Float>, y: Matrix<Float>,
                     context: FitContext) throws -> EvaluatedFit {
    let start = DispatchTime.now().uptimeNanoseconds
    let model: any AlignmentModel = try estimator.fit(split.trainingData(x: x, y: y), context: context)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let test = split.testData(x: x, y: y)
    let scores = try context.run { try retrievalRecall(try model.embedX(test.x), try model.embedY(test.y)) }
    return EvaluatedFit(model: model, scores: scores, seconds: seconds)
}

/// The paper's evaluation protocol (Appendix D.7) for several methods: for each seed, `AlignmentSplit` draws
/// `test` test pairs, `pairs` known pairs and the unpaired rest (10 % dropped per modality, shuffled); each
/// method is fitted on the training part only and scored by Recall@1/5/10 (cosine, both directions) among the
/// test pairs. `x` and `y` must be fully paired row by row. Seeds are `firstSeed, firstSeed + 1, …,
/// firstSeed + seeds − 1` (each seeds both the split and the fits); all methods see the same splits. Each fit
/// works on a core of at most `coreRows` rows per side (nil: every row; see `FitContext.coreRows`). `progress`
/// receives one line per fit and the fits' own progress.
public func runAlignmentExperiment(x: Matrix<Float>, y: Matrix<Float>, pairs: Int, test: Int = 400, seeds: Int,
                                   firstSeed: UInt64 = 0, methods: [CatalogueEntry], dropFraction: Double = 0.1,
                                   threads: Int? = nil, coreRows: Int? = WeaklyPairedData.defaultCoreRows,
                                   progress: (@Sendable (String) -> Void)? = nil) throws -> [AlignmentExperimentResult] {
    guard x.rows == y.rows else {
        throw AlignmentError.shapeMismatch("experiment: X has \(x.rows) rows and Y has \(y.rows); they must be paired row by row")
    }
    guard seeds >= 1 else { throw AlignmentError.invalidConfiguration("experiment: seeds must be ≥ 1, got \(seeds)") }
    var perMethod = [[RetrievalScores]](repeating: [], count: methods.count)
    var choices = [[String]](repeating: [], count: methods.count)
    var reasons = [[String]](repeating: [], count: methods.count)
    var perSeedSeconds = [[Double]](repeating: [], count: methods.count)
    for seed in (0..<UInt64(seeds)).map({ firstSeed &+ $0 }) {
        let split = try AlignmentSplit(rows: x.rows, pairs: pairs, test: test, dropFraction: dropFraction, seed: seed)
        for (m, method) in methods.enumerated() {
            let name = method.name
            let context = FitContext(seed: seed, threads: threads, coreRows: coreRows) { event in
                progress?("  \(name) seed \(seed) \(event.stage): \(event.detail)")
            }
            let fit = try evaluate(method.estimator, on: split, x: x, y: y, context: context)
            perMethod[m].append(fit.scores)
            choices[m].append(fit.model.report.method)
            reasons[m].append(fit.model.report.reason)
            perSeedSeconds[m].append(fit.seconds)
            progress?(String(format: "%@ pairs %d seed %d: x→y R@10 %.1f, y→x R@10 %.1f, fit %.1f s",
                             name, pairs, seed, fit.scores.xToY.r10, fit.scores.yToX.r10, fit.seconds))
        }
    }
    return methods.indices.map { m in
        AlignmentExperimentResult(method: methods[m].name, pairs: pairs, seeds: seeds,
                                  recall: RecallSummary(perMethod[m]), perSeed: perMethod[m],
                                  fitSeconds: perSeedSeconds[m].reduce(0, +) / Double(seeds), choices: choices[m], reasons: reasons[m],
                                  perSeedSeconds: perSeedSeconds[m], firstSeed: firstSeed)
    }
}
