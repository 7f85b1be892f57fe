import Foundation
import LinearAlgebra

/// NumPy's `.npy` format (format versions 1.0, 2.0 and 3.0), as specified in NumPy's
/// `numpy/lib/format.py` ("NEP 1 — A simple file format for NumPy arrays"):
///
/// ```
/// \x93NUMPY  major minor  header-length  header                                   data
/// 6 bytes    1     1      2 (v1) / 4 (v2, v3) bytes, little-endian
///                                        {'descr': '<f4', 'fortran_order': False, 'shape': (r, c), }   ␠…␠\n
/// ```
///
/// The header is a Python dictionary literal (Latin-1 in v1/v2, UTF-8 in v3), padded with spaces and a
/// final newline so that the data starts at a multiple of 64 bytes. The data is the raw array in C order.
///
/// This reader accepts `float16` (`<f2`, read exactly), `float32` (`<f4`) and `float64` (`<f8`) arrays in
/// either byte order (`>f4` …) and in C order with one or two dimensions, and converts to the requested
/// scalar type. The header is held to NumPy's own rules — what `np.load` refuses (a shape such as `(050, 8)`,
/// a header over 10 000 bytes, `3L` in a version 3 header, …) is refused here too — and more strictly where
/// NumPy is lax in ways that only a damaged file would use (duplicate or extra keys, data beyond the array).
/// Everything else is refused with a `FileError` that names the file and says what was expected and found.
///
/// Sizes are checked before anything is allocated: the data the header claims must be exactly what the file
/// holds, and the decoded matrix must fit in the machine's memory. The file is read with positioned reads,
/// so `readHeader` and `readRows` touch only the bytes they need.
///
/// **One-dimensional arrays** have no row/column orientation. By default a 1-D array of length n is read as
/// a single row (1 × n), because in this package a matrix row is one embedding and a lone vector in an
/// embedding file is almost always one embedding; pass `vector: .column` to get n × 1 instead.
/// Matrices are always written as 2-D arrays, so a round trip preserves the shape exactly.
public enum NPYFile {
    /// How a 1-D array of length n becomes a matrix: `row` gives 1 × n (the default), `column` n × 1.
    public enum VectorLayout: Sendable { case row, column }

    /// What a header says, for inspection (`sue inspect`) and for error messages.
    public struct Header: Sendable, Equatable {
        /// The format version: 1, 2 or 3 (the minor version is always 0).
        public var majorVersion: Int
        /// The element type named by `descr`.
        public var elementType: StoredElementType
        /// The byte order named by `descr` (`<` little, `>` big).
        public var byteOrder: StoredByteOrder
        /// The array's shape as stored: one or two dimensions.
        public var shape: [Int]
        /// Byte offset of the first data element.
        public var dataOffset: Int

        /// The rows and columns of the matrix that `read` returns for this array.
        public func matrixShape(vector: VectorLayout = .row) -> (rows: Int, columns: Int) {
            if shape.count == 2 { return (shape[0], shape[1]) }
            let n = shape.first ?? 1
            return vector == .row ? (1, n) : (n, 1)
        }
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// NumPy's limit on the header (`max_header_size`): `np.load` refuses a longer one as possibly hostile,
    /// and the header of a 1-D or 2-D float array is about 120 bytes.
    public static let maximumHeaderLength = 10_000

    // MARK: Reading

    /// Reads a 1-D or 2-D float16/float32/float64 array as a `Matrix<S>`, converting precision as needed.
    /// A float64 value beyond float32's range is an error when `S` is `Float` (it would become ±Inf).
    public static func read<S: MatrixScalar>(_ url: URL, as: S.Type = S.self,
                                             vector: VectorLayout = .row) throws -> Matrix<S> {
        try read(InputFile.open(url), as: S.self, vector: vector)
    }

    /// Reads only the header, without reading the data; the file's size must still match what the header
    /// claims, so a truncated or padded file is reported here too.
    public static func readHeader(_ url: URL) throws -> Header {
        try header(of: InputFile.open(url))
    }

