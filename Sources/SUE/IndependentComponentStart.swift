import Foundation
import LinearAlgebra

/// The start of self-learning from few pairs: two views of the data, each normalised, side by side.
///
/// 1. **The direct view:** CCA on the known pairs (what self-learning starts from otherwise).
/// 2. **The pair-free view:** each side's independent components (`IndependentComponents`, fitted on all its
///    rows with no pairs), with Y's components permuted and signed to match X's. The components of the two
///    encoders estimate the same directions up to order and sign; finding that order is the hard part, and two
///    noisy estimates of "X component a corresponds to Y component b" are combined, each standardised over the
///    m × m table: the correlation of the components over the known pairs, and the correlation of X's
///    components with the Y components of the ridge-mapped unpaired X rows (the ridge map smooths what few
///    pairs say over all rows). The matching maximising Σ |score| is found exactly (`optimalAssignment`); the
///    sign of each matched score gives the sign.
///
/// Why two views: with few pairs neither is good enough alone, but their errors differ — CCA's come from too
/// few pairs for a 384-d map, the matched components' from the components that were matched wrongly — and the
/// concatenation finds more correct pseudo-pairs than either. Measured on the text pairs (11 500 unpaired rows
/// per side, numpy prototype, `Benchmarks/tools/selflearn_prototype.md`): from 20 pairs, 9.5 % of the round-0
/// pseudo-pairs are correct against 4.6 % from CCA alone, and a split on which CCA's start crept for 12 rounds
/// without locking in locked in at round 4; from 10 pairs 1.7 % against 0.7 % (not enough to lock in).
struct IndependentComponentStart: SharedEmbedding {
    var preprocessX: RowPreprocessing
    var preprocessY: RowPreprocessing
    var componentsX: IndependentComponents
    /// Y's components, reordered and signed so that column a corresponds to X's component a.
    var componentsY: IndependentComponents
    var ccaX: Matrix<Float>
    var ccaY: Matrix<Float>

    var dimension: Int { componentsX.components + ccaX.columns }

    /// Each side's independent components, fitted on all its rows (no pairs involved; the same for any pairs).
    static func fitComponents(_ prepared: PreparedProblem, components: Int,
                              seed: UInt64) throws -> (x: IndependentComponents, y: IndependentComponents) {
        let m = min(components, prepared.x.columns, prepared.y.columns)
        var icaX = try IndependentComponents(fitting: prepared.x, components: m, seed: seed)
        var icaY = try IndependentComponents(fitting: prepared.y, components: m, seed: seed &+ 1)
        let k = min(icaX.components, icaY.components)
        icaX.unmixing = icaX.unmixing.columns(0..<k)
        icaY.unmixing = icaY.unmixing.columns(0..<k)
        return (icaX, icaY)
    }

    init(_ prepared: PreparedProblem, unpairedX: [Int], components: (x: IndependentComponents, y: IndependentComponents),
         cca: (x: Matrix<Float>, y: Matrix<Float>)) throws {
        let (pairedX, pairedY) = prepared.pairedRows()
        let (icaX, icaY) = components
        let k = icaX.components

        // Evidence 1: correlation over the known pairs (components have unit variance).
        let fromPairs = Matrix.multiply(try icaX.transform(pairedX), .transposed, try icaY.transform(pairedY),
                                        alpha: 1 / Float(pairedX.rows)).converted(to: Double.self)
        // Evidence 2: X's components against the Y components of the ridge-mapped unpaired X rows.
        let ridge = try RidgeRegression(a: pairedX, b: pairedY).weights
        let poolX = prepared.x.rows(unpairedX.isEmpty ? Array(0..<prepared.x.rows) : unpairedX)
        let mapped = Matrix.multiply(poolX, .none, ridge, .none)
        let fromRidge = Matrix.multiply(try icaX.transform(poolX), .transposed, try icaY.transform(mapped),
                                        alpha: 1 / Float(poolX.rows)).converted(to: Double.self)
        var evidence = standardised(fromPairs)
        let second = standardised(fromRidge)
        for i in evidence.elements.indices { evidence.elements[i] += second.elements[i] }
        let magnitude = Matrix<Double>(rows: k, columns: k) { i, j in abs(evidence[i, j]) }
        let match = try optimalAssignment(maximising: magnitude)
        var matchedY = icaY
        matchedY.unmixing = Matrix<Float>(rows: icaY.unmixing.rows, columns: k) { i, a in
            (evidence[a, match[a]] < 0 ? -1 : 1) * icaY.unmixing[i, match[a]]
        }

        preprocessX = prepared.preprocessX
        preprocessY = prepared.preprocessY
        componentsX = icaX
        componentsY = matchedY
        ccaX = cca.x
        ccaY = cca.y
    }

    /// Both views of already preprocessed X rows, each row-normalised, concatenated.
    func embedPreparedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        concatenatedColumns(normalisedRows(try componentsX.transform(x)), normalisedRows(Matrix.multiply(x, .none, ccaX, .none)))
    }

    func embedPreparedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        concatenatedColumns(normalisedRows(try componentsY.transform(y)), normalisedRows(Matrix.multiply(y, .none, ccaY, .none)))
    }

    func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try embedPreparedX(try preprocessX.apply(x)) }
    func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try embedPreparedY(try preprocessY.apply(y)) }
}

/// Entries shifted and scaled to mean 0 and standard deviation 1 over the whole matrix (unchanged if constant).
func standardised(_ a: Matrix<Double>) -> Matrix<Double> {
    let count = Double(max(a.elements.count, 1))
    let mean = a.elements.reduce(0, +) / count
    let variance = a.elements.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
    let scale = variance > 0 ? 1 / variance.squareRoot() : 1
    var out = a
    for i in out.elements.indices { out.elements[i] = (a.elements[i] - mean) * scale }
    return out
}

/// [a | b]: the columns of `b` after those of `a` (same number of rows).
func concatenatedColumns(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Float> {
    precondition(a.rows == b.rows, "concatenatedColumns: row counts differ")
    return Matrix<Float>(rows: a.rows, columns: a.columns + b.columns) { i, j in
        j < a.columns ? a[i, j] : b[i, j - a.columns]
    }
}
