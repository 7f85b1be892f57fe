import XCTest
import LinearAlgebra

final class SymmetricEigenTests: XCTestCase {
    /// ‖A·V − V·Λ‖_F / (n·‖A‖_F·ε) and ‖VᵀV − I‖_F/(nε), checking ascending order on the way.
    func checkDecomposition<S: MatrixScalar>(_ a: Matrix<S>, _ method: SymmetricEigenMethod, limit: Double = 30,
                                             file: StaticString = #filePath, line: UInt = #line) throws -> [S] {
        let n = a.rows
        let eig = try symmetricEigen(a, method: method)
        XCTAssertEqual(eig.values.count, n, file: file, line: line)
        XCTAssertEqual(eig.vectors.rows, n, file: file, line: line)
        XCTAssertEqual(eig.vectors.columns, n, file: file, line: line)
        for i in 1..<max(n, 1) where n > 1 { XCTAssertLessThanOrEqual(eig.values[i - 1], eig.values[i], file: file, line: line) }
        var vl = FactorCheck.product(eig.vectors, false, Matrix<S>.identity(n))
        for i in 0..<n { for j in 0..<n { vl[i, j] *= Double(eig.values[j]) } }
        let av = FactorCheck.product(a, false, eig.vectors)
        var diff = 0.0
        for i in 0..<av.elements.count { let d = av.elements[i] - vl.elements[i]; diff += d * d }
        let scale = Double(max(n, 1)) * max(FactorCheck.norm(a), Double.leastNormalMagnitude) * Double(S.ulpOfOne)
        let residual = diff.squareRoot() / scale
        let orth = FactorCheck.orthogonality(eig.vectors)
        XCTAssertLessThan(residual, limit, "eigen residual n=\(n) \(method) \(S.self)", file: file, line: line)
        XCTAssertLessThan(orth, limit, "eigenvector orthogonality n=\(n) \(method) \(S.self)", file: file, line: line)
        return eig.values
    }

    /// Eigenvalues with Vᵀ·B, without V: against `symmetricEigen` at odd sizes on both paths (Jacobi below 33,
    /// several reflector blocks above 64), on a prescribed spectrum with a triple eigenvalue (where only the
    /// eigenspace's share of B is defined) and a rank-deficient one; bad input is refused.
    func testEigenvaluesWithTheEigenvectorsAppliedToABlock() throws {
        var random = SeededRandom(seed: 17)
        for n in [1, 5, 31, 33, 97, 151] {
            let a: Matrix<Double> = FactorCheck.randomSymmetric(n, seed: UInt64(n) + 100)
            let b: Matrix<Double> = random.normalMatrix(n, 3)
            let (values, projection) = try symmetricEigenvalues(a, projecting: b)
            let reference = try symmetricEigen(a)
            let expected = Matrix.multiply(reference.vectors, .transposed, b)
            let scale = max(FactorCheck.norm(a), 1)
            for j in 0..<n {
                XCTAssertEqual(values[j], reference.values[j], accuracy: 1e-13 * scale * Double(n), "λ\(j), n \(n)")
                // Same eigenvector up to its sign (which follows the same rotations, so it agrees in practice).
                let sign: Double = (0..<3).reduce(0.0) { $0 + projection[j, $1] * expected[j, $1] } < 0 ? -1 : 1
                for k in 0..<3 { XCTAssertEqual(projection[j, k], sign * expected[j, k], accuracy: 1e-10 * Double(n), "row \(j), n \(n)") }
            }
        }
        // A triple eigenvalue and a zero one: ‖(Vᵀb) restricted to each eigenspace‖ is what is defined.
        let spectrum = [5.0, 5, 5, 3, 2, 1, 0, 0.5] + (0..<37).map { 0.01 * Double($0 + 1) + 6 }
        let a: Matrix<Double> = FactorCheck.withEigenvalues(spectrum, seed: 4)
        let b: Matrix<Double> = random.normalMatrix(spectrum.count, 2)
        let (values, projection) = try symmetricEigenvalues(a, projecting: b)
        let reference = try symmetricEigen(a)
        let expected = Matrix.multiply(reference.vectors, .transposed, b)
        func share(_ m: Matrix<Double>, _ rows: [Int]) -> Double { rows.reduce(0.0) { t, j in t + m[j, 0] * m[j, 0] + m[j, 1] * m[j, 1] } }
        let triple = values.indices.filter { abs(values[$0] - 5) < 1e-9 }
        XCTAssertEqual(triple.count, 3)
        XCTAssertEqual(share(projection, triple), share(expected, triple), accuracy: 1e-9)
        XCTAssertEqual(share(projection, Array(values.indices)), share(b, Array(0..<b.rows)), accuracy: 1e-9)  // V orthogonal
        for j in values.indices { XCTAssertEqual(values[j], reference.values[j], accuracy: 1e-12) }

        XCTAssertThrowsError(try symmetricEigenvalues(Matrix<Double>(rows: 3, columns: 4), projecting: Matrix(rows: 3, columns: 1)))
        XCTAssertThrowsError(try symmetricEigenvalues(Matrix<Double>.identity(4), projecting: Matrix(rows: 3, columns: 1))) {
            XCTAssertTrue("\($0)".contains("3 rows"), "\($0)")
        }
        var bad = Matrix<Double>.identity(40)
        bad[3, 1] = .nan
        XCTAssertThrowsError(try symmetricEigenvalues(bad, projecting: Matrix(rows: 40, columns: 1)))
    }

