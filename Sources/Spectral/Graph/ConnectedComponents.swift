import LinearAlgebra

/// The connected components of a graph (edges of weight > 0).
///
/// Why it matters: on a graph with c components the random walk has eigenvalue 1 with multiplicity c, and its
/// eigenvectors are the component indicators. An embedding computed as if the graph were connected would then
/// hold an arbitrary basis of that eigenspace, which is why the embedding asks the user what to do
/// (`DisconnectedGraphStrategy`).
public struct ConnectedComponents: Sendable, Equatable {
    /// Number of components.
    public let count: Int
    /// `labels[i]` is the component of vertex i. Components are numbered by decreasing size, ties broken by
    /// their smallest vertex, so component 0 is the largest.
    public let labels: [Int32]
    /// `sizes[c]` is the number of vertices of component c (non-increasing).
    public let sizes: [Int]

    /// The vertices of component `c`, ascending.
    public func members(of c: Int) -> [Int] { labels.indices.filter { labels[$0] == Int32(c) } }
}

extension AffinityGraph {
    /// Connected components by union–find (union by size, path halving): near-linear in the number of edges.
    public func connectedComponents() -> ConnectedComponents {
        let n = vertexCount
        var parent = Array(0..<n), size = [Int](repeating: 1, count: n), root = [Int](repeating: 0, count: n)
        let rowPointers = matrix.rowPointers, columnIndices = matrix.columnIndices, weights = matrix.values
        parent.withUnsafeMutableBufferPointer { parent in size.withUnsafeMutableBufferPointer { size in
            func find(_ x: Int) -> Int {
                var x = x
                while parent[x] != x {
                    parent[x] = parent[parent[x]]
                    x = parent[x]
                }
                return x
            }
            for i in 0..<n {
                for p in rowPointers[i]..<rowPointers[i + 1] where weights[p] > 0 {
                    var a = find(i), b = find(columnIndices[p])
                    if a == b { continue }
                    if size[a] < size[b] { swap(&a, &b) }
                    parent[b] = a
                    size[a] += size[b]
                }
            }
            for i in 0..<n { root[i] = find(i) }
        } }
        // Number the roots by (decreasing size, smallest vertex): scanning vertices in order meets each
        // component first at its smallest vertex.
        var roots = [Int]()
        var firstVertex = [Int: Int]()
        for i in 0..<n {
            let r = root[i]
            if firstVertex[r] == nil { firstVertex[r] = i; roots.append(r) }
        }
        roots.sort { size[$0] > size[$1] || (size[$0] == size[$1] && firstVertex[$0]! < firstVertex[$1]!) }
        var label = [Int: Int32]()
        for (c, r) in roots.enumerated() { label[r] = Int32(c) }
        let labels = (0..<n).map { label[root[$0]]! }
        return ConnectedComponents(count: roots.count, labels: labels, sizes: roots.map { size[$0] })
    }
}

/// Joins the components of a kNN graph with weak edges, Borůvka style (Borůvka 1926; the classic minimum
/// spanning forest step): every component other than the largest finds its shortest edge to a point outside
/// itself, and that edge is added with weight `max(w, minimumWeight)`, where w is the D.5 kernel weight of the
/// pair seen from the inside point. Each round at least halves the number of components that are not yet
/// attached to the largest, so it ends after at most ⌈log₂ c⌉ + 1 rounds.
///
/// The shortest outside edge is found exactly (a 1-nearest-neighbour search that skips points with the same
/// component label), so the added edges are the ones a larger k would eventually have created first.
func connectComponents(_ graph: AffinityGraph, index: NearestNeighborIndex, rho: [Double], sigma: [Double],
                       minimumWeight: Double) -> (graph: AffinityGraph, added: [(Int, Int, Double)]) {
    var graph = graph
    var added = [(Int, Int, Double)]()
    while true {
        let components = graph.connectedComponents()
        if components.count <= 1 { break }
        let outside = (0..<graph.vertexCount).filter { components.labels[$0] != 0 }
        let nearest = index.nearestWithDifferentLabel(queryRows: outside,
                                                      queryLabels: outside.map { components.labels[$0] },
                                                      pointLabels: components.labels)
        // Shortest edge per component: (distance, inside vertex, outside vertex) in lexicographic order.
        var best = [Int32: (Float, Int, Int)]()
        for (q, i) in outside.enumerated() {
            let c = components.labels[i], candidate = (nearest[q].1, i, Int(nearest[q].0))
            if let b = best[c], !(candidate < b) { continue }
            best[c] = candidate
        }
        var edges = [(Int, Int, Double)]()
        var seen = Set<[Int]>()
        for c in best.keys.sorted() {
            let (d, i, j) = best[c]!
            // Two components may pick the same pair from either end: add it once.
            if !seen.insert([min(i, j), max(i, j)]).inserted { continue }
            let w = max(AdaptiveKernel.weight(distance: d, rho: rho[i], sigma: sigma[i]), minimumWeight)
            edges.append((i, j, w))
        }
        added += edges
        graph = graph.adding(edges: edges)
    }
    return (graph, added)
}
