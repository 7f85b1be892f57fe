/// Thin singular value decomposition `A = U·diag(s)·Vᵀ`: `U` is `m × p`, `s` descending (`p = min(m, n)`),
/// `V` is `n × p`; the columns of U and of V are orthonormal.
public struct SingularValueDecomposition<S: MatrixScalar> {
    /// Left singular vectors, the orthonormal columns of an `m × p` matrix.
    public let u: Matrix<S>
    /// The `p` singular values, non-negative and descending.
    public let singularValues: [S]
    /// Right singular vectors, the orthonormal columns of an `n × p` matrix.
    public let v: Matrix<S>
}

/// Singular value decomposition by QR preconditioning followed by one-sided (Hestenes) Jacobi.
///
/// For `m ≥ n` (otherwise the transpose is decomposed and the factors swapped):
/// 1. `A = Q·R` (Householder QR). This is the preconditioner of Drmač & Veselić ("New fast and accurate
///    Jacobi SVD algorithm", SIAM J. Matrix Anal. Appl. 29, 2008): the rows of R are much closer to
///    orthogonal than the columns of A, so far fewer Jacobi sweeps are needed, and for `m ≫ n` all later
///    work is on an `n × n` matrix.
/// 2. One-sided Jacobi on the ROWS of `G = R` (contiguous in row-major storage): plane rotations `P` are applied
///    to pairs of rows until all rows are mutually orthogonal, `P·R = Σ·Xᵀ` with row `j` of the result equal
///    to `σ_j·x_jᵀ` (Hestenes 1958). For rows `g_p, g_q` with `α = ‖g_p‖², β = ‖g_q‖², γ = g_p·g_q`, the
///    rotation with `t = sign(ζ)/(|ζ| + √(1+ζ²))`, `ζ = (β − α)/(2γ)` makes them orthogonal and updates the
///    squared norms to `α − tγ`, `β + tγ` (so norms are tracked, and recomputed exactly at each sweep).
///    A pair is skipped when `|γ| ≤ tol·√α·√β` with `tol = √n·ε`; the algorithm stops after a sweep
///    without rotations (cap: 60 sweeps → `noConvergence`). Before handling row `p` in a sweep, the row of
///    largest norm among `p ..< n` is swapped into place (de Rijk, "A one-sided Jacobi algorithm for
///    computing the singular value decomposition on a vector computer", SIAM J. Sci. Stat. Comput. 10, 1989),
///    which speeds convergence and leaves the values nearly sorted. The rotations of P are deferred and
///    applied in parallel batches (see `orthogonaliseRows`).
/// 3. `A = Q·R = (Q·Pᵀ)·Σ·Xᵀ`, so `U = Q·Pᵀ` (orthonormal by construction) and `V = X` (normalised rows).
///    Rows that end (numerically) zero get σ = 0 and an orthonormal completion for their column of V.
///
/// The one-sided Jacobi method computes singular values with high relative accuracy for matrices of the
/// form `B·D` with B well conditioned (Demmel & Veselić 1992). Cost: a few `n³` per sweep, typically
/// 5–10 sweeps — much slower than bidiagonalisation-based SVD for large n, but simple and accurate.
///
/// Throws `nonFinite` for NaN/Inf input, `noConvergence` if the sweep cap is reached.
public func singularValueDecomposition<S: MatrixScalar>(_ a: Matrix<S>) throws -> SingularValueDecomposition<S> {
    try checkFinite(a, "singularValueDecomposition: A")
    if let x = a as? Matrix<Double> { return try jacobiSVD(x) as! SingularValueDecomposition<S> }
    if let x = a as? Matrix<Float> { return try jacobiSVD(x) as! SingularValueDecomposition<S> }
    return try jacobiSVD(a)
}

