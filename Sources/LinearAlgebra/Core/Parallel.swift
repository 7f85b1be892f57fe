import Dispatch
import Foundation

/// Parallel loops over `DispatchQueue.concurrentPerform`.
///
/// Determinism rule for the whole package: the *work decomposition* never depends on the thread count.
/// A parallel loop hands out fixed tasks (row blocks, tiles), each of which writes its own output and is
/// computed in a fixed order, so results are bit-identical for 1, 2 or 64 threads. Reductions are done
/// per fixed block and combined serially in block order, never as per-thread partial sums.
public enum Parallel {
    /// Upper bound on worker threads used by `forEach`: the number of active cores, unless the caller is inside
    /// `withThreads(_:_:)`. `1` runs everything on the calling thread.
    ///
    /// A task-local value rather than a global: two fits running at once (two tasks, two threads) may each set
    /// their own count without racing, and the count reaches the worker threads of a parallel loop because
    /// `forEach` binds it on each worker. Results never depend on it (see the determinism rule above).
    public static var threadCount: Int { configuredThreads ?? defaultThreadCount }

    /// The number of active cores: the thread count outside `withThreads`.
    public static let defaultThreadCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @TaskLocal static var configuredThreads: Int?

    /// Runs `body(i)` once for every `i` in `0..<count`, on up to `threadCount` threads.
    /// `body` must only write memory that no other index writes.
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 0 { return }
        let workers = min(threadCount, count)
        if workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        let inherited = configuredThreads
        withoutActuallyEscaping(body) { body in
            let shared = LoopBody(run: body)
            // Strided assignment keeps neighbouring (often similar-cost) tasks on different workers. Each worker
            // re-binds the caller's thread count, so loops nested in `body` see the same limit.
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                $configuredThreads.withValue(inherited) {
                    var i = w
                    while i < count {
                        shared.run(i)
                        i += workers
                    }
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

    /// Runs `body` with `threadCount` set to `n` (at least 1) for everything `body` runs on this thread and in
    /// the parallel loops it starts.
    public static func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        try $configuredThreads.withValue(max(1, n), operation: body)
    }
}

/// A loop body shared by the worker threads of one `Parallel.forEach` call.
///
/// Why the unchecked conformance is sound: `concurrentPerform` returns only after every worker has finished, so
/// the closure never outlives the call that owns it, and the contract of `forEach` (each index writes memory no
/// other index writes) is what makes running it from several threads safe. The compiler cannot see either fact.
private struct LoopBody: @unchecked Sendable {
    let run: (Int) -> Void
}

