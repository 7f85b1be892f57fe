import Foundation
import LinearAlgebra

/// Independent component analysis by symmetric FastICA (Hyvärinen 1999, "Fast and robust fixed-point
/// algorithms for independent component analysis"; Hyvärinen & Oja 2000): the `m` directions along which the
/// rows are *least Gaussian*, found without any labels or pairs.
///
/// Why it is here: two encoders of the same texts are related (nearly) linearly, and if their data were
/// Gaussian the unpaired rows would pin that relation down only up to an arbitrary rotation of the whitened
/// space — the pairs would have to supply all of it. Non-Gaussian structure breaks the rotational symmetry:
/// sparse "feature detectors" are a property of the texts, so each encoder's independent components estimate
/// the same directions, up to order and sign. On the text pairs (MiniLM ↔ e5, 64 components each) matching the
/// components by the hidden truth gives 80 % R@10 with *no* pairs; self-learning uses them, matched with the
/// known pairs, as a second view of its start (`IndependentComponentStart`).
///
/// Algorithm: centre and whiten with the top-`m` eigenvectors of the covariance (so the components are
/// uncorrelated with unit variance); then iterate, for all components at once,
///
///     W⁺ = E[g(Wz) zᵀ] − diag(E[g′(Wz)]) W,   W = (W⁺W⁺ᵀ)^(−1/2) W⁺,
///
/// with g = tanh (the log-cosh contrast, robust to outliers), until every row of W moves by less than
/// `tolerance` (|1 − |⟨wᵢ, wᵢ′⟩|| ≤ tolerance). The symmetric decorrelation keeps W orthogonal, so no component
/// is found twice. Each component's sign is fixed so that its skewness is positive, and the start is a seeded
/// Gaussian matrix: the result is deterministic. Cost per iteration: 2·n·m² multiply-adds plus n·m tanh.
public struct IndependentComponents: Sendable, Equatable {
    /// Mean of the training rows (subtracted before unmixing).
    public var mean: [Float]
    /// d × m: the components of a row x are (x − mean) · unmixing. Unit variance and uncorrelated on the
    /// training rows.
    public var unmixing: Matrix<Float>
    /// Fixed-point iterations used.
    public var iterations: Int
    /// Whether the iteration met `tolerance` (otherwise it stopped at `maxIterations`; the components are still
    /// orthogonal and usable, only less independent).
    public var converged: Bool

    /// Number of components.
    public var components: Int { unmixing.columns }

