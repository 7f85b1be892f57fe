import Foundation
import LinearAlgebra

/// The start of self-learning from few pairs: two views of the data side by side, as one linear map per side.
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
/// Each block is scaled so that its mean squared row norm over the rows is 1 (so neither view drowns the other
/// in the cosine), and the blocks are concatenated: `[x·Wₓ/‖·‖ | x·Cₓ/‖·‖]`, a linear map that `sue fit` can
/// store like any other. (The components are computed without subtracting the ICA mean: the rows are already
/// centred before normalisation, and a constant offset per component would not be linear.)
///
/// Why two views: with few pairs neither is good enough alone, but their errors differ — CCA's come from too
/// few pairs for a 384-d map, the matched components' from the components that were matched wrongly — and the
/// concatenation finds more correct pseudo-pairs than either. Measured on the text pairs (11 500 unpaired rows
/// per side, numpy prototype with each block row-normalised, `Benchmarks/tools/selflearn_prototype.md`): from
/// 20 pairs, 9.5 % of the round-0 pseudo-pairs are correct against 4.6 % from CCA alone, and a split on which
/// CCA's start crept for 12 rounds without locking in locked in at round 4; from 10 pairs 1.7 % against 0.7 %
/// (not enough to lock in). As a map on its own (`components+cca`, this Swift code, 5 splits): R@10 63.4 %
/// against CCA's 53.1 % from 20 pairs and 92.2 % against 84.8 % from 50, but only level with CCA from 10
/// (29.6 % against 28.4 %; the prototype's 44.5 % on one split did not reproduce).
enum IndependentComponentStart {
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

    /// Y's unmixing with its columns reordered and signed so that column a corresponds to X's component a,
    /// matched with `pairs` (at least 2) and the unpaired X rows `poolX` (indices into `prepared.x`).
    static func matchedUnmixingY(_ prepared: PreparedProblem, pairs: [KnownPair], poolX: [Int],
                                 components: (x: IndependentComponents, y: IndependentComponents)) throws -> Matrix<Float> {
        let (pairedX, pairedY) = prepared.pairedRows(pairs)
        let (icaX, icaY) = components
        let k = icaX.components
        // Evidence 1: correlation over the known pairs (components have unit variance).
        let fromPairs = Matrix.multiply(try icaX.transform(pairedX), .transposed, try icaY.transform(pairedY),
                                        alpha: 1 / Float(pairedX.rows)).converted(to: Double.self)
        // Evidence 2: X's components against the Y components of the ridge-mapped unpaired X rows.
        let ridge = try RidgeRegression(a: pairedX, b: pairedY).weights
        let rowsX = prepared.x.rows(poolX.isEmpty ? Array(0..<prepared.x.rows) : poolX)
        let mapped = Matrix.multiply(rowsX, .none, ridge, .none)
        let fromRidge = Matrix.multiply(try icaX.transform(rowsX), .transposed, try icaY.transform(mapped),
                                        alpha: 1 / Float(rowsX.rows)).converted(to: Double.self)
        var evidence = standardised(fromPairs)
        let second = standardised(fromRidge)
        for i in evidence.elements.indices { evidence.elements[i] += second.elements[i] }
        let magnitude = Matrix<Double>(rows: k, columns: k) { i, j in abs(evidence[i, j]) }
        let match = try optimalAssignment(maximising: magnitude)
        return Matrix<Float>(rows: icaY.unmixing.rows, columns: k) { i, a in
            (evidence[a, match[a]] < 0 ? -1 : 1) * icaY.unmixing[i, match[a]]
        }
    }

    /// The start's maps: `[components | CCA]` per side, each block scaled to unit mean squared row norm on the
    /// rows of `prepared`.
    static func maps(_ prepared: PreparedProblem, pairs: [KnownPair], poolX: [Int],
                     components: (x: IndependentComponents, y: IndependentComponents),
                     cca: (x: Matrix<Float>, y: Matrix<Float>)) throws -> (x: Matrix<Float>, y: Matrix<Float>) {
        let unmixingY = try matchedUnmixingY(prepared, pairs: pairs, poolX: poolX, components: components)
        func scaled(_ rows: Matrix<Float>, _ map: Matrix<Float>) -> Matrix<Float> {
            let projected = Matrix.multiply(rows, .none, map, .none)
            let meanSquare = projected.elements.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(rows.rows, 1))
            guard meanSquare > 0 else { return map }
            let scale = Float(1 / meanSquare.squareRoot())
            var out = map
            for i in out.elements.indices { out.elements[i] *= scale }
            return out
        }
        return (concatenatedColumns(scaled(prepared.x, components.x.unmixing), scaled(prepared.x, cca.x)),
                concatenatedColumns(scaled(prepared.y, unmixingY), scaled(prepared.y, cca.y)))
    }
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

/// CCA on the known pairs side by side with each side's independent components (FastICA, fitted without
/// pairs) matched across the sides with the pairs, one linear map per side (`IndependentComponentStart`): the
/// start self-learning can use (`SelfLearning.independentComponents`), on its own. Needs at least 2 known pairs.
public struct IndependentComponentCCA: Aligner, Equatable {
    /// Independent components per side (capped by the data's dimensions).
    public var components: Int
    /// Cap on the canonical components of the CCA part (nil: all).
    public var maxSharedDimension: Int?
    /// Canonical components are scaled by ρ^`correlationPower`.
    public var correlationPower: Double

    /// The estimator with its settings.
    public init(components: Int = 64, maxSharedDimension: Int? = 128, correlationPower: Double = 0.5) {
        self.components = components; self.maxSharedDimension = maxSharedDimension; self.correlationPower = correlationPower
    }

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> LinearAlignment {
        try context.run(on: data) { data in
            guard components >= 1, (maxSharedDimension ?? 1) >= 1, correlationPower >= 0 else {
                throw AlignmentError.invalidConfiguration("components+cca: components and maxSharedDimension must be ≥ 1, correlationPower ≥ 0")
            }
            let prepared = try PreparedProblem(data)
            guard prepared.pairs.count >= 2 else {
                throw AlignmentError.insufficientData("components+cca needs at least 2 known pairs, got \(prepared.pairs.count)")
            }
            let fitted = try IndependentComponentStart.fitComponents(prepared, components: components, seed: context.seed)
            let (a, b) = prepared.pairedRows()
            var loop = SelfLearning()
            loop.maxSharedDimension = maxSharedDimension
            loop.correlationPower = correlationPower
            let maps = try IndependentComponentStart.maps(prepared, pairs: prepared.pairs, poolX: data.unpairedXRows,
                                                          components: fitted, cca: try loop.canonicalMaps(a, b))
            return try prepared.model(mapX: maps.x, mapY: maps.y,
                                  report: FitReport(method: "components+cca", estimator: self, data: data, context: context))
        }
    }
}