func jacobiSVD<S: MatrixScalar>(_ a: Matrix<S>) throws -> SingularValueDecomposition<S> {
    let m = a.rows, n = a.columns
    if m < n {
        let t = try jacobiSVD(a.transposed)
        return SingularValueDecomposition(u: t.v, singularValues: t.singularValues, v: t.u)
    }
    if n == 0 {
        return SingularValueDecomposition(u: Matrix(rows: m, columns: 0), singularValues: [], v: Matrix(rows: 0, columns: 0))
    }
    // Scale by a power of two so that the largest entry is about 1: squared norms then cannot overflow.
    var maxAbs: S = 0
    for x in a.elements { maxAbs = max(maxAbs, abs(x)) }
    let scale = FactorKernels.scaleToUnit(maxAbs)
    var scaled = a
    if scale != 1 { for i in 0..<scaled.elements.count { scaled.elements[i] *= scale } }

    // 1. QR preconditioning.
    let factored = householderQRFactor(scaled)
    var g = Matrix<S>(rows: n, columns: n)
    for j in 0..<n { for i in 0...j { g[i, j] = factored.at[j, i] } }
    // 2. One-sided Jacobi on the rows of g, accumulating the rotations in p.
    var p = Matrix<S>.identity(n)
    try orthogonaliseRows(&g, accumulating: &p)
    // 3. Assemble.
    var sigma = [S](repeating: 0, count: n)
    // A row whose squared norm underflows to zero was skipped by every rotation, so it need not be
    // orthogonal to the others: its σ (below √(least normal) relative to the largest entry) is reported as
    // exactly 0 and its V column is completed instead.
    for j in 0..<n {
        let squared = g.withView { FactorKernels.dot($0.row(j), $0.row(j), n) }
        sigma[j] = squared == 0 ? 0 : g.withView { FactorKernels.norm($0.row(j), n) }
    }
    let order = (0..<n).sorted { sigma[$0] > sigma[$1] || (sigma[$0] == sigma[$1] && $0 < $1) }
    let sortedSigma = order.map { sigma[$0] }
    // V: column k = normalised row order[k] of g.
    var vt = Matrix<S>(rows: n, columns: n)
    var missing: [Int] = []
    for (k, j) in order.enumerated() {
        let s = sigma[j]
        if s > 0 {
            for c in 0..<n { vt[k, c] = g[j, c] / s }
        } else {
            missing.append(k)
        }
    }
    completeOrthonormalRows(&vt, missing: missing)
    // U = Q·Pᵀ with P's rows permuted like the singular values: column k of U is Q·(row order[k] of P).
    let qt = formThinQTransposed(factored, m: m, p: n)
    let pSorted = p.rows(order)
    var u = Matrix<S>(rows: m, columns: n)
    qt.withView { qv in pSorted.withView { pv in u.withMutableView { uv in
        gemm(.transposed, .transposed, alpha: 1, qv, pv, beta: 0, uv)
    } } }
    return SingularValueDecomposition(u: u, singularValues: sortedSigma.map { $0 / scale }, v: vt.transposed)
}

