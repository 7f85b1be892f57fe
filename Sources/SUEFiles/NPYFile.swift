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
/// This reader accepts little-endian `float16` (`<f2`, read exactly), `float32` (`<f4`) and `float64`
/// (`<f8`) arrays in C order with one or two dimensions, and converts to the requested scalar type.
/// Everything else is refused with a `FileError` that names the file and says what was expected and found.
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
        /// The array's shape as stored: one or two dimensions.
        public var shape: [Int]
        /// Byte offset of the first data element.
        public var dataOffset: Int
    }

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    // MARK: Reading

    /// Reads a 1-D or 2-D float16/float32/float64 array as a `Matrix<S>`, converting precision as needed.
    public static func read<S: MatrixScalar>(_ url: URL, as: S.Type = S.self,
                                             vector: VectorLayout = .row) throws -> Matrix<S> {
        let data = try readWholeFile(url)
        return try decode(data, file: url.path, as: S.self, vector: vector)
    }

    /// Reads only the header (the data must still be complete: a truncated file is reported here too).
    public static func readHeader(_ url: URL) throws -> Header {
        let data = try readWholeFile(url)
        return try data.withUnsafeBytes { try parseHeader($0, file: url.path) }
    }

    /// Decodes the bytes of a `.npy` file; `file` names it in errors.
    public static func decode<S: MatrixScalar>(_ data: Data, file: String, as: S.Type = S.self,
                                               vector: VectorLayout = .row) throws -> Matrix<S> {
        try data.withUnsafeBytes { raw in
            let header = try parseHeader(raw, file: file)
            let (rows, columns): (Int, Int)
            if header.shape.count == 2 {
                (rows, columns) = (header.shape[0], header.shape[1])
            } else {
                (rows, columns) = vector == .row ? (1, header.shape[0]) : (header.shape[0], 1)
            }
            let payload = UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...])
            let elements = decodeLittleEndian(payload, type: header.elementType, count: rows * columns, as: S.self)
            return Matrix(rows: rows, columns: columns, elements: elements)
        }
    }

    /// Validates magic, version, header dictionary and data size; returns the parsed header.
    static func parseHeader(_ raw: UnsafeRawBufferPointer, file: String) throws -> Header {
        func fail(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, file: file, problem) }

        guard raw.count >= 10 else {
            throw fail(.malformed, "truncated: \(raw.count) bytes, but a .npy file has at least 10 (magic, version, header length)")
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
        guard raw.count >= 8 + lengthBytes else {
            throw fail(.malformed, "truncated: the file ends inside the header length field")
        }
        let headerLength = major == 1
            ? Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        let headerStart = 8 + lengthBytes
        let dataOffset = headerStart + headerLength
        guard dataOffset <= raw.count else {
            throw fail(.malformed, "truncated: the header length field says \(headerLength) bytes, but only \(raw.count - headerStart) follow")
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
            value = try LiteralParser.parse(headerBytes, dialect: .python)
        } catch let e as LiteralParseError {
            throw fail(.malformed, "bad header: \(e.description) (expected a Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), })")
        }
        guard case .dictionary(let entries) = value else {
            throw fail(.malformed, "bad header: expected a dictionary, found \(value.kindName)")
        }
        let keys = Set(entries.map(\.key))
        let required: Set = ["descr", "fortran_order", "shape"]
        guard keys == required else {
            let missing = required.subtracting(keys).sorted(), extra = keys.subtracting(required).sorted()
            var parts = [String]()
            if !missing.isEmpty { parts.append("missing " + missing.map { "'\($0)'" }.joined(separator: ", ")) }
            if !extra.isEmpty { parts.append("unexpected " + extra.map { "'\($0)'" }.joined(separator: ", ")) }
            throw fail(.malformed, "bad header: expected exactly the keys 'descr', 'fortran_order', 'shape'; \(parts.joined(separator: "; "))")
        }
        let dict = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })

        guard case .string(let descr) = dict["descr"]! else {
            throw fail(.unsupported, "unsupported dtype: 'descr' is \(dict["descr"]!.kindName) (a structured or record array); expected '<f4', '<f8' or '<f2'")
        }
        let elementType = try elementType(descr: descr, fail: fail)

        guard case .boolean(let fortranOrder) = dict["fortran_order"]! else {
            throw fail(.malformed, "bad header: 'fortran_order' should be True or False, found \(dict["fortran_order"]!.kindName)")
        }
        if fortranOrder {
            throw fail(.unsupported, "Fortran (column-major) order is not supported; expected C order (save np.ascontiguousarray(a) instead)")
        }

        guard case .tuple(let shapeItems) = dict["shape"]! else {
            throw fail(.malformed, "bad header: 'shape' should be a tuple of integers, found \(dict["shape"]!.kindName)")
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
        let foundBytes = raw.count - dataOffset
        if foundBytes < expectedBytes {
            throw fail(.malformed, "truncated: shape \(describe(shapeItems)) of \(descr) needs \(expectedBytes) data bytes, found \(foundBytes)")
        }
        if foundBytes > expectedBytes {
            throw fail(.malformed, "data size mismatch: shape \(describe(shapeItems)) of \(descr) needs \(expectedBytes) data bytes, found \(foundBytes) (\(foundBytes - expectedBytes) extra)")
        }
        return Header(majorVersion: major, elementType: elementType, shape: shape, dataOffset: dataOffset)
    }

    private static func describe(_ items: [LiteralValue]) -> String {
        let parts = items.map { item -> String in
            switch item {
            case .integer(let n): return String(n)
            case .string(let s): return "'\(s)'"
            default: return item.kindName
            }
        }
        return parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
    }

    /// Maps a NumPy type string (`<f4`, …) to an element type, explaining every refusal.
    private static func elementType(descr: String, fail: (FileError.Kind, String) -> FileError) throws -> StoredElementType {
        switch descr {
        case "<f2": return .float16
        case "<f4": return .float32
        case "<f8": return .float64
        default: break
        }
        let order = descr.first
        let code = String(descr.dropFirst())
        if order == ">" && ["f2", "f4", "f8"].contains(code) {
            throw fail(.unsupported, "big-endian data ('\(descr)') is not supported; expected little-endian '<\(code)' (convert with a.astype('<\(code)'))")
        }
        let names: [Character: String] = ["i": "signed integer", "u": "unsigned integer", "b": "boolean",
                                          "c": "complex", "U": "unicode string", "S": "byte string",
                                          "O": "Python object", "M": "datetime", "m": "timedelta", "V": "raw bytes"]
        let kindName = code.first.flatMap { names[$0] }.map { " (\($0))" } ?? ""
        throw fail(.unsupported, "unsupported dtype '\(descr)'\(kindName); expected float32 '<f4', float64 '<f8' or float16 '<f2' (convert with a.astype('float32'))")
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
