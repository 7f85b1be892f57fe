import Foundation
import LinearAlgebra
import SUE

/// Queries handled per task: a constant, so the work split (and every result) is the same for any thread count.
private let queriesPerBlock = 256

/// The `k` index rows with the largest cosine similarity to each query, best first (ties: lower row first).
///
/// Rows are normalised once (`normalisedRows`), then each block of queries gets its similarity rows from one
/// GEMM, `S = Q̂·X̂ᵀ`, and keeps the best k of each row by insertion into a sorted list of length k (k is small,
/// so this beats a heap). Blocks run in parallel and write only their own queries' results.
func cosineTopK(_ queries: Matrix<Float>, _ index: Matrix<Float>, k: Int) -> [[(row: Int, score: Float)]] {
    let q = normalisedRows(queries), x = normalisedRows(index)
    var results = [[(row: Int, score: Float)]](repeating: [], count: q.rows)
    let blocks = (q.rows + queriesPerBlock - 1) / queriesPerBlock
    results.withUnsafeMutableBufferPointer { out in
        let out = out
        Parallel.forEach(blocks) { b in
            let rows = (b * queriesPerBlock)..<min(q.rows, (b + 1) * queriesPerBlock)
            let s = Matrix.multiply(q.rows(rows), .none, x, .transposed)
            for (r, query) in rows.enumerated() {
                var best = [(row: Int, score: Float)]()
                best.reserveCapacity(k + 1)
                for j in 0..<x.rows {
                    let v = s[r, j]
                    if best.count == k, !(v > best[k - 1].score) { continue }
                    var at = best.count
                    while at > 0 && v > best[at - 1].score { at -= 1 }
                    best.insert((j, v), at: at)
                    if best.count > k { best.removeLast() }
                }
                out[query] = best
            }
        }
    }
    return results
}
