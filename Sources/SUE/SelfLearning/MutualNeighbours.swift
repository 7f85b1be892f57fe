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

    /// Number of matches.
    public var count: Int { x.count }

    /// Mean CSLS score of the matches (0 if there are none). Self-learning uses it as its label-free objective:
    /// a better shared space gives both more and more confident mutual matches.
    public var meanScore: Double {
        score.isEmpty ? 0 : score.reduce(0.0) { $0 + Double($1) } / Double(score.count)
    }
}

/// Memory that `cslsMutualNearestNeighbours` can keep between calls.
///
/// The matching keeps the whole similarity matrix between its two passes (4·|P|·|Q| bytes: 530 MB for
/// 11 500²). Allocating that afresh on every call is not free even though it is never zero-filled: the kernel
/// maps it lazily and takes one page fault per 4 KiB page on first touch, about 130 000 faults (each zeroing
/// its page) for 530 MB, which measured ~0.2–0.5 s of system time per call on a 2-core machine. A caller that
/// matches repeatedly at the same sizes, as self-learning does once per round, passes one workspace to every
/// call so that the pages are faulted in once.
///
/// The buffer only grows; `release()` frees it early. A workspace is not thread-safe: use one per concurrent
/// caller. It never changes a result, only where the similarities are stored.
public final class CSLSWorkspace {
    private var similarities: UnsafeMutablePointer<Float>? = nil
    /// Floats currently reserved (0 until the first cached call).
    public private(set) var capacity = 0

    /// An empty workspace; its buffer is allocated on first use.
    public init() {}

    deinit { similarities?.deallocate() }

    /// Frees the reserved memory now; the next call reserves it again.
    public func release() {
        similarities?.deallocate()
        similarities = nil
        capacity = 0
    }

