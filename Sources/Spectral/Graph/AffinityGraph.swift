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

/// A weighted undirected graph: its symmetric weight matrix W as a CSR `SparseMatrix<Double>` (both (i, j) and
/// (j, i) are stored, each row's columns ascending; the kNN construction makes no self-loops).
///
/// It is built by `AffinityGraph(neighbors:)` as the paper's affinity (Appendix D.5): the kernel weight
/// `AdaptiveKernel` from each point to each of its k neighbours, then symmetrised as W ← (W + Wᵀ)/2. Custom graphs
/// (tests, user graphs) come from `init(vertexCount:edges:)` or `init(weights:)`.
public struct AffinityGraph: Sendable, Equatable {
    /// W, n × n, symmetric, finite and non-negative.
    public let matrix: SparseMatrix<Double>

    /// Number of vertices n.
    public var vertexCount: Int { matrix.rows }
    /// Row i occupies `rowPointers[i]..<rowPointers[i + 1]` of `columnIndices` and `weights`.
    public var rowPointers: [Int] { matrix.rowPointers }
    /// The neighbour vertex of each stored entry, ascending within a row.
    public var columnIndices: [Int] { matrix.columnIndices }
    /// The weight of each stored entry, aligned with `columnIndices`.
    public var weights: [Double] { matrix.values }
    /// Number of stored entries (each undirected edge counts twice).
    public var storedEntries: Int { matrix.nonzeroCount }

    /// A graph from a weight matrix, which must be square, symmetric, with finite non-negative entries.
    public init(weights w: SparseMatrix<Double>) throws {
        guard w.rows == w.columns else {
            throw SpectralError.dimensionMismatch("the weight matrix must be square, found \(w.rows)×\(w.columns)")
        }
        for i in 0..<w.rows {
            for p in w.rowPointers[i]..<w.rowPointers[i + 1] where !(w.values[p] >= 0) {
                throw SpectralError.nonFiniteInput("weight (\(i), \(w.columnIndices[p])) is \(w.values[p]); "
                    + "weights must be finite and ≥ 0")
            }
        }
        self.matrix = w
        guard isSymmetric() else { throw SpectralError.invalidParameter("the weight matrix is not symmetric") }
    }

    init(unchecked w: SparseMatrix<Double>) { matrix = w }

    /// A graph from undirected edges `(i, j, w)` (each listed once; both directions are stored; weights of
    /// repeated edges add up). Throws on out-of-range vertices and on negative or non-finite weights.
    public init(vertexCount n: Int, edges: [(Int, Int, Double)]) throws {
        for (i, j, w) in edges {
            guard i >= 0 && i < n && j >= 0 && j < n else {
                throw SpectralError.invalidParameter("edge (\(i), \(j)) has a vertex outside 0..<\(n)")
            }
            guard w.isFinite && w >= 0 else {
                throw SpectralError.nonFiniteInput("edge (\(i), \(j)) has weight \(w); weights must be finite and ≥ 0")
            }
        }
        self.init(unchecked: AffinityGraph.symmetricMatrix(n, edges))
    }

    /// The paper's affinity (Appendix D.5) on a kNN graph: Wᵢⱼ = w(d(xᵢ, xⱼ); ρᵢ, σᵢ) for j among the neighbours of
    /// i, then W ← (W + Wᵀ)/2.
    public init(neighbors: NeighborLists) {
        self = AffinityGraph.paperAffinity(neighbors).graph
    }

