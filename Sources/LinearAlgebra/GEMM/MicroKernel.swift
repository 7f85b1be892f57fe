// The GEMM micro-kernel: the only architecture-specific piece of the matrix multiply.
//
// Everything else in the blocked GEMM (GEMM.swift, Packing.swift) exists to feed this one loop with data
// that is already in cache and laid out exactly as it wants it. This is the structure of GotoBLAS and BLIS:
// K. Goto, R. van de Geijn, "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008;
// F. Van Zee, R. van de Geijn, "BLIS: A framework for rapidly instantiating BLAS functionality", ACM TOMS
// 41(3), 2015; and M. Lehn's ulmBLAS lecture notes, which derive the same design step by step.

/// Scalars the blocked GEMM is instantiated for, with the register-tile geometry of the micro-kernel.
///
/// The micro-kernel computes an `microTileRows × microTileColumns` block of C held entirely in SIMD
/// registers: `microTileRows` rows, each two `Vector`s wide. Register budget:
///  - native (AVX-512, 32 zmm registers): 6 rows × 2 × SIMD16<Float> (or SIMD8<Double>) = 12 accumulators,
///    + 2 for the row of B + 1 broadcast of A. A 6×32 Float tile does 12 independent FMAs per step of k,
///    enough to hide the 4-cycle FMA latency at one zmm FMA per cycle (Zen 4 issues a zmm FMA on its two
///    256-bit pipes at once).
///  - portable (SSE2, 16 xmm registers): 6 rows × 2 × SIMD4<Float> (or SIMD2<Double>) = 12 accumulators,
///    + 2 + 1 = 15 registers.
protocol PackedGEMMScalar: MatrixScalar {
    /// The SIMD vector the micro-kernel accumulates in; a micro-tile row is two of them.
    associatedtype Vector: SIMD where Vector.Scalar == Self
    /// Half of `Vector`, for the unpacked small-product path (SmallGEMM.swift): two of them per row give
    /// as many accumulator chains as one full vector on two rows.
    associatedtype SmallVector: SIMD where SmallVector.Scalar == Self
    /// Depth of one packed panel (the "KC" of BLIS): a KC×NR sliver of B must stay in L1.
    static var depthBlock: Int { get }
    /// Rows of A packed at a time (the "MC" of BLIS): an MC×KC block of A should stay in L2.
    static var rowBlock: Int { get }
    /// Columns of B packed at a time (the "NC" of BLIS): a KC×NC panel of B lives in L3.
    static var columnBlock: Int { get }
    /// Copies of each element of A in the packed sliver: 1, or `Vector.scalarCount` to store it already
    /// broadcast. SSE2 has no broadcast from memory, so a broadcast there is a scalar load plus a shuffle
    /// that competes with the multiplies and adds for the same execution ports; loading a stored broadcast
    /// is one aligned vector load. AVX-512 broadcasts from memory for free, so the native build stores one copy.
    static var packedACopies: Int { get }
}

/// Rows of the register tile (MR). Fixed for all types so that one kernel body serves all of them.
let microTileRows = 6

extension PackedGEMMScalar {
    /// Columns of the register tile (NR): two vectors.
    @inline(__always) static var microTileColumns: Int { 2 * Vector.scalarCount }
}

