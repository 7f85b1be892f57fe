import Foundation

/// Which algorithm `symmetricEigen` uses.
public enum SymmetricEigenMethod: Sendable {
    /// Cyclic Jacobi for `n ≤ 32` (most accurate, cheap at that size), Householder tridiagonalisation +
    /// implicit QL above.
    case automatic
    /// Cyclic two-sided Jacobi: `O(n³)` per sweep, about 6–10 sweeps. Small eigenvalues to high relative accuracy
    /// when the matrix is well scaled (Demmel & Veselić 1992).
    case jacobi
    /// Householder reduction to tridiagonal form, implicit QL on the tridiagonal, back-transformation.
    case tridiagonalQL
}

/// `A = V·diag(values)·Vᵀ`: eigenvalues ascending, orthonormal eigenvectors as the COLUMNS of `vectors`.
public struct SymmetricEigenDecomposition<S: MatrixScalar> {
    /// Eigenvalues in ascending order.
    public let values: [S]
    /// Orthonormal eigenvectors as columns: column `j` belongs to `values[j]`.
    public let vectors: Matrix<S>

    /// Wraps eigenvalues and their eigenvector columns as given (neither the order nor the orthonormality is checked).
    public init(values: [S], vectors: Matrix<S>) {
        self.values = values
        self.vectors = vectors
    }
}

/// Eigen-decomposition of a real symmetric matrix.
///
/// Only the LOWER triangle of `a` is read (the upper one is taken as its mirror image), as in LAPACK's
/// `uplo = 'L'`. The matrix is scaled by a power of two so its largest entry is about 1 (exact; undone on
/// the eigenvalues). Throws `nonFinite` for NaN/Inf, `dimensionMismatch` if `a` is not square and
/// `noConvergence` if an iteration cap is hit (which does not happen for finite input in practice).
public func symmetricEigen<S: MatrixScalar>(_ a: Matrix<S>,
                                            method: SymmetricEigenMethod = .automatic) throws -> SymmetricEigenDecomposition<S> {
    try checkSquare(a, "symmetricEigen: A")
    try checkFinite(a, "symmetricEigen: A")
    // Dispatch to concrete types so the generic internals are specialised (see MatrixScalar).
    if let x = a as? Matrix<Double> {
        return try symmetricEigenConcrete(x, method: method) as! SymmetricEigenDecomposition<S>
    }
    if let x = a as? Matrix<Float> {
        return try symmetricEigenConcrete(x, method: method) as! SymmetricEigenDecomposition<S>
    }
    return try symmetricEigenConcrete(a, method: method)
}

/// Eigenvalues only (ascending) of a real symmetric matrix, lower triangle read: Householder
/// tridiagonalisation and the QL iteration without accumulating any rotation, about `4n³/3` flops in the
/// reduction plus `O(n²)` — several times cheaper than `symmetricEigen`. Same errors as `symmetricEigen`.
public func symmetricEigenvalues<S: MatrixScalar>(_ a: Matrix<S>) throws -> [S] {
    try checkSquare(a, "symmetricEigenvalues: A")
    try checkFinite(a, "symmetricEigenvalues: A")
    if let x = a as? Matrix<Double> { return try eigenvaluesConcrete(x) as! [S] }
    if let x = a as? Matrix<Float> { return try eigenvaluesConcrete(x) as! [S] }
    return try eigenvaluesConcrete(a)
}

func eigenvaluesConcrete<S: MatrixScalar>(_ a: Matrix<S>) throws -> [S] {
    var (work, scale) = scaledSymmetricCopy(a)
    let (d, e, _) = tridiagonalise(&work)
    let values = try tridiagonalQL(diagonal: d.map { Double($0) }, offDiagonal: e.map { Double($0) },
                                   computeVectors: false).values
    return values.map { S($0) / scale }
}

