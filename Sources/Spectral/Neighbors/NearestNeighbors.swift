import LinearAlgebra

/// The distance between two points.
public enum DistanceMetric: String, Sendable, Codable, CaseIterable {
    /// `1 − xᵀy / (‖x‖‖y‖)`, in [0, 2]. The paper's choice (Appendix D.5): encoders are trained with cosine similarity.
    case cosine
    /// `‖x − y‖₂`.
    case euclidean
}

/// The k nearest neighbours of a set of query rows: `count × k` indices and distances, row-major, every row sorted
/// by increasing distance (ties: smaller index first).
public struct NeighborLists: Sendable, Equatable {
    /// Number of query rows.
    public let count: Int
    /// Neighbours per row.
    public let k: Int
    /// `indices[i * k + t]` is the t-th nearest neighbour of row i.
    public var indices: [Int32]
    /// `distances[i * k + t]` is its distance, non-decreasing in t.
    public var distances: [Float]

    /// Wraps row-major lists. `indices` and `distances` must hold `count · k` entries each (a precondition);
    /// the sorting of each row is the caller's responsibility and is not checked.
    public init(count: Int, k: Int, indices: [Int32], distances: [Float]) {
        precondition(indices.count == count * k && distances.count == count * k, "NeighborLists: need count·k entries")
        self.count = count
        self.k = k
        self.indices = indices
        self.distances = distances
    }

    /// The neighbours of row `i`, nearest first.
    public func indices(of i: Int) -> ArraySlice<Int32> { indices[(i * k)..<((i + 1) * k)] }
    /// Their distances.
    public func distances(of i: Int) -> ArraySlice<Float> { distances[(i * k)..<((i + 1) * k)] }
}

/// Exact k-nearest-neighbour search over a fixed set of points, by brute force through GEMM.
///
/// **Method.** Both metrics reduce to squared Euclidean distances between prepared rows y:
/// `‖yᵢ − yⱼ‖² = ‖yᵢ‖² + ‖yⱼ‖² − 2 yᵢᵀyⱼ`, with y = x for the Euclidean metric and y = x/‖x‖ for cosine
/// (then `1 − cos = ½‖yᵢ − yⱼ‖²`). The inner products of a block of queries with a block of points form one tile
/// of the distance matrix, computed by `gemm` (`Y_I · Y_Jᵀ`); each tile is scanned immediately with a per-row
/// bounded selection (`NeighborHeaps`) and then overwritten by the next. Memory is O(n·k) for the heaps plus
/// one tile, never the n×n matrix. This is the approach of faiss' flat index (Johnson, Douze & Jégou, *Billion-scale
/// similarity search with GPUs*, 2017), where GEMM does the O(n²d) work at near-peak speed.
///
/// **Symmetry.** For the self-search (`neighbors(k:)`) the distance matrix is symmetric, so only the tiles with
/// I ≤ J are computed: an off-diagonal tile is scanned once along its rows (candidates for the points of block I)
/// and once along its columns (candidates for the points of block J). That halves the GEMM work.
///
/// **Accuracy.** The GEMM form loses accuracy to cancellation in `‖y‖² + ‖y'‖² − 2yᵀy'` when the norms are large
/// compared with the distances (Float rounding of the terms is about 1e-7·‖y‖²). For Euclidean data three measures
/// keep it harmless: the data are centred first (distances do not change, norms shrink); the GEMM form only
/// *pre-selects* `k + margin` candidates (margin = max(8, k/4)); and the candidates' distances are recomputed from
/// differences, `Σ (yᵢ − yⱼ)²`, before the best k are kept in that order. Cosine rows have unit length, so the
/// GEMM form is accurate to ~1e-7 absolute (what faiss and scikit-learn return too); only near-duplicates
/// (distance < 1e-4) are recomputed from differences, so that exact duplicates get distance 0 exactly.
///
/// **Determinism.** Selection is by the total order (key, index), so the result does not depend on the tiling
/// or the thread count; ties are won by the smaller index.
public struct NearestNeighborIndex: Sendable {
    /// The distance the index searches by.
    public let metric: DistanceMetric
    /// Number of indexed points.
    public var count: Int { prepared.rows }
    /// Their dimension.
    public var dimension: Int { prepared.columns }

