// Compressed sparse row (CSR) matrices: kNN affinity graphs and their normalised Laplacians.
//
// CSR stores, for each row i, the column indices and values of its nonzeros in
// `columnIndices[rowPointers[i] ..< rowPointers[i + 1]]` and `values[...]` (Saad, "Iterative Methods for
// Sparse Linear Systems", 2nd ed., §3.4). Products with a vector or a tall-skinny dense matrix then walk
// each row's nonzeros once, sequentially, and every output row is owned by one task: SpMV and SpMM run in
// parallel over row blocks with no reductions across tasks, so their results do not depend on the
// thread count.

/// Invalid input when building a `SparseMatrix`.
public enum SparseMatrixError: Error, CustomStringConvertible, Equatable {
    /// A triplet's row or column lies outside the matrix.
    case indexOutOfRange(entry: Int, row: Int, column: Int, rows: Int, columns: Int)
    /// The coordinate arrays have different lengths.
    case lengthMismatch(rowIndices: Int, columnIndices: Int, values: Int)
    /// CSR arrays that do not describe a valid matrix.
    case invalidStructure(String)
    /// A value is NaN or infinite.
    case nonFiniteValue(entry: Int, row: Int, column: Int)

    public var description: String {
        switch self {
        case let .indexOutOfRange(entry, row, column, rows, columns):
            return "sparse entry \(entry) at (\(row), \(column)) is outside the \(rows)×\(columns) matrix"
        case let .lengthMismatch(r, c, v):
            return "sparse coordinates: \(r) row indices, \(c) column indices and \(v) values (expected equal counts)"
        case let .invalidStructure(why):
            return "invalid CSR arrays: \(why)"
        case let .nonFiniteValue(entry, row, column):
            return "sparse entry \(entry) at (\(row), \(column)) is not finite"
        }
    }
}

