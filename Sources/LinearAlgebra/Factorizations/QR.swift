/// Householder QR factorisation `A = Q·R` (thin form).
///
/// `q` is `m × p` with orthonormal columns and `r` is `p × n` upper trapezoidal, `p = min(m, n)`.
///
/// Rank: `rank` counts the diagonal entries with `|R_ii| > tolerance`, where
/// `tolerance = max(m, n) · ε · max_i |R_ii|` (the usual LAPACK-style threshold). Without column pivoting
/// this is a heuristic: it is reliable for matrices whose rank deficiency shows up in the trailing columns
/// (e.g. generic products `B·C` of low inner dimension), but a zero pivot can also be followed by
/// non-negligible ones. `diagonalMagnitudes` exposes every `|R_ii|` so callers can look for tiny pivots.
public struct QRDecomposition<S: MatrixScalar> {
    /// The thin `m × p` factor with orthonormal columns.
    public let q: Matrix<S>
    /// The `p × n` upper-trapezoidal factor.
    public let r: Matrix<S>
    /// Numerical rank estimate: how many `|R_ii|` exceed `rankTolerance` (0 when R has a non-finite entry).
    public let rank: Int
    /// `|R_ii|` for `i < min(m, n)`.
    public let diagonalMagnitudes: [S]
    /// The threshold used for `rank`: `max(m, n) · ε · max |R_ii|`.
    public let rankTolerance: S
}

/// Householder QR of any `m × n` matrix. NaN/Inf entries propagate into `q` and `r` (rank is then 0);
/// use `checkedQRDecomposition` to get a `nonFinite` error instead.
///
/// Algorithm (LAPACK `dgeqrf` + `dorgqr`; Golub & Van Loan §5.2): the matrix is processed as its transpose
/// (a row-major copy of `Aᵀ`, so that each column of A, on which a reflector acts, is a contiguous row).
/// Columns are taken in panels of `nb`: each panel is reduced with unblocked Householder steps, then the
/// panel's reflectors are aggregated into the compact WY form `I − V·T·Vᵀ` and applied to all remaining
/// columns with two GEMMs. The thin Q is accumulated backwards (last block first) in the same blocked way.
/// Cost `2mn² − 2n³/3` for R and about the same again for Q.
public func qrDecomposition<S: MatrixScalar>(_ a: Matrix<S>) -> QRDecomposition<S> {
    if let x = a as? Matrix<Double> { return householderQR(x) as! QRDecomposition<S> }
    if let x = a as? Matrix<Float> { return householderQR(x) as! QRDecomposition<S> }
    return householderQR(a)
}

/// As `qrDecomposition`, but throws `nonFinite` if `a` contains NaN or ±Inf.
public func checkedQRDecomposition<S: MatrixScalar>(_ a: Matrix<S>) throws -> QRDecomposition<S> {
    try checkFinite(a, "qrDecomposition: A")
    return qrDecomposition(a)
}

/// Columns per panel in the blocked QR.
let qrBlockSize = 48

/// The factored form: `at` is `Aᵀ` overwritten so that row `j` holds `R[0...j, j]` in columns `0...j` and
/// the Householder vector `v_j[1...]` in columns `j+1 ..< m`; `tau[j]` are the reflector coefficients.
struct FactoredQR<S: MatrixScalar> {
    var at: Matrix<S>
    var tau: [S]
}

