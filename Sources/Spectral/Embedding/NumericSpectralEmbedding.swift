import Dispatch
import LinearAlgebra

/// What to do when the kNN graph falls apart into several connected components.
public enum DisconnectedGraphStrategy: Sendable, Equatable {
    /// Join the components with weak edges (Borůvka's shortest edge between components, weighted by the D.5
    /// kernel and at least `minimumWeight`), then embed the connected graph. The default: the embedding stays
    /// smooth, and points of a small component land near the points they are closest to.
    case connectWeakly(minimumWeight: Double = 1e-3)
    /// Embed the disconnected graph exactly: S is block diagonal, so each component is solved on its own and
    /// the spectra are merged. Eigenvalue 1 then has the multiplicity of the number of components and its
    /// eigenvectors are component indicators; one (that of the largest component) is dropped as the trivial
    /// one, the others are kept as coordinates that separate the components.
    case embedPerComponent
    /// Throw `SpectralError.disconnectedGraph`.
    case fail
}

/// The numeric spectral embedding of the SUE paper (Sections 3–4, Appendix D.5): the leading non-trivial
/// eigenvectors of the random walk on the data's kNN graph, and their Nyström extension to new points.
///
/// Usage, scikit-learn style — a configuration, `fit` on training data, `transform` for new data:
///
///     let se = NumericSpectralEmbedding(configuration: .init(neighbors: 100, dimensions: 10))
///     let fitted = try se.fit(x)           // x: n × d
///     fitted.embedding                     // n × 10, the training points
///     try fitted.transform(newX)           // m × 10, new points
///
/// **Steps.** (1) exact kNN (`NearestNeighborIndex`); (2) the D.5 affinity W, symmetrised; (3) connected
/// components, handled as `disconnectedGraph` says; (4) the `dimensions + 1` largest eigenpairs of
/// S = D^{-1/2} W D^{-1/2} (`leadingEigenpairs`); (5) the random-walk eigenvectors ψ = D^{-1/2}v of P = D⁻¹W,
/// dropping the trivial constant one, each column's largest-magnitude entry made positive. ψ is normalised by
/// vᵀv = 1, i.e. ψᵀDψ = 1 (the scaling of scikit-learn's `spectral_embedding`).
public struct NumericSpectralEmbedding: Sendable {
    /// The settings of a numeric spectral embedding; the defaults are the paper's.
    public struct Configuration: Sendable {
        /// k of the kNN graph (the paper uses 100).
        public var neighbors: Int
        /// Number of embedding coordinates (the paper uses 10).
        public var dimensions: Int
        /// The distance between data points that defines the kNN graph.
        public var metric: DistanceMetric
        /// What to do when the kNN graph is not connected.
        public var disconnectedGraph: DisconnectedGraphStrategy
        /// How the eigenpairs of S are computed.
        public var eigensolver: EigensolverConfiguration
        /// Return the best available vectors when the eigensolver misses its tolerance within its budget
        /// (the report says so) instead of throwing `eigensolverDidNotConverge`.
        public var allowUnconverged: Bool

        /// Settings with the paper's defaults (k = 100, 10 coordinates, cosine distance), components joined by
        /// weak edges, and a Lanczos tolerance of 1e-7.
        public init(neighbors: Int = 100, dimensions: Int = 10, metric: DistanceMetric = .cosine,
                    disconnectedGraph: DisconnectedGraphStrategy = .connectWeakly(),
                    eigensolver: EigensolverConfiguration = EigensolverConfiguration(tolerance: 1e-7),
                    allowUnconverged: Bool = false) {
            self.neighbors = neighbors
            self.dimensions = dimensions
            self.metric = metric
            self.disconnectedGraph = disconnectedGraph
            self.eigensolver = eigensolver
            self.allowUnconverged = allowUnconverged
        }
    }

    /// The settings `fit` uses.
    public let configuration: Configuration