    /// A buffer of at least `count` floats, reused when the previous one is large enough.
    func similarityBuffer(count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            release()
            similarities = .allocate(capacity: count)
            capacity = count
        }
        return similarities!
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
/// Cost: `|P|·|Q|·d` multiply-adds for the similarities (one GEMM, by far the largest part), which two
/// selection passes read: pass 1 the `k` largest per row and per column (the `r` terms), pass 2 the best and
/// second-best CSLS score per row and per column. When `|P|·|Q|` is at most `maxCachedSimilarities` the
/// similarities are computed once into a buffer (4·|P|·|Q| bytes, reused between calls when `workspace` is
/// given); above it they are recomputed per row block in each pass, so memory stays O(block·|Q|) per running
/// task. Per-column partial results take O(groups·|Q|·k), where the number of groups is a constant; blocks
/// and groups are fixed by the sizes, so the result is the same for any thread count, cached or not, with or
/// without a workspace. Ties go to the smaller index.
///
/// With `normalizing: false` the rows are used as given and `s(i, j) = p_i · q_j`: for callers whose similarity
/// is an inner product of factors that are not unit rows (a sum of two cosines written as one product).
///
/// With a `shortlist` whose rank is below the rows' width, only each row's and each column's candidates from a
/// low-rank approximation of S are scored (see `MatchingShortlist`): much less work at large depth, and matches
/// that can differ where the approximation misses a row's best. At the width or above it changes nothing. The
/// approximation is read in one pass, so it is computed per row block and never cached: the cache and the
/// workspace serve only the exact matching.
public func cslsMutualNearestNeighbours(_ p: Matrix<Float>, _ q: Matrix<Float>, k: Int = 10,
                                        maxCachedSimilarities: Int = similarityCacheLimit,
                                        workspace: CSLSWorkspace? = nil, normalizing: Bool = true,
                                        shortlist: MatchingShortlist? = nil) throws -> MutualMatches {
    guard p.columns == q.columns else {
        throw AlignmentError.shapeMismatch("CSLS matching: P has \(p.columns) columns, Q has \(q.columns)")
    }
    guard k >= 1 else { throw AlignmentError.invalidConfiguration("CSLS neighbourhood size k must be ≥ 1, got \(k)") }
    if let shortlist, shortlist.rank < 1 || shortlist.candidates < 1 {
        throw AlignmentError.invalidConfiguration("CSLS matching: the shortlist's rank (\(shortlist.rank)) and candidates (\(shortlist.candidates)) must be ≥ 1")
    }
    try requireFinite(p, "CSLS matching: P")
    try requireFinite(q, "CSLS matching: Q")
    if p.rows == 0 || q.rows == 0 { return MutualMatches(x: [], y: [], score: [], margin: []) }
    let np = p.rows, nq = q.rows
    // Row indices are stored as Int32 so that eight of them fit one SIMD register next to eight scores.
    precondition(np < Int(Int32.max) && nq < Int(Int32.max), "CSLS matching: more than 2³¹ rows")

    if let shortlist, shortlist.rank < p.columns {
        return try shortlistedCSLSMutualNearestNeighbours(normalizing ? p.normalizedRows() : p, normalizing ? q.normalizedRows() : q,
                                                          k: k, shortlist: shortlist)
    }
    let (cache, ownedCache) = similarityCache(count: np * nq, limit: maxCachedSimilarities, workspace: workspace)
    defer { ownedCache?.deallocate() }
    let rows = normalizing ? SimilarityRows(p.normalizedRows(), q.normalizedRows(), cache: cache)
                           : SimilarityRows(p, q, cache: cache)
    let (rP, rQ) = neighbourhoodMeans(rows, kp: min(k, nq), kq: min(k, np))
    let (rowBest, column) = bestCSLSMatches(rows, rP: rP, rQ: rQ)
    return mutualMatches(rows: rowBest, columns: column)
}

/// The pairs (i, j) where j is row i's best and i is column j's best, in increasing i, with the margin of each.
func mutualMatches(rows rowBest: BestTwo, columns column: BestTwo) -> MutualMatches {
    var out = MutualMatches(x: [], y: [], score: [], margin: [])
    for i in rowBest.index.indices {
        let j = rowBest.index[i]
        guard j >= 0, column.index[Int(j)] == Int32(i) else { continue }
        let score = rowBest.best[i]
        let competitor = max(rowBest.second[i], column.second[Int(j)])
        out.x.append(i)
        out.y.append(Int(j))
        out.score.append(score)
        out.margin.append(competitor.isFinite ? score - competitor : 0)
    }
    return out
}

/// Where a matching keeps its `count` similarities: nil above `limit` (they are recomputed per block), else the
/// workspace's buffer, or a new one that the caller frees (`owned`).
func similarityCache(count: Int, limit: Int, workspace: CSLSWorkspace?)
    -> (cache: UnsafeMutablePointer<Float>?, owned: UnsafeMutablePointer<Float>?) {
    guard count <= limit else { return (nil, nil) }
    if let workspace { return (workspace.similarityBuffer(count: count), nil) }
    let owned = UnsafeMutablePointer<Float>.allocate(capacity: count)
    return (owned, owned)
}

/// Similarity matrices up to this many entries (1 GiB of Float) are kept between the two CSLS passes.
public let similarityCacheLimit = 1 << 28

// MARK: - Similarity rows

/// The rows of `S = P̂·Q̂ᵀ` (rows normalised, so entries are cosines), handed out in fixed row blocks.
///
/// With a cache, all of S is computed up front by one GEMM (which balances its own tasks over the threads)
/// and the passes read it; without one, each block is computed into a task-local buffer just before it is
/// read. Either way every entry comes out bit-identical: the GEMM sums each entry's products in the same
/// order whatever the shape of the call (only its depth blocking matters, see `blockedGEMM`).
///
/// The blocks are split into `groups` groups (group g owns blocks g, g + groups, …, in increasing order) that
/// run in parallel, one per thread: every group restarts each column's running top k from −∞, and those early
/// insertions are the costly part of the scans (about k + k·ln(rows per group / k) insertions per column and
/// group), so there are no more groups than threads to share them. Each group keeps its own per-column partial
/// results, and every merge is independent of the grouping: a column's k largest values are summed largest
/// first, its best two are merged with ties to the smaller row index (which is also what a group's scan in
/// increasing row order keeps), and its candidates are ranked by value, then row index. So the results do not
/// depend on the thread count.
struct SimilarityRows {
    let p: Matrix<Float>
    let q: Matrix<Float>
    let cache: UnsafeMutablePointer<Float>?
    let blockRows = similarityRowBlock
    var blockCount: Int { (p.rows + blockRows - 1) / blockRows }
    var groups: Int { max(1, min(blockCount, Parallel.threadCount)) }

    init(_ p: Matrix<Float>, _ q: Matrix<Float>, cache: UnsafeMutablePointer<Float>?) {
        self.p = p
        self.q = q
        self.cache = cache
        if let cache {
            p.withView { pv in
                q.withView { qv in
                    gemm(.none, .transposed, pv, qv, MutableMatrixView(base: cache, rows: p.rows, columns: q.rows, rowStride: q.rows))
                }
            }
        }
    }

