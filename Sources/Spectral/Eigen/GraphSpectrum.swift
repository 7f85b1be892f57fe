import LinearAlgebra

/// How the leading eigenpairs of S are computed.
public struct EigensolverConfiguration: Sendable {
    /// Which eigensolver `leadingEigenpairs` uses for each connected component.
    public enum Method: Sendable {
        /// Dense for components of at most `denseThreshold` vertices, Lanczos above.
        case automatic
        /// Always the dense symmetric eigensolver (O(n³) time, O(n²) memory).
        case dense
        /// Always Lanczos.
        case lanczos
    }

    /// The solver choice (`.automatic` by default).
    public var method: Method = .automatic
    /// Largest component solved densely by `.automatic`.
    public var denseThreshold: Int = 1000
    /// Residual tolerance for Lanczos: ‖Sx − θx‖ ≤ tolerance·‖S‖ (‖S‖ = 1 here).
    public var tolerance: Double = 1e-8
    /// Lanczos basis size (nil: the solver's default).
    public var basisSize: Int? = nil
    /// Lanczos budget of matrix–vector products, per component.
    public var maxMatrixVectorProducts: Int = 10_000
    /// Optional Lanczos wall-clock budget in seconds, per component.
    public var timeLimit: Double? = nil
    /// Seed of the Lanczos start vector.
    public var seed: UInt64 = 0

    /// Settings with the given values; each argument sets the property of the same name.
    public init(method: Method = .automatic, denseThreshold: Int = 1000, tolerance: Double = 1e-8,
                basisSize: Int? = nil, maxMatrixVectorProducts: Int = 10_000, timeLimit: Double? = nil,
                seed: UInt64 = 0) {
        self.method = method
        self.denseThreshold = denseThreshold
        self.tolerance = tolerance
        self.basisSize = basisSize
        self.maxMatrixVectorProducts = maxMatrixVectorProducts
        self.timeLimit = timeLimit
        self.seed = seed
    }
}

/// Leading eigenpairs of S = D^{-1/2} W D^{-1/2}.
public struct GraphSpectrum: Sendable {
    /// Eigenvalues of S (equal to those of the random walk D⁻¹W), largest first, trivial ones included.
    public let eigenvalues: [Double]
    /// Unit eigenvectors of S as the columns of an n × count matrix; the sign makes each column's entry of
    /// largest magnitude positive (first such entry on ties).
    public let eigenvectors: Matrix<Double>
    /// ‖Svᵢ − λᵢvᵢ‖ for each returned pair, recomputed.
    public let residualNorms: [Double]
    /// Number of leading pairs that are trivial: eigenvalue 1 with a component indicator as random-walk vector.
    public let trivialCount: Int
    /// Whether every iterative solve met its tolerance.
    public let converged: Bool
    /// What was done, per component, for the user.
    public let report: String
}

/// The `count` largest eigenpairs of S = D^{-1/2} W D^{-1/2} (trivial ones included).
///
/// S is block diagonal over the connected components, so its spectrum is the union of theirs: each component is
/// solved on its own and the results are merged (largest eigenvalue first; ties go to the larger component, and
/// within a component to the trivial pair). That gives eigenvalue 1 exactly the multiplicity of the number of
/// components, which a single Krylov run could not guarantee (it sees one direction per eigenspace).
///
/// In each component the trivial pair (1, D^{1/2}𝟙) is known in closed form; it is deflated (orthogonalised away in
/// Lanczos, shifted to −2 in the dense path) so that the solver spends nothing on it and can never mix it with a
/// nearby eigenvalue.
public func leadingEigenpairs(of graph: AffinityGraph, count: Int,
                              configuration: EigensolverConfiguration = EigensolverConfiguration()) throws
    -> GraphSpectrum {
    let n = graph.vertexCount
    guard count >= 1 && count <= n else {
        throw SpectralError.invalidParameter("eigenpair count = \(count) needs 1 ≤ count ≤ n = \(n)")
    }
    let components = graph.connectedComponents()
    var pieces: [(component: Int, members: [Int], values: [Double], vectors: Matrix<Double>, residuals: [Double])] = []
    var converged = true
    var reports = [String]()
    if components.count == 1 {
        let s = try solveConnected(graph, count: count, configuration: configuration)
        pieces.append((0, [], s.values, s.vectors, s.residuals))
        converged = s.converged
        reports.append(s.report)
    } else {
        for c in 0..<components.count {
            let members = components.members(of: c)
            let wanted = min(count, members.count)
            let s = try solveConnected(graph.subgraph(members), count: wanted, configuration: configuration)
            pieces.append((c, members, s.values, s.vectors, s.residuals))
            converged = converged && s.converged
            if s.report != "dense" || c == 0 { reports.append("component \(c) (\(members.count) vertices): \(s.report)") }
        }
    }
    // Merge: (value descending, component ascending, position ascending).
    var order = [(Double, Int, Int)]()
    for (p, piece) in pieces.enumerated() {
        for t in 0..<piece.values.count { order.append((piece.values[t], p, t)) }
    }
    order.sort { $0.0 > $1.0 || ($0.0 == $1.0 && ($0.1 < $1.1 || ($0.1 == $1.1 && $0.2 < $1.2))) }
    order = Array(order.prefix(count))
    var vectors = Matrix<Double>(rows: n, columns: order.count)
    for (c, (_, p, t)) in order.enumerated() {
        let piece = pieces[p]
        if piece.members.isEmpty {
            for i in 0..<n { vectors[i, c] = piece.vectors[i, t] }
        } else {
            for (local, i) in piece.members.enumerated() { vectors[i, c] = piece.vectors[local, t] }
        }
    }
    fixSigns(&vectors)
    let trivial = order.prefix { $0.2 == 0 && $0.0 == 1 }.count
    return GraphSpectrum(eigenvalues: order.map { $0.0 }, eigenvectors: vectors,
                         residualNorms: order.map { pieces[$0.1].residuals[$0.2] }, trivialCount: max(1, trivial),
                         converged: converged,
                         report: (components.count > 1 ? "\(components.count) components; " : "")
                            + reports.joined(separator: "; "))
}

