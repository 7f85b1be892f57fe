import Foundation
import LinearAlgebra

/// Pairs that are each other's best match under CSLS, with a confidence for each.
public struct MutualMatches: Sendable, Equatable {
    /// Row of P (the X side) of each match.
    public var x: [Int]
    /// Row of Q (the Y side) of each match.
    public var y: [Int]
    /// CSLS score of each match (see `cslsMutualNearestNeighbours`).
    public var score: [Float]
    /// Confidence: the match's CSLS score minus the best competing score in its row or its column
    /// (≥ 0 by construction; 0 for an exact tie).
    public var margin: [Float]

    public var count: Int { x.count }

    /// Mean CSLS score of the matches (0 if there are none). Self-learning uses it as its label-free objective:
    /// a better shared space gives both more and more confident mutual matches.
    public var meanScore: Double {
        score.isEmpty ? 0 : score.reduce(0.0) { $0 + Double($1) } / Double(score.count)
    }
}

/// Mutual nearest neighbours between the rows of `p` and the rows of `q` under cross-domain similarity local
/// scaling (CSLS; Conneau et al. 2018, "Word translation without parallel data").
///
/// With cosine similarity `s(i, j)` and `r_P(i)` the mean similarity of `p_i` to its `k` nearest rows of `q`
/// (and `r_Q(j)` symmetrically),
///
///     CSLS(i, j) = 2·s(i, j) − r_P(i) − r_Q(j).
///
/// Plain nearest neighbours in high dimension suffer from *hubness*: a few points are the nearest neighbour of
/// very many queries, which would fill a dictionary with repeated, wrong pairs. Subtracting each point's mean
/// neighbourhood similarity penalises hubs and rewards points whose match stands out from their neighbourhood.
/// A pair is kept when `j` is the best CSLS match of `i` *and* `i` is the best of `j`.
///
/// Cost: `|P|·|Q|·d` multiply-adds for the similarities, which two selection passes read (one for the `r`
/// terms, one for the matches). When `|P|·|Q|` is at most `similarityCacheLimit` the similarities are kept
/// between the passes (4·|P|·|Q| bytes: 530 MB for 11 500²); above it they are recomputed per row block in the
/// second pass, so memory stays O(block·|Q|) per running task. Per-column partial results take
/// O(groups·|Q|·k), where the number of groups is a constant; blocks and groups are fixed by the sizes, so the
/// result is the same for any thread count and either way. Ties go to the smaller index.
public func cslsMutualNearestNeighbours(_ p: Matrix<Float>, _ q: Matrix<Float>, k: Int = 10,
                                        maxCachedSimilarities: Int = similarityCacheLimit) throws -> MutualMatches {
    guard p.columns == q.columns else {
        throw AlignmentError.shapeMismatch("CSLS matching: P has \(p.columns) columns, Q has \(q.columns)")
    }
    guard k >= 1 else { throw AlignmentError.invalidConfiguration("CSLS neighbourhood size k must be ≥ 1, got \(k)") }
    try checkAllFinite(p, "CSLS matching: P")
    try checkAllFinite(q, "CSLS matching: Q")
    if p.rows == 0 || q.rows == 0 { return MutualMatches(x: [], y: [], score: [], margin: []) }
    let pn = normalisedRows(p), qn = normalisedRows(q)
    let tiles = SimilarityTiles(pn, qn)
    let np = p.rows, nq = q.rows
    let kp = min(k, nq), kq = min(k, np)
    let groups = min(tiles.blockCount, 8)
    let cache: UnsafeMutablePointer<Float>? = np * nq <= maxCachedSimilarities ? .allocate(capacity: np * nq) : nil
    defer { cache?.deallocate() }

    // Pass 1: r_P per row; per group, the k largest similarities of every column (merged afterwards).
    var rP = [Float](repeating: 0, count: np)
    var columnTop = [[Float]](repeating: [], count: groups)
    rP.withUnsafeMutableBufferPointer { rp in
        columnTop.withUnsafeMutableBufferPointer { tops in
            forEachGroup(tiles, groups: groups, cache: cache, cacheFilled: false) { g, blocks in
                var top = [Float](repeating: -.infinity, count: nq * kq)
                var topMin = [Float](repeating: -.infinity, count: nq)
                var rowTop = [Float](repeating: 0, count: kp)
                top.withUnsafeMutableBufferPointer { top in
                    topMin.withUnsafeMutableBufferPointer { topMin in
                        for (range, s) in blocks {
                            for i in range {
                                let row = s + (i - range.lowerBound) * nq
                                rp[i] = meanOfLargest(row, count: nq, k: kp, scratch: &rowTop)
                                for j in 0..<nq where row[j] > topMin[j] {
                                    insertReplacingMinimum(row[j], into: top.baseAddress! + j * kq, k: kq,
                                                           minimum: &topMin[j])
                                }
                            }
                        }
                    }
                }
                tops[g] = top
            }
        }
    }
    var rQ = [Float](repeating: 0, count: nq)
    var merged = [Float](repeating: 0, count: groups * kq)
    for j in 0..<nq {
        for g in 0..<groups { for t in 0..<kq { merged[g * kq + t] = columnTop[g][j * kq + t] } }
        merged.sort(by: >)
        var sum: Float = 0
        for t in 0..<kq { sum += merged[t] }
        rQ[j] = sum / Float(kq)
    }

    // Pass 2: CSLS; best and second best per row, and per group per column.
    var rowBest = [Int](repeating: -1, count: np)
    var rowBestValue = [Float](repeating: -.infinity, count: np)
    var rowSecond = [Float](repeating: -.infinity, count: np)
    var columnBest = [BestTwo](repeating: BestTwo(count: 0), count: groups)
    rowBest.withUnsafeMutableBufferPointer { rb in
        rowBestValue.withUnsafeMutableBufferPointer { rbv in
            rowSecond.withUnsafeMutableBufferPointer { rs in
                columnBest.withUnsafeMutableBufferPointer { cb in
                    forEachGroup(tiles, groups: groups, cache: cache, cacheFilled: true) { g, blocks in
                        var col = BestTwo(count: nq)
                        col.best.withUnsafeMutableBufferPointer { colBest in
                            col.second.withUnsafeMutableBufferPointer { colSecond in
                                col.index.withUnsafeMutableBufferPointer { colIndex in
                                    rQ.withUnsafeBufferPointer { rq in
                                        for (range, s) in blocks {
                                            for i in range {
                                                let row = s + (i - range.lowerBound) * nq
                                                let ri = rP[i]
                                                var best: Float = -.infinity, second: Float = -.infinity, arg = -1
                                                for j in 0..<nq {
                                                    let c = 2 * row[j] - ri - rq[j]
                                                    if c > best { second = best; best = c; arg = j } else if c > second { second = c }
                                                    // BestTwo.offer, inlined on raw buffers (this loop runs |P|·|Q| times).
                                                    if c > colBest[j] || (c == colBest[j] && i < colIndex[j]) {
                                                        colSecond[j] = max(colSecond[j], colBest[j])
                                                        colBest[j] = c
                                                        colIndex[j] = i
                                                    } else if c > colSecond[j] {
                                                        colSecond[j] = c
                                                    }
                                                }
                                                rb[i] = arg
                                                rbv[i] = best
                                                rs[i] = second
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        cb[g] = col
                    }
                }
            }
        }
    }
    var col = BestTwo(count: nq)
    for g in 0..<groups { col.merge(columnBest[g]) }

    var out = MutualMatches(x: [], y: [], score: [], margin: [])
    for i in 0..<np {
        let j = rowBest[i]
        guard j >= 0, col.index[j] == i else { continue }
        let score = rowBestValue[i]
        let competitor = max(rowSecond[i], col.second[j])
        out.x.append(i)
        out.y.append(j)
        out.score.append(score)
        out.margin.append(competitor.isFinite ? score - competitor : 0)
    }
    return out
}

/// Similarity matrices up to this many entries (1 GiB of Float) are kept between the two CSLS passes.
public let similarityCacheLimit = 1 << 28

/// Runs `body(group, blocks)` for `groups` fixed groups of row blocks, in parallel over groups. Group g owns
/// blocks g, g + groups, g + 2·groups, … and receives them in increasing order. Without a `cache` the
/// similarity rows of each block are computed just before the body sees them and freed afterwards; with one
/// (|P|·|Q| floats) they are computed into it unless `cacheFilled`, and read from it otherwise.
private func forEachGroup(_ tiles: SimilarityTiles, groups: Int, cache: UnsafeMutablePointer<Float>?, cacheFilled: Bool,
                          _ body: (Int, AnySequence<(Range<Int>, UnsafeMutablePointer<Float>)>) -> Void) {
    let n = tiles.q.rows
    let count = tiles.blockCount
    tiles.p.withView { pv in
        tiles.q.withView { qv in
            Parallel.forEach(groups) { g in
                let blockRows = tiles.blockRows
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: cache == nil ? blockRows * n : 0)
                defer { buffer.deallocate() }
                let seq = AnySequence<(Range<Int>, UnsafeMutablePointer<Float>)> { () -> AnyIterator<(Range<Int>, UnsafeMutablePointer<Float>)> in
                    var b = g
                    return AnyIterator {
                        guard b < count else { return nil }
                        let range = (b * blockRows)..<min(tiles.p.rows, (b + 1) * blockRows)
                        b += groups
                        let rows = cache.map { $0 + range.lowerBound * n } ?? buffer
                        if cache == nil || !cacheFilled {
                            let c = MutableMatrixView(base: rows, rows: range.count, columns: n, rowStride: n)
                            gemm(.none, .transposed, pv.rows(range), qv, c)
                        }
                        return (range, rows)
                    }
                }
                body(g, seq)
            }
        }
    }
}

/// Mean of the `k` largest of `count` values (partial selection into `scratch`, O(count·k) worst case but
/// O(count) in practice since most values fail the first comparison).
@inline(__always)
func meanOfLargest(_ row: UnsafePointer<Float>, count: Int, k: Int, scratch: inout [Float]) -> Float {
    var minimum: Float = -.infinity
    for t in 0..<k { scratch[t] = -.infinity }
    scratch.withUnsafeMutableBufferPointer { buf in
        for j in 0..<count where row[j] > minimum {
            insertReplacingMinimum(row[j], into: buf.baseAddress!, k: k, minimum: &minimum)
        }
    }
    var sum: Float = 0
    for t in 0..<k { sum += scratch[t] }
    return sum / Float(k)
}

/// Replaces the smallest of the `k` values at `slots` by `value` (which must exceed it) and updates `minimum`.
@inline(__always)
func insertReplacingMinimum(_ value: Float, into slots: UnsafeMutablePointer<Float>, k: Int, minimum: inout Float) {
    var at = 0
    for t in 1..<max(k, 1) where slots[t] < slots[at] { at = t }
    slots[at] = value
    var m = slots[0]
    for t in 1..<max(k, 1) where slots[t] < m { m = slots[t] }
    minimum = m
}

/// Best and second-best score per column, with the row index of the best (ties: smaller row index).
struct BestTwo {
    var best: [Float]
    var second: [Float]
    var index: [Int]

    init(count: Int) {
        best = [Float](repeating: -.infinity, count: count)
        second = [Float](repeating: -.infinity, count: count)
        index = [Int](repeating: -1, count: count)
    }

    @inline(__always)
    mutating func offer(_ value: Float, index i: Int, at j: Int) {
        if value > best[j] || (value == best[j] && i < index[j]) {
            second[j] = max(second[j], best[j])
            best[j] = value
            index[j] = i
        } else if value > second[j] {
            second[j] = value
        }
    }

    mutating func merge(_ other: BestTwo) {
        for j in 0..<other.best.count {
            if other.index[j] >= 0 { offer(other.best[j], index: other.index[j], at: j) }
            if other.second[j] > second[j] { second[j] = other.second[j] }
        }
    }
}
