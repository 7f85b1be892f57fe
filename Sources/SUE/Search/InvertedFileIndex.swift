import LinearAlgebra

/// An inverted-file index for approximate cosine search: the rows are partitioned into cells by spherical
/// k-means, and a query is compared only with the rows of the few cells whose centroids are most similar to it
/// (the "IVF" coarse quantiser of Jégou, Douze & Schmid, "Product quantization for nearest neighbor search",
/// IEEE TPAMI 2011, with exact scores inside the cells).
///
/// Exact search costs queries × rows × columns multiply-adds; with `probes` of `cells` cells searched, a query
/// costs about `probes / cells` of that, plus one similarity per centroid. The price is recall: a true neighbour
/// in a cell that was not probed is missed. Searching every cell gives the exact result. Building costs one
/// k-means on a sample plus one similarity per row and centroid.
///
/// Search groups the queries by cell, so each probed cell's rows are compared with all of its queries in one
/// GEMM. Every (query, cell) pair is scored by one task that writes only its own slot, and a query's candidates
/// are merged by score with ties to the lower row, so results are the same for any thread count and ties are
/// broken as in `cosineTopK`.
///
/// Memory: the rows, normalised, once (rows × columns × 4 bytes), plus one 4-byte cell entry per row.
public struct InvertedFileIndex: Sendable {
    /// Rows indexed.
    public var count: Int { vectors.rows }
    /// Columns of each row (the queries must have as many).
    public var columns: Int { vectors.columns }
    /// Cells the rows are partitioned into.
    public var cells: Int { centroids.rows }

    /// The indexed rows, normalised to unit length, in their original order.
    let vectors: Matrix<Float>
    /// One unit centroid per cell.
    let centroids: Matrix<Float>
    /// The rows of cell c are `members[cellStart[c]..<cellStart[c + 1]]`, in increasing order.
    let members: [Int32]
    let cellStart: [Int]

    /// The cells the index uses unless told: about √rows / 2, at least 1. FAISS's guides use 4–16·√rows cells;
    /// here fewer, larger cells keep the build cheap (its GEMM of every row against every centroid dominates it),
    /// while at equal search cost √rows / 2 cells found more of the exact top k than √rows / 4 in the scale
    /// benchmark (docs/performance.md).
    public static func defaultCells(rows: Int) -> Int {
        max(1, min(rows, Int((Double(rows).squareRoot() / 2).rounded())))
    }

    /// The cells searched per query unless told: an eighth of the cells, at least 1.
    public static func defaultProbes(cells: Int) -> Int { max(1, (cells + 7) / 8) }