    /// Runs `body(group, forEachBlock)` for every group, groups in parallel; `forEachBlock(visit)` calls
    /// `visit(rows, s)` for each block of the group in increasing order, with `s` pointing at the block's
    /// similarity rows (row i of S at `s + (i − rows.lowerBound)·|Q|`).
    func forEachGroup(_ body: (_ group: Int, _ forEachBlock: ((Range<Int>, UnsafePointer<Float>) -> Void) -> Void) -> Void) {
        let n = q.rows, count = blockCount, groups = self.groups, blockRows = self.blockRows, cache = self.cache
        p.withView { pv in
            q.withView { qv in
                Parallel.forEach(groups) { g in
                    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: cache == nil ? blockRows * n : 0)
                    defer { buffer.deallocate() }
                    body(g) { visit in
                        for b in stride(from: g, to: count, by: groups) {
                            let range = (b * blockRows)..<min(pv.rows, (b + 1) * blockRows)
                            if let cache {
                                visit(range, UnsafePointer(cache + range.lowerBound * n))
                            } else {
                                let c = MutableMatrixView(base: buffer, rows: range.count, columns: n, rowStride: n)
                                gemm(.none, .transposed, pv.rows(range), qv, c)
                                visit(range, UnsafePointer(buffer))
                            }
                        }
                    }
                }
            }
        }
    }
}

// MARK: - Pass 1: neighbourhood means r_P and r_Q

/// `r_P(i)` (mean of the `kp` largest similarities in row i) and `r_Q(j)` (mean of the `kq` largest in
/// column j), from one read of S.
///
/// Selection is a running "top k with threshold": a value only enters a row's or column's k slots if it
/// beats the smallest one held, and after the first few hundred values almost none does (for random order
/// about k·ln(n/k) of n values enter). So the scan compares eight values at a time against the eight column
/// thresholds and the row threshold with SIMD, and only a chunk in which some lane wins goes through the
/// scalar insertion, lane by lane in increasing column order. The insertions, and therefore the slots and
/// the order `r_P` is summed in, are exactly those of a plain element-by-element loop.
private func neighbourhoodMeans(_ rows: SimilarityRows, kp: Int, kq: Int) -> (rP: [Float], rQ: [Float]) {
    let nq = rows.q.rows
    var rP = [Float](repeating: 0, count: rows.p.rows)
    var columnTops = [[Float]](repeating: [], count: rows.groups)
    rP.withUnsafeMutableBufferPointer { rP in
        columnTops.withUnsafeMutableBufferPointer { columnTops in
            rows.forEachGroup { g, forEachBlock in
                // The kq largest values seen so far in each column (slots j·kq ..< (j+1)·kq), and their minimum.
                var top = [Float](repeating: -.infinity, count: nq * kq)
                var threshold = [Float](repeating: -.infinity, count: nq)
                var rowTop = [Float](repeating: -.infinity, count: kp)
                top.withUnsafeMutableBufferPointer { top in
                    threshold.withUnsafeMutableBufferPointer { threshold in
                        rowTop.withUnsafeMutableBufferPointer { rowTop in
                            forEachBlock { range, s in
                                for i in range {
                                    let row = s + (i - range.lowerBound) * nq
                                    rP[i] = scanForLargest(row, count: nq, rowTop: rowTop.baseAddress!, kp: kp,
                                                           columnTop: top.baseAddress!, kq: kq,
                                                           columnThreshold: threshold.baseAddress!)
                                }
                            }
                        }
                    }
                }
                columnTops[g] = top
            }
        }
    }
    // r_Q: the kq largest of each column over all groups, summed largest first (so the grouping, and with it
    // the order the slots were filled in, cannot change the sum).
    var rQ = [Float](repeating: 0, count: nq)
    let groups = rows.groups
    rQ.withUnsafeMutableBufferPointer { rQ in
        Parallel.forEachChunk(nq, chunk: 1024) { columns in
            var merged = [Float](repeating: 0, count: groups * kq)
            for j in columns {
                for g in 0..<groups { for t in 0..<kq { merged[g * kq + t] = columnTops[g][j * kq + t] } }
                merged.sort(by: >)
                var sum: Float = 0
                for t in 0..<kq { sum += merged[t] }
                rQ[j] = sum / Float(kq)
            }
        }
    }
    return (rP, rQ)
}

