import Foundation
import LinearAlgebra

/// How CSLS matching narrows its search: candidates from a low-rank approximation, scored exactly.
///
/// The matching of self-learning scores every row of one side against every row of the other, one GEMM of
/// depth d (the factors' width), and that GEMM is most of each round. The entries that decide a match are
/// each row's and column's few largest, and a low-rank approximation of the similarities already ranks them
/// near the top: so the approximation at depth `rank` (`lowRankProductFactors`) picks each row's and each
/// column's `candidates` largest entries, those are scored exactly, and CSLS's neighbourhood means and best
/// matches are taken over them. The cost falls roughly with `rank / d`; the matches change only where the
/// approximation leaves a row's exact best outside its candidates, and the neighbourhood means only where an
/// exact top-k entry is missing (then they are slightly lower, a smaller correction).
public struct MatchingShortlist: Sendable, Codable, Equatable {
    /// Rank of the approximation that picks the candidates.
    public var rank: Int
    /// Candidates per row and per column (at least CSLS's `k` are used).
    public var candidates: Int

    /// A shortlist of `candidates` per row and column from a rank-`rank` approximation.
    public init(rank: Int, candidates: Int) {
        self.rank = rank
        self.candidates = candidates
    }
}

/// Rows of each side from which the shortlist's approximation takes its Gram matrices.
private let shortlistGramRows = 4096