// Block sizes, measured on AMD EPYC (Zen 4: 32 KiB L1d, 1 MiB L2 per core, 32 MiB shared L3) at n = 2048.
// A deep KC = 512 matters most: C is read and written once per depth panel, and those C accesses
// (rows 8 KiB apart) miss the cache, so fewer panels win even though a 512 × NR sliver of B (64 KiB for
// Float native) no longer fits L1 and streams from L2, which has the bandwidth for it (two vector loads
// per twelve FMAs). MC keeps the packed block of A (MC × KC) within L2.
#if SUE_FMA
extension Float: PackedGEMMScalar {
    typealias Vector = SIMD16<Float>
    typealias SmallVector = SIMD8<Float>
    static var depthBlock: Int { 512 }
    static var rowBlock: Int { 288 }
    static var columnBlock: Int { 4096 }
    static var packedACopies: Int { 1 }
}
extension Double: PackedGEMMScalar {
    typealias Vector = SIMD8<Double>
    typealias SmallVector = SIMD4<Double>
    static var depthBlock: Int { 512 }
    static var rowBlock: Int { 144 }
    static var columnBlock: Int { 2048 }
    static var packedACopies: Int { 1 }
}
#else
extension Float: PackedGEMMScalar {
    typealias Vector = SIMD4<Float>
    typealias SmallVector = SIMD4<Float>
    static var depthBlock: Int { 512 }
    static var rowBlock: Int { 192 }
    static var columnBlock: Int { 4096 }
    static var packedACopies: Int { 4 }
}
extension Double: PackedGEMMScalar {
    typealias Vector = SIMD2<Double>
    typealias SmallVector = SIMD2<Double>
    static var depthBlock: Int { 512 }
    static var rowBlock: Int { 96 }
    static var columnBlock: Int { 2048 }
    static var packedACopies: Int { 2 }
}
#endif

/// `acc += a * b`, fused (one rounding) when the build has FMA, two operations otherwise.
///
/// Without hardware FMA, `addProduct` would be a software call per lane, so the portable build uses the
/// plain form. The choice is per build, never per call, so results are reproducible within a build.
@inline(__always)
func multiplyAdd<V: SIMD>(_ acc: inout V, _ a: V, _ b: V) where V.Scalar: BinaryFloatingPoint {
    #if SUE_FMA
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}

/// Scalar `acc += a * b`, fused exactly when the vector form is (edge columns of the unpacked path).
@inline(__always)
func multiplyAdd<T: FloatingPoint>(_ acc: inout T, _ a: T, _ b: T) {
    #if SUE_FMA
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}

/// Writes one accumulated row of the micro-tile: `c = alpha * acc + beta * c`, with `c` not read when
/// `beta == 0` (so NaNs in an uninitialised C do not propagate, as in the reference BLAS).
@inline(__always)
func storeTileRow<V: SIMD>(_ acc0: V, _ acc1: V, alpha: V.Scalar, beta: V.Scalar,
                           to c: UnsafeMutablePointer<V.Scalar>) where V.Scalar: BinaryFloatingPoint {
    let raw = UnsafeMutableRawPointer(c)
    let width = MemoryLayout<V>.stride
    var r0 = acc0 * alpha, r1 = acc1 * alpha
    if beta == 1 {
        r0 += raw.loadUnaligned(as: V.self)
        r1 += raw.loadUnaligned(fromByteOffset: width, as: V.self)
    } else if beta != 0 {
        r0 += raw.loadUnaligned(as: V.self) * beta
        r1 += raw.loadUnaligned(fromByteOffset: width, as: V.self) * beta
    }
    raw.storeBytes(of: r0, as: V.self)
    raw.storeBytes(of: r1, toByteOffset: width, as: V.self)
}

/// The register-blocked micro-kernel: `C[0..<6, 0..<NR] = alpha * Ã · B̃ + beta * C`.
///
/// - `vector`: the SIMD type to accumulate in (`S.Vector`); NR = 2 · `vector.scalarCount`.
/// - `copies`: `S.packedACopies`, 1 or the number of lanes of `V`.
/// - `a`: a packed sliver of A, `kc` steps of 6 values (column p of the 6 rows, contiguous), each value
///   stored `copies` times in a row (then the sliver is vector-aligned and each value one vector load).
/// - `b`: a packed sliver of B, `kc` steps of NR = 2·Vector.scalarCount values (row p, contiguous),
///   64-byte aligned so each step is two aligned vector loads.
/// - `c`: the top-left element of the tile; rows are `ldc` apart. The full 6×NR tile is written, so edge
///   tiles are computed into a scratch tile by the caller.
///
/// Each step of k is a rank-1 update of the tile: broadcast one element of A per row and multiply it with
/// the two B vectors. The twelve accumulators are separate variables so the compiler keeps them in
/// registers; for each C element the products are summed in increasing p, whatever the thread count.
@inline(__always)
func microKernel<V: SIMD>(_ vector: V.Type, depth kc: Int, copies: Int, _ a: UnsafePointer<V.Scalar>,
                          _ b: UnsafePointer<V.Scalar>,
                          alpha: V.Scalar, beta: V.Scalar, _ c: UnsafeMutablePointer<V.Scalar>, ldc: Int)
