import Foundation
import LinearAlgebra

/// The locally scaled kernel of the paper (Appendix D.5), in the form used by UMAP: for a point with neighbour
/// distances d₁ ≤ … ≤ d_k,
///
///     ρ = d₁ (the nearest distance),  σ = median(d₁, …, d_k),  w(d) = exp(−((d − ρ) / σ)²).
///
/// Subtracting ρ gives every point weight 1 to its nearest neighbour, whatever the local density, and σ adapts
/// the width to the local spread. The median of an even number of values is the mean of the two middle ones,
/// as in NumPy, so that graphs match the Python reference.
///
/// **Degenerate scales.** Duplicates make distances 0; if at least half the neighbours are duplicates the median
/// is 0 and the formula divides by zero. We then fall back to the largest neighbour distance d_k (so duplicates
/// still get weight 1 and farther points a finite, smaller weight), and if all k distances are 0 to σ = 1 (all
/// weights are then exp(0) = 1). No weight is ever NaN or Inf, and every point keeps weight 1 to its nearest
/// neighbour, so no vertex of a kNN graph can end up isolated.
public struct AdaptiveKernel: Sendable {
    /// ρ and σ from distances sorted ascending.
    @inlinable
    public static func scales<C: RandomAccessCollection>(sortedDistances d: C) -> (rho: Double, sigma: Double)
    where C.Element == Float, C.Index == Int {
        precondition(!d.isEmpty, "AdaptiveKernel needs at least one distance")
        let k = d.count, s = d.startIndex
        let rho = Double(d[s])
        var sigma = k % 2 == 1 ? Double(d[s + k / 2]) : 0.5 * (Double(d[s + k / 2 - 1]) + Double(d[s + k / 2]))
        if !(sigma > 0) { sigma = Double(d[s + k - 1]) }
        if !(sigma > 0) { sigma = 1 }
        return (rho, sigma)
    }

    /// `exp(−((d − ρ)/σ)²)`, in (0, 1] for d ≥ ρ (it may underflow to 0 far away, never to NaN).
    @inlinable
    public static func weight(distance: Float, rho: Double, sigma: Double) -> Double {
        let z = (Double(distance) - rho) / sigma
        return Foundation.exp(-z * z)
    }
}

/// A weighted undirected graph stored as a symmetric CSR matrix W (both (i, j) and (j, i) are stored, each row's
/// columns ascending, no self-loops from the kNN construction).
///
/// It is built by `AffinityGraph(neighbors:)` as the paper's affinity (Appendix D.5): the kernel weight
/// `AdaptiveKernel` from each point to each of its k neighbours, then symmetrised as W ← (W + Wᵀ)/2. Custom graphs
/// (tests, user graphs) come from `init(vertexCount:edges:)`.
public struct AffinityGraph: Sendable, Equatable {
    /// Number of vertices n.
    public let vertexCount: Int
    /// Row i occupies `rowPointers[i]..<rowPointers[i + 1]` of `columnIndices` and `weights`.
    public let rowPointers: [Int]
    public let columnIndices: [Int32]
    public let weights: [Double]

    /// Number of stored entries (each undirected edge counts twice).
    public var storedEntries: Int { weights.count }

    /// Builds a graph from its CSR arrays; they must describe a symmetric matrix with finite, non-negative weights.
    public init(vertexCount n: Int, rowPointers: [Int], columnIndices: [Int32], weights: [Double]) throws {
        guard rowPointers.count == n + 1, rowPointers.first == 0, rowPointers.last == columnIndices.count,
              columnIndices.count == weights.count else {
            throw SpectralError.dimensionMismatch("CSR arrays: \(rowPointers.count) row pointers for \(n) vertices, "
                + "\(columnIndices.count) columns, \(weights.count) weights")
        }
        for i in 0..<n {
            guard rowPointers[i] <= rowPointers[i + 1] else {
                throw SpectralError.invalidParameter("row pointers decrease at row \(i)")
            }
            for p in rowPointers[i]..<rowPointers[i + 1] {
                guard columnIndices[p] >= 0 && Int(columnIndices[p]) < n else {
                    throw SpectralError.invalidParameter("row \(i) has column \(columnIndices[p]) outside 0..<\(n)")
                }
                guard weights[p].isFinite && weights[p] >= 0 else {
                    throw SpectralError.nonFiniteInput("weight (\(i), \(columnIndices[p])) is \(weights[p]); "
                        + "weights must be finite and ≥ 0")
                }
            }
        }
        var directed = [(Int32, Int32, Double)]()
        directed.reserveCapacity(weights.count)
        for i in 0..<n {
            for p in rowPointers[i]..<rowPointers[i + 1] { directed.append((Int32(i), columnIndices[p], weights[p])) }
        }
        self = AffinityGraph.assemble(vertexCount: n, directed: directed)
        guard isSymmetric() else {
            throw SpectralError.invalidParameter("the weight matrix is not symmetric")
        }
    }

