import XCTest
import LinearAlgebra

/// Same input → bit-identical factors whatever `Parallel.threadCount` is (the package's determinism rule).
/// Sizes are chosen so the parallel paths (row blocks, column chunks, GEMM tiles) are actually taken.
final class FactorDeterminismTests: XCTestCase {
    func testFactorisationsIndependentOfThreadCount() throws {
        let n = 300
        let spd: Matrix<Double> = FactorCheck.randomSPD(n, seed: 1)
        var rng = SeededRandom(seed: 2)
        let general: Matrix<Double> = rng.normalMatrix(n, 200)
        let rhs: Matrix<Double> = rng.normalMatrix(n, 150)
        func run() throws -> [[Double]] {
            let l = try cholesky(spd)
            let x = try solveTriangular(l, rhs, lower: true)
            let qr = qrDecomposition(general)
            let eig = try symmetricEigen(spd)
            let svd = try singularValueDecomposition(general.columns(0..<60))
            return [l.elements, x.elements, qr.q.elements, qr.r.elements, eig.values, eig.vectors.elements,
                    svd.singularValues, svd.u.elements, svd.v.elements]
        }
        let one = try Parallel.withThreads(1) { try run() }
        let three = try Parallel.withThreads(3) { try run() }
        XCTAssertEqual(one.count, three.count)
        for (a, b) in zip(one, three) { XCTAssertTrue(a == b, "results differ between 1 and 3 threads") }
    }
}
