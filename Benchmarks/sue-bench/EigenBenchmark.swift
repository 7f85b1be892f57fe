// Workload 'eigen': not yet implemented.
func runEigenBenchmark(_ args: BenchArguments) throws {
    throw BenchError("workload 'eigen' is not implemented yet")
}
