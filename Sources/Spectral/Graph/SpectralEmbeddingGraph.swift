import LinearAlgebra

/// The graph the numeric spectral embedding is computed on, as a step of its own: exact kNN, the D.5 affinity
/// (symmetrised), and the components joined as `disconnectedGraph` says (weak Borůvka edges by default).
///
/// These are steps (1)–(3) of `NumericSpectralEmbedding.fit`, for methods that must work on *the same* graph
/// without its eigenvectors — SpectralNet with the global affinity trains on this graph's edges, so that the
/// network minimises the Rayleigh quotient whose minimisers the numeric SE computes. `.embedPerComponent` and
/// `.fail` behave as in the numeric SE (the first returns the graph as built, the second throws).
public func spectralEmbeddingGraph(_ x: Matrix<Float>, neighbors k: Int, metric: DistanceMetric = .cosine,
                                   disconnectedGraph: DisconnectedGraphStrategy = .connectWeakly()) throws -> AffinityGraph {
    guard k >= 1 && k <= x.rows - 1 else {
        throw SpectralError.invalidParameter("neighbors = \(k) needs 1 ≤ k ≤ n − 1 = \(x.rows - 1)")
    }
    let index = try NearestNeighborIndex(x, metric: metric)
    let (graph, rho, sigma) = AffinityGraph.paperAffinity(try index.neighbors(k: k))
    let components = graph.connectedComponents()
    guard components.count > 1 else { return graph }
    switch disconnectedGraph {
    case .fail:
        throw SpectralError.disconnectedGraph(components: components.count, largestSizes: Array(components.sizes.prefix(5)))
    case .embedPerComponent:
        return graph
    case let .connectWeakly(minimumWeight):
        guard minimumWeight > 0 && minimumWeight.isFinite else {
            throw SpectralError.invalidParameter("connectWeakly minimumWeight = \(minimumWeight) must be positive")
        }
        return connectComponents(graph, index: index, rho: rho, sigma: sigma, minimumWeight: minimumWeight).graph
    }
}
