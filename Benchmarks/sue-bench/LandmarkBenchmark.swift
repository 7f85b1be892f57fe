import Foundation
import LinearAlgebra
import Spectral
import SUEFiles

// sue-bench landmark [--input X.npy | --rows 20000,50000 --dims 384] [--core 4000,8000,16384] [--se-dims 10]
//                    [--knn 30] [--seed s] [--json]
//
// How close the landmark spectral embedding (the SE of a seeded core of the rows, Nyström for the others: what a
// fit on a bounded core does) comes to the SE of all rows. Per size and core: the principal angles between the
// two n × se-dims embeddings' column spaces (the SE is defined up to a basis of its eigenspace, so the subspace
// is what must agree), reported as the mean sin² and the largest sine, and the seconds of each. Rows are from
// --input or the scale benchmark's generated X view.
func runLandmarkBenchmark(_ args: BenchArguments) throws {
    let seDims = args.int("se-dims") ?? 10, knn = args.int("knn") ?? 30
    let seed = UInt64(args.int("seed") ?? 0)
    let inputs: [Matrix<Float>]
    if let path = args.string("input") {
        inputs = [try NPYFile.read(URL(fileURLWithPath: path), as: Float.self)]
    } else {
        let views = ScaleViews(latent: args.int("latent") ?? 32, dims: args.int("dims") ?? 384,
                               noise: args.double("noise") ?? 0.3, seed: seed)
        inputs = (args.ints("rows") ?? [20_000, 50_000]).map { views.x(Array(0..<$0)) }
    }
    let configuration = NumericSpectralEmbedding.Configuration(neighbors: knn, dimensions: seDims)
    for x in inputs {
        var clock = monotonicSeconds()
        let full = try NumericSpectralEmbedding(configuration: configuration).fit(x).embedding
        let fullSeconds = monotonicSeconds() - clock
        for core in args.ints("core") ?? [4_000, 8_000, 16_384] where core < x.rows {
            clock = monotonicSeconds()
            var random = SeededRandom(seed: seed ^ 0x1a2d)
            let sample = random.permutation(x.rows).prefix(core).sorted()
            let landmark = try NumericSpectralEmbedding(configuration: configuration).fit(x.rows(Array(sample))).transform(x)
            let landmarkSeconds = monotonicSeconds() - clock
            let cosines = try principalAngleCosines(full, landmark)
            let sines = cosines.map { (1 - min(1, $0 * $0)).squareRoot() }
            emit(["workload": "landmark", "rows": x.rows, "columns": x.columns, "core": core, "se_dims": seDims, "knn": knn,
                  "mean_sin2": (sines.map { $0 * $0 }.reduce(0, +) / Double(sines.count)).rounded(toPlaces: 4),
                  "max_sin": (sines.max() ?? 0).rounded(toPlaces: 4),
                  "seconds_full": fullSeconds.rounded(toPlaces: 2), "seconds_landmark": landmarkSeconds.rounded(toPlaces: 2),
                  "threads": Parallel.threadCount, "build": buildFlavour], json: args.json)
        }
    }
}

/// Cosines of the principal angles between the column spaces of `a` and `b` (same rows): the singular values of
/// Q_aᵀQ_b for orthonormal bases Q_a, Q_b (Björck & Golub, *Numerical methods for computing angles between linear
/// subspaces*, Math. Comp. 27, 1973).
func principalAngleCosines(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> [Double] {
    let qa = try checkedQRDecomposition(a).q, qb = try checkedQRDecomposition(b).q
    return try singularValueDecomposition(Matrix.multiply(qa, .transposed, qb, .none)).singularValues
}
