import XCTest
import LinearAlgebra

/// Vector operations against plain Double loops, with inner-product error bounds (k+2)·ε·Σ|xᵢyᵢ|.
final class VectorOpsTests: XCTestCase {
    private let lengths = [0, 1, 2, 7, 15, 16, 17, 31, 33, 63, 65, 1000]

    private func randomVector<S: MatrixScalar>(_ n: Int, seed: UInt64, as: S.Type = S.self) -> [S] {
        var r = SeededRandom(seed: seed)
        return (0..<n).map { _ in S(r.normal()) }
    }

    func testDotAndSum() {
        for n in lengths {
            let x: [Float] = randomVector(n, seed: 1), y: [Float] = randomVector(n, seed: 2)
            let exact = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let magnitude = zip(x, y).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            XCTAssertLessThanOrEqual(abs(Double(dot(x, y)) - exact), Double(n + 2) * Double(Float.ulpOfOne) * magnitude,
                                     "dot n=\(n)")
            let xd: [Double] = randomVector(n, seed: 3)
            let total = xd.withUnsafeBufferPointer { b in b.baseAddress.map { sum($0, count: n) } ?? 0 }
            XCTAssertEqual(total, xd.reduce(0, +), accuracy: 1e-13 * Double(max(n, 1)), "sum n=\(n)")
        }
    }

    func testAxpyAndScal() {
        for n in lengths {
            let x: [Double] = randomVector(n, seed: 4)
            var y: [Double] = randomVector(n, seed: 5)
            let expected = zip(x, y).map { 2.5 * $0 + $1 }
            axpy(2.5, x, &y)
            for i in 0..<n { XCTAssertEqual(y[i], expected[i], accuracy: 1e-14 * (abs(expected[i]) + 3)) }
            var z: [Float] = randomVector(n, seed: 6)
            let zExpected = z.map { $0 * -0.75 }
            scal(-0.75, &z)
            XCTAssertEqual(z, zExpected)  // one rounding either way: exact agreement
        }
    }

    func testNrm2OrdinaryValues() {
        for n in lengths {
            let x: [Double] = randomVector(n, seed: 7)
            let naive = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertEqual(nrm2(x), naive, accuracy: 4 * Double(n + 1) * Double.ulpOfOne * naive, "n=\(n)")
            let xf: [Float] = randomVector(n, seed: 8)
            let naiveF = xf.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(Double(nrm2(xf)), naiveF, accuracy: 4 * Double(n + 1) * Double(Float.ulpOfOne) * naiveF)
        }
    }

    /// The scaling: squares of 1e200 overflow and squares of 1e-200 underflow in Double (1e30 / 1e-30
    /// in Float), yet the norms are representable and must come out right.
    func testNrm2DoesNotOverflowOrUnderflow() {
        for n in [2, 17, 100] {
            let root = Double(n).squareRoot()
            for value in [1e200, 1e-200, 1e300, Double.leastNonzeroMagnitude * 809] {  // the last one subnormal (≈ 4e-321)
                let norm = nrm2([Double](repeating: value, count: n))
                XCTAssertTrue(norm.isFinite && norm > 0, "nrm2 of \(n) × \(value) = \(norm)")
                XCTAssertEqual(norm / (value * root), 1, accuracy: value < 1e-300 ? 1e-3 : 1e-14)
            }
            let big = nrm2([Float](repeating: 1e30, count: n))
            XCTAssertEqual(Double(big) / (1e30 * root), 1, accuracy: 1e-6)
            let small = nrm2([Float](repeating: 1e-30, count: n))
            XCTAssertEqual(Double(small) / (1e-30 * root), 1, accuracy: 1e-6)
        }
        // Mixed magnitudes: the tiny component is negligible, the two large ones set the norm.
        XCTAssertEqual(nrm2([3e200, 1e-200, 4e200]), 5e200, accuracy: 1e186)
        XCTAssertEqual(nrm2([Double]()), 0)
        XCTAssertEqual(nrm2([0.0, 0, 0]), 0)
        XCTAssertEqual(nrm2([1.0, .infinity, 2]), .infinity)
        XCTAssertTrue(nrm2([1.0, .nan, 2]).isNaN)
        XCTAssertTrue(nrm2([Double.nan]).isNaN)
    }

