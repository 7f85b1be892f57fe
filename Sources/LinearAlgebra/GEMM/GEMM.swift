import Foundation

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the operand as stored.
    case none
    /// Use the operand's transpose, without the caller having to form it.
    case transposed
}

/// General matrix multiply: `C = alpha * op(A) * op(B) + beta * C`, with `op(X)` = X or Xᵀ.
///
/// Shapes: op(A) is m×k, op(B) is k×n, C is m×n. When `beta == 0`, C is not read (NaNs in C are ignored),
/// following the BLAS convention. Dispatches to the concrete `Float` / `Double` kernel.
@inlinable
public func gemm<S: MatrixScalar>(_ transA: Transpose, _ transB: Transpose, alpha: S = 1,
                                  _ a: MatrixView<S>, _ b: MatrixView<S>, beta: S = 0, _ c: MutableMatrixView<S>) {
    let m = transA == .none ? a.rows : a.columns
    let ka = transA == .none ? a.columns : a.rows
    let kb = transB == .none ? b.rows : b.columns
    let n = transB == .none ? b.columns : b.rows
    precondition(ka == kb, "gemm: inner dimensions differ (\(ka) vs \(kb))")
    precondition(c.rows == m && c.columns == n, "gemm: C is \(c.rows)×\(c.columns), expected \(m)×\(n)")
    S.gemmKernel(transA, transB, alpha: alpha, a, b, beta: beta, c)
}

/// The textbook triple loop, accumulated in the element type; the independent slow reference that the
/// tests compare the fast kernel with. O(mnk), single-threaded.
public func referenceGEMM<S: MatrixScalar>(_ transA: Transpose, _ transB: Transpose, alpha: S,
                                           _ a: MatrixView<S>, _ b: MatrixView<S>, beta: S, _ c: MutableMatrixView<S>) {
    let m = c.rows, n = c.columns
    let k = transA == .none ? a.columns : a.rows
    for i in 0..<m {
        for j in 0..<n {
            var s: S = 0
            for p in 0..<k {
                let x = transA == .none ? a[i, p] : a[p, i]
                let y = transB == .none ? b[p, j] : b[j, p]
                s += x * y
            }
            c[i, j] = beta == 0 ? alpha * s : alpha * s + beta * c[i, j]
        }
    }
}

extension Float {
    /// The `Float` GEMM: blocked, packed, SIMD micro-kernel, parallel (see `blockedGEMM`).
    public static func gemmKernel(_ transA: Transpose, _ transB: Transpose, alpha: Float,
                                  _ a: MatrixView<Float>, _ b: MatrixView<Float>, beta: Float,
                                  _ c: MutableMatrixView<Float>) {
        blockedGEMM(transA, transB, alpha: alpha, a, b, beta: beta, c)
    }
}

extension Double {
    /// The `Double` GEMM: blocked, packed, SIMD micro-kernel, parallel (see `blockedGEMM`).
    public static func gemmKernel(_ transA: Transpose, _ transB: Transpose, alpha: Double,
                                  _ a: MatrixView<Double>, _ b: MatrixView<Double>, beta: Double,
                                  _ c: MutableMatrixView<Double>) {
        blockedGEMM(transA, transB, alpha: alpha, a, b, beta: beta, c)
    }
}

