import LinearAlgebra

// Operations that move elements without arithmetic. Their backward passes move gradients the opposite way:
// a gather scatters (adding, because a row may be gathered twice), a slice adds into its window, a
// concatenation hands each input its block, a transpose transposes back.

extension Tape {
    /// xᵀ.
    @inlinable public func transpose(_ x: Tensor<S>) -> Tensor<S> {
        check(x, "transpose")
        let m = x.rows, n = x.columns
        let y = output(n, m, differentiable: x.requiresGradient)
        transposeCopy(x.storage.pointer, rows: m, columns: n, into: y.storage.pointer, accumulate: false)
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let (dx, accumulate) = tape.gradientDestination(x)
                transposeCopy(y.gradientPointer, rows: n, columns: m, into: dx, accumulate: accumulate)
            }
        }
        return y
    }

    /// The rows `indices` of x, in that order (repeats allowed): a mini-batch from a data set.
    @inlinable public func gatherRows(_ x: Tensor<S>, _ indices: [Int]) -> Tensor<S> {
        check(x, "gatherRows")
        let n = x.columns
        for i in indices { precondition(i >= 0 && i < x.rows, "gatherRows: row index \(i) is outside 0..<\(x.rows)") }
        let y = output(indices.count, n, differentiable: x.requiresGradient)
        let xp = x.storage.pointer, yp = y.storage.pointer
        for (r, i) in indices.enumerated() { (yp + r * n).update(from: xp + i * n, count: n) }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dx = tape.gradientForAdding(x), dy = y.gradientPointer
                for (r, i) in indices.enumerated() {
                    let src = dy + r * n, dst = dx + i * n
                    for j in 0..<n { dst[j] += src[j] }
                }
            }
        }
        return y
    }

    /// Rows `range` of x.
    @inlinable public func sliceRows(_ x: Tensor<S>, _ range: Range<Int>) -> Tensor<S> {
        precondition(range.lowerBound >= 0 && range.upperBound <= x.rows, "sliceRows: \(range) is outside 0..<\(x.rows)")
        return sliceBlock(x, rows: range, columns: 0..<x.columns, "sliceRows")
    }

    /// Columns `range` of x.
    @inlinable public func sliceColumns(_ x: Tensor<S>, _ range: Range<Int>) -> Tensor<S> {
        precondition(range.lowerBound >= 0 && range.upperBound <= x.columns,
                     "sliceColumns: \(range) is outside 0..<\(x.columns)")
        return sliceBlock(x, rows: 0..<x.rows, columns: range, "sliceColumns")
    }

    @inlinable func sliceBlock(_ x: Tensor<S>, rows: Range<Int>, columns: Range<Int>, _ name: StaticString) -> Tensor<S> {
        check(x, name)
        let n = x.columns, w = columns.count
        let y = output(rows.count, w, differentiable: x.requiresGradient)
        let xp = x.storage.pointer, yp = y.storage.pointer
        for (r, i) in rows.enumerated() { (yp + r * w).update(from: xp + i * n + columns.lowerBound, count: w) }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dx = tape.gradientForAdding(x), dy = y.gradientPointer
                for (r, i) in rows.enumerated() {
                    let src = dy + r * w, dst = dx + i * n + columns.lowerBound
                    for j in 0..<w { dst[j] += src[j] }
                }
            }
        }
        return y
    }

    /// The tensors stacked on top of each other (all with the same number of columns).
    @inlinable public func concatenateRows(_ parts: [Tensor<S>]) -> Tensor<S> {
        precondition(!parts.isEmpty, "concatenateRows: nothing to concatenate")
        let n = parts[0].columns
        for p in parts {
            check(p, "concatenateRows")
            precondition(p.columns == n, "concatenateRows: parts have \(n) and \(p.columns) columns")
        }
        let y = output(parts.reduce(0) { $0 + $1.rows }, n, differentiable: parts.contains { $0.requiresGradient })
        var offset = 0
        for p in parts { (y.storage.pointer + offset).update(from: p.storage.pointer, count: p.count); offset += p.count }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                var offset = 0
                for p in parts {
                    if p.requiresGradient {
                        let dy = y.gradientPointer + offset
                        tape.accumulateGradient(p) { k in dy[k] }
                    }
                    offset += p.count
                }
            }
        }
        return y
    }

    /// The tensors side by side (all with the same number of rows).
    @inlinable public func concatenateColumns(_ parts: [Tensor<S>]) -> Tensor<S> {
        precondition(!parts.isEmpty, "concatenateColumns: nothing to concatenate")
        let m = parts[0].rows
        for p in parts {
            check(p, "concatenateColumns")
            precondition(p.rows == m, "concatenateColumns: parts have \(m) and \(p.rows) rows")
        }
        let n = parts.reduce(0) { $0 + $1.columns }
        let y = output(m, n, differentiable: parts.contains { $0.requiresGradient })
        var offset = 0
        for p in parts {
            for i in 0..<m { (y.storage.pointer + i * n + offset).update(from: p.storage.pointer + i * p.columns, count: p.columns) }
            offset += p.columns
        }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                var offset = 0
                for p in parts {
                    if p.requiresGradient {
                        let dy = y.gradientPointer, c = p.columns, o = offset
                        tape.accumulateGradient(p) { k in dy[(k / c) * n + o + k % c] }
                    }
                    offset += p.columns
                }
            }
        }
        return y
    }

    /// The same values with no gradient path: the result is a constant for everything computed from it
    /// (PyTorch's `detach()`). Shares x's buffer, so it costs nothing.
    @inlinable public func stopGradient(_ x: Tensor<S>) -> Tensor<S> {
        check(x, "stopGradient")
        // Not appended to the recorded list: it has no backward pass. It belongs to this tape (even when x is a
        // persistent tensor) so that operators and layers applied to it find the tape.
        return Tensor(rows: x.rows, columns: x.columns, requiresGradient: false, storage: x.storage,
                      tape: self, generation: generation)
    }
}

/// dst (+)= srcᵀ for a rows×columns source, in 32×32 tiles so reads and writes both stay in cache, parallel over
/// fixed bands of source rows (each band writes its own columns of dst).
@inlinable
func transposeCopy<S: MatrixScalar>(_ src: UnsafeMutablePointer<S>, rows: Int, columns: Int,
                                    into dst: UnsafeMutablePointer<S>, accumulate: Bool) {
    let tile = 32
    Parallel.forEachChunk(rows, chunk: Swift.max(tile, rowGrain(columns: columns) / tile * tile)) { band in
        for i0 in stride(from: band.lowerBound, to: band.upperBound, by: tile) {
            for j0 in stride(from: 0, to: columns, by: tile) {
                for i in i0..<Swift.min(i0 + tile, band.upperBound) {
                    for j in j0..<Swift.min(j0 + tile, columns) {
                        if accumulate { dst[j * rows + i] += src[i * columns + j] } else { dst[j * rows + i] = src[i * columns + j] }
                    }
                }
            }
        }
    }
}
