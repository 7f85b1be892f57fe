import Foundation
import LinearAlgebra

/// Regularised canonical correlation analysis on row-aligned samples.
///
/// Canonical directions `w_x`, `w_y` maximise `corr(X·w_x, Y·w_y)` subject to unit variance, in decreasing
/// order of that correlation, each uncorrelated with the previous ones (Hotelling 1936). The exact solution:
///
/// 1. covariances `C_xx = AᵀA/n + ε_x·I`, `C_yy = BᵀB/n + ε_y·I`, `C_xy = AᵀB/n` (A, B centred);
/// 2. whitening by Cholesky factors `C_xx = L_x·L_xᵀ`, `C_yy = L_y·L_yᵀ`;
/// 3. `M = L_x⁻¹·C_xy·L_y⁻ᵀ = U·diag(ρ)·Vᵀ` (SVD): ρ are the canonical correlations;
/// 4. directions `W_x = L_x⁻ᵀ·U`, `W_y = L_y⁻ᵀ·V`.
///
/// Regularisation rule: `ε = γ·tr(C)/d` with `γ = d/(n + d)` on each side (d that side's dimension, n the
/// number of samples, or the total weight when samples are weighted). This is shrinkage of the covariance
/// towards a multiple of the identity whose strength falls like 1/n once n ≫ d — the regime where the
/// sample covariance is reliable — and approaches the identity itself when n ≪ d, where an unregularised
/// C_xx would be singular (Ledoit & Wolf 2004 give the motivation; γ = d/(n+d) is the simple scale-free
/// choice that needs no tuning and no pairs held out). It also keeps every correlation below 1, so CCA on
/// fewer pairs than dimensions returns finite, meaningful directions rather than NaN or a perfect spurious fit.
///
/// Components: at most `rank = min(n, dx, dy)` (directions beyond the rank of C_xy have ρ = 0 and carry no
/// signal), fewer if `maxComponents` says so.
public struct CanonicalCorrelation: Sendable {
    /// dx × r canonical directions for X (columns), in decreasing order of correlation.
    public var directionsX: Matrix<Double>
    /// dy × r canonical directions for Y.
    public var directionsY: Matrix<Double>
    /// The r canonical correlations (of the regularised problem), descending, in [0, 1).
    public var correlations: [Double]
    /// The shrinkage strength γ used for X.
    public var shrinkageX: Double
    /// The shrinkage strength γ used for Y.
    public var shrinkageY: Double

    /// Fits CCA on row-aligned `a` (n × dx) and `b` (n × dy). The rows are centred here with the
    /// (weighted) mean of the samples, unless `centred` is false: then the second moments are taken about the
    /// origin, for rows already centred with a better estimate of the mean than these samples give (e.g. all
    /// the rows of a data set, when the samples are a selected subset of it). `weights` (one per row, ≥ 0)
    /// default to 1.
    public init(a: Matrix<Float>, b: Matrix<Float>, weights: [Double]? = nil, maxComponents: Int? = nil,
                shrinkage: Double? = nil, centred: Bool = true) throws {
        guard a.rows == b.rows else { throw AlignmentError.shapeMismatch("CCA: \(a.rows) X rows but \(b.rows) Y rows") }
        guard a.rows >= 1 else { throw AlignmentError.insufficientData("CCA needs at least one pair") }
        if let w = weights, w.count != a.rows || w.contains(where: { !($0 >= 0) }) {
            throw AlignmentError.invalidConfiguration("CCA: need \(a.rows) non-negative weights, got \(w.count)")
        }
        let n = a.rows
        let w = weights ?? [Double](repeating: 1, count: n)
        let total = w.reduce(0, +)
        guard total > 0 else { throw AlignmentError.insufficientData("CCA: all sample weights are zero") }
        // Centred, √w-scaled copies so that AᵀA = Σ w_i a_i a_iᵀ. The mean is taken and subtracted in Double and
        // the result rounded once to Float (the inputs' own precision); the products are summed in Double over
        // row blocks (`crossProductInDouble`: relative error ≈ 10⁻⁶, three times the speed of a Double GEMM).
        func centredCopy(_ m: Matrix<Float>) -> Matrix<Float> {
            var mean = [Double](repeating: 0, count: m.columns)
            for i in 0..<n { for j in 0..<m.columns { mean[j] += w[i] * Double(m[i, j]) } }
            for j in 0..<m.columns { mean[j] = centred ? mean[j] / total : 0 }
            return Matrix<Float>(rows: n, columns: m.columns) { i, j in Float((Double(m[i, j]) - mean[j]) * w[i].squareRoot()) }
        }
        let ac = centredCopy(a), bc = centredCopy(b)
        let wideX = Self.isWide(ac), wideY = Self.isWide(bc)
        guard wideX || wideY else {
            var moments = try SecondMoments(a: ac, b: bc)
            moments.weight = total  // the rows carry √w, so the sums are already weighted
            try self.init(moments: moments, maxComponents: maxComponents, shrinkage: shrinkage)
            return
        }
        // A wide side with fewer samples than columns: solved in the coordinates of its rows' span (see `wideColumns`).
        let (ca, qa) = wideX ? Self.rowSpaceCoordinates(ac) : (ac.converted(to: Double.self), nil)
        let (cb, qb) = wideY ? Self.rowSpaceCoordinates(bc) : (bc.converted(to: Double.self), nil)
        let moments = SecondMoments(xx: Matrix.multiply(ca, .transposed, ca), yy: Matrix.multiply(cb, .transposed, cb),
                                    xy: Matrix.multiply(ca, .transposed, cb), weight: total, samples: n)
        try self.init(moments: moments, maxComponents: maxComponents, shrinkage: shrinkage,
                      shrinkageColumns: (a.columns, b.columns))
        if let qa { directionsX = Matrix.multiply(qa, .none, directionsX) }
        if let qb { directionsY = Matrix.multiply(qb, .none, directionsY) }
    }