/// The five loops of the BLIS/GotoBLAS GEMM around the micro-kernel (MicroKernel.swift):
///
///     for jc in 0..<n by NC            // a KC×NC panel of op(B) is packed once and lives in L3
///       for pc in 0..<k by KC          //   (the packed panel covers depth pc..<pc+KC)
///         pack op(B)[pc.., jc..] into B̃
///         for ic in 0..<m by MC        // an MC×KC block of op(A) is packed and lives in L2
///           pack op(A)[ic.., pc..] into Ã
///           for jr in 0..<NC by NR     // a KC×NR sliver of B̃ stays in L1/L2 ...
///             for ir in 0..<MC by MR   // ... while the MR×KC slivers of Ã stream past it
///               micro-kernel: C[ir.., jr..] = alpha · Ã_ir · B̃_jr + beta' · C[ir.., jr..]
///
/// with `beta' = beta` for the first depth panel and 1 afterwards, so C is read (when beta ≠ 0) and written
/// once per depth panel.
///
/// Parallelism and determinism: within each (jc, pc) step, the (ic, jr) rectangle of C is cut into tasks
/// of whole micro-tiles, handed out to `Parallel.forEach` workers one at a time (`forEachTask`). Every C
/// element is computed by the same sequence of operations whichever task computes it: the products for
/// one depth panel are summed in increasing p in registers, and the panels are added to C in increasing pc.
/// Only the depth blocking KC affects the rounding, and KC is a constant of the type, so the result is
/// bit-identical for any thread count. The task shape may therefore depend on the thread count (for load
/// balance) without affecting the bits.
///
/// Here the ic loop is split in two: all rows of A (up to a bound) are packed in one parallel pass, and
/// the MC-row blocks are the parallel tasks. Products of fewer than `parallelWorkLimit` multiply-adds run
/// on the calling thread. Small products, and those narrower than one register tile, go to `smallGEMM`,
/// which skips packing.
func blockedGEMM<S: PackedGEMMScalar>(_ transA: Transpose, _ transB: Transpose, alpha: S,
                                      _ a: MatrixView<S>, _ b: MatrixView<S>, beta: S, _ c: MutableMatrixView<S>) {
    let m = c.rows, n = c.columns
    let k = transA == .none ? a.columns : a.rows
    if m == 0 || n == 0 { return }
    if k == 0 || alpha == 0 {
        scale(c, by: beta)
        return
    }
    let mr = microTileRows, nr = S.microTileColumns
    if n < nr || m < mr || m * n * k <= smallGEMMWorkLimit {
        smallGEMM(transA, transB, alpha: alpha, a, b, beta: beta, c)
        return
    }

    // Below about a million multiply-adds (tens of microseconds), waking a second thread costs more than
    // it saves. The thread count only changes the task shapes, never the bits of the result.
    let threads = m * n * k < parallelWorkLimit ? 1 : max(1, Parallel.threadCount)
    let kcMax = S.depthBlock, mcMax = S.rowBlock, ncMax = S.columnBlock
    // Rows of A packed per pass over the rows: all of them up to a bound, so that a tall A does not need an
    // unbounded pack buffer, and large enough that the passes do not add many synchronisation points.
    let waveRows = roundUp(max(mcMax * threads, 4096), to: mr)
    // Pack buffers sized for this call, reused across calls (see PackBufferPool).
    let packedBCount = min(k, kcMax) * roundUp(min(n, ncMax), to: nr)
    let packedACount = roundUp(min(m, waveRows), to: mr) * min(k, kcMax) * S.packedACopies
    let bBuffer = PackBufferPool.shared.take(bytes: packedBCount * MemoryLayout<S>.stride)
    let aBuffer = PackBufferPool.shared.take(bytes: packedACount * MemoryLayout<S>.stride)
    defer {
        PackBufferPool.shared.give(bBuffer)
        PackBufferPool.shared.give(aBuffer)
    }
    let packedB = bBuffer.memory.bindMemory(to: S.self, capacity: packedBCount)
    let packedA = aBuffer.memory.bindMemory(to: S.self, capacity: packedACount)

    for jc in stride(from: 0, to: n, by: ncMax) {
        let nc = min(ncMax, n - jc)
        let colSlivers = (nc + nr - 1) / nr
        for pc in stride(from: 0, to: k, by: kcMax) {
            let kc = min(kcMax, k - pc)
            let depth = pc..<(pc + kc)
            let stepBeta = pc == 0 ? beta : 1

            let bChunk = packingChunk(slivers: colSlivers, sliverSize: nr * kc, threads: threads)
            forEachChunk(colSlivers, chunk: bChunk, threads: threads) { slivers in
                let columns = (jc + slivers.lowerBound * nr)..<min(jc + slivers.upperBound * nr, jc + nc)
                packB(b, transB, depth: depth, columns: columns, into: packedB + slivers.lowerBound * nr * kc)
            }

            for ic in stride(from: 0, to: m, by: waveRows) {
                let mw = min(waveRows, m - ic)
                let rowSlivers = (mw + mr - 1) / mr
                let aSliverSize = mr * kc * S.packedACopies
                let aChunk = packingChunk(slivers: rowSlivers, sliverSize: aSliverSize, threads: threads)
                forEachChunk(rowSlivers, chunk: aChunk, threads: threads) { slivers in
                    let rows = (ic + slivers.lowerBound * mr)..<min(ic + slivers.upperBound * mr, ic + mw)
                    packA(a, transA, rows: rows, depth: depth, into: packedA + slivers.lowerBound * aSliverSize)
                }

                // Tasks: rowBlocks × colGroups rectangles of whole micro-tiles: row blocks of at most MC rows,
                // their number rounded up to a multiple of the thread count, and column groups of at most
                // `maxSliversPerTask` slivers, so that there are several tasks per thread to balance.
                var rowBlocks = (rowSlivers * mr + mcMax - 1) / mcMax
                rowBlocks = min(rowSlivers, roundUp(rowBlocks, to: threads))
                let colGroups = min(colSlivers, max((colSlivers + maxSliversPerTask - 1) / maxSliversPerTask,
                                                    (threads + rowBlocks - 1) / rowBlocks))
                forEachTask(rowBlocks * colGroups, threads: threads) { task in
                    let rowPart = evenPart(rowSlivers, parts: rowBlocks, index: task / colGroups)
                    let colPart = evenPart(colSlivers, parts: colGroups, index: task % colGroups)
                    macroKernel(depth: kc, packedA: packedA, rowSlivers: rowPart, firstRow: ic, rowEnd: ic + mw,
                                packedB: packedB, colSlivers: colPart, firstColumn: jc, columnEnd: jc + nc,
                                alpha: alpha, beta: stepBeta, c)
                }
            }
        }
    }
}

