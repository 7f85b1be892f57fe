import XCTest
import LinearAlgebra

final class QRTests: XCTestCase {
    /// Checks shapes, upper-trapezoidal R, ‖A − QR‖/(max(m,n)‖A‖ε) and ‖QᵀQ − I‖/(mε).
    @discardableResult
    func check<S: MatrixScalar>(_ a: Matrix<S>, limit: Double = 20, _ label: String = "",
                                file: StaticString = #filePath, line: UInt = #line) -> QRDecomposition<S> {
        let m = a.rows, n = a.columns, p = min(m, n)
        let qr = qrDecomposition(a)
        XCTAssertEqual(qr.q.rows, m, file: file, line: line); XCTAssertEqual(qr.q.columns, p, file: file, line: line)
        XCTAssertEqual(qr.r.rows, p, file: file, line: line); XCTAssertEqual(qr.r.columns, n, file: file, line: line)
        for i in 0..<p { for j in 0..<min(i, n) { XCTAssertEqual(qr.r[i, j], 0, file: file, line: line) } }
        let residual = FactorCheck.distance(a, FactorCheck.product(qr.q, false, qr.r))
            / (Double(max(m, n, 1)) * max(FactorCheck.norm(a), .leastNormalMagnitude) * Double(S.ulpOfOne))
        XCTAssertLessThan(residual, limit, "QR residual \(m)×\(n) \(S.self) \(label)", file: file, line: line)
        if p > 0 {
            XCTAssertLessThan(FactorCheck.orthogonality(qr.q), limit, "Q orthogonality \(m)×\(n) \(S.self) \(label)",
                              file: file, line: line)
        }
        return qr
    }

    func testRandomShapes() {
        // 130 columns span three panels of the blocked algorithm (block size 48).
        for (m, n) in [(1, 1), (2, 2), (1, 5), (5, 1), (7, 3), (3, 7), (63, 65), (65, 63), (200, 130), (130, 200)] {
            var rng = SeededRandom(seed: UInt64(m * 1000 + n))
            let a: Matrix<Double> = rng.normalMatrix(m, n)
            XCTAssertEqual(check(a).rank, min(m, n))
            let f: Matrix<Float> = rng.normalMatrix(m, n)
            XCTAssertEqual(check(f).rank, min(m, n))
        }
        _ = check(Matrix<Double>(rows: 0, columns: 3))
        _ = check(Matrix<Double>(rows: 3, columns: 0))
    }

    func testIllConditioned() {
        let n = 80
        let sd = (0..<n).map { pow(10, -12 * Double($0) / Double(n - 1)) }
        let a: Matrix<Double> = FactorCheck.withSingularValues(sd, rows: 100, columns: n, seed: 2)
        let qr = check(a, "κ=1e12")
        XCTAssertEqual(qr.rank, n)
        let sf = (0..<n).map { pow(10, -6 * Double($0) / Double(n - 1)) }
        let f: Matrix<Float> = FactorCheck.withSingularValues(sf, rows: 100, columns: n, seed: 3)
        check(f, "κ=1e6")
    }

    func testRankDeficient() {
        // A = B·C with inner dimension r: generically the first r columns are independent, and the
        // trailing pivots are at rounding level.
        for (m, n, r) in [(50, 30, 12), (30, 50, 7), (120, 100, 60), (10, 10, 0)] {
            var rng = SeededRandom(seed: UInt64(r + 1))
            let b: Matrix<Double> = rng.normalMatrix(m, max(r, 1))
            var c: Matrix<Double> = rng.normalMatrix(max(r, 1), n)
            if r == 0 { c = Matrix(rows: 1, columns: n) }
            let a = FactorCheck.product(b, false, c)
            let qr = check(a, "rank \(r)")
            XCTAssertEqual(qr.rank, r, "\(m)×\(n) rank \(r)")
            XCTAssertEqual(qr.diagonalMagnitudes.count, min(m, n))
            for i in r..<min(m, n) { XCTAssertLessThanOrEqual(qr.diagonalMagnitudes[i], qr.rankTolerance) }
        }
        // A zero column in the middle.
        var rng = SeededRandom(seed: 9)
        var a: Matrix<Float> = rng.normalMatrix(20, 6)
        for i in 0..<20 { a[i, 5] = 2 * a[i, 1] - a[i, 3] }
        XCTAssertEqual(check(a).rank, 5)
    }

    func testNonFinite() {
        var a = Matrix<Double>.identity(3)
        a[0, 2] = .nan
        XCTAssertThrowsError(try checkedQRDecomposition(a)) { error in
            guard case LinearAlgebraError.nonFinite = error else { return XCTFail("got \(error)") }
        }
        XCTAssertEqual(qrDecomposition(a).rank, 0)
    }
}
