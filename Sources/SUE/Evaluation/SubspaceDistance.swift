import Foundation
import LinearAlgebra

/// How far apart the column spaces of two matrices are: the principal angles between them.
///
/// For subspaces 𝒜 = span(A) and ℬ = span(B) with orthonormal bases Q_A, Q_B, the cosines of the principal angles
/// θ₁ ≤ θ₂ ≤ … are the singular values of Q_Aᵀ Q_B (Björck & Golub, *Numerical methods for computing angles
/// between linear subspaces*, Math. Comp. 27, 1973). The largest sine sin θ_max is the distance between the
/// orthogonal projectors, ‖P_A − P_B‖₂ (for equal dimensions), so it is 0 for the same subspace whatever basis
/// either side uses — exactly the sense in which two spectral embeddings "agree up to rotation".
///
/// Sines are computed as √(1 − cos²) in Double; for angles below about 1e-8 that loses everything to rounding
/// (cos θ = 1 exactly), so tiny distances read as 0, which is the right answer at that resolution.
public struct SubspaceComparison: Sendable, Equatable {
    /// sin θᵢ, ascending (most aligned direction first); min(rank A, rank B) of them.
    public let sines: [Double]
    /// sin θ_max: the largest sine, the projector distance for subspaces of equal dimension.
    public var largestSine: Double { sines.last ?? 0 }
    /// ‖sin Θ‖_F = √(Σ sin²θᵢ): the chordal distance on the Grassmannian.
    public var chordalDistance: Double { sines.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    /// The mean of sin²θᵢ: 0 for the same subspace, 1 for orthogonal ones.
    public var meanSquaredSine: Double { sines.isEmpty ? 0 : sines.reduce(0) { $0 + $1 * $1 } / Double(sines.count) }
}

/// The principal angles between the column spaces of `a` and `b` (both n × something, the same n).
///
/// Each side is orthonormalised by Householder QR; columns beyond its numerical rank are dropped (so a zero or
/// repeated column does not pretend to span a direction). Throws on different row counts and NaN/∞.
public func subspaceDistance(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> SubspaceComparison {
    guard a.rows == b.rows else {
        throw AlignmentError.invalidInput("subspaceDistance: A has \(a.rows) rows, B has \(b.rows)")
    }
    let qa = try orthonormalBasis(a, "A"), qb = try orthonormalBasis(b, "B")
    if qa.columns == 0 || qb.columns == 0 { return SubspaceComparison(sines: []) }
    let product = Matrix.multiply(qa, .transposed, qb)
    let cosines = try singularValueDecomposition(product).singularValues
    let sines = cosines.map { (1 - min(1, $0 * $0)).squareRoot() }.sorted()
    return SubspaceComparison(sines: sines)
}

/// Orthonormal basis of span(a) from a Householder QR, keeping the first `rank` columns of Q.
func orthonormalBasis(_ a: Matrix<Double>, _ name: String) throws -> Matrix<Double> {
    guard a.elements.allSatisfy({ $0.isFinite }) else {
        throw AlignmentError.invalidInput("subspaceDistance: \(name) contains NaN or ∞")
    }
    if a.rows == 0 || a.columns == 0 { return Matrix(rows: a.rows, columns: 0) }
    let qr = qrDecomposition(a)
    // Keep the columns whose pivot is significant (QR without pivoting: see QRDecomposition on its rank).
    let kept = (0..<qr.diagonalMagnitudes.count).filter { qr.diagonalMagnitudes[$0] > qr.rankTolerance }
    var q = Matrix<Double>(rows: a.rows, columns: kept.count)
    for i in 0..<a.rows { for (c, j) in kept.enumerated() { q[i, c] = qr.q[i, j] } }
    return q
}