/// Flips each column so that its entry of largest magnitude is positive (first such entry on ties): the
/// convention of scikit-learn's `_deterministic_vector_sign_flip`, so that runs and libraries are comparable.
func fixSigns(_ v: inout Matrix<Double>) {
    for c in 0..<v.columns {
        var best = 0, bestAbs = -1.0
        for i in 0..<v.rows where abs(v[i, c]) > bestAbs { best = i; bestAbs = abs(v[i, c]) }
        if v.rows > 0 && v[best, c] < 0 { for i in 0..<v.rows { v[i, c] = -v[i, c] } }
    }
}

/// Leading `count` pairs of a connected graph: the trivial pair in closed form, the rest dense or by Lanczos.
private func solveConnected(_ graph: AffinityGraph, count: Int, configuration: EigensolverConfiguration) throws
    -> (values: [Double], vectors: Matrix<Double>, residuals: [Double], converged: Bool, report: String) {
    let s = try NormalizedAdjacency(graph)
    let n = s.dimension
    let u = s.trivialEigenvector
    let su = s.apply(u)
    let trivialResidual = blockedNorm(n) { su[$0] - u[$0] }
    var values = [1.0], residuals = [trivialResidual]
    var vectors = Matrix<Double>(rows: n, columns: count)
    for i in 0..<n { vectors[i, 0] = u[i] }
    if count == 1 { return (values, vectors, residuals, true, "trivial only") }

    let useDense: Bool
    switch configuration.method {
    case .dense: useDense = true
    case .lanczos: useDense = n <= 2
    case .automatic: useDense = n <= configuration.denseThreshold
    }
    if useDense {
        // S − 3uuᵀ moves the trivial eigenvalue from 1 to −2, below the spectrum [−1, 1] of S.
        var a = s.dense()
        for i in 0..<n { for j in 0..<n { a[i, j] -= 3 * u[i] * u[j] } }
        let eig = try symmetricEigen(a)
        for c in 1..<count {
            let col = n - c   // ascending order: the largest is last
            values.append(eig.values[col])
            for i in 0..<n { vectors[i, c] = eig.vectors[i, col] }
            let x = (0..<n).map { eig.vectors[$0, col] }
            let sx = s.apply(x)
            residuals.append(blockedNorm(n) { sx[$0] - eig.values[col] * x[$0] })
        }
        return (values, vectors, residuals, true, "dense")
    }
    let lanczos = LanczosConfiguration(count: count - 1, tolerance: configuration.tolerance,
                                       basisSize: configuration.basisSize,
                                       maxMatrixVectorProducts: configuration.maxMatrixVectorProducts,
                                       timeLimit: configuration.timeLimit, seed: configuration.seed)
    let result = try lanczosLargestEigenpairs(dimension: n, configuration: lanczos, deflation: [u]) { x, y in
        s.apply(x, y)
    }
    values += result.values
    residuals += result.residualNorms
    for c in 1..<count { for i in 0..<n { vectors[i, c] = result.vectors[i, c - 1] } }
    return (values, vectors, residuals, result.converged, "Lanczos " + result.report)
}

extension AffinityGraph {
    /// The subgraph induced by `vertices` (ascending), renumbered 0..<vertices.count.
    func subgraph(_ vertices: [Int]) -> AffinityGraph {
        var local = [Int](repeating: -1, count: vertexCount)
        for (t, i) in vertices.enumerated() { local[i] = t }
        let rp = matrix.rowPointers, ci = matrix.columnIndices, w = matrix.values
        var rowPointers = [0], cols = [Int](), vals = [Double]()
        for i in vertices {
            for p in rp[i]..<rp[i + 1] where local[ci[p]] >= 0 {
                cols.append(local[ci[p]])
                vals.append(w[p])
            }
            rowPointers.append(cols.count)
        }
        return AffinityGraph(unchecked: try! SparseMatrix(rows: vertices.count, columns: vertices.count,
                                                          rowPointers: rowPointers, columnIndices: cols, values: vals))
    }
}
