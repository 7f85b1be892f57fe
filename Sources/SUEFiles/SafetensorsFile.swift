import Foundation
import LinearAlgebra

/// Hugging Face's safetensors format, as written by the reference implementation (the `safetensors` Rust
/// crate behind the Python package):
///
/// ```
/// N (8 bytes, little-endian u64)   header: N bytes of JSON, space-padded   data: the tensors, back to back
/// {"__metadata__": {"key": "value", …},
///  "name": {"dtype": "F32", "shape": [rows, columns], "data_offsets": [begin, end]}, …}
/// ```
///
/// `data_offsets` are byte offsets relative to the start of the data section. A file is *trustworthy*
/// only if the tensors tile the data section exactly: sorted by offset, the first begins at 0, each begins
/// where the previous ends, the last ends at the end of the file, and each spans `product(shape) ×
/// dtype size` bytes. `read` checks all of this (as the reference loader does) before decoding anything, so
/// a truncated, padded, overlapping or otherwise doctored file is refused with a message saying what is wrong.
///
/// Matrices are stored as 2-D tensors (`F32` for `Float`, `F64` for `Double`). On reading, `F16` and `BF16`
/// tensors are widened into `tensors` (exactly); 1-D tensors of length n become 1 × n matrices and 0-D
/// tensors (scalars) 1 × 1 matrices. Other dtypes (integers, booleans, 8-bit floats) are refused.
///
/// Writing follows the reference layout: tensors ordered by dtype size (larger first, which keeps every
/// tensor aligned to its element size) and then by name, offsets contiguous, `__metadata__` first, compact
/// JSON, header padded with spaces to a multiple of 8 bytes. So the Python `safetensors` package loads these
/// files, and re-saving them gives the same bytes except for the order of the metadata keys (the reference
/// writes them in hash-map order; here they are sorted, so equal inputs always give equal bytes).
public struct SafetensorsFile: Sendable, Equatable {
    /// Single-precision tensors (and half-precision ones, widened, after reading).
    public var tensors: [String: Matrix<Float>]
    /// Double-precision tensors.
    public var doubleTensors: [String: Matrix<Double>]
    /// Free-form string metadata (`__metadata__`): configuration, version, training report…
    public var metadata: [String: String]

    /// A file with the given tensors and metadata; nothing is written until `write(to:)` or `encode()`.
    public init(tensors: [String: Matrix<Float>] = [:], doubleTensors: [String: Matrix<Double>] = [:],
                metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.doubleTensors = doubleTensors
        self.metadata = metadata
    }

    /// The reference loader's limit on the header size; anything larger is treated as corruption.
    public static let maximumHeaderLength = 100_000_000

    /// All tensor names, sorted.
    public var names: [String] { (Array(tensors.keys) + Array(doubleTensors.keys)).sorted() }

    /// The tensor `name` in precision `S` (converted if stored in the other precision), checked against an
    /// expected shape when one is given. Errors name `file` (e.g. the model path) and list what is there.
    /// A float64 value beyond float32's range is an error when `S` is `Float` (it would become ±Inf).
    public func matrix<S: MatrixScalar>(_ name: String, as: S.Type = S.self, rows: Int? = nil, columns: Int? = nil,
                                        file: String = "model") throws -> Matrix<S> {
        let found: Matrix<S>
        if let f = tensors[name] {
            found = (f as? Matrix<S>) ?? f.converted(to: S.self)
        } else if let d = doubleTensors[name] {
            if S.self == Float.self, let i = d.elements.firstIndex(where: { $0.isFinite && Float($0).isInfinite }) {
                throw FileError(.invalidValue, file: file,
                                "tensor '\(excerpt(name, limit: 40))': " + float32RangeProblem(d.elements[i], row: i / d.columns, column: i % d.columns))
            }
            found = (d as? Matrix<S>) ?? d.converted(to: S.self)
        } else {
            let listed = names.isEmpty ? "no tensors" : excerpt(names.joined(separator: ", "))
            throw FileError(.invalidValue, file: file,
                            "tensor '\(excerpt(name, limit: 40))' is missing (the file has: \(listed))")
        }
        if let rows, found.rows != rows {
            throw FileError(.invalidValue, file: file, "tensor '\(excerpt(name, limit: 40))' has \(found.rows) rows, expected \(rows)")
        }
        if let columns, found.columns != columns {
            throw FileError(.invalidValue, file: file, "tensor '\(excerpt(name, limit: 40))' has \(found.columns) columns, expected \(columns)")
        }
        return found
    }

