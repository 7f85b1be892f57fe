import Foundation
import LinearAlgebra

/// One run of the automatic choice: the data, the fold assignment, and the candidates found so far.
struct AutomaticSelection {
    let settings: Automatic
    let data: WeaklyPairedData
    let prepared: PreparedProblem
    let context: FitContext
    let pairs: [KnownPair]
    let folds: Int
    var foldOf: [Int]
    var random: SeededRandom
    let unpairedX: [Int]
    let unpairedY: [Int]
    /// The pair-free similarity profiles of every row (fitted once; self-learning's start and `cca+profiles`).
    var profiles: FittedProfiles?
    /// Ridge's cross-validated scores, when they were computed before `run`.
    var ridge: PairRecall? = nil
    /// Rounds within which the self-learning loop must show its jump (`showsLockIn`) or be settling, or be stopped;
    /// nil: no limit.
    var jumpDeadline: Int? = nil
    /// Rounds the self-learning loop judged by its null run may use (nil: `SelfLearning.maxIterations`); a
    /// stopping rule after `maxIterations` rounds counts towards a lock-in only with a rise of the score
    /// (`Automatic.smallDataRounds`).
    var roundLimit: Int? = nil

    init(_ settings: Automatic, _ data: WeaklyPairedData, _ prepared: PreparedProblem, _ context: FitContext) {
        self.settings = settings; self.data = data; self.prepared = prepared; self.context = context
        pairs = prepared.pairs
        folds = min(5, pairs.count)
        // Fixed, seeded fold assignment.
        random = SeededRandom(seed: context.seed ^ 0x5eed_f01d)
        let order = random.permutation(pairs.count)
        foldOf = [Int](repeating: 0, count: pairs.count)
        for (position, k) in order.enumerated() { foldOf[k] = position % folds }
        unpairedX = data.unpairedXRows
        unpairedY = data.unpairedYRows
    }

    var configuration: SelfLearning { settings.selfLearning }