    func testRandomSymmetricAllSizesAndMethods() throws {
        for n in [1, 2, 3, 7, 33, 63, 65] {
            for method in [SymmetricEigenMethod.jacobi, .tridiagonalQL, .automatic] {
                let a: Matrix<Double> = FactorCheck.randomSymmetric(n, seed: UInt64(n))
                _ = try checkDecomposition(a, method)
                let f: Matrix<Float> = FactorCheck.randomSymmetric(n, seed: UInt64(n) + 100)
                _ = try checkDecomposition(f, method)
            }
        }
    }

    func testJacobiAndQLAgree() throws {
        let a: Matrix<Double> = FactorCheck.randomSymmetric(40, seed: 7)
        let j = try symmetricEigen(a, method: .jacobi).values
        let q = try symmetricEigen(a, method: .tridiagonalQL).values
        let scale = j.map { abs($0) }.max()!
        for i in 0..<40 { XCTAssertEqual(j[i], q[i], accuracy: 100 * scale * Double.ulpOfOne) }
    }

    func testAnalyticSpectrumOfSecondDifferenceMatrix() throws {
        for n in [5, 31, 64, 200] {
            let a = Matrix<Double>(rows: n, columns: n) { i, j in i == j ? 2 : (abs(i - j) == 1 ? -1 : 0) }
            let exact = (1...n).map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }
            for method in [SymmetricEigenMethod.jacobi, .tridiagonalQL] where n <= 64 || method == .tridiagonalQL {
                let values = try checkDecomposition(a, method)
                for k in 0..<n { XCTAssertEqual(values[k], exact[k], accuracy: 20 * Double.ulpOfOne * 4) }
            }
            let tri = try symmetricTridiagonalEigen(diagonal: [Double](repeating: 2, count: n),
                                                    offDiagonal: [Double](repeating: -1, count: n - 1))
            for k in 0..<n { XCTAssertEqual(tri.values[k], exact[k], accuracy: 20 * Double.ulpOfOne * 4) }
        }
    }

    func testEigenvaluesOnly() throws {
        for n in [1, 2, 7, 65, 150] {
            let a: Matrix<Double> = FactorCheck.randomSymmetric(n, seed: UInt64(n) + 40)
            let full = try symmetricEigen(a, method: .tridiagonalQL).values
            let only = try symmetricEigenvalues(a)
            let scale = FactorCheck.norm(a)
            for k in 0..<n { XCTAssertEqual(only[k], full[k], accuracy: 10 * Double(n) * scale * Double.ulpOfOne) }
            let f: Matrix<Float> = FactorCheck.randomSymmetric(n, seed: UInt64(n) + 41)
            let fullF = try symmetricEigen(f, method: .jacobi).values
            let onlyF = try symmetricEigenvalues(f)
            for k in 0..<n {
                XCTAssertEqual(onlyF[k], fullF[k], accuracy: 10 * Float(n) * Float(FactorCheck.norm(f)) * Float.ulpOfOne)
            }
        }
        // Second-difference matrix: 2 − 2cos(kπ/(n+1)).
        let n = 100
        let t = Matrix<Double>(rows: n, columns: n) { i, j in i == j ? 2 : (abs(i - j) == 1 ? -1 : 0) }
        let values = try symmetricEigenvalues(t)
        for k in 0..<n { XCTAssertEqual(values[k], 2 - 2 * cos(Double(k + 1) * Double.pi / Double(n + 1)), accuracy: 1e-13) }
        XCTAssertThrowsError(try symmetricEigenvalues(Matrix<Double>(rows: 1, columns: 1, elements: [.nan])))
    }

    func testRepeatedEigenvalues() throws {
        // Identity plus a rank-1 term: eigenvalue 1 with multiplicity n−1, and 1 + ‖u‖².
        let n = 20
        var rng = SeededRandom(seed: 3)
        let u = (0..<n).map { _ in rng.normal() }
        let a = Matrix<Double>(rows: n, columns: n) { i, j in (i == j ? 1 : 0) + u[i] * u[j] }
        let top = 1 + u.reduce(0) { $0 + $1 * $1 }
        for method in [SymmetricEigenMethod.jacobi, .tridiagonalQL] {
            let values = try checkDecomposition(a, method)
            for k in 0..<(n - 1) { XCTAssertEqual(values[k], 1, accuracy: 1e-13 * top) }
            XCTAssertEqual(values[n - 1], top, accuracy: 1e-13 * top)
        }
        // A five-fold eigenvalue in the middle of a spread spectrum.
        let lambda: [Double] = [-3, -1, 0.5, 2, 2, 2, 2, 2, 4, 7, 9]
        let b: Matrix<Double> = FactorCheck.withEigenvalues(lambda, seed: 11)
        for method in [SymmetricEigenMethod.jacobi, .tridiagonalQL] {
            let values = try checkDecomposition(b, method)
            for k in 0..<lambda.count { XCTAssertEqual(values[k], lambda[k], accuracy: 1e-13 * 9) }
        }
    }

    func testIllConditionedAndGradedSpectra() throws {
        // Eigenvalues spread over 12 (Double) / 6 (Float) orders of magnitude, with both signs.
        let n = 30
        let lambdaD = (0..<n).map { k in (k % 2 == 0 ? 1.0 : -1.0) * pow(10, -12 * Double(k) / Double(n - 1)) }
        let ad: Matrix<Double> = FactorCheck.withEigenvalues(lambdaD, seed: 5)
        for method in [SymmetricEigenMethod.jacobi, .tridiagonalQL] {
            let values = try checkDecomposition(ad, method)
            let expected = lambdaD.sorted()
            for k in 0..<n { XCTAssertEqual(values[k], expected[k], accuracy: 50 * Double(n) * Double.ulpOfOne) }
        }
        let lambdaF = (0..<n).map { k in pow(10, -6 * Double(k) / Double(n - 1)) }
        let af: Matrix<Float> = FactorCheck.withEigenvalues(lambdaF, seed: 6)
        for method in [SymmetricEigenMethod.jacobi, .tridiagonalQL] { _ = try checkDecomposition(af, method) }
        // A diagonally graded positive definite matrix: Jacobi recovers even the tiny eigenvalues to
        // high relative accuracy (Demmel–Veselić), unlike QR/QL which only guarantee ε·‖A‖ absolute error.
        let d = [1e20, 1e10, 1, 1e-10, 1e-20]
        let graded = Matrix<Double>(rows: 5, columns: 5) { i, j in
            (i == j ? 1 : 0.25) * (d[i] * d[j]).squareRoot() }
        let values = try symmetricEigen(graded, method: .jacobi).values
        // Independent reference: λ_min(A) = 1/λ_max(A⁻¹), and A⁻¹ = D⁻¹·H⁻¹·D⁻¹ is known in closed form
        // (H = 0.75·I + 0.25·11ᵀ, H⁻¹ = (4/3)(I − 11ᵀ/8)); a largest eigenvalue is always accurate to ε relatively.
        let inverse = Matrix<Double>(rows: 5, columns: 5) { i, j in
            (4.0 / 3.0) * ((i == j ? 1 : 0) - 0.125) / (d[i] * d[j]).squareRoot() }
        let largestOfInverse = try symmetricEigen(inverse, method: .tridiagonalQL).values[4]
        XCTAssertEqual(values[0] * largestOfInverse, 1, accuracy: 1e-12)
        XCTAssertEqual(values[4] / 1e20, 1, accuracy: 1e-9)
    }

    func testTridiagonalSolverLarge() throws {
        let n = 1200
        var rng = SeededRandom(seed: 9)
        let d = (0..<n).map { _ in rng.normal() }, e = (0..<(n - 1)).map { _ in rng.normal() }
        let result = try symmetricTridiagonalEigen(diagonal: d, offDiagonal: e)
        let z = result.vectors!
        // Residual ‖T·z_j − λ_j z_j‖ for every j, and orthogonality on a sample of columns.
        var worst = 0.0
        let tnorm = (d.map { $0 * $0 }.reduce(0, +) + 2 * e.map { $0 * $0 }.reduce(0, +)).squareRoot()
        for j in 0..<n {
            var s = 0.0
            for i in 0..<n {
                var tz = d[i] * z[i, j]
                if i > 0 { tz += e[i - 1] * z[i - 1, j] }
                if i < n - 1 { tz += e[i] * z[i + 1, j] }
                let r = tz - result.values[j] * z[i, j]
                s += r * r
            }
            worst = max(worst, s.squareRoot())
        }
        XCTAssertLessThan(worst / (Double(n) * tnorm * Double.ulpOfOne), 10)
        for j in stride(from: 0, to: n, by: 97) {
            for k in stride(from: j, to: n, by: 89) {
                var s = 0.0
                for i in 0..<n { s += z[i, j] * z[i, k] }
                XCTAssertEqual(s, j == k ? 1 : 0, accuracy: 100 * Double(n) * Double.ulpOfOne)
            }
        }
        // Values only must agree with the vectors run.
        let valuesOnly = try symmetricTridiagonalEigen(diagonal: d, offDiagonal: e, computeVectors: false)
        XCTAssertNil(valuesOnly.vectors)
        for j in 0..<n { XCTAssertEqual(valuesOnly.values[j], result.values[j], accuracy: 1e-12 * tnorm) }
    }

    func testBadInput() {
        var a: Matrix<Double> = FactorCheck.randomSymmetric(5, seed: 1)
        a[3, 1] = .nan
        XCTAssertThrowsError(try symmetricEigen(a)) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("expected nonFinite, got \(error)") }
        }
        XCTAssertThrowsError(try symmetricEigen(Matrix<Double>(rows: 2, columns: 3))) { error in
            guard case LinearAlgebraError.dimensionMismatch = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try symmetricTridiagonalEigen(diagonal: [1, 2], offDiagonal: [.infinity])) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try symmetricTridiagonalEigen(diagonal: [1, 2], offDiagonal: [])) { error in
            guard case LinearAlgebraError.dimensionMismatch = error else { return XCTFail("got \(error)") }
        }
        XCTAssertEqual(try symmetricEigen(Matrix<Double>(rows: 0, columns: 0)).values.count, 0)
    }
}

