import LinearAlgebra

/// One search result: a row of the index and its cosine similarity to the query.
public struct SearchHit: Sendable, Equatable {
    /// Row of the index (0-based).
    public var row: Int
    /// Cosine similarity to the query.
    public var score: Float
    /// A hit with both fields given.
    public init(row: Int, score: Float) { self.row = row; self.score = score }
}

/// The `k` index rows with the largest cosine similarity to each query, best first (ties: lower row first).
///
/// Rows are normalised once, then each block of queries gets its similarity rows from one GEMM,
/// `S = Q̂·X̂ᵀ` (`SimilarityTiles`), and keeps the best k of each row by insertion into a sorted list of
/// length k (k is small, so this beats a heap). Blocks run in parallel and write only their own queries' results;
/// the blocks are fixed by the sizes, so the result is the same for any thread count. A query that is a zero
/// vector is refused (it has no direction).
public func cosineTopK(_ queries: Matrix<Float>, _ index: Matrix<Float>, k: Int) throws -> [[SearchHit]] {
    try checkSearchQueries(queries, columns: index.columns, k: k)
    try requireFinite(index, "search index")
    let q = queries.normalizedRows(), x = index.normalizedRows()
    let n = x.rows
    var results = [[SearchHit]](repeating: [], count: q.rows)
    results.withUnsafeMutableBufferPointer { out in
        SimilarityTiles(q, x).forEachBlock { _, rows, s in
            for query in rows {
                let row = s + (query - rows.lowerBound) * n
                out[query] = largestIndices(row, count: n, k: k).map { SearchHit(row: $0, score: row[$0]) }
            }
        }
    }
    return results
}

/// The indices of the `k` largest of `values[0..<n]`, largest first, ties to the lower index: insertion into a
/// sorted list of at most k (k is small, so this beats a heap; after the first values almost none enters).
func largestIndices(_ values: UnsafePointer<Float>, count n: Int, k: Int) -> [Int] {
    var best = [Int]()
    best.reserveCapacity(k + 1)
    for j in 0..<n {
        let v = values[j]
        if best.count == k, !(v > values[best[k - 1]]) { continue }
        var at = best.count
        while at > 0 && v > values[best[at - 1]] { at -= 1 }
        best.insert(j, at: at)
        if best.count > k { best.removeLast() }
    }
    return best
}

/// The best `k` index rows per query over an index searched block by block: add each block's `cosineTopK` hits
/// in index order, then read `hits`. Memory: k hits per query, whatever the index's size.
public struct NearestRows: Sendable {
    /// The best hits so far per query, best first; rows are numbered from the index's start.
    public private(set) var hits: [[SearchHit]]
    /// Hits kept per query.
    public let k: Int

    /// An empty accumulator for `queries` queries.
    public init(queries: Int, k: Int) {
        hits = [[SearchHit]](repeating: [], count: queries)
        self.k = k
    }

    /// Merges one block's hits (rows counted within the block, which starts at index row `rowOffset`). Blocks
    /// must come in index order: on equal scores the earlier block's hit comes first, so ties go to the lower row
    /// exactly as within one block.
    public mutating func add(_ block: [[SearchHit]], rowOffset: Int) {
        precondition(block.count == hits.count, "NearestRows: \(block.count) queries in the block, \(hits.count) expected")
        for q in hits.indices {
            let later = block[q].map { SearchHit(row: $0.row + rowOffset, score: $0.score) }
            let earlier = hits[q]
            var merged = [SearchHit]()
            merged.reserveCapacity(k)
            var i = 0, j = 0
            while merged.count < k && (i < earlier.count || j < later.count) {
                if j >= later.count || (i < earlier.count && !(later[j].score > earlier[i].score)) {
                    merged.append(earlier[i]); i += 1
                } else {
                    merged.append(later[j]); j += 1
                }
            }
            hits[q] = merged
        }
    }
}
