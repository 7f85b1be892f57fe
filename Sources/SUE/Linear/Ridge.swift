import Foundation
import LinearAlgebra

/// Ridge regression from X to Y on the known pairs, with the penalty chosen by exact leave-one-out.
///
/// This is the honest baseline: the first thing a practitioner tries, with the care a reviewer would demand.
/// Inputs are centred with all training rows and scaled to unit length (`RowPreprocessing`); the map
/// `W = argmin ‖A·W − B‖² + λ‖W‖²` (A, B the paired rows) sends X into Y's own space, and retrieval compares
/// `x·W` with `y` by cosine.
///
/// Choosing λ: with the thin decomposition `A = U·diag(s)·Vᵀ` the fitted values are `H·B` with the hat matrix
/// `H = U·diag(s²/(s²+λ))·Uᵀ`, and the leave-one-out residual of pair i is exactly `(B_i − (H·B)_i)/(1 − H_ii)`
/// (Allen 1974; Hastie, Tibshirani & Friedman, *Elements of Statistical Learning*, §7.10). So every λ on the
/// grid is scored by its exact LOO squared error for the cost of one decomposition. The grid is scale-free:
/// 25 values `mean(s²)·10^t`, t from −4 to 2.
///
/// The decomposition comes from the eigen-decomposition of the smaller Gram matrix (`A·Aᵀ` when there are
/// fewer pairs than features, `AᵀA` otherwise), in Double; directions with `s² ≤ 1e-12·max s²` are dropped.
///
/// Exact leave-one-out costs one n × r × dy product per λ. From `generalizedCrossValidationRows` pairs on
/// (self-learning's dictionaries of thousands of pseudo-pairs) λ is chosen by generalised cross-validation instead,
/// `GCV(λ) = n·RSS(λ)/(n − tr H)²` (Golub, Heath & Wahba 1979), its rotation-invariant approximation, which
/// needs only the d × d and d × dy cross products: `RSS(λ) = ‖B‖² − Σₖ (2fₖ − fₖ²)·‖gₖ‖²` with
/// `fₖ = sₖ²/(sₖ²+λ)` and `gₖ` the k-th row of `UᵀB`, and `tr H = Σₖ fₖ`. With many rows per feature the two
/// criteria pick the same λ to within the grid's spacing.
public struct RidgeRegression: Sendable {
    /// The penalty chosen by leave-one-out (in units of the preprocessed rows).
    public var lambda: Double
    /// Leave-one-out mean squared error (per pair, summed over Y's columns) at the chosen λ.
    public var leaveOneOutError: Double
    /// dx × dy map.
    public var weights: Matrix<Float>

    /// Rows from which λ is chosen by generalised cross-validation instead of exact leave-one-out.
    public static let generalizedCrossValidationRows = 2048

    /// How λ is chosen.
    public enum Criterion: String, Sendable, Codable {
        /// Exact leave-one-out below `generalizedCrossValidationRows` rows, generalised cross-validation above.
        case automatic
        /// Generalised cross-validation at any size (cheap: O(d²·(d + dy)) after the cross products).
        case generalizedCrossValidation
    }

    /// Fits by generalised cross-validation from the rows' sufficient statistics alone: `gram` = AᵀA (dx × dx),
    /// `cross` = AᵀB (dx × dy), `targetSquaredNorm` = ‖B‖²_F and the number of rows. The same fit as
    /// `init(a:b:criterion: .generalizedCrossValidation)` on those rows, up to the order of summation, when the
    /// rows outnumber the columns or there are fewer than `wideColumns` of them (otherwise that fit works from
    /// the rows' own Gram matrix). Moments of disjoint row sets add up, so refits on sets that share most of their
    /// rows, or on rows streamed in blocks, need each block's products once (`CanonicalCorrelation.SecondMoments`
    /// holds them for a pair of sides).
    public init(gram: Matrix<Double>, cross: Matrix<Double>, targetSquaredNorm: Double, rows: Int,
                lambdaGrid: [Double]? = nil) throws {
        guard gram.rows == gram.columns, cross.rows == gram.rows else {
            throw AlignmentError.shapeMismatch("ridge from moments: AᵀA is \(gram.rows)×\(gram.columns) and AᵀB \(cross.rows)×\(cross.columns); expected d×d and d×dy")
        }
        guard rows >= 2 else { throw AlignmentError.insufficientData("ridge needs at least 2 rows, got \(rows)") }
        guard targetSquaredNorm.isFinite, targetSquaredNorm >= 0, gram.elements.allSatisfy(\.isFinite), cross.elements.allSatisfy(\.isFinite) else {
            throw AlignmentError.invalidInput("ridge from moments: the moments must be finite and ‖B‖² ≥ 0")
        }
        (lambda, leaveOneOutError, weights) = try RidgeRegression.byGeneralizedCrossValidation(
            gram: gram, cross: cross, bNorm: targetSquaredNorm, rows: rows, lambdaGrid)
    }

