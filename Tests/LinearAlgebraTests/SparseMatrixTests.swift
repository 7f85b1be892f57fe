import XCTest
import LinearAlgebra

/// CSR construction, transpose, SpMV and SpMM against dense references.
final class SparseMatrixTests: XCTestCase {
    /// A random sparse matrix with duplicate coordinates, some empty rows and an empty last row, returned
    /// with its triplets and its dense equivalent accumulated in Double.
    private func randomSparse(rows: Int, columns: Int, entries: Int, seed: UInt64)
        -> (SparseMatrix<Float>, Matrix<Double>) {
        var r = SeededRandom(seed: seed)
        var ri = [Int](), ci = [Int](), v = [Float]()
        for _ in 0..<entries {
            var i = r.int(below: rows)
            if i % 7 == 3 || i == rows - 1 { i = 0 }  // rows ≡ 3 (mod 7) and the last row stay empty
            ri.append(i); ci.append(r.int(below: columns)); v.append(Float(r.normal()))
        }
        // Explicit duplicates of the first few entries.
        for e in 0..<min(10, entries) { ri.append(ri[e]); ci.append(ci[e]); v.append(0.5) }
        var dense = Matrix<Double>(rows: rows, columns: columns)
        for e in 0..<v.count { dense[ri[e], ci[e]] += Double(v[e]) }
        let s = try! SparseMatrix(rows: rows, columns: columns, rowIndices: ri, columnIndices: ci, values: v)
        return (s, dense)
    }

    func testConstructionSumsDuplicatesAndSortsColumns() throws {
        let s = try SparseMatrix<Double>(rows: 3, columns: 4, rowIndices: [2, 0, 2, 0, 2], columnIndices: [3, 1, 0, 1, 3],
                                         values: [1, 2, 3, 4, 5])
        XCTAssertEqual(s.rowPointers, [0, 1, 1, 3])
        XCTAssertEqual(s.columnIndices, [1, 0, 3])
        XCTAssertEqual(s.values, [6, 3, 6])
        XCTAssertEqual(s.rowSums(), [6, 0, 9])
        XCTAssertEqual(s.dense(), Matrix([[0, 6, 0, 0], [0, 0, 0, 0], [3, 0, 0, 6]]))
        XCTAssertEqual(s.transposed.dense(), s.dense().transposed)
        XCTAssertEqual(s.transposed.transposed, s)
        let checked = try SparseMatrix(rows: 3, columns: 4, rowPointers: s.rowPointers, columnIndices: s.columnIndices,
                                       values: s.values)
        XCTAssertEqual(checked, s)
        let empty = try SparseMatrix<Float>(rows: 0, columns: 5, rowIndices: [], columnIndices: [], values: [])
        XCTAssertEqual(empty.multiply(Matrix<Float>(rows: 5, columns: 3)).rows, 0)
    }

    func testBadInputThrowsDescriptiveErrors() {
        XCTAssertThrowsError(try SparseMatrix<Float>(rows: 2, columns: 2, rowIndices: [0, 2], columnIndices: [0, 1],
                                                     values: [1, 1])) { error in
            XCTAssertEqual(error as? SparseMatrixError, .indexOutOfRange(entry: 1, row: 2, column: 1, rows: 2, columns: 2))
            XCTAssertTrue("\(error)".contains("(2, 1)"))
        }
        XCTAssertThrowsError(try SparseMatrix<Float>(rows: 2, columns: 2, rowIndices: [0], columnIndices: [0, 1], values: [1]))
        XCTAssertThrowsError(try SparseMatrix<Float>(rows: 2, columns: 2, rowIndices: [0], columnIndices: [-1], values: [1]))
        XCTAssertThrowsError(try SparseMatrix<Float>(rows: 2, columns: 2, rowIndices: [0], columnIndices: [0], values: [.nan]))
        XCTAssertThrowsError(try SparseMatrix<Float>(rows: 2, columns: 3, rowPointers: [0, 2, 2], columnIndices: [1, 1],
                                                     values: [1, 1]))  // repeated column
        XCTAssertThrowsError(try SparseMatrix<Float>(rows: 2, columns: 3, rowPointers: [0, 2], columnIndices: [0, 1],
                                                     values: [1, 1]))  // too few pointers
    }

    func testSpMVAndSpMMAgainstDense() {
        for (rows, columns, entries) in [(1, 1, 1), (7, 5, 20), (65, 63, 400), (1000, 700, 15000)] {
            let (s, dense) = randomSparse(rows: rows, columns: columns, entries: entries, seed: UInt64(rows))
            XCTAssertEqual(s.dense().converted(to: Double.self).elements.count, dense.elements.count)
            for (i, j) in [(0, 0), (rows - 1, columns - 1), (rows / 2, columns / 3)] {
                XCTAssertEqual(Double(s.dense()[i, j]), dense[i, j], accuracy: 1e-5)
            }
            XCTAssertEqual(s.transposed.dense(), s.dense().transposed)
            var r = SeededRandom(seed: 99)
            let x = (0..<columns).map { _ in Float(r.normal()) }
            let y = s.multiply(x)
            let sums = s.rowSums()
            let absDense = Matrix(rows: rows, columns: columns, elements: dense.elements.map(abs))
            for i in 0..<rows {
                var exact = 0.0, magnitude = 0.0, rowSum = 0.0
                for j in 0..<columns {
                    exact += dense[i, j] * Double(x[j])
                    magnitude += absDense[i, j] * abs(Double(x[j]))
                    rowSum += dense[i, j]
                }
                let count = Double(s.rowPointers[i + 1] - s.rowPointers[i] + 12)
                XCTAssertLessThanOrEqual(abs(Double(y[i]) - exact), count * Double(Float.ulpOfOne) * magnitude, "row \(i)")
                XCTAssertEqual(Double(sums[i]), rowSum, accuracy: count * 1e-6 * (absDense.row(i).reduce(0, +) + 1))
                if i % 7 == 3 && i != 0 { XCTAssertEqual(y[i], 0, "empty row \(i)") }
            }
            // SpMM for widths around the 16-lane chunks, against SpMV column by column.
            for d in [1, 3, 16, 17, 40, 70] {
                let xs = r.normalMatrix(columns, d) as Matrix<Float>
                let ys = s.multiply(xs)
                for j in Set([0, d / 2, d - 1]) {
                    let column = s.multiply(xs.column(j))
                    for i in 0..<rows {
                        XCTAssertEqual(ys[i, j], column[i], accuracy: 1e-5 * (abs(column[i]) + 1), "d=\(d) (\(i), \(j))")
                    }
                }
            }
        }
    }

    func testSameBitsForAnyThreadCount() {
        let (s, _) = randomSparse(rows: 3000, columns: 3000, entries: 60000, seed: 5)
        var r = SeededRandom(seed: 6)
        let x = r.normalMatrix(3000, 16) as Matrix<Float>
        let v = x.column(3)
        XCTAssertEqual(Parallel.withThreads(1) { s.multiply(x) }, Parallel.withThreads(2) { s.multiply(x) })
        XCTAssertEqual(Parallel.withThreads(1) { s.multiply(v) }, Parallel.withThreads(3) { s.multiply(v) })
    }
}