    /// Columns from which a side with fewer samples than columns is solved in its rows' span (below it the
    /// d × d path is kept, so that fits on narrower data keep their rounding; ridge draws the same line).
    ///
    /// Why the span is enough: with A = R̃·Qᵀ (Q: d × n orthonormal columns spanning A's rows), C_xx = Q·(R̃ᵀR̃/n)·Qᵀ
    /// + ε·I and C_xy = Q·R̃ᵀB/n. A direction's part outside span(Q) adds to its variance and nothing to its
    /// covariance with Y, so every canonical direction with ρ > 0 lies in span(Q), and there the problem is the
    /// n-column one with C′_xx = R̃ᵀR̃/n + ε·I — the same ε, taken from the full width. The canonical correlations
    /// are the same and the directions are Q times the small problem's (up to sign), for n³ + d·n² work instead
    /// of d³: the cross-validation of CCA on a few pairs of a side of thousands of columns solves one per fold.
    public static let wideColumns = RidgeRegression.wideColumns

    static func isWide(_ m: Matrix<Float>) -> Bool { m.rows < m.columns && m.columns >= wideColumns }

    /// `m` (n × d, n < d) as n × n coordinates `m·Q` in an orthonormal basis Q (d × n) of its rows' span, with Q.
    static func rowSpaceCoordinates(_ m: Matrix<Float>) -> (coordinates: Matrix<Double>, basis: Matrix<Double>) {
        let md = m.converted(to: Double.self)
        let q = qrDecomposition(md.transposed).q
        return (Matrix.multiply(md, .none, q), q)
    }

    /// Sums over samples of x·xᵀ, y·yᵀ and x·yᵀ (about whatever centre the rows were given), with the total
    /// weight and the number of samples behind them. Moments of disjoint sample sets add and subtract, which is
    /// what lets cross-fitting fit one CCA per fold from one pass over the data (`SelfLearning.swift`).
    public struct SecondMoments: Sendable {
        /// Σ x·xᵀ (dx × dx).
        public var xx: Matrix<Double>
        /// Σ y·yᵀ (dy × dy).
        public var yy: Matrix<Double>
        /// Σ x·yᵀ (dx × dy).
        public var xy: Matrix<Double>
        /// Total weight of the samples (their number, with unit weights).
        public var weight: Double
        /// Number of samples.
        public var samples: Int

        /// Moments with every field given.
        public init(xx: Matrix<Double>, yy: Matrix<Double>, xy: Matrix<Double>, weight: Double, samples: Int) {
            (self.xx, self.yy, self.xy, self.weight, self.samples) = (xx, yy, xy, weight, samples)
        }

        /// The moments of the rows of `a` and `b` (row-aligned, unit weights) about the origin.
        public init(a: Matrix<Float>, b: Matrix<Float>) throws {
            guard a.rows == b.rows else { throw AlignmentError.shapeMismatch("second moments: \(a.rows) X rows but \(b.rows) Y rows") }
            self.init(xx: Matrix.crossProductInDouble(a, a), yy: Matrix.crossProductInDouble(b, b),
                      xy: Matrix.crossProductInDouble(a, b), weight: Double(a.rows), samples: a.rows)
        }