    /// Fits `components` independent components to the rows of `x`. Fewer are kept if the covariance has
    /// fewer eigenvalues above 10⁻¹⁰ of the largest (directions with no variance cannot be whitened).
    public init(fitting x: Matrix<Float>, components: Int, seed: UInt64 = 0,
                maxIterations: Int = 200, tolerance: Double = 1e-4) throws {
        guard components >= 1 else {
            throw AlignmentError.invalidConfiguration("ICA: components must be ≥ 1, got \(components)")
        }
        guard x.rows >= 2 else { throw AlignmentError.insufficientData("ICA needs at least 2 rows, got \(x.rows)") }
        guard maxIterations >= 1, tolerance > 0 else {
            throw AlignmentError.invalidConfiguration("ICA: maxIterations must be ≥ 1 and tolerance > 0")
        }
        try requireFinite(x, "ICA input")
        let n = x.rows, d = x.columns
        let xd = x.converted(to: Double.self)
        let mean = xd.columnMeans()
        let centred = xd.centered(by: mean)
        let covariance = Matrix.multiply(centred, .transposed, centred, alpha: 1 / Double(n))
        let eigen = try symmetricEigen(covariance)                      // ascending
        let largest = max(eigen.values[d - 1], 0)
        let rank = eigen.values.filter { $0 > 1e-10 * largest }.count
        let m = min(components, rank, n - 1)
        guard m >= 1 else { throw AlignmentError.insufficientData("ICA: the rows have no variance") }
        // Whitening K (d × m): z = (x − mean)·K has identity covariance.
        let whitening = Matrix<Double>(rows: d, columns: m) { i, c in
            eigen.vectors[i, d - 1 - c] / eigen.values[d - 1 - c].squareRoot()
        }
        // The iteration runs in Float (the input's precision): its two n × m × m products and n·m tanh dominate
        // the cost, and a Float error of ~10⁻⁶ in E[g(Wz) zᵀ] moves |⟨wᵢ, wᵢ′⟩| by ~10⁻¹², far below `tolerance`.
        // W itself, its decorrelation and the convergence test stay in Double.
        let z = Matrix.multiply(centred, .none, whitening).converted(to: Float.self)   // n × m
        var random = SeededRandom(seed: seed ^ 0x1ca_5eed)
        var w = try Self.decorrelated(random.normalMatrix(m, m))
        var iterations = 0, converged = false
        while iterations < maxIterations && !converged {
            iterations += 1
            // g = tanh(z·Wᵀ) in place, and E[g′] = E[1 − g²] per component: fixed row blocks in parallel,
            // their partial sums added in block order (the same result for any thread count).
            var g = Matrix.multiply(z, .none, w.converted(to: Float.self), .transposed)   // n × m
            let blocks = (n + Self.blockRows - 1) / Self.blockRows
            var partial = [Double](repeating: 0, count: blocks * m)
            g.elements.withUnsafeMutableBufferPointer { gp in
                partial.withUnsafeMutableBufferPointer { pp in
                    Parallel.forEach(blocks) { b in
                        for i in (b * Self.blockRows)..<min(n, (b + 1) * Self.blockRows) {
                            for c in 0..<m {
                                let t = tanh(gp[i * m + c])
                                gp[i * m + c] = t
                                pp[b * m + c] += Double(1 - t * t)
                            }
                        }
                    }
                }
            }
            var meanDerivative = [Double](repeating: 0, count: m)
            for b in 0..<blocks { for c in 0..<m { meanDerivative[c] += partial[b * m + c] } }
            var next = Matrix.multiply(g, .transposed, z, alpha: 1 / Float(n)).converted(to: Double.self)   // E[g(Wz) zᵀ], m × m
            for c in 0..<m {
                let e = meanDerivative[c] / Double(n)
                for k in 0..<m { next[c, k] -= e * w[c, k] }
            }
            next = try Self.decorrelated(next)
            var change = 0.0
            for c in 0..<m {
                var dot = 0.0
                for k in 0..<m { dot += next[c, k] * w[c, k] }
                change = max(change, abs(1 - abs(dot)))
            }
            w = next
            converged = change <= tolerance
        }
        var unmixing = Matrix.multiply(whitening, .none, w, .transposed)  // d × m
        // Sign: positive skewness (third moment) per component.
        let s = Matrix.multiply(centred, .none, unmixing)
        for c in 0..<m {
            var third = 0.0
            for i in 0..<n { third += s[i, c] * s[i, c] * s[i, c] }
            if third < 0 { for i in 0..<d { unmixing[i, c] = -unmixing[i, c] } }
        }
        self.mean = mean.map { Float($0) }
        self.unmixing = unmixing.converted(to: Float.self)
        self.iterations = iterations
        self.converged = converged
    }

    /// The components of the rows of `x`.
    public func transform(_ x: Matrix<Float>) throws -> Matrix<Float> {
        guard x.columns == mean.count else {
            throw AlignmentError.shapeMismatch("ICA: input has \(x.columns) columns, fitted on \(mean.count)")
        }
        return Matrix.multiply(x.centered(by: mean), .none, unmixing, .none)
    }

    /// Rows per parallel task of the nonlinearity (fixed, so the sums do not depend on the thread count).
    static let blockRows = 512

    /// (W Wᵀ)^(−1/2) W: the orthogonal matrix nearest to W (symmetric decorrelation).
    static func decorrelated(_ w: Matrix<Double>) throws -> Matrix<Double> {
        let m = w.rows
        let eigen = try symmetricEigen(Matrix.multiply(w, .none, w, .transposed))
        guard let smallest = eigen.values.first, smallest > 0 else {
            throw AlignmentError.trainingDiverged("ICA: the unmixing matrix became singular")
        }
        let inverseRoot = Matrix<Double>(rows: m, columns: m) { i, j in
            var s = 0.0
            for k in 0..<m { s += eigen.vectors[i, k] * eigen.vectors[j, k] / eigen.values[k].squareRoot() }
            return s
        }
        return Matrix.multiply(inverseRoot, .none, w)
    }
}
