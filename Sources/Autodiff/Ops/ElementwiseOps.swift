import LinearAlgebra

// Elementwise functions y = f(x). Each op states f and its derivative side by side; the shared driver
// `elementwise` runs the forward loop and records a backward closure computing dx += dy · f′(x, y).
// Where f′ is cheaper in terms of the output y (tanh, sigmoid, exp, sqrt), the derivative uses y.

extension Tape {
    /// y = f(x) elementwise, with backward dx += dy · derivative(x, y).
    @inlinable @inline(__always)
    func elementwise(_ x: Tensor<S>, _ name: StaticString, _ f: (S) -> S,
                     derivative: @escaping (_ x: S, _ y: S) -> S) -> Tensor<S> {
        check(x, name)
        let y = output(x.rows, x.columns, differentiable: x.requiresGradient)
        let xp = x.storage.pointer, yp = y.storage.pointer
        parallelBlocks(x.count) { r in for i in r { yp[i] = f(xp[i]) } }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dy = y.gradientPointer, yp = y.storage.pointer, xp = x.storage.pointer
                tape.accumulateGradient(x) { i in dy[i] * derivative(xp[i], yp[i]) }
            }
        }
        return y
    }

    /// y = scale · x + shift (covers negation, scalar addition and scalar multiplication).
    @inlinable public func affine(_ x: Tensor<S>, scale: S, shift: S = 0) -> Tensor<S> {
        elementwise(x, "affine", { scale * $0 + shift }, derivative: { _, _ in scale })
    }

    /// y = −x.
    @inlinable public func negate(_ x: Tensor<S>) -> Tensor<S> { affine(x, scale: -1) }

    /// y = max(x, 0); f′ = 1 for x > 0, else 0 (PyTorch's choice at 0).
    @inlinable public func relu(_ x: Tensor<S>) -> Tensor<S> {
        elementwise(x, "relu", { $0 > 0 ? $0 : 0 }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// y = x for x > 0, slope·x otherwise; f′ = 1 or slope (PyTorch's default slope is 0.01).
    @inlinable public func leakyReLU(_ x: Tensor<S>, slope: S = 0.01) -> Tensor<S> {
        elementwise(x, "leakyReLU", { $0 > 0 ? $0 : slope * $0 }, derivative: { x, _ in x > 0 ? 1 : slope })
    }

    /// y = tanh x; f′ = 1 − y².
    @inlinable public func tanh(_ x: Tensor<S>) -> Tensor<S> {
        elementwise(x, "tanh", { S.tanh($0) }, derivative: { _, y in 1 - y * y })
    }

    /// y = 1 / (1 + e^{−x}), evaluated without overflow for large |x|; f′ = y (1 − y).
    @inlinable public func sigmoid(_ x: Tensor<S>) -> Tensor<S> {
        elementwise(x, "sigmoid", { stableSigmoid($0) }, derivative: { _, y in y * (1 - y) })
    }

    /// y = eˣ; f′ = y.
    @inlinable public func exp(_ x: Tensor<S>) -> Tensor<S> {
        elementwise(x, "exp", { S.exp($0) }, derivative: { _, y in y })
    }

    /// y = ln x; f′ = 1/x. Non-positive inputs give NaN/−∞ like every log; `backward` rejects a non-finite loss.
    @inlinable public func log(_ x: Tensor<S>) -> Tensor<S> {
        elementwise(x, "log", { S.log($0) }, derivative: { x, _ in 1 / x })
    }

    /// y = √x; f′ = 1 / (2y).
    @inlinable public func sqrt(_ x: Tensor<S>) -> Tensor<S> {
        elementwise(x, "sqrt", { $0.squareRoot() }, derivative: { _, y in 1 / (2 * y) })
    }

    /// y = xᵖ for a constant exponent p; f′ = p xᵖ⁻¹. Integer p = 2 is computed as x·x (exact, fast).
    @inlinable public func pow(_ x: Tensor<S>, _ p: S) -> Tensor<S> {
        if p == 2 {
            return elementwise(x, "pow", { $0 * $0 }, derivative: { x, _ in 2 * x })
        }
        return elementwise(x, "pow", { S.pow($0, p) }, derivative: { x, _ in p * S.pow(x, p - 1) })
    }
}

/// σ(x) = 1/(1+e^{−x}) for x ≥ 0 and e^{x}/(1+e^{x}) for x < 0, so that e^{|x|} never overflows.
@inlinable @inline(__always)
func stableSigmoid<S: MatrixScalar>(_ x: S) -> S {
    if x >= 0 { return 1 / (1 + S.exp(-x)) }
    let e = S.exp(x)
    return e / (1 + e)
}
