import Dispatch
import Foundation
import LinearAlgebra

/// Settings of the thick-restart Lanczos eigensolver.
public struct LanczosConfiguration: Sendable {
    /// Number of largest eigenpairs wanted.
    public var count: Int
    /// A Ritz pair (θ, x) is accepted when ‖Ax − θx‖ ≤ tolerance · max|θ| (the largest Ritz value in modulus
    /// estimates ‖A‖). ARPACK uses the same test relative to |θ|; for the normalised adjacency they coincide.
    public var tolerance: Double = 1e-8
    /// Krylov basis size m (default `max(2·count + 16, 40)`, capped by the dimension). Memory is (m + 1)·n Doubles.
    public var basisSize: Int? = nil
    /// Budget of products with A; when it is spent, the solver stops and reports what has converged. Wanted
    /// eigenvalues with a reasonable gap to the rest converge in a few hundred products; the cap turns a hopeless
    /// run (clustered eigenvalues, a tolerance below round-off) into a report instead of an open-ended loop.
    public var maxMatrixVectorProducts: Int = 10_000
    /// Optional wall-clock budget in seconds, checked once per restart.
    public var timeLimit: Double? = nil
    /// Seed of the random start vector (and of fresh directions after an exact breakdown).
    public var seed: UInt64 = 0

    /// Settings for the `count` largest eigenpairs; each other argument sets the property of the same name.
    public init(count: Int, tolerance: Double = 1e-8, basisSize: Int? = nil, maxMatrixVectorProducts: Int = 10_000,
                timeLimit: Double? = nil, seed: UInt64 = 0) {
        self.count = count
        self.tolerance = tolerance
        self.basisSize = basisSize
        self.maxMatrixVectorProducts = maxMatrixVectorProducts
        self.timeLimit = timeLimit
        self.seed = seed
    }
}

/// What the Lanczos solver found.
public struct LanczosResult: Sendable {
    /// Ritz values, largest first.
    public let values: [Double]
    /// Ritz vectors as the columns of an n × count matrix (unit length, mutually orthogonal).
    public let vectors: Matrix<Double>
    /// ‖Axᵢ − θᵢxᵢ‖ recomputed from the returned vectors (not the Lanczos estimate).
    public let residualNorms: [Double]
    /// Whether every wanted pair met the tolerance within the budget.
    public let converged: Bool
    /// Products with A spent by the iteration (the final residual check is not counted).
    public let matrixVectorProducts: Int
    /// Thick restarts made.
    public let restarts: Int
    /// Wall-clock seconds, including the final residual check.
    public let seconds: Double

    /// One line a user can read: what converged, how accurately, at what cost.
    public var report: String {
        let worst = residualNorms.max() ?? 0
        return "\(converged ? "converged" : "NOT converged"): \(values.count) eigenpairs, largest residual "
            + "\(worst), \(matrixVectorProducts) matrix-vector products, \(restarts) restarts, "
            + String(format: "%.3f s", seconds)
    }
}