where V.Scalar: BinaryFloatingPoint {
    assert(copies == 1 || copies == V.scalarCount, "a stored broadcast fills exactly one vector")
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    let width = MemoryLayout<V>.stride
    var ap = a
    var bp = UnsafeRawPointer(b)
    // Two copies of the loop rather than one with a helper that picks the load: written with such a helper
    // (a nested function over a shared pointer), the portable kernel lost its register allocation and ran
    // about 40 % slower.
    if copies == 1 {
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self)
            let b1 = bp.load(fromByteOffset: width, as: V.self)
            var x = V(repeating: ap[0])
            multiplyAdd(&c00, x, b0); multiplyAdd(&c01, x, b1)
            x = V(repeating: ap[1])
            multiplyAdd(&c10, x, b0); multiplyAdd(&c11, x, b1)
            x = V(repeating: ap[2])
            multiplyAdd(&c20, x, b0); multiplyAdd(&c21, x, b1)
            x = V(repeating: ap[3])
            multiplyAdd(&c30, x, b0); multiplyAdd(&c31, x, b1)
            x = V(repeating: ap[4])
            multiplyAdd(&c40, x, b0); multiplyAdd(&c41, x, b1)
            x = V(repeating: ap[5])
            multiplyAdd(&c50, x, b0); multiplyAdd(&c51, x, b1)
            ap += 6
            bp += 2 * width
        }
    } else {
        // The sliver holds each element already broadcast to a full vector (`copies` == lanes).
        var av = UnsafeRawPointer(a)
        for _ in 0..<kc {
            let b0 = bp.load(as: V.self)
            let b1 = bp.load(fromByteOffset: width, as: V.self)
            var x = av.load(as: V.self)
            multiplyAdd(&c00, x, b0); multiplyAdd(&c01, x, b1)
            x = av.load(fromByteOffset: width, as: V.self)
            multiplyAdd(&c10, x, b0); multiplyAdd(&c11, x, b1)
            x = av.load(fromByteOffset: 2 * width, as: V.self)
            multiplyAdd(&c20, x, b0); multiplyAdd(&c21, x, b1)
            x = av.load(fromByteOffset: 3 * width, as: V.self)
            multiplyAdd(&c30, x, b0); multiplyAdd(&c31, x, b1)
            x = av.load(fromByteOffset: 4 * width, as: V.self)
            multiplyAdd(&c40, x, b0); multiplyAdd(&c41, x, b1)
            x = av.load(fromByteOffset: 5 * width, as: V.self)
            multiplyAdd(&c50, x, b0); multiplyAdd(&c51, x, b1)
            av += 6 * width
            bp += 2 * width
        }
    }
    storeTileRow(c00, c01, alpha: alpha, beta: beta, to: c)
    storeTileRow(c10, c11, alpha: alpha, beta: beta, to: c + ldc)
    storeTileRow(c20, c21, alpha: alpha, beta: beta, to: c + 2 * ldc)
    storeTileRow(c30, c31, alpha: alpha, beta: beta, to: c + 3 * ldc)
    storeTileRow(c40, c41, alpha: alpha, beta: beta, to: c + 4 * ldc)
    storeTileRow(c50, c51, alpha: alpha, beta: beta, to: c + 5 * ldc)
}

