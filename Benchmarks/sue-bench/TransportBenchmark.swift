import Foundation
import LinearAlgebra
import SUE
import SUEFiles

// Workload 'transport': an entropic fused Gromov–Wasserstein plan between two sets of unit rows, the step that
// carries auxiliary rows across in unpaired auxiliary training.
//
//   sue-bench transport [--m 1700] [--n 2048] [--d 384] [--rounds 6] [--iterations 100] [--entropy 0.01] [--alpha 0.3] [--repeats 3]
//                       [--out-dir DIR] [--json]
//
// The rows are seeded Gaussian directions, the feature cost uniform in [0, 5). With `--out-dir` the inputs and
// the plan are written there as `source.npy`, `target.npy`, `cost.npy` and `plan.npy`, so that
// Benchmarks/tools/transport_peer.py can run the same rounds with POT's log-domain Sinkhorn on the same inputs
// in the same session and compare both the time and the plan.
func runTransportBenchmark(_ args: BenchArguments) throws {
    let m = args.int("m") ?? 1700, n = args.int("n") ?? 2048, d = args.int("d") ?? 384
    let solver = FusedGromovWasserstein(structureWeight: args.double("alpha") ?? 0.3, entropy: args.double("entropy") ?? 0.01,
                                        rounds: args.int("rounds") ?? 6,
                                        sinkhornIterations: args.int("iterations") ?? 100)
    var random = SeededRandom(seed: UInt64(args.int("seed") ?? 0))
    let source = (random.normalMatrix(m, d, std: 1) as Matrix<Float>).normalizedRows()
    let target = (random.normalMatrix(n, d, std: 1) as Matrix<Float>).normalizedRows()
    let cost = Matrix<Double>(rows: m, columns: n) { _, _ in 5 * random.uniform() }
    var plan = Matrix<Double>(rows: 0, columns: 0)
    let times = try measure(repeats: args.int("repeats") ?? 3, warmup: 0) {
        plan = try solver.plan(source: source, target: target, featureCost: cost)
    }
    if let folder = args.string("out-dir") {
        let url = URL(fileURLWithPath: folder)
        try NPYFile.write(source, to: url.appendingPathComponent("source.npy"))
        try NPYFile.write(target, to: url.appendingPathComponent("target.npy"))
        try NPYFile.write(cost, to: url.appendingPathComponent("cost.npy"))
        try NPYFile.write(plan, to: url.appendingPathComponent("plan.npy"))
    }
    emit(["workload": "transport", "m": m, "n": n, "d": d, "rounds": solver.rounds, "entropy": solver.entropy, "alpha": solver.structureWeight, "iterations": solver.sinkhornIterations,
          "threads": Parallel.threadCount, "build": buildFlavour, "seconds_median": median(times)], json: args.json)
}
