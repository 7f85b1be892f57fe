import XCTest
import LinearAlgebra

final class CholeskyTests: XCTestCase {
    /// ‖A − L·Lᵀ‖_F / (n·‖A‖_F·ε), plus structural checks (upper part zero, positive diagonal).
    func scaledResidual<S: MatrixScalar>(_ a: Matrix<S>, _ l: Matrix<S>) -> Double {
        let n = a.rows
        for i in 0..<n {
            XCTAssertGreaterThan(l[i, i], 0)
            for j in (i + 1)..<n { XCTAssertEqual(l[i, j], 0) }
        }
        let llt = FactorCheck.product(l, false, l, true)
        return FactorCheck.distance(a, llt) / (Double(max(n, 1)) * FactorCheck.norm(a) * Double(S.ulpOfOne))
    }

    func testRandomSPDOddSizes() throws {
        // 97 and 200 cross the block size (96), exercising panel solve and trailing update.
        for n in [1, 2, 7, 63, 65, 97, 200] {
            let a: Matrix<Double> = FactorCheck.randomSPD(n, seed: UInt64(n))
            XCTAssertLessThan(scaledResidual(a, try cholesky(a)), 10, "n=\(n) Double")
            let f: Matrix<Float> = FactorCheck.randomSPD(n, seed: UInt64(n))
            XCTAssertLessThan(scaledResidual(f, try cholesky(f)), 10, "n=\(n) Float")
        }
    }

    func testIllConditioned() throws {
        let n = 120
        let lambdaD = (0..<n).map { pow(10, -12 * Double($0) / Double(n - 1)) }
        let a: Matrix<Double> = FactorCheck.withEigenvalues(lambdaD, seed: 21)
        XCTAssertLessThan(scaledResidual(a, try cholesky(a)), 10)
        let lambdaF = (0..<n).map { pow(10, -5 * Double($0) / Double(n - 1)) }
        let f: Matrix<Float> = FactorCheck.withEigenvalues(lambdaF, seed: 22)
        XCTAssertLessThan(scaledResidual(f, try cholesky(f)), 10)
    }

    func testLargeAgainstReference() throws {
        // n = 1200 (beyond 12 blocks). The residual check needs L·Lᵀ: use the library GEMM for speed, and
        // spot-check entries of L against an independent row-by-row recomputation from A.
        let n = 1200
        let a: Matrix<Double> = {
            var rng = SeededRandom(seed: 4)
            let m: Matrix<Double> = rng.normalMatrix(n, 64)
            var s = Matrix.multiply(m, .none, m, .transposed)
            for i in 0..<n { s[i, i] += 1 }
            return s
        }()
        let l = try cholesky(a)
        let llt = Matrix.multiply(l, .none, l, .transposed)
        var diff = 0.0, norm = 0.0
        for i in 0..<(n * n) { let d = a.elements[i] - llt.elements[i]; diff += d * d; norm += a.elements[i] * a.elements[i] }
        XCTAssertLessThan(diff.squareRoot() / (Double(n) * norm.squareRoot() * Double.ulpOfOne), 10)
        // Entry (i, j) of L from the definition l_ij = (a_ij − Σ_{k<j} l_ik l_jk)/l_jj, using the computed L.
        for (i, j) in [(1199, 0), (1199, 1198), (700, 350), (96, 95), (97, 96)] {
            var s = a[i, j]
            for k in 0..<j { s -= l[i, k] * l[j, k] }
            XCTAssertEqual(s / l[j, j], l[i, j], accuracy: 1e-10 * abs(l[i, j]) + 1e-13)
        }
    }

    func testIndefiniteReportsColumn() throws {
        for (n, bad) in [(5, 3), (150, 120), (200, 0), (2, 1)] {
            // SPD, then make the leading (bad+1)×(bad+1) block indefinite: a huge negative shift at `bad`.
            var a: Matrix<Double> = FactorCheck.randomSPD(n, seed: 31)
            a[bad, bad] -= 1000
            XCTAssertThrowsError(try cholesky(a)) { error in
                guard case let LinearAlgebraError.notPositiveDefinite(column, pivot) = error else {
                    return XCTFail("expected notPositiveDefinite, got \(error)")
                }
                XCTAssertEqual(column, bad)
                XCTAssertLessThan(pivot, 0)
            }
        }
        // A singular PSD matrix (rank 1) fails at column 1 with pivot ≈ 0.
        let u = Matrix<Double>(rows: 3, columns: 1, elements: [1, 2, 3])
        XCTAssertThrowsError(try cholesky(Matrix.multiply(u, .none, u, .transposed)))
    }

    func testBadInput() {
        var a: Matrix<Double> = FactorCheck.randomSPD(4, seed: 1)
        a[2, 1] = .nan
        XCTAssertThrowsError(try cholesky(a)) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try cholesky(Matrix<Float>(rows: 3, columns: 2))) { error in
            guard case LinearAlgebraError.dimensionMismatch = error else { return XCTFail("got \(error)") }
        }
    }

    func testCholeskySolve() throws {
        for n in [1, 7, 130] {
            let a: Matrix<Double> = FactorCheck.randomSPD(n, seed: 41)
            var rng = SeededRandom(seed: 42)
            let b: Matrix<Double> = rng.normalMatrix(n, 3)
            let x = try choleskySolve(a, b)
            let ax = FactorCheck.product(a, false, x)
            let rel = FactorCheck.distance(b, ax) / (FactorCheck.norm(a) * FactorCheck.norm(x) * Double(n) * Double.ulpOfOne)
            XCTAssertLessThan(rel, 10)
        }
        XCTAssertThrowsError(try choleskySolve(Matrix<Double>.identity(3), Matrix<Double>(rows: 2, columns: 1)))
    }
}