    /// An embedding with the given settings; nothing is computed until `fit`.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Learns the embedding of the rows of `x` (steps (1)–(5) above).
    ///
    /// - Throws: `SpectralError.invalidParameter` for `dimensions` outside 1...n − 2, `neighbors` outside
    ///   1...n − 1 or a non-positive `connectWeakly` weight; the index's errors for non-finite or (cosine) zero
    ///   rows; `.disconnectedGraph` under `.fail`; `.eigensolverDidNotConverge` unless `allowUnconverged`.
    public func fit(_ x: Matrix<Float>) throws -> FittedNumericSpectralEmbedding {
        let config = configuration
        let n = x.rows
        guard config.dimensions >= 1 && config.dimensions <= n - 2 else {
            throw SpectralError.invalidParameter("dimensions = \(config.dimensions) needs 1 ≤ dimensions ≤ n − 2 = \(n - 2)")
        }
        guard config.neighbors >= 1 && config.neighbors <= n - 1 else {
            throw SpectralError.invalidParameter("neighbors = \(config.neighbors) needs 1 ≤ k ≤ n − 1 = \(n - 1)")
        }
        let index = try NearestNeighborIndex(x, metric: config.metric)
        let neighbors = try index.neighbors(k: config.neighbors)
        let (knnGraph, rho, sigma) = AffinityGraph.paperAffinity(neighbors)
        var graph = knnGraph
        let components = graph.connectedComponents()
        var weakEdges = [(Int, Int, Double)]()
        if components.count > 1 {
            switch config.disconnectedGraph {
            case .fail:
                throw SpectralError.disconnectedGraph(components: components.count,
                                                      largestSizes: Array(components.sizes.prefix(5)))
            case let .connectWeakly(minimumWeight):
                guard minimumWeight > 0 && minimumWeight.isFinite else {
                    throw SpectralError.invalidParameter("connectWeakly minimumWeight = \(minimumWeight) must be positive")
                }
                (graph, weakEdges) = connectComponents(graph, index: index, rho: rho, sigma: sigma,
                                                       minimumWeight: minimumWeight)
            case .embedPerComponent:
                break
            }
        }
        let spectrum = try leadingEigenpairs(of: graph, count: config.dimensions + 1, configuration: config.eigensolver)
        if !spectrum.converged && !config.allowUnconverged {
            throw SpectralError.eigensolverDidNotConverge(report: spectrum.report)
        }
        // ψ = D^{-1/2} v for the non-trivial columns 1...dimensions.
        let degrees = graph.degrees
        var psi = Matrix<Double>(rows: n, columns: config.dimensions)
        for i in 0..<n {
            let scale = 1 / degrees[i].squareRoot()
            for c in 0..<config.dimensions { psi[i, c] = spectrum.eigenvectors[i, c + 1] * scale }
        }
        fixSigns(&psi)
        return FittedNumericSpectralEmbedding(
            configuration: config, embedding: psi, eigenvalues: Array(spectrum.eigenvalues[1...config.dimensions]),
            residualNorms: Array(spectrum.residualNorms[1...config.dimensions]), components: components,
            weakEdges: weakEdges.map { WeakEdge(from: $0.0, to: $0.1, weight: $0.2) },
            solverReport: spectrum.report, graph: graph, index: index)
    }
}

/// An edge added by `DisconnectedGraphStrategy.connectWeakly`.
public struct WeakEdge: Sendable, Equatable {
    /// The vertex the edge was chosen for: a point of a component not yet joined to the largest one.
    public let from: Int
    /// Its nearest point outside its own component.
    public let to: Int
    /// The kernel weight of the pair seen from `from`, raised to `minimumWeight` if it was smaller.
    public let weight: Double
}

/// A fitted numeric spectral embedding: the training embedding and what is needed to extend it.
public struct FittedNumericSpectralEmbedding: Sendable {
    /// The settings the embedding was fitted with.
    public let configuration: NumericSpectralEmbedding.Configuration
    /// n × dimensions: row i is the embedding of training point i.
    public let embedding: Matrix<Double>
    /// Eigenvalues of the random walk for the embedding's columns, largest first (the trivial 1 excluded).
    public let eigenvalues: [Double]
    /// ‖Svᵢ − λᵢvᵢ‖ of the underlying eigenvectors of S.
    public let residualNorms: [Double]
    /// Components of the kNN graph as built (before any weak edges).
    public let components: ConnectedComponents
    /// Edges added to connect the graph (empty unless it was disconnected and `.connectWeakly` was chosen).
    public let weakEdges: [WeakEdge]
    /// The eigensolver's account of its work.
    public let solverReport: String
    /// The graph that was embedded: the D.5 affinity plus any weak edges.
    public let graph: AffinityGraph
    let index: NearestNeighborIndex

    /// Number of training points.
    public var trainingCount: Int { embedding.rows }

    /// The Nyström extension of the embedding to the rows of `newX`:
    ///
    ///     ψ(x) = (1/λ) Σⱼ P(x, j) ψ(xⱼ),   P(x, j) = w(x, xⱼ) / Σⱼ' w(x, xⱼ')
    ///
    /// over the k nearest training points of x, with the D.5 kernel w scaled by x's own ρ and σ (from its k
    /// distances), exactly as a training row of W is built. This is one step of the random walk from x followed
    /// by division by the eigenvalue — the eigen-equation Pψ = λψ read at a new point (Nyström 1930; Bengio et
    /// al., *Out-of-sample extensions for LLE, Isomap, MDS, Eigenmaps and spectral clustering*, NIPS 2003).
    ///
    /// - Throws: `SpectralError.nystromUndefined` if an eigenvalue is not above 1e-12 (a `NystromExtension`
    ///   applies the stricter `NystromExtension.minimumEigenvalue`), and the index's errors for queries of the
    ///   wrong width, non-finite rows or (cosine) zero rows.
    public func transform(_ newX: Matrix<Float>) throws -> Matrix<Double> {
        if let c = eigenvalues.firstIndex(where: { !($0 > 1e-12) }) {
            throw SpectralError.nystromUndefined(eigenvalue: eigenvalues[c], index: c)
        }
        return try nystromTransform(newX, index: index, neighbors: configuration.neighbors, embedding: embedding,
                                    eigenvalues: eigenvalues)
    }

    /// The Nyström formula for one point from its affinities `weights` to the training points `neighbors`:
    /// (1/λ_c) Σⱼ (wⱼ/Σw) ψ_c(neighbors[j]) for every coordinate c. With a training point's own row of the
    /// symmetrised W it returns that point's embedding (up to the eigensolver's residual), since Pψ = λψ.
    public func extend(neighbors: [Int], weights: [Double]) -> [Double] {
        nystromExtend(neighbors: neighbors, weights: weights, embedding: embedding, eigenvalues: eigenvalues)
    }
}
