import Foundation
import LinearAlgebra

/// Workload 'gemm': `C = A · B` for square n×n matrices of uniform [0, 1) values, as numpy's `A @ B` in
/// anchors.py. Reports GFLOP/s (2n³ flops) from the fastest of `--repeats` runs.
///
///     sue-bench gemm --n 2048 --dtype f32 [--repeats 5] [--threads T] [--trans-a] [--trans-b] [--m M --k K] --json
///
/// With `--spmm`: sparse × dense instead, `Y = W · X` for a random n×n CSR matrix W with `--nnz-per-row`
/// (default 30) nonzeros per row and X of `--d` (default 16) columns, Float; reports GFLOP/s (2·nnz·d).
func runGEMMBenchmark(_ args: BenchArguments) throws {
    if args.has("spmm") { return try runSpMMBenchmark(args) }
    let n = args.int("n") ?? 2048
    let m = args.int("m") ?? n
    let k = args.int("k") ?? n
    let repeats = args.int("repeats") ?? 5
    let dtype = args.string("dtype") ?? "f32"
    let transA: Transpose = args.has("trans-a") ? .transposed : .none
    let transB: Transpose = args.has("trans-b") ? .transposed : .none
    guard m > 0, n > 0, k > 0 else { throw BenchError("gemm: --m, --n and --k must be positive") }
    let seconds: [(wall: Double, cpu: Double)]
    switch dtype {
    case "f32": seconds = time(Float.self, m: m, n: n, k: k, transA: transA, transB: transB, repeats: repeats)
    case "f64": seconds = time(Double.self, m: m, n: n, k: k, transA: transA, transB: transB, repeats: repeats)
    default: throw BenchError("gemm: --dtype must be f32 or f64, got '\(dtype)'")
    }
    let best = seconds.map(\.wall).min()!
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    // CPU time (all threads) of the fastest run: on a shared machine, flops per CPU-second shows the
    // kernel's own speed even when other processes steal wall-clock time.
    let bestCPU = seconds.map(\.cpu).min()!
    var fields: [String: Any] = [
        "workload": "gemm", "n": n, "dtype": dtype, "gflops": flops / best / 1e9,
        "seconds_median": median(seconds.map(\.wall)), "seconds_min": best, "build": buildFlavour,
        "threads": Parallel.threadCount, "gflops_per_cpu_second": flops / bestCPU / 1e9,
    ]
    if m != n || k != n { fields["m"] = m; fields["k"] = k }
    if transA == .transposed || transB == .transposed {
        fields["trans"] = (transA == .transposed ? "T" : "N") + (transB == .transposed ? "T" : "N")
    }
    emit(fields, json: args.json)
}

private func time<S: MatrixScalar>(_ type: S.Type, m: Int, n: Int, k: Int, transA: Transpose, transB: Transpose,
                                   repeats: Int) -> [(wall: Double, cpu: Double)] {
    var random = SeededRandom(seed: 0)
    let a = transA == .none ? Matrix<S>(rows: m, columns: k) { _, _ in S(random.uniform()) }
                            : Matrix<S>(rows: k, columns: m) { _, _ in S(random.uniform()) }
    let b = transB == .none ? Matrix<S>(rows: k, columns: n) { _, _ in S(random.uniform()) }
                            : Matrix<S>(rows: n, columns: k) { _, _ in S(random.uniform()) }
    var c = Matrix<S>(rows: m, columns: n)
    let run = {
        a.withView { av in b.withView { bv in c.withMutableView { cv in
            gemm(transA, transB, av, bv, cv)
        } } }
    }
    run()  // warm-up
    return (0..<max(1, repeats)).map { _ in
        let cpu0 = processCPUSeconds()
        let wall = measure(repeats: 1, warmup: 0, run)[0]
        return (wall, processCPUSeconds() - cpu0)
    }
}

/// User + system CPU time of the whole process, all threads.
private func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

private func runSpMMBenchmark(_ args: BenchArguments) throws {
    let n = args.int("n") ?? 100_000
    let perRow = args.int("nnz-per-row") ?? 30
    let d = args.int("d") ?? 16
    let repeats = args.int("repeats") ?? 10
    guard n > 0, perRow > 0, perRow <= n, d > 0 else { throw BenchError("spmm: need n > 0, 0 < nnz-per-row <= n, d > 0") }
    var random = SeededRandom(seed: 0)
    var rows = [Int](), columns = [Int](), values = [Float]()
    for i in 0..<n {
        for _ in 0..<perRow {
            rows.append(i); columns.append(random.int(below: n)); values.append(Float(random.uniform()))
        }
    }
    let build0 = DispatchTime.now().uptimeNanoseconds
    let w = try SparseMatrix(rows: n, columns: n, rowIndices: rows, columnIndices: columns, values: values)
    let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - build0) * 1e-9
    let x = random.normalMatrix(n, d) as Matrix<Float>
    var y = Matrix<Float>(rows: n, columns: d)
    let seconds = measure(repeats: repeats) {
        x.withView { xv in y.withMutableView { yv in w.multiply(xv, into: yv) } }
    }
    let best = seconds.min()!
    emit(["workload": "spmm", "n": n, "d": d, "nnz": w.nonzeroCount, "dtype": "f32",
          "gflops": 2.0 * Double(w.nonzeroCount) * Double(d) / best / 1e9, "seconds_min": best,
          "seconds_median": median(seconds), "build": buildFlavour, "coo_to_csr_seconds": buildSeconds, "threads": Parallel.threadCount], json: args.json)
}
