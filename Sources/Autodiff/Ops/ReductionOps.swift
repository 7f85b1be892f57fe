import LinearAlgebra

/// Which index a reduction sums away.
/// - `.rows`: over the row index, one result per column → 1×n (PyTorch `dim=0`).
/// - `.columns`: over the column index, one result per row → m×1 (PyTorch `dim=1`).
/// - `.all`: every element → 1×1.
public enum Axis: Sendable {
    case rows, columns, all
}

/// An m×n matrix seen as `groups` independent sequences of `length` elements each: element k of group g is at
/// `g·groupStride + k·elementStride`. Every reduction along an axis is "do this per group", and each group is
/// processed sequentially, so results do not depend on how groups are spread over threads.
@usableFromInline
struct ReductionLayout {
    @usableFromInline let groups: Int, length: Int, groupStride: Int, elementStride: Int
    @usableFromInline let outputRows: Int, outputColumns: Int

    @inlinable init(rows m: Int, columns n: Int, axis: Axis) {
        switch axis {
        case .columns: (groups, length, groupStride, elementStride, outputRows, outputColumns) = (m, n, n, 1, m, 1)
        case .rows: (groups, length, groupStride, elementStride, outputRows, outputColumns) = (n, m, 1, n, 1, n)
        case .all: (groups, length, groupStride, elementStride, outputRows, outputColumns) = (1, m * n, 0, 1, 1, 1)
        }
    }

    @inlinable func index(_ g: Int, _ k: Int) -> Int { g * groupStride + k * elementStride }
}

extension Tape {
    /// Σ over `axis`; backward broadcasts the output gradient back over the summed index.
    @inlinable public func sum(_ x: Tensor<S>, over axis: Axis = .all) -> Tensor<S> {
        reduceSum(x, axis, scale: 1, "sum")
    }

    /// The mean over `axis` (sum times 1/length).
    @inlinable public func mean(_ x: Tensor<S>, over axis: Axis = .all) -> Tensor<S> {
        let length = axis == .rows ? x.rows : axis == .columns ? x.columns : x.count
        return reduceSum(x, axis, scale: 1 / S(Swift.max(1, length)), "mean")
    }

