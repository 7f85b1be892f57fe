import XCTest
import LinearAlgebra

final class SVDTests: XCTestCase {
    /// Shapes, descending non-negative values, ‖A − U·S·Vᵀ‖/(max(m,n)‖A‖ε), orthogonality of U and V.
    @discardableResult
    func check<S: MatrixScalar>(_ a: Matrix<S>, limit: Double = 30, _ label: String = "",
                                file: StaticString = #filePath, line: UInt = #line) throws -> SingularValueDecomposition<S> {
        let m = a.rows, n = a.columns, p = min(m, n)
        let svd = try singularValueDecomposition(a)
        XCTAssertEqual(svd.u.rows, m, file: file, line: line); XCTAssertEqual(svd.u.columns, p, file: file, line: line)
        XCTAssertEqual(svd.v.rows, n, file: file, line: line); XCTAssertEqual(svd.v.columns, p, file: file, line: line)
        XCTAssertEqual(svd.singularValues.count, p, file: file, line: line)
        for k in 0..<p {
            XCTAssertGreaterThanOrEqual(svd.singularValues[k], 0, file: file, line: line)
            if k > 0 { XCTAssertLessThanOrEqual(svd.singularValues[k], svd.singularValues[k - 1], file: file, line: line) }
        }
        var us = svd.u
        for i in 0..<m { for k in 0..<p { us[i, k] *= svd.singularValues[k] } }
        let residual = FactorCheck.distance(a, FactorCheck.product(us, false, svd.v, true))
            / (Double(max(m, n, 1)) * max(FactorCheck.norm(a), .leastNormalMagnitude) * Double(S.ulpOfOne))
        XCTAssertLessThan(residual, limit, "SVD residual \(m)×\(n) \(S.self) \(label)", file: file, line: line)
        if p > 0 {
            XCTAssertLessThan(FactorCheck.orthogonality(svd.u), limit, "U orthogonality \(m)×\(n) \(label)", file: file, line: line)
            XCTAssertLessThan(FactorCheck.orthogonality(svd.v), limit, "V orthogonality \(m)×\(n) \(label)", file: file, line: line)
        }
        return svd
    }

    func testRandomShapes() throws {
        for (m, n) in [(1, 1), (2, 2), (1, 4), (4, 1), (7, 7), (7, 3), (3, 7), (63, 65), (65, 63), (200, 20)] {
            var rng = SeededRandom(seed: UInt64(m * 100 + n))
            let a: Matrix<Double> = rng.normalMatrix(m, n)
            try check(a)
            let f: Matrix<Float> = rng.normalMatrix(m, n)
            try check(f)
        }
    }

    func testKnownSingularValuesIllConditioned() throws {
        let n = 40
        let sd = (0..<n).map { pow(10, -12 * Double($0) / Double(n - 1)) }
        let a: Matrix<Double> = FactorCheck.withSingularValues(sd, rows: 60, columns: n, seed: 12)
        let svd = try check(a, "κ=1e12")
        // Absolute accuracy ε‖A‖ for every σ; the large ones thus to high relative accuracy.
        for k in 0..<n { XCTAssertEqual(svd.singularValues[k], sd[k], accuracy: 100 * Double.ulpOfOne) }
        let sf = (0..<n).map { pow(10, -6 * Double($0) / Double(n - 1)) }
        let f: Matrix<Float> = FactorCheck.withSingularValues(sf, rows: n, columns: 50, seed: 13)
        let svdF = try check(f, "κ=1e6")
        for k in 0..<n { XCTAssertEqual(Double(svdF.singularValues[k]), sf[k], accuracy: 100 * Double(Float.ulpOfOne)) }
    }

    func testGradedColumnsHighRelativeAccuracy() throws {
        // A = B·D with B well conditioned and D spanning 30 orders of magnitude: Jacobi gets every σ to
        // relative accuracy (Demmel–Veselić); compare with the eigenvalues of AᵀA = D·(BᵀB)·D via Jacobi.
        let n = 6
        var rng = SeededRandom(seed: 77)
        let b: Matrix<Double> = rng.normalMatrix(10, n)
        let d = (0..<n).map { pow(10, -6 * Double($0)) }
        let a = Matrix<Double>(rows: 10, columns: n) { i, j in b[i, j] * d[j] }
        let s = try check(a).singularValues
        let btb = FactorCheck.product(b, true, b)
        let gram = Matrix<Double>(rows: n, columns: n) { i, j in btb[i, j] * d[i] * d[j] }
        let lambda = try symmetricEigen(gram, method: .jacobi).values.reversed().map { $0.squareRoot() }
        for k in 0..<n { XCTAssertEqual(s[k] / lambda[k], 1, accuracy: 1e-10, "σ_\(k) = \(s[k]) vs \(lambda[k])") }
    }

    func testRankDeficientAndZero() throws {
        for (m, n, r) in [(30, 20, 5), (20, 30, 8), (12, 12, 1)] {
            var rng = SeededRandom(seed: UInt64(m + r))
            let b: Matrix<Double> = rng.normalMatrix(m, r), c: Matrix<Double> = rng.normalMatrix(r, n)
            let a = FactorCheck.product(b, false, c)
            let svd = try check(a, "rank \(r)")
            let tolerance = Double(max(m, n)) * Double.ulpOfOne * svd.singularValues[0]
            XCTAssertEqual(svd.singularValues.filter { $0 > tolerance }.count, r)
        }
        // Exactly zero matrix and a matrix with zero columns: σ = 0 exactly, U and V still orthonormal.
        let zero = try check(Matrix<Double>(rows: 5, columns: 3))
        XCTAssertEqual(zero.singularValues, [0, 0, 0])
        // Many exactly-zero singular values: the completion must stay cheap and orthonormal.
        let bigZero = try check(Matrix<Double>(rows: 150, columns: 140))
        XCTAssertEqual(bigZero.singularValues.max(), 0)
        var a = Matrix<Float>(rows: 6, columns: 4)
        for i in 0..<6 { a[i, 1] = Float(i + 1); a[i, 3] = Float(i * i) - 3 }
        let s = try check(a).singularValues
        XCTAssertEqual(s[2], 0); XCTAssertEqual(s[3], 0)
    }

    func testLargerSquare() throws {
        var rng = SeededRandom(seed: 5)
        let a: Matrix<Double> = rng.normalMatrix(150, 150)
        try check(a)
    }

    func testNonFinite() {
        var a = Matrix<Double>.identity(3)
        a[1, 2] = -.infinity
        XCTAssertThrowsError(try singularValueDecomposition(a)) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("got \(error)") }
        }
    }
}
