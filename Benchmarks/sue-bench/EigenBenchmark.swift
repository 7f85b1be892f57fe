import Foundation
import LinearAlgebra
import Spectral

// Workload 'eigen': builds the paper's D.5 graph on the kNN of the input, then times the eigen-solve alone:
// the `nev` largest eigenpairs of S = D^{-1/2} W D^{-1/2} (trivial one included, as SciPy's eigsh reports them).
//
//   sue-bench eigen --input X.npy --k 30 --nev 16 --tol 1e-6 [--basis 48] [--repeats 3] [--json]
//
// Peer: anchors.py eigsh --input X.npy --k 30 --nev 16 --tol 1e-6 (ARPACK, which="LA").
func runEigenBenchmark(_ args: BenchArguments) throws {
    let x = try benchmarkPoints(args)
    let k = args.int("k") ?? 30, nev = args.int("nev") ?? 16, tol = args.double("tol") ?? 1e-6
    let metric = DistanceMetric(rawValue: args.string("metric") ?? "cosine") ?? .cosine
    let t0 = DispatchTime.now().uptimeNanoseconds
    let graph = AffinityGraph(neighbors: try nearestNeighbors(x, k: k, metric: metric))
    let graphSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
    let components = graph.connectedComponents().count
    let configuration = EigensolverConfiguration(method: .lanczos, tolerance: tol, basisSize: args.int("basis"),
                                                 seed: UInt64(args.int("seed") ?? 0))
    var spectrum: GraphSpectrum? = nil
    let times = try measure(repeats: args.int("repeats") ?? 3, warmup: 0) {
        spectrum = try leadingEigenpairs(of: graph, count: nev, configuration: configuration)
    }
    let s = spectrum!
    emit(["workload": "eigen", "library": "sue-swift", "n": x.rows, "k": k, "nev": nev, "tol": tol,
          "seconds_min": times.min()!, "seconds_median": median(times), "graph_seconds": graphSeconds,
          "max_residual": s.residualNorms.max()!, "eigenvalues": s.eigenvalues, "components": components,
          "converged": s.converged, "report": s.report, "threads": Parallel.threadCount, "build": buildFlavour],
         json: args.json)
}
