// Level-1 and level-2 BLAS-style operations (dot, axpy, scal, nrm2, gemv) and row/column reductions on
// `Matrix`, for Float and Double, with SIMD inner loops.
//
// The functions are `@inlinable` generics so that the caller's module specialises them for its concrete
// element type (a generic SIMD loop that is not specialised would go through witness tables per element).
// Reductions use a fixed number of SIMD lanes summed in a fixed order, so a result never depends on the
// thread count; the parallel ones split work into fixed blocks that each own their outputs.

/// SIMD width used by the vector loops: 16 lanes (one zmm register of Float in the native build; the
/// compiler splits it into several registers for Double or SSE2).
@usableFromInline typealias VectorChunk<S: SIMDScalar> = SIMD16<S>

/// `acc += a * b` for the vector loops: fused in `SUE_FMA` builds, plain otherwise (see MicroKernel.swift).
@inlinable @inline(__always)
func vectorMultiplyAdd<S: MatrixScalar>(_ acc: inout VectorChunk<S>, _ a: VectorChunk<S>, _ b: VectorChunk<S>) {
    #if SUE_FMA
    acc.addProduct(a, b)
    #else
    acc += a * b
    #endif
}

@inlinable @inline(__always)
func loadChunk<S: MatrixScalar>(_ p: UnsafePointer<S>) -> VectorChunk<S> {
    UnsafeRawPointer(p).loadUnaligned(as: VectorChunk<S>.self)
}

@inlinable @inline(__always)
func storeChunk<S: MatrixScalar>(_ v: VectorChunk<S>, _ p: UnsafeMutablePointer<S>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: VectorChunk<S>.self)
}

// MARK: - Level 1

/// `xᵀy` over `count` elements. Two SIMD accumulators (32 lanes) summed pairwise at the end: besides
/// the speed, this blocked summation has a smaller error bound than a single running sum.
@inlinable
public func dot<S: MatrixScalar>(_ x: UnsafePointer<S>, _ y: UnsafePointer<S>, count n: Int) -> S {
    let w = VectorChunk<S>.scalarCount
    var s0 = VectorChunk<S>(), s1 = VectorChunk<S>()
    var i = 0
    while i + 2 * w <= n {
        vectorMultiplyAdd(&s0, loadChunk(x + i), loadChunk(y + i))
        vectorMultiplyAdd(&s1, loadChunk(x + i + w), loadChunk(y + i + w))
        i += 2 * w
    }
    if i + w <= n {
        vectorMultiplyAdd(&s0, loadChunk(x + i), loadChunk(y + i))
        i += w
    }
    var tail: S = 0
    while i < n {
        tail += x[i] * y[i]
        i += 1
    }
    return (s0 + s1).sum() + tail
}

/// `xᵀy` of two arrays of equal length.
@inlinable
public func dot<S: MatrixScalar>(_ x: [S], _ y: [S]) -> S {
    precondition(x.count == y.count, "dot: x has \(x.count) elements, y has \(y.count)")
    return x.withUnsafeBufferPointer { xb in y.withUnsafeBufferPointer { yb in
        guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return 0 }
        return dot(xp, yp, count: x.count)
    } }
}

/// Σ xᵢ over `count` elements (two SIMD accumulators, summed in a fixed order).
@inlinable
public func sum<S: MatrixScalar>(_ x: UnsafePointer<S>, count n: Int) -> S {
    let w = VectorChunk<S>.scalarCount
    var s0 = VectorChunk<S>(), s1 = VectorChunk<S>()
    var i = 0
    while i + 2 * w <= n {
        s0 += loadChunk(x + i)
        s1 += loadChunk(x + i + w)
        i += 2 * w
    }
    var tail: S = 0
    while i < n {
        tail += x[i]
        i += 1
    }
    return (s0 + s1).sum() + tail
}

/// `y = alpha · x + y` over `count` elements.
@inlinable
public func axpy<S: MatrixScalar>(_ alpha: S, _ x: UnsafePointer<S>, _ y: UnsafeMutablePointer<S>, count n: Int) {
    let w = VectorChunk<S>.scalarCount
    let a = VectorChunk<S>(repeating: alpha)
    var i = 0
    while i + w <= n {
        var v = loadChunk(UnsafePointer(y + i))
        vectorMultiplyAdd(&v, a, loadChunk(x + i))
        storeChunk(v, y + i)
        i += w
    }
    while i < n {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// `y = alpha · x + y` for arrays of equal length.
@inlinable
public func axpy<S: MatrixScalar>(_ alpha: S, _ x: [S], _ y: inout [S]) {
    precondition(x.count == y.count, "axpy: x has \(x.count) elements, y has \(y.count)")
    x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
        guard let xp = xb.baseAddress, let yp = yb.baseAddress else { return }
        axpy(alpha, xp, yp, count: xb.count)
    } }
}