/// One-sided Jacobi sweeps with de Rijk pivoting on the rows of `g` (see `singularValueDecomposition`);
/// every rotation is also applied to the rows of `p`.
///
/// Only the rotations of `g` are inherently sequential (each needs the inner product of the current rows).
/// Those of `p` are logged and applied later in batches, column chunk by column chunk in parallel, like
/// the QL rotations in `RotationBatch`: that halves the sequential work. De Rijk's row swaps are not
/// applied to `p` at all; `p`'s rows are tracked through the permutation `rowOfP` and reordered once.
func orthogonaliseRows<S: MatrixScalar>(_ g: inout Matrix<S>, accumulating p: inout Matrix<S>) throws {
    let n = g.rows, width = g.columns
    let tolerance = S(n).squareRoot() * S.ulpOfOne
    let maxSweeps = 60
    var squaredNorms = [S](repeating: 0, count: n)
    var rowOfP = Array(0..<n)                 // row j of g corresponds to row rowOfP[j] of p
    var log = RotationLog<S>(capacity: max(4096, 64 * n))
    var converged = false
    g.withMutableView { gv in
        var sweep = 0
        while sweep < maxSweeps {
            for j in 0..<n {
                let r = UnsafePointer(gv.row(j))
                squaredNorms[j] = FactorKernels.dot(r, r, width)
            }
            var rotations = 0
            for i in 0..<(n - 1) {
                // de Rijk: bring the largest remaining row to position i.
                var best = i
                for k in (i + 1)..<n where squaredNorms[k] > squaredNorms[best] { best = k }
                if best != i {
                    swapRows(gv.row(i), gv.row(best), width)
                    rowOfP.swapAt(i, best)
                    squaredNorms.swapAt(i, best)
                }
                for k in (i + 1)..<n {
                    let alpha = squaredNorms[i], beta = squaredNorms[k]
                    if alpha == 0 || beta == 0 { continue }
                    let gamma = FactorKernels.dot(UnsafePointer(gv.row(i)), UnsafePointer(gv.row(k)), width)
                    if abs(gamma) <= tolerance * alpha.squareRoot() * beta.squareRoot() { continue }
                    let zeta = (beta - alpha) / (2 * gamma)
                    let t: S = abs(zeta) > 1 / S.ulpOfOne
                        ? 1 / (2 * zeta)
                        : (zeta >= 0 ? 1 : -1) / (abs(zeta) + (zeta * zeta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    FactorKernels.rotate(gv.row(i), gv.row(k), width, c: c, s: s)
                    log.append(rowOfP[i], rowOfP[k], c: c, s: s)
                    if log.isFull { log.apply(to: &p) }
                    squaredNorms[i] = max(0, alpha - t * gamma)
                    squaredNorms[k] = beta + t * gamma
                    rotations += 1
                }
            }
            sweep += 1
            if rotations == 0 { converged = true; break }
        }
    }
    log.apply(to: &p)
    if !converged {
        throw LinearAlgebraError.noConvergence(algorithm: "one-sided Jacobi SVD sweeps", iterations: maxSweeps)
    }
    if rowOfP != Array(0..<n) { p = p.rows(rowOfP) }
}

/// Plane rotations on arbitrary row pairs, logged for deferred application:
/// `row_a ← c·row_a − s·row_b`, `row_b ← s·row_a + c·row_b`. Applying the log chunk of columns by chunk
/// of columns performs the same operations on every element in the same order as applying it rotation by
/// rotation, so the result does not depend on chunking or thread count.
struct RotationLog<S: MatrixScalar> {
    private var first: [Int] = [], second: [Int] = []
    private var cosines: [S] = [], sines: [S] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var isFull: Bool { first.count >= capacity }

    mutating func append(_ a: Int, _ b: Int, c: S, s: S) {
        first.append(a); second.append(b); cosines.append(c); sines.append(s)
    }

    /// Applies every logged rotation to the rows of `m`, then empties the log.
    mutating func apply(to m: inout Matrix<S>) {
        defer {
            first.removeAll(keepingCapacity: true); second.removeAll(keepingCapacity: true)
            cosines.removeAll(keepingCapacity: true); sines.removeAll(keepingCapacity: true)
        }
        let count = first.count
        if count == 0 { return }
        // About 512 KB of `m` per chunk (rows × width elements) so the chunk stays in L2.
        let width = max(16, min(512, (65536 * 8 / MemoryLayout<S>.stride / max(m.rows, 1)) / 8 * 8))
        first.withUnsafeBufferPointer { fa in second.withUnsafeBufferPointer { sb in
        cosines.withUnsafeBufferPointer { cs in sines.withUnsafeBufferPointer { sn in
            m.withMutableView { mv in
                Parallel.forEachChunk(mv.columns, chunk: width) { columns in
                    let c0 = columns.lowerBound, w = columns.count
                    for r in 0..<count {
                        FactorKernels.rotate(mv.row(fa[r]) + c0, mv.row(sb[r]) + c0, w, c: cs[r], s: sn[r])
                    }
                }
            }
        } } } }
    }
}

@inline(__always)
private func swapRows<S>(_ x: UnsafeMutablePointer<S>, _ y: UnsafeMutablePointer<S>, _ count: Int) {
    for k in 0..<count { let t = x[k]; x[k] = y[k]; y[k] = t }
}

/// Fills the rows listed in `missing` (currently zero) with unit vectors orthogonal to all other rows:
/// each candidate standard basis vector is orthogonalised twice (classical Gram–Schmidt, "twice is
/// enough", Giraud et al. 2005) against all filled rows; the candidate with the largest remainder is kept.
func completeOrthonormalRows<S: MatrixScalar>(_ vt: inout Matrix<S>, missing: [Int]) {
    if missing.isEmpty { return }
    let n = vt.columns
    let missingSet = Set(missing)
    var filled = (0..<vt.rows).filter { !missingSet.contains($0) }
    // Candidates are tried round-robin from where the last search stopped, so that completing many rows
    // (e.g. of a zero matrix) does not retry the already used basis vectors every time.
    var nextCandidate = 0
    for target in missing {
        var bestVector: [S] = []
        var bestNorm: S = -1
        for attempt in 0..<n {
            let candidate = (nextCandidate + attempt) % n
            var x = [S](repeating: 0, count: n)
            x[candidate] = 1
            for _ in 0..<2 {
                for r in filled {
                    var d: S = 0
                    for c in 0..<n { d += vt[r, c] * x[c] }
                    for c in 0..<n { x[c] -= d * vt[r, c] }
                }
            }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > bestNorm { bestNorm = norm; bestVector = x }
            if norm > 0.5 {                          // good enough: no cancellation worth avoiding
                nextCandidate = candidate + 1
                break
            }
        }
        for c in 0..<n { vt[target, c] = bestVector[c] / bestNorm }
        filled.append(target)
    }
}