/// `cslsMutualNearestNeighbours` with the search narrowed by `shortlist` (inner products, rows as given).
///
/// The approximate similarities are read once (the candidate scan), so each row block is computed just before it
/// is scanned, into a buffer of the block's size, as in the exact matching above its cache limit: caching all of
/// them would write and read back 4·|P|·|Q| bytes for nothing, in a buffer that would dominate the fit's memory.
func shortlistedCSLSMutualNearestNeighbours(_ p: Matrix<Float>, _ q: Matrix<Float>, k: Int,
                                            shortlist: MatchingShortlist) throws -> MutualMatches {
    let np = p.rows, nq = q.rows, d = p.columns
    let tp = min(max(shortlist.candidates, k), nq), tq = min(max(shortlist.candidates, k), np)
    let kp = min(k, tp), kq = min(k, tq)
    let (pr, qr) = try lowRankProductFactors(p, q, rank: shortlist.rank, sampleRows: shortlistGramRows)
    let rows = SimilarityRows(pr, qr, cache: nil)

    // Candidates: the tp largest approximate entries of each row, the tq largest of each column.
    var rowIndex = [Int32](repeating: -1, count: np * tp)
    var groupColumns = [(value: [Float], index: [Int32])](repeating: ([], []), count: rows.groups)
    rowIndex.withUnsafeMutableBufferPointer { rowIndex in
        groupColumns.withUnsafeMutableBufferPointer { groupColumns in
            rows.forEachGroup { g, forEachBlock in
                var value = [Float](repeating: -.infinity, count: nq * tq)
                var index = [Int32](repeating: -1, count: nq * tq)
                var threshold = [Float](repeating: -.infinity, count: nq)
                var rowValue = [Float](repeating: -.infinity, count: tp)
                value.withUnsafeMutableBufferPointer { value in
                    index.withUnsafeMutableBufferPointer { index in
                        threshold.withUnsafeMutableBufferPointer { threshold in
                            rowValue.withUnsafeMutableBufferPointer { rowValue in
                                forEachBlock { range, s in
                                    for i in range {
                                        scanForCandidates(s + (i - range.lowerBound) * nq, count: nq, i: Int32(i),
                                                          rowValue: rowValue.baseAddress!, rowIndex: rowIndex.baseAddress! + i * tp, tp: tp,
                                                          columnValue: value.baseAddress!, columnIndex: index.baseAddress!, tq: tq,
                                                          columnThreshold: threshold.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
                groupColumns[g] = (value, index)
            }
        }
    }
    var columnIndex = [Int32](repeating: -1, count: nq * tq)
    let groups = rows.groups
    columnIndex.withUnsafeMutableBufferPointer { columnIndex in
        Parallel.forEachChunk(nq, chunk: 1024) { columns in
            var merged: [(Float, Int32)] = []
            merged.reserveCapacity(groups * tq)
            for j in columns {
                merged.removeAll(keepingCapacity: true)
                for g in 0..<groups {
                    for t in 0..<tq where groupColumns[g].index[j * tq + t] >= 0 {
                        merged.append((groupColumns[g].value[j * tq + t], groupColumns[g].index[j * tq + t]))
                    }
                }
                merged.sort { ($0.0, -$0.1) > ($1.0, -$1.1) }
                for t in 0..<min(tq, merged.count) { columnIndex[j * tq + t] = merged[t].1 }
            }
        }
    }
    groupColumns = []

    // Exact similarities of the candidates, and CSLS's neighbourhood means over them.
    var rowExact = [Float](repeating: -.infinity, count: np * tp)
    var columnExact = [Float](repeating: -.infinity, count: nq * tq)
    var rP = [Float](repeating: 0, count: np), rQ = [Float](repeating: 0, count: nq)
    p.elements.withUnsafeBufferPointer { pe in
        q.elements.withUnsafeBufferPointer { qe in
            // Row a of `own` against row o of `other`: P's candidates among Q's rows, then Q's among P's.
            func fill(_ n: Int, _ t: Int, _ kk: Int, _ index: [Int32], _ out: inout [Float], _ means: inout [Float],
                      own: UnsafePointer<Float>, other: UnsafePointer<Float>) {
                out.withUnsafeMutableBufferPointer { out in
                    means.withUnsafeMutableBufferPointer { means in
                        Parallel.forEachChunk(n, chunk: 256) { range in
                            var sorted = [Float](repeating: 0, count: t)
                            for a in range {
                                for c in 0..<t where index[a * t + c] >= 0 {
                                    out[a * t + c] = dot(own + a * d, other + Int(index[a * t + c]) * d, count: d)
                                }
                                for c in 0..<t { sorted[c] = out[a * t + c] }
                                sorted.sort(by: >)
                                var sum: Float = 0
                                for c in 0..<kk { sum += sorted[c] }
                                means[a] = sum / Float(kk)
                            }
                        }
                    }
                }
            }
            fill(np, tp, kp, rowIndex, &rowExact, &rP, own: pe.baseAddress!, other: qe.baseAddress!)
            fill(nq, tq, kq, columnIndex, &columnExact, &rQ, own: qe.baseAddress!, other: pe.baseAddress!)
        }
    }

    // Best and second-best CSLS score per row and per column over the candidates.
    func bestTwo(_ n: Int, _ t: Int, _ index: [Int32], _ exact: [Float], _ own: [Float], _ other: [Float]) -> BestTwo {
        var result = BestTwo(count: n)
        result.best.withUnsafeMutableBufferPointer { best in
            result.second.withUnsafeMutableBufferPointer { second in
                result.index.withUnsafeMutableBufferPointer { arg in
                    Parallel.forEachChunk(n, chunk: 1024) { range in
                        for a in range {
                            var b: Float = -.infinity, s2: Float = -.infinity, at: Int32 = -1
                            for c in 0..<t {
                                let o = index[a * t + c]
                                guard o >= 0 else { continue }
                                let v = 2 * exact[a * t + c] - own[a] - other[Int(o)]
                                if v > b || (v == b && o < at) { s2 = max(s2, b); b = v; at = o } else if v > s2 { s2 = v }
                            }
                            best[a] = b; second[a] = s2; arg[a] = at
                        }
                    }
                }
            }
        }
        return result
    }
    let rowBest = bestTwo(np, tp, rowIndex, rowExact, rP, rQ)
    let column = bestTwo(nq, tq, columnIndex, columnExact, rQ, rP)
    return mutualMatches(rows: rowBest, columns: column)
}

/// Offers row i of the approximate similarities to the row's `tp` candidate slots (filled from scratch) and
/// to each column's `tq` slots, keeping indices beside the values.
@inline(__always)
private func scanForCandidates(_ row: UnsafePointer<Float>, count n: Int, i: Int32,
                               rowValue: UnsafeMutablePointer<Float>, rowIndex: UnsafeMutablePointer<Int32>, tp: Int,
                               columnValue: UnsafeMutablePointer<Float>, columnIndex: UnsafeMutablePointer<Int32>, tq: Int,
                               columnThreshold: UnsafeMutablePointer<Float>) {
    for t in 0..<tp { rowValue[t] = -.infinity; rowIndex[t] = -1 }
    var rowThreshold: Float = -.infinity
    var j = 0
    while j + Lanes.scalarCount <= n {
        let v = load(row + j)
        let beatsColumn = v .> load(columnThreshold + j)
        var columnLanes = any(beatsColumn) ? laneBits(beatsColumn) : 0
        while columnLanes != 0 {
            let l = columnLanes.trailingZeroBitCount
            insertIndexed(v[l], i, into: columnValue + (j + l) * tq, columnIndex + (j + l) * tq, k: tq,
                          minimum: &columnThreshold[j + l])
            columnLanes &= columnLanes - 1
        }
        if any(v .> Lanes(repeating: rowThreshold)) {
            for l in 0..<Lanes.scalarCount where v[l] > rowThreshold {
                insertIndexed(v[l], Int32(j + l), into: rowValue, rowIndex, k: tp, minimum: &rowThreshold)
            }
        }
        j += Lanes.scalarCount
    }
    while j < n {
        let v = row[j]
        if v > columnThreshold[j] {
            insertIndexed(v, i, into: columnValue + j * tq, columnIndex + j * tq, k: tq, minimum: &columnThreshold[j])
        }
        if v > rowThreshold { insertIndexed(v, Int32(j), into: rowValue, rowIndex, k: tp, minimum: &rowThreshold) }
        j += 1
    }
}

/// Replaces the smallest of the `k` values in the min-heap at `slots` (its root) by `value`, which must exceed
/// it, restores the heap order by sifting down (moving `indices` alongside), and sets `minimum` to the new root.
@inline(__always)
private func insertIndexed(_ value: Float, _ index: Int32, into slots: UnsafeMutablePointer<Float>,
                           _ indices: UnsafeMutablePointer<Int32>, k: Int, minimum: inout Float) {
    var at = 0
    while true {
        let left = 2 * at + 1
        guard left < k else { break }
        let right = left + 1
        let child = right < k && slots[right] < slots[left] ? right : left
        guard slots[child] < value else { break }
        slots[at] = slots[child]
        indices[at] = indices[child]
        at = child
    }
    slots[at] = value
    indices[at] = index
    minimum = slots[0]
}