    @inlinable func reduceSum(_ x: Tensor<S>, _ axis: Axis, scale: S, _ name: StaticString) -> Tensor<S> {
        check(x, name)
        let layout = ReductionLayout(rows: x.rows, columns: x.columns, axis: axis)
        let y = output(layout.outputRows, layout.outputColumns, differentiable: x.requiresGradient)
        let xp = x.storage.pointer, yp = y.storage.pointer, m = x.rows, n = x.columns
        switch axis {
        case .rows:
            columnSums(xp, rows: m, columns: n, into: yp, accumulate: false)
            for j in 0..<n { yp[j] *= scale }
        case .columns:
            Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { block in
                for i in block { yp[i] = scale * rowSum(xp + i * n, n) }
            }
        case .all:
            // Per-row sums (parallel), then the row sums in order: a fixed pairing for every thread count,
            // and an error growing like √m + √n rather than √(mn) for a single running sum.
            let partial = scratch(m)
            Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { block in
                for i in block { partial[i] = rowSum(xp + i * n, n) }
            }
            yp[0] = scale * rowSum(partial, m)
        }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dy = y.gradientPointer
                switch axis {
                case .rows: tape.accumulateGradient(x) { k in scale * dy[k % n] }
                case .columns: tape.accumulateGradient(x) { k in scale * dy[k / n] }
                case .all: let g = scale * dy[0]; tape.accumulateGradient(x) { _ in g }
                }
            }
        }
        return y
    }

    /// log Σ exp over `axis`, computed as max + log Σ exp(x − max) so that nothing overflows.
    /// Backward: ∂/∂xₖ = exp(xₖ − lse), the softmax of the group.
    @inlinable public func logSumExp(_ x: Tensor<S>, over axis: Axis = .columns) -> Tensor<S> {
        check(x, "logSumExp")
        let layout = ReductionLayout(rows: x.rows, columns: x.columns, axis: axis)
        let y = output(layout.outputRows, layout.outputColumns, differentiable: x.requiresGradient)
        let xp = x.storage.pointer, yp = y.storage.pointer
        Parallel.forEachChunk(layout.groups, chunk: rowGrain(columns: layout.length)) { block in
            for g in block { yp[g] = groupLogSumExp(xp, layout, g) }
        }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dy = y.gradientPointer, lse = y.storage.pointer, xp = x.storage.pointer
                let dx = tape.gradientForAdding(x)
                Parallel.forEachChunk(layout.groups, chunk: rowGrain(columns: layout.length)) { block in
                    for g in block {
                        for k in 0..<layout.length {
                            let i = layout.index(g, k)
                            dx[i] += dy[g] * S.exp(xp[i] - lse[g])
                        }
                    }
                }
            }
        }
        return y
    }

    /// log softmax within each group of `axis` (default: each row is a distribution over its columns):
    /// yₖ = xₖ − logΣexp(x). Backward: ∂xₖ = ∂yₖ − softmaxₖ · Σⱼ ∂yⱼ.
    @inlinable public func logSoftmax(_ x: Tensor<S>, over axis: Axis = .columns) -> Tensor<S> {
        check(x, "logSoftmax")
        let layout = ReductionLayout(rows: x.rows, columns: x.columns, axis: axis)
        let y = output(x.rows, x.columns, differentiable: x.requiresGradient)
        let xp = x.storage.pointer, yp = y.storage.pointer
        Parallel.forEachChunk(layout.groups, chunk: rowGrain(columns: layout.length)) { block in
            for g in block {
                let lse = groupLogSumExp(xp, layout, g)
                for k in 0..<layout.length { let i = layout.index(g, k); yp[i] = xp[i] - lse }
            }
        }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dy = y.gradientPointer, yp = y.storage.pointer
                let dx = tape.gradientForAdding(x)
                Parallel.forEachChunk(layout.groups, chunk: rowGrain(columns: layout.length)) { block in
                    for g in block {
                        var total: S = 0
                        for k in 0..<layout.length { total += dy[layout.index(g, k)] }
                        for k in 0..<layout.length {
                            let i = layout.index(g, k)
                            dx[i] += dy[i] - S.exp(yp[i]) * total
                        }
                    }
                }
            }
        }
        return y
    }

    /// Mean cross-entropy of the rows of `logits` (m×c, unnormalised log-probabilities) against class indices
    /// `targets` (m of them, each in 0..<c): L = (1/m) Σᵢ (logΣexp(xᵢ) − xᵢ,tᵢ), PyTorch's `cross_entropy`.
    /// Backward: ∂xᵢₖ = (softmaxᵢₖ − [k = tᵢ]) / m. InfoNCE is `crossEntropy(similarities / τ, targets: 0..<m)`.
    @inlinable public func crossEntropy(_ logits: Tensor<S>, targets: [Int]) -> Tensor<S> {
        check(logits, "crossEntropy")
        let m = logits.rows, c = logits.columns
        precondition(targets.count == m, "crossEntropy: \(m) rows of logits but \(targets.count) targets")
        for (i, t) in targets.enumerated() {
            precondition(t >= 0 && t < c, "crossEntropy: target \(t) of row \(i) is outside 0..<\(c)")
        }
        let y = output(1, 1, differentiable: logits.requiresGradient)
        let xp = logits.storage.pointer
        let lse = scratch(m), losses = scratch(m)
        let layout = ReductionLayout(rows: m, columns: c, axis: .columns)
        targets.withUnsafeBufferPointer { t in
            Parallel.forEachChunk(m, chunk: rowGrain(columns: c)) { block in
                for i in block {
                    lse[i] = groupLogSumExp(xp, layout, i)
                    losses[i] = lse[i] - xp[i * c + t[i]]
                }
            }
        }
        y.storage.pointer[0] = rowSum(losses, m) / S(Swift.max(1, m))
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let g = y.gradientPointer[0] / S(Swift.max(1, m)), xp = logits.storage.pointer
                tape.accumulateGradient(logits) { k in g * S.exp(xp[k] - lse[k / c]) }
                let dx = logits.gradientPointer
                for i in 0..<m { dx[i * c + targets[i]] -= g }
            }
        }
        return y
    }
}

/// Σ of `n` consecutive elements, accumulated in order.
@inlinable @inline(__always)
func rowSum<S: MatrixScalar>(_ p: UnsafeMutablePointer<S>, _ n: Int) -> S {
    var s: S = 0
    for j in 0..<n { s += p[j] }
    return s
}

/// max + log Σ exp(x − max) over one group; −∞ for an empty group or one of only −∞.
@inlinable @inline(__always)
func groupLogSumExp<S: MatrixScalar>(_ x: UnsafeMutablePointer<S>, _ layout: ReductionLayout, _ g: Int) -> S {
    var largest = -S.infinity
    for k in 0..<layout.length { largest = Swift.max(largest, x[layout.index(g, k)]) }
    if largest == -S.infinity { return largest }
    var s: S = 0
    for k in 0..<layout.length { s += S.exp(x[layout.index(g, k)] - largest) }
    return largest + S.log(s)
}