    mutating func run(report initialReport: FitReport) throws -> AutomaticModel {
        var report = initialReport
        var perPair = [AutomaticModel.Choice: PairRecall]()
        if pairs.count >= 3 {  // a ridge fold needs ≥ 2 training pairs
            perPair[.ridge] = try ridge ?? ridgeScores()
        }
        // Self-learning candidates, judged in one of two ways (see `Automatic`) — unless the pairs alone already
        // retrieve almost every held-out pair, when no loop could do clearly better and its cost buys nothing.
        var loops: (model: any AlignmentModel, choice: AutomaticModel.Choice)? = nil
        var lockedIn: SelfLearningModel? = nil  // a loop judged by its null run, which locked in
        var notes = [String]()
        var kernelFeatures: KernelRidge.SideFeatures? = nil  // pair-free: fitted once, for the folds and the final fit
        if let ridge = perPair[.ridge], mean(ridge.both) >= settings.sufficientRecall {
            notes.append(String(format: "ridge's cross-validated recall %.3f leaves no room for self-learning: not run", mean(ridge.both)))
        } else if pairs.count >= settings.heldOutMinimumPairs {
            let outcome = try loopsJudgedOnHeldOutPairs(report: report)
            loops = outcome.accepted
            notes.append(outcome.note)
        } else {
            roundLimit = settings.fewPairsRounds(unpairedX: unpairedX.count, unpairedY: unpairedY.count)
            let outcome = try loopJudgedByNullRun()
            notes.append(outcome.note)
            if outcome.lockedIn {
                lockedIn = outcome.run
            } else if let judged = try creepingLoopJudgedOnAFold(outcome.run) {
                notes.append(judged.note)
                if judged.kept { loops = (outcome.run.alignment, .selfLearning) }
            }
        }

        // Cross-validation of the maps fitted on pairs alone (and of a locked-in loop with few pairs). Not where a
        // loop has won on held-out pairs: it is then the choice whatever these scores are, and on large data the
        // folds of kernel ridge and CCA would add seconds to the costliest fits for a line of the report.
        let acceptedOnHeldOutPairs = loops != nil
        if acceptedOnHeldOutPairs {
            notes.append("the maps from the pairs alone not cross-validated: a loop beat ridge on pairs held out of it")
        } else if pairs.count >= 3 {  // a CCA fold needs ≥ 2 training pairs
            context.report("auto", 0.9, "cross-validating on \(pairs.count) known pairs (\(folds) folds)")
            perPair[.cca] = try perPairScores(ccaFold)
            if (configuration.profileWeight ?? 0) > 0 && pairs.count < settings.heldOutMinimumPairs {
                perPair[.ccaProfiles] = try perPairScores(profiles: try fittedProfiles(), ccaFold)
            }
            if let kernel = settings.kernelRidge, pairs.count >= settings.heldOutMinimumPairs {
                let features = try kernel.fittedFeatures(prepared, seed: context.seed)
                kernelFeatures = features
                perPair[.kernelRidge] = try perPairScores(model: { train in
                    try kernel.model(prepared, features: features, pairs: train, report: .unrecorded(method: "kernel-ridge"))
                }, foldsScored: folds)
            }
        }
        if let run = lockedIn {
            // Its dictionary with each fold's training pairs, in the form it is kept in. The dictionary's moments
            // (thousands of rows) are formed once and each fold adds its training pairs' to them, where ridge's fit
            // from moments is the fit on the rows (`RidgeRegression.init(gram:cross:targetSquaredNorm:rows:)`).
            let dictionary = prepared.pairedRows(zip(run.pseudoPairs.x, run.pseudoPairs.y).map { KnownPair(x: $0, y: $1) })
            let widest = max(prepared.x.columns, prepared.y.columns)
            let shared = dictionary.x.rows >= widest || widest < RidgeRegression.wideColumns
                ? try CanonicalCorrelation.SecondMoments(a: dictionary.x, b: dictionary.y) : nil
            perPair[.selfLearning] = try perPairScores(model: { train in
                guard let shared else {
                    return try TwoWaySelfLearning.alignment(prepared, pairs: train, pseudoPairs: run.pseudoPairs,
                                                            report: .unrecorded(method: "self-learning"))
                }
                let known = prepared.pairedRows(train)
                return try TwoWaySelfLearning.alignment(prepared, moments: shared + CanonicalCorrelation.SecondMoments(a: known.x, b: known.y),
                                                        report: .unrecorded(method: "self-learning"))
            }, foldsScored: folds)
        }
        var (choice, comparison) = Automatic.select(perPair, lockedIn: lockedIn != nil, significance: settings.significance)
        if acceptedOnHeldOutPairs, let accepted = loops { choice = accepted.choice }
        var contrastiveModel: ContrastiveModel? = nil
        if choice == .kernelRidge, let kernelScores = perPair[.kernelRidge],
           let contrastive = settings.contrastive {
            let outcome = try networksCrossValidated(contrastive, against: kernelScores)
            perPair[.contrastive] = outcome.scores
            notes.append(outcome.note)
            if let model = outcome.accepted { choice = .contrastive; contrastiveModel = model }
        }
        var scores = [String: Double]()
        for (candidate, values) in perPair { scores[candidate.rawValue] = mean(values.both) }
        let table = scores.keys.sorted().map { String(format: "%@ %.3f", $0, scores[$0]!) }.joined(separator: ", ")
        report.method = choice.rawValue
        report.reason = notes.joined(separator: "; ") + (table.isEmpty ? "" : "; cross-validated recall " + table) + comparison
        report.selectionScores = scores
        let model: any AlignmentModel
        switch choice {
        case .selfLearning, .twoWaySelfLearning:
            if var run = lockedIn {
                run.alignment.report = report
                model = run.alignment
            } else {
                model = loops!.model
            }
        case .ccaProfiles:
            model = try ProfiledAlignment(linear: try CCA().fit(data, context: context), profiles: try fittedProfiles().alignment,
                                          weight: Float(configuration.profileWeight!), report: report)
        case .cca: model = try CCA().fit(data, context: context)
        case .kernelRidge:
            let kernel = settings.kernelRidge!
            model = try kernel.model(prepared, features: kernelFeatures!, pairs: pairs,
                                     report: FitReport(method: "kernel-ridge", estimator: kernel, data: data, context: context))
        case .contrastive: model = contrastiveModel!
        case .ridge, .similarityProfiles: model = try Ridge().fit(data, context: context)
        }
        let typedScores = Dictionary(uniqueKeysWithValues: scores.compactMap { name, score in
            AutomaticModel.Choice(rawValue: name).map { ($0, score) } })
        return AutomaticModel(choice: choice, scores: typedScores, reason: report.reason, model: model, report: report)
    }

