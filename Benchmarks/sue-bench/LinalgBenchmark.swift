// Workload 'linalg': not yet implemented.
func runLinalgBenchmark(_ args: BenchArguments) throws {
    throw BenchError("workload 'linalg' is not implemented yet")
}
