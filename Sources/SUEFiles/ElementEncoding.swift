import LinearAlgebra

/// The floating-point element types the file formats can carry, all stored little-endian.
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

/// Decodes `count` little-endian elements of `type` from `raw` into `[S]`.
///
/// When the stored type equals the requested one on a little-endian host this is a single `memcpy`.
/// Otherwise each element is widened or narrowed by IEEE rules (round to nearest); narrowing float64 →
/// Float turns magnitudes above `Float.greatestFiniteMagnitude` into ±Inf, which the finiteness check of
/// the caller then reports with its row.
func decodeLittleEndian<S: MatrixScalar>(_ raw: UnsafeRawBufferPointer, type: StoredElementType,
                                         count: Int, as: S.Type) -> [S] {
    precondition(raw.count >= count * type.byteCount)
    // Re-typed through the concrete element types: a generic per-element `S(x)` would not be specialised
    // here and would cost a dynamic call per element; `decode(_:type:count:into:)` is specialised twice.
    if S.self == Float.self {
        return unsafeBitCast(decode(raw, type: type, count: count, into: Float.self), to: [S].self)
    } else {
        precondition(S.self == Double.self, "MatrixScalar is Float or Double")
        return unsafeBitCast(decode(raw, type: type, count: count, into: Double.self), to: [S].self)
    }
}

@inline(__always)
private func decode<T: BinaryFloatingPoint>(_ raw: UnsafeRawBufferPointer, type: StoredElementType, count: Int,
                                            into: T.Type) -> [T] {
    [T](unsafeUninitializedCapacity: count) { out, initialized in
        #if _endian(little)
        let sameLayout = (type == .float32 && T.self == Float.self) || (type == .float64 && T.self == Double.self)
        if sameLayout {
            if count > 0 { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress!, byteCount: count * type.byteCount) }
            initialized = count
            return
        }
        #endif
        func bits16(_ i: Int) -> UInt16 { UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
        switch type {
        case .float16: for i in 0..<count { out[i] = T(floatFromHalfBits(bits16(i))) }
        case .bfloat16: for i in 0..<count { out[i] = T(floatFromBFloat16Bits(bits16(i))) }
        case .float32:
            for i in 0..<count {
                out[i] = T(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))))
            }
        case .float64:
            for i in 0..<count {
                out[i] = T(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
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
