// GEMM without packing, for products where packing does not pay off.
//
// Packing costs a copy of both operands and a few allocations and synchronisations; for a 16×16×16
// product that is more than the arithmetic. And when C is narrower than one register tile (n < NR, e.g.
// the ubiquitous n×768 · 768×16 projection), most of a packed micro-tile would be zero padding. Here C is
// instead computed a few rows at a time straight from A and B: each output row is a linear combination of
// the rows of op(B), `C[i, :] = alpha · Σ_p op(A)[i, p] · op(B)[p, :]`, accumulated in SIMD registers.

/// Rows of C computed together: each loaded vector of B is used six times, and six rows × two vectors
/// give twelve independent accumulator chains, enough to hide the FMA latency.
private let smallRowGroup = 6

/// `C = alpha · op(A) · op(B) + beta · C` computed without packing (see the file comment). Parallel over
/// fixed blocks of rows; every element is a sum over p in increasing order, whatever the thread count.
func smallGEMM<S: PackedGEMMScalar>(_ transA: Transpose, _ transB: Transpose, alpha: S,
                                    _ a: MatrixView<S>, _ b: MatrixView<S>, beta: S, _ c: MutableMatrixView<S>) {
    let n = c.columns
    let k = transA == .none ? a.columns : a.rows
    guard transB == .transposed else {
        smallGEMMRowsOfB(transA, alpha: alpha, a, b, beta: beta, c)
        return
    }
    // op(B) = Bᵀ: make its rows contiguous first (k·n copies against m·n·k multiply-adds).
    let rowMajorB = allocateAligned(S.self, count: k * n)
    defer { rowMajorB.deallocate() }
    for j in 0..<n {
        let source = b.row(j)
        for p in 0..<k { rowMajorB[p * n + j] = source[p] }
    }
    smallGEMMRowsOfB(transA, alpha: alpha, a, MatrixView(base: rowMajorB, rows: k, columns: n, rowStride: n),
                     beta: beta, c)
}

/// `smallGEMM` with op(B) = B (row-major k×n).
private func smallGEMMRowsOfB<S: PackedGEMMScalar>(_ transA: Transpose, alpha: S, _ a: MatrixView<S>,
                                                   _ b: MatrixView<S>, beta: S, _ c: MutableMatrixView<S>) {
    let m = c.rows, n = c.columns, k = b.rows
    // op(A)[i, p] = a.base[i * rowStep + p * depthStep].
    let (rowStep, depthStep) = transA == .none ? (a.rowStride, 1) : (1, a.rowStride)
    let blockRows = 36
    let blocks = (m + blockRows - 1) / blockRows
    let body = { (block: Int) in
        for i0 in stride(from: block * blockRows, to: min(m, (block + 1) * blockRows), by: smallRowGroup) {
            smallRowGroupKernel(S.SmallVector.self, rows: i0..<min(m, i0 + smallRowGroup), depth: k, columns: n,
                                a.base, rowStep: rowStep, depthStep: depthStep, b, alpha: alpha, beta: beta, c)
        }
    }
    if m * n * k >= parallelWorkLimit {
        Parallel.forEach(blocks, body)
    } else {
        for block in 0..<blocks { body(block) }
    }
}

/// Up to six rows of C: column chunks of two vectors, then one vector, then a scalar tail. Missing rows of
/// a short group repeat the last row (computed, never stored), so the loop body is the same for every group.
@inline(__always)
private func smallRowGroupKernel<V: SIMD>(_ vector: V.Type, rows: Range<Int>, depth k: Int, columns n: Int,
                                          _ a: UnsafePointer<V.Scalar>, rowStep: Int, depthStep: Int,
                                          _ b: MatrixView<V.Scalar>, alpha: V.Scalar, beta: V.Scalar,
                                          _ c: MutableMatrixView<V.Scalar>)
