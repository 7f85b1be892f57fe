import Foundation
import LinearAlgebra

// Cross-modal retrieval by cosine similarity: the metric of the paper's evaluation (Recall@1/5/10) and the
// matching step of self-learning (CSLS mutual nearest neighbours).
//
// Everything here works on row blocks of a similarity matrix computed on the fly by GEMM, so memory is
// O(block · n) per task rather than O(n²), and the blocks are fixed by the sizes alone (never by the thread
// count), so results are bit-identical for any `Parallel.threadCount`.

/// Recall@1/5/10 in percent for one retrieval direction.
public struct Recall: Sendable, Equatable, Codable {
    /// Percentage of queries whose partner ranks first.
    public var r1: Double
    /// Percentage of queries whose partner is among the first five.
    public var r5: Double
    /// Percentage of queries whose partner is among the first ten.
    public var r10: Double

    /// Recall with every figure given.
    public init(r1: Double, r5: Double, r10: Double) {
        self.r1 = r1
        self.r5 = r5
        self.r10 = r10
    }
}

/// Recall in both directions: `xToY` queries with X rows and searches the Y rows, `yToX` the reverse.
public struct RetrievalScores: Sendable, Equatable, Codable {
    /// X rows as queries, Y rows as the pool.
    public var xToY: Recall
    /// Y rows as queries, X rows as the pool.
    public var yToX: Recall

    /// Scores with both directions given.
    public init(xToY: Recall, yToX: Recall) {
        self.xToY = xToY
        self.yToX = yToX
    }
}

/// Rows of the similarity matrix handled by one task. A constant (not derived from the thread count) so
/// that the work decomposition, and therefore every result, is the same for any number of threads.
let similarityRowBlock = 256

/// Recall@1/5/10 by cosine similarity for row-aligned test pairs: row i of `x` belongs with row i of `y`.
///
/// For query i the rank of its partner is the number of candidates with a strictly larger cosine (so ties
/// count in the query's favour, as in the reference scripts); Recall@k is the fraction of queries whose rank
/// is below k. Both directions come from the same blocks of `S = X̂·Ŷᵀ` (rows normalised): the x→y ranks are
/// row counts, the y→x ranks column counts of entries above the diagonal value of that column.
public func retrievalRecall(_ x: Matrix<Float>, _ y: Matrix<Float>) throws -> RetrievalScores {
    guard x.rows == y.rows, x.columns == y.columns else {
        throw AlignmentError.shapeMismatch("retrieval: embedded X is \(x.rows)×\(x.columns), embedded Y is \(y.rows)×\(y.columns); expected equal shapes")
    }
    guard x.rows > 0 else { throw AlignmentError.insufficientData("retrieval: no test pairs") }
    try requireFinite(x, "retrieval: embedded X")
    try requireFinite(y, "retrieval: embedded Y")
    let n = x.rows
    let px = x.normalizedRows(), py = y.normalizedRows()
    // The diagonal S_ii is computed by the same GEMM as the rest of its row block, so a row is never compared
    // with a differently rounded copy of its own partner's score.
    let blocks = (n + similarityRowBlock - 1) / similarityRowBlock
    var rowRank = [Int](repeating: 0, count: n)
    var columnCounts = [[Int32]](repeating: [], count: blocks)
    var diagonal = [Float](repeating: 0, count: n)
    // Pass 1: the diagonal, computed in blocks exactly as pass 2 computes it.
    let tiles = SimilarityTiles(px, py)
    diagonal.withUnsafeMutableBufferPointer { diag in
        tiles.forEachBlock { _, range, s in
            for i in range { diag[i] = s[(i - range.lowerBound) * n + i] }
        }
    }
    diagonal.withUnsafeBufferPointer { diag in
        rowRank.withUnsafeMutableBufferPointer { ranks in
            columnCounts.withUnsafeMutableBufferPointer { counts in
                tiles.forEachBlock { b, range, s in
                    var local = [Int32](repeating: 0, count: n)
                    for i in range {
                        let row = s + (i - range.lowerBound) * n
                        let truth = diag[i]
                        var above = 0
                        for j in 0..<n {
                            let v = row[j]
                            if v > truth { above += 1 }
                            if v > diag[j] { local[j] += 1 }
                        }
                        ranks[i] = above
                    }
                    counts[b] = local
                }
            }
        }
    }
    var columnRank = [Int](repeating: 0, count: n)
    for b in 0..<blocks { for j in 0..<n { columnRank[j] += Int(columnCounts[b][j]) } }
    return RetrievalScores(xToY: recallFromRanks(rowRank), yToX: recallFromRanks(columnRank))
}

/// Recall@1/5/10 (percent) from 0-based ranks of the true partner.
public func recallFromRanks(_ ranks: [Int]) -> Recall {
    let n = Double(max(ranks.count, 1))
    func frac(_ k: Int) -> Double { 100 * Double(ranks.filter { $0 < k }.count) / n }
    return Recall(r1: frac(1), r5: frac(5), r10: frac(10))
}

/// Blocks of rows of the similarity matrix `S = P·Qᵀ`, each computed by one GEMM into a task-local buffer.
///
/// `forEachBlock` runs the body for block `b` (rows `range` of S) with a pointer to the block's rows, stored
/// row-major with row length `Q.rows`. Blocks run in parallel; the body must only write memory of its own
/// block (or per-block partial results combined afterwards in block order).
struct SimilarityTiles {
    let p: Matrix<Float>
    let q: Matrix<Float>
    let blockRows: Int

    init(_ p: Matrix<Float>, _ q: Matrix<Float>, blockRows: Int = similarityRowBlock) {
        precondition(p.columns == q.columns)
        self.p = p
        self.q = q
        self.blockRows = blockRows
    }

    var blockCount: Int { (p.rows + blockRows - 1) / blockRows }

    func forEachBlock(_ body: (Int, Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let n = q.rows
        let count = blockCount
        // The GEMM inside a task may itself use `Parallel.forEach` (nested dispatch is fine); its result does
        // not depend on how many threads it gets.
        p.withView { pv in
            q.withView { qv in
                Parallel.forEach(count) { b in
                    let range = (b * blockRows)..<min(p.rows, (b + 1) * blockRows)
                    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: range.count * n)
                    defer { buffer.deallocate() }
                    let c = MutableMatrixView(base: buffer, rows: range.count, columns: n, rowStride: n)
                    gemm(.none, .transposed, pv.rows(range), qv, c)
                    body(b, range, buffer)
                }
            }
        }
    }
}
