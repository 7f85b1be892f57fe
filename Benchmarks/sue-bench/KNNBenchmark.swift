// Workload 'knn': not yet implemented.
func runKNNBenchmark(_ args: BenchArguments) throws {
    throw BenchError("workload 'knn' is not implemented yet")
}
