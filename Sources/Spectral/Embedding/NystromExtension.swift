import LinearAlgebra

/// Everything the numeric spectral embedding needs to embed *new* points, and nothing more: the training rows
/// (to find a new point's neighbours), their embedding ψ, the random-walk eigenvalues λ of its columns, and k.
///
///     ψ_c(x) = (1/λ_c) Σⱼ P(x, j) ψ_c(xⱼ),   P(x, j) = w(x, xⱼ) / Σⱼ' w(x, xⱼ')
///
/// over the k nearest training points of x, with the D.5 kernel w scaled by x's own ρ and σ (see
/// `FittedNumericSpectralEmbedding.transform`, which uses the same kernel code). Unlike a
/// `FittedNumericSpectralEmbedding` it holds no graph and no eigensolver report, so it is what a model file
/// stores, and building it from the same stored values always gives the same results bit for bit (the
/// neighbour index is rebuilt deterministically from the training rows).
///
/// **Which columns can be extended.** The formula divides by λ_c. A random-walk eigenvalue is at most 1; the
/// neighbour average it divides carries the eigensolver's residual (bounded by its tolerance) and the float32
/// rounding of the distances (about 1e-7 relative), errors of order ε ≈ 1e-6 with the default tolerance, so
/// the extension's relative error is roughly ε/λ_c. Columns with λ_c ≤ `minimumEigenvalue` = 1e-4 (error above
/// about 1 %, or a negative λ, whose eigenvector oscillates between neighbours and has no smooth extension at
/// all) are refused by `init`; `extendableCount(of:)` counts the others, so that a caller can drop the rest.
/// Tiny or low-rank data (few points, many duplicates) is where such eigenvalues appear: the graph has fewer
/// smooth directions than dimensions were asked for.
public struct NystromExtension: Sendable {
    /// The smallest eigenvalue a column may have to be extended (see the type's discussion).
    public static let minimumEigenvalue = 1e-4

    /// n × d: the training rows the embedding was computed on.
    public let trainingRows: Matrix<Float>
    /// n × dimensions: ψ of the training rows.
    public let embedding: Matrix<Double>
    /// λ of each column, all > `minimumEigenvalue`.
    public let eigenvalues: [Double]
    /// k: neighbours of a new point used in the extension (at most n).
    public let neighbors: Int
    /// The distance the neighbour index searches by.
    public var metric: DistanceMetric { index.metric }
    /// Number of embedding coordinates.
    public var dimensions: Int { eigenvalues.count }
    let index: NearestNeighborIndex

    /// Checks that the pieces fit together and builds the neighbour index of `trainingRows`.
    /// - Throws: `SpectralError.dimensionMismatch` when the shapes disagree (naming which),
    ///   `.invalidParameter` for k outside 1...n, `.nystromUndefined` for an eigenvalue ≤ `minimumEigenvalue`,
    ///   and the index's errors for non-finite or (cosine) zero training rows.
    public init(trainingRows: Matrix<Float>, embedding: Matrix<Double>, eigenvalues: [Double], neighbors: Int,
                metric: DistanceMetric) throws {
        guard embedding.rows == trainingRows.rows else {
            throw SpectralError.dimensionMismatch("the embedding has \(embedding.rows) rows but there are \(trainingRows.rows) training rows")
        }
        guard embedding.columns == eigenvalues.count, !eigenvalues.isEmpty else {
            throw SpectralError.dimensionMismatch("the embedding has \(embedding.columns) columns but there are \(eigenvalues.count) eigenvalues (need at least one)")
        }
        guard neighbors >= 1 && neighbors <= trainingRows.rows else {
            throw SpectralError.invalidParameter("neighbors = \(neighbors) needs 1 ≤ k ≤ \(trainingRows.rows) (the training rows)")
        }
        if let c = eigenvalues.firstIndex(where: { !($0 > NystromExtension.minimumEigenvalue) }) {
            throw SpectralError.nystromUndefined(eigenvalue: eigenvalues[c], index: c)
        }
        if let bad = embedding.elements.firstIndex(where: { !$0.isFinite }) {
            throw SpectralError.nonFiniteInput("the embedding has \(embedding.elements[bad]) at row \(bad / embedding.columns), column \(bad % embedding.columns)")
        }
        self.trainingRows = trainingRows
        self.embedding = embedding
        self.eigenvalues = eigenvalues
        self.neighbors = neighbors
        self.index = try NearestNeighborIndex(trainingRows, metric: metric)
    }

    /// How many leading columns can be extended: eigenvalues come largest first, so this is the length of the
    /// prefix above `minimumEigenvalue` (a column after a refused one is refused too, keeping the order).
    public static func extendableCount(of eigenvalues: [Double]) -> Int {
        eigenvalues.prefix { $0 > minimumEigenvalue }.count
    }

    /// The same extension restricted to its first `count` columns.
    public func keepingFirst(_ count: Int) throws -> NystromExtension {
        precondition(count >= 1 && count <= dimensions, "keepingFirst: \(count) of \(dimensions) columns")
        return try NystromExtension(trainingRows: trainingRows, embedding: embedding.columns(0..<count),
                                    eigenvalues: Array(eigenvalues[0..<count]), neighbors: neighbors, metric: metric)
    }

    /// The embedding of the rows of `newX` (m × dimensions).
    public func transform(_ newX: Matrix<Float>) throws -> Matrix<Double> {
        try nystromTransform(newX, index: index, neighbors: neighbors, embedding: embedding, eigenvalues: eigenvalues)
    }
}

/// The Nyström extension of `embedding` (columns with eigenvalues `eigenvalues`) to the rows of `newX`: each row's
/// k nearest training points, its own D.5 kernel scales, then `nystromExtend`. Rows are independent, so they
/// are split in fixed chunks over the threads and the result does not depend on the thread count.
func nystromTransform(_ newX: Matrix<Float>, index: NearestNeighborIndex, neighbors: Int,
                      embedding: Matrix<Double>, eigenvalues: [Double]) throws -> Matrix<Double> {
    let k = min(neighbors, index.count)
    let lists = try index.query(newX, k: k)
    let dims = eigenvalues.count
    var out = Matrix<Double>(rows: newX.rows, columns: dims)
    out.elements.withUnsafeMutableBufferPointer { ob in
        let o = ob.baseAddress!
        Parallel.forEachChunk(newX.rows, chunk: 64) { range in
            for r in range {
                let d = lists.distances(of: r)
                let (rho, sigma) = AdaptiveKernel.scales(sortedDistances: d)
                let weights = d.map { AdaptiveKernel.weight(distance: $0, rho: rho, sigma: sigma) }
                let row = nystromExtend(neighbors: lists.indices(of: r).map { Int($0) }, weights: weights,
                                        embedding: embedding, eigenvalues: eigenvalues)
                for c in 0..<dims { o[r * dims + c] = row[c] }
            }
        }
    }
    return out
}

/// (1/λ_c) Σⱼ (wⱼ/Σw) ψ_c(neighbors[j]) for every coordinate c (zeros when every weight is 0).
func nystromExtend(neighbors: [Int], weights: [Double], embedding: Matrix<Double>, eigenvalues: [Double]) -> [Double] {
    precondition(neighbors.count == weights.count, "extend: \(neighbors.count) neighbours, \(weights.count) weights")
    let total = weights.reduce(0, +)
    var out = [Double](repeating: 0, count: eigenvalues.count)
    guard total > 0 else { return out }
    for (j, w) in zip(neighbors, weights) {
        for c in 0..<out.count { out[c] += w * embedding[j, c] }
    }
    for c in 0..<out.count { out[c] /= total * eigenvalues[c] }
    return out
}
