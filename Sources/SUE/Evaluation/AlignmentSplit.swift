import Foundation
import LinearAlgebra

/// The evaluation protocol of the paper (Appendix D.7) for one seed.
///
/// From `rows` fully paired rows (row i of X belongs with row i of Y): `test` rows are held out as test pairs;
/// `pairs` further rows are the known training pairs; all remaining rows become *unpaired*: from each modality
/// independently a fraction `dropFraction` of them is dropped and the rest is shuffled, so that no unpaired row
/// of X is known to correspond to any unpaired row of Y (and about 10 % of them have no partner at all).
///
/// Everything is drawn from one `SeededRandom(seed:)`, in a fixed order: a permutation of all rows (test rows
/// first, then known pairs, then the pool), then an independent permutation of the pool for X, then for Y.
public struct AlignmentSplit: Sendable, Equatable {
    /// Held-out test rows (indices into the full data): `x[t]` ↔ `y[t]`.
    public var testRows: [Int]
    /// Rows used as known training pairs.
    public var pairedRows: [Int]
    /// Unpaired rows of X (shuffled, with `dropFraction` of the pool dropped).
    public var unpairedX: [Int]
    /// Unpaired rows of Y (shuffled independently, with a different `dropFraction` of the pool dropped).
    public var unpairedY: [Int]

    /// Draws the split of `rows` fully paired rows for `seed`; throws if they cannot hold the test rows, the pairs and an unpaired pool.
    public init(rows: Int, pairs: Int, test: Int = 400, dropFraction: Double = 0.1, seed: UInt64) throws {
        guard pairs >= 0, test >= 1 else {
            throw AlignmentError.invalidConfiguration("split: need pairs ≥ 0 and test ≥ 1, got pairs \(pairs), test \(test)")
        }
        guard dropFraction >= 0, dropFraction < 1 else {
            throw AlignmentError.invalidConfiguration("split: drop fraction must be in [0, 1), got \(dropFraction)")
        }
        guard rows >= test + pairs + 1 else {
            throw AlignmentError.insufficientData("split: \(rows) rows cannot hold \(test) test rows, \(pairs) pairs and an unpaired pool")
        }
        var random = SeededRandom(seed: seed)
        let order = random.permutation(rows)
        testRows = Array(order[0..<test])
        pairedRows = Array(order[test..<(test + pairs)])
        let pool = Array(order[(test + pairs)...])
        let keep = pool.count - Int((dropFraction * Double(pool.count)).rounded())
        unpairedX = random.permutation(pool.count).prefix(keep).map { pool[$0] }
        unpairedY = random.permutation(pool.count).prefix(keep).map { pool[$0] }
    }

    /// The training data a method may see: X rows = known-pair rows then unpaired X rows, Y likewise; the known
    /// pairs are (i, i) for i < `pairedRows.count`.
    public func trainingData(x: Matrix<Float>, y: Matrix<Float>) -> WeaklyPairedData {
        let n = pairedRows.count
        return WeaklyPairedData(x: x.rows(pairedRows + unpairedX), y: y.rows(pairedRows + unpairedY),
                                pairs: (0..<n).map { KnownPair(x: $0, y: $0) })
    }

    /// The held-out test rows of X and Y (row-aligned).
    public func testData(x: Matrix<Float>, y: Matrix<Float>) -> (x: Matrix<Float>, y: Matrix<Float>) {
        (x.rows(testRows), y.rows(testRows))
    }
}

/// Mean and standard deviation (over seeds) of each recall figure.
public struct RecallSummary: Sendable, Equatable, Codable {
    /// Mean over seeds of each figure.
    public var mean: RetrievalScores
    /// Population standard deviation over seeds of each figure.
    public var standardDeviation: RetrievalScores
    /// Number of seeds summarised.
    public var count: Int

    /// Summarises per-seed results (population standard deviation; 0 for a single seed).
    public init(_ results: [RetrievalScores]) {
        count = results.count
        func stats(_ pick: (RetrievalScores) -> Double) -> (Double, Double) {
            guard !results.isEmpty else { return (0, 0) }
            let values = results.map(pick)
            let m = values.reduce(0, +) / Double(values.count)
            let v = values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
            return (m, v.squareRoot())
        }
        let fields: [(RetrievalScores) -> Double] = [
            { $0.xToY.r1 }, { $0.xToY.r5 }, { $0.xToY.r10 }, { $0.yToX.r1 }, { $0.yToX.r5 }, { $0.yToX.r10 },
        ]
        let s = fields.map(stats)
        mean = RetrievalScores(xToY: Recall(r1: s[0].0, r5: s[1].0, r10: s[2].0),
                               yToX: Recall(r1: s[3].0, r5: s[4].0, r10: s[5].0))
        standardDeviation = RetrievalScores(xToY: Recall(r1: s[0].1, r5: s[1].1, r10: s[2].1),
                                            yToX: Recall(r1: s[3].1, r5: s[4].1, r10: s[5].1))
    }
}
