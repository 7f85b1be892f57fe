import Foundation
import LinearAlgebra
import SUE

// Workload 'csls': CSLS mutual nearest neighbours between two point sets, the inner step of self-learning.
//
//   sue-bench csls --n 11500 --d 128 [--k 10] [--repeats 3] [--json]
//
// Also reports the time of the single similarity GEMM (n × n × d) the matching is built on, so the ratio
// shows how much the selection passes cost on top of the arithmetic. No peer: the prototype in
// Benchmarks/tools/selflearn_prototype.py (numpy) is the reference implementation.
func runCSLSBenchmark(_ args: BenchArguments) throws {
    let n = args.int("n") ?? 11500, d = args.int("d") ?? 128, k = args.int("k") ?? 10
    var random = SeededRandom(seed: UInt64(args.int("seed") ?? 0))
    let p: Matrix<Float> = random.normalMatrix(n, d, std: 1)
    // Q: a noisy copy of P in another order, so that matches exist.
    let order = random.permutation(n)
    var q = p.rows(order)
    for i in 0..<q.rows { for j in 0..<d { q[i, j] += Float(random.normal()) } }
    var matches = 0
    let times = try measure(repeats: args.int("repeats") ?? 3, warmup: 0) {
        matches = try cslsMutualNearestNeighbours(p, q, k: k).count
    }
    var s = Matrix<Float>(rows: n, columns: n)
    let gemmTimes = measure(repeats: args.int("repeats") ?? 3, warmup: 0) {
        s = Matrix.multiply(p, .none, q, .transposed)
    }
    _ = s
    emit(["workload": "csls", "library": "sue-swift", "n": n, "d": d, "k": k, "matches": matches,
          "seconds_min": times.min()!, "gemm_seconds_min": gemmTimes.min()!, "threads": Parallel.threadCount,
          "build": buildFlavour], json: args.json)
}
