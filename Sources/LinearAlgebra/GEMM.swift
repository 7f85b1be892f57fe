/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed
}

/// General matrix multiply: `C = alpha * op(A) * op(B) + beta * C`, with `op(X)` = X or Xᵀ.
///
/// Shapes: op(A) is m×k, op(B) is k×n, C is m×n. When `beta == 0`, C is not read (NaNs in C are ignored),
/// following the BLAS convention. Dispatches to the concrete `Float` / `Double` kernel.
@inlinable
public func gemm<S: MatrixScalar>(_ transA: Transpose, _ transB: Transpose, alpha: S = 1,
                                  _ a: MatrixView<S>, _ b: MatrixView<S>, beta: S = 0, _ c: MutableMatrixView<S>) {
    let m = transA == .none ? a.rows : a.columns
    let ka = transA == .none ? a.columns : a.rows
    let kb = transB == .none ? b.rows : b.columns
    let n = transB == .none ? b.columns : b.rows
    precondition(ka == kb, "gemm: inner dimensions differ (\(ka) vs \(kb))")
    precondition(c.rows == m && c.columns == n, "gemm: C is \(c.rows)×\(c.columns), expected \(m)×\(n)")
    S.gemmKernel(transA, transB, alpha: alpha, a, b, beta: beta, c)
}

/// The textbook triple loop, accumulated in the element type; the independent slow reference that the
/// tests compare the fast kernel with. O(mnk), single-threaded.
public func referenceGEMM<S: MatrixScalar>(_ transA: Transpose, _ transB: Transpose, alpha: S,
                                           _ a: MatrixView<S>, _ b: MatrixView<S>, beta: S, _ c: MutableMatrixView<S>) {
    let m = c.rows, n = c.columns
    let k = transA == .none ? a.columns : a.rows
    for i in 0..<m {
        for j in 0..<n {
            var s: S = 0
            for p in 0..<k {
                let x = transA == .none ? a[i, p] : a[p, i]
                let y = transB == .none ? b[p, j] : b[j, p]
                s += x * y
            }
            c[i, j] = beta == 0 ? alpha * s : alpha * s + beta * c[i, j]
        }
    }
}

extension Float {
    public static func gemmKernel(_ transA: Transpose, _ transB: Transpose, alpha: Float,
                                  _ a: MatrixView<Float>, _ b: MatrixView<Float>, beta: Float,
                                  _ c: MutableMatrixView<Float>) {
        // Placeholder until the packed micro-kernel lands: correct, slow.
        referenceGEMM(transA, transB, alpha: alpha, a, b, beta: beta, c)
    }
}

extension Double {
    public static func gemmKernel(_ transA: Transpose, _ transB: Transpose, alpha: Double,
                                  _ a: MatrixView<Double>, _ b: MatrixView<Double>, beta: Double,
                                  _ c: MutableMatrixView<Double>) {
        referenceGEMM(transA, transB, alpha: alpha, a, b, beta: beta, c)
    }
}

extension Matrix {
    /// `op(a) · op(b)` as a new matrix.
    public static func multiply(_ a: Matrix, _ transA: Transpose = .none, _ b: Matrix, _ transB: Transpose = .none,
                                alpha: Scalar = 1) -> Matrix {
        let m = transA == .none ? a.rows : a.columns
        let n = transB == .none ? b.columns : b.rows
        var c = Matrix(rows: m, columns: n)
        a.withView { av in b.withView { bv in c.withMutableView { cv in
            gemm(transA, transB, alpha: alpha, av, bv, beta: 0, cv)
        } } }
        return c
    }

    /// Matrix product `self · other`.
    public func matmul(_ other: Matrix) -> Matrix { Matrix.multiply(self, .none, other, .none) }
}
