import XCTest
import LinearAlgebra

/// Helpers for the factorisation tests: independent slow references (plain loops in Double), random
/// orthogonal matrices, matrices with prescribed spectra, and LAPACK-style scaled residuals.
enum FactorCheck {
    /// Frobenius norm, accumulated in Double.
    static func norm<S: MatrixScalar>(_ a: Matrix<S>) -> Double {
        var s = 0.0
        for x in a.elements { s += Double(x) * Double(x) }
        return s.squareRoot()
    }

    /// `op(a)·op(b)` by the textbook triple loop in Double (independent of `gemm`).
    static func product<S: MatrixScalar>(_ a: Matrix<S>, _ ta: Bool = false, _ b: Matrix<S>, _ tb: Bool = false) -> Matrix<Double> {
        let m = ta ? a.columns : a.rows, k = ta ? a.rows : a.columns
        let n = tb ? b.rows : b.columns
        precondition((tb ? b.columns : b.rows) == k)
        var c = Matrix<Double>(rows: m, columns: n)
        for i in 0..<m {
            for p in 0..<k {
                let x = Double(ta ? a[p, i] : a[i, p])
                if x == 0 { continue }
                for j in 0..<n { c[i, j] += x * Double(tb ? b[j, p] : b[p, j]) }
            }
        }
        return c
    }

    /// ‖a − b‖_F in Double.
    static func distance<S: MatrixScalar>(_ a: Matrix<S>, _ b: Matrix<Double>) -> Double {
        precondition(a.rows == b.rows && a.columns == b.columns)
        var s = 0.0
        for i in 0..<a.elements.count { let d = Double(a.elements[i]) - b.elements[i]; s += d * d }
        return s.squareRoot()
    }

    /// ‖QᵀQ − I‖_F / (n·ε) for the columns of `q` (n = number of rows, at least 1).
    static func orthogonality<S: MatrixScalar>(_ q: Matrix<S>) -> Double {
        let g = product(q, true, q)
        var s = 0.0
        for i in 0..<g.rows { for j in 0..<g.columns { let d = g[i, j] - (i == j ? 1 : 0); s += d * d } }
        return s.squareRoot() / (Double(max(q.rows, 1)) * Double(S.ulpOfOne))
    }

    /// A Haar-ish random orthogonal n×n matrix (Gram–Schmidt applied twice to a Gaussian matrix, in Double).
    static func randomOrthogonal(_ n: Int, seed: UInt64) -> Matrix<Double> {
        var rng = SeededRandom(seed: seed)
        let g: Matrix<Double> = rng.normalMatrix(n, n)
        var cols = (0..<n).map { g.column($0) }
        for j in 0..<n {
            for _ in 0..<2 {
                for i in 0..<j {
                    var d = 0.0
                    for r in 0..<n { d += cols[i][r] * cols[j][r] }
                    for r in 0..<n { cols[j][r] -= d * cols[i][r] }
                }
            }
            let nrm = cols[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            cols[j] = cols[j].map { $0 / nrm }
        }
        return Matrix<Double>(rows: n, columns: n) { i, j in cols[j][i] }
    }

    /// `U·diag(s)·Vᵀ` with random orthogonal U (m×m) and V (n×n); s has min(m, n) entries.
    static func withSingularValues<S: MatrixScalar>(_ s: [Double], rows m: Int, columns n: Int, seed: UInt64) -> Matrix<S> {
        let u = randomOrthogonal(m, seed: seed), v = randomOrthogonal(n, seed: seed &+ 1)
        var us = Matrix<Double>(rows: m, columns: n)
        for i in 0..<m { for j in 0..<min(m, n) { us[i, j] = u[i, j] * s[j] } }
        return product(us, false, v, true).converted(to: S.self)
    }

    /// Symmetric `Q·diag(λ)·Qᵀ` with a random orthogonal Q.
    static func withEigenvalues<S: MatrixScalar>(_ lambda: [Double], seed: UInt64) -> Matrix<S> {
        let n = lambda.count
        let q = randomOrthogonal(n, seed: seed)
        var ql = q
        for i in 0..<n { for j in 0..<n { ql[i, j] *= lambda[j] } }
        var a = product(ql, false, q, true)
        for i in 0..<n { for j in 0..<i { let x = 0.5 * (a[i, j] + a[j, i]); a[i, j] = x; a[j, i] = x } }
        return a.converted(to: S.self)
    }

    /// Random symmetric matrix with N(0,1) entries.
    static func randomSymmetric<S: MatrixScalar>(_ n: Int, seed: UInt64) -> Matrix<S> {
        var rng = SeededRandom(seed: seed)
        let g: Matrix<Double> = rng.normalMatrix(n, n)
        return Matrix<Double>(rows: n, columns: n) { i, j in i >= j ? g[i, j] : g[j, i] }.converted(to: S.self)
    }

    /// SPD matrix `M·Mᵀ/n + I` (the benchmark's input).
    static func randomSPD<S: MatrixScalar>(_ n: Int, seed: UInt64) -> Matrix<S> {
        var rng = SeededRandom(seed: seed)
        let m: Matrix<Double> = rng.normalMatrix(n, n)
        var a = product(m, false, m, true)
        for i in 0..<n { for j in 0..<n { a[i, j] = a[i, j] / Double(n) + (i == j ? 1 : 0) } }
        return a.converted(to: S.self)
    }
}
