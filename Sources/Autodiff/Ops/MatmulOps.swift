import LinearAlgebra

// Matrix products. For C = op(A)·op(B) with upstream gradient G = ∂L/∂C, the chain rule gives
//   C = A B   :  ∂A = G Bᵀ,   ∂B = Aᵀ G
//   C = A Bᵀ  :  ∂A = G B,    ∂B = Gᵀ A
//   C = Aᵀ B  :  ∂A = B Gᵀ,   ∂B = A G
//   C = Aᵀ Bᵀ :  ∂A = Bᵀ Gᵀ,  ∂B = Gᵀ Aᵀ
// Every one of these is a single GEMM call with transpose flags: no transposed copy is ever made, and the
// first contribution to a gradient is written with beta = 0 (no zero-filling), later ones added with beta = 1.

extension Tape {
    /// op(a) · op(b), where op transposes when asked.
    @inlinable
    public func matmul(_ a: Tensor<S>, _ b: Tensor<S>, transposeA: Bool = false, transposeB: Bool = false) -> Tensor<S> {
        check(a, "matmul"); check(b, "matmul")
        let m = transposeA ? a.columns : a.rows, k = transposeA ? a.rows : a.columns
        let kb = transposeB ? b.columns : b.rows, n = transposeB ? b.rows : b.columns
        precondition(k == kb, "matmul: inner dimensions differ: op(a) is \(m)×\(k), op(b) is \(kb)×\(n)")
        let c = output(m, n, differentiable: a.requiresGradient || b.requiresGradient)
        let ta: Transpose = transposeA ? .transposed : .none, tb: Transpose = transposeB ? .transposed : .none
        gemm(ta, tb, alpha: 1, a.view, b.view, beta: 0, c.mutableView)
        guard c.requiresGradient else { return c }
        c.backwardFunction = { tape, c in
            let g = c.gradientView
            if a.requiresGradient {
                let (da, accumulate) = tape.gradientDestination(a)
                let daView = MutableMatrixView(base: da, rows: a.rows, columns: a.columns, rowStride: a.columns)
                let beta: S = accumulate ? 1 : 0
                switch (transposeA, transposeB) {
                case (false, false): gemm(.none, .transposed, g, b.view, beta: beta, daView)
                case (false, true): gemm(.none, .none, g, b.view, beta: beta, daView)
                case (true, false): gemm(.none, .transposed, b.view, g, beta: beta, daView)
                case (true, true): gemm(.transposed, .transposed, b.view, g, beta: beta, daView)
                }
            }
            if b.requiresGradient {
                let (db, accumulate) = tape.gradientDestination(b)
                let dbView = MutableMatrixView(base: db, rows: b.rows, columns: b.columns, rowStride: b.columns)
                let beta: S = accumulate ? 1 : 0
                switch (transposeA, transposeB) {
                case (false, false): gemm(.transposed, .none, a.view, g, beta: beta, dbView)
                case (false, true): gemm(.transposed, .none, g, a.view, beta: beta, dbView)
                case (true, false): gemm(.none, .none, a.view, g, beta: beta, dbView)
                case (true, true): gemm(.transposed, .transposed, g, a.view, beta: beta, dbView)
                }
            }
        }
        return c
    }

    /// The fused fully connected layer y = activation(x Wᵀ + b), with W stored out×in as in PyTorch.
    ///
    /// One GEMM writes x Wᵀ, then a single pass over the output adds the bias and applies the activation in
    /// place. Backward needs the activation's derivative only in terms of the output y (`Activation` guarantees
    /// that), so no pre-activation buffer is kept: dZ = dY ⊙ f′(y), then ∂b = Σ_rows dZ, ∂W = dZᵀ x and
    /// ∂x = dZ W: two GEMMs and one column sum. ∂x is skipped when x needs no gradient (the data batch).
    @inlinable
    public func linear(_ x: Tensor<S>, weight: Tensor<S>, bias: Tensor<S>?, activation: Activation = .identity) -> Tensor<S> {
        check(x, "linear"); check(weight, "linear")
        precondition(x.columns == weight.columns,
                     "linear: input has \(x.columns) features, weight is \(weight.rows)×\(weight.columns) (out×in)")
        if let bias {
            check(bias, "linear")
            precondition(bias.rows == 1 && bias.columns == weight.rows,
                         "linear: bias is \(bias.rows)×\(bias.columns), expected 1×\(weight.rows)")
        }
        let batch = x.rows, outputs = weight.rows
        let differentiable = x.requiresGradient || weight.requiresGradient || (bias?.requiresGradient ?? false)
        let y = output(batch, outputs, differentiable: differentiable)
        gemm(.none, .transposed, x.view, weight.view, beta: 0, y.mutableView)
        activation.addBiasAndApply(y.storage.pointer, rows: batch, columns: outputs, bias: bias?.storage.pointer)
        guard differentiable else { return y }
        y.backwardFunction = { tape, y in
            // dZ = dY ⊙ f′(y); for the identity dZ is dY itself.
            let dz: UnsafeMutablePointer<S>
            if activation == .identity {
                dz = y.gradientPointer
            } else {
                dz = tape.scratch(y.count)
                activation.backward(output: y.storage.pointer, outputGradient: y.gradientPointer, into: dz, count: y.count)
            }
            let dzView = MatrixView(base: UnsafePointer(dz), rows: batch, columns: outputs, rowStride: outputs)
            if let bias, bias.requiresGradient {
                let (db, accumulate) = tape.gradientDestination(bias)
                columnSums(dz, rows: batch, columns: outputs, into: db, accumulate: accumulate)
            }
            if weight.requiresGradient {
                let (dw, accumulate) = tape.gradientDestination(weight)
                gemm(.transposed, .none, dzView, x.view, beta: accumulate ? 1 : 0,
                     MutableMatrixView(base: dw, rows: weight.rows, columns: weight.columns, rowStride: weight.columns))
            }
            if x.requiresGradient {
                let (dx, accumulate) = tape.gradientDestination(x)
                gemm(.none, .none, dzView, weight.view, beta: accumulate ? 1 : 0,
                     MutableMatrixView(base: dx, rows: x.rows, columns: x.columns, rowStride: x.columns))
            }
        }
        return y
    }
}

/// out[j] (+)= Σᵢ x[i, j] for a rows×columns row-major x. Parallel over fixed column blocks; within a block the
/// rows are added in order, so the sums are identical for any thread count. The inner loop runs along a row
/// (contiguous), which vectorises.
@inlinable
func columnSums<S: MatrixScalar>(_ x: UnsafePointer<S>, rows: Int, columns: Int,
                                 into out: UnsafeMutablePointer<S>, accumulate: Bool) {
    let block = 256
    Parallel.forEachChunk(columns, chunk: block) { cols in
        let lo = cols.lowerBound, width = cols.count
        let o = out + lo
        if !accumulate { o.update(repeating: 0, count: width) }
        for i in 0..<rows {
            let row = x + i * columns + lo
            for j in 0..<width { o[j] += row[j] }
        }
    }
}

@inlinable
func columnSums<S: MatrixScalar>(_ x: UnsafeMutablePointer<S>, rows: Int, columns: Int,
                                 into out: UnsafeMutablePointer<S>, accumulate: Bool) {
    columnSums(UnsafePointer(x), rows: rows, columns: columns, into: out, accumulate: accumulate)
}