    /// Reads the rows `rows` of the matrix that `read` would return (`vector` as for `read`), reading only
    /// those rows' bytes from disk. The file is validated as by `read` — header, byte order, size — so that
    /// a block of a damaged file is never returned; a range outside `0..<rows` is refused.
    ///
    /// This is how to look at a file larger than memory: in blocks of rows, each decoded and released
    /// before the next (see `sue inspect`).
    public static func readRows<S: MatrixScalar>(_ url: URL, _ rows: Range<Int>, as: S.Type = S.self,
                                                 vector: VectorLayout = .row) throws -> Matrix<S> {
        let source = try InputFile.open(url)
        let header = try header(of: source)
        let (rowCount, columns) = header.matrixShape(vector: vector)
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount else {
            throw FileError(.invalidValue, file: source.name,
                            "rows \(rows.lowerBound)..<\(rows.upperBound) are out of range: the file has \(rowCount) rows")
        }
        return try readBlock(source, header, rows: rows, columns: columns, as: S.self)
    }

    /// Decodes the bytes of a `.npy` file; `file` names it in errors.
    public static func decode<S: MatrixScalar>(_ data: Data, file: String, as: S.Type = S.self,
                                               vector: VectorLayout = .row) throws -> Matrix<S> {
        try read(MemoryBytes(data: data, name: file), as: S.self, vector: vector)
    }

    static func read<S: MatrixScalar>(_ source: any ByteSource, as: S.Type, vector: VectorLayout) throws -> Matrix<S> {
        let header = try header(of: source)
        let (rows, columns) = header.matrixShape(vector: vector)
        return try readBlock(source, header, rows: 0..<rows, columns: columns, as: S.self)
    }

    /// Reads and validates the header from the first bytes of `source`.
    static func header(of source: any ByteSource) throws -> Header {
        let prefix = try source.bytes(at: 0, count: 12 + maximumHeaderLength)
        return try prefix.withUnsafeBytes { try parseHeader($0, fileSize: source.size, file: source.name) }
    }

    /// Decodes rows `rows` (of `columns` each) of a validated array, after checking that they fit in memory.
    private static func readBlock<S: MatrixScalar>(_ source: any ByteSource, _ header: Header, rows: Range<Int>,
                                                   columns: Int, as: S.Type) throws -> Matrix<S> {
        // Cannot overflow: at most the element count, whose byte size was checked against the file.
        let count = rows.count * columns
        try checkDecodedSize(elements: count, stride: MemoryLayout<S>.stride,
                             typeName: S.self == Double.self ? "float64" : "float32", file: source.name)
        let start = header.dataOffset + rows.lowerBound * columns * header.elementType.byteCount
        let (elements, overflow) = try readElements(source, at: start, count: count, type: header.elementType,
                                                    order: header.byteOrder, as: S.self)
        if let overflow {
            throw FileError(.invalidValue, file: source.name,
                            float32RangeProblem(overflow.value, row: rows.lowerBound + overflow.index / columns,
                                                column: overflow.index % columns))
        }
        return Matrix(rows: rows.count, columns: columns, elements: elements)
    }

    /// Validates magic, version, header dictionary and data size; returns the parsed header.
    /// - Parameters:
    ///   - raw: the start of the file: all of it, or at least its first `12 + maximumHeaderLength` bytes.
    ///   - fileSize: the size of the whole file.
    static func parseHeader(_ raw: UnsafeRawBufferPointer, fileSize: Int, file: String) throws -> Header {
        func fail(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, file: file, problem) }