    /// The similarity profiles of every row of the data, fitted on first use.
    mutating func fittedProfiles() throws -> FittedProfiles {
        if let profiles { return profiles }
        let fitted = try SimilarityProfileAlignment.fittedWithProfiles(
            data, report: FitReport(method: "similarity-profiles", estimator: SimilarityProfiles(), data: data, context: context),
            seed: context.seed)
        profiles = fitted
        return fitted
    }

    func ccaFold(_ train: [KnownPair]) throws -> LinearAlignment {
        let (a, b) = prepared.pairedRows(train)
        let maps = try CanonicalCorrelation(a: a, b: b).weightedMaps()
        return try prepared.model(mapX: maps.x, mapY: maps.y, report: FitReport.unrecorded(method: "cca"))
    }

    /// Where kernel ridge won the cross-validation: the contrastive networks are scored by the same folds, each
    /// fold's networks fitted without that fold's pairs and rows, and compared with kernel ridge's scores on the
    /// same pairs by the paired test of `select`, with kernel ridge as the baseline. If the networks win, they
    /// are fitted again on every pair.
    ///
    /// The networks' gain over kernel ridge is a few points of recall, which one fold of 20 pairs cannot show, so
    /// folds are scored until `networkValidationPairs` pairs have been (every fold with fewer pairs than that).
    /// Beyond it more folds would add fits of the costliest candidate and little certainty.
    mutating func networksCrossValidated(_ contrastive: Contrastive, against kernelScores: PairRecall)
        throws -> (accepted: ContrastiveModel?, scores: PairRecall, note: String) {
        var foldsScored = 0
        while foldsScored < folds && pairsIn(folds: foldsScored).count < Automatic.networkValidationPairs { foldsScored += 1 }
        let scored = pairsIn(folds: foldsScored)
        context.report("auto", 0.95, "contrastive networks, cross-validated on \(scored.count) known pairs (\(foldsScored) of \(folds) folds)")
        let networkScores = try perPairScores(model: { train in
            let trained = Set(train)
            let held = pairs.filter { !trained.contains($0) }
            let (foldData, _, _) = data.removingRows(x: Set(held.map(\.x)), y: Set(held.map(\.y)), keepingPairs: train)
            return try contrastive.fit(foldData, context: context)
        }, foldsScored: foldsScored)
        let kernelOnScored = PairRecall(xToY: scored.map { kernelScores.xToY[$0] }, yToX: scored.map { kernelScores.yToX[$0] })
        let (verdict, note) = Automatic.select([.kernelRidge: kernelOnScored, .contrastive: networkScores], lockedIn: false,
                                               significance: settings.significance, baseline: .kernelRidge)
        let summary = String(format: "contrastive networks cross-validated on %d pairs: recall %.3f vs kernel ridge %.3f",
                             scored.count, mean(networkScores.both), mean(kernelOnScored.both)) + note
        guard verdict == .contrastive else { return (nil, networkScores, summary) }
        return (try contrastive.fit(data, context: context), networkScores, summary)
    }