/// Eigenvalues (ascending) of a real symmetric matrix, lower triangle read, with `Vᵀ·b` for its eigenvectors V
/// (row j belongs to `values[j]`) — without forming V. For callers that need the eigenvectors only applied to a
/// block of k columns, as generalised cross-validation needs `UᵀB`.
///
/// Householder tridiagonalisation `A = Q·T·Qᵀ` (`4n³/3` flops), then `Qᵀ·b` by the reflectors in compact WY
/// form, then the QL iteration's rotations applied to that n × k block instead of to the identity: `Vᵀb =
/// Wᵀ·(Qᵀb)` with `T = W·Λ·Wᵀ`. The eigenvector work is O(k·n²) instead of the O(n³) of accumulating V, the
/// larger part of `symmetricEigen` at n in the thousands. Small matrices (n ≤ 32) go through `symmetricEigen`.
/// Each row of the projection has the sign its eigenvector would have in `symmetricEigen`, up to rounding.
/// Throws as `symmetricEigen`, and `dimensionMismatch` unless `b` has n rows.
public func symmetricEigenvalues(_ a: Matrix<Double>, projecting b: Matrix<Double>) throws
    -> (values: [Double], projection: Matrix<Double>) {
    try checkSquare(a, "symmetricEigenvalues: A")
    try checkFinite(a, "symmetricEigenvalues: A")
    try checkFinite(b, "symmetricEigenvalues: B")
    let n = a.rows
    guard b.rows == n else {
        throw LinearAlgebraError.dimensionMismatch("symmetricEigenvalues: B has \(b.rows) rows, A is \(n) × \(n)")
    }
    if n <= jacobiCrossover {
        let eigen = try symmetricEigen(a)
        return (eigen.values, Matrix.multiply(eigen.vectors, .transposed, b))
    }
    var (work, scale) = scaledSymmetricCopy(a)
    let (d, e, tau) = tridiagonalise(&work)
    var bt = b.transposed
    applyTridiagonalisation(reflectors: work, tau: tau, to: &bt, transposed: false)   // bᵀ·Q = (Qᵀb)ᵀ
    let (values, projection) = try tridiagonalQL(diagonal: d, offDiagonal: e, computeVectors: true, initial: bt.transposed)
    return (values.map { $0 / scale }, projection!)
}

/// The symmetric matrix whose lower triangle is that of `a`, scaled by a power of two so that its largest
/// entry is about 1 (exact), and the scale factor.
func scaledSymmetricCopy<S: MatrixScalar>(_ a: Matrix<S>) -> (Matrix<S>, S) {
    let n = a.rows
    var work = a
    var maxAbs: S = 0
    for i in 0..<n { for j in 0...i { maxAbs = max(maxAbs, abs(a[i, j])) } }
    let scale = FactorKernels.scaleToUnit(maxAbs)
    work.withMutableView { w in
        for i in 0..<n {
            for j in 0...i {
                let x = w[i, j] * scale
                w[i, j] = x
                w[j, i] = x
            }
        }
    }
    return (work, scale)
}

/// Largest `n` for which `.automatic` picks Jacobi.
let jacobiCrossover = 32

func symmetricEigenConcrete<S: MatrixScalar>(_ a: Matrix<S>, method: SymmetricEigenMethod) throws
    -> SymmetricEigenDecomposition<S> {
    let n = a.rows
    var (work, scale) = scaledSymmetricCopy(a)
    let useJacobi = method == .jacobi || (method == .automatic && n <= jacobiCrossover)
    let (values, vectors) = useJacobi ? try jacobiEigen(&work) : try tridiagonalEigen(&work)
    return SymmetricEigenDecomposition(values: values.map { $0 / scale }, vectors: vectors)
}

// MARK: - Cyclic Jacobi