        guard fileSize >= 10, raw.count >= 10 else {
            throw fail(.malformed, "truncated: \(fileSize) bytes, but a .npy file has at least 10 (magic, version, header length)")
        }
        guard Array(raw[0..<6]) == magic else {
            let found = raw[0..<6].map { b in (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16) }.joined()
            throw fail(.malformed, "not a .npy file: expected the magic bytes \\x93NUMPY, found \(found)")
        }
        let major = Int(raw[6]), minor = Int(raw[7])
        guard [1, 2, 3].contains(major), minor == 0 else {
            throw fail(.unsupported, "unsupported .npy format version \(major).\(minor) (expected 1.0, 2.0 or 3.0)")
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard fileSize >= 8 + lengthBytes, raw.count >= 8 + lengthBytes else {
            throw fail(.malformed, "truncated: the file ends inside the header length field")
        }
        let headerLength = major == 1
            ? Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let headerStart = 8 + lengthBytes
        let dataOffset = headerStart + headerLength
        guard dataOffset <= fileSize else {
            throw fail(.malformed, "truncated: the header length field says \(headerLength) bytes, but only \(fileSize - headerStart) follow")
        }
        guard headerLength <= maximumHeaderLength, dataOffset <= raw.count else {
            throw fail(.malformed, "bad header: the header length field says \(headerLength) bytes, more than NumPy reads (\(maximumHeaderLength)); a damaged or hostile file")
        }

        // v1 and v2 headers are Latin-1; re-encode each byte as the Unicode scalar of the same number so that
        // the parser always sees UTF-8. v3 headers are UTF-8 already (and must be valid).
        var headerBytes = Array(raw[headerStart..<dataOffset])
        if major < 3 {
            if headerBytes.contains(where: { $0 >= 0x80 }) {
                headerBytes = Array(String(headerBytes.map { Character(Unicode.Scalar($0)) }).utf8)
            }
        } else if String(validating: headerBytes, as: UTF8.self) == nil {
            throw fail(.malformed, "bad header: version 3 headers must be UTF-8")
        }

        let value: LiteralValue
        do {
            // NumPy strips Python 2's `L` suffix (`(3L, 4L)`) from version 1 and 2 headers only.
            value = try LiteralParser.parse(headerBytes, dialect: .python, acceptsLongSuffix: major < 3)
        } catch let e as LiteralParseError {
            throw fail(.malformed, "bad header: \(e.description) (expected a Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), })")
        }
        guard case .dictionary(let entries) = value else {
            throw fail(.malformed, "bad header: expected a dictionary, found \(value.kindName)")
        }
        let required = ["descr", "fortran_order", "shape"]
        var found = [String: LiteralValue]()
        for (key, item) in entries { found[key] = item }  // the parser has refused duplicate keys
        guard let descrValue = found["descr"], let fortranValue = found["fortran_order"], let shapeValue = found["shape"],
              found.count == required.count else {
            let missing = required.filter { found[$0] == nil }
            let extra = entries.map(\.key).filter { !required.contains($0) }
            var parts = [String]()
            if !missing.isEmpty { parts.append("missing " + missing.map { "'\($0)'" }.joined(separator: ", ")) }
            if !extra.isEmpty {
                parts.append(excerpt("unexpected " + extra.map { "'\($0)'" }.joined(separator: ", ")))
            }
            throw fail(.malformed, "bad header: expected exactly the keys 'descr', 'fortran_order', 'shape'; \(parts.joined(separator: "; "))")
        }

        guard case .string(let descr) = descrValue else {
            throw fail(.unsupported, "unsupported dtype: 'descr' is \(descrValue.kindName) (a structured or record array); expected '<f4', '<f8' or '<f2'")
        }
        let (elementType, byteOrder) = try elementType(descr: descr, fail: fail)

        guard case .boolean(let fortranOrder) = fortranValue else {
            throw fail(.malformed, "bad header: 'fortran_order' should be True or False, found \(fortranValue.kindName)")
        }
        if fortranOrder {
            throw fail(.unsupported, "Fortran (column-major) order is not supported; expected C order (save np.ascontiguousarray(a) instead)")
        }

        guard case .tuple(let shapeItems) = shapeValue else {
            throw fail(.malformed, "bad header: 'shape' should be a tuple of integers, found \(shapeValue.kindName)")
        }
        var shape = [Int]()
        for item in shapeItems {
            guard case .integer(let n) = item, n >= 0 else {
                throw fail(.malformed, "bad header: 'shape' should contain non-negative integers, found \(describe(shapeItems))")
            }
            shape.append(n)
        }
        guard shape.count == 1 || shape.count == 2 else {
            throw fail(.unsupported, "expected a 1-D or 2-D array (rows × features), found \(shape.count)-D shape \(describe(shapeItems))")
        }

        // Sizes are products of untrusted numbers: check for overflow before comparing.
        var elementCount = 1
        for n in shape {
            let (p, overflow) = elementCount.multipliedReportingOverflow(by: n)
            if overflow { throw fail(.malformed, "bad header: shape \(describe(shapeItems)) is too large") }
            elementCount = p
        }
        let (expectedBytes, overflow) = elementCount.multipliedReportingOverflow(by: elementType.byteCount)
        if overflow { throw fail(.malformed, "bad header: shape \(describe(shapeItems)) is too large") }
        let foundBytes = fileSize - dataOffset
        if foundBytes < expectedBytes {
            throw fail(.malformed, "truncated: shape \(describe(shapeItems)) of \(descr) needs \(expectedBytes) data bytes, found \(foundBytes)")
        }
        if foundBytes > expectedBytes {
            throw fail(.malformed, "data size mismatch: shape \(describe(shapeItems)) of \(descr) needs \(expectedBytes) data bytes, found \(foundBytes) (\(foundBytes - expectedBytes) extra)")
        }
        return Header(majorVersion: major, elementType: elementType, byteOrder: byteOrder, shape: shape, dataOffset: dataOffset)
    }

