import XCTest
import LinearAlgebra

/// `leadingSymmetricEigen` against the full `symmetricEigen` on matrices with prescribed spectra.
final class LeadingEigenTests: XCTestCase {
    /// ‖A·v_k − λ_k·v_k‖ / ‖A‖_2 for each returned pair (‖A‖_2 = the largest eigenvalue for a PSD A).
    private func residuals(_ a: Matrix<Double>, _ e: SymmetricEigenDecomposition<Double>, norm: Double) -> [Double] {
        let av = FactorCheck.product(a, false, e.vectors)
        return (0..<e.values.count).map { k in
            var s = 0.0
            for i in 0..<a.rows { let d = av[i, k] - e.values[k] * e.vectors[i, k]; s += d * d }
            return s.squareRoot() / norm
        }
    }

    /// Largest principal angle's sine between span(u) and span(v) (orthonormal columns, same count):
    /// ‖(I − VVᵀ)U‖_2 ≤ ‖(I − VVᵀ)U‖_F.
    private func subspaceGap(_ u: Matrix<Double>, _ v: Matrix<Double>) -> Double {
        let vtu = FactorCheck.product(v, true, u)
        let projected = FactorCheck.product(v, false, vtu)
        return FactorCheck.distance(u, projected)
    }

    func testGeometricSpectrumOnAnOddSize() throws {
        let n = 157, count = 11
        let lambda = (0..<n).map { pow(0.8, Double($0)) }
        let a: Matrix<Double> = FactorCheck.withEigenvalues(lambda, seed: 3)
        let e = try leadingSymmetricEigen(a, count: count, iterations: 8, oversampling: 8, seed: 1)
        XCTAssertEqual(e.values.count, count)
        XCTAssertEqual(e.vectors.rows, n)
        XCTAssertEqual(e.vectors.columns, count)
        for k in 0..<count {
            XCTAssertEqual(e.values[k], lambda[k], accuracy: 1e-9 * lambda[0], "eigenvalue \(k)")
            if k > 0 { XCTAssertGreaterThanOrEqual(e.values[k - 1], e.values[k]) }
        }
        // Gap ratio λ_19/λ_10 = 0.8⁹ ≈ 0.13 to the 9th power: the vectors are converged far below 1e-6.
        XCTAssertLessThan(residuals(a, e, norm: lambda[0]).max()!, 1e-6)
        XCTAssertLessThan(FactorCheck.orthogonality(e.vectors), 30)
        // Same signs as the full decomposition's vectors once both fix the largest entry positive.
        let full = try symmetricEigen(a)
        for k in 0..<count {
            var dot = 0.0
            for i in 0..<n { dot += e.vectors[i, k] * full.vectors[i, n - 1 - k] }
            XCTAssertGreaterThan(abs(dot), 1 - 1e-10, "vector \(k)")
        }
    }

    func testRepeatedLeadingEigenvaluesGiveTheirSubspace() throws {
        // A triple eigenvalue on top: no single vector is determined, the three-dimensional subspace is.
        let n = 91
        let lambda = [5.0, 5, 5] + (3..<n).map { 2 * pow(0.7, Double($0)) }
        let a: Matrix<Double> = FactorCheck.withEigenvalues(lambda, seed: 11)
        let e = try leadingSymmetricEigen(a, count: 3, iterations: 4, oversampling: 6, seed: 2)
        for k in 0..<3 { XCTAssertEqual(e.values[k], 5, accuracy: 1e-10) }
        let q = FactorCheck.randomOrthogonal(n, seed: 11)   // the eigenvectors `withEigenvalues` used
        let truth = Matrix<Double>(rows: n, columns: 3) { i, k in q[i, k] }
        XCTAssertLessThan(subspaceGap(truth, e.vectors), 1e-9)
        XCTAssertLessThan(residuals(a, e, norm: 5).max()!, 1e-9)
    }

    func testRankDeficientMatrixReturnsZerosPastItsRank() throws {
        // Rank 5, 9 pairs asked for: the last four are (numerically) zero, their vectors still orthonormal.
        let n = 73
        let lambda = [9.0, 4, 2, 1, 0.5] + [Double](repeating: 0, count: n - 5)
        let a: Matrix<Double> = FactorCheck.withEigenvalues(lambda, seed: 5)
        let e = try leadingSymmetricEigen(a, count: 9, iterations: 2, oversampling: 5, seed: 3)
        for k in 0..<5 { XCTAssertEqual(e.values[k], lambda[k], accuracy: 1e-12 * 9) }
        for k in 5..<9 { XCTAssertEqual(e.values[k], 0, accuracy: 1e-12 * 9) }
        XCTAssertLessThan(FactorCheck.orthogonality(e.vectors), 30)
        XCTAssertLessThan(residuals(a, e, norm: 9).max()!, 1e-12)
    }

    func testFlatSpectrumStillCapturesTheWeight() throws {
        // Slowly decaying spectrum (no gap): the Ritz values are lower bounds on the true ones (Cauchy
        // interlacing), and the subspace holds nearly all of the weight the true leading subspace holds.
        let n = 301, count = 40
        let lambda = (0..<n).map { 1 / (1 + 0.02 * Double($0)) }
        let a: Matrix<Double> = FactorCheck.withEigenvalues(lambda, seed: 9)
        let e = try leadingSymmetricEigen(a, count: count, seed: 4)
        for k in 0..<count { XCTAssertLessThanOrEqual(e.values[k], lambda[k] * (1 + 1e-12), "Ritz value \(k)") }
        let captured = e.values.reduce(0, +), best = lambda.prefix(count).reduce(0, +)
        XCTAssertGreaterThan(captured / best, 0.98)
        XCTAssertLessThan(FactorCheck.orthogonality(e.vectors), 30)
    }

