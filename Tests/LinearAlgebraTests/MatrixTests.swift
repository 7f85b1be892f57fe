import XCTest
import LinearAlgebra

final class MatrixTests: XCTestCase {
    func testTransposeAndViews() {
        let m = Matrix<Double>(rows: 3, columns: 5) { Double($0 * 10 + $1) }
        let t = m.transposed
        XCTAssertEqual(t.rows, 5); XCTAssertEqual(t.columns, 3)
        for i in 0..<3 { for j in 0..<5 { XCTAssertEqual(t[j, i], m[i, j]) } }
        let b = m.withView { $0.block(rows: 1..<3, columns: 2..<4).copy() }
        XCTAssertEqual(b, Matrix([[12, 13], [22, 23]]))
        XCTAssertEqual(m.rows([2, 0]).row(0), m.row(2))
    }

    func testIsIdentity() {
        XCTAssertTrue(Matrix<Float>.identity(5).isIdentity)
        XCTAssertTrue(Matrix<Double>.identity(0).isIdentity)
        var m = Matrix<Float>.identity(4)
        m[3, 2] = 1e-30
        XCTAssertFalse(m.isIdentity)
        m = .identity(4)
        m[3, 3] = 1 - .ulpOfOne
        XCTAssertFalse(m.isIdentity)
        XCTAssertFalse(Matrix<Float>(rows: 3, columns: 4).isIdentity)
        XCTAssertFalse(Matrix<Float>(rows: 2, columns: 3) { i, j in i == j ? 1 : 0 }.isIdentity)
    }

    func testParallelForEachVisitsEveryIndexOnce() {
        for threads in [1, 2, 3] {
            var hits = [Int](repeating: 0, count: 1001)
            hits.withUnsafeMutableBufferPointer { h in
                Parallel.withThreads(threads) { Parallel.forEach(1001) { h[$0] += 1 } }
            }
            XCTAssertEqual(hits, [Int](repeating: 1, count: 1001))
        }
    }

    func testSeededRandomIsReproducible() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42)
        for _ in 0..<100 { XCTAssertEqual(a.next(), b.next()) }
        var r = SeededRandom(seed: 1)
        let xs = (0..<20000).map { _ in r.normal() }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }
}