    /// Fits on row-aligned `a` (n × dx) and `b` (n × dy); needs n ≥ 2 for leave-one-out.
    public init(a: Matrix<Float>, b: Matrix<Float>, lambdaGrid: [Double]? = nil, criterion: Criterion = .automatic) throws {
        guard a.rows == b.rows else {
            throw AlignmentError.shapeMismatch("ridge: \(a.rows) X rows but \(b.rows) Y rows")
        }
        guard a.rows >= 2 else {
            throw AlignmentError.insufficientData("ridge needs at least 2 known pairs (leave-one-out), got \(a.rows)")
        }
        if criterion == .generalizedCrossValidation
            || (a.rows >= RidgeRegression.generalizedCrossValidationRows && a.rows > a.columns) {
            (lambda, leaveOneOutError, weights) = try RidgeRegression.byGeneralizedCrossValidation(a, b, lambdaGrid)
            return
        }
        let ad = a.converted(to: Double.self), bd = b.converted(to: Double.self)
        let (u, s2) = try leftSingularBasis(ad)
        let n = a.rows, dy = b.columns, r = s2.count
        let utb = Matrix.multiply(u, .transposed, bd, .none)             // r × dy
        let meanS2 = s2.isEmpty ? 1 : s2.reduce(0, +) / Double(r)
        let grid = lambdaGrid ?? (0..<25).map { meanS2 * pow(10, -4 + 6 * Double($0) / 24) }
        var best = (error: Double.infinity, lambda: grid.first ?? 1)
        for lambda in grid {
            // Fitted values H·B = (U·diag(f))·(UᵀB) with fₖ = sₖ²/(sₖ²+λ): one product per λ.
            let f = s2.map { $0 / ($0 + lambda) }
            var uf = u
            for i in 0..<n { for k in 0..<r { uf[i, k] *= f[k] } }
            let fitted = Matrix.multiply(uf, .none, utb, .none)        // n × dy
            var error = 0.0
            for i in 0..<n {
                var h = 0.0
                for k in 0..<r { h += uf[i, k] * u[i, k] }
                let denominator = max(1 - h, 1e-12)
                var rowError = 0.0
                for j in 0..<dy {
                    let e = bd[i, j] - fitted[i, j]
                    rowError += e * e
                }
                error += rowError / (denominator * denominator)
            }
            if error < best.error { best = (error, lambda) }
        }
        lambda = best.lambda
        leaveOneOutError = best.error / Double(n)
        // W = Aᵀ·U·diag(1/(s²+λ))·Uᵀ·B
        var scaled = utb
        for k in 0..<r { for j in 0..<dy { scaled[k, j] /= (s2[k] + best.lambda) } }
        let w = Matrix.multiply(ad, .transposed, Matrix.multiply(u, .none, scaled, .none), .none)
        weights = w.converted(to: Float.self)
    }
}

extension RidgeRegression {
    /// λ by generalised cross-validation and the map, from AᵀA and AᵀB alone (see the type's discussion).
    ///
    /// With fewer rows than columns and at least `wideColumns` columns, the same quantities come from the n × n
    /// Gram matrix A·Aᵀ instead (`leftSingularBasis`): its eigen-decomposition costs n³ instead of d³, which decides
    /// the cost of a self-learning round on wide inputs (docs/notebook.md). Below
    /// `wideColumns` the d × d path is kept even then, so that fits on narrower data keep their rounding.
    static func byGeneralizedCrossValidation(_ a: Matrix<Float>, _ b: Matrix<Float>, _ lambdaGrid: [Double]?) throws
        -> (lambda: Double, score: Double, weights: Matrix<Float>) {
        if a.rows < a.columns && a.columns >= wideColumns { return try byGeneralizedCrossValidationOfRows(a, b, lambdaGrid) }
        var bNorm = 0.0
        for value in b.elements { bNorm += Double(value) * Double(value) }
        return try byGeneralizedCrossValidation(gram: Matrix.crossProductInDouble(a, a), cross: Matrix.crossProductInDouble(a, b),
                                                bNorm: bNorm, rows: a.rows, lambdaGrid)
    }