    func testSmallProblemsUseTheFullDecomposition() throws {
        // count + oversampling above n/2: the exact decomposition, largest first.
        let a: Matrix<Double> = FactorCheck.randomSPD(23, seed: 8)
        let e = try leadingSymmetricEigen(a, count: 6, seed: 0)
        let full = try symmetricEigen(a)
        for k in 0..<6 { XCTAssertEqual(e.values[k], full.values[22 - k], accuracy: 1e-13 * full.values[22]) }
        XCTAssertLessThan(residuals(a, e, norm: full.values[22]).max()!, 1e-13)
        let one = try leadingSymmetricEigen(Matrix<Double>(rows: 1, columns: 1, elements: [2.5]), count: 1)
        XCTAssertEqual(one.values, [2.5])
        XCTAssertEqual(one.vectors.elements, [1])
    }

    func testSameSeedSameBitsAndDifferentSeedsSameSubspace() throws {
        let lambda = (0..<120).map { pow(0.75, Double($0)) }
        let a: Matrix<Double> = FactorCheck.withEigenvalues(lambda, seed: 21)
        let first = try leadingSymmetricEigen(a, count: 8, seed: 7)
        let again = try leadingSymmetricEigen(a, count: 8, seed: 7)
        XCTAssertEqual(first.values, again.values)
        XCTAssertEqual(first.vectors.elements, again.vectors.elements)
        let other = try leadingSymmetricEigen(a, count: 8, seed: 8)
        XCTAssertLessThan(subspaceGap(first.vectors, other.vectors), 1e-6)
    }

    func testBadInput() {
        var a: Matrix<Double> = FactorCheck.randomSPD(40, seed: 1)
        XCTAssertThrowsError(try leadingSymmetricEigen(a, count: 0)) { error in
            guard case LinearAlgebraError.invalidArgument(let message) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(message.contains("count = 0"), message)
        }
        XCTAssertThrowsError(try leadingSymmetricEigen(a, count: 41))
        XCTAssertThrowsError(try leadingSymmetricEigen(a, count: 3, iterations: -1)) { error in
            guard case LinearAlgebraError.invalidArgument = error else { return XCTFail("got \(error)") }
        }
        XCTAssertThrowsError(try leadingSymmetricEigen(Matrix<Double>(rows: 3, columns: 4), count: 1)) { error in
            guard case LinearAlgebraError.dimensionMismatch = error else { return XCTFail("got \(error)") }
        }
        a[7, 2] = .infinity
        XCTAssertThrowsError(try leadingSymmetricEigen(a, count: 2)) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("got \(error)") }
        }
    }

    /// The leading right singular vectors through XᵀX (more rows than columns) and through the rows' Gram matrix
    /// (fewer), at odd sizes, against the full decomposition of XᵀX: the same subspace, orthonormal columns, the
    /// sign convention; a side with fewer rows than vectors asked gets its whole row span; bad input is refused.
    func testLeadingRightSingularVectorsByEitherRoute() throws {
        for (n, d, count) in [(131, 47, 9), (53, 149, 9), (29, 157, 40)] {
            let s = (0..<min(n, d)).map { 10 * pow(0.75, Double($0)) }
            let x: Matrix<Float> = FactorCheck.withSingularValues(s, rows: n, columns: d, seed: UInt64(n))
            let v = try leadingRightSingularVectors(x, count: count, seed: 3).converted(to: Double.self)
            let k = min(count, n, d)
            XCTAssertEqual(v.rows, d)
            XCTAssertEqual(v.columns, k)
            let vtv = FactorCheck.product(v, true, v)   // Float columns: orthonormal to Float rounding
            for i in 0..<k { for j in 0..<k { XCTAssertEqual(vtv[i, j], i == j ? 1 : 0, accuracy: 1e-5, "n \(n), d \(d)") } }
            let xd = x.converted(to: Double.self)
            let full = try symmetricEigen(Matrix.multiply(xd, .transposed, xd))   // ascending
            let reference = Matrix<Double>(rows: d, columns: k) { i, c in full.vectors[i, d - 1 - c] }
            // Float input: the subspace is right to about the Float rounding of X over the spectral gap.
            XCTAssertLessThan(subspaceGap(v, reference), 1e-4, "n \(n), d \(d)")
            for c in 0..<k {
                var largest = 0.0
                for i in 0..<d where abs(v[i, c]) > abs(largest) { largest = v[i, c] }
                XCTAssertGreaterThan(largest, 0, "sign of vector \(c)")
            }
            XCTAssertEqual(try leadingRightSingularVectors(x, count: count, seed: 3), try leadingRightSingularVectors(x, count: count, seed: 3))
        }
        // Rows with no variance at all: still orthonormal, finite columns (the QR step supplies them).
        let zero = try leadingRightSingularVectors(Matrix<Float>(rows: 6, columns: 40), count: 4).converted(to: Double.self)
        let ztz = FactorCheck.product(zero, true, zero)
        for i in 0..<4 { for j in 0..<4 { XCTAssertEqual(ztz[i, j], i == j ? 1 : 0, accuracy: 1e-6) } }
        XCTAssertThrowsError(try leadingRightSingularVectors(Matrix<Float>(rows: 4, columns: 9), count: 0))
        var bad = Matrix<Float>(rows: 3, columns: 9, repeating: 1)
        bad[1, 4] = .infinity
        XCTAssertThrowsError(try leadingRightSingularVectors(bad, count: 2))
    }
}
