import Foundation
import LinearAlgebra

/// SpectralNet's orthonormalisation layer (Shaham et al., *SpectralNet*, ICLR 2018, Sec. 3.1): a linear map W
/// computed from a batch Ỹ (m × K) of network outputs so that Y = Ỹ W satisfies YᵀY = m·I.
///
/// **Computation.** Householder QR Ỹ = Q R gives Y = Ỹ·√m·R⁻¹ = √m·Q, orthonormal by construction. The reference
/// implementation instead takes the Cholesky factor of ỸᵀỸ, which squares the condition number and *fails*
/// outright when the batch output is rank deficient — which does happen: saturated tanh units or dead LeakyReLU
/// paths can make two output columns (nearly) proportional, and then training stops with a Cholesky error or
/// NaNs. QR avoids the squaring; the rank check below catches the rest.
///
/// **Collapse and recovery.** The output counts as rank deficient when the QR's numerical rank is below K or when
/// its smallest pivot is under 10⁻⁵ of the largest (a condition number above 10⁵, beyond which a Float W
/// amplifies rounding noise into the gradient). Then W is built from a ridge-regularised Gram matrix,
/// G = ỸᵀỸ + δI with δ = 10⁻⁴·trace(ỸᵀỸ)/K (or 1 if Ỹ is all zero): W = √m·L⁻ᵀ with G = LLᵀ. Directions the batch
/// does not span are amplified by at most 1/√δ instead of ∞, the loss stays finite, and the gradient can pull
/// the columns apart again. `recovered` reports that this happened so that callers can count and report it.
public struct OrthonormalizationLayer: Sendable {
    /// K × K: Y = Ỹ · weights.
    public let weights: Matrix<Float>
    /// Numerical rank of the batch output.
    public let rank: Int
    /// True when the regularised fallback was used (rank-deficient or badly conditioned batch).
    public let recovered: Bool

    /// The layer for batch output `y` (m × K).
    /// - Throws: `AlignmentError.trainingDiverged` when `y` contains NaN/∞ (nothing can be recovered from that).
    public init(batchOutput y: Matrix<Float>) throws {
        let m = y.rows, k = y.columns
        guard y.elements.allSatisfy({ $0.isFinite }) else {
            throw AlignmentError.trainingDiverged("the network output on an orthonormalisation batch contains NaN or ∞")
        }
        precondition(k > 0 && m > 0, "OrthonormalizationLayer: empty batch output")
        let yd = y.converted(to: Double.self)
        let scale = Double(m).squareRoot()
        if m >= k {
            let qr = qrDecomposition(yd)
            let pivots = qr.diagonalMagnitudes
            let largest = pivots.max() ?? 0, smallest = pivots.min() ?? 0
            if qr.rank == k && smallest > 1e-5 * largest,
               let inverse = try? invertTriangular(Matrix(rows: k, columns: k) { qr.r[$0, $1] }, lower: false) {
                var w = Matrix<Float>(rows: k, columns: k)
                for i in 0..<k { for j in 0..<k { w[i, j] = Float(scale * inverse[i, j]) } }
                weights = w
                rank = k
                recovered = false
                return
            }
            rank = qr.rank
        } else {
            rank = min(m, k)
        }
        // Regularised fallback: W = √m · L⁻ᵀ with LLᵀ = ỸᵀỸ + δI.
        var gram = Matrix.multiply(yd, .transposed, yd)
        var trace = 0.0
        for i in 0..<k { trace += gram[i, i] }
        let delta = trace > 0 ? 1e-4 * trace / Double(k) : 1
        for i in 0..<k { gram[i, i] += delta }
        let l = try cholesky(gram)
        let inverse = try invertTriangular(l, lower: true)   // L⁻¹; W = √m (L⁻¹)ᵀ
        var w = Matrix<Float>(rows: k, columns: k)
        for i in 0..<k { for j in 0..<k { w[i, j] = Float(scale * inverse[j, i]) } }
        weights = w
        recovered = true
    }
}