/// `x = alpha · x` over `count` elements.
@inlinable
public func scal<S: MatrixScalar>(_ alpha: S, _ x: UnsafeMutablePointer<S>, count n: Int) {
    let w = VectorChunk<S>.scalarCount
    var i = 0
    while i + w <= n {
        storeChunk(loadChunk(UnsafePointer(x + i)) * alpha, x + i)
        i += w
    }
    while i < n {
        x[i] *= alpha
        i += 1
    }
}

/// `x = alpha · x`.
@inlinable
public func scal<S: MatrixScalar>(_ alpha: S, _ x: inout [S]) {
    x.withUnsafeMutableBufferPointer { xb in
        guard let xp = xb.baseAddress else { return }
        scal(alpha, xp, count: xb.count)
    }
}

/// The largest |x_i| (0 for an empty vector; NaNs are skipped here and caught by the caller's sum).
@inlinable
func maxMagnitude<S: MatrixScalar>(_ x: UnsafePointer<S>, count n: Int) -> S {
    let w = VectorChunk<S>.scalarCount
    var m = VectorChunk<S>()
    var i = 0
    while i + w <= n {
        let v = loadChunk(x + i)
        m = pointwiseMax(m, pointwiseMax(v, -v))
        i += w
    }
    var result = m.max()
    while i < n {
        result = Swift.max(result, Swift.abs(x[i]))
        i += 1
    }
    return result
}

/// The Euclidean norm ‖x‖₂ = sqrt(Σ xᵢ²), scaled so that it neither overflows nor underflows.
///
/// Squaring directly fails at the extremes: in Double, x = (1e200, 1e200) would give sqrt(inf) = inf,
/// and x = (1e-200, 1e-200) would give sqrt(0) = 0, although ‖x‖ = 1.414e±200 is representable. Like
/// LAPACK's `dnrm2` (which uses a one-pass scaled sum of squares, and since 3.10 Blue's algorithm: J. L.
/// Blue, "A portable Fortran program to find the Euclidean norm of a vector", ACM TOMS 4(1), 1978), we
/// scale before squaring. We do it in two vectorisable passes: find M = max |xᵢ|, then sum (xᵢ·s)² with
/// s = 2^-e the power of two nearest 1/M (capped for subnormal M; multiplying by a power of two is exact), and return
/// sqrt(sum) / s. The scaled values are at most 1 and the sum at most n, so nothing overflows, and the
/// components that underflow when scaled are below ε·M, too small to change the result. Returns +inf if
/// some |xᵢ| is infinite, NaN if some xᵢ is NaN (and no component is infinite).
@inlinable
public func nrm2<S: MatrixScalar>(_ x: UnsafePointer<S>, count n: Int) -> S {
    let largest = maxMagnitude(x, count: n)
    if largest == 0 || !largest.isFinite {
        // All zeros (or NaNs hidden by the max), or an infinite component.
        return largest == 0 ? sumOfSquares(x, count: n, scale: 1) : largest
    }
    // For subnormal M, 1/M is not representable: cap the scale at the largest power of two (the scaled
    // values are then still far from underflow when squared).
    let scale = S(sign: .plus, exponent: Swift.min(-largest.exponent, S.greatestFiniteMagnitude.exponent),
                  significand: 1)
    return sumOfSquares(x, count: n, scale: scale).squareRoot() / scale
}

/// Σ (xᵢ · scale)². With scale = 1 and all-zero input this is 0, and NaN if the input holds NaNs.
@inlinable
func sumOfSquares<S: MatrixScalar>(_ x: UnsafePointer<S>, count n: Int, scale: S) -> S {
    let w = VectorChunk<S>.scalarCount
    var s0 = VectorChunk<S>(), s1 = VectorChunk<S>()
    var i = 0
    while i + 2 * w <= n {
        let v0 = loadChunk(x + i) * scale, v1 = loadChunk(x + i + w) * scale
        vectorMultiplyAdd(&s0, v0, v0)
        vectorMultiplyAdd(&s1, v1, v1)
        i += 2 * w
    }
    var tail: S = 0
    while i < n {
        let v = x[i] * scale
        tail += v * v
        i += 1
    }
    return (s0 + s1).sum() + tail
}

/// ‖x‖₂ of an array (see `nrm2(_:count:)` for the scaling).
@inlinable
public func nrm2<S: MatrixScalar>(_ x: [S]) -> S {
    x.withUnsafeBufferPointer { xb in xb.baseAddress.map { nrm2($0, count: xb.count) } ?? 0 }
}

