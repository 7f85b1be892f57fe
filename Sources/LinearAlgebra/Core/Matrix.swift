/// A dense, row-major matrix that owns its elements.
///
/// Ownership: `Matrix` is a value type backed by a copy-on-write `Array`; assigning it copies lazily,
/// mutating a shared copy duplicates the storage first. Kernels never take a `Matrix` directly: they work on
/// `MatrixView` / `MutableMatrixView`, non-owning strided windows obtained with `withView` /
/// `withMutableView`. A view is valid only inside the closure that produced it and must not escape it.
/// Row ranges and sub-blocks are views too (`MatrixView.rows(_:)`, `.block(...)`), so slicing is free.
public struct Matrix<Scalar: MatrixScalar>: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Row-major elements: element (i, j) is at `i * columns + j`. `elements.count == rows * columns`.
    public var elements: [Scalar]

    /// A `rows × columns` matrix with every element equal to `value` (zero by default).
    @inlinable public init(rows: Int, columns: Int, repeating value: Scalar = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
        self.rows = rows
        self.columns = columns
        self.elements = [Scalar](repeating: value, count: rows * columns)
    }

    /// Wraps row-major `elements`, which must hold exactly `rows * columns` values (checked by a precondition).
    @inlinable public init(rows: Int, columns: Int, elements: [Scalar]) {
        precondition(elements.count == rows * columns,
                     "Matrix(rows: \(rows), columns: \(columns)) needs \(rows * columns) elements, got \(elements.count)")
        self.rows = rows
        self.columns = columns
        self.elements = elements
    }

    /// Builds the matrix element by element: `generator(i, j)`.
    @inlinable public init(rows: Int, columns: Int, _ generator: (Int, Int) -> Scalar) {
        var e = [Scalar]()
        e.reserveCapacity(rows * columns)
        for i in 0..<rows { for j in 0..<columns { e.append(generator(i, j)) } }
        self.init(rows: rows, columns: columns, elements: e)
    }

    /// A matrix from nested row arrays (all rows must have the same length).
    public init(_ rowArrays: [[Scalar]]) {
        let c = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == c }, "Matrix rows have different lengths")
        self.init(rows: rowArrays.count, columns: c, elements: rowArrays.flatMap { $0 })
    }

    /// The `n × n` identity matrix.
    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, columns: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// Whether the matrix is square with ones on its diagonal and zeros elsewhere. Stops at the first element that
    /// differs, so any other matrix is told apart at once in practice; an identity costs one pass.
    public var isIdentity: Bool {
        guard rows == columns else { return false }
        for i in 0..<rows {
            for j in 0..<columns where self[i, j] != (i == j ? 1 : 0) { return false }
        }
        return true
    }

    /// Number of elements, `rows * columns`.
    @inlinable public var count: Int { rows * columns }
    /// Whether the matrix has no elements (no rows or no columns).
    @inlinable public var isEmpty: Bool { rows == 0 || columns == 0 }
    /// `(rows, columns)` as one value.
    @inlinable public var shape: (rows: Int, columns: Int) { (rows, columns) }

    /// Element `(i, j)`. Only the flat index `i * columns + j` is bounds-checked (by the array), so an
    /// out-of-range `j` with an in-range flat index reads or writes another row.
    @inlinable public subscript(i: Int, j: Int) -> Scalar {
        get { elements[i * columns + j] }
        set { elements[i * columns + j] = newValue }
    }

    /// Row `i` as a fresh array.
    @inlinable public func row(_ i: Int) -> [Scalar] { Array(elements[(i * columns)..<((i + 1) * columns)]) }

    /// Column `j` as a fresh array.
    public func column(_ j: Int) -> [Scalar] { (0..<rows).map { self[$0, j] } }

    /// A copy of rows `range` (use `withView { $0.rows(range) }` for a free view).
    public func rows(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range \(range) out of 0..<\(rows)")
        return Matrix(rows: range.count, columns: columns,
                      elements: Array(elements[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// A copy of the given rows, in the given order (a gather).
    public func rows(_ indices: [Int]) -> Matrix {
        var out = [Scalar]()
        out.reserveCapacity(indices.count * columns)
        for i in indices {
            precondition(i >= 0 && i < rows, "row index \(i) out of 0..<\(rows)")
            out.append(contentsOf: elements[(i * columns)..<((i + 1) * columns)])
        }
        return Matrix(rows: indices.count, columns: columns, elements: out)
    }

    /// A copy of columns `range`.
    public func columns(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columns, "column range \(range) out of 0..<\(columns)")
        return withView { $0.block(rows: 0..<rows, columns: range).copy() }
    }

    /// The transpose as a new matrix, copied in 32 × 32 tiles.
    public var transposed: Matrix {
        var t = Matrix(rows: columns, columns: rows)
        // Blocked so that both the reads and the writes stay within a few cache lines.
        let bs = 32
        elements.withUnsafeBufferPointer { src in
            t.elements.withUnsafeMutableBufferPointer { dst in
                for i0 in stride(from: 0, to: rows, by: bs) {
                    for j0 in stride(from: 0, to: columns, by: bs) {
                        for i in i0..<min(i0 + bs, rows) {
                            for j in j0..<min(j0 + bs, columns) { dst[j * rows + i] = src[i * columns + j] }
                        }
                    }
                }
            }
        }
        return t
    }

    /// Converts the element type (e.g. Float → Double for checked computations).
    public func converted<T: MatrixScalar>(to: T.Type = T.self) -> Matrix<T> {
        Matrix<T>(rows: rows, columns: columns, elements: elements.map { T($0) })
    }

    /// Calls `body` with a read-only view of the whole matrix. The view must not escape `body`.
    @inlinable public func withView<R>(_ body: (MatrixView<Scalar>) throws -> R) rethrows -> R {
        try elements.withUnsafeBufferPointer { buf in
            try body(MatrixView(base: buf.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Scalar>.alignment)!,
                                rows: rows, columns: columns, rowStride: columns))
        }
    }

    /// Calls `body` with a mutable view of the whole matrix. The view must not escape `body`.
    @inlinable public mutating func withMutableView<R>(_ body: (MutableMatrixView<Scalar>) throws -> R) rethrows -> R {
        let (r, c) = (rows, columns)
        return try elements.withUnsafeMutableBufferPointer { buf in
            try body(MutableMatrixView(
                base: buf.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Scalar>.alignment)!,
                rows: r, columns: c, rowStride: c))
        }
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = min(rows, 8)
        var s = "Matrix<\(Scalar.self)>(\(rows)×\(columns))"
        for i in 0..<shown {
            s += "\n  [" + (0..<min(columns, 8)).map { "\(self[i, $0])" }.joined(separator: ", ")
            s += columns > 8 ? ", …]" : "]"
        }
        if rows > shown { s += "\n  …" }
        return s
    }
}