    /// The indexed rows, normalised to unit length for the cosine metric.
    let prepared: Matrix<Float>
    /// ‖yᵢ‖² of the prepared rows, used in the GEMM form of the distance.
    let squaredNorms: [Float]
    /// The column means subtracted from Euclidean data (empty for cosine).
    let centre: [Float]

    /// Square tile edge: a 1024×1024 Float tile is 4 MiB, large enough for GEMM to run near its peak and small
    /// enough to stay mostly in the last-level cache while it is scanned twice.
    static let tileEdge = 1024

    /// Prepares `x` (one point per row) for search. Throws on NaN/Inf, and on zero rows for the cosine metric.
    public init(_ x: Matrix<Float>, metric: DistanceMetric = .cosine) throws {
        try requireFinite(x, "the indexed points")
        self.metric = metric
        if metric == .euclidean {
            var mean = [Double](repeating: 0, count: x.columns)
            for i in 0..<x.rows { for j in 0..<x.columns { mean[j] += Double(x[i, j]) } }
            centre = mean.map { Float($0 / Double(max(1, x.rows))) }
        } else {
            centre = []
        }
        (prepared, squaredNorms) = try NearestNeighborIndex.prepare(x, metric: metric, centre: centre,
                                                                    name: "the indexed points")
    }

    /// Candidates pre-selected by the GEMM form for a final k, before re-ranking by exact distances (Euclidean
    /// only: unit-length cosine rows do not suffer the cancellation).
    func candidates(_ k: Int, available: Int) -> Int {
        metric == .cosine ? min(available, k) : min(available, k + max(8, k / 4))
    }

    /// Normalises rows for cosine and computes squared norms.
    static func prepare(_ x: Matrix<Float>, metric: DistanceMetric, centre: [Float],
                        name: String) throws -> (Matrix<Float>, [Float]) {
        var y = x
        if !centre.isEmpty {
            y.elements.withUnsafeMutableBufferPointer { yb in
                for i in 0..<x.rows { for j in 0..<x.columns { yb[i * x.columns + j] -= centre[j] } }
            }
        }
        var norms = [Float](repeating: 0, count: x.rows)
        let d = x.columns
        var zeroRow: Int? = nil
        y.elements.withUnsafeMutableBufferPointer { yb in
            for i in 0..<x.rows {
                let row = yb.baseAddress! + i * d
                var s: Float = 0
                for j in 0..<d { s += row[j] * row[j] }
                if metric == .cosine {
                    if !(s >= Float.leastNormalMagnitude) || !s.isFinite {
                        // The Float sum of squares underflowed or overflowed (rows of tiny or huge values): take
                        // the norm in Double, where neither happens for any finite Float row.
                        var wide = 0.0
                        for j in 0..<d { wide += Double(row[j]) * Double(row[j]) }
                        if wide == 0 {
                            if zeroRow == nil { zeroRow = i }
                            continue
                        }
                        let norm = wide.squareRoot()
                        s = 0
                        for j in 0..<d {
                            row[j] = Float(Double(row[j]) / norm)
                            s += row[j] * row[j]
                        }
                        norms[i] = s
                        continue
                    }
                    let inv = 1 / s.squareRoot()
                    s = 0
                    for j in 0..<d {
                        row[j] *= inv
                        s += row[j] * row[j]
                    }
                }
                norms[i] = s
            }
        }
        if let r = zeroRow { throw SpectralError.zeroRow(matrix: name, row: r) }
        return (y, norms)
    }

    /// The `k` nearest neighbours of every indexed point among the *other* indexed points (the point itself is
    /// excluded by index, so an exact duplicate of it is still found, at distance 0).
    public func neighbors(k: Int) throws -> NeighborLists {
        guard k >= 1 && k < count else {
            throw SpectralError.invalidParameter("k = \(k) neighbours needs 1 ≤ k ≤ n − 1 = \(count - 1)")
        }
        let heaps = NeighborHeaps(rows: count, k: candidates(k, available: count - 1))
        selfSearch(into: heaps)
        return finish(heaps, queries: prepared, k: k)
    }

