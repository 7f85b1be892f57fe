import LinearAlgebra

/// Projects the rows of two matrices that live in one shared space onto the same 2-D plane, for pictures.
///
/// The plane is spanned by the two leading principal directions of the *union* of the rows (joint PCA):
/// both modalities are centred with one common mean and projected with one common basis, so whatever
/// separates or aligns them in the shared space is what the picture shows (a per-modality projection
/// would align them artificially). The covariance is d × d with d the shared dimension (typically 8–16),
/// so its two leading eigenvectors are found by power iteration with deflation (Golub & Van Loan,
/// *Matrix Computations*, §7.3.1): cheap, dependency-free and deterministic (fixed start vector, fixed
/// iteration cap). Signs are fixed so that the largest-magnitude entry of each direction is positive,
/// so equal inputs always give the same picture.
public enum PlanarProjection {
    /// Joint-PCA coordinates of the rows of `x` and of `y` (which must have the same number of columns).
    public static func principalPlane<S: MatrixScalar>(_ x: Matrix<S>, _ y: Matrix<S>)
        -> (x: [SIMD2<Double>], y: [SIMD2<Double>]) {
        precondition(x.columns == y.columns, "both modalities must be in the same space")
        let d = x.columns
        let n = x.rows + y.rows
        guard d > 0, n > 0 else {
            return ([SIMD2<Double>](repeating: .zero, count: x.rows), [SIMD2<Double>](repeating: .zero, count: y.rows))
        }
        let rows = x.converted(to: Double.self).elements + y.converted(to: Double.self).elements

        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += rows[i * d + j] } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = Matrix<Double>(rows: n, columns: d, elements: rows)
        for i in 0..<n { for j in 0..<d { centred[i, j] -= mean[j] } }
        var covariance = Matrix.multiply(centred, .transposed, centred)

        var directions = [[Double]]()
        for component in 0..<min(2, d) {
            let v = leadingEigenvector(covariance, seed: component)
            directions.append(v)
            // Deflation: C ← C − λ v vᵀ removes the found direction.
            let lambda = rayleighQuotient(covariance, v)
            for a in 0..<d { for b in 0..<d { covariance[a, b] -= lambda * v[a] * v[b] } }
        }
        while directions.count < 2 { directions.append([Double](repeating: 0, count: d)) }

        func project(_ start: Int, _ count: Int) -> [SIMD2<Double>] {
            (start..<(start + count)).map { i in
                var p = SIMD2<Double>.zero
                for j in 0..<d {
                    let c = centred[i, j]
                    p.x += c * directions[0][j]
                    p.y += c * directions[1][j]
                }
                return p
            }
        }
        return (project(0, x.rows), project(x.rows, y.rows))
    }

    private static func rayleighQuotient(_ c: Matrix<Double>, _ v: [Double]) -> Double {
        let cv = multiply(c, v)
        return zip(v, cv).reduce(0) { $0 + $1.0 * $1.1 }
    }

    private static func multiply(_ c: Matrix<Double>, _ v: [Double]) -> [Double] {
        (0..<c.rows).map { a in (0..<c.columns).reduce(0) { $0 + c[a, $1] * v[$1] } }
    }

    /// Power iteration from a fixed, generic start vector; converges at the rate |λ₂/λ₁| per step.
    /// 500 steps suffice for pictures even with close eigenvalues (any vector in a near-degenerate
    /// leading eigenspace is an equally faithful view).
    private static func leadingEigenvector(_ c: Matrix<Double>, seed: Int) -> [Double] {
        let d = c.rows
        var v = (0..<d).map { 1 + 0.1 * Double(($0 * 7 + seed * 3) % 11) }
        normalise(&v)
        for _ in 0..<500 {
            var w = multiply(c, v)
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm == 0 || !norm.isFinite { return [Double](repeating: 0, count: d) }
            for j in 0..<d { w[j] /= norm }
            let change = zip(v, w).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            v = w
            if change < 1e-24 { break }
        }
        // Deterministic sign: the largest-magnitude entry is positive.
        if let k = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[k] < 0 { v = v.map { -$0 } }
        return v
    }

    private static func normalise(_ v: inout [Double]) {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { for j in v.indices { v[j] /= norm } }
    }
}
