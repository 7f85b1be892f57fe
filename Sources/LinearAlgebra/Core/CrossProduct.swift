import Foundation

extension Matrix where Scalar == Float {
    /// `PᵀQ` for tall Float matrices with the same number of rows (n × p and n × q → p × q), accumulated in
    /// Double across row blocks: `Σ_b Double(P_bᵀ·Q_b)`, each block a Float GEMM over `blockRows` rows.
    ///
    /// Why: covariance-type products (`AᵀA`, `AᵀB` over thousands of samples) need more than Float's seven
    /// digits when n is large, but a Double GEMM is much slower than the Float one (half the SIMD lanes per
    /// register, twice the bytes per element). Blocking gets most of both. Error bound, elementwise
    /// (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1 and §4.2 for the blocked sum):
    ///
    ///     |computed − PᵀQ| ≤ (b·u_f + ⌈n/b⌉·u_d) · |P|ᵀ|Q|   (to first order)
    ///
    /// with b = `blockRows`, u_f = 2⁻²⁴ and u_d = 2⁻⁵³: each block is an inner product of length b in Float,
    /// converting its result to Double is exact, and the ⌈n/b⌉ partial sums are added in Double. For b = 256
    /// that is ≈ 1.5·10⁻⁵ relative to |P|ᵀ|Q| in the worst case and ≈ √b·u_f ≈ 10⁻⁶ typically, against n·u_f
    /// (6·10⁻⁴ at n = 10⁴) for one Float GEMM over all rows.
    /// Inputs that are themselves rounded to Float already carry 2·u_f of relative error per product.
    ///
    /// Deterministic: the blocks are fixed by `blockRows` alone, so the result does not depend on the thread count.
    public static func crossProductInDouble(_ p: Matrix<Float>, _ q: Matrix<Float>, blockRows: Int = 256) -> Matrix<Double> {
        precondition(p.rows == q.rows, "crossProductInDouble: \(p.rows) rows against \(q.rows)")
        precondition(blockRows >= 1, "crossProductInDouble: blockRows must be ≥ 1")
        var sum = Matrix<Double>(rows: p.columns, columns: q.columns)
        guard p.columns > 0, q.columns > 0 else { return sum }
        var block = Matrix<Float>(rows: p.columns, columns: q.columns)
        p.withView { pv in q.withView { qv in
            var start = 0
            while start < p.rows {
                let rows = start..<min(start + blockRows, p.rows)
                block.withMutableView { bv in gemm(.transposed, .none, pv.rows(rows), qv.rows(rows), beta: 0, bv) }
                for k in sum.elements.indices { sum.elements[k] += Double(block.elements[k]) }
                start = rows.upperBound
            }
        } }
        return sum
    }
}