        /// The moments of the union of two disjoint sample sets.
        public static func + (l: SecondMoments, r: SecondMoments) -> SecondMoments { l.combined(with: r, sign: 1) }
        /// The moments of `l`'s samples without `r`'s (which must be among them).
        public static func - (l: SecondMoments, r: SecondMoments) -> SecondMoments { l.combined(with: r, sign: -1) }

        private func combined(with other: SecondMoments, sign: Double) -> SecondMoments {
            func add(_ p: Matrix<Double>, _ q: Matrix<Double>) -> Matrix<Double> {
                precondition(p.rows == q.rows && p.columns == q.columns, "SecondMoments: shapes differ")
                var out = p
                for k in out.elements.indices { out.elements[k] += sign * q.elements[k] }
                return out
            }
            return SecondMoments(xx: add(xx, other.xx), yy: add(yy, other.yy), xy: add(xy, other.xy),
                                 weight: weight + sign * other.weight, samples: samples + Int(sign) * other.samples)
        }
    }

    /// Fits CCA from second moments (covariances = moments / weight; no centring here).
    public init(moments: SecondMoments, maxComponents: Int? = nil, shrinkage: Double? = nil) throws {
        try self.init(moments: moments, maxComponents: maxComponents, shrinkage: shrinkage, shrinkageColumns: nil)
    }

    /// `shrinkageColumns`: the widths d that set ε = γ·tr(C)/d and γ = d/(n + d) on each side, when the moments
    /// are in coordinates of fewer columns than the data had (nil: the moments' own widths).
    init(moments: SecondMoments, maxComponents: Int?, shrinkage: Double?, shrinkageColumns: (x: Int, y: Int)?) throws {
        let total = moments.weight, n = moments.samples
        let dx = moments.xx.rows, dy = moments.yy.rows
        guard n >= 1, total > 0 else { throw AlignmentError.insufficientData("CCA needs at least one pair with positive weight") }
        guard moments.xx.columns == dx, moments.yy.columns == dy, moments.xy.rows == dx, moments.xy.columns == dy else {
            throw AlignmentError.shapeMismatch("CCA: moments \(dx)×\(moments.xx.columns), \(dy)×\(moments.yy.columns), \(moments.xy.rows)×\(moments.xy.columns) do not fit together")
        }
        func covariance(_ c: Matrix<Double>) -> Matrix<Double> {
            var c = c
            for k in c.elements.indices { c.elements[k] /= total }
            return c
        }
        let (widthX, widthY) = shrinkageColumns ?? (dx, dy)
        func shrunk(_ c: Matrix<Double>, _ gamma: Double, width: Int) -> Matrix<Double> {
            var s = c
            let d = c.rows
            var trace = 0.0
            for i in 0..<d { trace += c[i, i] }
            // A floor keeps ε > 0 when the data are all zero (trace 0): then everything is whitened to 0 anyway.
            let epsilon = max(gamma * trace / Double(width), 1e-12)
            for i in 0..<d { s[i, i] += epsilon }
            return s
        }
        shrinkageX = shrinkage ?? Double(widthX) / (total + Double(widthX))
        shrinkageY = shrinkage ?? Double(widthY) / (total + Double(widthY))
        let lx = try cholesky(shrunk(covariance(moments.xx), shrinkageX, width: widthX))
        let ly = try cholesky(shrunk(covariance(moments.yy), shrinkageY, width: widthY))
        let cxy = covariance(moments.xy)
        // M = Lx⁻¹ · Cxy · Ly⁻ᵀ
        let left = try solveTriangular(lx, cxy, lower: true)
        let m = try solveTriangular(ly, left, lower: true, transpose: true, side: .right)
        let rank = min(n, dx, dy)
        let r = min(rank, maxComponents ?? rank)
        let (u, v, rho) = try Self.leadingSingularTriplets(m, count: r)
        directionsX = try solveTriangular(lx, u, lower: true, transpose: true)
        directionsY = try solveTriangular(ly, v, lower: true, transpose: true)
        correlations = rho.map { min(max($0, 0), 1) }
    }

