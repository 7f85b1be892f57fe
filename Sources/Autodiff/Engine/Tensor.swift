import LinearAlgebra

/// A 2-D tensor: a node of the reverse-mode differentiation graph recorded by a `Tape`.
///
/// Like micrograd's `Value`, a tensor holds its value, its gradient (the derivative of the final scalar loss with
/// respect to each element, filled in by `Tape.backward(_:)`), and a closure that pushes its gradient to its
/// inputs. Unlike micrograd the elements are whole row-major matrices, so each closure is a vectorised kernel or
/// a GEMM rather than a scalar expression.
///
/// Two kinds of tensors exist:
/// - *Persistent* tensors are created by you: `Tensor(parameter:)` for trainable weights (they own a gradient
///   buffer that optimisers read) and `Tensor(constant:)` for fixed data. They live as long as you keep them.
/// - *Recorded* tensors are produced by operations on a `Tape` (`tape.matmul`, `x + y`, `mlp(x)`...). Their
///   buffers are lent by the tape and given back at `tape.reset()`, after which the tensor must not be used
///   (a precondition checks this).
///
/// The gradient starts out *logically zero*: `gradientIsZero` says no contribution has arrived since the last
/// `zeroGradient()` (or since the tensor was recorded). The first contribution then overwrites the buffer instead
/// of adding to it, which saves a zero-filling pass over every large gradient; for parameters it also tells the
/// optimiser to skip the tensor, as PyTorch skips parameters whose `.grad` is `None`.
public final class Tensor<S: MatrixScalar> {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Whether gradients flow to this tensor: parameters and anything computed from them.
    public let requiresGradient: Bool

    @usableFromInline let storage: TensorStorage<S>
    @usableFromInline var gradientStorage: TensorStorage<S>?
    @usableFromInline var gradientIsZero = true
    /// Pushes this tensor's gradient to its inputs (nil for leaves and for tensors that need no gradient).
    @usableFromInline var backwardFunction: ((Tape<S>, Tensor<S>) -> Void)?
    /// The tape that recorded this tensor and the tape generation it belongs to (−1 for persistent tensors).
    /// Weak, because the tape holds its recorded tensors: a strong reference would make a cycle that keeps a
    /// dropped tape, and its whole buffer arena, alive.
    @usableFromInline weak var tape: Tape<S>?
    @usableFromInline let generation: Int

    @usableFromInline
    init(rows: Int, columns: Int, requiresGradient: Bool, storage: TensorStorage<S>,
         gradientStorage: TensorStorage<S>? = nil, tape: Tape<S>?, generation: Int) {
        precondition(storage.count >= rows * columns, "Tensor storage too small")
        self.rows = rows
        self.columns = columns
        self.requiresGradient = requiresGradient
        self.storage = storage
        self.gradientStorage = gradientStorage
        self.tape = tape
        self.generation = generation
    }

    /// A trainable parameter initialised to `value`; it owns its value and gradient buffers.
    public convenience init(parameter value: Matrix<S>) {
        let storage = TensorStorage<S>(count: value.count)
        self.init(rows: value.rows, columns: value.columns, requiresGradient: true, storage: storage,
                  gradientStorage: TensorStorage<S>(count: value.count), tape: nil, generation: -1)
        assign(value)
    }

    /// A persistent constant (no gradient), e.g. a whole data set from which batches are gathered.
    public convenience init(constant value: Matrix<S>) {
        self.init(rows: value.rows, columns: value.columns, requiresGradient: false,
                  storage: TensorStorage<S>(count: value.count), tape: nil, generation: -1)
        assign(value)
    }

    /// Number of elements, `rows * columns`.
    @inlinable public var count: Int { rows * columns }
    /// `(rows, columns)` as one value.
    @inlinable public var shape: (rows: Int, columns: Int) { (rows, columns) }
    /// Whether the tensor was created with `Tensor(parameter:)` or `Tensor(constant:)` and so owns its buffers
    /// and survives `Tape.reset()`, rather than being recorded on a tape.
    @inlinable public var isPersistent: Bool { generation < 0 }

    /// False once the recording tape has been reset (or released): the buffers now belong to later tensors.
    @inlinable public var isValid: Bool {
        if isPersistent { return true }
        guard let tape else { return false }
        return tape.generation == generation
    }

    /// The value as a new matrix.
    public var value: Matrix<S> {
        precondition(isValid, "Tensor used after its tape was reset")
        return Matrix(rows: rows, columns: columns,
                      elements: Array(UnsafeBufferPointer(start: storage.pointer, count: count)))
    }

    /// The single element of a 1×1 tensor (a loss).
    public var scalar: S {
        precondition(isValid, "Tensor used after its tape was reset")
        precondition(count == 1, "scalar: tensor is \(rows)×\(columns), expected 1×1")
        return storage.pointer[0]
    }

    /// The gradient accumulated by `backward`, or nil when none has arrived (PyTorch's `grad is None`).
    public var gradient: Matrix<S>? {
        precondition(isValid, "Tensor used after its tape was reset")
        guard !gradientIsZero, let g = gradientStorage else { return nil }
        return Matrix(rows: rows, columns: columns, elements: Array(UnsafeBufferPointer(start: g.pointer, count: count)))
    }

    /// Overwrites the value of a persistent tensor (loading weights). The shape must match.
    public func assign(_ value: Matrix<S>) {
        precondition(isPersistent, "assign: only persistent tensors (parameters, constants) can be assigned")
        precondition(value.rows == rows && value.columns == columns,
                     "assign: tensor is \(rows)×\(columns), value is \(value.rows)×\(value.columns)")
        value.elements.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { storage.pointer.update(from: base, count: count) }
        }
    }

    /// Forgets the accumulated gradient (without touching memory: see the type's discussion).
    @inlinable public func zeroGradient() { gradientIsZero = true }

    /// Read-only view of the value, valid inside `body` only.
    @inlinable public func withValue<R>(_ body: (MatrixView<S>) throws -> R) rethrows -> R {
        precondition(isValid, "Tensor used after its tape was reset")
        return try body(view)
    }

    @inlinable var view: MatrixView<S> {
        MatrixView(base: UnsafePointer(storage.pointer), rows: rows, columns: columns, rowStride: columns)
    }

    @inlinable var mutableView: MutableMatrixView<S> {
        MutableMatrixView(base: storage.pointer, rows: rows, columns: columns, rowStride: columns)
    }

    /// The gradient buffer of a tensor whose gradient has been written (inside backward closures).
    @inlinable var gradientPointer: UnsafeMutablePointer<S> { gradientStorage!.pointer }

    @inlinable var gradientView: MatrixView<S> {
        MatrixView(base: UnsafePointer(gradientStorage!.pointer), rows: rows, columns: columns, rowStride: columns)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        "Tensor<\(S.self)>(\(rows)×\(columns)\(requiresGradient ? ", requires gradient" : "")\(isPersistent ? ", persistent" : ""))"
    }
}
