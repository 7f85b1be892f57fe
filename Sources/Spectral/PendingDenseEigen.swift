import Foundation
import LinearAlgebra

// TEMPORARY: stands in for LinearAlgebra.symmetricEigen until the `factor` branch is merged; then
// `denseSymmetricEigen` below calls `symmetricEigen(_:method:)` and this Jacobi goes away.

/// Eigenvalues ascending, eigenvectors as columns.
func denseSymmetricEigen(_ a: Matrix<Double>) throws -> (values: [Double], vectors: Matrix<Double>) {
    let n = a.rows
    var m = a, v = Matrix<Double>.identity(n)
    for _ in 0..<60 {
        var off = 0.0
        for i in 0..<n { for j in 0..<n where i != j { off += m[i, j] * m[i, j] } }
        if off < 1e-30 { break }
        for p in 0..<n {
            for q in (p + 1)..<max(p + 1, n) where abs(m[p, q]) > 1e-300 {
                let theta = (m[q, q] - m[p, p]) / (2 * m[p, q])
                let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let mkp = m[k, p], mkq = m[k, q]
                    m[k, p] = c * mkp - s * mkq; m[k, q] = s * mkp + c * mkq
                }
                for k in 0..<n {
                    let mpk = m[p, k], mqk = m[q, k]
                    m[p, k] = c * mpk - s * mqk; m[q, k] = s * mpk + c * mqk
                }
                for k in 0..<n {
                    let vkp = v[k, p], vkq = v[k, q]
                    v[k, p] = c * vkp - s * vkq; v[k, q] = s * vkp + c * vkq
                }
            }
        }
    }
    let order = (0..<n).sorted { m[$0, $0] < m[$1, $1] || (m[$0, $0] == m[$1, $1] && $0 < $1) }
    return (order.map { m[$0, $0] }, Matrix(rows: n, columns: n) { i, j in v[i, order[j]] })
}
