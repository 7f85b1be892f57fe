import Foundation
import LinearAlgebra

/// Loading and checking the user's inputs before any computation starts, so that every mistake is
/// reported at once, in one line, naming the file (and row or line) — rather than as a NaN or a crash
/// twenty minutes into a fit. The `sue` command calls these; they are public so they can be tested
/// without spawning the executable.
public enum InputValidation {
    /// Throws if `m` contains NaN or ±Inf, naming the first offending row (0-based, as in NumPy).
    /// - Parameter file: the path (or logical name) to put in the message.
    /// `rowOffset`: the file row of `m`'s first row, when `m` is a block read from the middle of the file.
    public static func finiteCheck<S: MatrixScalar>(_ m: Matrix<S>, file: String, rowOffset: Int = 0) throws {
        if let (row, column, value) = m.firstNonFinite() {
            let what = value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf")
            throw FileError(.invalidValue, file: file,
                            "row \(rowOffset + row) contains \(what) (column \(column)); every value must be finite — drop or repair that row")
        }
    }

    /// Throws if `m` has no rows or no columns.
    public static func nonEmptyCheck<S: MatrixScalar>(_ m: Matrix<S>, file: String) throws {
        if m.rows == 0 || m.columns == 0 {
            throw FileError(.invalidValue, file: file,
                            "empty matrix (\(m.rows) × \(m.columns)); expected at least one row and one column")
        }
    }

    /// Reads an embedding matrix (one row per item) and checks that it is non-empty and finite.
    public static func loadEmbeddings<S: MatrixScalar>(_ url: URL, as: S.Type = S.self) throws -> Matrix<S> {
        let m = try NPYFile.read(url, as: S.self)
        try nonEmptyCheck(m, file: url.path)
        try finiteCheck(m, file: url.path)
        return m
    }

    /// Throws unless `m` has `expected` columns (e.g. the dimension a model was fitted on).
    public static func columnCheck<S: MatrixScalar>(_ m: Matrix<S>, expected: Int, file: String, purpose: String) throws {
        if m.columns != expected {
            throw FileError(.invalidValue, file: file,
                            "has \(m.columns) columns, but \(purpose) expects \(expected)")
        }
    }

    /// Throws unless `x` and `y` have the same number of rows (row i of one corresponds to row i of the other).
    public static func rowAlignmentCheck<S: MatrixScalar>(x: Matrix<S>, xFile: String, y: Matrix<S>, yFile: String) throws {
        if x.rows != y.rows {
            throw FileError(.invalidValue, file: yFile,
                            "has \(y.rows) rows, but \(xFile) has \(x.rows); test pairs must be row-aligned (row i of X ↔ row i of Y)")
        }
    }

    /// Everything `sue fit` needs, loaded and checked.
    public struct FitInputs<S: MatrixScalar> {
        /// The X rows.
        public var x: Matrix<S>
        /// The Y rows.
        public var y: Matrix<S>
        /// The pairs, as listed (repeats included).
        public var pairs: [PairsFile.Pair]
    }

    /// Loads X, Y and the pairs and checks them against each other: non-empty, finite, indices in range, no
    /// contradicting pairs, at least one pair when a pairs file is given. X and Y may differ in rows and columns.
    /// No pairs file means no pairs.
    public static func loadFitInputs<S: MatrixScalar>(x xURL: URL, y yURL: URL, pairs pairsURL: URL?,
                                                      as: S.Type = S.self) throws -> FitInputs<S> {
        let x: Matrix<S> = try loadEmbeddings(xURL)
        let y: Matrix<S> = try loadEmbeddings(yURL)
        guard let pairsURL else { return FitInputs(x: x, y: y, pairs: []) }
        let pairs = try PairsFile.read(pairsURL, xRows: x.rows, yRows: y.rows)
        if pairs.isEmpty {
            throw FileError(.invalidValue, file: pairsURL.path, "no pairs; expected at least one line x,y after the header (to fit without pairs, leave out --pairs)")
        }
        return FitInputs(x: x, y: y, pairs: pairs)
    }
}