    /// The `k` nearest indexed points of every row of `queries` (nothing is excluded: a query equal to an indexed
    /// point finds it at distance 0).
    public func query(_ queries: Matrix<Float>, k: Int) throws -> NeighborLists {
        guard k >= 1 && k <= count else {
            throw SpectralError.invalidParameter("k = \(k) neighbours needs 1 ≤ k ≤ \(count) (the number of indexed points)")
        }
        guard queries.columns == dimension else {
            throw SpectralError.dimensionMismatch("queries have \(queries.columns) columns, the index has \(dimension)")
        }
        try requireFinite(queries, "the queries")
        let (q, qNorms) = try NearestNeighborIndex.prepare(queries, metric: metric, centre: centre, name: "the queries")
        let heaps = NeighborHeaps(rows: q.rows, k: candidates(k, available: count))
        crossSearch(q, qNorms, into: heaps, labels: nil)
        return finish(heaps, queries: q, k: k)
    }

    /// For each query row, its nearest indexed point whose label differs from the query's label: the search behind
    /// connecting graph components (Borůvka's step). Returns `(index, distance)` per query.
    func nearestWithDifferentLabel(queryRows: [Int], queryLabels: [Int32], pointLabels: [Int32]) -> [(Int32, Float)] {
        let q = prepared.rows(queryRows)
        let qNorms = queryRows.map { squaredNorms[$0] }
        let heaps = NeighborHeaps(rows: q.rows, k: candidates(1, available: count))
        crossSearch(q, qNorms, into: heaps, labels: (queryLabels, pointLabels))
        let lists = finish(heaps, queries: q, k: 1)
        return (0..<q.rows).map { (lists.indices[$0], lists.distances[$0]) }
    }

    // MARK: - Tiled search