/// Cyclic two-sided Jacobi on the symmetric matrix `a` (destroyed). Returns ascending eigenvalues and the
/// eigenvectors as columns.
///
/// Each rotation `J(p, q, θ)` zeroes `a[p,q]`; with `θ = (a_qq − a_pp) / (2a_pq)` and `t = tan φ` the smaller
/// root of `t² + 2θt − 1 = 0`, the update is `a_pp −= t·a_pq`, `a_qq += t·a_pq` (Rutishauser, "The Jacobi
/// method for real symmetric matrices", Numer. Math. 9, 1966). The diagonal updates are accumulated in a
/// separate vector per sweep, as Rutishauser does, to reduce rounding.
///
/// Skipping rule (Demmel & Veselić, "Jacobi's method is more accurate than QR", SIAM J. Matrix Anal. Appl.
/// 13, 1992): `a_pq` is set to zero without a rotation when `|a_pq| ≤ ε·√|a_pp|·√|a_qq|`; perturbing it
/// changes the eigenvalues only in their last bits relative to the diagonal, which is what gives small
/// eigenvalues high relative accuracy. In the first three sweeps, rotations with `|a_pq|` below
/// `0.2·off₁/n²` (off₁ = Σ|a_pq|) are postponed — Rutishauser's threshold strategy, which avoids
/// spending rotations on entries that later ones will change anyway.
///
/// Convergence: a sweep in which every off-diagonal entry passes the skipping test, or an off-diagonal
/// Frobenius norm below `ε²·‖A‖_F` (negligible at any accuracy one can ask for). At most 60 sweeps.
func jacobiEigen<S: MatrixScalar>(_ a: inout Matrix<S>) throws -> ([S], Matrix<S>) {
    let n = a.rows
    var vt = Matrix<S>.identity(n)                // row j = eigenvector j
    let eps = S.ulpOfOne
    let maxSweeps = 60
    var converged = n <= 1
    var sweep = 0
    var diagonal = (0..<n).map { a[$0, $0] }
    var diagonalUpdate = [S](repeating: 0, count: n)
    while !converged {
        if sweep == maxSweeps {
            throw LinearAlgebraError.noConvergence(algorithm: "cyclic Jacobi eigenvalue sweeps", iterations: maxSweeps)
        }
        var offSquares: S = 0, offAbs: S = 0, normSquares: S = 0
        for i in 0..<n {
            normSquares += diagonal[i] * diagonal[i]
            for j in (i + 1)..<n {
                offSquares += 2 * a[i, j] * a[i, j]
                offAbs += abs(a[i, j])
            }
        }
        normSquares += offSquares
        if offSquares == 0 || offSquares.squareRoot() <= eps * eps * normSquares.squareRoot() { break }
        let threshold: S = sweep < 3 ? 0.2 * offAbs / S(n * n) : 0
        var rotations = 0
        a.withMutableView { m in
            vt.withMutableView { v in
                for p in 0..<(n - 1) {
                    for q in (p + 1)..<n {
                        let apq = m[p, q]
                        if apq == 0 { continue }
                        let app = diagonal[p], aqq = diagonal[q]
                        if abs(apq) <= eps * abs(app).squareRoot() * abs(aqq).squareRoot() {
                            m[p, q] = 0; m[q, p] = 0
                            continue
                        }
                        if abs(apq) < threshold { continue }
                        let theta = (aqq - app) / (2 * apq)
                        // For huge θ, θ² overflows; t ≈ 1/(2θ) there.
                        let t: S = abs(theta) > 1 / eps
                            ? 1 / (2 * theta)
                            : (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                        let c = 1 / (t * t + 1).squareRoot(), s = t * c
                        let h = t * apq
                        diagonalUpdate[p] -= h; diagonalUpdate[q] += h
                        diagonal[p] -= h; diagonal[q] += h
                        m[p, q] = 0; m[q, p] = 0
                        // Rotate rows/columns p and q of the rest of the matrix (kept symmetric).
                        for k in 0..<n where k != p && k != q {
                            let akp = m[k, p], akq = m[k, q]
                            let newP = c * akp - s * akq, newQ = s * akp + c * akq
                            m[k, p] = newP; m[p, k] = newP
                            m[k, q] = newQ; m[q, k] = newQ
                        }
                        FactorKernels.rotate(v.row(p), v.row(q), n, c: c, s: s)
                        rotations += 1
                    }
                }
            }
        }
        // Rutishauser: refresh the diagonal from its accumulated updates once per sweep.
        for i in 0..<n {
            a[i, i] = a[i, i] + diagonalUpdate[i]
            diagonal[i] = a[i, i]
            diagonalUpdate[i] = 0
        }
        sweep += 1
        if rotations == 0 && threshold == 0 { converged = true }
    }
    return sortedEigenpairs(diagonal, vt)
}

/// Sorts eigenvalues ascending and returns eigenvectors as columns (the input has them as rows).
func sortedEigenpairs<S: MatrixScalar>(_ values: [S], _ vt: Matrix<S>) -> ([S], Matrix<S>) {
    let n = values.count
    let order = (0..<n).sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
    return (order.map { values[$0] }, vt.rows(order).transposed)
}

// MARK: - Householder tridiagonalisation + QL

/// Eigen-decomposition through `A = Q·T·Qᵀ` (T tridiagonal), `T = W·Λ·Wᵀ` (implicit QL), `V = Q·W`.
func tridiagonalEigen<S: MatrixScalar>(_ a: inout Matrix<S>) throws -> ([S], Matrix<S>) {
    let n = a.rows
    let (d, e, tau) = tridiagonalise(&a)
    let (values, zt) = try tridiagonalQL(diagonal: d.map { Double($0) }, offDiagonal: e.map { Double($0) },
                                         computeVectors: true)
    // Vᵀ = Wᵀ·Qᵀ = Zt · H_{n-3} ⋯ H_0: apply the reflector blocks from the last to the first.
    var c: Matrix<S> = S.self == Double.self ? zt! as! Matrix<S> : zt!.converted(to: S.self)
    applyTridiagonalisation(reflectors: a, tau: tau, to: &c)
    return (values.map { S($0) }, n == 0 ? c : c.transposed)
}

/// Householder reduction of the symmetric matrix `a` (full storage, both triangles) to tridiagonal form
/// `T = Qᵀ·A·Q`, `Q = H_0⋯H_{n-3}`.
///
/// Reflector `k` is built from row `k` (by symmetry, column `k`) beyond the diagonal and acts on indices
/// `k+1 ..< n`. With `p = τ·A₂₂·v` and `w = p − (τ/2)(pᵀv)·v`, the trailing block is updated by the symmetric
/// rank-2 update `A₂₂ ← A₂₂ − v·wᵀ − w·vᵀ` (LAPACK `dsytd2`; Golub & Van Loan Alg. 8.3.1).
///
/// Memory traffic is what limits this algorithm, so one pass over the trailing block does two jobs: row `i`
/// receives its rank-2 update from reflector `k` and is immediately multiplied by the NEXT reflector
/// `v_{k+1}` (which only needs row `k+1`, updated first). Each row is thus read once per step instead of
/// twice. Rows are independent, so the pass is split into fixed row blocks run in parallel.
///
/// On return: `d` (n) and `e` (n−1) describe T; row `k` of `a`, columns `k+2 ..< n`, holds `v_k[1...]`
/// (`v_k[0] = 1` at column `k+1` is implicit); `tau` (n−2 entries, possibly fewer for n < 3) holds τ_k.
func tridiagonalise<S: MatrixScalar>(_ a: inout Matrix<S>) -> (d: [S], e: [S], tau: [S]) {
    let n = a.rows
    var d = [S](repeating: 0, count: n)
    var e = [S](repeating: 0, count: max(0, n - 1))
    let reflectorCount = max(0, n - 2)
    var tau = [S](repeating: 0, count: reflectorCount)
    if n == 0 { return (d, e, tau) }
    var v = [S](repeating: 0, count: n)          // current reflector, indices 0..<L (L = n-k-1)
    var nextV = [S](repeating: 0, count: n)
    var p = [S](repeating: 0, count: n)          // τ·A₂₂·v for the current reflector
    var nextP = [S](repeating: 0, count: n)
    var w = [S](repeating: 0, count: n)
    let rowBlock = 16

    a.withMutableView { m in
        /// Builds reflector k from row k (columns k+1..<n) into `vec`, storing v[1...] back into the row.
        func makeReflector(_ k: Int, into vec: UnsafeMutablePointer<S>) -> S {
            let length = n - k - 1
            let x = m.row(k) + (k + 1)
            let (beta, t) = Householder.generate(x, length)
            e[k] = beta
            vec[0] = 1
            for i in 1..<length { vec[i] = x[i] }
            return t
        }
        v.withUnsafeMutableBufferPointer { vb in
        nextV.withUnsafeMutableBufferPointer { nvb in
        p.withUnsafeMutableBufferPointer { pb in
        nextP.withUnsafeMutableBufferPointer { npb in
        w.withUnsafeMutableBufferPointer { wb in
            var vp = vb.baseAddress!, nvp = nvb.baseAddress!
            var pp = pb.baseAddress!, npp = npb.baseAddress!
            let wp = wb.baseAddress!
            if reflectorCount > 0 {
                tau[0] = makeReflector(0, into: vp)
                // p = τ·A[1:,1:]·v, rows in parallel.
                let length = n - 1, t0 = tau[0]
                let vConst = UnsafePointer(vp), pOut = pp
                Parallel.forEachChunk(length, chunk: length >= 256 ? rowBlock : length) { rows in
                    for r in rows { pOut[r] = t0 * FactorKernels.dot(UnsafePointer(m.row(r + 1) + 1), vConst, length) }
                }
            }
            for k in 0..<reflectorCount {
                d[k] = m[k, k]
                let length = n - k - 1          // reflector k lives on indices k+1 ..< n
                let t = tau[k]
                // w = p − (τ/2)(pᵀv)·v
                let half = t * FactorKernels.dot(UnsafePointer(pp), UnsafePointer(vp), length) / 2
                for i in 0..<length { wp[i] = pp[i] - half * vp[i] }
                // Row k+1 first: it is the source of the next reflector.
                let first = m.row(k + 1) + (k + 1)
                let v0 = vp[0], w0 = wp[0]
                for j in 0..<length { first[j] -= v0 * wp[j] + w0 * vp[j] }
                let hasNext = k + 1 < reflectorCount
                let nextTau: S = hasNext ? makeReflector(k + 1, into: nvp) : 0
                if hasNext { tau[k + 1] = nextTau }
                // Remaining rows i = k+2 ..< n: rank-2 update on columns k+2 ..< n, then the next p entry.
                let rest = length - 1
                let vC = UnsafePointer(vp), wC = UnsafePointer(wp), nvC = UnsafePointer(nvp), npOut = npp
                Parallel.forEachChunk(rest, chunk: rest >= 256 ? rowBlock : max(rest, 1)) { rows in
                    for r in rows {
                        let local = r + 1                     // index within the reflector-k frame
                        let row = m.row(k + 1 + local) + (k + 2)
                        let vi = vC[local], wi = wC[local]
                        for j in 0..<rest { row[j] -= vi * wC[j + 1] + wi * vC[j + 1] }
                        if hasNext { npOut[r] = nextTau * FactorKernels.dot(UnsafePointer(row), nvC, rest) }
                    }
                }
                swap(&vp, &nvp)
                swap(&pp, &npp)
            }
        } } } } }
    }
    // The last 2×2 (or 1×1) block is already tridiagonal.
    if n >= 2 {
        d[n - 2] = a[n - 2, n - 2]
        e[n - 2] = a[n - 2, n - 1]
    }
    d[n - 1] = a[n - 1, n - 1]
    return (d, e, tau)
}

/// `C ← C · Qᵀ` (or `C · Q` when `transposed` is false) with `Q = H_0 ⋯ H_{r-1}` the product of the
/// tridiagonalisation reflectors stored in `reflectors` (see `tridiagonalise`). Blocked: reflectors are grouped in
/// blocks of `nb`, each applied as `I − V·Tᵀ·Vᵀ` (`I − V·T·Vᵀ` for Q) through two GEMMs; for Qᵀ = Q_bᵀ ⋯ Q_1ᵀ the
/// blocks go from last to first, for Q from first to last.
func applyTridiagonalisation<S: MatrixScalar>(reflectors: Matrix<S>, tau: [S], to c: inout Matrix<S>, transposed: Bool = true) {
    let n = reflectors.rows
    let count = tau.count
    if count == 0 { return }
    let nb = 64
    let starts = Array(stride(from: 0, to: count, by: nb))
    for blockStart in transposed ? starts.reversed() : starts {
        let kb = min(nb, count - blockStart)
        // Reflector k acts on global indices k+1 ..< n; the block spans blockStart+1 ..< n.
        let offset = blockStart + 1
        let width = n - offset
        var vt = Matrix<S>(rows: kb, columns: width)
        for j in 0..<kb {
            let k = blockStart + j
            vt[j, k + 1 - offset] = 1
            for g in (k + 2)..<n { vt[j, g - offset] = reflectors[k, g] }   // k ≤ n − 3, so k + 2 < n
        }
        let t = vt.withView { Householder.triangularFactor($0, Array(tau[blockStart..<(blockStart + kb)])) }
        vt.withView { vv in
            c.withMutableView { cv in
                Householder.applyFromRight(cv.block(rows: 0..<cv.rows, columns: offset..<n), vv, t, transposeT: transposed)
            }
        }
    }
}
