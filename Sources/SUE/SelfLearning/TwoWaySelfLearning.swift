import Foundation
import LinearAlgebra

/// Self-learning with two ridge maps in opposite directions and a dictionary that grows by confidence: the
/// loop for two representations that are far from linearly related (a neural encoder and a bag of words, two
/// sensors), where most pseudo-pairs of an early round are wrong.
///
/// Each round:
/// 1. **Maps.** Ridge X→Y and ridge Y→X on the known pairs plus the dictionary (λ by generalised
///    cross-validation), used side by side (`TwoWayAlignment`): a cosine in the shared space is the mean of the
///    two maps' cosines.
/// 2. **Matches.** Every unpaired X row against every unpaired Y row in that space; mutual nearest neighbours
///    under CSLS (`cslsMutualNearestNeighbours`), each with its score.
/// 3. **Dictionary.** The `M` matches with the highest CSLS scores, where `M` grows geometrically from
///    `initialDictionarySize` by `growth` per round (capped by the number of matches).
///
/// It stops when the dictionary holds every mutual match and fewer than `minNewFraction` of them are new, or
/// after `maxIterations` rounds; the final maps are fitted on the known pairs and the last dictionary.
///
/// Why these three choices, where `SelfLearning` (CCA, every mutual match, cross-fitting) does not lock in: on a
/// noisy pair of representations an early round's matches are mostly wrong, and wrong pseudo-pairs cancel the
/// gain of the right ones entirely. Only the top of the list by score is precise, so the dictionary takes only
/// that and grows as the maps improve. Two regressions in opposite directions err differently (each puts the
/// other side's noise on its target), so their vote ranks the right matches higher than either alone; a
/// symmetric CCA has one view. The measurements are in docs/notebook.md.
///
/// Cost per round: two ridge fits on the dictionary (O(n·d²) cross products) and one GEMM of |unpaired X| ×
/// |unpaired Y| × 2·min(dx, dy) for the matching, or at the depth of `shortlist`'s rank where that is smaller.
public struct TwoWaySelfLearning: Aligner, Equatable {
    /// Upper bound on refinement rounds.
    public var maxIterations: Int = 18
    /// Neighbourhood size of CSLS's hubness correction.
    public var neighbours: Int = 10
    /// Dictionary size after the first round.
    public var initialDictionarySize: Int = 100
    /// Factor by which the dictionary may grow per round.
    public var growth: Double = 1.4
    /// The loop has settled when the dictionary holds every mutual match and fewer than this fraction are new.
    public var minNewFraction: Double = 0.02
    /// Cap on the unpaired rows per side that the loop matches (nil: all of them); beyond it a seeded random
    /// sample of each side takes part. The matching costs |X|·|Y| per round, and a dictionary needs thousands of
    /// right pairs, not all of them: a sample of n rows per side out of N holds about n²/N true pairs.
    public var maxMatchingRows: Int? = nil
    /// Width past which the rounds work on a side's leading principal components instead of its columns (nil:
    /// always the columns), as in `SelfLearning.maxRoundColumns`; the returned maps use every column. Each round
    /// fits ridge both ways, whose generalised cross-validation decomposes a Gram matrix of each side's width, and
    /// matches in the two sides' widths together.
    public var maxRoundColumns: Int? = 512
    /// How each round's matching narrows its search (nil: every pair scored exactly). The matching's GEMM has depth
    /// 2·min(dx, dy) and is most of a round; a rank-128 approximation picks 24 candidates per row and column, which
    /// are scored exactly. Sides of at most 64 columns are matched exactly either way. Measured against the exact
    /// matching in docs/notebook.md.
    public var shortlist: MatchingShortlist? = MatchingShortlist(rank: 128, candidates: 24)

    /// The estimator with its default settings.
    public init() {}

    /// Runs the loop; needs at least 2 known pairs and unpaired rows on both sides.
    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> TwoWaySelfLearningModel {
        try context.run(on: data) { data in try run(data, context: context) }
    }

    /// Continues `run`, a run of this loop on the same `data` and context that stopped before settling (at its
    /// `maxIterations`), up to this estimator's `maxIterations` rounds in all. The rounds depend only on the data,
    /// the settings and the dictionary of the round before, so the result is exactly that of one uninterrupted run;
    /// a settled run is returned as it is. Throws if `data`, the seed or a setting other than `maxIterations` is
    /// not what `run` was fitted with.
    public func fit(_ data: WeaklyPairedData, context: FitContext, resuming run: TwoWaySelfLearningModel)
        throws -> TwoWaySelfLearningModel {
        guard let state = run.resumable else { return run }
        return try fit(data, context: context, resuming: state) { _ in true }
    }