/// A sparse matrix in compressed sparse row form, with sorted, distinct column indices in every row.
///
/// The methods that do work proportional to the number of nonzeros are `@inlinable`, so that they are
/// specialised for Float or Double in the calling module rather than run as unspecialised generic code.
public struct SparseMatrix<Scalar: MatrixScalar>: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// `rows + 1` offsets into `columnIndices`/`values`; row i's nonzeros are `rowPointers[i]..<rowPointers[i+1]`.
    public let rowPointers: [Int]
    /// Column of each stored entry, increasing within a row.
    public let columnIndices: [Int]
    /// Value of each stored entry, aligned with `columnIndices`.
    public let values: [Scalar]

    /// Number of stored entries.
    @inlinable public var nonzeroCount: Int { values.count }

    /// Wraps CSR arrays after checking them (monotone row pointers, in-range, increasing columns per row).
    public init(rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int], values: [Scalar]) throws {
        guard rows >= 0, columns >= 0 else {
            throw SparseMatrixError.invalidStructure("negative shape \(rows)×\(columns)")
        }
        guard rowPointers.count == rows + 1, rowPointers.first == 0, rowPointers.last == values.count,
              columnIndices.count == values.count else {
            throw SparseMatrixError.invalidStructure(
                "expected \(rows + 1) row pointers from 0 to \(values.count) and \(values.count) column indices; "
                + "got \(rowPointers.count) pointers (first \(rowPointers.first ?? -1), last \(rowPointers.last ?? -1)) "
                + "and \(columnIndices.count) column indices")
        }
        for i in 0..<rows {
            let range = rowPointers[i]..<rowPointers[i + 1]
            guard rowPointers[i] <= rowPointers[i + 1] else {
                throw SparseMatrixError.invalidStructure("row pointers decrease at row \(i)")
            }
            var previous = -1
            for e in range {
                let j = columnIndices[e]
                guard j > previous, j < columns else {
                    throw SparseMatrixError.invalidStructure(
                        "row \(i): column \(j) is out of 0..<\(columns) or not strictly increasing (after \(previous))")
                }
                previous = j
            }
        }
        self.init(unchecked: rows, columns, rowPointers, columnIndices, values)
    }

    @usableFromInline
    init(unchecked rows: Int, _ columns: Int, _ rowPointers: [Int], _ columnIndices: [Int], _ values: [Scalar]) {
        self.rows = rows
        self.columns = columns
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
    }

    /// Builds the matrix from coordinate (COO) triplets `(rowIndices[e], columnIndices[e], values[e])`.
    /// Duplicate coordinates are summed, in the order given; columns are sorted within each row.
    /// Throws if an index is out of range, a value is not finite, or the arrays differ in length.
    @inlinable
    public init(rows: Int, columns: Int, rowIndices: [Int], columnIndices: [Int], values: [Scalar]) throws {
        guard rowIndices.count == columnIndices.count, columnIndices.count == values.count else {
            throw SparseMatrixError.lengthMismatch(rowIndices: rowIndices.count, columnIndices: columnIndices.count,
                                                   values: values.count)
        }
        guard rows >= 0, columns >= 0 else { throw SparseMatrixError.invalidStructure("negative shape \(rows)×\(columns)") }
        for e in 0..<values.count {
            let (i, j) = (rowIndices[e], columnIndices[e])
            guard i >= 0, i < rows, j >= 0, j < columns else {
                throw SparseMatrixError.indexOutOfRange(entry: e, row: i, column: j, rows: rows, columns: columns)
            }
            guard values[e].isFinite else { throw SparseMatrixError.nonFiniteValue(entry: e, row: i, column: j) }
        }
        // Counting sort by row (stable: duplicates keep their input order), then sort each row's entries by
        // (column, input position) and merge runs of equal columns, summing duplicates in input order.
        let nnz = values.count
        var starts = [Int](repeating: 0, count: rows + 1)
        for i in rowIndices { starts[i + 1] += 1 }
        for i in 0..<rows { starts[i + 1] += starts[i] }
        var next = starts
        var order = [Int](repeating: 0, count: nnz)
        for e in 0..<nnz {
            order[next[rowIndices[e]]] = e
            next[rowIndices[e]] += 1
        }
        var pointers = [Int](repeating: 0, count: rows + 1)
        var outColumns = [Int](), outValues = [Scalar]()
        outColumns.reserveCapacity(nnz)
        outValues.reserveCapacity(nnz)
        var row: [(column: Int, entry: Int)] = []
        for i in 0..<rows {
            row.removeAll(keepingCapacity: true)
            for e in order[starts[i]..<starts[i + 1]] { row.append((columnIndices[e], e)) }
            row.sort { $0.column != $1.column ? $0.column < $1.column : $0.entry < $1.entry }
            var k = 0
            while k < row.count {
                let column = row[k].column
                var total = values[row[k].entry]
                k += 1
                while k < row.count && row[k].column == column {
                    total += values[row[k].entry]
                    k += 1
                }
                outColumns.append(column)
                outValues.append(total)
            }
            pointers[i + 1] = outColumns.count
        }
        self.init(unchecked: rows, columns, pointers, outColumns, outValues)
    }

    /// Aᵀ, by a counting sort on the column indices; rows of the result come out with increasing columns.
    @inlinable
    public var transposed: SparseMatrix {
        var starts = [Int](repeating: 0, count: columns + 1)
        for j in columnIndices { starts[j + 1] += 1 }
        for j in 0..<columns { starts[j + 1] += starts[j] }
        var next = starts
        var outColumns = [Int](repeating: 0, count: nonzeroCount)
        var outValues = [Scalar](repeating: 0, count: nonzeroCount)
        for i in 0..<rows {
            for e in rowPointers[i]..<rowPointers[i + 1] {
                let j = columnIndices[e]
                outColumns[next[j]] = i
                outValues[next[j]] = values[e]
                next[j] += 1
            }
        }
        return SparseMatrix(unchecked: columns, rows, starts, outColumns, outValues)
    }

    /// The dense equivalent (for tests and small matrices).
    public func dense() -> Matrix<Scalar> {
        var m = Matrix<Scalar>(rows: rows, columns: columns)
        for i in 0..<rows { for e in rowPointers[i]..<rowPointers[i + 1] { m[i, columnIndices[e]] = values[e] } }
        return m
    }

    /// Σⱼ aᵢⱼ for each row: the degrees when the matrix is a graph's affinity matrix.
    @inlinable
    public func rowSums() -> [Scalar] {
        var sums = [Scalar](repeating: 0, count: rows)
        for i in 0..<rows {
            var s: Scalar = 0
            for e in rowPointers[i]..<rowPointers[i + 1] { s += values[e] }
            sums[i] = s
        }
        return sums
    }

    /// `diag(rowFactors) · A · diag(columnFactors)`, e.g. D^-1/2 W D^-1/2 with both factors d^-1/2.
    @inlinable
    public func scaled(rowFactors: [Scalar], columnFactors: [Scalar]) -> SparseMatrix {
        precondition(rowFactors.count == rows && columnFactors.count == columns,
                     "scaled: \(rowFactors.count) row and \(columnFactors.count) column factors for \(rows)×\(columns)")
        var out = values
        for i in 0..<rows {
            for e in rowPointers[i]..<rowPointers[i + 1] { out[e] = rowFactors[i] * values[e] * columnFactors[columnIndices[e]] }
        }
        return SparseMatrix(unchecked: rows, columns, rowPointers, columnIndices, out)
    }

    // MARK: - Products

    /// Runs `body(rowRange)` over fixed blocks of rows, in parallel when there is enough work.
    @inlinable
    func forEachRowBlock(work: Int, _ body: (Range<Int>) -> Void) {
        let block = 128
        if work >= 1 << 15 {
            Parallel.forEachChunk(rows, chunk: block, body)
        } else {
            for start in stride(from: 0, to: rows, by: block) { body(start..<Swift.min(rows, start + block)) }
        }
    }

    /// SpMV `y = A · x` into `y` (`x` has `columns` elements, `y` has `rows`). Each yᵢ sums its row's
    /// products in storage order.
    @inlinable
    public func multiply(_ x: UnsafePointer<Scalar>, into y: UnsafeMutablePointer<Scalar>) {
        rowPointers.withUnsafeBufferPointer { rp in columnIndices.withUnsafeBufferPointer { ci in
            values.withUnsafeBufferPointer { v in
                forEachRowBlock(work: nonzeroCount) { block in
                    for i in block {
                        var s: Scalar = 0
                        for e in rp[i]..<rp[i + 1] { s += v[e] * x[ci[e]] }
                        y[i] = s
                    }
                }
            }
        } }
    }

    /// SpMV `A · x` as a new array.
    @inlinable
    public func multiply(_ x: [Scalar]) -> [Scalar] {
        precondition(x.count == columns, "SparseMatrix.multiply: matrix is \(rows)×\(columns), vector has \(x.count) elements")
        var y = [Scalar](repeating: 0, count: rows)
        x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            guard let xp = xb.baseAddress ?? UnsafePointer(yb.baseAddress), let yp = yb.baseAddress else { return }
            multiply(xp, into: yp)
        } }
        return y
    }

    /// SpMM `Y = A · X` for a dense X (`columns`×d) into Y (`rows`×d).
    ///
    /// Row i of Y is Σₑ vₑ · X[colₑ, :], a combination of rows of X: each nonzero costs one contiguous read
    /// of a row of X, accumulated in SIMD registers (16 lanes at a time, up to 64 columns per pass), which
    /// is what makes the tall-skinny case (d = 16, as in Lanczos blocks and spectral embeddings) fast.
    @inlinable
    public func multiply(_ x: MatrixView<Scalar>, into y: MutableMatrixView<Scalar>) {
        precondition(x.rows == columns && y.rows == rows && y.columns == x.columns,
                     "SparseMatrix.multiply: A is \(rows)×\(columns), X is \(x.rows)×\(x.columns), Y is \(y.rows)×\(y.columns)")
        let d = x.columns
        rowPointers.withUnsafeBufferPointer { rp in columnIndices.withUnsafeBufferPointer { ci in
            values.withUnsafeBufferPointer { v in
                forEachRowBlock(work: nonzeroCount * d) { block in
                    for i in block {
                        sparseRowTimesDense(rp[i]..<rp[i + 1], ci.baseAddress!, v.baseAddress!, x, into: y.row(i))
                    }
                }
            }
        } }
    }

    /// SpMM `A · X` as a new matrix.
    @inlinable
    public func multiply(_ x: Matrix<Scalar>) -> Matrix<Scalar> {
        var y = Matrix<Scalar>(rows: rows, columns: x.columns)
        x.withView { xv in y.withMutableView { yv in multiply(xv, into: yv) } }
        return y
    }
}

