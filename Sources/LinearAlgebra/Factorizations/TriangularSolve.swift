/// Triangular solves with many right-hand sides (BLAS `trsm`): `op(T)·X = B` (`side: .left`) or
/// `X·op(T) = B` (`side: .right`), `op(T) = T` or `Tᵀ`, `T` lower or upper triangular (only that triangle
/// is read), optionally with an implicit unit diagonal.
///
/// Every case is reduced to the two row-major-friendly kernels `L·X = B` and `U·X = B`:
/// `Tᵀ` is formed explicitly (O(n²), negligible next to the O(n²·k) solve) and turns lower into upper;
/// `X·op(T) = B` is `op(T)ᵀ·Xᵀ = Bᵀ`. The kernels are blocked by rows: for each block of `nb` rows, the
/// contribution of all previously solved rows is subtracted with one GEMM, then the small triangular
/// block is solved by substitution, in parallel over column chunks of X.
///
/// Throws `singular(index:)` if a diagonal entry is exactly zero (and `unitDiagonal` is false),
/// `dimensionMismatch` for incompatible shapes and `nonFinite` for NaN/Inf in T or B.
public func solveTriangular<S: MatrixScalar>(_ t: Matrix<S>, _ b: Matrix<S>, lower: Bool, transpose: Bool = false,
                                            side: Side = .left, unitDiagonal: Bool = false) throws -> Matrix<S> {
    try checkSquare(t, "solveTriangular: T")
    let n = t.rows
    let matching = side == .left ? b.rows : b.columns
    guard matching == n else {
        throw LinearAlgebraError.dimensionMismatch(
            "solveTriangular: T is \(n)×\(n) but B is \(b.rows)×\(b.columns) (side \(side))")
    }
    try checkFinite(t, "solveTriangular: T")
    try checkFinite(b, "solveTriangular: B")
    if !unitDiagonal, let i = (0..<n).first(where: { t[$0, $0] == 0 }) {
        throw LinearAlgebraError.singular(index: i)
    }
    if side == .right {
        let xt = try solveTriangular(t, b.transposed, lower: lower, transpose: !transpose, side: .left,
                                     unitDiagonal: unitDiagonal)
        return xt.transposed
    }
    let factor = transpose ? t.transposed : t
    let isLower = transpose ? !lower : lower
    if let f = factor as? Matrix<Double>, let rhs = b as? Matrix<Double> {
        return triangularSolveLeft(f, rhs, lower: isLower, unitDiagonal: unitDiagonal) as! Matrix<S>
    }
    if let f = factor as? Matrix<Float>, let rhs = b as? Matrix<Float> {
        return triangularSolveLeft(f, rhs, lower: isLower, unitDiagonal: unitDiagonal) as! Matrix<S>
    }
    return triangularSolveLeft(factor, b, lower: isLower, unitDiagonal: unitDiagonal)
}

/// Inverse of a triangular matrix (`T·X = I`); the result has the same triangular shape.
/// Throws `singular(index:)` for a zero diagonal entry.
public func invertTriangular<S: MatrixScalar>(_ t: Matrix<S>, lower: Bool) throws -> Matrix<S> {
    try checkSquare(t, "invertTriangular: T")
    var x = try solveTriangular(t, Matrix<S>.identity(t.rows), lower: lower)
    // Entries outside the triangle are exactly zero already in exact arithmetic and in practice; make it explicit.
    for i in 0..<t.rows { for j in 0..<t.rows where lower ? j > i : j < i { x[i, j] = 0 } }
    return x
}

/// Rows per block in the blocked substitution.
let triangularBlockSize = 64

/// `L·X = B` (lower) or `U·X = B` (upper) for a non-singular triangular `t`; `B` is `n × k`.
func triangularSolveLeft<S: MatrixScalar>(_ t: Matrix<S>, _ b: Matrix<S>, lower: Bool, unitDiagonal: Bool) -> Matrix<S> {
    let n = t.rows, k = b.columns
    var x = b
    if n == 0 || k == 0 { return x }
    let nb = triangularBlockSize
    t.withView { tv in
        x.withMutableView { xv in
            let blockCount = (n + nb - 1) / nb
            for step in 0..<blockCount {
                // Lower: blocks top to bottom. Upper: bottom to top.
                let block = lower ? step : blockCount - 1 - step
                let i0 = block * nb, i1 = min(n, i0 + nb)
                // Subtract the already solved rows: X[I] −= T[I, solved] · X[solved].
                let solved = lower ? 0..<i0 : i1..<n
                if !solved.isEmpty {
                    gemm(.none, .none, alpha: -1, tv.block(rows: i0..<i1, columns: solved),
                         xv.readOnly.rows(solved), beta: 1, xv.rows(i0..<i1))
                }
                // Substitution inside the block, independently for each chunk of columns.
                Parallel.forEachChunk(k, chunk: max(64, (k + 1) / 2)) { columns in
                    let width = columns.count, c0 = columns.lowerBound
                    for s in 0..<(i1 - i0) {
                        let i = lower ? i0 + s : i1 - 1 - s
                        let xi = xv.row(i) + c0
                        let inner = lower ? i0..<i : (i + 1)..<i1
                        for p in inner {
                            let coefficient = tv[i, p]
                            if coefficient == 0 { continue }
                            FactorKernels.axpy(-coefficient, UnsafePointer(xv.row(p) + c0), xi, width)
                        }
                        if !unitDiagonal {
                            let inverse = 1 / tv[i, i]
                            // Divide rather than multiply by the reciprocal when it would overflow.
                            if inverse.isFinite {
                                for j in 0..<width { xi[j] *= inverse }
                            } else {
                                let d = tv[i, i]
                                for j in 0..<width { xi[j] /= d }
                            }
                        }
                    }
                }
            }
        }
    }
    return x
}