where V.Scalar: MatrixScalar {
    let last = rows.upperBound - 1
    let a0 = a + rows.lowerBound * rowStep
    let a1 = a + min(rows.lowerBound + 1, last) * rowStep
    let a2 = a + min(rows.lowerBound + 2, last) * rowStep
    let a3 = a + min(rows.lowerBound + 3, last) * rowStep
    let a4 = a + min(rows.lowerBound + 4, last) * rowStep
    let a5 = a + min(rows.lowerBound + 5, last) * rowStep
    let width = V.scalarCount
    func store(_ s: V, row r: Int, column j: Int) {
        guard r < rows.count else { return }
        let out = UnsafeMutableRawPointer(c.row(rows.lowerBound + r) + j)
        var result = s * alpha
        if beta == 1 {
            result += out.loadUnaligned(as: V.self)
        } else if beta != 0 {
            result += out.loadUnaligned(as: V.self) * beta
        }
        out.storeBytes(of: result, as: V.self)
    }
    var j = 0
    while j + 2 * width <= n {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V()
        var t0 = V(), t1 = V(), t2 = V(), t3 = V(), t4 = V(), t5 = V()
        for p in 0..<k {
            let source = UnsafeRawPointer(b.base + (p &* b.rowStride &+ j))
            let b0 = source.loadUnaligned(as: V.self)
            let b1 = source.loadUnaligned(fromByteOffset: MemoryLayout<V>.stride, as: V.self)
            let q = p &* depthStep
            var x = V(repeating: a0[q])
            multiplyAdd(&s0, x, b0); multiplyAdd(&t0, x, b1)
            x = V(repeating: a1[q])
            multiplyAdd(&s1, x, b0); multiplyAdd(&t1, x, b1)
            x = V(repeating: a2[q])
            multiplyAdd(&s2, x, b0); multiplyAdd(&t2, x, b1)
            x = V(repeating: a3[q])
            multiplyAdd(&s3, x, b0); multiplyAdd(&t3, x, b1)
            x = V(repeating: a4[q])
            multiplyAdd(&s4, x, b0); multiplyAdd(&t4, x, b1)
            x = V(repeating: a5[q])
            multiplyAdd(&s5, x, b0); multiplyAdd(&t5, x, b1)
        }
        store(s0, row: 0, column: j); store(s1, row: 1, column: j)
        store(s2, row: 2, column: j); store(s3, row: 3, column: j)
        store(s4, row: 4, column: j); store(s5, row: 5, column: j)
        store(t0, row: 0, column: j + width); store(t1, row: 1, column: j + width)
        store(t2, row: 2, column: j + width); store(t3, row: 3, column: j + width)
        store(t4, row: 4, column: j + width); store(t5, row: 5, column: j + width)
        j += 2 * width
    }
    if j + width <= n {
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V()
        for p in 0..<k {
            let bv = UnsafeRawPointer(b.base + (p &* b.rowStride &+ j)).loadUnaligned(as: V.self)
            let q = p &* depthStep
            multiplyAdd(&s0, V(repeating: a0[q]), bv)
            multiplyAdd(&s1, V(repeating: a1[q]), bv)
            multiplyAdd(&s2, V(repeating: a2[q]), bv)
            multiplyAdd(&s3, V(repeating: a3[q]), bv)
            multiplyAdd(&s4, V(repeating: a4[q]), bv)
            multiplyAdd(&s5, V(repeating: a5[q]), bv)
        }
        store(s0, row: 0, column: j); store(s1, row: 1, column: j)
        store(s2, row: 2, column: j); store(s3, row: 3, column: j)
        store(s4, row: 4, column: j); store(s5, row: 5, column: j)
        j += width
    }
    while j < n {
        var s0: V.Scalar = 0, s1: V.Scalar = 0, s2: V.Scalar = 0, s3: V.Scalar = 0, s4: V.Scalar = 0, s5: V.Scalar = 0
        for p in 0..<k {
            let bv = b.base[p &* b.rowStride &+ j]
            let q = p &* depthStep
            multiplyAdd(&s0, a0[q], bv)
            multiplyAdd(&s1, a1[q], bv)
            multiplyAdd(&s2, a2[q], bv)
            multiplyAdd(&s3, a3[q], bv)
            multiplyAdd(&s4, a4[q], bv)
            multiplyAdd(&s5, a5[q], bv)
        }
        func store(_ s: V.Scalar, row r: Int) {
            guard r < rows.count else { return }
            let out = c.row(rows.lowerBound + r) + j
            out.pointee = beta == 0 ? s * alpha : s * alpha + beta * out.pointee
        }
        store(s0, row: 0); store(s1, row: 1); store(s2, row: 2); store(s3, row: 3); store(s4, row: 4); store(s5, row: 5)
        j += 1
    }
}