/// `out = Σ_{e ∈ entries} values[e] · X[columns[e], :]` (one row of an SpMM).
@inlinable
func sparseRowTimesDense<S: MatrixScalar>(_ entries: Range<Int>, _ columns: UnsafePointer<Int>,
                                          _ values: UnsafePointer<S>, _ x: MatrixView<S>,
                                          into out: UnsafeMutablePointer<S>) {
    let d = x.columns
    let w = VectorChunk<S>.scalarCount
    var j = 0
    // Four 16-lane accumulators per pass: d = 16 takes one pass with a single chain per row.
    while j + w <= d {
        let lanes = Swift.min(4, (d - j) / w)
        var a0 = VectorChunk<S>(), a1 = VectorChunk<S>(), a2 = VectorChunk<S>(), a3 = VectorChunk<S>()
        for e in entries {
            let source = x.row(columns[e]) + j
            let value = VectorChunk<S>(repeating: values[e])
            vectorMultiplyAdd(&a0, value, loadChunk(source))
            if lanes > 1 { vectorMultiplyAdd(&a1, value, loadChunk(source + w)) }
            if lanes > 2 { vectorMultiplyAdd(&a2, value, loadChunk(source + 2 * w)) }
            if lanes > 3 { vectorMultiplyAdd(&a3, value, loadChunk(source + 3 * w)) }
        }
        storeChunk(a0, out + j)
        if lanes > 1 { storeChunk(a1, out + j + w) }
        if lanes > 2 { storeChunk(a2, out + j + 2 * w) }
        if lanes > 3 { storeChunk(a3, out + j + 3 * w) }
        j += lanes * w
    }
    while j < d {
        var s: S = 0
        for e in entries { s += values[e] * x.row(columns[e])[j] }
        out[j] = s
        j += 1
    }
}