/// Products with at most this many multiply-adds skip packing (see `smallGEMM`). Up to about 160³ the
/// unpacked path is faster: its B still fits in L2, and packing would cost an extra pass over A and B.
/// By 256³ the cache-resident packed panels win clearly.
let smallGEMMWorkLimit = 160 * 160 * 160

/// Products with fewer multiply-adds than this run on the calling thread only.
let parallelWorkLimit = 1 << 20

/// Upper bound on the B̃ slivers of one compute task (512 columns for native Float).
let maxSliversPerTask = 16

/// Runs `body(task)` for every task in `0..<count` on up to `threads` workers that claim the next
/// unclaimed task when they finish one.
///
/// On a machine shared with other processes, one worker may be descheduled for milliseconds; with a fixed
/// assignment of tasks to workers the others would then wait for it at the end. Claiming tasks
/// dynamically lets the running workers take over its share. The tasks write disjoint parts of C and each
/// computes its elements the same way whoever runs it, so the result does not depend on who ran what.
func forEachTask(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = min(threads, count, Parallel.threadCount)
    if workers <= 1 {
        for task in 0..<count { body(task) }
        return
    }
    let counter = TaskCounter()
    Parallel.forEach(workers) { _ in
        while let task = counter.claim(below: count) { body(task) }
    }
}

/// `forEachTask` over consecutive chunks of `0..<count` of at most `chunk` indices.
func forEachChunk(_ count: Int, chunk: Int, threads: Int, _ body: (Range<Int>) -> Void) {
    let tasks = (count + chunk - 1) / chunk
    forEachTask(tasks, threads: threads) { t in body((t * chunk)..<min(count, (t + 1) * chunk)) }
}

