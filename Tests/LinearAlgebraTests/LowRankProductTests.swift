import XCTest
import LinearAlgebra

/// `lowRankProductFactors` against the truncated SVD of the explicit product `P·Qᵀ` (Eckart–Young).
final class LowRankProductTests: XCTestCase {
    /// P (n × d) and Q (m × d) whose product has singular values decaying like 0.85^k.
    private func decayingFactors(n: Int, m: Int, d: Int, seed: UInt64) -> (Matrix<Float>, Matrix<Float>) {
        var random = SeededRandom(seed: seed)
        var p: Matrix<Float> = random.normalMatrix(n, d)
        let q: Matrix<Float> = random.normalMatrix(m, d)
        for j in 0..<d { let s = Float(pow(0.85, Double(j))); for i in 0..<n { p[i, j] *= s } }
        return (p, q)
    }

    private func product(_ p: Matrix<Float>, _ q: Matrix<Float>) -> Matrix<Double> {
        Matrix.multiply(p.converted(to: Double.self), .none, q.converted(to: Double.self), .transposed)
    }

    private func squaredDistance(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
        zip(a.elements, b.elements).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    func testErrorIsThatOfTheTruncatedSVDOnOddSizes() throws {
        for (n, m, d, rank) in [(97, 131, 23, 5), (211, 64, 40, 17), (50, 50, 9, 1)] {
            let (p, q) = decayingFactors(n: n, m: m, d: d, seed: UInt64(n))
            let exact = product(p, q)
            let sigma = try singularValueDecomposition(exact).singularValues.sorted(by: >)
            let optimum = sigma[rank...].reduce(0.0) { $0 + $1 * $1 }
            let factors = try lowRankProductFactors(p, q, rank: rank, seed: 1)
            XCTAssertEqual(factors.p.rows, n)
            XCTAssertEqual(factors.q.rows, m)
            XCTAssertEqual(factors.p.columns, rank)
            XCTAssertEqual(factors.q.columns, rank)
            let error = squaredDistance(exact, product(factors.p, factors.q))
            let total = sigma.reduce(0.0) { $0 + $1 * $1 }
            // Within 2 % of the optimum, plus the ridge's and Float's share of the whole.
            XCTAssertLessThanOrEqual(error, 1.02 * optimum + 1e-5 * total, "\(n)×\(m), d \(d), rank \(rank)")
            XCTAssertGreaterThanOrEqual(error, optimum * (1 - 1e-4) - 1e-6 * total, "no rank-\(rank) matrix beats the SVD")
        }
    }

    func testFullRankReturnsTheFactorsThemselves() throws {
        let (p, q) = decayingFactors(n: 30, m: 20, d: 6, seed: 2)
        let factors = try lowRankProductFactors(p, q, rank: 6)
        XCTAssertEqual(factors.p, p)
        XCTAssertEqual(factors.q, q)
    }

    func testRankDeficientAndScaledFactors() throws {
        // Q of rank 4 in 12 columns (its Gram matrix is singular), P scaled by 10⁶ and Q by 10⁻⁵: the ridge keeps the
        // Cholesky factor defined, and the error is still the optimum's relative to the product's size.
        var random = SeededRandom(seed: 9)
        var p: Matrix<Float> = random.normalMatrix(80, 12)
        let thin: Matrix<Float> = random.normalMatrix(70, 4)
        let mix: Matrix<Float> = random.normalMatrix(4, 12)
        var q = Matrix.multiply(thin, .none, mix)
        for k in p.elements.indices { p.elements[k] *= 1e6 }
        for k in q.elements.indices { q.elements[k] *= 1e-5 }
        let exact = product(p, q)
        let sigma = try singularValueDecomposition(exact).singularValues.sorted(by: >)
        let total = sigma.reduce(0.0) { $0 + $1 * $1 }
        for rank in [2, 4, 7] {
            let factors = try lowRankProductFactors(p, q, rank: rank)
            let optimum = sigma[rank...].reduce(0.0) { $0 + $1 * $1 }
            let error = squaredDistance(exact, product(factors.p, factors.q))
            XCTAssertTrue(factors.p.elements.allSatisfy(\.isFinite) && factors.q.elements.allSatisfy(\.isFinite))
            XCTAssertLessThanOrEqual(error, 1.02 * optimum + 1e-5 * total, "rank \(rank)")
        }
    }

    func testNearlyDependentColumnsAsInTheTwoWayFactors() throws {
        // Q = [Y | b∘Y] with b within 10⁻⁶ of 1, as two-way self-learning's matching factors are when the rows'
        // norms after the map barely vary, and Y's columns over four decades of scale: QᵀQ is singular and
        // ill-conditioned, so its Cholesky factor meets pivots at the level of its rounding. The factors must
        // still come out, finite and near the optimum.
        var random = SeededRandom(seed: 12)
        var y: Matrix<Float> = random.normalMatrix(3000, 150)
        for j in 0..<150 { let scale = Float(pow(10, 4 * Double(j) / 149 - 2)); for i in 0..<3000 { y[i, j] *= scale } }
        var q = Matrix<Float>(rows: 3000, columns: 300)
        for i in 0..<3000 {
            let b = Float(1 + 1e-6 * random.normal())
            for j in 0..<150 { q[i, j] = y[i, j]; q[i, 150 + j] = b * y[i, j] }
        }
        let p: Matrix<Float> = random.normalMatrix(500, 300)
        let factors = try lowRankProductFactors(p, q, rank: 20)
        XCTAssertTrue(factors.p.elements.allSatisfy(\.isFinite) && factors.q.elements.allSatisfy(\.isFinite))
        let exact = product(p, q)
        let sigma = try singularValueDecomposition(exact).singularValues.sorted(by: >)
        let optimum = sigma[20...].reduce(0.0) { $0 + $1 * $1 }
        XCTAssertLessThanOrEqual(squaredDistance(exact, product(factors.p, factors.q)), 1.05 * optimum)
    }

    func testSampledGramMatricesStillApproximate() throws {
        // Gram matrices from 300 of 2 000 rows: not the optimum, but close to it on rows of one distribution.
        let (p, q) = decayingFactors(n: 2000, m: 1500, d: 16, seed: 4)
        let exact = product(p, q)
        let full = try lowRankProductFactors(p, q, rank: 6)
        let sampled = try lowRankProductFactors(p, q, rank: 6, sampleRows: 300)
        let fullError = squaredDistance(exact, product(full.p, full.q))
        let sampledError = squaredDistance(exact, product(sampled.p, sampled.q))
        XCTAssertLessThanOrEqual(sampledError, 1.1 * fullError)
    }

    func testBadInput() {
        let p = Matrix<Float>(rows: 3, columns: 4), q = Matrix<Float>(rows: 3, columns: 5)
        XCTAssertThrowsError(try lowRankProductFactors(p, q, rank: 2))
        XCTAssertThrowsError(try lowRankProductFactors(p, p, rank: 0))
        XCTAssertThrowsError(try lowRankProductFactors(p, p, rank: 2, sampleRows: 0))
        var bad = p
        bad[1, 2] = .nan
        XCTAssertThrowsError(try lowRankProductFactors(bad, p, rank: 2))
    }
}