/// The largest eigenpairs of a symmetric linear operator A by thick-restart Lanczos with full re-orthogonalisation.
///
/// **Lanczos.** From a unit start vector v₀, the three-term recurrence βⱼvⱼ₊₁ = Avⱼ − αⱼvⱼ − βⱼ₋₁vⱼ₋₁ builds an
/// orthonormal basis Vₘ of the Krylov space span{v₀, Av₀, …, A^{m−1}v₀} in which A is represented by the
/// tridiagonal Tₘ = VₘᵀAVₘ. Eigenpairs (θ, y) of Tₘ give Ritz pairs (θ, Vₘy) whose residual norm is exactly
/// |βₘ·yₘ| (Paige 1971), so convergence is judged without touching A. Extreme eigenvalues converge first, at a
/// rate set by their gap to the rest of the spectrum (Kaniel–Paige–Saad bounds; Saad, *Numerical Methods for
/// Large Eigenvalue Problems*, 2011, §6.6).
///
/// **Re-orthogonalisation.** In floating point the recurrence loses orthogonality as soon as a Ritz pair
/// converges, and then produces spurious copies of it. We re-orthogonalise every new vector against the whole
/// basis by classical Gram–Schmidt applied twice ("twice is enough": Giraud, Langou & Rozložník 2005), which keeps
/// the basis orthogonal to working precision at O(n·m) per step.
///
/// **Thick restart** (Wu & Simon, *Thick-restart Lanczos method for large symmetric eigenvalue problems*, SIAM
/// J. Matrix Anal. Appl. 22, 2000). When the basis is full, keep the ℓ best Ritz vectors Vₘ·Y₁..ℓ plus the last
/// Lanczos vector vₘ; in that basis A is represented by an arrowhead matrix (diag(θ₁..ℓ) bordered by the
/// residual couplings βₘ·yₘᵢ), and the recurrence continues from vₘ. This is mathematically equivalent to
/// ARPACK's implicitly restarted Lanczos (Sorensen 1992) with exact shifts, and keeps memory at (m + 1)·n.
///
/// **Deflation.** Vectors in `deflation` (orthonormal, known invariant directions such as the trivial
/// eigenvector of a graph) are kept out of the Krylov space by orthogonalising against them too, so the solver
/// spends nothing on them.
///
/// **Determinism.** The start vector comes from `SeededRandom(seed)`; every inner product is summed over fixed
/// row blocks combined in block order, so results are bit-identical for any thread count.
///
/// - Parameters:
///   - dimension: n, the order of A.
///   - apply: y ← A·x for vectors of length n (must be symmetric and deterministic).
public func lanczosLargestEigenpairs(dimension n: Int, configuration: LanczosConfiguration,
                                     deflation: [[Double]] = [],
                                     apply: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void) throws
    -> LanczosResult {
    let start = DispatchTime.now().uptimeNanoseconds
    let q = deflation.count
    let nev = configuration.count
    guard nev >= 1 && nev <= n - q else {
        throw SpectralError.invalidParameter("Lanczos count = \(nev) needs 1 ≤ count ≤ n − deflated = \(n - q)")
    }
    guard configuration.tolerance > 0 && configuration.tolerance.isFinite else {
        throw SpectralError.invalidParameter("Lanczos tolerance = \(configuration.tolerance) must be positive")
    }
    for (t, u) in deflation.enumerated() where u.count != n {
        throw SpectralError.dimensionMismatch("deflation vector \(t) has length \(u.count), expected \(n)")
    }
    let m = min(n - q, max(nev + 2, configuration.basisSize ?? max(2 * nev + 16, 40)))
    let space = KrylovSpace(dimension: n, deflation: deflation, capacity: m + 1)
    var random = SeededRandom(seed: configuration.seed)

    // T is dense m × m; only its arrowhead-plus-tridiagonal part is ever nonzero.
    var t = [Double](repeating: 0, count: m * m)
    var kept = 0                    // ℓ: Ritz vectors at the front of the basis
    var matvecs = 0, restarts = 0
    var residualCoupling = 0.0      // βₘ
    var normEstimate = 0.0          // max |αⱼ| + βⱼ seen, a lower bound on ‖A‖
    let w = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { w.deallocate() }

    space.setRandomVector(at: 0, using: &random)
    var ritzValues = [Double](), ritzVectors = Matrix<Double>(rows: 0, columns: 0), estimates = [Double]()
    var converged = false
    while true {
        // Extend the basis from vₗ to vₘ.
        var j = kept
        while j < m {
            apply(UnsafePointer(space.vector(j)), w)
            matvecs += 1
            let (alpha, beta) = space.orthogonalise(w, against: j + 1)
            t[j * m + j] = alpha
            let next: Double
            normEstimate = max(normEstimate, abs(alpha) + beta)
            // β below round-off level of ‖A‖ means the Krylov space is (numerically) invariant.
            if beta > 1e-12 * normEstimate && beta > 0 {
                space.store(w, scaledBy: 1 / beta, at: j + 1)
                next = beta
            } else {
                // Exact invariant subspace: continue with a fresh direction (the coupling is zero).
                space.setRandomVector(at: j + 1, using: &random)
                next = 0
            }
            if j + 1 < m {
                t[j * m + j + 1] = next
                t[(j + 1) * m + j] = next
            } else {
                residualCoupling = next
            }
            j += 1
        }

        // Ritz pairs of T, largest first. Before the first restart T is tridiagonal, and the QL solver takes it
        // as it is; after a restart its leading block is an arrowhead, which the dense solver first reduces. Either
        // costs O(m³) for m ≈ 40–100, negligible next to the m products with A of order n that built T.
        let eig = try ritzDecomposition(t, order: m, tridiagonal: restarts == 0)
        let order = Array((0..<m).reversed())
        ritzValues = order.map { eig.values[$0] }
        let lastRow = order.map { eig.vectors[m - 1, $0] }
        estimates = lastRow.map { abs(residualCoupling * $0) }
        let scale = max(abs(ritzValues.first!), abs(ritzValues.last!), 1e-300)
        converged = (0..<nev).allSatisfy { estimates[$0] <= configuration.tolerance * scale }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        let outOfBudget = matvecs + (m - kept) > configuration.maxMatrixVectorProducts
            || (configuration.timeLimit.map { elapsed > $0 } ?? false)
        if converged || outOfBudget {
            let y = Matrix<Double>(rows: m, columns: nev) { i, c in eig.vectors[i, order[c]] }
            ritzVectors = space.combine(y)
            break
        }

        // Thick restart: keep ℓ Ritz vectors (the wanted ones and about half of the rest, which
        // accelerates the convergence of the wanted ones) and the last Lanczos vector.
        kept = min(m - 2, nev + (m - nev) / 2)
        let y = Matrix<Double>(rows: m, columns: kept) { i, c in eig.vectors[i, order[c]] }
        space.restart(keeping: y)
        for i in 0..<(m * m) { t[i] = 0 }
        for i in 0..<kept {
            t[i * m + i] = ritzValues[i]
            let s = residualCoupling * lastRow[i]
            t[i * m + kept] = s
            t[kept * m + i] = s
        }
        restarts += 1
    }

    // True residuals of the returned pairs (nev extra products, reported, not counted in the budget).
    var residuals = [Double](repeating: 0, count: nev)
    let x = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { x.deallocate() }
    for c in 0..<nev {
        for i in 0..<n { x[i] = ritzVectors[c, i] }
        apply(UnsafePointer(x), w)
        residuals[c] = blockedNorm(n) { i in w[i] - ritzValues[c] * x[i] }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
    return LanczosResult(values: Array(ritzValues.prefix(nev)), vectors: ritzVectors.transposed,
                         residualNorms: residuals, converged: converged, matrixVectorProducts: matvecs,
                         restarts: restarts, seconds: seconds)
}

/// Eigen-decomposition of the m × m projected matrix T (row-major in `t`), eigenvalues ascending; by the
/// tridiagonal QL algorithm when T is known to be tridiagonal, else by the dense symmetric solver.
private func ritzDecomposition(_ t: [Double], order m: Int, tridiagonal: Bool) throws -> SymmetricEigenDecomposition<Double> {
    guard tridiagonal else { return try symmetricEigen(Matrix(rows: m, columns: m, elements: t)) }
    let (values, vectors) = try symmetricTridiagonalEigen(diagonal: (0..<m).map { t[$0 * m + $0] },
                                                          offDiagonal: (0..<max(0, m - 1)).map { t[$0 * m + $0 + 1] })
    return SymmetricEigenDecomposition(values: values, vectors: vectors!)
}

/// ‖f‖₂ over 0..<n, summed in fixed blocks (deterministic), serially: used only for reporting.
func blockedNorm(_ n: Int, _ f: (Int) -> Double) -> Double {
    var s = 0.0
    for i in 0..<n { let v = f(i); s += v * v }
    return s.squareRoot()
}

/// The orthonormal basis of the Lanczos process, stored vector after vector (each vector contiguous), preceded
/// by the deflation vectors. All the O(n·m) work of the solver lives here.
final class KrylovSpace {
    let n: Int
    let deflated: Int
    let capacity: Int
    /// (deflated + capacity) vectors of length n.
    let storage: UnsafeMutablePointer<Double>
    /// Row blocks for deterministic parallel reductions (fixed, independent of the thread count).
    static let blockLength = 2048
    let blocks: Int

    init(dimension n: Int, deflation: [[Double]], capacity: Int) {
        self.n = n
        self.deflated = deflation.count
        self.capacity = capacity
        storage = .allocate(capacity: (deflation.count + capacity) * n)
        storage.initialize(repeating: 0, count: (deflation.count + capacity) * n)
        blocks = (n + KrylovSpace.blockLength - 1) / KrylovSpace.blockLength
        for (t, u) in deflation.enumerated() { for i in 0..<n { storage[t * n + i] = u[i] } }
    }

    deinit { storage.deallocate() }

    /// Lanczos vector j.
    func vector(_ j: Int) -> UnsafeMutablePointer<Double> { storage + (deflated + j) * n }

    func store(_ w: UnsafeMutablePointer<Double>, scaledBy s: Double, at j: Int) {
        let v = vector(j)
        Parallel.forEach(blocks) { b in
            for i in (b * KrylovSpace.blockLength)..<min(self.n, (b + 1) * KrylovSpace.blockLength) { v[i] = w[i] * s }
        }
    }

    /// A random unit vector orthogonal to the deflation vectors and to Lanczos vectors 0..<j, stored at j.
    func setRandomVector(at j: Int, using random: inout SeededRandom) {
        let w = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { w.deallocate() }
        for attempt in 0..<10 {
            for i in 0..<n { w[i] = random.normal() }
            let before = blockedNorm(n) { w[$0] }
            let (_, norm) = orthogonalise(w, against: j)
            if norm > 1e-8 * before || attempt == 9 {
                store(w, scaledBy: norm > 0 ? 1 / norm : 0, at: j)
                return
            }
        }
    }

    /// Classical Gram–Schmidt, twice, of w against the deflation vectors and Lanczos vectors 0..<count.
    /// Returns (vⱼᵀw before removal, with j = count − 1 — the Lanczos α — and ‖w‖ after).
    func orthogonalise(_ w: UnsafeMutablePointer<Double>, against count: Int) -> (Double, Double) {
        let total = deflated + count
        let partial = UnsafeMutablePointer<Double>.allocate(capacity: max(1, blocks * (total + 1)))
        defer { partial.deallocate() }
        var coefficients = [Double](repeating: 0, count: total)
        var alpha = 0.0
        // Pass 1 projections.
        projections(w, total, partial)
        sumBlocks(partial, total, into: &coefficients)
        if count > 0 { alpha = coefficients[total - 1] }
        // Pass 1 update fused with pass 2 projections (both stay within a row block).
        updateThenProject(w, total, coefficients, partial, projectAgain: true)
        sumBlocks(partial, total, into: &coefficients)
        if count > 0 { alpha += coefficients[total - 1] }
        // Pass 2 update fused with the squared norm.
        updateThenProject(w, total, coefficients, partial, projectAgain: false)
        var norm2 = 0.0
        for b in 0..<blocks { norm2 += partial[b * (total + 1) + total] }
        return (alpha, norm2.squareRoot())
    }

    private func projections(_ w: UnsafeMutablePointer<Double>, _ total: Int, _ partial: UnsafeMutablePointer<Double>) {
        Parallel.forEach(blocks) { b in
            let lo = b * KrylovSpace.blockLength, len = min(self.n, lo + KrylovSpace.blockLength) - lo
            for p in 0..<total {
                partial[b * (total + 1) + p] = dot(self.storage + p * self.n + lo, w + lo, count: len)
            }
        }
    }

    /// w ← w − Σₚ cₚ·vₚ on each block, then either the projections of the updated block (for the second pass)
    /// or its squared norm (stored in slot `total`).
    private func updateThenProject(_ w: UnsafeMutablePointer<Double>, _ total: Int, _ c: [Double],
                                   _ partial: UnsafeMutablePointer<Double>, projectAgain: Bool) {
        c.withUnsafeBufferPointer { cb in
            Parallel.forEach(blocks) { b in
                let lo = b * KrylovSpace.blockLength, len = min(self.n, lo + KrylovSpace.blockLength) - lo
                for p in 0..<total { axpy(-cb[p], self.storage + p * self.n + lo, w + lo, count: len) }
                if projectAgain {
                    for p in 0..<total {
                        partial[b * (total + 1) + p] = dot(self.storage + p * self.n + lo, w + lo, count: len)
                    }
                } else {
                    partial[b * (total + 1) + total] = dot(w + lo, w + lo, count: len)
                }
            }
        }
    }

    private func sumBlocks(_ partial: UnsafeMutablePointer<Double>, _ total: Int, into c: inout [Double]) {
        for p in 0..<total {
            var s = 0.0
            for b in 0..<blocks { s += partial[b * (total + 1) + p] }
            c[p] = s
        }
    }

    /// Rows of the result are Σᵢ y[i, c]·vᵢ for the columns c of `y` (m × ℓ): the Ritz vectors, as ℓ × n.
    func combine(_ y: Matrix<Double>) -> Matrix<Double> {
        let m = y.rows
        var out = Matrix<Double>(rows: y.columns, columns: n)
        y.withView { yv in out.withMutableView { ov in
            let basis = MatrixView(base: UnsafePointer(storage + deflated * n), rows: m, columns: n, rowStride: n)
            gemm(.transposed, .none, yv, basis, ov)
        } }
        return out
    }

    /// Replaces the basis by [V·Y, vₘ] (the kept Ritz vectors and the last Lanczos vector).
    func restart(keeping y: Matrix<Double>) {
        let m = y.rows, kept = y.columns
        let ritz = combine(y)
        ritz.elements.withUnsafeBufferPointer { r in
            vector(0).update(from: r.baseAddress!, count: kept * n)
        }
        vector(kept).update(from: vector(m), count: n)
    }
}
