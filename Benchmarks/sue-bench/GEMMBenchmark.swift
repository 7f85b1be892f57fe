import Foundation
import LinearAlgebra

/// Workload 'gemm': `C = A · B` for square n×n matrices of uniform [0, 1) values, as numpy's `A @ B` in
/// anchors.py. Reports GFLOP/s (2n³ flops) from the fastest of `--repeats` runs.
///
///     sue-bench gemm --n 2048 --dtype f32 [--repeats 5] [--threads T] [--trans-a] [--trans-b] [--m M --k K] --json
func runGEMMBenchmark(_ args: BenchArguments) throws {
    let n = args.int("n") ?? 2048
    let m = args.int("m") ?? n
    let k = args.int("k") ?? n
    let repeats = args.int("repeats") ?? 5
    let dtype = args.string("dtype") ?? "f32"
    let transA: Transpose = args.has("trans-a") ? .transposed : .none
    let transB: Transpose = args.has("trans-b") ? .transposed : .none
    guard m > 0, n > 0, k > 0 else { throw BenchError("gemm: --m, --n and --k must be positive") }
    let seconds: [Double]
    switch dtype {
    case "f32": seconds = time(Float.self, m: m, n: n, k: k, transA: transA, transB: transB, repeats: repeats)
    case "f64": seconds = time(Double.self, m: m, n: n, k: k, transA: transA, transB: transB, repeats: repeats)
    default: throw BenchError("gemm: --dtype must be f32 or f64, got '\(dtype)'")
    }
    let best = seconds.min()!
    var fields: [String: Any] = [
        "workload": "gemm", "n": n, "dtype": dtype, "gflops": 2.0 * Double(m) * Double(n) * Double(k) / best / 1e9,
        "seconds_median": median(seconds), "seconds_min": best, "build": buildFlavour,
        "threads": Parallel.threadCount,
    ]
    if m != n || k != n { fields["m"] = m; fields["k"] = k }
    if transA == .transposed || transB == .transposed {
        fields["trans"] = (transA == .transposed ? "T" : "N") + (transB == .transposed ? "T" : "N")
    }
    emit(fields, json: args.json)
}

private func time<S: MatrixScalar>(_ type: S.Type, m: Int, n: Int, k: Int, transA: Transpose, transB: Transpose,
                                   repeats: Int) -> [Double] {
    var random = SeededRandom(seed: 0)
    let a = transA == .none ? Matrix<S>(rows: m, columns: k) { _, _ in S(random.uniform()) }
                            : Matrix<S>(rows: k, columns: m) { _, _ in S(random.uniform()) }
    let b = transB == .none ? Matrix<S>(rows: k, columns: n) { _, _ in S(random.uniform()) }
                            : Matrix<S>(rows: n, columns: k) { _, _ in S(random.uniform()) }
    var c = Matrix<S>(rows: m, columns: n)
    return measure(repeats: repeats) {
        a.withView { av in b.withView { bv in c.withMutableView { cv in
            gemm(transA, transB, av, bv, cv)
        } } }
    }
}
