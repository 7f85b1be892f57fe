import Foundation
import LinearAlgebra

/// The outcome of the automatic choice: the chosen method's embedding plus what was compared.
public struct AutomaticAlignment: SharedEmbedding {
    /// Name of the chosen method.
    public var choice: String
    /// Cross-validated mean reciprocal rank of each candidate (higher is better); empty with fewer than 2 pairs.
    public var scores: [String: Double]
    /// Why this method was chosen, in one line.
    public var reason: String
    public var model: SharedEmbedding

    public var dimension: Int { model.dimension }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try model.embedX(x) }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try model.embedY(y) }
}

/// Chooses between ridge and self-learning from the known pairs alone, so the default never needs the user to
/// know the literature, and is never much worse than the ridge baseline.
///
/// Score: K-fold cross-validation on the known pairs (K = min(5, pairs)). For each fold the candidate's map
/// is refitted without the fold's pairs, each held-out X row is embedded, and the rank of its true partner
/// among *all* training Y rows is recorded; the score is the mean reciprocal rank. For self-learning the
/// refit reuses the pseudo-pairs found with all known pairs (re-running the whole loop per fold would
/// multiply the cost by K); the held-out pairs influenced those pseudo-pairs only through a dictionary of
/// thousands, so the estimate is nearly, not strictly, held out. Ridge is refitted exactly per fold.
///
/// With fewer than 2 known pairs nothing can be validated: the zero-pair initialisation followed by
/// self-learning is used.
public func automaticAlignment(_ data: WeaklyPairedData, context: FitContext = FitContext(seed: 0)) throws -> AutomaticAlignment {
    try data.validate()
    if data.pairs.count < 2 {
        let start = try zeroPairInitialisation(data, context: context)
        let result = try selfLearningAlignment(data, initial: start, context: context)
        return AutomaticAlignment(choice: "self-learning", scores: [:],
                                  reason: "fewer than 2 known pairs: zero-pair initialisation + self-learning",
                                  model: result.alignment)
    }
    let prepared = try PreparedProblem(data)
    let pairs = prepared.pairs
    let folds = min(5, pairs.count)
    // Fixed, seeded fold assignment.
    var random = SeededRandom(seed: context.seed ^ 0x5eed_f01d)
    let order = random.permutation(pairs.count)
    let foldOf = { (k: Int) -> Int in order.firstIndex(of: k)! % folds }

    context.report("auto", 0, "fitting self-learning")
    let learned = try selfLearningAlignment(data, context: context)
    let pseudoX = learned.pseudoPairs.x, pseudoY = learned.pseudoPairs.y

    func score(_ fitFold: ([KnownPair]) throws -> LinearAlignment) throws -> Double {
        var reciprocal = 0.0
        for f in 0..<folds {
            let train = pairs.indices.filter { foldOf($0) != f }.map { pairs[$0] }
            let held = pairs.indices.filter { foldOf($0) == f }.map { pairs[$0] }
            let model = try fitFold(train)
            let queries = normalisedRows(Matrix.multiply(prepared.x.rows(held.map(\.x)), .none, model.mapX, .none))
            let pool = normalisedRows(Matrix.multiply(prepared.y, .none, model.mapY, .none))
            let ranks = partnerRanks(queries: queries, pool: pool, partners: held.map(\.y))
            reciprocal += ranks.reduce(0.0) { $0 + 1 / Double($1 + 1) }
        }
        return reciprocal / Double(pairs.count)
    }
    context.report("auto", 0.8, "cross-validating on \(pairs.count) known pairs (\(folds) folds)")
    let ridgeScore: Double
    if pairs.count >= 3 {
        ridgeScore = try score { train in
            let (a, b) = prepared.pairedRows(train)
            return prepared.model(mapX: try RidgeRegression(a: a, b: b).weights, mapY: .identity(b.columns))
        }
    } else {
        ridgeScore = -1  // a ridge fold needs ≥ 2 training pairs
    }
    let selfScore = try score { train in
        let rowsX = train.map(\.x) + pseudoX, rowsY = train.map(\.y) + pseudoY
        let maps = try CanonicalCorrelation(a: prepared.x.rows(rowsX), b: prepared.y.rows(rowsY)).weightedMaps()
        return prepared.model(mapX: maps.x, mapY: maps.y)
    }
    let scores = ["ridge": ridgeScore, "self-learning": selfScore]
    if selfScore >= ridgeScore {
        return AutomaticAlignment(choice: "self-learning", scores: scores,
                                  reason: String(format: "cross-validated MRR %.3f (self-learning) ≥ %.3f (ridge)", selfScore, ridgeScore),
                                  model: learned.alignment)
    }
    return AutomaticAlignment(choice: "ridge", scores: scores,
                              reason: String(format: "cross-validated MRR %.3f (ridge) > %.3f (self-learning)", ridgeScore, selfScore),
                              model: try AlignmentMethods.fitRidge(data))
}

/// For each query row i, the number of pool rows more similar (inner product) to it than its partner
/// `pool[partners[i]]`: the 0-based rank of the partner. Rows are expected normalised for cosine ranks.
public func partnerRanks(queries: Matrix<Float>, pool: Matrix<Float>, partners: [Int]) -> [Int] {
    precondition(queries.rows == partners.count && queries.columns == pool.columns)
    let s = Matrix.multiply(queries, .none, pool, .transposed)
    return (0..<queries.rows).map { i in
        let truth = s[i, partners[i]]
        var above = 0
        for j in 0..<pool.rows where s[i, j] > truth { above += 1 }
        return above
    }
}

extension AlignmentMethods {
    /// What `sue fit` does by default: self-learning or ridge, chosen by cross-validation on the known pairs.
    public static let auto = AlignmentMethod(
        name: "auto",
        summary: "default: self-learning vs ridge chosen by K-fold CV on the known pairs (zero-pair start with no pairs)"
    ) { data, context in try automaticAlignment(data, context: context) }
}