    /// `byGeneralizedCrossValidation` from the rows' moments alone: AᵀA (`gram`), AᵀB (`cross`), ‖B‖²_F and the
    /// number of rows. Moments of disjoint sets of rows add up, so a caller that refits on many sets sharing most
    /// of their rows forms the shared part once (the d × d path; the caller keeps to it).
    static func byGeneralizedCrossValidation(gram: Matrix<Double>, cross: Matrix<Double>, bNorm: Double, rows: Int,
                                             _ lambdaGrid: [Double]?) throws -> (lambda: Double, score: Double, weights: Matrix<Float>) {
        let n = Double(rows), d = gram.rows, dy = cross.columns
        let eig = try symmetricEigen(gram)
        let top = eig.values.max() ?? 0
        let keep = (0..<d).reversed().filter { eig.values[$0] > 1e-12 * top && top > 0 }
        let s2 = keep.map { eig.values[$0] }
        let v = Matrix<Double>(rows: d, columns: keep.count) { i, k in eig.vectors[i, keep[k]] }
        let projected = Matrix.multiply(v, .transposed, cross, .none)      // r × dy: Vᵀ·Aᵀ·B = diag(s)·Uᵀ·B
        let gNorms = (0..<keep.count).map { k -> Double in
            var t = 0.0
            for j in 0..<dy { t += projected[k, j] * projected[k, j] }
            return t / s2[k]
        }
        let best = generalizedCrossValidationChoice(s2: s2, gNorms: gNorms, bNorm: bNorm, rows: n, lambdaGrid)
        // W = V·diag(1/(s²+λ))·Vᵀ·Aᵀ·B
        var scaled = projected
        for k in s2.indices { for j in 0..<dy { scaled[k, j] /= (s2[k] + best.lambda) } }
        let w = Matrix.multiply(v, .none, scaled, .none)
        return (best.lambda, best.score / n, w.converted(to: Float.self))
    }

    /// The λ of least `GCV(λ) = n·RSS(λ)/(n − tr H)²` on the grid (default: 25 values `mean(s²)·10^t`, t from −4
    /// to 2), with `RSS(λ) = ‖B‖² − Σₖ (2fₖ − fₖ²)·‖gₖ‖²`, `fₖ = sₖ²/(sₖ²+λ)`, `tr H = Σₖ fₖ`.
    static func generalizedCrossValidationChoice(s2: [Double], gNorms: [Double], bNorm: Double, rows n: Double,
                                                 _ lambdaGrid: [Double]?) -> (score: Double, lambda: Double) {
        let meanS2 = s2.isEmpty ? 1 : s2.reduce(0, +) / Double(s2.count)
        let grid = lambdaGrid ?? (0..<25).map { meanS2 * pow(10, -4 + 6 * Double($0) / 24) }
        var best = (score: Double.infinity, lambda: grid.first ?? 1)
        for lambda in grid {
            var rss = bNorm, trace = 0.0
            for k in s2.indices {
                let f = s2[k] / (s2[k] + lambda)
                rss -= (2 * f - f * f) * gNorms[k]
                trace += f
            }
            let score = n * max(rss, 0) / max((n - trace) * (n - trace), 1e-300)
            if score < best.score { best = (score, lambda) }
        }
        return best
    }

    /// Columns from which generalised cross-validation with fewer rows than columns works on the rows' Gram matrix.
    public static let wideColumns = 1024

