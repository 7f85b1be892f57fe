/// Small vector kernels shared by the factorisations (dot products, plane rotations, scaled updates).
///
/// They are generic but internal: the module is compiled whole-module in release, so every call from a
/// concrete `Float`/`Double` path is specialised. Reductions use several independent SIMD accumulators
/// because a single scalar accumulator is limited by the add latency (one add every ~4 cycles); the
/// accumulation order is fixed, so results do not depend on thread count.
enum FactorKernels {
    /// `Σ x[i]·y[i]` for `i < count`, accumulated in four SIMD4 lanes-groups then reduced in a fixed order.
    @inline(__always)
    static func dot<S: MatrixScalar>(_ x: UnsafePointer<S>, _ y: UnsafePointer<S>, _ count: Int) -> S {
        var a0 = SIMD4<S>(), a1 = SIMD4<S>(), a2 = SIMD4<S>(), a3 = SIMD4<S>()
        var i = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        let stride = MemoryLayout<S>.stride
        while i + 16 <= count {
            let o = i * stride
            #if SUE_FMA
            a0.addProduct(rx.loadUnaligned(fromByteOffset: o, as: SIMD4<S>.self),
                          ry.loadUnaligned(fromByteOffset: o, as: SIMD4<S>.self))
            a1.addProduct(rx.loadUnaligned(fromByteOffset: o + 4 * stride, as: SIMD4<S>.self),
                          ry.loadUnaligned(fromByteOffset: o + 4 * stride, as: SIMD4<S>.self))
            a2.addProduct(rx.loadUnaligned(fromByteOffset: o + 8 * stride, as: SIMD4<S>.self),
                          ry.loadUnaligned(fromByteOffset: o + 8 * stride, as: SIMD4<S>.self))
            a3.addProduct(rx.loadUnaligned(fromByteOffset: o + 12 * stride, as: SIMD4<S>.self),
                          ry.loadUnaligned(fromByteOffset: o + 12 * stride, as: SIMD4<S>.self))
            #else
            a0 += rx.loadUnaligned(fromByteOffset: o, as: SIMD4<S>.self)
                * ry.loadUnaligned(fromByteOffset: o, as: SIMD4<S>.self)
            a1 += rx.loadUnaligned(fromByteOffset: o + 4 * stride, as: SIMD4<S>.self)
                * ry.loadUnaligned(fromByteOffset: o + 4 * stride, as: SIMD4<S>.self)
            a2 += rx.loadUnaligned(fromByteOffset: o + 8 * stride, as: SIMD4<S>.self)
                * ry.loadUnaligned(fromByteOffset: o + 8 * stride, as: SIMD4<S>.self)
            a3 += rx.loadUnaligned(fromByteOffset: o + 12 * stride, as: SIMD4<S>.self)
                * ry.loadUnaligned(fromByteOffset: o + 12 * stride, as: SIMD4<S>.self)
            #endif
            i += 16
        }
        while i + 4 <= count {
            let o = i * stride
            a0 += rx.loadUnaligned(fromByteOffset: o, as: SIMD4<S>.self)
                * ry.loadUnaligned(fromByteOffset: o, as: SIMD4<S>.self)
            i += 4
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < count { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// Euclidean norm of `x[0..<count]` without overflow or harmful underflow: the vector is scaled by
    /// its largest magnitude first (the scaling is skipped when that magnitude is comfortably in range).
    @inline(__always)
    static func norm<S: MatrixScalar>(_ x: UnsafePointer<S>, _ count: Int) -> S {
        var big: S = 0
        for i in 0..<count { big = max(big, abs(x[i])) }
        if big == 0 || !big.isFinite { return big }
        // Squares of entries in [2^-250, 2^250] (Float: [2^-60, 2^60]) neither overflow nor underflow.
        let safe: S = S.self == Float.self ? 0x1p-60 : 0x1p-250
        if big > safe && big < 1 / safe { return dot(x, x, count).squareRoot() }
        var s: S = 0
        for i in 0..<count { let t = x[i] / big; s += t * t }
        return big * s.squareRoot()
    }

    /// Applies the plane rotation `[x; y] ← [c·x − s·y; s·x + c·y]` to two rows of length `count`.
    @inline(__always)
    static func rotate<S: MatrixScalar>(_ x: UnsafeMutablePointer<S>, _ y: UnsafeMutablePointer<S>,
                                        _ count: Int, c: S, s: S) {
        for k in 0..<count {
            let xk = x[k], yk = y[k]
            x[k] = c * xk - s * yk
            y[k] = s * xk + c * yk
        }
    }

    /// `y[i] += alpha · x[i]`.
    @inline(__always)
    static func axpy<S: MatrixScalar>(_ alpha: S, _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, _ count: Int) {
        for i in 0..<count { y[i] += alpha * x[i] }
    }

    /// Power of two `2^k` closest to `1/maxAbs`, so that multiplying by it is exact and brings the largest
    /// magnitude into `[0.5, 2)`. Used to pre-scale inputs so intermediate squares cannot over/underflow.
    static func scaleToUnit<S: MatrixScalar>(_ maxAbs: S) -> S {
        if maxAbs == 0 || !maxAbs.isFinite { return 1 }
        return S(sign: .plus, exponent: -maxAbs.exponent, significand: 1)
    }
}
