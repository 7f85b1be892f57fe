import Foundation
import LinearAlgebra

// TEMPORARY stand-ins for `Retrieval.swift` and `Protocol.swift` of the SUE module (branch `selflearn`):
// Recall@k, cosine top-k and the Appendix D.7 split. Once those files are merged, the commands call them
// and this file is deleted.

/// Recall@1/5/10 in percent for one direction.
struct InterimRecall { var r1: Double, r5: Double, r10: Double }

/// Rows of `a` scaled to unit length (zero rows stay zero: cosine 0 with everything, never NaN).
func interimUnitRows(_ a: Matrix<Float>) -> Matrix<Float> {
    var out = a
    let d = a.columns
    out.elements.withUnsafeMutableBufferPointer { p in
        for i in 0..<a.rows {
            var s: Double = 0
            for j in 0..<d { s += Double(p[i * d + j]) * Double(p[i * d + j]) }
            let scale = s > 0 ? Float(1 / s.squareRoot()) : 0
            for j in 0..<d { p[i * d + j] *= scale }
        }
    }
    return out
}

/// Rows of the cosine-similarity matrix handled per task: a constant, so the work split (and every result)
/// is the same for any thread count.
private let similarityBlock = 256

/// Calls `body(query, similarities)` for every row of `queries`, with the cosine similarity of that query
/// to every row of `index`. Blocks of queries run in parallel; `body` must only write per-query slots.
func forEachSimilarityRow(_ queries: Matrix<Float>, _ index: Matrix<Float>,
                          _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
    let q = interimUnitRows(queries), x = interimUnitRows(index)
    let blocks = (q.rows + similarityBlock - 1) / similarityBlock
    Parallel.forEach(blocks) { b in
        let rows = (b * similarityBlock)..<min(q.rows, (b + 1) * similarityBlock)
        let s = Matrix.multiply(q.rows(rows), .none, x, .transposed)
        s.elements.withUnsafeBufferPointer { p in
            for (k, i) in rows.enumerated() {
                body(i, UnsafeBufferPointer(rebasing: p[(k * x.rows)..<((k + 1) * x.rows)]))
            }
        }
    }
}

/// Recall@1/5/10 both ways for row-aligned pairs (row i of `x` ↔ row i of `y`). The rank of a partner is
/// the number of candidates with a strictly larger cosine.
func interimRecall(_ x: Matrix<Float>, _ y: Matrix<Float>) -> (xToY: InterimRecall, yToX: InterimRecall) {
    func ranks(_ a: Matrix<Float>, _ b: Matrix<Float>) -> [Int] {
        var r = [Int](repeating: 0, count: a.rows)
        r.withUnsafeMutableBufferPointer { out in
            let out = out
            forEachSimilarityRow(a, b) { i, s in
                let target = s[i]
                var above = 0
                for v in s where v > target { above += 1 }
                out[i] = above
            }
        }
        return r
    }
    func recall(_ r: [Int]) -> InterimRecall {
        let n = Double(max(r.count, 1))
        func at(_ k: Int) -> Double { 100 * Double(r.filter { $0 < k }.count) / n }
        return InterimRecall(r1: at(1), r5: at(5), r10: at(10))
    }
    return (recall(ranks(x, y)), recall(ranks(y, x)))
}

/// The `k` most similar index rows of every query, best first (ties: lower row first).
func interimTopK(_ queries: Matrix<Float>, _ index: Matrix<Float>, k: Int) -> [[(row: Int, score: Float)]] {
    var results = [[(row: Int, score: Float)]](repeating: [], count: queries.rows)
    results.withUnsafeMutableBufferPointer { out in
        let out = out
        forEachSimilarityRow(queries, index) { i, s in
            var best = [(row: Int, score: Float)]()
            best.reserveCapacity(k + 1)
            for (j, v) in s.enumerated() {
                if best.count == k, let last = best.last, !(v > last.score) { continue }
                var at = best.count
                while at > 0 && v > best[at - 1].score { at -= 1 }
                best.insert((j, v), at: at)
                if best.count > k { best.removeLast() }
            }
            out[i] = best
        }
    }
    return results
}

/// The evaluation split of Appendix D.7 for one seed: `test` held-out pairs, `pairs` known training pairs,
/// and the remaining rows made weakly paired (10 % dropped per modality independently, then shuffled).
struct InterimSplit {
    var testRows: [Int]
    var pairedRows: [Int]
    var unpairedX: [Int]
    var unpairedY: [Int]

    init(rows: Int, pairs: Int, test: Int, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let order = random.permutation(rows)
        testRows = Array(order[0..<test])
        pairedRows = Array(order[test..<(test + pairs)])
        let pool = Array(order[(test + pairs)...])
        let keep = pool.count - Int((0.1 * Double(pool.count)).rounded())
        unpairedX = random.permutation(pool.count).prefix(keep).map { pool[$0] }
        unpairedY = random.permutation(pool.count).prefix(keep).map { pool[$0] }
    }
}