    /// Builds the index of `rows` (one item per row; rows are normalised here, so any scale will do).
    ///
    /// - Parameters:
    ///   - rows: the items; consumed, so a caller that passes its last reference pays for no copy.
    ///   - cells: the number of cells, 1...rows (default `defaultCells(rows:)`).
    ///   - iterations: Lloyd rounds of the k-means, ≥ 1 (it stops early when no assignment changes).
    ///   - trainingRows: rows the k-means is fitted on, a seeded sample; default 64 per cell (at least 4 096, at
    ///     most every row). Every row is then assigned to its nearest centroid.
    ///   - seed: the seed of the sample and of the k-means++ seeding.
    ///   - progress: called on the calling thread with a stage name and the fraction of it done: after each
    ///     k-means round (`"k-means"`), and when the assignment of the rows starts and after each sixteenth of
    ///     them (`"assigning rows"`).
    /// - Throws: `AlignmentError` for an empty matrix, a non-finite value (named by row and column), or a
    ///   setting out of range (named).
    public init(_ rows: consuming Matrix<Float>, cells: Int? = nil, iterations: Int = 10, trainingRows: Int? = nil,
                seed: UInt64 = 0, progress: ((_ stage: String, _ fraction: Double) -> Void)? = nil) throws {
        var vectors = rows
        guard vectors.rows >= 1, vectors.columns >= 1, vectors.rows <= Int(Int32.max) else {
            throw AlignmentError.invalidInput("inverted-file index: needs 1...\(Int32.max) rows and at least one column, got \(vectors.rows) × \(vectors.columns)")
        }
        try requireFinite(vectors, "inverted-file index rows")
        let n = vectors.rows
        let cellCount = cells ?? Self.defaultCells(rows: n)
        guard (1...n).contains(cellCount) else {
            throw AlignmentError.invalidConfiguration("inverted-file index: cells must be in 1...\(n) (the rows indexed), got \(cellCount)")
        }
        guard iterations >= 1 else {
            throw AlignmentError.invalidConfiguration("inverted-file index: iterations must be ≥ 1, got \(iterations)")
        }
        let sampleSize = trainingRows ?? min(n, max(4096, 64 * cellCount))
        guard (cellCount...max(cellCount, n)).contains(sampleSize) else {
            throw AlignmentError.invalidConfiguration("inverted-file index: trainingRows must be in \(cellCount)...\(n) (at least one per cell, at most the rows), got \(sampleSize)")
        }
        vectors.normalizeRows()
        var random = SeededRandom(seed: seed)
        let sample = sampleSize == n ? vectors : vectors.rows(Array(random.permutation(n).prefix(sampleSize)).sorted())
        let centroids = SphericalKMeans.centroids(of: sample, count: cellCount, iterations: iterations, seed: random.next()) {
            progress?("k-means", Double($0) / Double(iterations))
        }
        // Each row's cell depends on that row alone, so assigning in sixteen parts changes nothing but the progress.
        var cell = [Int32]()
        cell.reserveCapacity(n)
        let part = (n + 15) / 16
        progress?("assigning rows", 0)
        for start in stride(from: 0, to: n, by: part) {
            cell += SphericalKMeans.nearest(vectors.rows(start..<min(n, start + part)), centroids).cell
            progress?("assigning rows", Double(min(n, start + part)) / Double(n))
        }
        self.init(assembling: vectors, centroids, cell)
    }

    /// An index from its stored parts (as `unitRows`, `centroids` and `cellOfRow` give them), checked: a file that
    /// was damaged or edited gives an error that names what is wrong, never a wrong search.
    /// - Throws: `AlignmentError` when the shapes disagree, a value is not finite, a row or centroid is neither
    ///   of unit length nor zero, or a cell number is outside 0..<centroids.rows.
    public init(unitRows: Matrix<Float>, centroids: Matrix<Float>, cellOfRow: [Int]) throws {
        guard unitRows.rows >= 1, unitRows.rows <= Int(Int32.max), unitRows.columns >= 1, centroids.rows >= 1 else {
            throw AlignmentError.invalidInput("inverted-file index: needs 1...\(Int32.max) rows, a column and a cell, got \(unitRows.rows) rows × \(unitRows.columns) columns and \(centroids.rows) cells")
        }
        guard centroids.columns == unitRows.columns else {
            throw AlignmentError.shapeMismatch("inverted-file index: centroids have \(centroids.columns) columns, the rows \(unitRows.columns)")
        }
        guard cellOfRow.count == unitRows.rows else {
            throw AlignmentError.shapeMismatch("inverted-file index: \(cellOfRow.count) cell numbers for \(unitRows.rows) rows")
        }
        try requireFinite(unitRows, "inverted-file index rows")
        try requireFinite(centroids, "inverted-file index centroids")
        for (name, m) in [("row", unitRows), ("centroid", centroids)] {
            let norms = Self.rowNorms(m)
            if let bad = norms.indices.first(where: { norms[$0] != 0 && abs(norms[$0] - 1) > 1e-3 }) {
                throw AlignmentError.invalidInput("inverted-file index: \(name) \(bad) has norm \(norms[bad]), expected 1 (or 0)")
            }
        }
        if let bad = cellOfRow.indices.first(where: { !(0..<centroids.rows).contains(cellOfRow[$0]) }) {
            throw AlignmentError.invalidInput("inverted-file index: row \(bad) is in cell \(cellOfRow[bad]), expected 0..<\(centroids.rows)")
        }
        self.init(assembling: unitRows, centroids, cellOfRow.map { Int32($0) })
    }