func householderQRFactor<S: MatrixScalar>(_ a: Matrix<S>) -> FactoredQR<S> {
    let m = a.rows, n = a.columns, p = min(m, n)
    var at = a.transposed
    var tau = [S](repeating: 0, count: p)
    let nb = qrBlockSize
    var k0 = 0
    while k0 < p {
        let kb = min(nb, p - k0)
        at.withMutableView { w in
            // Unblocked reduction of the panel rows k0 ..< k0+kb (columns k0 ..< k0+kb of A).
            for j in k0..<(k0 + kb) {
                let x = w.row(j) + j
                let length = m - j
                let (beta, t) = Householder.generate(x, length)
                tau[j] = t
                x[0] = beta
                if t == 0 { continue }
                // Apply H_j = I − τ·v·vᵀ (v = [1, x[1...]]) to the remaining panel columns.
                for r in (j + 1)..<(k0 + kb) {
                    let y = w.row(r) + j
                    let s = t * (y[0] + FactorKernels.dot(UnsafePointer(x + 1), UnsafePointer(y + 1), length - 1))
                    y[0] -= s
                    FactorKernels.axpy(-s, UnsafePointer(x + 1), y + 1, length - 1)
                }
            }
        }
        // Blocked update of the trailing columns k0+kb ..< n: Aᵀ_trail ← Aᵀ_trail · (I − V·T·Vᵀ).
        if k0 + kb < n {
            let vt = reflectorRows(at, rows: k0..<(k0 + kb), firstColumn: k0)
            let t = vt.withView { Householder.triangularFactor($0, Array(tau[k0..<(k0 + kb)])) }
            vt.withView { vv in
                at.withMutableView { w in
                    Householder.applyFromRight(w.block(rows: (k0 + kb)..<n, columns: k0..<m), vv, t, transposeT: false)
                }
            }
        }
        k0 += kb
    }
    return FactoredQR(at: at, tau: tau)
}

/// Copies the reflectors stored in `rows` of a factored `Aᵀ` into an explicit `Vᵀ` over columns
/// `firstColumn ..< m`: zeros before each leading 1 (reflector j has its 1 at column j).
func reflectorRows<S: MatrixScalar>(_ at: Matrix<S>, rows: Range<Int>, firstColumn: Int) -> Matrix<S> {
    let m = at.columns
    var vt = Matrix<S>(rows: rows.count, columns: m - firstColumn)
    for (i, j) in rows.enumerated() {
        vt[i, j - firstColumn] = 1
        for c in (j + 1)..<max(m, j + 1) { vt[i, c - firstColumn] = at[j, c] }
    }
    return vt
}

/// Forms `Qᵀ` (thin: `p × m`, rows = orthonormal columns of Q) from the factored form, backwards by blocks:
/// `Q = Q_1⋯Q_b·[I; 0]`, and block `Q_i = I − V·T·Vᵀ` touches only rows and columns `≥ k0` of the result.
func formThinQTransposed<S: MatrixScalar>(_ f: FactoredQR<S>, m: Int, p: Int) -> Matrix<S> {
    var qt = Matrix<S>(rows: p, columns: m)
    for i in 0..<p { qt[i, i] = 1 }
    let nb = qrBlockSize
    var k0 = p == 0 ? -1 : ((p - 1) / nb) * nb
    while k0 >= 0 {
        let kb = min(nb, p - k0)
        let vt = reflectorRows(f.at, rows: k0..<(k0 + kb), firstColumn: k0)
        let t = vt.withView { Householder.triangularFactor($0, Array(f.tau[k0..<(k0 + kb)])) }
        vt.withView { vv in
            qt.withMutableView { w in
                Householder.applyFromRight(w.block(rows: k0..<p, columns: k0..<m), vv, t, transposeT: true)
            }
        }
        k0 -= nb
    }
    return qt
}

func householderQR<S: MatrixScalar>(_ a: Matrix<S>) -> QRDecomposition<S> {
    let m = a.rows, n = a.columns, p = min(m, n)
    let f = householderQRFactor(a)
    var r = Matrix<S>(rows: p, columns: n)
    for j in 0..<n where p > 0 { for i in 0...min(j, p - 1) { r[i, j] = f.at[j, i] } }
    let q = formThinQTransposed(f, m: m, p: p).transposed
    let diagonal = (0..<p).map { abs(r[$0, $0]) }
    let largest = diagonal.max() ?? 0
    let tolerance = S(max(m, n)) * S.ulpOfOne * largest
    // Any non-finite entry of R (not only of its diagonal) makes every rank statement meaningless.
    let rank = r.elements.allSatisfy { $0.isFinite } ? diagonal.filter { $0 > tolerance }.count : 0
    return QRDecomposition(q: q, r: r, rank: rank, diagonalMagnitudes: diagonal, rankTolerance: tolerance)
}
