import Foundation
import LinearAlgebra
import Spectral

/// How well an embedding Y (n × k) of a graph's vertices reproduces the graph's spectral embedding ψ (the numeric
/// SE: the k leading non-trivial random-walk eigenvectors), measured three ways.
///
/// **Why more than the largest principal-angle sine.** When the spectrum is flat around the k-th eigenvalue
/// (λ_k ≈ λ_{k+1}), the k-dimensional eigenspace is ill-posed: by the Davis–Kahan sin Θ theorem (Davis & Kahan,
/// *The rotation of eigenvectors by a perturbation III*, SIAM J. Numer. Anal. 7, 1970) a perturbation of size ε
/// may turn it by sin θ ≈ ε / (λ_k − λ_{k+1}), so *any* approximation — another eigensolver tolerance, one more
/// neighbour in the graph — can swap the k-th eigenvector for the (k+1)-th and read sin θ_max ≈ 1. The measures
/// below separate "wrong subspace" from "an equally good subspace":
///
/// - `subspace`: all principal-angle sines between span{1, Y} and span{1, ψ} (Euclidean), with their mean square.
/// - `ritzValues` and `rayleighRatio`: the Rayleigh quotient of the random-walk Laplacian L = I − D⁻¹W on span{1, Y},
///   in the graph's own objective. With V an orthonormal basis of D^{1/2}·span{1, Y}, the Ritz values are the
///   eigenvalues of I − VᵀSV (S = D^{-1/2}WD^{-1/2}); their sum is min tr(ZᵀLZ) over D-orthonormal bases Z of the
///   span, and by Ky Fan's minimum principle (Ky Fan, *On a theorem of Weyl*, PNAS 35, 1949) it is at least the sum
///   of the k + 1 smallest eigenvalues of L, with equality exactly for the eigenspace. The ratio is 1 for the
///   optimal subspace and grows as the embedding captures rougher functions; it stays near 1 for a subspace that
///   differs from ψ only inside a cluster of near-equal eigenvalues, where the sines cannot.
/// - `eigenvectorSines`: for each ψⱼ, the sine of its angle to span{1, Y} in the D-inner product (the one in which
///   the ψⱼ are orthonormal): which eigenvectors are captured and which are missed. With a spectral gap after the
///   j-th eigenvalue the first j should be small even when the last ones are not.
public struct SpectralAgreement: Sendable {
    /// Principal angles between span{1, Y} and span{1, ψ}.
    public let subspace: SubspaceComparison
    /// Ritz values μ of L on span{1, Y}, ascending (the first ≈ 0: the constant). μ = 1 − λ for eigenvalues λ of P.
    public let ritzValues: [Double]
    /// The smallest eigenvalues of L, 0 (the constant) and 1 − λⱼ of the numeric SE, as many as `ritzValues`.
    public let optimalValues: [Double]
    /// sin of the D-angle between each numeric eigenvector ψⱼ and span{1, Y}.
    public let eigenvectorSines: [Double]

    /// Σ μ over span{1, Y}: the graph's Rayleigh quotient trace of the embedding.
    public var rayleighTrace: Double { ritzValues.reduce(0, +) }
    /// Σ of the optimal values: the trace of the exact eigenspace.
    public var optimalTrace: Double { optimalValues.reduce(0, +) }
    /// rayleighTrace / optimalTrace ≥ 1 (up to the eigensolver's tolerance); 1 means an optimal subspace.
    public var rayleighRatio: Double { optimalTrace > 0 ? rayleighTrace / optimalTrace : .infinity }
}

/// Compares `embedding` (n × k, one row per training point of `numeric`) with the first k columns of the numeric SE,
/// on the numeric SE's own graph. Throws on a row-count mismatch, NaN/∞, or when `numeric` has fewer than k columns.
public func spectralAgreement(_ embedding: Matrix<Double>,
                              with numeric: FittedNumericSpectralEmbedding) throws -> SpectralAgreement {
    let n = embedding.rows, k = embedding.columns
    guard n == numeric.trainingCount else {
        throw AlignmentError.invalidInput("spectralAgreement: the embedding has \(n) rows, the numeric SE \(numeric.trainingCount)")
    }
    guard k >= 1 && k <= numeric.eigenvalues.count else {
        throw AlignmentError.invalidInput("spectralAgreement: the embedding has \(k) columns, the numeric SE \(numeric.eigenvalues.count)")
    }
    guard embedding.elements.allSatisfy({ $0.isFinite }) else {
        throw AlignmentError.invalidInput("spectralAgreement: the embedding contains NaN or ∞")
    }
    let psi = Matrix<Double>(rows: n, columns: k) { numeric.embedding[$0, $1] }
    let withConstant = { (m: Matrix<Double>) in
        Matrix<Double>(rows: n, columns: k + 1) { i, j in j == 0 ? 1 : m[i, j - 1] }
    }
    let subspace = try subspaceDistance(withConstant(embedding), withConstant(psi))

    let adjacency: NormalizedAdjacency
    do { adjacency = try NormalizedAdjacency(numeric.graph) } catch {
        throw AlignmentError.invalidInput("spectralAgreement: the numeric SE's graph: \(error)")
    }
    let sqrtDegrees = adjacency.degrees.map { $0.squareRoot() }
    // V: orthonormal basis of D^{1/2} span{1, Y}; the Ritz values are the eigenvalues of I − VᵀSV.
    var scaled = withConstant(embedding)
    for i in 0..<n { for j in 0...k { scaled[i, j] *= sqrtDegrees[i] } }
    let v = try orthonormalBasis(scaled, "the embedding")
    let r = v.columns
    let sv = adjacency.matrix.multiply(v)
    var m = Matrix.multiply(v, .transposed, sv)
    for i in 0..<r { for j in 0..<i { let s = 0.5 * (m[i, j] + m[j, i]); m[i, j] = s; m[j, i] = s } }
    let ritz = try symmetricEigenvalues(m).map { 1 - $0 }.sorted()
    let optimal = Array(([0] + numeric.eigenvalues.prefix(k).map { 1 - $0 }).prefix(r))

    // Each ψⱼ in the D-inner product: u = D^{1/2}ψⱼ / ‖·‖, sine = ‖u − VVᵀu‖.
    var sines = [Double]()
    for j in 0..<k {
        var u = (0..<n).map { sqrtDegrees[$0] * psi[$0, j] }
        let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { sines.append(1); continue }
        for i in 0..<n { u[i] /= norm }
        var captured = 0.0
        for c in 0..<r {
            var dot = 0.0
            for i in 0..<n { dot += v[i, c] * u[i] }
            captured += dot * dot
        }
        sines.append(max(0, 1 - captured).squareRoot())
    }
    return SpectralAgreement(subspace: subspace, ritzValues: ritz, optimalValues: optimal, eigenvectorSines: sines)
}
