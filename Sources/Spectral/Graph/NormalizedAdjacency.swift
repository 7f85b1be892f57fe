import LinearAlgebra

/// The symmetric normalisation S = D^{-1/2} W D^{-1/2} of a graph's weight matrix W (D = diag of the degrees).
///
/// Why S: the random walk P = D⁻¹W is not symmetric, but it is similar to S (P = D^{-1/2} S D^{1/2}), so both
/// have the same eigenvalues, and ψ = D^{-1/2}v is an eigenvector of P whenever v is one of S. Working with S
/// lets us use symmetric solvers (orthonormal eigenvectors, Lanczos). All eigenvalues of S lie in [−1, 1], and
/// v₀ = D^{1/2}𝟙/‖D^{1/2}𝟙‖ is an eigenvector for eigenvalue 1 on a connected graph (ψ₀ = constant: the trivial one).
public struct NormalizedAdjacency: Sendable {
    /// The graph whose weight matrix W is normalised.
    public let graph: AffinityGraph
    /// dᵢ = Σⱼ Wᵢⱼ.
    public let degrees: [Double]
    /// dᵢ^{-1/2}.
    public let inverseSqrtDegrees: [Double]
    /// S itself.
    public let matrix: SparseMatrix<Double>

    /// Throws `isolatedVertex` when a vertex has zero degree (D^{-1/2} undefined).
    public init(_ graph: AffinityGraph) throws {
        let degrees = graph.degrees
        if let i = degrees.firstIndex(where: { !($0 > 0) }) { throw SpectralError.isolatedVertex(i) }
        self.graph = graph
        self.degrees = degrees
        let inv = degrees.map { 1 / $0.squareRoot() }
        self.inverseSqrtDegrees = inv
        let w = graph.matrix, rp = w.rowPointers, ci = w.columnIndices
        var values = w.values
        for i in 0..<graph.vertexCount {
            for p in rp[i]..<rp[i + 1] { values[p] = inv[i] * values[p] * inv[ci[p]] }
        }
        self.matrix = try! SparseMatrix(rows: w.rows, columns: w.columns, rowPointers: rp, columnIndices: ci, values: values)
    }

    /// Number of vertices n, the order of S.
    public var dimension: Int { graph.vertexCount }

    /// y ← S·x (parallel SpMV; each row summed in column order, so deterministic).
    public func apply(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) {
        matrix.multiply(x, into: y)
    }

    /// S·x for an array.
    public func apply(_ x: [Double]) -> [Double] { matrix.multiply(x) }

    /// The unit eigenvector D^{1/2}𝟙/‖D^{1/2}𝟙‖ of eigenvalue 1 (exact for a connected graph; on a disconnected
    /// graph use it per component).
    public var trivialEigenvector: [Double] {
        let volume = degrees.reduce(0, +)
        return degrees.map { ($0 / volume).squareRoot() }
    }

    /// S as a dense matrix.
    public func dense() -> Matrix<Double> { matrix.dense() }
}
