import LinearAlgebra

/// The floating-point element types the file formats can carry, all stored little-endian.
public enum StoredElementType: String, Sendable, CaseIterable {
    case float16, bfloat16, float32, float64

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

/// Decodes `count` little-endian elements of `type` from `raw` into `[S]`.
///
/// The common cases (stored type equal to the requested one on a little-endian host) are a single
/// `memcpy`. Conversions run in concrete `Float`/`Double` loops and are re-typed at the end: a generic
/// per-element `S(x)` would not be specialised here and would cost a dynamic call per element.
/// Narrowing float64 → Float rounds to nearest and turns magnitudes above `Float.greatestFiniteMagnitude`
/// into ±Inf, which the finiteness check of the caller then reports with its row.
func decodeLittleEndian<S: MatrixScalar>(_ raw: UnsafeRawBufferPointer, type: StoredElementType,
                                         count: Int, as: S.Type) -> [S] {
    precondition(raw.count >= count * type.byteCount)
    if S.self == Float.self {
        let floats: [Float] = decodeAsFloat(raw, type: type, count: count)
        return unsafeBitCast(floats, to: [S].self)
    } else {
        precondition(S.self == Double.self, "MatrixScalar is Float or Double")
        let doubles: [Double] = decodeAsDouble(raw, type: type, count: count)
        return unsafeBitCast(doubles, to: [S].self)
    }
}

private func decodeAsFloat(_ raw: UnsafeRawBufferPointer, type: StoredElementType, count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { out, initialized in
        switch type {
        case .float32:
            #if _endian(little)
            if count > 0 { out.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: count * 4) {
                $0.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count * 4) } }
            #else
            for i in 0..<count {
                out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .float64:
            for i in 0..<count {
                out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .float16:
            for i in 0..<count {
                out[i] = floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bfloat16:
            for i in 0..<count {
                out[i] = floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        }
        initialized = count
    }
}

private func decodeAsDouble(_ raw: UnsafeRawBufferPointer, type: StoredElementType, count: Int) -> [Double] {
    [Double](unsafeUninitializedCapacity: count) { out, initialized in
        switch type {
        case .float64:
            #if _endian(little)
            if count > 0 { out.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: count * 8) {
                $0.update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count * 8) } }
            #else
            for i in 0..<count {
                out[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))
            }
            #endif
        case .float32:
            for i in 0..<count {
                out[i] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
        case .float16:
            for i in 0..<count {
                out[i] = Double(floatFromHalfBits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        case .bfloat16:
            for i in 0..<count {
                out[i] = Double(floatFromBFloat16Bits(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
            }
        }
        initialized = count
    }
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