    /// A shape as NumPy prints it, `(3, 4)` or `(3,)`, bounded in length: a damaged header can hold any number
    /// of items of any size.
    private static func describe(_ items: [LiteralValue]) -> String {
        let parts = items.prefix(8).map { item -> String in
            switch item {
            case .integer(let n): return String(n)
            case .string(let s): return "'\(excerpt(s, limit: 20))'"
            default: return item.kindName
            }
        } + (items.count > 8 ? ["… \(items.count - 8) more"] : [])
        return excerpt(parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")")
    }

    /// Maps a NumPy type string (`<f4`, `>f8`, …) to an element type and byte order, explaining every refusal.
    private static func elementType(descr: String, fail: (FileError.Kind, String) -> FileError) throws -> (StoredElementType, StoredByteOrder) {
        let types: [String: StoredElementType] = ["f2": .float16, "f4": .float32, "f8": .float64]
        let code = String(descr.dropFirst())
        if let type = types[code] {
            if descr.first == "<" { return (type, .little) }
            if descr.first == ">" { return (type, .big) }
        }
        let names: [Character: String] = ["i": "signed integer", "u": "unsigned integer", "b": "boolean",
                                          "c": "complex", "U": "unicode string", "S": "byte string",
                                          "O": "Python object", "M": "datetime", "m": "timedelta", "V": "raw bytes"]
        let kindName = code.first.flatMap { names[$0] }.map { " (\($0))" } ?? ""
        throw fail(.unsupported, "unsupported dtype '\(excerpt(descr, limit: 20))'\(kindName); expected float32 '<f4', float64 '<f8' or float16 '<f2' (either byte order; convert with a.astype('float32'))")
    }

    // MARK: Writing

    /// Writes `matrix` as a 2-D C-order array (`<f4` for Float, `<f8` for Double), atomically.
    ///
    /// - Parameter version: the format version to write. By default 1.0, or 2.0 if the header does not fit
    ///   version 1's 65 535 bytes (never the case for two dimensions, but the rule is NumPy's). Version 3.0
    ///   differs only in allowing a UTF-8 header and is written only when asked for.
    public static func write<S: MatrixScalar>(_ matrix: Matrix<S>, to url: URL, version: Int? = nil) throws {
        let header = try headerBytes(rows: matrix.rows, columns: matrix.columns,
                                     descr: S.self == Double.self ? "<f8" : "<f4", version: version, file: url.path)
        try AtomicFile.write(to: url) { writer in
            try writer.append(Data(header))
            try appendLittleEndian(matrix, to: &writer)
        }
    }