/// A read-only, non-owning, strided window onto row-major storage: element (i, j) is at
/// `base[i * rowStride + j]`. It borrows the storage of a `Matrix` (or any buffer) and is valid only as
/// long as that storage is alive and unmoved, in practice inside a `withView` closure.
public struct MatrixView<Scalar: MatrixScalar> {
    /// Address of element (0, 0).
    public let base: UnsafePointer<Scalar>
    /// Number of rows in the window.
    public let rows: Int
    /// Number of columns in the window.
    public let columns: Int
    /// Elements between the starts of consecutive rows (at least `columns` when there are two or more rows).
    public let rowStride: Int

    /// A window of `rows × columns` elements starting at `base`, rows `rowStride` elements apart. The caller
    /// guarantees that the memory stays alive and unmoved for as long as the view is used.
    @inlinable public init(base: UnsafePointer<Scalar>, rows: Int, columns: Int, rowStride: Int) {
        precondition(rows >= 0 && columns >= 0 && (rowStride >= columns || rows <= 1), "invalid view geometry")
        self.base = base
        self.rows = rows
        self.columns = columns
        self.rowStride = rowStride
    }

    /// Element `(i, j)`; not bounds-checked.
    @inlinable public subscript(i: Int, j: Int) -> Scalar { base[i * rowStride + j] }