    func testGEMVBothTransposes() {
        for (m, n) in [(1, 1), (7, 3), (3, 7), (63, 65), (300, 257), (1, 1000), (1000, 1)] {
            var r = SeededRandom(seed: UInt64(m * 1000 + n))
            let a = r.normalMatrix(m, n) as Matrix<Double>
            for trans in [Transpose.none, .transposed] {
                let (inputs, outputs) = trans == .none ? (n, m) : (m, n)
                let x: [Double] = randomVector(inputs, seed: 9)
                let y0: [Double] = randomVector(outputs, seed: 10)
                for (alpha, beta) in [(1.0, 0.0), (-2.0, 0.5), (0.5, 1.0)] {
                    var y = beta == 0 ? [Double](repeating: .nan, count: outputs) : y0
                    a.withView { av in x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
                        gemv(trans, alpha: alpha, av, xb.baseAddress!, beta: beta, yb.baseAddress!)
                    } } }
                    for i in 0..<outputs {
                        var exact = 0.0, magnitude = 0.0
                        for p in 0..<inputs {
                            let product = (trans == .none ? a[i, p] : a[p, i]) * x[p]
                            exact += product
                            magnitude += abs(product)
                        }
                        exact = alpha * exact + beta * y0[i]
                        let bound = Double(inputs + 3) * Double.ulpOfOne * (abs(alpha) * magnitude + abs(beta * y0[i]))
                        XCTAssertLessThanOrEqual(abs(y[i] - exact), bound, "gemv \(trans) \(m)×\(n) y[\(i)]")
                    }
                }
                XCTAssertEqual(Parallel.withThreads(1) { a.multiply(trans, vector: x) },
                               Parallel.withThreads(2) { a.multiply(trans, vector: x) })
            }
        }
    }

    func testRowAndColumnReductions() {
        var r = SeededRandom(seed: 21)
        var m = r.normalMatrix(300, 257) as Matrix<Float>
        for j in 0..<257 { m[5, j] = 0 }  // an all-zero row
        let sums = m.rowSums(), norms = m.rowNorms()
        for i in [0, 5, 17, 299] {
            let row = m.row(i).map(Double.init)
            XCTAssertEqual(Double(sums[i]), row.reduce(0, +), accuracy: 1e-4)
            XCTAssertEqual(Double(norms[i]), row.reduce(0) { $0 + $1 * $1 }.squareRoot(), accuracy: 1e-4)
        }
        let unit = m.normalizedRows()
        let unitNorms = unit.rowNorms()
        for i in 0..<300 where i != 5 { XCTAssertEqual(unitNorms[i], 1, accuracy: 1e-6) }
        XCTAssertEqual(unit.row(5), [Float](repeating: 0, count: 257), "a zero row must stay zero, not NaN")

        let means = m.columnMeans()
        for j in [0, 100, 256] {
            XCTAssertEqual(Double(means[j]), m.column(j).reduce(0.0) { $0 + Double($1) } / 300, accuracy: 1e-5)
        }
        let centred = m.centered(by: means)
        XCTAssertLessThan(centred.columnMeans().map { abs($0) }.max()!, 1e-5)
        XCTAssertEqual(centred[17, 3], m[17, 3] - means[3])

        let frobenius = m.frobeniusNorm
        XCTAssertEqual(Double(frobenius), norms.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot(), accuracy: 1e-3)
        let huge = Matrix<Double>(rows: 2, columns: 2, repeating: 1e300)
        XCTAssertEqual(huge.frobeniusNorm, 2e300, accuracy: 1e286)
        XCTAssertEqual(Parallel.withThreads(1) { m.normalizedRows() }, Parallel.withThreads(2) { m.normalizedRows() })
    }
}