/// SIMD width of the selection scans: two SSE registers in the portable build, one AVX register natively.
typealias Lanes = SIMD8<Float>
typealias IndexLanes = SIMD8<Int32>

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Lanes {
    UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
}

/// The lanes of `mask` as the bits of an integer (lane l ↦ bit l), so that a loop can visit just the set ones.
@inline(__always) func laneBits(_ mask: SIMDMask<IndexLanes>) -> Int32 {
    IndexLanes(repeating: 0).replacing(with: IndexLanes(1, 2, 4, 8, 16, 32, 64, 128), where: mask).wrappedSum()
}

@inline(__always) private func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
}

/// Pass 1 for one row of S: offers every value to the row's `kp` slots (returning their mean) and to its
/// column's `kq` slots in `columnTop`, whose minima are `columnThreshold`.
@inline(__always)
private func scanForLargest(_ row: UnsafePointer<Float>, count n: Int, rowTop: UnsafeMutablePointer<Float>, kp: Int,
                            columnTop: UnsafeMutablePointer<Float>, kq: Int,
                            columnThreshold: UnsafeMutablePointer<Float>) -> Float {
    for t in 0..<kp { rowTop[t] = -.infinity }
    var rowThreshold: Float = -.infinity
    @inline(__always) func offer(_ value: Float, _ j: Int) {
        if value > rowThreshold { insertReplacingMinimum(value, into: rowTop, k: kp, minimum: &rowThreshold) }
        if value > columnThreshold[j] {
            insertReplacingMinimum(value, into: columnTop + j * kq, k: kq, minimum: &columnThreshold[j])
        }
    }
    var j = 0
    while j + Lanes.scalarCount <= n {
        let v = load(row + j)
        // Each column is offered one value per row, so its threshold cannot change within the chunk: the
        // lanes to insert are known up front and visited as set bits. The row threshold rises with each
        // insertion, so the rare chunk that beats it is re-checked lane by lane in order.
        let beatsColumn = v .> load(columnThreshold + j)
        var columnLanes = any(beatsColumn) ? laneBits(beatsColumn) : 0
        while columnLanes != 0 {
            let l = columnLanes.trailingZeroBitCount
            insertReplacingMinimum(v[l], into: columnTop + (j + l) * kq, k: kq, minimum: &columnThreshold[j + l])
            columnLanes &= columnLanes - 1
        }
        if any(v .> Lanes(repeating: rowThreshold)) {
            for l in 0..<Lanes.scalarCount where v[l] > rowThreshold {
                insertReplacingMinimum(v[l], into: rowTop, k: kp, minimum: &rowThreshold)
            }
        }
        j += Lanes.scalarCount
    }
    while j < n {
        offer(row[j], j)
        j += 1
    }
    var sum: Float = 0
    for t in 0..<kp { sum += rowTop[t] }
    return sum / Float(kp)
}

/// Replaces the smallest of the `k` values at `slots` (the first slot holding it) by `value`, which must
/// exceed it, and updates `minimum` to the new smallest.
@inline(__always)
private func insertReplacingMinimum(_ value: Float, into slots: UnsafeMutablePointer<Float>, k: Int, minimum: inout Float) {
    var at = 0
    while at < k - 1 && slots[at] != minimum { at += 1 }
    slots[at] = value
    // `min` keeps `m` on ties, like a `where slots[t] < m` loop, but compiles to a branch-free minimum.
    var m = slots[0]
    for t in 1..<max(k, 1) { m = min(m, slots[t]) }
    minimum = m
}

// MARK: - Pass 2: best CSLS match per row and per column

/// Best and second-best score per row or column, with the index of the best (ties: smaller index).
struct BestTwo {
    var best: [Float]
    var second: [Float]
    var index: [Int32]

    init(count: Int) {
        best = [Float](repeating: -.infinity, count: count)
        second = [Float](repeating: -.infinity, count: count)
        index = [Int32](repeating: -1, count: count)
    }