    /// Pointer to the start of row `i`.
    @inlinable public func row(_ i: Int) -> UnsafePointer<Scalar> { base + i * rowStride }

    /// The rows `range` of this view (no copy).
    @inlinable public func rows(_ range: Range<Int>) -> MatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range out of bounds")
        return MatrixView(base: base + range.lowerBound * rowStride, rows: range.count, columns: columns, rowStride: rowStride)
    }

    /// The sub-block `rows × columns` of this view (no copy).
    @inlinable public func block(rows r: Range<Int>, columns c: Range<Int>) -> MatrixView {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && c.lowerBound >= 0 && c.upperBound <= columns,
                     "block out of bounds")
        return MatrixView(base: base + r.lowerBound * rowStride + c.lowerBound, rows: r.count, columns: c.count,
                          rowStride: rowStride)
    }

    /// An owning copy.
    public func copy() -> Matrix<Scalar> {
        var out = [Scalar]()
        out.reserveCapacity(rows * columns)
        for i in 0..<rows { out.append(contentsOf: UnsafeBufferPointer(start: row(i), count: columns)) }
        return Matrix(rows: rows, columns: columns, elements: out)
    }
}

/// A mutable, non-owning, strided window (see `MatrixView` for the validity rules).
public struct MutableMatrixView<Scalar: MatrixScalar> {
    /// Address of element (0, 0).
    public let base: UnsafeMutablePointer<Scalar>
    /// Number of rows in the window.
    public let rows: Int
    /// Number of columns in the window.
    public let columns: Int
    /// Elements between the starts of consecutive rows (at least `columns` when there are two or more rows).
    public let rowStride: Int

    /// A window of `rows × columns` elements starting at `base`, rows `rowStride` elements apart. The caller
    /// guarantees that the memory stays alive and unmoved, and that no other view writes it concurrently.
    @inlinable public init(base: UnsafeMutablePointer<Scalar>, rows: Int, columns: Int, rowStride: Int) {
        precondition(rows >= 0 && columns >= 0 && (rowStride >= columns || rows <= 1), "invalid view geometry")
        self.base = base
        self.rows = rows
        self.columns = columns
        self.rowStride = rowStride
    }

    /// Element `(i, j)`, read or written through the view (a `nonmutating` setter: the view is a pointer, the
    /// storage is what changes); not bounds-checked.
    @inlinable public subscript(i: Int, j: Int) -> Scalar {
        get { base[i * rowStride + j] }
        nonmutating set { base[i * rowStride + j] = newValue }
    }

    /// Pointer to the start of row `i`.
    @inlinable public func row(_ i: Int) -> UnsafeMutablePointer<Scalar> { base + i * rowStride }

    /// The same window as a read-only `MatrixView`, for passing the storage as an input operand.
    @inlinable public var readOnly: MatrixView<Scalar> {
        MatrixView(base: UnsafePointer(base), rows: rows, columns: columns, rowStride: rowStride)
    }

    /// The rows `range` of this view (no copy).
    @inlinable public func rows(_ range: Range<Int>) -> MutableMatrixView {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "row range out of bounds")
        return MutableMatrixView(base: base + range.lowerBound * rowStride, rows: range.count, columns: columns,
                                 rowStride: rowStride)
    }

    /// The sub-block `rows × columns` of this view (no copy).
    @inlinable public func block(rows r: Range<Int>, columns c: Range<Int>) -> MutableMatrixView {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows && c.lowerBound >= 0 && c.upperBound <= columns,
                     "block out of bounds")
        return MutableMatrixView(base: base + r.lowerBound * rowStride + c.lowerBound, rows: r.count,
                                 columns: c.count, rowStride: rowStride)
    }
}
