// Workload 'gemm': not yet implemented.
func runGEMMBenchmark(_ args: BenchArguments) throws {
    throw BenchError("workload 'gemm' is not implemented yet")
}