    /// Each row's Euclidean norm from its squares summed in double precision, rows in parallel: the check of a
    /// stored index reads every row once, and the overflow-proof scaled norm is several times slower and not
    /// needed for values already known to be finite and near unit length.
    private static func rowNorms(_ m: Matrix<Float>) -> [Double] {
        var norms = [Double](repeating: 0, count: m.rows)
        norms.withUnsafeMutableBufferPointer { out in
            m.withView { v in
                Parallel.forEachChunk(m.rows, chunk: 4096) { range in
                    for i in range {
                        let row = v.row(i)
                        var sum = 0.0
                        for j in 0..<m.columns { sum += Double(row[j]) * Double(row[j]) }
                        out[i] = sum.squareRoot()
                    }
                }
            }
        }
        return norms
    }

    /// Lists each cell's rows (a counting sort by cell, rows in increasing order within a cell).
    private init(assembling vectors: Matrix<Float>, _ centroids: Matrix<Float>, _ cell: [Int32]) {
        let cellCount = centroids.rows
        var start = [Int](repeating: 0, count: cellCount + 1)
        for c in cell { start[Int(c) + 1] += 1 }
        for c in 0..<cellCount { start[c + 1] += start[c] }
        var next = start
        var members = [Int32](repeating: 0, count: cell.count)
        for (row, c) in cell.enumerated() {
            members[next[Int(c)]] = Int32(row)
            next[Int(c)] += 1
        }
        self.vectors = vectors
        self.centroids = centroids
        self.members = members
        self.cellStart = start
    }

    /// The indexed rows, normalised to unit length, in their original order (the index's largest part).
    public var unitRows: Matrix<Float> { vectors }
    /// One unit centroid per cell (a row each).
    public var cellCentroids: Matrix<Float> { centroids }
    /// The cell of each row, in row order.
    public var cellOfRow: [Int] {
        var out = [Int](repeating: 0, count: count)
        for c in 0..<cells { for i in cellStart[c]..<cellStart[c + 1] { out[Int(members[i])] = c } }
        return out
    }

    /// The number of rows in each cell, in cell order.
    public var cellSizes: [Int] { (0..<cells).map { cellStart[$0 + 1] - cellStart[$0] } }

