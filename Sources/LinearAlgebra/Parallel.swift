import Dispatch
import Foundation

/// Parallel loops over `DispatchQueue.concurrentPerform`.
///
/// Determinism rule for the whole package: the *work decomposition* never depends on the thread count.
/// A parallel loop hands out fixed tasks (row blocks, tiles), each of which writes its own output and is
/// computed in a fixed order, so results are bit-identical for 1, 2 or 64 threads. Reductions are done
/// per fixed block and combined serially in block order, never as per-thread partial sums.
public enum Parallel {
    /// Upper bound on worker threads used by `forEach`. Defaults to the number of active cores;
    /// set it (e.g. from `--threads`) before starting work. `1` runs everything on the calling thread.
    nonisolated(unsafe) public static var threadCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(i)` once for every `i` in `0..<count`, on up to `threadCount` threads.
    /// `body` must only write memory that no other index writes.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        let workers = min(threadCount, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // Strided assignment keeps neighbouring (often similar-cost) tasks on different workers.
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var i = w
                while i < count {
                    body(i)
                    i += workers
                }
            }
        }
    }

    /// Runs `body(range)` over consecutive chunks of `0..<count` of at most `chunk` indices each.
    public static func forEachChunk(_ count: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        let c = max(1, chunk)
        let tasks = (count + c - 1) / c
        forEach(tasks) { t in body((t * c)..<min(count, (t + 1) * c)) }
    }

    /// Runs `body` with `threadCount` temporarily set to `n`.
    public static func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let saved = threadCount
        threadCount = max(1, n)
        defer { threadCount = saved }
        return try body()
    }
}
