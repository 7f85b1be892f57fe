import Foundation
import LinearAlgebra

/// Per-method outcome of `runAlignmentExperiment`.
public struct AlignmentExperimentResult: Sendable {
    public var method: String
    public var pairs: Int
    public var seeds: Int
    /// Mean and standard deviation over seeds of Recall@1/5/10 (percent), both directions.
    public var recall: RecallSummary
    /// Per-seed results, in seed order.
    public var perSeed: [RetrievalScores]
    /// Mean wall-clock seconds of one fit (preprocessing included, evaluation excluded).
    public var fitSeconds: Double
    /// For `auto`: the method chosen in each seed (empty otherwise).
    public var choices: [String]
}

/// The paper's evaluation protocol (Appendix D.7) for several methods: for each seed, `AlignmentSplit` draws
/// `test` test pairs, `pairs` known pairs and the unpaired rest (10 % dropped per modality, shuffled); each
/// method is fitted on the training part only and scored by Recall@1/5/10 (cosine, both directions) among the
/// test pairs. `x` and `y` must be fully paired row by row. Seeds are `firstSeed, firstSeed + 1, …,
/// firstSeed + seeds − 1` (each seeds both the split and the fits); all methods see the same splits. `progress`
/// receives one line per fit.
public func runAlignmentExperiment(x: Matrix<Float>, y: Matrix<Float>, pairs: Int, test: Int = 400, seeds: Int,
                                   firstSeed: UInt64 = 0, methods: [String], dropFraction: Double = 0.1,
                                   progress: ((String) -> Void)? = nil) throws -> [AlignmentExperimentResult] {
    guard x.rows == y.rows else {
        throw AlignmentError.shapeMismatch("experiment: X has \(x.rows) rows and Y has \(y.rows); they must be paired row by row")
    }
    guard seeds >= 1 else { throw AlignmentError.invalidConfiguration("experiment: seeds must be ≥ 1, got \(seeds)") }
    let resolved = try methods.map { try AlignmentMethods.named($0) }
    var perMethod = [[RetrievalScores]](repeating: [], count: resolved.count)
    var seconds = [Double](repeating: 0, count: resolved.count)
    var choices = [[String]](repeating: [], count: resolved.count)
    for seed in (0..<UInt64(seeds)).map({ firstSeed &+ $0 }) {
        let split = try AlignmentSplit(rows: x.rows, pairs: pairs, test: test, dropFraction: dropFraction, seed: seed)
        let training = split.trainingData(x: x, y: y)
        let testData = split.testData(x: x, y: y)
        for (m, method) in resolved.enumerated() {
            let context = FitContext(seed: seed) { stage, _, detail in progress?("  \(method.name) seed \(seed) \(stage): \(detail)") }
            let start = DispatchTime.now().uptimeNanoseconds
            let model = try method.fit(training, context)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let scores = try retrievalRecall(try model.embedX(testData.x), try model.embedY(testData.y))
            perMethod[m].append(scores)
            seconds[m] += elapsed
            if let auto = model as? AutomaticAlignment { choices[m].append(auto.choice) }
            progress?(String(format: "%@ pairs %d seed %d: x→y R@10 %.1f, y→x R@10 %.1f, fit %.1f s",
                             method.name, pairs, seed, scores.xToY.r10, scores.yToX.r10, elapsed))
        }
    }
    return resolved.indices.map { m in
        AlignmentExperimentResult(method: resolved[m].name, pairs: pairs, seeds: seeds,
                                  recall: RecallSummary(perMethod[m]), perSeed: perMethod[m],
                                  fitSeconds: seconds[m] / Double(seeds), choices: choices[m])
    }
}
