import LinearAlgebra

// Binary arithmetic with broadcasting: each operand's row count must equal the output's or be 1, and likewise
// for columns. So a 1×n row vector is added to every row, an m×1 column to every column, a 1×1 scalar
// everywhere. In backward, a broadcast operand receives the *sum* of the gradients of all elements it fed.

/// Where element (i, j) of the output lives in a possibly broadcast operand: `i·rowStep + j·columnStep`.
@usableFromInline
struct BroadcastIndex {
    @usableFromInline let rowStep: Int
    @usableFromInline let columnStep: Int
    @inlinable init(rows: Int, columns: Int) {
        rowStep = rows == 1 ? 0 : columns
        columnStep = columns == 1 ? 0 : 1
    }
    @inlinable func callAsFunction(_ i: Int, _ j: Int) -> Int { i * rowStep + j * columnStep }
}

extension Tape {
    /// y = f(a, b) with broadcasting; backward da += dy · ∂f/∂a(a, b, y), db += dy · ∂f/∂b(a, b, y).
    @inlinable @inline(__always)
    func broadcastBinary(_ a: Tensor<S>, _ b: Tensor<S>, _ name: StaticString, _ f: (S, S) -> S,
                         da: @escaping (_ a: S, _ b: S, _ y: S) -> S,
                         db: @escaping (_ a: S, _ b: S, _ y: S) -> S) -> Tensor<S> {
        check(a, name); check(b, name)
        let m = Swift.max(a.rows, b.rows), n = Swift.max(a.columns, b.columns)
        precondition((a.rows == m || a.rows == 1) && (b.rows == m || b.rows == 1)
                     && (a.columns == n || a.columns == 1) && (b.columns == n || b.columns == 1),
                     "\(name): shapes \(a.rows)×\(a.columns) and \(b.rows)×\(b.columns) cannot be broadcast together")
        let y = output(m, n, differentiable: a.requiresGradient || b.requiresGradient)
        let ap = a.storage.pointer, bp = b.storage.pointer, yp = y.storage.pointer
        let ai = BroadcastIndex(rows: a.rows, columns: a.columns), bi = BroadcastIndex(rows: b.rows, columns: b.columns)
        let sameShape = a.rows == b.rows && a.columns == b.columns
        if sameShape {
            parallelBlocks(y.count) { r in for k in r { yp[k] = f(ap[k], bp[k]) } }
        } else {
            Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { rows in
                for i in rows { for j in 0..<n { yp[i * n + j] = f(ap[ai(i, j)], bp[bi(i, j)]) } }
            }
        }
        guard y.requiresGradient else { return y }
        y.backwardFunction = { tape, y in
            let dy = y.gradientPointer, yp = y.storage.pointer, ap = a.storage.pointer, bp = b.storage.pointer
            // An operand with the output's shape gets an elementwise (parallel) update; a broadcast one gets a
            // serial scatter-add in row-major order, so its sums are the same for every thread count.
            func push(_ t: Tensor<S>, _ index: BroadcastIndex, _ partial: (S, S, S) -> S) {
                if t.rows == m && t.columns == n {
                    tape.accumulateGradient(t) { k in dy[k] * partial(ap[ai(k / n, k % n)], bp[bi(k / n, k % n)], yp[k]) }
                } else {
                    let g = tape.gradientForAdding(t)
                    for i in 0..<m {
                        for j in 0..<n {
                            let k = i * n + j
                            g[index(i, j)] += dy[k] * partial(ap[ai(i, j)], bp[bi(i, j)], yp[k])
                        }
                    }
                }
            }
            if sameShape {
                // Fast path: no index arithmetic at all.
                if a.requiresGradient { tape.accumulateGradient(a) { k in dy[k] * da(ap[k], bp[k], yp[k]) } }
                if b.requiresGradient { tape.accumulateGradient(b) { k in dy[k] * db(ap[k], bp[k], yp[k]) } }
            } else {
                if a.requiresGradient { push(a, ai, da) }
                if b.requiresGradient { push(b, bi, db) }
            }
        }
        return y
    }

    /// a + b (broadcasting).
    @inlinable public func add(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        broadcastBinary(a, b, "add", { $0 + $1 }, da: { _, _, _ in 1 }, db: { _, _, _ in 1 })
    }