    /// Unchecked memberwise init for the builders below, which produce valid CSR by construction.
    init(unchecked n: Int, rowPointers: [Int], columnIndices: [Int32], weights: [Double]) {
        self.vertexCount = n
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.weights = weights
    }

    /// A graph from undirected edges `(i, j, w)` (each listed once; both directions are stored; weights of
    /// repeated edges add up). Throws on out-of-range vertices and on negative or non-finite weights.
    public init(vertexCount n: Int, edges: [(Int, Int, Double)]) throws {
        var directed = [(Int32, Int32, Double)]()
        directed.reserveCapacity(2 * edges.count)
        for (i, j, w) in edges {
            guard i >= 0 && i < n && j >= 0 && j < n else {
                throw SpectralError.invalidParameter("edge (\(i), \(j)) has a vertex outside 0..<\(n)")
            }
            guard w.isFinite && w >= 0 else {
                throw SpectralError.nonFiniteInput("edge (\(i), \(j)) has weight \(w); weights must be finite and ≥ 0")
            }
            directed.append((Int32(i), Int32(j), w))
            if i != j { directed.append((Int32(j), Int32(i), w)) }
        }
        self = AffinityGraph.assemble(vertexCount: n, directed: directed)
    }

    /// The paper's affinity (Appendix D.5) on a kNN graph: Wᵢⱼ = w(d(xᵢ, xⱼ); ρᵢ, σᵢ) for j among the neighbours of
    /// i, then W ← (W + Wᵀ)/2. Returns the graph and the per-point kernel scales.
    public init(neighbors: NeighborLists) {
        self = AffinityGraph.paperAffinity(neighbors).graph
    }

    /// The D.5 graph together with each point's (ρ, σ).
    public static func paperAffinity(_ neighbors: NeighborLists) -> (graph: AffinityGraph, rho: [Double], sigma: [Double]) {
        let n = neighbors.count, k = neighbors.k
        var rho = [Double](repeating: 0, count: n), sigma = [Double](repeating: 1, count: n)
        var directedWeights = [Double](repeating: 0, count: n * k)
        rho.withUnsafeMutableBufferPointer { rb in sigma.withUnsafeMutableBufferPointer { sb in
            directedWeights.withUnsafeMutableBufferPointer { wb in
                let rp = rb.baseAddress!, sp = sb.baseAddress!, wp = wb.baseAddress!
                Parallel.forEachChunk(n, chunk: 512) { range in
                    for i in range {
                        let d = neighbors.distances(of: i)
                        let (r, s) = AdaptiveKernel.scales(sortedDistances: d)
                        rp[i] = r
                        sp[i] = s
                        for t in 0..<k { wp[i * k + t] = AdaptiveKernel.weight(distance: d[d.startIndex + t], rho: r, sigma: s) }
                    }
                }
            }
        } }
        let graph = symmetrised(neighbors, directedWeights)
        return (graph, rho, sigma)
    }

    /// (W + Wᵀ)/2 of the directed kNN weights, straight into CSR.
    ///
    /// Row i of the result holds i's own k out-edges and the in-edges j → i, each at half weight; a pair that is
    /// a neighbour both ways appears twice and is merged (a sum of two terms, so independent of their order).
    static func symmetrised(_ neighbors: NeighborLists, _ w: [Double]) -> AffinityGraph {
        let n = neighbors.count, k = neighbors.k
        // Count entries per row: k out-edges plus the in-degree.
        var start = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { start[i + 1] = k }
        for j in neighbors.indices { start[Int(j) + 1] += 1 }
        for i in 0..<n { start[i + 1] += start[i] }
        var cols = [Int32](repeating: 0, count: start[n])
        var vals = [Double](repeating: 0, count: start[n])
        var fill = Array(start[0..<n])
        for i in 0..<n {
            for t in 0..<k {
                let j = Int(neighbors.indices[i * k + t]), half = 0.5 * w[i * k + t]
                cols[fill[i]] = Int32(j); vals[fill[i]] = half; fill[i] += 1
                cols[fill[j]] = Int32(i); vals[fill[j]] = half; fill[j] += 1
            }
        }
        return compacted(n, start, cols, vals)
    }