    /// `fit`, stopped after any round for which `continuing`, given the rounds so far, returns false (the model
    /// then holds the maps from the dictionary of that round), and continued from `state` (a run of this estimator
    /// on the same data that stopped before settling: `TwoWaySelfLearningModel.resumable`) if given. The rounds
    /// depend only on the data, the settings and the dictionary of the round before, so a run stopped and
    /// continued ends exactly where one uninterrupted run does.
    func fit(_ data: WeaklyPairedData, context: FitContext, resuming state: TwoWayLoopState? = nil,
             continuing: ([SelfLearningIteration]) -> Bool) throws -> TwoWaySelfLearningModel {
        try context.run(on: data) { data in try run(data, context: context, resuming: state, continuing: continuing) }
    }

    private func run(_ data: WeaklyPairedData, context: FitContext, resuming state: TwoWayLoopState? = nil,
                     continuing: ([SelfLearningIteration]) -> Bool = { _ in true }) throws -> TwoWaySelfLearningModel {
        guard maxIterations >= 1, neighbours >= 1, initialDictionarySize >= 1, growth >= 1, growth.isFinite,
              (0...1).contains(minNewFraction), (maxRoundColumns ?? 1) >= 1 else {
            throw AlignmentError.invalidConfiguration("two-way self-learning: maxIterations, neighbours, initialDictionarySize and maxRoundColumns must be ≥ 1, growth finite and ≥ 1, minNewFraction in [0, 1]")
        }
        if let shortlist, shortlist.rank < 1 || shortlist.candidates < 1 {
            throw AlignmentError.invalidConfiguration("two-way self-learning: the shortlist's rank (\(shortlist.rank)) and candidates (\(shortlist.candidates)) must be ≥ 1")
        }
        let full = try PreparedProblem(data)
        guard full.pairs.count >= 2 else {
            throw AlignmentError.insufficientData("two-way self-learning needs at least 2 known pairs, got \(full.pairs.count)")
        }
        // The rounds' features: each wide side's leading principal components; the final maps use `full`.
        let bases = try state.map { $0.bases } ?? RoundBases.fitted(full, columns: maxRoundColumns, seed: context.seed)
        if let bases, state == nil {
            context.report("two-way self-learning", 0, bases.summary(of: full))
        }
        let prepared = full.projected(onto: bases)
        var unpairedX = data.unpairedXRows, unpairedY = data.unpairedYRows
        if let cap = maxMatchingRows {
            guard cap >= 1 else { throw AlignmentError.invalidConfiguration("two-way self-learning: maxMatchingRows must be ≥ 1") }
            var random = SeededRandom(seed: context.seed ^ 0x2_7a7)
            if unpairedX.count > cap { unpairedX = random.permutation(unpairedX.count).prefix(cap).sorted().map { unpairedX[$0] } }
            if unpairedY.count > cap { unpairedY = random.permutation(unpairedY.count).prefix(cap).sorted().map { unpairedY[$0] } }
        }
        guard !unpairedX.isEmpty, !unpairedY.isEmpty else {
            throw AlignmentError.insufficientData("two-way self-learning needs unpaired rows on both sides (X: \(unpairedX.count), Y: \(unpairedY.count))")
        }
        let poolX = prepared.x.rows(unpairedX), poolY = prepared.y.rows(unpairedY)
        let known = prepared.pairedRows()

        func maps(_ dictionary: MutualMatches) throws -> (xy: Matrix<Float>, yx: Matrix<Float>) {
            let a = concatenatedRows(known.x, poolX.rows(dictionary.x))
            let b = concatenatedRows(known.y, poolY.rows(dictionary.y))
            return (try RidgeRegression(a: a, b: b, criterion: .generalizedCrossValidation).weights,
                    try RidgeRegression(a: b, b: a, criterion: .generalizedCrossValidation).weights)
        }

        if let state {
            guard state.pairs == full.pairs, state.unpaired.x == unpairedX, state.unpaired.y == unpairedY,
                  state.seed == context.seed else {
                throw AlignmentError.invalidConfiguration("two-way self-learning: a run can only be continued on the data and seed it started with")
            }
            var settings = self
            settings.maxIterations = state.settings.maxIterations
            guard settings == state.settings else {
                throw AlignmentError.invalidConfiguration("two-way self-learning: a run can only be continued with the settings it started with (maxIterations aside)")
            }
        }
        var dictionary = state?.dictionary ?? MutualMatches(x: [], y: [], score: [], margin: [])
        var history = state?.history ?? []
        var previous = state?.previous ?? []
        var stopReason = "reached maxIterations (\(maxIterations))", converged = false
        var resumable: TwoWayLoopState? = nil
        let workspace = CSLSWorkspace()
        for round in history.count..<max(maxIterations, history.count) {
            let (w, v) = try maps(dictionary)
            let (p, q) = Self.similarityFactors(poolX, poolY, w, v)
            let matches = try cslsMutualNearestNeighbours(p, q, k: neighbours, workspace: workspace, normalizing: false,
                                                          shortlist: shortlist)
            let size = min(matches.count, Int(min(Double(matches.count), Double(initialDictionarySize) * pow(growth, Double(round)))))
            // Highest score first; ties to the smaller X row, so the order never depends on anything but the data.
            let order = matches.score.indices.sorted { (matches.score[$0], -matches.x[$0]) > (matches.score[$1], -matches.x[$1]) }
            let chosen = Array(order.prefix(size))
            dictionary = MutualMatches(x: chosen.map { matches.x[$0] }, y: chosen.map { matches.y[$0] },
                                       score: chosen.map { matches.score[$0] }, margin: chosen.map { matches.margin[$0] })
            let keys = Set(zip(dictionary.x, dictionary.y).map { Int64($0) << 32 | Int64($1) })
            let fresh = keys.isEmpty ? 0 : Double(keys.subtracting(previous).count) / Double(keys.count)
            previous = keys
            let meanMargin = dictionary.margin.isEmpty ? 0 : dictionary.margin.reduce(0.0) { $0 + Double($1) } / Double(dictionary.count)
            history.append(SelfLearningIteration(iteration: round, matches: dictionary.count, meanScore: dictionary.meanScore,
                                                 meanMargin: meanMargin, newFraction: fresh, mutualMatches: matches.count))
            context.report("two-way self-learning", Double(round + 1) / Double(maxIterations),
                           String(format: "round %d: %d of %d mutual matches kept, mean CSLS %.4f, %.1f%% new",
                                  round, dictionary.count, matches.count, dictionary.meanScore, 100 * fresh))
            if size == matches.count && fresh < minNewFraction {
                stopReason = String(format: "the dictionary holds every mutual match and fewer than %.1f%% are new, at round %d",
                                    100 * minNewFraction, round)
                converged = true
                break
            }
            if !continuing(history) {
                stopReason = "stopped by its caller at round \(round)"
                break
            }
        }
        if !converged {
            resumable = TwoWayLoopState(settings: self, seed: context.seed, pairs: full.pairs, unpaired: (unpairedX, unpairedY), bases: bases,
                                        dictionary: dictionary, previous: previous, history: history)
        }
        var pseudo = dictionary
        pseudo.x = dictionary.x.map { unpairedX[$0] }
        pseudo.y = dictionary.y.map { unpairedY[$0] }
        let alignment = try Self.alignment(full, pseudoPairs: pseudo,
                                           report: FitReport(method: "two-way-self-learning", estimator: self, data: data, context: context))
        return TwoWaySelfLearningModel(alignment: alignment, pseudoPairs: pseudo, iterations: history,
                                       stopReason: stopReason, converged: converged, resumable: resumable)
    }

