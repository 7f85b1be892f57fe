import Foundation
import LinearAlgebra

// sue-bench <workload> [--flag value ...] [--json]
// Each workload lives in its own file and prints one JSON line per figure with --json,
// otherwise a readable line. Peers are measured by ../shared/anchors/anchors.py in the same run.

let workloads: [String: @Sendable (BenchArguments) throws -> Void] = [
    "gemm": runGEMMBenchmark,
    "linalg": runLinalgBenchmark,
    "train-step": runTrainStepBenchmark,
    "knn": runKNNBenchmark,
    "eigen": runEigenBenchmark,
    "sue-fit": runSUEFitBenchmark,
    "csls": runCSLSBenchmark,
    "spectralnet": runSpectralNetBenchmark,
    "scale": runScaleBenchmark,
    "landmark": runLandmarkBenchmark,
    "transport": runTransportBenchmark,
]

let argv = Array(CommandLine.arguments.dropFirst())
guard let name = argv.first, let run = workloads[name] else {
    let known = workloads.keys.sorted().joined(separator: ", ")
    FileHandle.standardError.write("usage: sue-bench <workload> [--option value ...] [--json]\nworkloads: \(known)\n".data(using: .utf8)!)
    exit(argv.isEmpty || argv.first == "--help" ? 0 : 2)
}
do {
    let args = try BenchArguments(Array(argv.dropFirst()))
    try Parallel.withThreads(args.int("threads") ?? Parallel.defaultThreadCount) { try run(args) }
} catch {
    FileHandle.standardError.write("sue-bench \(name): \(error)\n".data(using: .utf8)!)
    exit(1)
}
