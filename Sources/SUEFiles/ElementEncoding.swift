import LinearAlgebra

/// The floating-point element types the file formats can carry (the byte order is `StoredByteOrder`).
public enum StoredElementType: String, Sendable, CaseIterable {
    /// IEEE 754 binary16, bfloat16 (the upper half of a binary32), binary32 and binary64.
    case float16, bfloat16, float32, float64

    /// Bytes per stored element: 2, 4 or 8.
    public var byteCount: Int {
        switch self {
        case .float16, .bfloat16: return 2
        case .float32: return 4
        case .float64: return 8
        }
    }

    /// The stored type that holds `S` exactly.
    public static func exact<S: MatrixScalar>(for: S.Type) -> StoredElementType {
        S.self == Double.self ? .float64 : .float32
    }
}

/// The order of the bytes within each stored element. NumPy writes the machine's own order and says which
/// in the type string (`<f4` little-endian, `>f4` big-endian); safetensors is always little-endian.
public enum StoredByteOrder: String, Sendable, CaseIterable {
    /// Least significant byte first (`<`): x86, ARM, and everything this package writes.
    case little
    /// Most significant byte first (`>`): files from big-endian machines or from `a.astype('>f4')`.
    case big

    /// This machine's own order, in which values are laid out in memory.
    static var host: StoredByteOrder { 1.littleEndian == 1 ? .little : .big }
}

/// Decodes stored elements of `type` in byte order `order` from `raw` into `out` (as many as `out` holds;
/// `raw` must hold at least `out.count × type.byteCount` bytes, which the callers have checked against the
/// header). Returns the index and stored value of the first element that was finite in the file but is ±Inf
/// in `out` — a float64 beyond `Float.greatestFiniteMagnitude` read as `Float` — so that the caller can report
/// it with its row and column rather than let it pass as an infinity the file does not hold; `nil` if none.
///
/// When the stored layout equals `S`'s in memory this is a single copy. Otherwise each element is widened or
/// narrowed by IEEE rules (round to nearest).
func decodeElements<S: MatrixScalar>(_ raw: UnsafeRawBufferPointer, type: StoredElementType, order: StoredByteOrder,
                                     into out: UnsafeMutableBufferPointer<S>) -> (index: Int, value: Double)? {
    guard let base = out.baseAddress, out.count > 0 else { return nil }
    // Re-typed through the concrete element types: a generic per-element `S(x)` would not be specialised
    // here and would cost a dynamic call per element; `decode(_:type:order:into:)` is specialised twice.
    if S.self == Float.self {
        let floats = UnsafeMutableRawPointer(base).assumingMemoryBound(to: Float.self)
        return decode(raw, type: type, order: order, into: UnsafeMutableBufferPointer(start: floats, count: out.count))
    } else {
        precondition(S.self == Double.self, "MatrixScalar is Float or Double")
        let doubles = UnsafeMutableRawPointer(base).assumingMemoryBound(to: Double.self)
        return decode(raw, type: type, order: order, into: UnsafeMutableBufferPointer(start: doubles, count: out.count))
    }
}

@inline(__always)
private func decode<T: BinaryFloatingPoint>(_ raw: UnsafeRawBufferPointer, type: StoredElementType, order: StoredByteOrder,
                                            into out: UnsafeMutableBufferPointer<T>) -> (index: Int, value: Double)? {
    let count = out.count
    let little = order == .little
    if order == .host && ((type == .float32 && T.self == Float.self) || (type == .float64 && T.self == Double.self)) {
        UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: count * type.byteCount)
        return nil
    }
    func bits16(_ i: Int) -> UInt16 {
        let v = raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
        return little ? UInt16(littleEndian: v) : UInt16(bigEndian: v)
    }
    switch type {
    case .float16: for i in 0..<count { out[i] = T(floatFromHalfBits(bits16(i))) }
    case .bfloat16: for i in 0..<count { out[i] = T(floatFromBFloat16Bits(bits16(i))) }
    case .float32:
        for i in 0..<count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
            out[i] = T(Float(bitPattern: little ? UInt32(littleEndian: v) : UInt32(bigEndian: v)))
        }
    case .float64:
        var firstOverflow: (index: Int, value: Double)? = nil
        for i in 0..<count {
            let v = raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)
            let stored = Double(bitPattern: little ? UInt64(littleEndian: v) : UInt64(bigEndian: v))
            let converted = T(stored)
            out[i] = converted
            if T.self == Float.self && converted.isInfinite && stored.isFinite && firstOverflow == nil { firstOverflow = (i, stored) }
        }
        return firstOverflow
    }
    return nil
}

/// Reads `count` stored elements of `type` in `order` starting at byte `offset` of `source` and decodes them
/// into `[S]`. The stored bytes pass through a buffer of about a megabyte, so that reading needs memory for
/// the result only; when the stored layout already is `S`'s they are read straight into the result.
/// Returns the elements and, as `decodeElements` does, the first float64 that overflowed `Float`.
func readElements<S: MatrixScalar>(_ source: any ByteSource, at offset: Int, count: Int, type: StoredElementType,
                                   order: StoredByteOrder, as: S.Type) throws -> (elements: [S], overflow: (index: Int, value: Double)?) {
    var firstOverflow: (index: Int, value: Double)? = nil
    let elements = try [S](unsafeUninitializedCapacity: count) { out, initialized in
        if order == .host && type == .exact(for: S.self) {
            try source.read(into: UnsafeMutableRawBufferPointer(out), at: offset)
            initialized = count
            return
        }
        let elementBytes = type.byteCount
        let piece = max(1, (1 << 20) / elementBytes)
        var scratch = [UInt8](repeating: 0, count: min(count, piece) * elementBytes)
        var done = 0
        while done < count {
            let n = min(piece, count - done)
            try scratch.withUnsafeMutableBytes { buffer in
                let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(n * elementBytes)])
                try source.read(into: bytes, at: offset + done * elementBytes)
                let overflow = decodeElements(UnsafeRawBufferPointer(bytes), type: type, order: order,
                                              into: UnsafeMutableBufferPointer(rebasing: out[done..<(done + n)]))
                if let overflow, firstOverflow == nil { firstOverflow = (done + overflow.index, overflow.value) }
            }
            done += n
        }
        initialized = count
    }
    return (elements, firstOverflow)
}

/// The message for a float64 value that has no float32 counterpart, quoting the value and its position.
func float32RangeProblem(_ value: Double, row: Int, column: Int) -> String {
    "the value \(value) at row \(row), column \(column) is beyond float32's range (±3.4e38) and must be rescaled"
}

/// Appends the elements of `matrix` in their own precision (float32 for `Float`, float64 for `Double`),
/// little-endian, row-major, straight from the matrix storage.
func appendLittleEndian<S: MatrixScalar>(_ matrix: Matrix<S>, to writer: inout AtomicFile.Writer) throws {
    #if _endian(little)
    try matrix.elements.withUnsafeBytes { try writer.append($0) }
    #else
    var bytes = [UInt8]()
    bytes.reserveCapacity(matrix.count * MemoryLayout<S>.size)
    if let floats = matrix.elements as? [Float] {
        for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    } else if let doubles = matrix.elements as? [Double] {
        for d in doubles { withUnsafeBytes(of: d.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    }
    try bytes.withUnsafeBytes { try writer.append($0) }
    #endif
}
