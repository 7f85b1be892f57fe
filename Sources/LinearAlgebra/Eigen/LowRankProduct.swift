import Foundation

/// Factors `P′ = P·F_P` and `Q′ = Q·F_Q`, each with `rank` columns, such that `P′·Q′ᵀ` approximates `P·Qᵀ` as
/// closely as any matrix of that rank can (Eckart–Young), found from the two d × d Gram matrices without forming
/// the n × m product.
///
/// With the Cholesky factor `QᵀQ = L·Lᵀ`, `U = Q·L⁻ᵀ` has orthonormal columns and `P·Qᵀ = (P·L)·Uᵀ`. Multiplying by
/// `Uᵀ` preserves Frobenius norms, so the best rank-r approximation of `P·Qᵀ` is that of `A = P·L`, followed by
/// `Uᵀ`: with `Z` the leading r eigenvectors of `AᵀA = Lᵀ·(PᵀP)·L` (the right singular vectors of `A`),
///
///     P′ = A·Z = P·(L·Z),     Q′ = U·Z = Q·(L⁻ᵀ·Z),     P′·Q′ᵀ = A·Z·Zᵀ·Uᵀ.
///
/// The leading eigenvectors come from randomised subspace iteration (`leadingSymmetricEigen`), so the result is
/// within a small factor of the optimum rather than at it, and exactly so as the spectrum decays. A ridge of
/// 10⁻⁵ of the mean diagonal on `QᵀQ` (more, tenfold at a time, if the factor still fails) keeps `L` defined when
/// `Q` is rank-deficient; it moves the result by about that relative amount. With `sampleRows`, both Gram
/// matrices come from at most that many evenly spaced rows: cheaper, and enough for a caller that uses the factors
/// to find candidates rather than as the product itself.
///
/// Cost: `(n + m)·d²` for the Gram matrices (less with `sampleRows`), O(d³) for the factor and the eigenvectors,
/// and `(n + m)·d·rank` for the factors. A `rank` of at least `d` returns `P` and `Q` themselves.
///
/// Throws `dimensionMismatch` when `P` and `Q` differ in width, `invalidArgument` for a rank or sample below 1,
/// `nonFinite` for NaN or infinity.
public func lowRankProductFactors(_ p: Matrix<Float>, _ q: Matrix<Float>, rank: Int, sampleRows: Int? = nil,
                                  seed: UInt64 = 0) throws -> (p: Matrix<Float>, q: Matrix<Float>) {
    guard p.columns == q.columns else {
        throw LinearAlgebraError.dimensionMismatch("lowRankProductFactors: P has \(p.columns) columns, Q has \(q.columns)")
    }
    guard rank >= 1, (sampleRows ?? 1) >= 1 else {
        throw LinearAlgebraError.invalidArgument("lowRankProductFactors: rank (\(rank)) and sampleRows (\(sampleRows ?? 1)) must be ≥ 1")
    }
    try checkFinite(p, "lowRankProductFactors: P")
    try checkFinite(q, "lowRankProductFactors: Q")
    let d = p.columns
    guard rank < d, p.rows > 0, q.rows > 0 else { return (p, q) }
    func sample(_ m: Matrix<Float>) -> Matrix<Float> {
        guard let limit = sampleRows, m.rows > limit else { return m }
        return m.rows((0..<limit).map { $0 * m.rows / limit })
    }
    let sq = sample(q), sp = sample(p)
    let gq = Matrix.crossProductInDouble(sq, sq)
    let meanDiagonal = max((0..<d).reduce(0.0) { $0 + gq[$1, $1] } / Double(d), .leastNormalMagnitude)
    // A Gram matrix summed from Float products is positive semi-definite only up to its rounding (about 10⁻⁶ of
    // its diagonal), and columns that are nearly dependent leave pivots of that size: the ridge starts above
    // the rounding and grows tenfold until the factor exists.
    var factor: Matrix<Double>? = nil
    var ridge = 1e-5 * meanDiagonal
    while factor == nil {
        var shifted = gq
        for i in 0..<d { shifted[i, i] += ridge }
        do {
            factor = try cholesky(shifted)
        } catch LinearAlgebraError.notPositiveDefinite where ridge < meanDiagonal {
            ridge *= 10
        }
    }
    let l = factor!
    let gp = Matrix.crossProductInDouble(sp, sp)
    let inner = Matrix.multiply(l, .transposed, Matrix.multiply(gp, .none, l))
    let z = try leadingSymmetricEigen(inner, count: rank, iterations: 2, seed: seed).vectors
    let fp = Matrix.multiply(l, .none, z).converted(to: Float.self)
    let fq = try solveTriangular(l, z, lower: true, transpose: true).converted(to: Float.self)
    return (Matrix.multiply(p, .none, fp), Matrix.multiply(q, .none, fq))
}