    /// Factors P, Q with `P·Qᵀ` the shared space's cosines between unit rows `x̂` and `ŷ` — the mean of
    /// cos(x̂W, ŷ) and cos(x̂, ŷV) — at the smaller of the two depths 2·dy and 2·dx (instead of dx + dy):
    ///
    ///     depth 2·dy:  P = ½·[ unit(x̂W) | x̂Vᵀ ],            Q = [ ŷ | ŷ / ‖ŷV‖ ]
    ///     depth 2·dx:  P = ½·[ x̂ / ‖x̂W‖ | x̂ ],              Q = [ ŷWᵀ | unit(ŷV) ]
    ///
    /// (x̂Vᵀ·ŷ = x̂·ŷV and x̂·ŷWᵀ = x̂W·ŷ). The matching GEMM is the loop's main cost, and the smaller depth saves up
    /// to a fifth of it when the sides' widths differ.
    public static func similarityFactors(_ x: Matrix<Float>, _ y: Matrix<Float>, _ w: Matrix<Float>, _ v: Matrix<Float>)
        -> (p: Matrix<Float>, q: Matrix<Float>) {
        let xw = Matrix.multiply(x, .none, w, .none), yv = Matrix.multiply(y, .none, v, .none)
        let half = [Float](repeating: 0.5, count: x.rows)
        if y.columns <= x.columns {
            return (joinedScaledRows(xw, scaled: inverseRowNorms(xw, factor: 0.5), Matrix.multiply(x, .none, v, .transposed), scaled: half),
                    joinedScaledRows(y, scaled: nil, y, scaled: inverseRowNorms(yv)))
        }
        return (joinedScaledRows(x, scaled: inverseRowNorms(xw, factor: 0.5), x, scaled: half),
                joinedScaledRows(Matrix.multiply(y, .none, w, .transposed), scaled: nil, yv, scaled: inverseRowNorms(yv)))
    }