    /// Sorts each row of an uncompressed CSR (row i in `start[i]..<start[i+1]`) by column and merges repeats.
    static func compacted(_ n: Int, _ start: [Int], _ cols: [Int32], _ vals: [Double]) -> AffinityGraph {
        var mergedCount = [Int](repeating: 0, count: n)
        var cols = cols, vals = vals
        cols.withUnsafeMutableBufferPointer { cb in vals.withUnsafeMutableBufferPointer { vb in
            mergedCount.withUnsafeMutableBufferPointer { mb in
                let cp = cb.baseAddress!, vp = vb.baseAddress!, mp = mb.baseAddress!
                Parallel.forEachChunk(n, chunk: 256) { range in
                    var row = [(Int32, Double)]()
                    for i in range {
                        row.removeAll(keepingCapacity: true)
                        for p in start[i]..<start[i + 1] { row.append((cp[p], vp[p])) }
                        // Sort by column, then weight, so that merged sums are order-independent.
                        row.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                        var out = start[i]
                        var t = 0
                        while t < row.count {
                            var s = row[t].1
                            var u = t + 1
                            while u < row.count && row[u].0 == row[t].0 { s += row[u].1; u += 1 }
                            cp[out] = row[t].0; vp[out] = s; out += 1
                            t = u
                        }
                        mp[i] = out - start[i]
                    }
                }
            }
        } }
        var rowPointers = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { rowPointers[i + 1] = rowPointers[i] + mergedCount[i] }
        var outCols = [Int32](repeating: 0, count: rowPointers[n])
        var outVals = [Double](repeating: 0, count: rowPointers[n])
        for i in 0..<n {
            for t in 0..<mergedCount[i] {
                outCols[rowPointers[i] + t] = cols[start[i] + t]
                outVals[rowPointers[i] + t] = vals[start[i] + t]
            }
        }
        return AffinityGraph(unchecked: n, rowPointers: rowPointers, columnIndices: outCols, weights: outVals)
    }

    /// Builds CSR from directed entries (i, j, w), merging repeats.
    static func assemble(vertexCount n: Int, directed: [(Int32, Int32, Double)]) -> AffinityGraph {
        var start = [Int](repeating: 0, count: n + 1)
        for (i, _, _) in directed { start[Int(i) + 1] += 1 }
        for i in 0..<n { start[i + 1] += start[i] }
        var fill = Array(start[0..<n])
        var cols = [Int32](repeating: 0, count: directed.count)
        var vals = [Double](repeating: 0, count: directed.count)
        for (i, j, w) in directed {
            cols[fill[Int(i)]] = j; vals[fill[Int(i)]] = w; fill[Int(i)] += 1
        }
        return compacted(n, start, cols, vals)
    }

    /// This graph plus the undirected edges `extra` (weights added to existing ones).
    public func adding(edges extra: [(Int, Int, Double)]) -> AffinityGraph {
        var directed = [(Int32, Int32, Double)]()
        directed.reserveCapacity(storedEntries + 2 * extra.count)
        for i in 0..<vertexCount {
            for p in rowPointers[i]..<rowPointers[i + 1] { directed.append((Int32(i), columnIndices[p], weights[p])) }
        }
        for (i, j, w) in extra {
            directed.append((Int32(i), Int32(j), w))
            if i != j { directed.append((Int32(j), Int32(i), w)) }
        }
        return AffinityGraph.assemble(vertexCount: vertexCount, directed: directed)
    }

    /// Row sums dᵢ = Σⱼ Wᵢⱼ (summed in column order, so deterministic).
    public var degrees: [Double] {
        (0..<vertexCount).map { i in
            var s = 0.0
            for p in rowPointers[i]..<rowPointers[i + 1] { s += weights[p] }
            return s
        }
    }

    /// The weight Wᵢⱼ (0 when absent), by binary search in row i.
    public func weight(_ i: Int, _ j: Int) -> Double {
        var lo = rowPointers[i], hi = rowPointers[i + 1]
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(columnIndices[mid]) < j { lo = mid + 1 } else { hi = mid }
        }
        return lo < rowPointers[i + 1] && Int(columnIndices[lo]) == j ? weights[lo] : 0
    }

    /// W as a dense matrix (for tests and the dense eigen path).
    public func denseWeights() -> Matrix<Double> {
        var m = Matrix<Double>(rows: vertexCount, columns: vertexCount)
        for i in 0..<vertexCount {
            for p in rowPointers[i]..<rowPointers[i + 1] { m[i, Int(columnIndices[p])] += weights[p] }
        }
        return m
    }

    private func isSymmetric() -> Bool {
        for i in 0..<vertexCount {
            for p in rowPointers[i]..<rowPointers[i + 1] where weight(Int(columnIndices[p]), i) != weights[p] {
                return false
            }
        }
        return true
    }
}