    /// Per held-out pair: recall of its partner under `model`, in both directions (its Y row by its X row among the
    /// held-out and unpaired Y rows, and the reverse), at `depths` among 400 candidates scaled to the pool's size,
    /// averaged. By default R@1, R@2, …, R@20, a finer grid than the cross-validation's R@1, R@5, R@10: one fold is
    /// all the evidence there is, and a score that sees more of each rank separates a real gain from noise with
    /// fewer pairs.
    func heldOutScores(_ model: any AlignmentModel, _ held: [KnownPair],
                       depths: [Double] = [1, 2, 3, 5, 7, 10, 15, 20]) throws -> PairRecall {
        let queriesX = try model.embedX(data.x.rows(held.map(\.x))).normalizedRows()
        let queriesY = try model.embedY(data.y.rows(held.map(\.y))).normalizedRows()
        let poolY = try model.embedY(data.y.rows(held.map(\.y) + unpairedY)).normalizedRows()
        let poolX = try model.embedX(data.x.rows(held.map(\.x) + unpairedX)).normalizedRows()
        return bothWays(queriesX: queriesX, poolY: poolY, queriesY: queriesY, poolX: poolX,
                        depths: depths)
    }
    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// Per query pair i (row i of `queriesX` with row i of `queriesY`, whose partners are row i of the other side's
    /// pool), in each direction: the mean over `depths` of [partner's rank < depth·pool/400]. Rows unit.
    func bothWays(queriesX: Matrix<Float>, poolY: Matrix<Float>, queriesY: Matrix<Float>, poolX: Matrix<Float>,
                  depths: [Double]) -> PairRecall {
        func recall(_ ranks: [Int], poolSize: Int) -> [Double] {
            let scaled = depths.map { max(1, ($0 * Double(poolSize) / 400).rounded()) }
            return ranks.map { rank in scaled.reduce(0.0) { $0 + (Double(rank) < $1 ? 1 : 0) } / Double(depths.count) }
        }
        let forward = partnerRanks(queries: queriesX, pool: poolY, partners: Array(0..<queriesX.rows))
        let backward = partnerRanks(queries: queriesY, pool: poolX, partners: Array(0..<queriesY.rows))
        return PairRecall(xToY: recall(forward, poolSize: poolY.rows), yToX: recall(backward, poolSize: poolX.rows))
    }

    // MARK: Cross-validation

    /// Per known pair (in pair order): recall of its Y row by its X row at the depths of R@1, R@5 and R@10 among
    /// 400 candidates, scaled to the pool's size, averaged, with the map refitted without the pair's fold. The pool
    /// a held-out X row searches is what a test query faces: the fold's held-out Y rows and the unpaired Y rows,
    /// never the Y rows the fold's map was fitted to. `profiles`: the fold's map is used side by side with these
    /// (pair-free, so fitted once for all folds).
    func perPairScores(profiles: FittedProfiles? = nil, _ fitFold: ([KnownPair]) throws -> LinearAlignment) throws -> PairRecall {
        var out = PairRecall(symmetric: [Double](repeating: 0, count: pairs.count))
        for f in 0..<folds {
            let train = pairs.indices.filter { foldOf[$0] != f }.map { pairs[$0] }
            let heldIndices = pairs.indices.filter { foldOf[$0] == f }
            let held = heldIndices.map { pairs[$0] }
            let model = try fitFold(train)
            let poolRows = held.map(\.y) + unpairedY
            var queries = mapped(prepared.x.rows(held.map(\.x)), by: model.mapX)
            var pool = mapped(prepared.y.rows(poolRows), by: model.mapY)
            if let profiles, let weight = configuration.profileWeight {
                queries = sideBySide(queries, profiles.x.rows(held.map(\.x)), weight: Float(weight))
                pool = sideBySide(pool, profiles.y.rows(poolRows), weight: Float(weight))
            }
            let poolRowsX = held.map(\.x) + unpairedX
            var reverseQueries = mapped(prepared.y.rows(held.map(\.y)), by: model.mapY)
            var reversePool = mapped(prepared.x.rows(poolRowsX), by: model.mapX)
            if let profiles, let weight = configuration.profileWeight {
                reverseQueries = sideBySide(reverseQueries, profiles.y.rows(held.map(\.y)), weight: Float(weight))
                reversePool = sideBySide(reversePool, profiles.x.rows(poolRowsX), weight: Float(weight))
            }
            let scores = bothWays(queriesX: queries.normalizedRows(), poolY: pool.normalizedRows(),
                                  queriesY: reverseQueries.normalizedRows(), poolX: reversePool.normalizedRows(),
                                  depths: [1, 5, 10])
            for (h, k) in heldIndices.enumerated() { out.xToY[k] = scores.xToY[h]; out.yToX[k] = scores.yToX[h] }
        }
        return out
    }
}