    /// Per row of `m`: `factor / ‖row‖`, or 0 for a zero row (the norm summed in Double). Row blocks in parallel.
    private static func inverseRowNorms(_ m: Matrix<Float>, factor: Float = 1) -> [Float] {
        var out = [Float](repeating: 0, count: m.rows)
        let columns = m.columns
        m.elements.withUnsafeBufferPointer { e in
            out.withUnsafeMutableBufferPointer { out in
                Parallel.forEachChunk(m.rows, chunk: 512) { rows in
                    for i in rows {
                        var s = 0.0
                        for j in 0..<columns { s += Double(e[i * columns + j]) * Double(e[i * columns + j]) }
                        out[i] = s > 0 ? Float(1 / s.squareRoot()) * factor : 0
                    }
                }
            }
        }
        return out
    }

    /// Rows `[aScale_i · a_i | bScale_i · b_i]` (a nil scale leaves its rows as they are), row blocks in parallel:
    /// the factors are rebuilt every round over every unpaired row.
    private static func joinedScaledRows(_ a: Matrix<Float>, scaled aScale: [Float]?, _ b: Matrix<Float>, scaled bScale: [Float]?)
        -> Matrix<Float> {
        precondition(a.rows == b.rows, "joinedScaledRows: row counts differ")
        let (da, db) = (a.columns, b.columns), width = da + db
        var out = [Float](repeating: 0, count: a.rows * width)
        a.elements.withUnsafeBufferPointer { ea in
            b.elements.withUnsafeBufferPointer { eb in
                out.withUnsafeMutableBufferPointer { out in
                    Parallel.forEachChunk(a.rows, chunk: 512) { rows in
                        for i in rows {
                            let row = out.baseAddress! + i * width
                            if let aScale {
                                for j in 0..<da { row[j] = ea[i * da + j] * aScale[i] }
                            } else {
                                for j in 0..<da { row[j] = ea[i * da + j] }
                            }
                            if let bScale {
                                for j in 0..<db { row[da + j] = eb[i * db + j] * bScale[i] }
                            } else {
                                for j in 0..<db { row[da + j] = eb[i * db + j] }
                            }
                        }
                    }
                }
            }
        }
        return Matrix(rows: a.rows, columns: width, elements: out)
    }

    /// The two-way maps fitted on `pairs` (by default the known pairs of `prepared`) plus `pseudoPairs` (rows of
    /// its X and Y).
    static func alignment(_ prepared: PreparedProblem, pairs: [KnownPair]? = nil, pseudoPairs: MutualMatches,
                          report: FitReport) throws -> TwoWayAlignment {
        let known = pairs ?? prepared.pairs
        let a = prepared.x.rows(known.map(\.x) + pseudoPairs.x)
        let b = prepared.y.rows(known.map(\.y) + pseudoPairs.y)
        return try TwoWayAlignment(preprocessX: prepared.preprocessX, preprocessY: prepared.preprocessY,
                                   mapXY: try RidgeRegression(a: a, b: b, criterion: .generalizedCrossValidation).weights,
                                   mapYX: try RidgeRegression(a: b, b: a, criterion: .generalizedCrossValidation).weights,
                                   report: report)
    }