    /// The `count` leading singular triplets of `m` (columns of u and v, values descending).
    ///
    /// When only a few are wanted (self-learning keeps 128 of 384 at every round), they come from the
    /// eigendecomposition of the small Gram matrix G = MᵀM: V its leading eigenvectors, σ = √λ, U = M·V/σ,
    /// about 5× cheaper than the full one-sided Jacobi SVD. Squaring costs accuracy in the small singular values:
    /// the computed λ has absolute error ≈ ε‖M‖² (Weyl), so σ has relative error ≈ ε(σ₁/σ)² and U's columns lose
    /// orthogonality by about as much. The shortcut is taken only when every kept σ ≥ 10⁻⁴·σ₁ (errors ≲ 10⁻⁸);
    /// otherwise — and whenever all triplets are wanted — the full SVD is used.
    public static func leadingSingularTriplets(_ m: Matrix<Double>, count r: Int) throws
        -> (u: Matrix<Double>, v: Matrix<Double>, values: [Double]) {
        let full = min(m.rows, m.columns)
        if m.columns > m.rows {   // the Gram matrix of the smaller side
            let t = try leadingSingularTriplets(m.transposed, count: r)
            return (t.v, t.u, t.values)
        }
        if r > 0 && 3 * r <= full {
            let eigen = try symmetricEigen(Matrix.multiply(m, .transposed, m))   // ascending
            let d = m.columns
            let largest = max(eigen.values[d - 1], 0).squareRoot()
            let values = (0..<r).map { max(eigen.values[d - 1 - $0], 0).squareRoot() }
            if largest > 0 && values[r - 1] >= 1e-4 * largest {
                let v = Matrix<Double>(rows: d, columns: r) { i, k in eigen.vectors[i, d - 1 - k] }
                var u = Matrix.multiply(m, .none, v)
                for i in 0..<u.rows { for k in 0..<r { u[i, k] /= values[k] } }
                return (u, v, values)
            }
        }
        let svd = try singularValueDecomposition(m)
        let k = min(r, svd.singularValues.count)
        return (svd.u.columns(0..<k), svd.v.columns(0..<k), Array(svd.singularValues.prefix(k)))
    }

    /// Maps for a shared space in which cosine similarity is meaningful: each canonical direction scaled by
    /// `ρ^power` on both sides, so an inner product in the shared space weights component k by `ρ_k^(2·power)`.
    /// With `power = ½` (VecMap's symmetric re-weighting, Artetxe et al. 2018) strongly correlated components
    /// dominate and the noise-level ones fade out smoothly, with no component count to choose.
    public func weightedMaps(power: Double = 0.5) -> (x: Matrix<Float>, y: Matrix<Float>) {
        var mx = directionsX, my = directionsY
        for k in 0..<correlations.count {
            let scale = pow(correlations[k], power)
            for i in 0..<mx.rows { mx[i, k] *= scale }
            for i in 0..<my.rows { my[i, k] *= scale }
        }
        return (mx.converted(to: Float.self), my.converted(to: Float.self))
    }
}

/// Regularised CCA on the known pairs as an estimator: shrinkage γ = d/(n+d), components weighted by ρ^power
/// (`CanonicalCorrelation.weightedMaps`). Needs at least one known pair.
public struct CCA: Aligner, Equatable {
    /// Canonical components kept (nil: all that the pairs support, min(pairs, dx, dy)).
    public var components: Int?
    /// Each component is scaled by ρ^`correlationPower` on both sides (½: VecMap's symmetric re-weighting).
    public var correlationPower: Double

    /// The estimator with its settings.
    public init(components: Int? = nil, correlationPower: Double = 0.5) {
        self.components = components; self.correlationPower = correlationPower
    }

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> LinearAlignment {
        try context.run(on: data) { data in
            guard (components ?? 1) >= 1, correlationPower >= 0, correlationPower.isFinite else {
                throw AlignmentError.invalidConfiguration("CCA: components must be ≥ 1 and the correlation power finite and ≥ 0")
            }
            let prepared = try PreparedProblem(data)
            guard prepared.pairs.count >= 2 else {
                // One pair gives one direction whose projections are all the pair's own: a space where every row
                // lands on the same point.
                throw AlignmentError.insufficientData("CCA needs at least 2 known pairs, got \(prepared.pairs.count)")
            }
            let (a, b) = prepared.pairedRows()
            let maps = try CanonicalCorrelation(a: a, b: b, maxComponents: components).weightedMaps(power: correlationPower)
            return try prepared.model(mapX: maps.x, mapY: maps.y,
                                  report: FitReport(method: "cca", estimator: self, data: data, context: context))
        }
    }
}
