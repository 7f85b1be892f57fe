import XCTest
import LinearAlgebra

final class TriangularSolveTests: XCTestCase {
    /// A well-conditioned random triangular matrix (diagonal bounded away from zero).
    func randomTriangular<S: MatrixScalar>(_ n: Int, lower: Bool, seed: UInt64) -> Matrix<S> {
        var rng = SeededRandom(seed: seed)
        return Matrix<S>(rows: n, columns: n) { i, j in
            if i == j { return S(2 + rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1) }
            return (lower ? j < i : j > i) ? S(rng.normal() / Double(n).squareRoot()) : 0
        }
    }

    func check<S: MatrixScalar>(_ type: S.Type, n: Int, k: Int) throws {
        for lower in [true, false] {
            for transpose in [false, true] {
                for side in [Side.left, .right] {
                    for unit in [false, true] {
                        var t: Matrix<S> = randomTriangular(n, lower: lower, seed: UInt64(n * 7 + k))
                        // Garbage in the other triangle must be ignored.
                        for i in 0..<n { for j in 0..<n where lower ? j > i : j < i { t[i, j] = 1e3 } }
                        var clean = t
                        for i in 0..<n { for j in 0..<n where lower ? j > i : j < i { clean[i, j] = 0 } }
                        if unit { for i in 0..<n { clean[i, i] = 1 } }
                        var rng = SeededRandom(seed: 5)
                        let b: Matrix<S> = side == .left ? rng.normalMatrix(n, k) : rng.normalMatrix(k, n)
                        let x = try solveTriangular(t, b, lower: lower, transpose: transpose, side: side,
                                                    unitDiagonal: unit)
                        let back = side == .left ? FactorCheck.product(clean, transpose, x)
                                                 : FactorCheck.product(x, false, clean, transpose)
                        let rel = FactorCheck.distance(b, back)
                            / (FactorCheck.norm(clean) * FactorCheck.norm(x) * Double(n) * Double(S.ulpOfOne))
                        XCTAssertLessThan(rel, 10, "n=\(n) k=\(k) lower=\(lower) T=\(transpose) \(side) unit=\(unit) \(S.self)")
                    }
                }
            }
        }
    }

    func testAllVariantsOddSizes() throws {
        for (n, k) in [(1, 1), (2, 3), (7, 5), (63, 2), (65, 70), (150, 9)] {
            try check(Double.self, n: n, k: k)
            try check(Float.self, n: n, k: k)
        }
    }

    func testInverse() throws {
        for lower in [true, false] {
            let t: Matrix<Double> = randomTriangular(70, lower: lower, seed: 3)
            let inv = try invertTriangular(t, lower: lower)
            let p = FactorCheck.product(t, false, inv)
            let rel = FactorCheck.distance(Matrix<Double>.identity(70), p) / (70 * Double.ulpOfOne * FactorCheck.norm(t) * FactorCheck.norm(inv))
            XCTAssertLessThan(rel, 10)
            for i in 0..<70 { for j in 0..<70 where lower ? j > i : j < i { XCTAssertEqual(inv[i, j], 0) } }
        }
    }

    func testErrors() {
        var t = Matrix<Double>.identity(4)
        t[2, 2] = 0
        XCTAssertThrowsError(try solveTriangular(t, Matrix<Double>(rows: 4, columns: 1), lower: true)) { error in
            XCTAssertEqual(error as? LinearAlgebraError, .singular(index: 2))
        }
        XCTAssertNoThrow(try solveTriangular(t, Matrix<Double>(rows: 4, columns: 1), lower: true, unitDiagonal: true))
        XCTAssertThrowsError(try solveTriangular(Matrix<Double>.identity(4), Matrix<Double>(rows: 3, columns: 1), lower: true)) { error in
            guard case LinearAlgebraError.dimensionMismatch = error else { return XCTFail("got \(error)") }
        }
        var b = Matrix<Double>(rows: 4, columns: 2)
        b[1, 1] = .infinity
        XCTAssertThrowsError(try solveTriangular(Matrix<Double>.identity(4), b, lower: false)) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try invertTriangular(t, lower: false))
    }
}
