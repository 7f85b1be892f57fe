import LinearAlgebra

/// Records the operations of one forward pass so that `backward(_:)` can replay them in reverse.
///
/// The recording order is a topological order (an operation can only use tensors that already exist), so
/// reverse-mode differentiation is a single backward sweep over the recorded tensors, calling each one's
/// backward closure once all of its consumers have added their contributions to its gradient.
///
/// **Buffer reuse.** The tape owns an arena of `TensorStorage` buffers. Every value, gradient and scratch buffer
/// of a recorded tensor is *lent* from the arena; `reset()` takes them all back. The next forward pass asks for
/// buffers of the same sizes in the same order and gets the same buffers back, so once a training step has run
/// once, further steps of the same shape allocate no tensor memory at all (`StorageStatistics.allocations`
/// stays constant; the test `testSteadyStateTrainingAllocatesNoBuffers` checks exactly this). What still
/// allocates per step are the small objects of the graph itself: one `Tensor` object and one closure context per
/// operation, a few dozen bytes each.
public final class Tape<S: MatrixScalar> {
    @usableFromInline var recorded: [Tensor<S>] = []
    @usableFromInline var freeStorage: [Int: [TensorStorage<S>]] = [:]
    @usableFromInline var lentStorage: [TensorStorage<S>] = []
    /// Incremented by `reset()`; tensors recorded before a reset become invalid.
    public private(set) var generation = 0
    /// Whether `backward` already ran on the current recording (it may run once per recording: a second sweep
    /// would add the intermediate gradients in again).
    public private(set) var hasRunBackward = false

    /// An empty tape with an empty buffer arena.
    public init() {}

    /// Forgets the recorded graph and takes back every buffer lent to it. Call at the start of each step.
    public func reset() {
        recorded.removeAll(keepingCapacity: true)
        for s in lentStorage { freeStorage[s.count, default: []].append(s) }
        lentStorage.removeAll(keepingCapacity: true)
        generation += 1
        hasRunBackward = false
    }

    /// Number of operations recorded since the last reset.
    public var operationCount: Int { recorded.count }

    /// Frees the buffers that sit unused in the arena (e.g. those of a smaller last batch of an epoch, or of an
    /// evaluation pass that will not be repeated). Buffers lent to the current recording are kept.
    public func releaseCachedBuffers() {
        freeStorage.removeAll()
    }

    /// A buffer of `count` elements from the arena (allocated only if none of that size is free).
    @usableFromInline func borrowStorage(count: Int) -> TensorStorage<S> {
        let s = freeStorage[count]?.popLast() ?? TensorStorage<S>(count: count)
        lentStorage.append(s)
        return s
    }

    /// Scratch memory for a backward pass or a saved intermediate, given back at `reset()`.
    @inlinable func scratch(_ count: Int) -> UnsafeMutablePointer<S> { borrowStorage(count: count).pointer }

    /// Records a new output tensor of the given shape with uninitialised value.
    @inlinable func output(_ rows: Int, _ columns: Int, differentiable: Bool) -> Tensor<S> {
        let t = Tensor(rows: rows, columns: columns, requiresGradient: differentiable,
                       storage: borrowStorage(count: rows * columns), tape: self, generation: generation)
        recorded.append(t)
        return t
    }

    /// Checks that `t` may be used by an operation on this tape.
    @inlinable func check(_ t: Tensor<S>, _ operation: StaticString) {
        if !t.isPersistent {
            precondition(t.tape === self, "\(operation): the tensor was recorded on a different tape")
            precondition(t.generation == generation, "\(operation): the tensor was recorded before the last reset()")
        }
    }

    /// Where a backward pass writes `t`'s gradient, and whether it must add (`true`) or may overwrite (`false`,
    /// no contribution yet). Marks the gradient as written. Use it when the contribution covers every element.
    @inlinable func gradientDestination(_ t: Tensor<S>) -> (pointer: UnsafeMutablePointer<S>, accumulate: Bool) {
        if t.gradientStorage == nil { t.gradientStorage = borrowStorage(count: t.count) }
        let accumulate = !t.gradientIsZero
        t.gradientIsZero = false
        return (t.gradientStorage!.pointer, accumulate)
    }