extension AutomaticSelection {
    /// `perPairScores` for a model of any kind, which embeds the rows of the data as given (the fold's model
    /// brings its own preprocessing): each fold is scored as `heldOutScores` scores a held-out fold. Only the
    /// first `foldsScored` folds are fitted and scored, and the result holds their pairs alone, in pair order
    /// (`pairsIn(folds:)`).
    func perPairScores(model fitFold: ([KnownPair]) throws -> any AlignmentModel, foldsScored scoredFolds: Int) throws -> PairRecall {
        let scored = pairsIn(folds: scoredFolds)
        var position = [Int](repeating: -1, count: pairs.count)
        for (p, k) in scored.enumerated() { position[k] = p }
        var out = PairRecall(symmetric: [Double](repeating: 0, count: scored.count))
        for f in 0..<scoredFolds {
            let heldIndices = pairs.indices.filter { foldOf[$0] == f }
            let model = try fitFold(pairs.indices.filter { foldOf[$0] != f }.map { pairs[$0] })
            let scores = try heldOutScores(model, heldIndices.map { pairs[$0] }, depths: [1, 5, 10])
            for (h, k) in heldIndices.enumerated() { out.xToY[position[k]] = scores.xToY[h]; out.yToX[position[k]] = scores.yToX[h] }
        }
        return out
    }

    /// Ridge X→Y refitted per fold (needs ≥ 3 pairs).
    func ridgeScores() throws -> PairRecall {
        try perPairScores { train in
            let (a, b) = prepared.pairedRows(train)
            return try prepared.model(mapX: try RidgeRegression(a: a, b: b).weights, mapY: .identity(b.columns),
                                      report: .unrecorded(method: "ridge"))
        }
    }

    /// Indices of the known pairs in folds `0..<count`, in pair order.
    func pairsIn(folds count: Int) -> [Int] { pairs.indices.filter { foldOf[$0] < count } }
}

/// Recall of each known pair's partner, in each direction (the scores `Automatic.select` compares): per pair, the
/// mean over retrieval depths of whether the partner was found within the depth.
public struct PairRecall: Sendable, Equatable {
    /// Per pair: its Y row retrieved by its X row.
    public var xToY: [Double]
    /// Per pair: its X row retrieved by its Y row.
    public var yToX: [Double]

    /// Scores per pair in each direction (the two arrays in the same pair order and of the same length).
    public init(xToY: [Double], yToX: [Double]) {
        precondition(xToY.count == yToX.count, "PairRecall: \(xToY.count) scores from X to Y but \(yToX.count) from Y to X")
        self.xToY = xToY; self.yToX = yToX
    }

    /// The same scores in both directions.
    public init(symmetric scores: [Double]) { self.init(xToY: scores, yToX: scores) }

    /// Number of pairs scored.
    public var count: Int { xToY.count }

    /// Per pair: the mean of its two directions.
    public var both: [Double] { zip(xToY, yToX).map { ($0 + $1) / 2 } }
}

/// The mean of paired differences and its standard error (sample variance, n − 1 in the denominator; 0 for a
/// single difference): the paired test of `Automatic.select` and of `UnpairedAuxiliaryTraining`.
func meanAndStandardError(_ differences: [Double]) -> (mean: Double, standardError: Double) {
    let n = Double(differences.count)
    let mean = differences.reduce(0, +) / n
    let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)
    return (mean, (variance / n).squareRoot())
}

/// For each query row i, the number of pool rows more similar (inner product) to it than its partner
/// `pool[partners[i]]`: the 0-based rank of the partner. Rows are expected normalised for cosine ranks.
func partnerRanks(queries: Matrix<Float>, pool: Matrix<Float>, partners: [Int]) -> [Int] {
    precondition(queries.rows == partners.count && queries.columns == pool.columns)
    let s = Matrix.multiply(queries, .none, pool, .transposed)
    return (0..<queries.rows).map { i in
        let truth = s[i, partners[i]]
        var above = 0
        for j in 0..<pool.rows where s[i, j] > truth { above += 1 }
        return above
    }
}