final class SymmetricEigenLargeTests: XCTestCase {
    /// n = 1000 through the tridiagonal path (about a second in release). The residual uses the library
    /// GEMM (tested on its own) because the triple-loop reference would dominate the test time.
    func testLargeSPD() throws {
        let n = 1000
        var rng = SeededRandom(seed: 17)
        let m: Matrix<Double> = rng.normalMatrix(n, n)
        var a = Matrix.multiply(m, .none, m, .transposed, alpha: 1 / Double(n))
        for i in 0..<n { a[i, i] += 1 }
        let eig = try symmetricEigen(a)
        let av = Matrix.multiply(a, .none, eig.vectors, .none)
        var diff = 0.0
        for i in 0..<n { for j in 0..<n { let d = av[i, j] - eig.vectors[i, j] * eig.values[j]; diff += d * d } }
        XCTAssertLessThan(diff.squareRoot() / (Double(n) * FactorCheck.norm(a) * Double.ulpOfOne), 10)
        let vtv = Matrix.multiply(eig.vectors, .transposed, eig.vectors, .none)
        var orth = 0.0
        for i in 0..<n { for j in 0..<n { let d = vtv[i, j] - (i == j ? 1 : 0); orth += d * d } }
        XCTAssertLessThan(orth.squareRoot() / (Double(n) * Double.ulpOfOne), 10)
        // Trace and the Marchenko–Pastur-like range as sanity checks on the values themselves.
        var trace = 0.0
        for i in 0..<n { trace += a[i, i] }
        XCTAssertEqual(eig.values.reduce(0, +), trace, accuracy: 1e-9 * trace)
        XCTAssertGreaterThan(eig.values[0], 1)
        XCTAssertLessThan(eig.values[n - 1], 6)
    }
}