    /// `t`'s gradient ready for `+=` into any subset of its elements (zero-filled first if nothing arrived yet):
    /// for scatter-style backward passes (broadcasts, gathers, slices).
    @inlinable func gradientForAdding(_ t: Tensor<S>) -> UnsafeMutablePointer<S> {
        let (g, accumulate) = gradientDestination(t)
        if !accumulate { g.update(repeating: 0, count: t.count) }
        return g
    }

    /// Writes `contribution(i)` into every element of `t`'s gradient, adding when a gradient is already there.
    @inlinable @inline(__always)
    func accumulateGradient(_ t: Tensor<S>, _ contribution: (Int) -> S) {
        let (g, accumulate) = gradientDestination(t)
        parallelBlocks(t.count) { r in
            if accumulate {
                for i in r { g[i] += contribution(i) }
            } else {
                for i in r { g[i] = contribution(i) }
            }
        }
    }

    /// A constant input for this step (a batch of data), copied into an arena buffer.
    public func constant(_ value: Matrix<S>) -> Tensor<S> {
        let t = output(value.rows, value.columns, differentiable: false)
        value.elements.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { t.storage.pointer.update(from: base, count: value.count) }
        }
        return t
    }

    /// A constant input filled in place by `fill` (avoids building a `Matrix` per step).
    public func constant(rows: Int, columns: Int, _ fill: (MutableMatrixView<S>) -> Void) -> Tensor<S> {
        let t = output(rows, columns, differentiable: false)
        fill(t.mutableView)
        return t
    }

    /// A 1×1 constant.
    public func constant(_ value: S) -> Tensor<S> {
        let t = output(1, 1, differentiable: false)
        t.storage.pointer[0] = value
        return t
    }

    /// Reverse-mode sweep: sets d loss / d loss = 1 and calls every recorded backward closure in reverse order.
    /// Gradients *accumulate* into parameters (call `zeroGradients()` on the optimiser, or `zeroGradient()` on
    /// each parameter, between steps), exactly like PyTorch's `loss.backward()`.
    ///
    /// - Throws: `AutodiffError.nonFiniteLoss` if the loss is NaN or infinite (nothing is propagated then).
    public func backward(_ loss: Tensor<S>) throws {
        check(loss, "backward")
        precondition(loss.count == 1, "backward: the loss must be 1×1, found \(loss.rows)×\(loss.columns)")
        precondition(!hasRunBackward, "backward: already called on this recording; call reset() and record again")
        let value = loss.storage.pointer[0]
        guard value.isFinite else { throw AutodiffError.nonFiniteLoss(Double(value)) }
        guard loss.requiresGradient else { return }
        hasRunBackward = true
        accumulateGradient(loss) { _ in 1 }
        for t in recorded.reversed() where !t.gradientIsZero {
            t.backwardFunction?(self, t)
        }
    }
}

/// Errors from user-facing entry points (loading parameters, non-finite losses).
public enum AutodiffError: Error, CustomStringConvertible, Equatable {
    /// The loss given to `backward` was NaN or ±∞.
    case nonFiniteLoss(Double)
    /// `importParameters` found no value for a parameter of the model.
    case missingParameter(name: String)
    /// `importParameters` found a value of the wrong shape.
    case parameterShapeMismatch(name: String, expected: (rows: Int, columns: Int), found: (rows: Int, columns: Int))
    /// `importParameters` was given a name that the model does not have.
    case unexpectedParameter(name: String)

    public var description: String {
        switch self {
        case .nonFiniteLoss(let v): return "the loss is \(v); training diverged or the inputs contain NaN/∞"
        case .missingParameter(let n): return "parameter '\(n)' is missing from the imported values"
        case .parameterShapeMismatch(let n, let e, let f):
            return "parameter '\(n)' has shape \(e.rows)×\(e.columns), the imported value is \(f.rows)×\(f.columns)"
        case .unexpectedParameter(let n): return "imported value '\(n)' matches no parameter of the model"
        }
    }

    /// Equal when the descriptions are equal: the shape tuples of `parameterShapeMismatch` keep the compiler
    /// from synthesising the conformance, and the description names every associated value.
    public static func == (a: AutodiffError, b: AutodiffError) -> Bool { a.description == b.description }
}
