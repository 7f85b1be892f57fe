import Foundation
import LinearAlgebra

/// Loading and checking the user's inputs before any computation starts, so that every mistake is
/// reported at once, in one line, naming the file (and row or line) — rather than as a NaN or a crash
/// twenty minutes into a fit. The `sue` command calls these; they are public so they can be tested
/// without spawning the executable.
public enum InputValidation {
    /// The position and value of the first NaN or ±Inf in row-major order, or `nil` if all are finite.
    ///
    /// Runs at memory speed on concrete `Float`/`Double` buffers (a generic loop here would not be
    /// specialised and would cost a dynamic call per element: seconds for a 14 656 × 384 matrix).
    public static func firstNonFinite<S: MatrixScalar>(_ m: Matrix<S>) -> (row: Int, column: Int, value: S)? {
        guard m.columns > 0 else { return nil }
        let k: Int?
        if S.self == Float.self {
            k = firstNonFiniteIndex(unsafeBitCast(m.elements, to: [Float].self))
        } else {
            k = firstNonFiniteIndex(unsafeBitCast(m.elements, to: [Double].self))
        }
        return k.map { ($0 / m.columns, $0 % m.columns, m.elements[$0]) }
    }

    private static func firstNonFiniteIndex<T: BinaryFloatingPoint>(_ values: [T]) -> Int? {
        values.withUnsafeBufferPointer { buffer in
            // A branch-free OR-reduction per block finds *whether* a block is bad (NaN and ±Inf are the
            // values whose x − x is not 0); only then is the block searched for the exact position.
            let block = 1024
            var start = 0
            while start < buffer.count {
                let end = min(start + block, buffer.count)
                var allFinite = true
                for i in start..<end { allFinite = allFinite && (buffer[i] - buffer[i] == 0) }
                if !allFinite { return (start..<end).first { !buffer[$0].isFinite } }
                start = end
            }
            return nil
        }
    }

    /// Throws if `m` contains NaN or ±Inf, naming the first offending row (0-based, as in NumPy).
    /// - Parameter file: the path (or logical name) to put in the message.
    public static func finiteCheck<S: MatrixScalar>(_ m: Matrix<S>, file: String) throws {
        if let (row, column, value) = firstNonFinite(m) {
            let what = value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf")
            throw FileError(.invalidValue, file: file,
                            "row \(row) contains \(what) (column \(column)); every value must be finite — drop or repair that row")
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

    /// Canonical correlation analysis on n centred pairs yields at most n − 1 meaningful directions;
    /// asking for more components than there are (distinct) pairs can only produce noise, so it is refused.
    public static func pairCountCheck(_ pairs: [PairsFile.Pair], ccaComponents: Int?, file: String) throws {
        if pairs.isEmpty {
            throw FileError(.invalidValue, file: file, "no pairs; expected at least one line x,y after the header (to fit without pairs, leave out --pairs)")
        }
        let distinct = Set(pairs).count
        if let k = ccaComponents, distinct < k {
            throw FileError(.invalidValue, file: file,
                            "\(distinct) distinct pairs, fewer than the \(k) CCA components requested; use --cca \(max(1, distinct - 1)) or provide more pairs")
        }
    }

    /// Everything `sue fit` needs, loaded and checked.
    public struct FitInputs<S: MatrixScalar> {
        public var x: Matrix<S>
        public var y: Matrix<S>
        public var pairs: [PairsFile.Pair]
    }

    /// Loads X, Y and the pairs and checks them against each other: non-empty, finite, indices in range,
    /// enough pairs for the requested CCA components. X and Y may differ in rows and columns. No pairs file
    /// means no pairs, which only a fit without CCA components accepts.
    public static func loadFitInputs<S: MatrixScalar>(x xURL: URL, y yURL: URL, pairs pairsURL: URL?,
                                                      ccaComponents: Int?, as: S.Type = S.self) throws -> FitInputs<S> {
        let x: Matrix<S> = try loadEmbeddings(xURL)
        let y: Matrix<S> = try loadEmbeddings(yURL)
        guard let pairsURL else {
            if let k = ccaComponents {
                throw FileError(.invalidValue, file: "--pairs", "no pairs file given, but \(k) CCA components were requested; give --pairs or --cca off")
            }
            return FitInputs(x: x, y: y, pairs: [])
        }
        let pairs = try PairsFile.read(pairsURL, xRows: x.rows, yRows: y.rows)
        try pairCountCheck(pairs, ccaComponents: ccaComponents, file: pairsURL.path)
        return FitInputs(x: x, y: y, pairs: pairs)
    }
}