    // MARK: Reading

    /// Reads the file at `url`, validating its header and layout before decoding (see the type's discussion).
    /// Only the header is read before the checks; the tensors are read one by one once the file has passed
    /// them and their decoded size has been checked against the machine's memory.
    public static func read(_ url: URL) throws -> SafetensorsFile {
        try read(InputFile.open(url))
    }

    /// Decodes the bytes of a safetensors file, validating its header and layout first; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> SafetensorsFile {
        try read(MemoryBytes(data: data, name: file))
    }

    /// Dtypes of the format and their sizes; `nil` element type = a dtype this package does not read.
    private static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8,
    ]
    private static let readableTypes: [String: StoredElementType] = [
        "F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64,
    ]

    private struct Entry {
        let name: String
        let dtype: String
        let elementSize: Int
        let shape: [Int]
        let begin: Int
        let end: Int

        /// The name as messages quote it: in quotes, at most 40 characters.
        var quotedName: String { "'\(excerpt(name, limit: 40))'" }
        /// The shape as messages show it, bounded in length.
        var shapeText: String { excerpt("\(shape)", limit: 60) }
    }

    private static func read(_ source: any ByteSource) throws -> SafetensorsFile {
        let file = source.name
        func fail(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, file: file, problem) }

        let fileSize = source.size
        let start = try source.bytes(at: 0, count: 8)
        guard start.count == 8 else {
            throw fail(.malformed, "truncated: \(fileSize) bytes, but a safetensors file starts with an 8-byte header length")
        }
        if Array(start[0..<6]) == NPYFile.magic {
            throw fail(.malformed, "this is a .npy array, not a safetensors file")
        }
        let declared = start.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(maximumHeaderLength) else {
            throw fail(.malformed, "header length \(declared) bytes is absurd (limit \(maximumHeaderLength)); not a safetensors file or corrupted")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= fileSize else {
            throw fail(.malformed, "truncated: the header length says \(headerLength) bytes, but only \(fileSize - 8) follow")
        }
        let headerBytes = try source.bytes(at: 8, count: headerLength)
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail(.malformed, "bad header: expected a JSON object starting with '{'")
        }
        guard String(validating: headerBytes, as: UTF8.self) != nil else {
            throw fail(.malformed, "bad header: not valid UTF-8")
        }
        let value: LiteralValue
        do {
            value = try LiteralParser.parse(headerBytes, dialect: .json)
        } catch let e as LiteralParseError {
            throw fail(.malformed, "bad header: \(e.description)")
        }
        guard case .dictionary(let top) = value else { throw fail(.malformed, "bad header: expected a JSON object") }

        var metadata = [String: String]()
        var entries = [Entry]()
        for (key, item) in top {
            if key == "__metadata__" {
                metadata = try parseMetadata(item, fail: fail)
            } else {
                entries.append(try parseEntry(name: key, item, fail: fail))
            }
        }

        // The tensors must tile the data section exactly (see the type's documentation).
        let dataStart = 8 + headerLength
        let dataLength = fileSize - dataStart
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        var previous: Entry? = nil
        for e in entries {
            if e.begin != expectedBegin {
                let after = previous.map { "the previous tensor \($0.quotedName) ends at \(expectedBegin)" } ?? "data starts at 0"
                let what = e.begin < expectedBegin ? "overlapping tensors" : "gap between tensors"
                throw fail(.malformed, "\(what): tensor \(e.quotedName) begins at byte \(e.begin), but \(after)")
            }
            var bytes = e.elementSize
            for n in e.shape {
                let (p, overflow) = bytes.multipliedReportingOverflow(by: n)
                if overflow { throw fail(.malformed, "tensor \(e.quotedName): shape \(e.shapeText) is too large") }
                bytes = p
            }
            if e.end - e.begin != bytes {
                throw fail(.malformed, "tensor \(e.quotedName): shape \(e.shapeText) of \(e.dtype) needs \(bytes) bytes, but data_offsets [\(e.begin), \(e.end)] span \(e.end - e.begin)")
            }
            if e.end > dataLength {
                throw fail(.malformed, "truncated: tensor \(e.quotedName) ends at data byte \(e.end), but the file has only \(dataLength) data bytes")
            }
            expectedBegin = e.end
            previous = e
        }
        if expectedBegin != dataLength {
            throw fail(.malformed, "data size mismatch: the tensors cover \(expectedBegin) bytes, but the file has \(dataLength) data bytes")
        }

        // Every tensor must be readable, and all of them together must fit in memory, before any is decoded.
        var floatElements = 0, doubleElements = 0
        for e in entries {
            guard let type = readableTypes[e.dtype] else {
                throw fail(.unsupported, "tensor \(e.quotedName) has dtype \(e.dtype); expected F32, F64, F16 or BF16")
            }
            guard e.shape.count <= 2 else {
                throw fail(.unsupported, "tensor \(e.quotedName) has \(e.shape.count)-D shape \(e.shapeText); expected at most 2 dimensions")
            }
            // Cannot overflow: each count is at most the tensor's byte size, and the byte sizes tile the file.
            let count = (e.end - e.begin) / e.elementSize
            if type == .float64 { doubleElements += count } else { floatElements += count }
        }
        try checkDecodedSize(elements: floatElements + 2 * doubleElements, stride: MemoryLayout<Float>.stride,
                             typeName: doubleElements == 0 ? "float32" : "float32 and float64", file: file)

        var result = SafetensorsFile(metadata: metadata)
        for e in entries {
            guard let type = readableTypes[e.dtype] else { continue }  // refused above
            let rows = e.shape.count == 2 ? e.shape[0] : 1
            let columns = e.shape.last ?? 1
            let count = rows * columns
            if type == .float64 {
                let (elements, _) = try readElements(source, at: dataStart + e.begin, count: count, type: type,
                                                     order: .little, as: Double.self)
                result.doubleTensors[e.name] = Matrix(rows: rows, columns: columns, elements: elements)
            } else {
                let (elements, _) = try readElements(source, at: dataStart + e.begin, count: count, type: type,
                                                     order: .little, as: Float.self)
                result.tensors[e.name] = Matrix(rows: rows, columns: columns, elements: elements)
            }
        }
        return result
    }

    private static func parseMetadata(_ item: LiteralValue, fail: (FileError.Kind, String) -> FileError) throws -> [String: String] {
        if case .none = item { return [:] }
        guard case .dictionary(let pairs) = item else {
            throw fail(.malformed, "bad header: '__metadata__' should be an object of strings, found \(item.kindName)")
        }
        var metadata = [String: String]()
        for (key, value) in pairs {
            guard case .string(let s) = value else {
                throw fail(.malformed, "bad header: metadata '\(excerpt(key, limit: 40))' should be a string, found \(value.kindName)")
            }
            metadata[key] = s
        }
        return metadata
    }

    private static func parseEntry(name: String, _ item: LiteralValue,
                                   fail: (FileError.Kind, String) -> FileError) throws -> Entry {
        let quotedName = "'\(excerpt(name, limit: 40))'"
        guard case .dictionary(let fields) = item else {
            throw fail(.malformed, "bad header: tensor \(quotedName) should be an object, found \(item.kindName)")
        }
        var found = [String: LiteralValue]()
        for (key, value) in fields { found[key] = value }  // the parser has refused duplicate keys
        guard let dtypeValue = found["dtype"], let shapeValue = found["shape"], let offsetsValue = found["data_offsets"],
              found.count == 3 else {
            throw fail(.malformed, "bad header: tensor \(quotedName) should have exactly the fields dtype, shape, data_offsets; found \(excerpt(fields.map(\.key).joined(separator: ", ")))")
        }
        guard case .string(let dtype) = dtypeValue, let elementSize = dtypeSizes[dtype] else {
            throw fail(.malformed, "bad header: tensor \(quotedName) has an unknown dtype")
        }
        func integers(_ key: String, _ value: LiteralValue) throws -> [Int] {
            guard case .list(let items) = value else {
                throw fail(.malformed, "bad header: tensor \(quotedName): \(key) should be a list of integers")
            }
            return try items.map {
                guard case .integer(let n) = $0, n >= 0 else {
                    throw fail(.malformed, "bad header: tensor \(quotedName): \(key) should contain non-negative integers")
                }
                return n
            }
        }
        let shape = try integers("shape", shapeValue)
        let offsets = try integers("data_offsets", offsetsValue)
        guard offsets.count == 2 else {
            throw fail(.malformed, "bad header: tensor \(quotedName): data_offsets should be [begin, end], found \(offsets.count) numbers")
        }
        guard offsets[0] <= offsets[1] else {
            throw fail(.malformed, "tensor \(quotedName): data_offsets [\(offsets[0]), \(offsets[1])] end before they begin")
        }
        return Entry(name: name, dtype: dtype, elementSize: elementSize, shape: shape, begin: offsets[0], end: offsets[1])
    }

    // MARK: Writing

    /// Writes the file atomically (see `AtomicFile`).
    public func write(to url: URL) throws {
        let (header, ordered) = try layout(file: url.path)
        try AtomicFile.write(to: url) { writer in
            try writer.append(Data(header))
            for item in ordered {
                switch item {
                case .float(let m): try appendLittleEndian(m, to: &writer)
                case .double(let m): try appendLittleEndian(m, to: &writer)
                }
            }
        }
    }

    /// The bytes of the file.
    public func encode() throws -> Data {
        var data = Data()
        let (header, ordered) = try layout(file: "safetensors")
        data.append(contentsOf: header)
        for item in ordered {
            switch item {
            case .float(let m): m.elements.withUnsafeBytes { data.append(contentsOf: $0) }
            case .double(let m): m.elements.withUnsafeBytes { data.append(contentsOf: $0) }
            }
        }
        return data
    }

    private enum Stored {
        case float(Matrix<Float>)
        case double(Matrix<Double>)
    }

    /// The length-prefixed, padded header and the tensors in file order.
    private func layout(file: String) throws -> (header: [UInt8], ordered: [Stored]) {
        if let clash = tensors.keys.first(where: { doubleTensors[$0] != nil }) {
            throw FileError(.invalidValue, file: file, "tensor name '\(excerpt(clash, limit: 40))' is used for both a Float and a Double tensor")
        }
        if tensors["__metadata__"] != nil || doubleTensors["__metadata__"] != nil {
            throw FileError(.invalidValue, file: file, "'__metadata__' is reserved and cannot name a tensor")
        }
        // Larger dtypes first, then by name: the reference writer's order.
        var items: [(name: String, dtype: String, shape: (Int, Int), bytes: Int, stored: Stored)] = []
        for (name, m) in doubleTensors.sorted(by: { $0.key < $1.key }) {
            items.append((name, "F64", (m.rows, m.columns), m.count * 8, .double(m)))
        }
        for (name, m) in tensors.sorted(by: { $0.key < $1.key }) {
            items.append((name, "F32", (m.rows, m.columns), m.count * 4, .float(m)))
        }
        var json = "{"
        var parts = [String]()
        if !metadata.isEmpty {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\(jsonQuoted($0.key)):\(jsonQuoted($0.value))" }
            parts.append("\"__metadata__\":{" + fields.joined(separator: ",") + "}")
        }
        var offset = 0
        for item in items {
            parts.append("\(jsonQuoted(item.name)):{\"dtype\":\"\(item.dtype)\",\"shape\":[\(item.shape.0),\(item.shape.1)],\"data_offsets\":[\(offset),\(offset + item.bytes)]}")
            offset += item.bytes
        }
        json += parts.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        return (bytes + header, items.map(\.stored))
    }
}