// MARK: - Level 2

/// `y = alpha · op(A) · x + beta · y` (GEMV). op(A) is A (m×n, x has n elements, y has m) or Aᵀ (x has m
/// elements, y has n). When `beta == 0`, y is not read.
///
/// op(A) = A: each yᵢ is a dot product with row i, rows in parallel blocks. op(A) = Aᵀ: y is a linear
/// combination of the rows of A, `y = alpha Σᵢ xᵢ A[i, :]`; y is cut into fixed column blocks run in
/// parallel, and each block accumulates the rows in increasing i. Either way every yⱼ is computed the same
/// way for any thread count.
@inlinable
public func gemv<S: MatrixScalar>(_ trans: Transpose, alpha: S = 1, _ a: MatrixView<S>, _ x: UnsafePointer<S>,
                                  beta: S = 0, _ y: UnsafeMutablePointer<S>) {
    let parallel = a.rows * a.columns >= 1 << 16
    if trans == .none {
        let block = 64
        let body = { (b: Int) in
            for i in (b * block)..<min(a.rows, (b + 1) * block) {
                let s = alpha * dot(a.row(i), x, count: a.columns)
                y[i] = beta == 0 ? s : s + beta * y[i]
            }
        }
        let blocks = (a.rows + block - 1) / block
        if parallel { Parallel.forEach(blocks, body) } else { for b in 0..<blocks { body(b) } }
    } else {
        let block = 512
        let body = { (b: Int) in
            let columns = (b * block)..<min(a.columns, (b + 1) * block)
            withUnsafeTemporaryAllocation(of: S.self, capacity: columns.count) { sums in
                let acc = sums.baseAddress!
                acc.initialize(repeating: 0, count: columns.count)
                for i in 0..<a.rows { axpy(x[i], a.row(i) + columns.lowerBound, acc, count: columns.count) }
                for (q, j) in columns.enumerated() {
                    y[j] = beta == 0 ? alpha * acc[q] : alpha * acc[q] + beta * y[j]
                }
            }
        }
        let blocks = (a.columns + block - 1) / block
        if parallel { Parallel.forEach(blocks, body) } else { for b in 0..<blocks { body(b) } }
    }
}

extension Matrix {
    /// `op(self) · x` as a new array (GEMV with alpha = 1, beta = 0).
    @inlinable
    public func multiply(_ trans: Transpose = .none, vector x: [Scalar]) -> [Scalar] {
        let (inputs, outputs) = trans == .none ? (columns, rows) : (rows, columns)
        precondition(x.count == inputs, "Matrix.multiply(vector:): matrix is \(rows)×\(columns)"
                     + (trans == .none ? "" : "ᵀ") + ", vector has \(x.count) elements, expected \(inputs)")
        var y = [Scalar](repeating: 0, count: outputs)
        withView { av in x.withUnsafeBufferPointer { xb in y.withUnsafeMutableBufferPointer { yb in
            guard let yp = yb.baseAddress else { return }
            gemv(trans, av, xb.baseAddress ?? UnsafePointer(yp), yp)
        } } }
        return y
    }

    // MARK: - Reductions

    /// ‖A‖_F = sqrt(Σᵢⱼ aᵢⱼ²), with the overflow/underflow-safe scaling of `nrm2`.
    @inlinable
    public var frobeniusNorm: Scalar {
        elements.withUnsafeBufferPointer { b in b.baseAddress.map { nrm2($0, count: b.count) } ?? 0 }
    }

    /// Calls `body(i, row)` for every row, in parallel over fixed row blocks when the matrix is large.
    @inlinable
    func forEachRow(_ body: (Int, UnsafePointer<Scalar>) -> Void) {
        withView { v in
            let block = 64
            let blocks = (rows + block - 1) / block
            func run(_ b: Int) {
                for i in (b * block)..<Swift.min(v.rows, (b + 1) * block) { body(i, v.row(i)) }
            }
            if rows * columns >= 1 << 16 { Parallel.forEach(blocks, run) } else { for b in 0..<blocks { run(b) } }
        }
    }

    /// Σⱼ aᵢⱼ for each row i (e.g. the degrees of a dense affinity matrix).
    @inlinable
    public func rowSums() -> [Scalar] {
        var out = [Scalar](repeating: 0, count: rows)
        out.withUnsafeMutableBufferPointer { o in
            guard let sums = o.baseAddress else { return }
            forEachRow { i, row in sums[i] = sum(row, count: columns) }
        }
        return out
    }