    @inline(__always)
    mutating func offer(_ value: Float, index i: Int32, at j: Int) {
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

/// Pass 2: for every row of P and every row of Q, the best and second-best CSLS score and the argmax.
///
/// Like pass 1 this is a scan where almost nothing changes: a column's best two only change when a score
/// beats its second best (about 2·ln n times in n rows), a row's likewise. Eight scores are computed and
/// compared at once; a chunk where some lane beats its column's second best updates the eight columns with
/// branch-free selects, and the row's scalar update runs only for a chunk that beats the row's second best.
private func bestCSLSMatches(_ rows: SimilarityRows, rP: [Float], rQ: [Float]) -> (rows: BestTwo, columns: BestTwo) {
    let np = rows.p.rows, nq = rows.q.rows
    var rowBest = BestTwo(count: np)
    var columnBest = [BestTwo](repeating: BestTwo(count: 0), count: rows.groups)
    rowBest.best.withUnsafeMutableBufferPointer { rowValue in
        rowBest.second.withUnsafeMutableBufferPointer { rowSecond in
            rowBest.index.withUnsafeMutableBufferPointer { rowIndex in
                columnBest.withUnsafeMutableBufferPointer { columnBest in
                    rows.forEachGroup { g, forEachBlock in
                        var column = BestTwo(count: nq)
                        column.best.withUnsafeMutableBufferPointer { best in
                            column.second.withUnsafeMutableBufferPointer { second in
                                column.index.withUnsafeMutableBufferPointer { index in
                                    rQ.withUnsafeBufferPointer { rQ in
                                        forEachBlock { range, s in
                                            for i in range {
                                                let (value, runnerUp, j) = scanForBest(
                                                    s + (i - range.lowerBound) * nq, count: nq, i: i, rP: rP[i],
                                                    rQ: rQ.baseAddress!, columnBest: best.baseAddress!,
                                                    columnSecond: second.baseAddress!, columnIndex: index.baseAddress!)
                                                rowValue[i] = value
                                                rowSecond[i] = runnerUp
                                                rowIndex[i] = j
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        columnBest[g] = column
                    }
                }
            }
        }
    }
    var column = BestTwo(count: nq)
    for g in 0..<rows.groups { column.merge(columnBest[g]) }
    return (rowBest, column)
}

/// Pass 2 for row i of S: updates the group's per-column best two with `CSLS(i, j) = 2·s(i, j) − r_P(i) − r_Q(j)`
/// and returns the row's best score, second-best score and argmax.
///
/// Within a group rows arrive in increasing order, so a tie never displaces a column's best (the earlier,
/// smaller row index keeps it) and `c > best` decides alone; the selects below are the scalar
///
///     if c > best { second = best; best = c; index = i } else if c > second { second = c }
///
/// applied to eight columns at once.
@inline(__always)
private func scanForBest(_ row: UnsafePointer<Float>, count n: Int, i: Int, rP: Float, rQ: UnsafePointer<Float>,
                         columnBest: UnsafeMutablePointer<Float>, columnSecond: UnsafeMutablePointer<Float>,
                         columnIndex: UnsafeMutablePointer<Int32>) -> (Float, Float, Int32) {
    var best: Float = -.infinity, second: Float = -.infinity, arg = -1
    @inline(__always) func offerToRow(_ c: Float, _ j: Int) {
        if c > best { second = best; best = c; arg = j } else if c > second { second = c }
    }
    let r = Lanes(repeating: rP), row32 = IndexLanes(repeating: Int32(i))
    var j = 0
    while j + Lanes.scalarCount <= n {
        let c = 2 * load(row + j) - r - load(rQ + j)
        let oldSecond = load(columnSecond + j)
        let beatsColumn = c .> oldSecond
        let beatsRow = c .> Lanes(repeating: second)
        if any(beatsColumn .| beatsRow) {
            if any(beatsColumn) {
                let oldBest = load(columnBest + j)
                let newBest = c .> oldBest
                var newSecond = oldSecond.replacing(with: c, where: beatsColumn)
                newSecond.replace(with: oldBest, where: newBest)
                store(newSecond, columnSecond + j)
                store(oldBest.replacing(with: c, where: newBest), columnBest + j)
                let indexAddress = UnsafeMutableRawPointer(columnIndex + j)
                let oldIndex = indexAddress.loadUnaligned(as: IndexLanes.self)
                indexAddress.storeBytes(of: oldIndex.replacing(with: row32, where: newBest), as: IndexLanes.self)
            }
            if any(beatsRow) {
                for l in 0..<Lanes.scalarCount { offerToRow(c[l], j + l) }
            }
        }
        j += Lanes.scalarCount
    }
    while j < n {
        let c = 2 * row[j] - rP - rQ[j]
        offerToRow(c, j)
        if c > columnBest[j] {
            columnSecond[j] = columnBest[j]
            columnBest[j] = c
            columnIndex[j] = Int32(i)
        } else if c > columnSecond[j] {
            columnSecond[j] = c
        }
        j += 1
    }
    return (best, second, Int32(arg))
}