/// A shared "next task" counter behind a lock (a handful of claims per GEMM step, so the lock is cheap).
final class TaskCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0

    func claim(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// The two inner loops (jr, ir) over one task's rectangle of micro-tiles.
///
/// Full tiles are written straight into C. Edge tiles (at the bottom or right border of C) are computed
/// into a scratch tile with beta = 0 and then merged with the same arithmetic as `storeTileRow`, so an
/// element gets the same bits whether or not it sits in an edge tile.
@inline(__always)
func macroKernel<S: PackedGEMMScalar>(depth kc: Int, packedA: UnsafeMutablePointer<S>, rowSlivers: Range<Int>,
                                      firstRow: Int, rowEnd: Int,
                                      packedB: UnsafeMutablePointer<S>, colSlivers: Range<Int>,
                                      firstColumn: Int, columnEnd: Int,
                                      alpha: S, beta: S, _ c: MutableMatrixView<S>) {
    let mr = microTileRows, nr = S.microTileColumns
    let ldc = c.rowStride
    withUnsafeTemporaryAllocation(of: S.self, capacity: mr * nr) { scratchBuffer in
        let scratch = scratchBuffer.baseAddress!
        for js in colSlivers {
            let bSliver = UnsafePointer(packedB + js * nr * kc)
            let j = firstColumn + js * nr
            let width = min(nr, columnEnd - j)
            for s in rowSlivers {
                let aSliver = UnsafePointer(packedA + s * mr * kc * S.packedACopies)
                let i = firstRow + s * mr
                let height = min(mr, rowEnd - i)
                if height == mr && width == nr {
                    microKernel(S.Vector.self, depth: kc, copies: S.packedACopies, aSliver, bSliver, alpha: alpha, beta: beta,
                                c.base + i * ldc + j, ldc: ldc)
                } else {
                    microKernel(S.Vector.self, depth: kc, copies: S.packedACopies, aSliver, bSliver, alpha: alpha, beta: 0, scratch, ldc: nr)
                    for r in 0..<height {
                        let row = c.base + (i + r) * ldc + j
                        for q in 0..<width {
                            row[q] = beta == 0 ? scratch[r * nr + q] : scratch[r * nr + q] + beta * row[q]
                        }
                    }
                }
            }
        }
    }
}

extension Matrix {
    /// `op(a) · op(b)` as a new matrix.
    public static func multiply(_ a: Matrix, _ transA: Transpose = .none, _ b: Matrix, _ transB: Transpose = .none,
                                alpha: Scalar = 1) -> Matrix {
        let m = transA == .none ? a.rows : a.columns
        let n = transB == .none ? b.columns : b.rows
        var c = Matrix(rows: m, columns: n)
        a.withView { av in b.withView { bv in c.withMutableView { cv in
            gemm(transA, transB, alpha: alpha, av, bv, beta: 0, cv)
        } } }
        return c
    }

    /// Matrix product `self · other`.
    public func matmul(_ other: Matrix) -> Matrix { Matrix.multiply(self, .none, other, .none) }
}

/// `c = beta · c`, without reading c when beta is 0 (the k = 0 and alpha = 0 cases of GEMM).
func scale<S: MatrixScalar>(_ c: MutableMatrixView<S>, by beta: S) {
    if beta == 1 { return }
    for i in 0..<c.rows {
        let row = c.row(i)
        if beta == 0 {
            row.update(repeating: 0, count: c.columns)
        } else {
            for j in 0..<c.columns { row[j] *= beta }
        }
    }
}

/// The smallest multiple of `multiple` that is ≥ `value`.
@inline(__always) func roundUp(_ value: Int, to multiple: Int) -> Int {
    (value + multiple - 1) / multiple * multiple
}

/// Part `index` of `count` items cut into `parts` consecutive ranges whose sizes differ by at most one.
@inline(__always) func evenPart(_ count: Int, parts: Int, index: Int) -> Range<Int> {
    (count * index / parts)..<(count * (index + 1) / parts)
}

/// A buffer of `count` elements aligned to 64 bytes (a cache line, and the size of a zmm register), so
/// that packed slivers can be read with aligned vector loads. Free it with `deallocate()`.
func allocateAligned<S>(_ type: S.Type, count: Int) -> UnsafeMutablePointer<S> {
    UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<S>.stride, alignment: 64)
        .bindMemory(to: S.self, capacity: max(1, count))
}

/// A few 64-byte-aligned pack buffers kept between GEMM calls.
///
/// A freshly allocated buffer of a few hundred KiB or more comes straight from the kernel and is
/// page-faulted in on first touch, which costs as much as the arithmetic of a 200×200 product. Reusing
/// buffers avoids that. Thread-safe: concurrent GEMMs each take their own buffers.
final class PackBufferPool: @unchecked Sendable {
    struct Buffer {
        let memory: UnsafeMutableRawPointer
        let bytes: Int
    }

    static let shared = PackBufferPool()
    private let lock = NSLock()
    private var free: [Buffer] = []
    /// At most this many buffers, each at most `largestKept` bytes, stay allocated between calls.
    private let keep = 4
    private let largestKept = 32 << 20

    /// A buffer of at least `bytes` bytes, aligned to 64 bytes (a cache line, and the size of a zmm
    /// register) so that packed slivers can be read with aligned vector loads.
    func take(bytes: Int) -> Buffer {
        lock.lock()
        if let index = free.indices.filter({ free[$0].bytes >= bytes }).min(by: { free[$0].bytes < free[$1].bytes }) {
            let buffer = free.remove(at: index)
            lock.unlock()
            return buffer
        }
        lock.unlock()
        let size = max(bytes, 64)
        return Buffer(memory: UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64), bytes: size)
    }

    /// Returns a buffer from `take` to the pool (or frees it if the pool is full or it is too large).
    func give(_ buffer: Buffer) {
        lock.lock()
        if buffer.bytes <= largestKept {
            free.append(buffer)
            if free.count > keep {
                // Drop the smallest: the large ones are the expensive ones to fault in again.
                let smallest = free.indices.min { free[$0].bytes < free[$1].bytes }!
                let dropped = free.remove(at: smallest)
                lock.unlock()
                dropped.memory.deallocate()
                return
            }
            lock.unlock()
        } else {
            lock.unlock()
            buffer.memory.deallocate()
        }
    }
}

/// Slivers per packing task: about a quarter of a share per thread (for balance), but not so few that
/// the dispatch costs more than the copy (a task copies at least about 16K elements).
func packingChunk(slivers: Int, sliverSize: Int, threads: Int) -> Int {
    max((slivers + 4 * threads - 1) / (4 * threads), (1 << 14) / max(1, sliverSize))
}