    /// ‖row i‖₂ for each row (scaled as in `nrm2`).
    @inlinable
    public func rowNorms() -> [Scalar] {
        var out = [Scalar](repeating: 0, count: rows)
        out.withUnsafeMutableBufferPointer { o in
            guard let norms = o.baseAddress else { return }
            forEachRow { i, row in norms[i] = nrm2(row, count: columns) }
        }
        return out
    }

    /// Each row divided by its Euclidean norm (cosine-similarity preprocessing). All-zero rows stay zero
    /// rather than becoming NaN (their cosine with anything is then 0, which ranks them in the middle).
    ///
    /// Float rows accumulate their squares in Double (a Float sum of d squares has an error bound of about
    /// d·2⁻²⁴ relative, and a Float square cannot overflow a Double) and are scaled by the reciprocal norm
    /// rounded once to Float. Double rows use the scaled `nrm2`, which cannot overflow. A norm so small that
    /// its reciprocal overflows (subnormal rows) divides instead. Rows are processed in fixed chunks, so the
    /// result is the same for any thread count.
    @inlinable
    public func normalizedRows() -> Matrix {
        var out = self
        out.normalizeRows()
        return out
    }

    /// Divides each row by its Euclidean norm in place: `normalizedRows()` without the copy (for matrices too
    /// large to hold twice).
    @inlinable
    public mutating func normalizeRows() {
        let cols = columns
        let rows = self.rows
        withMutableView { v in
            Parallel.forEachChunk(rows, chunk: 512) { range in
                for i in range {
                    let row = v.row(i)
                    if Scalar.self == Float.self {
                        var s = 0.0
                        for j in 0..<cols { let x = Double(row[j]); s += x * x }
                        guard s > 0 else { continue }
                        let norm = s.squareRoot()
                        let reciprocal = Scalar(1 / norm)
                        if reciprocal.isFinite {
                            for j in 0..<cols { row[j] *= reciprocal }
                        } else {
                            for j in 0..<cols { row[j] = Scalar(Double(row[j]) / norm) }
                        }
                    } else {
                        let norm = nrm2(UnsafePointer(row), count: cols)
                        guard norm > 0 else { continue }
                        let reciprocal = 1 / norm
                        if reciprocal.isFinite {
                            scal(reciprocal, row, count: cols)
                        } else {
                            for j in 0..<cols { row[j] /= norm }
                        }
                    }
                }
            }
        }
    }

    /// The position and value of the first NaN or ±∞ in row-major order, or `nil` if every element is finite.
    ///
    /// A branch-free test per block of 1 024 elements finds *whether* the block holds a bad value (NaN and ±∞
    /// are the values whose x − x is not 0); only then is the block searched for the exact position. The
    /// common all-finite case thus runs at memory speed, cheap enough to check every input matrix.
    @inlinable
    public func firstNonFinite() -> (row: Int, column: Int, value: Scalar)? {
        guard columns > 0 else { return nil }
        let found: Int? = elements.withUnsafeBufferPointer { buffer in
            let block = 1024
            var start = 0
            while start < buffer.count {
                let end = min(start + block, buffer.count)
                var allFinite = true
                for i in start..<end { allFinite = allFinite && (buffer[i] - buffer[i] == 0) }
                if !allFinite { return (start..<end).first { !buffer[$0].isFinite } }
                start = end
            }
            return nil
        }
        return found.map { ($0 / columns, $0 % columns, elements[$0]) }
    }

    /// The mean of each column. Requires at least one row.
    @inlinable
    public func columnMeans() -> [Scalar] {
        precondition(rows > 0, "columnMeans: the matrix has no rows")
        var sums = [Scalar](repeating: 0, count: columns)
        // Rows accumulated in increasing order into the column sums: the same order on any thread count.
        sums.withUnsafeMutableBufferPointer { s in
            guard let acc = s.baseAddress else { return }
            withView { v in for i in 0..<rows { axpy(1, v.row(i), acc, count: columns) } }
            scal(1 / Scalar(rows), acc, count: columns)
        }
        return sums
    }

    /// `self` with `means[j]` subtracted from every element of column j (pass `columnMeans()` to centre).
    @inlinable
    public func centered(by means: [Scalar]) -> Matrix {
        precondition(means.count == columns, "centered(by:): \(means.count) means for \(columns) columns")
        var out = self
        let cols = columns
        means.withUnsafeBufferPointer { mb in
            guard let m = mb.baseAddress else { return }
            out.withMutableView { v in forEachRow { i, _ in axpy(-1, m, v.row(i), count: cols) } }
        }
        return out
    }
}
