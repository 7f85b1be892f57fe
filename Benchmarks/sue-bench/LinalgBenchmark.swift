import LinearAlgebra

/// `sue-bench linalg --n N --dtype f64|f32 [--repeats R] [--only cholesky,qr,eigh,svd] [--seed S] [--json]`
///
/// Times the dense factorisations on the same inputs as `anchors.py linalg`: an SPD matrix
/// `M·Mᵀ/n + I` for Cholesky and the symmetric eigensolver, the Gaussian matrix `M` itself for QR and SVD.
/// One line per factorisation; `seconds_min`/`seconds_median` over `repeats` timed runs after one warm-up
/// (SVD, the slowest, gets no warm-up when n ≥ 512).
func runLinalgBenchmark(_ args: BenchArguments) throws {
    let dtype = args.string("dtype") ?? "f64"
    switch dtype {
    case "f64": try linalgBenchmark(Double.self, args)
    case "f32": try linalgBenchmark(Float.self, args)
    default: throw BenchError("--dtype must be f32 or f64, got '\(dtype)'")
    }
}

private func linalgBenchmark<S: MatrixScalar>(_: S.Type, _ args: BenchArguments) throws {
    let n = args.int("n") ?? 1024
    let repeats = args.int("repeats") ?? 3
    let only = Set((args.string("only") ?? "cholesky,qr,eigh,svd").split(separator: ",").map(String.init))
    var rng = SeededRandom(seed: UInt64(args.int("seed") ?? 0))
    let m: Matrix<S> = rng.normalMatrix(n, n)
    var spd = Matrix.multiply(m, .none, m, .transposed, alpha: 1 / S(n))
    for i in 0..<n { spd[i, i] += 1 }

    let workloads: [(String, () throws -> Void)] = [
        ("cholesky", { _ = try cholesky(spd) }),
        ("qr", { _ = qrDecomposition(m) }),
        ("eigh", { _ = try symmetricEigen(spd) }),
        ("svd", { _ = try singularValueDecomposition(m) }),
    ]
    for (name, body) in workloads where only.contains(name) {
        let warmup = name == "svd" && n >= 512 ? 0 : 1
        let times = try measure(repeats: repeats, warmup: warmup, body)
        emit(["workload": name, "n": n, "dtype": S.dtypeName, "seconds_min": times.min()!,
              "seconds_median": median(times), "threads": Parallel.threadCount, "build": buildFlavour], json: args.json)
    }
}
