import Foundation
import LinearAlgebra

/// Heap memory for the elements of one tensor (or one gradient, or one optimiser moment).
///
/// 64-byte aligned so that SIMD loads never straddle a cache line at the start of a row block, and left
/// uninitialised: every producer in this module writes all of its output before anything reads it (GEMM with
/// `beta == 0` does not read C). Every allocation is counted in `StorageStatistics.allocations`, which is how
/// the tests check that steady-state training allocates no new buffers.
public final class TensorStorage<S: MatrixScalar> {
    /// The first element; valid for as long as this object is alive.
    public let pointer: UnsafeMutablePointer<S>
    /// Number of elements the buffer holds.
    public let count: Int

    /// Allocates room for `count` elements, 64-byte aligned and uninitialised, and counts the allocation in
    /// `StorageStatistics`.
    public init(count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<S>.stride, alignment: 64)
        pointer = raw.bindMemory(to: S.self, capacity: max(1, count))
        self.count = count
        StorageStatistics.recordAllocation()
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// Counts every `TensorStorage` ever allocated in this process (values, gradients, scratch, optimiser state).
public enum StorageStatistics {
    nonisolated(unsafe) private static var count = 0
    private static let lock = NSLock()

    /// Number of tensor buffers allocated so far. Steady-state training must leave it unchanged.
    public static var allocations: Int {
        lock.lock(); defer { lock.unlock() }
        return count
    }

    static func recordAllocation() {
        lock.lock(); count += 1; lock.unlock()
    }
}

/// Runs `body` over consecutive blocks of `0..<count`, in parallel when the work is large enough to pay for
/// waking threads. The blocks are fixed (`grain` elements), so any per-block result is the same for every
/// thread count; callers only use it for work where each index is written by exactly one block.
@inlinable
func parallelBlocks(_ count: Int, grain: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    if count <= grain || Parallel.threadCount == 1 {
        if count > 0 { body(0..<count) }
    } else {
        Parallel.forEachChunk(count, chunk: grain, body)
    }
}

/// Rows per parallel task so that one task touches about `grain` elements.
@inlinable
func rowGrain(columns: Int, grain: Int = 1 << 14) -> Int { max(1, grain / max(1, columns)) }