    /// `byGeneralizedCrossValidation` from the thin SVD A = U·diag(s)·Vᵀ: s² are the eigenvalues of K = A·Aᵀ and
    /// ‖gₖ‖² = ‖(UᵀB)ₖ‖², which `symmetricEigenvalues(_:projecting:)` gives without forming U (the eigenvectors'
    /// n³ work would be most of the fit at n in the thousands: ridge from a wide side on a self-learning
    /// dictionary). Then W = Aᵀ·(K + λI)⁻¹·B by Cholesky, the same map as Aᵀ·U·diag(1/(s²+λ))·Uᵀ·B.
    static func byGeneralizedCrossValidationOfRows(_ a: Matrix<Float>, _ b: Matrix<Float>, _ lambdaGrid: [Double]?) throws
        -> (lambda: Double, score: Double, weights: Matrix<Float>) {
        let n = Double(a.rows), dy = b.columns
        let ad = a.converted(to: Double.self), bd = b.converted(to: Double.self)
        let gram = Matrix.multiply(ad, .none, ad, .transposed)
        let (values, utb) = try symmetricEigenvalues(gram, projecting: bd)   // ascending
        // Directions with s² ≤ 10⁻¹²·max s² carry no signal (as in `leftSingularBasis`).
        let top = values.max() ?? 0
        let kept = values.indices.reversed().filter { values[$0] > 1e-12 * top && top > 0 }
        var bNorm = 0.0
        for value in bd.elements { bNorm += value * value }
        let gNorms = kept.map { k -> Double in
            var t = 0.0
            for j in 0..<dy { t += utb[k, j] * utb[k, j] }
            return t
        }
        let best = generalizedCrossValidationChoice(s2: kept.map { values[$0] }, gNorms: gNorms, bNorm: bNorm, rows: n, lambdaGrid)
        var shifted = gram
        for i in 0..<a.rows { shifted[i, i] += best.lambda }
        let w = Matrix.multiply(ad, .transposed, try choleskySolve(shifted, bd), .none)
        return (best.lambda, best.score / n, w.converted(to: Float.self))
    }
}

/// `U` (n × r, orthonormal columns) and `s²` of the thin SVD `A = U·diag(s)·Vᵀ`, dropping directions with
/// `s² ≤ 1e-12·max s²`. From the eigen-decomposition of `A·Aᵀ` (n ≤ d) or of `AᵀA` (then `U = A·V/s`).
func leftSingularBasis(_ a: Matrix<Double>) throws -> (u: Matrix<Double>, s2: [Double]) {
    let n = a.rows, d = a.columns
    if n <= d {
        let gram = Matrix.multiply(a, .none, a, .transposed)
        let eig = try symmetricEigen(gram)
        let top = eig.values.max() ?? 0
        let keep = (0..<n).reversed().filter { eig.values[$0] > 1e-12 * top && top > 0 }
        let u = Matrix<Double>(rows: n, columns: keep.count) { i, k in eig.vectors[i, keep[k]] }
        return (u, keep.map { eig.values[$0] })
    }
    let gram = Matrix.multiply(a, .transposed, a, .none)
    let eig = try symmetricEigen(gram)
    let top = eig.values.max() ?? 0
    let keep = (0..<d).reversed().filter { eig.values[$0] > 1e-12 * top && top > 0 }
    var v = Matrix<Double>(rows: d, columns: keep.count) { i, k in eig.vectors[i, keep[k]] }
    for k in 0..<keep.count {
        let inv = 1 / eig.values[keep[k]].squareRoot()
        for i in 0..<d { v[i, k] *= inv }
    }
    return (Matrix.multiply(a, .none, v, .none), keep.map { eig.values[$0] })
}

/// The ridge baseline as an estimator: ridge regression X→Y on the known pairs, λ by exact leave-one-out
/// (`RidgeRegression`); the shared space is Y's preprocessed space. Needs at least 2 known pairs.
public struct Ridge: Aligner, Equatable {
    /// Penalties to choose from by leave-one-out (nil: 25 values `mean(s²)·10^t`, t from −4 to 2).
    public var lambdas: [Double]?

    /// The estimator with a penalty grid (nil: the scale-free default).
    public init(lambdas: [Double]? = nil) { self.lambdas = lambdas }

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> LinearAlignment {
        try context.run(on: data) { data in
            if let lambdas, lambdas.isEmpty || lambdas.contains(where: { !($0 > 0) || !$0.isFinite }) {
                throw AlignmentError.invalidConfiguration("ridge: every penalty must be finite and > 0, got \(lambdas)")
            }
            let prepared = try PreparedProblem(data)
            let (a, b) = prepared.pairedRows()
            let ridge = try RidgeRegression(a: a, b: b, lambdaGrid: lambdas)
            return try prepared.model(mapX: ridge.weights, mapY: .identity(b.columns),
                                  report: FitReport(method: "ridge", estimator: self, data: data, context: context))
        }
    }
}