    /// `alignment(_:pairs:pseudoPairs:report:)` from the second moments of its rows (`moments.xx` = AᵀA,
    /// `moments.yy` = BᵀB, `moments.xy` = AᵀB over the pairs' X rows A and Y rows B), for refits on sets that share
    /// most of their rows. Equal to the rows' fit up to the order of summation where `RidgeRegression`'s fit from
    /// moments is (the caller checks).
    static func alignment(_ prepared: PreparedProblem, moments: CanonicalCorrelation.SecondMoments,
                          report: FitReport) throws -> TwoWayAlignment {
        func trace(_ m: Matrix<Double>) -> Double { (0..<m.rows).reduce(0.0) { $0 + m[$1, $1] } }
        let xy = try RidgeRegression(gram: moments.xx, cross: moments.xy, targetSquaredNorm: trace(moments.yy), rows: moments.samples)
        let yx = try RidgeRegression(gram: moments.yy, cross: moments.xy.transposed, targetSquaredNorm: trace(moments.xx),
                                     rows: moments.samples)
        return try TwoWayAlignment(preprocessX: prepared.preprocessX, preprocessY: prepared.preprocessY,
                                   mapXY: xy.weights, mapYX: yx.weights, report: report)
    }
}

/// The learned state of two-way self-learning: the final maps and how the loop got there. Stored as its
/// `alignment` (kind `two-way-linear-alignment`).
public struct TwoWaySelfLearningModel: AlignmentModel {
    /// The final maps (ridge both ways on the known pairs and the last dictionary).
    public var alignment: TwoWayAlignment
    /// The last dictionary, as rows of the training X and Y, with CSLS scores and margins.
    public var pseudoPairs: MutualMatches
    /// One record per round.
    public var iterations: [SelfLearningIteration]
    /// Why the loop stopped.
    public var stopReason: String
    /// Whether it settled before running out of rounds.
    public var converged: Bool
    /// Where the loop stood when it stopped unsettled, for continuing it; nil once it has settled.
    var resumable: TwoWayLoopState? = nil

    public var dimension: Int { alignment.dimension }
    public var inputColumns: (x: Int, y: Int) { alignment.inputColumns }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try alignment.embedX(x) }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try alignment.embedY(y) }
    public var storedForm: StoredModel { alignment.storedForm }
    public var report: FitReport { alignment.report }
    public func ownSpaceColumns(of modality: Modality) -> Range<Int>? { alignment.ownSpaceColumns(of: modality) }
}

/// Where a two-way self-learning run stopped: what the next round needs (the last dictionary and its keys, the
/// rounds so far, the round bases) and what it ran on and with, to refuse continuing it on other data or settings.
struct TwoWayLoopState {
    let settings: TwoWaySelfLearning
    let seed: UInt64
    let pairs: [KnownPair]
    let unpaired: (x: [Int], y: [Int])
    let bases: RoundBases?
    let dictionary: MutualMatches
    let previous: Set<Int64>
    let history: [SelfLearningIteration]
}

/// How far the two-way loop's mutual matches grew while its dictionary was filling: the mutual matches of the
/// first round whose dictionary holds every one of them, over those of round 0 (the maps of the known pairs
/// alone); nil if no round's dictionary held them all yet.
///
/// Why it can mark a lock-in: while the dictionary is a minority of the mutual matches, how many rows are each
/// other's nearest match depends on the maps alone. Maps fitted to a dictionary that is finding the
/// correspondence make more rows agree each round; maps fitted to self-consistent wrong matches need not. How far
/// the count grows without any correspondence depends on the data, so `Automatic` asks a run to pass a fixed bar
/// and to outgrow a run's from shuffled pairs (`Automatic.twoWayLockInGrowth`). After that round the dictionary is every mutual match and the
/// maps are fitted to all of them, so every run's count grows, failed ones too: the statistic stops there.
public func mutualMatchGrowth(_ rounds: [SelfLearningIteration]) -> Double? {
    guard let start = rounds.first?.mutualMatches, start > 0,
          let filled = rounds.first(where: { round in round.mutualMatches == round.matches }),
          let all = filled.mutualMatches else { return nil }
    return Double(all) / Double(start)
}

/// The rows of `b` after those of `a` (same number of columns).
func concatenatedRows(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Float> {
    Matrix(rows: a.rows + b.rows, columns: a.columns, elements: a.elements + b.elements)
}
