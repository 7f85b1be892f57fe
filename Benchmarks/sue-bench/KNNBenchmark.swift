import Foundation
import LinearAlgebra
import Spectral
import SUEFiles

// Workload 'knn': exact k-nearest neighbours (cosine by default) of every row among the others.
//
//   sue-bench knn --input X.npy --k 30 [--metric cosine|euclidean] [--repeats 3] [--json]
//   sue-bench knn --n 20000 --d 384 --k 30          (synthetic clustered data instead of a file)
//
// Peer: anchors.py knn --input X.npy (scikit-learn brute cosine, faiss IndexFlatIP).
func runKNNBenchmark(_ args: BenchArguments) throws {
    let x = try benchmarkPoints(args)
    let k = args.int("k") ?? 30
    let metric = DistanceMetric(rawValue: args.string("metric") ?? "cosine") ?? .cosine
    var result: NeighborLists? = nil
    let times = try measure(repeats: args.int("repeats") ?? 3, warmup: 0) {
        result = try nearestNeighbors(x, k: k, metric: metric)
    }
    _ = result
    emit(["workload": "knn", "library": "sue-swift", "metric": metric.rawValue, "n": x.rows, "d": x.columns, "k": k,
          "seconds_min": times.min()!, "seconds_median": median(times), "threads": Parallel.threadCount,
          "build": buildFlavour], json: args.json)
}

/// The benchmark's points: `--input X.npy` (float32 or float64, C order), or `--n/--d` synthetic clustered data
/// (overlapping Gaussian clusters in 8 latent dimensions lifted by tanh, like anchors.py's generator).
func benchmarkPoints(_ args: BenchArguments) throws -> Matrix<Float> {
    if let path = args.string("input") { return try NPYFile.read(URL(fileURLWithPath: path), as: Float.self) }
    let n = args.int("n") ?? 20000, d = args.int("d") ?? 384
    var random = SeededRandom(seed: UInt64(args.int("seed") ?? 0))
    let clusters = 50, latent = 8
    let centres: Matrix<Double> = random.normalMatrix(clusters, latent, std: 2)
    let lift: Matrix<Double> = random.normalMatrix(latent, d, std: 1 / Double(latent).squareRoot())
    var x = Matrix<Float>(rows: n, columns: d)
    var z = [Double](repeating: 0, count: latent)
    for i in 0..<n {
        let c = random.int(below: clusters)
        for t in 0..<latent { z[t] = centres[c, t] + random.normal() }
        for j in 0..<d {
            var s = 0.0
            for t in 0..<latent { s += z[t] * lift[t, j] }
            x[i, j] = Float(Foundation.tanh(s) + 0.05 * random.normal())
        }
    }
    return x
}
