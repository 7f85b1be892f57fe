/// Cholesky factorisation `A = L·Lᵀ` of a symmetric positive definite matrix.
///
/// Only the LOWER triangle of `a` is read. The result is lower triangular with the strictly upper part
/// zero. Throws `notPositiveDefinite(column:pivot:)` at the first column `j` whose pivot
/// `a_jj − Σ_{k<j} l_jk²` is not strictly positive (or is NaN): the leading `(j+1)×(j+1)` block is then not
/// positive definite, in exact arithmetic or to working precision. Throws `nonFinite` for NaN/Inf input.
///
/// Algorithm: right-looking blocked Cholesky (LAPACK `dpotrf`; Golub & Van Loan §4.2.9) with block size
/// `nb`. For each diagonal block:
/// 1. factor the `nb×nb` diagonal block with the unblocked dot-product ("Cholesky–Crout") algorithm;
/// 2. compute the panel below it, `L₂₁ = A₂₁·L₁₁⁻ᵀ`, one independent forward substitution per row;
/// 3. update the trailing matrix `A₂₂ ← A₂₂ − L₂₁·L₂₁ᵀ` with GEMM, block row by block row and only up to
///    the diagonal (the lower triangle is all that is ever read), which halves the flops of a full update.
/// Nearly all of the n³/3 flops are in step 3, so the speed is the GEMM's.
public func cholesky<S: MatrixScalar>(_ a: Matrix<S>) throws -> Matrix<S> {
    try checkSquare(a, "cholesky: A")
    try checkFinite(a, "cholesky: A")
    if let x = a as? Matrix<Double> { return try choleskyFactor(x) as! Matrix<S> }
    if let x = a as? Matrix<Float> { return try choleskyFactor(x) as! Matrix<S> }
    return try choleskyFactor(a)
}

/// Solves `A·X = B` for symmetric positive definite `A` (lower triangle read): `L·Y = B`, then `Lᵀ·X = Y`.
public func choleskySolve<S: MatrixScalar>(_ a: Matrix<S>, _ b: Matrix<S>) throws -> Matrix<S> {
    guard b.rows == a.rows else {
        throw LinearAlgebraError.dimensionMismatch("choleskySolve: A is \(a.rows)×\(a.columns) but B has \(b.rows) rows")
    }
    try checkFinite(b, "choleskySolve: B")
    let l = try cholesky(a)
    let y = try solveTriangular(l, b, lower: true)
    return try solveTriangular(l, y, lower: true, transpose: true)
}

/// Block size of the blocked factorisation: large enough for GEMM efficiency on the trailing update,
/// small enough that the unblocked diagonal factorisation and the panel solve stay a minor cost.
let choleskyBlockSize = 96

func choleskyFactor<S: MatrixScalar>(_ input: Matrix<S>) throws -> Matrix<S> {
    let n = input.rows
    var a = input
    let nb = choleskyBlockSize
    var failure: LinearAlgebraError?
    a.withMutableView { m in
        var k0 = 0
        while k0 < n {
            let kb = min(nb, n - k0)
            // 1. Diagonal block, unblocked. Its lower triangle has received all updates from columns < k0.
            if let bad = factorDiagonalBlock(m, k0, kb) {
                failure = .notPositiveDefinite(column: bad.column, pivot: Double(bad.pivot))
                return
            }
            let below = n - k0 - kb
            if below > 0 {
                // 2. Panel: row i of L₂₁ solves x·L₁₁ᵀ = a_i, i.e. L₁₁·xᵀ = a_iᵀ (forward substitution).
                let first = k0 + kb
                Parallel.forEachChunk(below, chunk: 32) { rows in
                    for r in rows {
                        let row = m.row(first + r) + k0
                        for j in 0..<kb {
                            let lj = UnsafePointer(m.row(k0 + j) + k0)
                            row[j] = (row[j] - FactorKernels.dot(UnsafePointer(row), lj, j)) / lj[j]
                        }
                    }
                }
                // 3. Trailing update of the lower triangle, one block row at a time:
                //    A[I, first..<end(I)] −= L[I, panel] · L[first..<end(I), panel]ᵀ.
                let panel = m.readOnly.block(rows: first..<n, columns: k0..<(k0 + kb))
                var i0 = first
                while i0 < n {
                    let ib = min(nb, n - i0)
                    let rowsI = panel.rows((i0 - first)..<(i0 - first + ib))
                    let colsJ = panel.rows(0..<(i0 - first + ib))
                    gemm(.none, .transposed, alpha: -1, rowsI, colsJ, beta: 1,
                         m.block(rows: i0..<(i0 + ib), columns: first..<(i0 + ib)))
                    i0 += ib
                }
            }
            k0 += kb
        }
        // Zero the strictly upper triangle (it still holds the input's upper part and update garbage).
        for i in 0..<n { for j in (i + 1)..<n { m[i, j] = 0 } }
    }
    if let failure { throw failure }
    return a
}

/// Unblocked Cholesky of the `kb×kb` block starting at `(k0, k0)`, row-oriented:
/// `l_ij = (a_ij − Σ_{k<j} l_ik·l_jk) / l_jj` and `l_jj = √(a_jj − Σ_{k<j} l_jk²)`, each sum a contiguous
/// dot product of two rows. Returns the failing global column and pivot, or nil.
private func factorDiagonalBlock<S: MatrixScalar>(_ m: MutableMatrixView<S>, _ k0: Int, _ kb: Int)
    -> (column: Int, pivot: S)? {
    for i in 0..<kb {
        let rowI = m.row(k0 + i) + k0
        for j in 0..<i {
            let rowJ = UnsafePointer(m.row(k0 + j) + k0)
            rowI[j] = (rowI[j] - FactorKernels.dot(UnsafePointer(rowI), rowJ, j)) / rowJ[j]
        }
        let pivot = rowI[i] - FactorKernels.dot(UnsafePointer(rowI), UnsafePointer(rowI), i)
        // `!(pivot > 0)` also catches NaN.
        if !(pivot > 0) { return (k0 + i, pivot) }
        rowI[i] = pivot.squareRoot()
    }
    return nil
}
