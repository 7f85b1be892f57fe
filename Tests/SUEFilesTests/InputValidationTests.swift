import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

final class InputValidationTests: XCTestCase {
    func testFiniteCheckNamesTheFirstBadRow() {
        var m = Matrix<Float>(rows: 5, columns: 3, repeating: 1)
        XCTAssertNil(m.firstNonFinite())
        XCTAssertNoThrow(try InputValidation.finiteCheck(m, file: "x.npy"))
        m[3, 2] = -.infinity
        m[4, 0] = .nan
        let hit = m.firstNonFinite()
        XCTAssertEqual(hit?.row, 3)
        XCTAssertEqual(hit?.column, 2)
        assertFileError(.invalidValue, mentions: ["x.npy", "row 3 contains -Inf (column 2)"]) { try InputValidation.finiteCheck(m, file: "x.npy") }
        m[3, 2] = 0
        assertFileError(.invalidValue, mentions: ["row 4 contains NaN (column 0)"]) { try InputValidation.finiteCheck(m, file: "x.npy") }
        let d = Matrix<Double>(rows: 1, columns: 2, elements: [1, .infinity])
        assertFileError(.invalidValue, mentions: ["row 0 contains +Inf (column 1)"]) { try InputValidation.finiteCheck(d, file: "y.npy") }
    }

    func testFloat64OverflowingFloatIsCaught() throws {
        let folder = TemporaryFolder()
        try NPYFile.write(Matrix<Double>(rows: 2, columns: 1, elements: [1, 1e300]), to: folder.file("big.npy"))
        assertFileError(.invalidValue, mentions: ["big.npy", "1e+300", "row 1, column 0", "float32's range (±3.4e38)", "rescaled"]) {
            try InputValidation.loadEmbeddings(folder.file("big.npy"), as: Float.self)
        }
    }

    func testEmptyMatrices() throws {
        let folder = TemporaryFolder()
        try NPYFile.write(Matrix<Float>(rows: 0, columns: 384), to: folder.file("none.npy"))
        assertFileError(.invalidValue, mentions: ["none.npy", "empty matrix (0 × 384)"]) {
            try InputValidation.loadEmbeddings(folder.file("none.npy"), as: Float.self)
        }
        try NPYFile.write(Matrix<Float>(rows: 3, columns: 0), to: folder.file("flat.npy"))
        assertFileError(.invalidValue, mentions: ["empty matrix (3 × 0)"]) {
            try InputValidation.loadEmbeddings(folder.file("flat.npy"), as: Float.self)
        }
    }

    func testLoadFitInputs() throws {
        let folder = TemporaryFolder()
        var random = SeededRandom(seed: 1)
        let x: Matrix<Float> = random.normalMatrix(6, 4)
        let y: Matrix<Float> = random.normalMatrix(8, 3)  // different rows and columns are fine
        try NPYFile.write(x, to: folder.file("x.npy"))
        try NPYFile.write(y, to: folder.file("y.npy"))
        try Data("x,y\n0,7\n5,0\n2,2\n".utf8).write(to: folder.file("pairs.csv"))
        let inputs = try InputValidation.loadFitInputs(x: folder.file("x.npy"), y: folder.file("y.npy"),
                                                       pairs: folder.file("pairs.csv"), as: Float.self)
        XCTAssertEqual(inputs.x, x)
        XCTAssertEqual(inputs.y, y)
        XCTAssertEqual(inputs.pairs.map(\.x), [0, 5, 2])

        // Contradicting pairs (X row 0 with Y rows 7 and 2), reported with the second line and the first.
        try Data("x,y\n0,7\n0,7\n0,2\n".utf8).write(to: folder.file("conflict.csv"))
        assertFileError(.invalidValue, mentions: ["conflict.csv", "line 2"], line: 4) {
            try InputValidation.loadFitInputs(x: folder.file("x.npy"), y: folder.file("y.npy"),
                                              pairs: folder.file("conflict.csv"), as: Float.self)
        }
        // A pair index beyond Y's rows, reported with its line.
        try Data("x,y\n0,7\n1,8\n".utf8).write(to: folder.file("range.csv"))
        assertFileError(.invalidValue, mentions: ["range.csv:3:", "y = 8 is out of range", "Y has 8 rows"], line: 3) {
            try InputValidation.loadFitInputs(x: folder.file("x.npy"), y: folder.file("y.npy"),
                                              pairs: folder.file("range.csv"), as: Float.self)
        }
        try Data("x,y\n".utf8).write(to: folder.file("none.csv"))
        assertFileError(.invalidValue, mentions: ["no pairs"]) {
            try InputValidation.loadFitInputs(x: folder.file("x.npy"), y: folder.file("y.npy"),
                                              pairs: folder.file("none.csv"), as: Float.self)
        }
        assertFileError(.notFound, mentions: ["nothere.npy", "no such file"]) {
            try InputValidation.loadFitInputs(x: folder.file("nothere.npy"), y: folder.file("y.npy"),
                                              pairs: folder.file("pairs.csv"), as: Float.self)
        }
    }

    func testShapeAgreementChecks() {
        let a = Matrix<Float>(rows: 3, columns: 2), b = Matrix<Float>(rows: 4, columns: 2)
        assertFileError(.invalidValue, mentions: ["ty.npy", "has 4 rows", "tx.npy has 3", "row-aligned"]) {
            try InputValidation.rowAlignmentCheck(x: a, xFile: "tx.npy", y: b, yFile: "ty.npy")
        }
        XCTAssertNoThrow(try InputValidation.rowAlignmentCheck(x: a, xFile: "a", y: a, yFile: "b"))
        assertFileError(.invalidValue, mentions: ["q.npy", "has 2 columns", "the model's Y side expects 384"]) {
            try InputValidation.columnCheck(a, expected: 384, file: "q.npy", purpose: "the model's Y side")
        }
    }
}