    /// Self-search over the tiles I ≤ J of the symmetric distance matrix.
    private func selfSearch(into heaps: NeighborHeaps) {
        let n = count, edge = NearestNeighborIndex.tileEdge
        let blocks = (n + edge - 1) / edge
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: min(n, edge) * min(n, edge))
        defer { tile.deallocate() }
        prepared.withView { y in
            squaredNorms.withUnsafeBufferPointer { norms in
                for bi in 0..<blocks {
                    let rowsI = (bi * edge)..<min(n, (bi + 1) * edge)
                    for bj in bi..<blocks {
                        let colsJ = (bj * edge)..<min(n, (bj + 1) * edge)
                        let tileView = MutableMatrixView(base: tile, rows: rowsI.count, columns: colsJ.count,
                                                         rowStride: colsJ.count)
                        gemm(.none, .transposed, y.rows(rowsI), y.rows(colsJ), tileView)
                        let scan = TileScan(tile: UnsafePointer(tile), rows: rowsI, columns: colsJ,
                                            rowTerms: norms.baseAddress!, columnTerms: norms.baseAddress!,
                                            heaps: heaps, excludeSelf: true, labels: nil)
                        // Rows of block I and (off the diagonal) rows of block J are disjoint, so their
                        // updates can run side by side.
                        let rowTasks = (rowsI.count + TileScan.rowChunk - 1) / TileScan.rowChunk
                        let columnTasks = bi == bj ? 0 : (colsJ.count + TileScan.columnChunk - 1) / TileScan.columnChunk
                        Parallel.forEach(rowTasks + columnTasks) { t in
                            if t < rowTasks {
                                scan.scanRows(t * TileScan.rowChunk..<min(rowsI.count, (t + 1) * TileScan.rowChunk))
                            } else {
                                let c = t - rowTasks
                                scan.scanColumns(c * TileScan.columnChunk..<min(colsJ.count, (c + 1) * TileScan.columnChunk))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Queries against all indexed points, tile by tile.
    private func crossSearch(_ q: Matrix<Float>, _ qNorms: [Float], into heaps: NeighborHeaps,
                             labels: ([Int32], [Int32])?) {
        let n = count, m = q.rows, edge = NearestNeighborIndex.tileEdge
        if m == 0 { return }
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: min(m, edge) * min(n, edge))
        defer { tile.deallocate() }
        let (queryLabels, pointLabels) = labels ?? ([], [])
        q.withView { qv in prepared.withView { y in
            qNorms.withUnsafeBufferPointer { qn in squaredNorms.withUnsafeBufferPointer { yn in
                queryLabels.withUnsafeBufferPointer { ql in pointLabels.withUnsafeBufferPointer { pl in
                    for rowStart in stride(from: 0, to: m, by: edge) {
                        let rowsI = rowStart..<min(m, rowStart + edge)
                        for colStart in stride(from: 0, to: n, by: edge) {
                            let colsJ = colStart..<min(n, colStart + edge)
                            let tileView = MutableMatrixView(base: tile, rows: rowsI.count, columns: colsJ.count,
                                                             rowStride: colsJ.count)
                            gemm(.none, .transposed, qv.rows(rowsI), y.rows(colsJ), tileView)
                            let scan = TileScan(tile: UnsafePointer(tile), rows: rowsI, columns: colsJ,
                                                rowTerms: qn.baseAddress!, columnTerms: yn.baseAddress!,
                                                heaps: heaps, excludeSelf: false,
                                                labels: labels == nil ? nil : (ql.baseAddress!, pl.baseAddress!))
                            let tasks = (rowsI.count + TileScan.rowChunk - 1) / TileScan.rowChunk
                            Parallel.forEach(tasks) { t in
                                scan.scanRows(t * TileScan.rowChunk..<min(rowsI.count, (t + 1) * TileScan.rowChunk))
                            }
                        }
                    }
                } }
            } }
        } }
    }

    /// Recomputes the candidates' distances from differences, keeps the best k of each row in that order, and
    /// packages the result.
    private func finish(_ heaps: NeighborHeaps, queries q: Matrix<Float>, k: Int) -> NeighborLists {
        let m = heaps.rows, kc = heaps.k, d = dimension
        var indices = [Int32](repeating: 0, count: m * k)
        var distances = [Float](repeating: 0, count: m * k)
        let cosine = metric == .cosine
        // Unit rows keep the GEMM form accurate to ~1e-7 absolute, so for cosine only near-duplicates
        // (distance < 1e-4), where that error is large relatively, are recomputed; Euclidean keys all are.
        let recomputeBelow: Float = cosine ? 2e-4 : .infinity
        q.withView { qv in prepared.withView { y in
            indices.withUnsafeMutableBufferPointer { ib in distances.withUnsafeMutableBufferPointer { db in
                let ip = ib.baseAddress!, dp = db.baseAddress!
                Parallel.forEachChunk(m, chunk: 64) { range in
                    var row = [(Float, Int32)]()
                    row.reserveCapacity(k)
                    for i in range {
                        row.removeAll(keepingCapacity: true)
                        for t in 0..<Int(heaps.sizes[i]) {
                            let j = heaps.indices[i * kc + t], key = heaps.keys[i * kc + t]
                            let sq = key < recomputeBelow ? squaredDistance(qv.row(i), y.row(Int(j)), d) : key
                            row.append((cosine ? 0.5 * sq : sq.squareRoot(), j))
                        }
                        row.sort { NeighborHeaps.after($1.0, $1.1, $0.0, $0.1) }
                        for t in 0..<min(k, row.count) {
                            dp[i * k + t] = row[t].0
                            ip[i * k + t] = row[t].1
                        }
                    }
                }
            } }
        } }
        return NeighborLists(count: m, k: k, indices: indices, distances: distances)
    }
}

/// The k nearest neighbours of every row of `x` among the other rows (see `NearestNeighborIndex`).
public func nearestNeighbors(_ x: Matrix<Float>, k: Int, metric: DistanceMetric = .cosine) throws -> NeighborLists {
    try NearestNeighborIndex(x, metric: metric).neighbors(k: k)
}

/// `Σ (aᵢ − bᵢ)²` with sixteen Float lanes; a fixed lane order, so the value never depends on threads.
@inline(__always)
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
    var acc = SIMD16<Float>()
    var p = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while p + 16 <= d {
        let diff = ra.loadUnaligned(fromByteOffset: p * 4, as: SIMD16<Float>.self)
            - rb.loadUnaligned(fromByteOffset: p * 4, as: SIMD16<Float>.self)
        acc += diff * diff
        p += 16
    }
    var s = acc.sum()
    while p < d {
        let diff = a[p] - b[p]
        s += diff * diff
        p += 1
    }
    return s
}

/// One tile of inner products `tile[r, c] = y_{rows.lower + r} · y_{columns.lower + c}` and the two ways of
/// feeding it to the heaps. The key of a pair is `(tᵢ + tⱼ) − 2·dot`, the squared distance in GEMM form;
/// because IEEE addition is commutative, the row scan and the column scan compute the same bits for a pair.
struct TileScan {
    static let rowChunk = 32
    static let columnChunk = 256

    let tile: UnsafePointer<Float>
    let rows: Range<Int>
    let columns: Range<Int>
    let rowTerms: UnsafePointer<Float>
    let columnTerms: UnsafePointer<Float>
    let heaps: NeighborHeaps
    let excludeSelf: Bool
    /// (query labels, point labels): a candidate with the query's label is skipped.
    let labels: (UnsafePointer<Int32>, UnsafePointer<Int32>)?

    /// Candidates for the heaps of tile rows `local` (global rows `rows.lowerBound + local`).
    func scanRows(_ local: Range<Int>) {
        let width = columns.count, j0 = columns.lowerBound
        let raw = UnsafeRawPointer(tile)
        let colTerms = UnsafeRawPointer(columnTerms + j0)
        for r in local {
            let i = rows.lowerBound + r
            let ti = rowTerms[i]
            var threshold = heaps.worst[i]
            let rowBytes = r * width * 4
            var c = 0
            while c + 16 <= width {
                let dots = raw.loadUnaligned(fromByteOffset: rowBytes + c * 4, as: SIMD16<Float>.self)
                let tj = colTerms.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
                let keys = (SIMD16(repeating: ti) + tj) + (-2) * dots
                // `<=` so that a tie with the worst key still reaches the exact (key, index) comparison.
                if any(keys .<= threshold) {
                    for lane in 0..<16 where keys[lane] <= threshold {
                        consider(row: i, key: keys[lane], candidate: j0 + c + lane)
                        threshold = heaps.worst[i]
                    }
                }
                c += 16
            }
            while c < width {
                let key = (ti + columnTerms[j0 + c]) + (-2) * tile[r * width + c]
                if key <= threshold {
                    consider(row: i, key: key, candidate: j0 + c)
                    threshold = heaps.worst[i]
                }
                c += 1
            }
        }
    }

    /// Candidates for the heaps of tile columns `local` (global points `columns.lowerBound + local`), from the
    /// rows of the tile: used for the lower triangle that the symmetric self-search never computes.
    func scanColumns(_ local: Range<Int>) {
        let width = columns.count, j0 = columns.lowerBound
        let raw = UnsafeRawPointer(tile)
        let colTerms = UnsafeRawPointer(columnTerms + j0)
        let worst = UnsafeRawPointer(heaps.worst + j0)
        for r in 0..<rows.count {
            let i = rows.lowerBound + r
            let ti = rowTerms[i]
            let rowBytes = r * width * 4
            var c = local.lowerBound
            while c + 16 <= local.upperBound {
                let dots = raw.loadUnaligned(fromByteOffset: rowBytes + c * 4, as: SIMD16<Float>.self)
                let tj = colTerms.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
                let keys = (SIMD16(repeating: ti) + tj) + (-2) * dots
                let thresholds = worst.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self)
                if any(keys .<= thresholds) {
                    for lane in 0..<16 where keys[lane] <= heaps.worst[j0 + c + lane] {
                        consider(row: j0 + c + lane, key: keys[lane], candidate: i)
                    }
                }
                c += 16
            }
            while c < local.upperBound {
                let key = (ti + columnTerms[j0 + c]) + (-2) * tile[r * width + c]
                if key <= heaps.worst[j0 + c] { consider(row: j0 + c, key: key, candidate: i) }
                c += 1
            }
        }
    }

    @inline(__always) private func consider(row: Int, key: Float, candidate: Int) {
        if excludeSelf && candidate == row { return }
        if let (queryLabels, pointLabels) = labels, queryLabels[row] == pointLabels[candidate] { return }
        heaps.offer(row: row, key: key, index: Int32(truncatingIfNeeded: candidate))
    }
}
