// Workload 'train-step': not yet implemented.
func runTrainStepBenchmark(_ args: BenchArguments) throws {
    throw BenchError("workload 'train-step' is not implemented yet")
}
