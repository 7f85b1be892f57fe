/// Householder reflectors and their blocked ("compact WY") application, shared by QR and the symmetric
/// tridiagonalisation.
///
/// A reflector is `H = I − τ·v·vᵀ` with `v[0] = 1`, chosen so that `H·x = β·e₁` (Golub & Van Loan,
/// *Matrix Computations*, 4th ed., §5.1.2). A product of `k` reflectors `H₁⋯H_k` equals `I − V·T·Vᵀ`
/// with `V = [v₁ … v_k]` and `T` upper triangular (Schreiber & Van Loan 1989, "A storage-efficient WY
/// representation"); applying it to a matrix then costs two GEMMs plus a small triangular multiply,
/// which is what makes the blocked algorithms fast.
///
/// Row-major convention used throughout this file: the reflectors of a block are stored as the ROWS of
/// `vt` (`kb × L`), i.e. `vt = Vᵀ`, with explicit zeros before each leading 1.
enum Householder {
    /// Turns `x[0..<count]` into a Householder vector in place and returns `(β, τ)`.
    ///
    /// On return `x[0]` is left untouched by convention of the caller (the implicit 1 of `v`), and
    /// `x[1...]` holds `v[1...]`. `τ = 0` (H = I) when `x[1...]` is already zero. β has the sign opposite
    /// to `x[0]` so that `x[0] − β` involves no cancellation.
    @inline(__always)
    static func generate<S: MatrixScalar>(_ x: UnsafeMutablePointer<S>, _ count: Int) -> (beta: S, tau: S) {
        let alpha = x[0]
        if count <= 1 { return (alpha, 0) }
        let tailNorm = FactorKernels.norm(UnsafePointer(x + 1), count - 1)
        if tailNorm == 0 { return (alpha, 0) }
        let magnitude = hypotenuse(alpha, tailNorm)
        let beta = alpha >= 0 ? -magnitude : magnitude
        let tau = (beta - alpha) / beta
        let pivot = alpha - beta                 // |pivot| ≥ |β| > 0: no cancellation
        let scale = 1 / pivot
        if scale.isFinite {
            for i in 1..<count { x[i] *= scale }
        } else {
            for i in 1..<count { x[i] /= pivot }  // pivot is subnormal: its reciprocal overflows
        }
        return (beta, tau)
    }

    /// `sqrt(a² + b²)` without intermediate overflow/underflow.
    @inline(__always)
    static func hypotenuse<S: MatrixScalar>(_ a: S, _ b: S) -> S {
        let x = abs(a), y = abs(b)
        let big = max(x, y), small = min(x, y)
        if big == 0 { return 0 }
        let r = small / big
        return big * (1 + r * r).squareRoot()
    }

    /// The upper-triangular `T` (`kb × kb`, row-major) of the compact WY form `H₁⋯H_kb = I − V·T·Vᵀ`
    /// for reflectors given as the rows of `vt` (LAPACK's `dlarft`, forward, columnwise).
    ///
    /// Recurrence: `T[j,j] = τ_j`, `T[0..<j, j] = −τ_j · T[0..<j, 0..<j] · (V[:, 0..<j]ᵀ v_j)`.
    /// The Gram matrix `G = Vᵀ·V` is formed with one GEMM.
    static func triangularFactor<S: MatrixScalar>(_ vt: MatrixView<S>, _ tau: [S]) -> Matrix<S> {
        let kb = vt.rows
        var gram = Matrix<S>(rows: kb, columns: kb)
        gram.withMutableView { g in gemm(.none, .transposed, alpha: 1, vt, vt, beta: 0, g) }
        var t = Matrix<S>(rows: kb, columns: kb)
        var column = [S](repeating: 0, count: kb)
        for j in 0..<kb {
            t[j, j] = tau[j]
            if tau[j] == 0 { continue }
            for i in 0..<j {
                var s: S = 0
                for l in i..<j { s += t[i, l] * gram[l, j] }
                column[i] = -tau[j] * s
            }
            for i in 0..<j { t[i, j] = column[i] }
        }
        return t
    }

    /// `C ← C · (I − V · op(T) · Vᵀ)` where `vt = Vᵀ` (`kb × L`), `C` is `r × L`, `op(T)` is `T` or `Tᵀ`.
    ///
    /// With `op(T) = T` this multiplies by `H₁⋯H_kb`; with `Tᵀ` by its transpose `H_kb⋯H₁`. Cost: two GEMMs
    /// of size `r × kb × L` plus `r·kb²` for the triangular factor.
    static func applyFromRight<S: MatrixScalar>(_ c: MutableMatrixView<S>, _ vt: MatrixView<S>, _ t: Matrix<S>,
                                                transposeT: Bool) {
        let r = c.rows, kb = vt.rows
        if r == 0 || kb == 0 { return }
        var w = Matrix<S>(rows: r, columns: kb)
        w.withMutableView { wv in gemm(.none, .transposed, alpha: 1, c.readOnly, vt, beta: 0, wv) }
        // W ← W · op(T), in place row by row (each row is an independent 1×kb · kb×kb product).
        var wt = Matrix<S>(rows: r, columns: kb)
        t.withView { tv in
            w.withView { wv in
                wt.withMutableView { out in
                    Parallel.forEachChunk(r, chunk: 64) { rows in
                        for i in rows {
                            let src = wv.row(i), dst = out.row(i)
                            for j in 0..<kb {
                                var s: S = 0
                                if transposeT {
                                    // (W·Tᵀ)[i,j] = Σ_{l ≥ j} W[i,l]·T[j,l]
                                    for l in j..<kb { s += src[l] * tv[j, l] }
                                } else {
                                    // (W·T)[i,j] = Σ_{l ≤ j} W[i,l]·T[l,j]
                                    for l in 0...j { s += src[l] * tv[l, j] }
                                }
                                dst[j] = s
                            }
                        }
                    }
                }
            }
        }
        wt.withView { wv in gemm(.none, .none, alpha: -1, wv, vt, beta: 1, c) }
    }
}
