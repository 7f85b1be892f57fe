import Foundation
import LinearAlgebra
import Autodiff

// Workload 'train-step': one Adam step of the SpectralNet-sized MLP, the same work as anchors.py `mlp`:
//   sizes d → hidden… → out, LeakyReLU(0.01) after hidden layers, tanh after the last, PyTorch's default init,
//   loss = mean of the matrix of pairwise squared distances of the outputs, Adam(lr 1e-4).
// One timed step = tape reset + zero gradients + forward + backward + optimiser update.
//
//   sue-bench train-step --d 768 --hidden 4096,4096,1024 --out 16 --batch 1024 [--repeats 3] [--threads T] --json
// samples_per_second = batch / fastest step, as the peer computes it.
func runTrainStepBenchmark(_ args: BenchArguments) throws {
    let d = args.int("d") ?? 768
    let hidden = args.ints("hidden") ?? [4096, 4096, 1024]
    let out = args.int("out") ?? 16
    let batch = args.int("batch") ?? 1024
    let repeats = args.int("repeats") ?? 3
    let seed = UInt64(args.int("seed") ?? 0)
    guard d > 0, out > 0, batch > 0, hidden.allSatisfy({ $0 > 0 }) else {
        throw BenchError("train-step: sizes must be positive (d \(d), hidden \(hidden), out \(out), batch \(batch))")
    }
    let sizes = [d] + hidden + [out]

    var rng = SeededRandom(seed: seed)
    let model = MLP<Float>(sizes: sizes, hidden: .leakyReLU, output: .tanh, rng: &rng)
    let optimizer = Adam(parameters: model.parameters, learningRate: 1e-4)
    let inputs = Tensor(constant: rng.normalMatrix(batch, d, as: Float.self))
    let tape = Tape<Float>()
    var loss: Float = 0

    // Seconds spent in forward, backward and the optimiser, summed over the timed steps (printed with --breakdown).
    var phases = [0.0, 0.0, 0.0]
    func step() throws {
        let t0 = DispatchTime.now().uptimeNanoseconds
        tape.reset()
        optimizer.zeroGradients()
        let y = model(tape.stopGradient(inputs))          // puts the persistent batch on the tape, no copy
        let l = tape.mean(tape.pairwiseSquaredDistances(y))
        let t1 = DispatchTime.now().uptimeNanoseconds
        try tape.backward(l)
        let t2 = DispatchTime.now().uptimeNanoseconds
        optimizer.step()
        let t3 = DispatchTime.now().uptimeNanoseconds
        loss = l.scalar
        for (k, (a, b)) in [(t0, t1), (t1, t2), (t2, t3)].enumerated() { phases[k] += Double(b - a) * 1e-9 }
    }

    let allocationsBefore = StorageStatistics.allocations
    try step()                                             // warm-up: allocates every buffer once
    let allocationsAfterFirst = StorageStatistics.allocations
    phases = [0, 0, 0]
    let times = try measure(repeats: repeats, warmup: 0, step)
    let steadyStateAllocations = StorageStatistics.allocations - allocationsAfterFirst
    let best = times.min() ?? .nan
    emit(["workload": "train-step", "samples_per_second": Double(batch) / best, "seconds_median": median(times),
          "seconds_min": best, "build": buildFlavour, "threads": Parallel.threadCount, "sizes": sizes,
          "batch": batch, "loss": Double(loss), "parameters": model.parameterCount,
          "buffers_first_step": allocationsAfterFirst - allocationsBefore,
          "buffers_steady_state": steadyStateAllocations], json: args.json)
    if args.has("breakdown") {
        let n = Double(times.count)
        let gemmSeconds = measure(repeats: repeats, warmup: 0) { bareGEMMsOfStep(sizes: sizes, batch: batch) }.min() ?? .nan
        emit(["workload": "train-step-breakdown", "forward_seconds": phases[0] / n, "backward_seconds": phases[1] / n,
              "optimizer_seconds": phases[2] / n, "gemm_only_seconds": gemmSeconds,
              "engine_overhead_fraction": (best - gemmSeconds) / best, "build": buildFlavour], json: args.json)
    }
}

/// The GEMMs of one training step and nothing else, on the same shapes: per layer the forward x·Wᵀ (NT),
/// the weight gradient dZᵀ·x (TN) and, except for the first layer, the input gradient dZ·W (NN); plus the
/// pairwise-distance product Y·Yᵀ and its gradient G·Y. Timing these alone shows how much the engine adds.
private func bareGEMMsOfStep(sizes: [Int], batch: Int) {
    var activations = sizes.map { Matrix<Float>(rows: batch, columns: $0, repeating: 0.01) }
    let weights = zip(sizes.dropFirst(), sizes).map { Matrix<Float>(rows: $0.0, columns: $0.1, repeating: 0.01) }
    var weightGradients = weights.map { Matrix<Float>(rows: $0.rows, columns: $0.columns) }
    var inputGradients = activations
    var distances = Matrix<Float>(rows: batch, columns: batch)
    for l in 0..<weights.count {
        activations[l].withView { x in weights[l].withView { w in activations[l + 1].withMutableView { y in
            gemm(.none, .transposed, x, w, beta: 0, y)
        } } }
    }
    activations[weights.count].withView { y in distances.withMutableView { d in gemm(.none, .transposed, y, y, beta: 0, d) } }
    distances.withView { g in activations[weights.count].withView { y in inputGradients[weights.count].withMutableView { dy in
        gemm(.none, .none, g, y, beta: 0, dy)
    } } }
    for l in stride(from: weights.count - 1, through: 0, by: -1) {
        inputGradients[l + 1].withView { dz in activations[l].withView { x in weightGradients[l].withMutableView { dw in
            gemm(.transposed, .none, dz, x, beta: 0, dw)
        } } }
        if l > 0 {
            inputGradients[l + 1].withView { dz in weights[l].withView { w in inputGradients[l].withMutableView { dx in
                gemm(.none, .none, dz, w, beta: 0, dx)
            } } }
        }
    }
}