    /// The D.5 graph together with each point's (ρ, σ).
    ///
    /// (W + Wᵀ)/2 is assembled from COO triplets: each directed weight wᵢⱼ contributes wᵢⱼ/2 at (i, j) and at
    /// (j, i); a pair that are neighbours both ways gets two halves summed (a sum of two terms, so independent of
    /// their order).
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
        var edges = [(Int, Int, Double)]()
        edges.reserveCapacity(n * k)
        for i in 0..<n {
            for t in 0..<k { edges.append((i, Int(neighbors.indices[i * k + t]), 0.5 * directedWeights[i * k + t])) }
        }
        return (AffinityGraph(unchecked: symmetricMatrix(n, edges)), rho, sigma)
    }

    /// The symmetric matrix with w at (i, j) and (j, i) for each edge (once on the diagonal), repeats summed.
    static func symmetricMatrix(_ n: Int, _ edges: [(Int, Int, Double)]) -> SparseMatrix<Double> {
        var directed = [(Int, Int, Double)]()
        directed.reserveCapacity(2 * edges.count)
        for (i, j, w) in edges {
            directed.append((i, j, w))
            if i != j { directed.append((j, i, w)) }
        }
        return assemble(n, directed)
    }

    /// CSR from directed entries (i, j, w): a counting sort by row, then each row sorted by column and repeats
    /// merged, rows in parallel. Repeats are summed in (column, weight) order, so the result does not depend on
    /// the order of the entries. (Concrete Double code: this runs on millions of entries for a kNN graph.)
    static func assemble(_ n: Int, _ entries: [(Int, Int, Double)]) -> SparseMatrix<Double> {
        var start = [Int](repeating: 0, count: n + 1)
        for (i, _, _) in entries { start[i + 1] += 1 }
        for i in 0..<n { start[i + 1] += start[i] }
        var fill = Array(start[0..<n])
        var cols = [Int](repeating: 0, count: entries.count)
        var vals = [Double](repeating: 0, count: entries.count)
        for (i, j, w) in entries {
            cols[fill[i]] = j; vals[fill[i]] = w; fill[i] += 1
        }
        var mergedCount = [Int](repeating: 0, count: n)
        cols.withUnsafeMutableBufferPointer { cb in vals.withUnsafeMutableBufferPointer { vb in
            mergedCount.withUnsafeMutableBufferPointer { mb in
                let cp = cb.baseAddress, vp = vb.baseAddress, mp = mb.baseAddress!
                Parallel.forEachChunk(n, chunk: 256) { range in
                    var row = [(Int, Double)]()
                    for i in range {
                        row.removeAll(keepingCapacity: true)
                        for p in start[i]..<start[i + 1] { row.append((cp![p], vp![p])) }
                        row.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
                        var out = start[i], t = 0
                        while t < row.count {
                            var sum = row[t].1
                            var u = t + 1
                            while u < row.count && row[u].0 == row[t].0 { sum += row[u].1; u += 1 }
                            cp![out] = row[t].0; vp![out] = sum; out += 1
                            t = u
                        }
                        mp[i] = out - start[i]
                    }
                }
            }
        } }
        var rowPointers = [Int](repeating: 0, count: n + 1)
        for i in 0..<n { rowPointers[i + 1] = rowPointers[i] + mergedCount[i] }
        var outCols = [Int](repeating: 0, count: rowPointers[n])
        var outVals = [Double](repeating: 0, count: rowPointers[n])
        for i in 0..<n {
            for t in 0..<mergedCount[i] {
                outCols[rowPointers[i] + t] = cols[start[i] + t]
                outVals[rowPointers[i] + t] = vals[start[i] + t]
            }
        }
        // Valid by construction (columns in range, strictly increasing per row).
        return try! SparseMatrix(rows: n, columns: n, rowPointers: rowPointers, columnIndices: outCols, values: outVals)
    }

    /// This graph plus the undirected edges `extra` (weights added to existing ones).
    public func adding(edges extra: [(Int, Int, Double)]) -> AffinityGraph {
        var directed = [(Int, Int, Double)]()
        directed.reserveCapacity(storedEntries + 2 * extra.count)
        let rp = matrix.rowPointers, ci = matrix.columnIndices, w = matrix.values
        for i in 0..<vertexCount {
            for p in rp[i]..<rp[i + 1] { directed.append((i, ci[p], w[p])) }
        }
        for (i, j, w) in extra {
            directed.append((i, j, w))
            if i != j { directed.append((j, i, w)) }
        }
        return AffinityGraph(unchecked: AffinityGraph.assemble(vertexCount, directed))
    }

    /// Row sums dᵢ = Σⱼ Wᵢⱼ (summed in column order, so deterministic).
    public var degrees: [Double] {
        let rp = matrix.rowPointers, w = matrix.values
        return (0..<vertexCount).map { i in
            var s = 0.0
            for p in rp[i]..<rp[i + 1] { s += w[p] }
            return s
        }
    }

    /// The weight Wᵢⱼ (0 when absent), by binary search in row i.
    public func weight(_ i: Int, _ j: Int) -> Double {
        let columns = matrix.columnIndices
        var lo = matrix.rowPointers[i], hi = matrix.rowPointers[i + 1]
        let end = hi
        while lo < hi {
            let mid = (lo + hi) / 2
            if columns[mid] < j { lo = mid + 1 } else { hi = mid }
        }
        return lo < end && columns[lo] == j ? matrix.values[lo] : 0
    }

    /// W as a dense matrix (for tests and the dense eigen path).
    public func denseWeights() -> Matrix<Double> { matrix.dense() }

    private func isSymmetric() -> Bool {
        let t = matrix.transposed
        return t.rowPointers == matrix.rowPointers && t.columnIndices == matrix.columnIndices && t.values == matrix.values
    }
}