    /// a − b (broadcasting).
    @inlinable public func subtract(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        broadcastBinary(a, b, "subtract", { $0 - $1 }, da: { _, _, _ in 1 }, db: { _, _, _ in -1 })
    }

    /// a ⊙ b, the elementwise product (broadcasting); ∂/∂a = b, ∂/∂b = a.
    @inlinable public func multiply(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        broadcastBinary(a, b, "multiply", { $0 * $1 }, da: { _, b, _ in b }, db: { a, _, _ in a })
    }

    /// a ⊘ b, the elementwise quotient (broadcasting); ∂/∂a = 1/b, ∂/∂b = −a/b² = −y/b.
    @inlinable public func divide(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        broadcastBinary(a, b, "divide", { $0 / $1 }, da: { _, b, _ in 1 / b }, db: { _, b, y in -y / b })
    }
}

// Operator spellings, micrograd style. They record on the tape of whichever operand was recorded on one, so at
// least one operand must come from a tape (parameters alone have none: write `tape.add(w1, w2)` then).
extension Tensor {
    @inlinable static func tapeOf(_ a: Tensor, _ b: Tensor? = nil) -> Tape<S> {
        guard let t = a.tape ?? b?.tape else {
            preconditionFailure("operators and layers need a tensor recorded on a tape: put persistent inputs on it "
                                + "with tape.stopGradient(_:) or tape.constant(_:), or use the Tape methods")
        }
        return t
    }

    /// `a + b` with broadcasting (`Tape.add`), recorded on the tape of whichever operand has one.
    @inlinable public static func + (a: Tensor, b: Tensor) -> Tensor { tapeOf(a, b).add(a, b) }
    /// `a − b` with broadcasting (`Tape.subtract`).
    @inlinable public static func - (a: Tensor, b: Tensor) -> Tensor { tapeOf(a, b).subtract(a, b) }
    /// The elementwise product `a ⊙ b` with broadcasting (`Tape.multiply`); the matrix product is `Tape.matmul`.
    @inlinable public static func * (a: Tensor, b: Tensor) -> Tensor { tapeOf(a, b).multiply(a, b) }
    /// The elementwise quotient `a ⊘ b` with broadcasting (`Tape.divide`).
    @inlinable public static func / (a: Tensor, b: Tensor) -> Tensor { tapeOf(a, b).divide(a, b) }
    /// `−a` (`Tape.negate`).
    @inlinable public static prefix func - (a: Tensor) -> Tensor { tapeOf(a).negate(a) }
    /// `a + c` for a constant scalar `c` (`Tape.affine`).
    @inlinable public static func + (a: Tensor, c: S) -> Tensor { tapeOf(a).affine(a, scale: 1, shift: c) }
    /// `c + a` for a constant scalar `c`.
    @inlinable public static func + (c: S, a: Tensor) -> Tensor { tapeOf(a).affine(a, scale: 1, shift: c) }
    /// `a − c` for a constant scalar `c`.
    @inlinable public static func - (a: Tensor, c: S) -> Tensor { tapeOf(a).affine(a, scale: 1, shift: -c) }
    /// `c − a` for a constant scalar `c`.
    @inlinable public static func - (c: S, a: Tensor) -> Tensor { tapeOf(a).affine(a, scale: -1, shift: c) }
    /// `a · c` for a constant scalar `c`.
    @inlinable public static func * (a: Tensor, c: S) -> Tensor { tapeOf(a).affine(a, scale: c) }
    /// `c · a` for a constant scalar `c`.
    @inlinable public static func * (c: S, a: Tensor) -> Tensor { tapeOf(a).affine(a, scale: c) }
    /// `a / c` for a constant scalar `c`, computed as a multiplication by the rounded `1/c` (which can differ from
    /// a true division in the last bit).
    @inlinable public static func / (a: Tensor, c: S) -> Tensor { tapeOf(a).affine(a, scale: 1 / c) }
    /// `c / a` elementwise for a constant scalar `c`, recorded as `c · a⁻¹` (two operations, `Tape.pow` then
    /// `Tape.affine`).
    @inlinable public static func / (c: S, a: Tensor) -> Tensor { let t = tapeOf(a); return t.affine(t.pow(a, -1), scale: c) }
}