    /// The `k` rows most similar by cosine to each query among the rows of its `probes` most similar cells, best
    /// first (ties: lower row first). Empty cells are skipped, and further cells are probed while the probed cells
    /// hold fewer than `k` rows, so a query gets `min(k, count)` hits. `probes == cells` gives exact search.
    /// - Parameter progress: called on the calling thread after each batch of cells is searched, with the cells
    ///   done and the cells in all (for a progress display; it does not change the result).
    /// - Throws: `AlignmentError` for a column mismatch, a non-finite or zero query, `k < 1`, or `probes` outside
    ///   1...cells.
    public func search(_ queries: Matrix<Float>, k: Int, probes: Int? = nil,
                       progress: ((_ cellsDone: Int, _ cells: Int) -> Void)? = nil) throws -> [[SearchHit]] {
        try checkSearchQueries(queries, columns: columns, k: k)
        let probeCount = probes ?? Self.defaultProbes(cells: cells)
        guard (1...cells).contains(probeCount) else {
            throw AlignmentError.invalidConfiguration("search: probes must be in 1...\(cells) (the index's cells), got \(probeCount)")
        }
        let q = queries.normalizedRows()
        let wanted = min(k, count)
        let probed = probedCells(q, probes: probeCount, rowsWanted: wanted)

        // Each (query, probe) pair is one slot; a cell's task fills the slots of the queries that probe it.
        var slotStart = [Int](repeating: 0, count: q.rows + 1)
        for i in 0..<q.rows { slotStart[i + 1] = slotStart[i] + probed[i].count }
        var askers = [[(query: Int, slot: Int)]](repeating: [], count: cells)
        for i in 0..<q.rows {
            for (p, c) in probed[i].enumerated() { askers[Int(c)].append((i, slotStart[i] + p)) }
        }
        var slots = [[SearchHit]](repeating: [], count: slotStart[q.rows])
        // Cells in fixed batches (fixed by the sizes, not the threads), so that progress can be reported between them.
        let batch = 64
        slots.withUnsafeMutableBufferPointer { out in
            for first in stride(from: 0, to: cells, by: batch) {
                let batchCells = first..<min(cells, first + batch)
                Parallel.forEach(batchCells.count) { offset in
                    let c = batchCells.lowerBound + offset
                    let asking = askers[c]
                    guard !asking.isEmpty else { return }
                    let rows = members[cellStart[c]..<cellStart[c + 1]].map(Int.init)
                    let cellRows = vectors.rows(rows)
                    let cellQueries = q.rows(asking.map(\.query))
                    SimilarityTiles(cellQueries, cellRows).forEachBlock { _, block, s in
                        for a in block {
                            let row = s + (a - block.lowerBound) * rows.count
                            out[asking[a].slot] = largestIndices(row, count: rows.count, k: min(wanted, rows.count))
                                .map { SearchHit(row: rows[$0], score: row[$0]) }
                        }
                    }
                }
                progress?(batchCells.upperBound, cells)
            }
        }
        var results = [[SearchHit]](repeating: [], count: q.rows)
        results.withUnsafeMutableBufferPointer { out in
            Parallel.forEachChunk(q.rows, chunk: 256) { range in
                for i in range {
                    let candidates = slots[slotStart[i]..<slotStart[i + 1]].joined()
                    out[i] = Array(candidates.sorted { ($0.score, -$0.row) > ($1.score, -$1.row) }.prefix(wanted))
                }
            }
        }
        return results
    }

    /// For each unit query, the non-empty cells to search, most similar centroid first (ties: lower cell): the
    /// first `probes`, then more while they hold fewer than `rowsWanted` rows.
    private func probedCells(_ q: Matrix<Float>, probes: Int, rowsWanted: Int) -> [[Int32]] {
        let sizes = cellSizes
        let nonEmpty = (0..<cells).filter { sizes[$0] > 0 }
        var probed = [[Int32]](repeating: [], count: q.rows)
        probed.withUnsafeMutableBufferPointer { out in
            SimilarityTiles(q, centroids).forEachBlock { _, block, s in
                for i in block {
                    let row = s + (i - block.lowerBound) * cells
                    let order = nonEmpty.sorted { (row[$0], -$0) > (row[$1], -$1) }
                    var chosen = [Int32](), rows = 0
                    for c in order where chosen.count < probes || rows < rowsWanted {
                        chosen.append(Int32(c))
                        rows += sizes[c]
                    }
                    out[i] = chosen
                }
            }
        }
        return probed
    }
}

/// The checks every cosine search makes of its queries: matching columns, k ≥ 1, finite values and no zero
/// query (a zero vector has no direction: its cosine with every row is 0, and a ranking of ties means nothing).
func checkSearchQueries(_ queries: Matrix<Float>, columns: Int, k: Int) throws {
    guard queries.columns == columns else {
        throw AlignmentError.shapeMismatch("search: queries have \(queries.columns) columns, the index \(columns)")
    }
    guard k >= 1 else { throw AlignmentError.invalidConfiguration("search: k must be ≥ 1, got \(k)") }
    try requireFinite(queries, "search queries")
    if let zero = (0..<queries.rows).first(where: { i in (0..<queries.columns).allSatisfy { queries[i, $0] == 0 } }) {
        throw AlignmentError.invalidInput("search query row \(zero) is a zero vector in the shared space: it has no direction to compare by cosine")
    }
}
