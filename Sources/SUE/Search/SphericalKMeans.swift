import LinearAlgebra

/// Spherical k-means (Dhillon & Modha, "Concept decompositions for large sparse text data using clustering",
/// Machine Learning 2001): k-means for unit rows under cosine similarity, whose centroids are the normalised means
/// of their members. It partitions the rows of an inverted-file index into cells.
///
/// Seeding is k-means++ (Arthur & Vassilvitskii 2007) with the squared chord distance `2 − 2·cos`, which is the
/// squared Euclidean distance between unit vectors, so the seeding guarantee of k-means++ carries over. Every step
/// is deterministic for a seed: similarities come from the package's GEMM (thread-count independent), argmaxes
/// break ties to the lower centroid, and sums run in row order.
enum SphericalKMeans {
    /// `count` unit centroids (rows) for the unit rows of `rows`, from at most `iterations` Lloyd rounds after
    /// k-means++ seeding. A cell that loses all its members is moved to the row farthest from its own centroid,
    /// unless every row already sits on a centroid (fewer distinct rows than cells); such a cell stays empty.
    /// - Precondition: `rows` has unit (or zero) rows and at least `count` ≥ 1 rows.
    /// `roundDone(r)` is called after round r (1-based) on the calling thread.
    static func centroids(of rows: Matrix<Float>, count: Int, iterations: Int, seed: UInt64,
                          roundDone: (Int) -> Void = { _ in }) -> Matrix<Float> {
        precondition(count >= 1 && rows.rows >= count)
        var random = SeededRandom(seed: seed)
        var centroids = seeding(rows, count: count, random: &random)
        var previous = [Int32]()
        for round in 1...iterations {
            defer { roundDone(round) }
            let (cell, similarity) = nearest(rows, centroids)
            if cell == previous { break }
            previous = cell
            centroids = means(rows, cell: cell, count: count)
            // Empty cells move to the rows worst served by their centroids, worst first (ties: lower row).
            var members = [Int](repeating: 0, count: count)
            for c in cell { members[Int(c)] += 1 }
            let empty = (0..<count).filter { members[$0] == 0 }
            if !empty.isEmpty {
                let worst = (0..<rows.rows).sorted { (similarity[$0], $0) < (similarity[$1], $1) }
                for (c, r) in zip(empty, worst) where similarity[r] < 1 - 1e-6 {
                    for j in 0..<rows.columns { centroids[c, j] = rows[r, j] }
                }
            }
        }
        return centroids
    }

    /// Each row's most similar centroid (ties: the lower one) and that similarity.
    static func nearest(_ rows: Matrix<Float>, _ centroids: Matrix<Float>) -> (cell: [Int32], similarity: [Float]) {
        var cell = [Int32](repeating: 0, count: rows.rows)
        var similarity = [Float](repeating: 0, count: rows.rows)
        let k = centroids.rows
        cell.withUnsafeMutableBufferPointer { cellOut in
            similarity.withUnsafeMutableBufferPointer { similarityOut in
                SimilarityTiles(rows, centroids).forEachBlock { _, block, s in
                    for i in block {
                        let row = s + (i - block.lowerBound) * k
                        var best = 0
                        for c in 1..<max(1, k) where row[c] > row[best] { best = c }
                        cellOut[i] = Int32(best)
                        similarityOut[i] = row[best]
                    }
                }
            }
        }
        return (cell, similarity)
    }

    /// The normalised mean of each cell's rows, summed in row order in double precision. A cell without members
    /// gets a zero row, which the caller replaces.
    private static func means(_ rows: Matrix<Float>, cell: [Int32], count: Int) -> Matrix<Float> {
        let d = rows.columns
        var sums = [Double](repeating: 0, count: count * d)
        for i in 0..<rows.rows {
            let base = Int(cell[i]) * d
            for j in 0..<d { sums[base + j] += Double(rows[i, j]) }
        }
        var out = Matrix<Float>(rows: count, columns: d)
        for c in 0..<count {
            var norm = 0.0
            for j in 0..<d { norm += sums[c * d + j] * sums[c * d + j] }
            guard norm > 0 else { continue }
            let scale = 1 / norm.squareRoot()
            for j in 0..<d { out[c, j] = Float(sums[c * d + j] * scale) }
        }
        return out
    }

    /// k-means++ seeding: the first centroid a uniformly drawn row, each next one a row drawn with probability
    /// proportional to its squared chord distance `2 − 2·cos` to the nearest centroid chosen so far. When every
    /// row already coincides with a centroid, the remaining centroids repeat the first one (their cells stay empty).
    private static func seeding(_ rows: Matrix<Float>, count: Int, random: inout SeededRandom) -> Matrix<Float> {
        let n = rows.rows, d = rows.columns
        var centroids = Matrix<Float>(rows: count, columns: d)
        var chosen = random.int(below: n)
        var distance = [Double](repeating: .infinity, count: n)
        for c in 0..<count {
            for j in 0..<d { centroids[c, j] = rows[chosen, j] }
            if c == count - 1 { break }
            let centroid = centroids.row(c)
            distance.withUnsafeMutableBufferPointer { out in
                rows.withView { v in
                    Parallel.forEachChunk(n, chunk: 4096) { range in
                        for i in range {
                            let row = v.row(i)
                            var dot: Float = 0
                            for j in 0..<d { dot += row[j] * centroid[j] }
                            out[i] = min(out[i], max(0, 2 - 2 * Double(dot)))
                        }
                    }
                }
            }
            var total = 0.0
            for value in distance { total += value }
            guard total > 0 else {
                for later in (c + 1)..<count { for j in 0..<d { centroids[later, j] = centroids[0, j] } }
                break
            }
            var target = random.uniform() * total
            // Rounding can leave `target` a hair above zero at the end: then the last row with a distance wins.
            chosen = distance.lastIndex { $0 > 0 }!
            for i in 0..<n where distance[i] > 0 {
                target -= distance[i]
                if target < 0 { chosen = i; break }
            }
        }
        return centroids
    }
}