    /// Appends blocks of rows to a `.npy` file being written by `write(rows:columns:to:_:)`.
    public struct RowWriter {
        fileprivate var writer: AtomicFile.Writer
        fileprivate let columns: Int
        fileprivate let url: URL
        /// Rows appended so far.
        public fileprivate(set) var rowsWritten = 0

        /// Appends the rows of `block` (which must have the file's number of columns).
        public mutating func append(_ block: Matrix<Float>) throws {
            guard block.columns == columns else {
                throw FileError(.invalidValue, url: url, "a block of \(block.columns) columns cannot be appended to a file of \(columns)")
            }
            try appendLittleEndian(block, to: &writer)
            rowsWritten += block.rows
        }
    }

    /// Writes a `rows` × `columns` float32 `.npy` file block by block, atomically: `body` appends the rows in
    /// order, and the file is committed only if exactly `rows` rows arrived (otherwise, or if `body` throws, the
    /// destination keeps what it had). Memory: one block, however large the file.
    public static func write(rows: Int, columns: Int, to url: URL, _ body: (inout RowWriter) throws -> Void) throws {
        let header = try headerBytes(rows: rows, columns: columns, descr: "<f4", version: nil, file: url.path)
        try AtomicFile.write(to: url) { writer in
            try writer.append(Data(header))
            var rowWriter = RowWriter(writer: writer, columns: columns, url: url)
            try body(&rowWriter)
            guard rowWriter.rowsWritten == rows else {
                throw FileError(.invalidValue, url: url, "\(rowWriter.rowsWritten) rows were written, the header announces \(rows)")
            }
            writer = rowWriter.writer
        }
    }

    /// Encodes `matrix` as the bytes of a `.npy` file (for callers that want the bytes, e.g. tests).
    public static func encode<S: MatrixScalar>(_ matrix: Matrix<S>, version: Int? = nil) -> Data {
        var data = Data(try! headerBytes(rows: matrix.rows, columns: matrix.columns,
                                         descr: S.self == Double.self ? "<f8" : "<f4", version: version, file: ""))
        matrix.elements.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// Magic, version, length and the padded header dictionary. The total is a multiple of 64 bytes
    /// (NumPy's `ARRAY_ALIGN`), so that memory-mapping readers find the data aligned.
    static func headerBytes(rows: Int, columns: Int, descr: String, version: Int?, file: String) throws -> [UInt8] {
        let dictionary = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        // NumPy's rule: version 1.0 unless the header does not fit its 16-bit length field.
        let major = version ?? (dictionary.utf8.count + 64 > 65_535 ? 2 : 1)
        guard [1, 2, 3].contains(major) else {
            throw FileError(.unsupported, file: file, "cannot write .npy format version \(major) (expected 1, 2 or 3)")
        }
        let prefixLength = major == 1 ? 10 : 12
        let unpadded = prefixLength + dictionary.utf8.count + 1  // + the final newline
        let padding = (64 - unpadded % 64) % 64
        let headerLength = dictionary.utf8.count + padding + 1
        var bytes = magic + [UInt8(major), 0]
        if major == 1 {
            withUnsafeBytes(of: UInt16(headerLength).littleEndian) { bytes.append(contentsOf: $0) }
        } else {
            withUnsafeBytes(of: UInt32(headerLength).littleEndian) { bytes.append(contentsOf: $0) }
        }
        bytes += Array(dictionary.utf8) + [UInt8](repeating: 0x20, count: padding) + [0x0A]
        return bytes
    }
}
