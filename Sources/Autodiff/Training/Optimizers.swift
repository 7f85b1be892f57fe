import LinearAlgebra

/// A first-order optimiser over a fixed list of parameters. Hyper-parameters are `Double`; the updates run in
/// the parameters' element type. Like PyTorch, a parameter that received no gradient since the last
/// `zeroGradients()` is skipped entirely (its state does not advance).
public protocol Optimizer: AnyObject {
    /// The step size η; schedulers such as `ReduceLROnPlateau` change it between steps.
    var learningRate: Double { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Marks every gradient as zero (PyTorch's `zero_grad(set_to_none=True)`).
    func zeroGradients()
}

/// Per-parameter optimiser buffers (momentum, moments), allocated zero-filled at a parameter's first update.
@usableFromInline
struct ParameterState<S: MatrixScalar> {
    @usableFromInline var buffers: [TensorStorage<S>?]
    @usableFromInline var steps: [Int]
    @inlinable init(count: Int) { buffers = Array(repeating: nil, count: count); steps = Array(repeating: 0, count: count) }

    /// The buffer of parameter `i` (zero-filled when first created).
    @inlinable mutating func buffer(_ i: Int, count: Int) -> (pointer: UnsafeMutablePointer<S>, isNew: Bool) {
        if let b = buffers[i] { return (b.pointer, false) }
        let b = TensorStorage<S>(count: count)
        b.pointer.update(repeating: 0, count: count)
        buffers[i] = b
        return (b.pointer, true)
    }
}

/// Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`:
///   g ← ∇ + λ p;  v ← g (first step) or μ v + (1 − dampening) g;  g ← g + μ v (Nesterov) or v;  p ← p − η g.
public final class SGD<S: MatrixScalar>: Optimizer {
    /// The tensors this optimiser updates, in the order given at creation.
    public let parameters: [Tensor<S>]
    /// The step size η.
    public var learningRate: Double
    /// The momentum factor μ; 0 disables momentum and its velocity buffers.
    public var momentum: Double
    /// The dampening of the new gradient in the velocity update v ← μ v + (1 − dampening) g.
    public var dampening: Double
    /// The L2 penalty λ, added to the gradient as λ p.
    public var weightDecay: Double
    /// Whether the step uses Nesterov momentum, g + μ v, instead of the velocity v.
    public var nesterov: Bool
    @usableFromInline var velocity: ParameterState<S>

    /// SGD over `parameters`, which must all come from `Tensor(parameter:)`; the arguments and defaults are those
    /// of `torch.optim.SGD`.
    public init(parameters: [Tensor<S>], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                weightDecay: Double = 0, nesterov: Bool = false) {
        precondition(parameters.allSatisfy { $0.isPersistent && $0.requiresGradient }, "SGD: parameters must be Tensor(parameter:)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        velocity = ParameterState(count: parameters.count)
    }

    /// Marks the gradient of every parameter as zero.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Applies one SGD update to every parameter that has a gradient (see the type's discussion).
    @inlinable public func step() {
        let lr = S(learningRate), mu = S(momentum), keep = S(1 - dampening), wd = S(weightDecay)
        let useMomentum = momentum != 0, nesterov = self.nesterov
        for (index, p) in parameters.enumerated() where !p.gradientIsZero {
            let w = p.storage.pointer, g = p.gradientPointer, n = p.count
            let (v, isNew) = useMomentum ? velocity.buffer(index, count: n) : (g, false)
            parallelBlocks(n) { r in
                for i in r {
                    var d = g[i] + wd * w[i]
                    if useMomentum {
                        v[i] = isNew ? d : mu * v[i] + keep * d
                        d = nesterov ? d + mu * v[i] : v[i]
                    }
                    w[i] -= lr * d
                }
            }
        }
    }
}

/// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019) with PyTorch's `torch.optim.Adam` /
/// `torch.optim.AdamW` arithmetic. With t the parameter's step count and λ the weight decay:
///   AdamW only: p ← p (1 − η λ)          (decoupled decay: shrinks the weights, bypasses the moments)
///   g ← ∇ + λ p                          (Adam only: L2 decay, coupled to the gradient)
///   m ← m + (1 − β₁)(g − m);  v ← β₂ v + (1 − β₂) g²
///   p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// Create AdamW with `Adam.adamW(parameters:...)` (its default λ is PyTorch's 0.01).
public final class Adam<S: MatrixScalar>: Optimizer {
    /// The tensors this optimiser updates, in the order given at creation.
    public let parameters: [Tensor<S>]
    /// The step size η.
    public var learningRate: Double
    /// Decay rate β₁ of the running mean of the gradients (first moment).
    public var beta1: Double
    /// Decay rate β₂ of the running mean of the squared gradients (second moment).
    public var beta2: Double
    /// The ε added to the bias-corrected √v in the denominator, which bounds the step where v is tiny.
    public var epsilon: Double
    /// The weight decay λ: an L2 term in the gradient for Adam, a direct shrink of the weights for AdamW.
    public var weightDecay: Double
    /// True for AdamW: the weight decay shrinks the weights directly instead of being added to the gradient.
    public let decoupledWeightDecay: Bool
    @usableFromInline var firstMoments: ParameterState<S>
    @usableFromInline var secondMoments: ParameterState<S>

    /// Adam (AdamW when `decoupledWeightDecay` is true) over `parameters`, which must all come from
    /// `Tensor(parameter:)`; the defaults are those of `torch.optim.Adam`.
    public init(parameters: [Tensor<S>], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) {
        precondition(parameters.allSatisfy { $0.isPersistent && $0.requiresGradient }, "Adam: parameters must be Tensor(parameter:)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoments = ParameterState(count: parameters.count)
        secondMoments = ParameterState(count: parameters.count)
    }

    /// AdamW: Adam with decoupled weight decay.
    public static func adamW(parameters: [Tensor<S>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                             beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// Marks the gradient of every parameter as zero.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Applies one Adam update to every parameter that has a gradient; each parameter's bias corrections use its
    /// own step count, which advances only when it has a gradient.
    @inlinable public func step() {
        for (index, p) in parameters.enumerated() where !p.gradientIsZero {
            firstMoments.steps[index] += 1
            let t = Double(firstMoments.steps[index])
            let correction1 = 1 - Foundation.pow(beta1, t), correction2 = 1 - Foundation.pow(beta2, t)
            let stepSize = S(learningRate / correction1), inverseRootCorrection2 = S(1 / correction2.squareRoot())
            let b1 = S(1 - beta1), b2 = S(beta2), oneMinusB2 = S(1 - beta2), eps = S(epsilon)
            let l2 = S(decoupledWeightDecay ? 0 : weightDecay)
            let shrink = S(decoupledWeightDecay ? 1 - learningRate * weightDecay : 1)
            let w = p.storage.pointer, g = p.gradientPointer, n = p.count
            let m = firstMoments.buffer(index, count: n).pointer, v = secondMoments.buffer(index, count: n).pointer
            parallelBlocks(n) { r in
                for i in r {
                    let gi = g[i] + l2 * w[i]
                    let mi = m[i] + b1 * (gi - m[i])
                    let vi = b2 * v[i] + oneMinusB2 * gi * gi
                    m[i] = mi
                    v[i] = vi
                    w[i] = shrink * w[i] - stepSize * mi / (vi.squareRoot() * inverseRootCorrection2 + eps)
                }
            }
        }
    }
}

/// Rescales all gradients together so that their joint Euclidean norm is at most `maxNorm`, like PyTorch's
/// `clip_grad_norm_`: with N = √(Σ ‖∇ₚ‖²) (accumulated in Double over fixed blocks, in order), gradients are
/// multiplied by maxNorm / (N + 10⁻⁶) when that is below 1. Returns N (before clipping).
@inlinable
public func clipGradientNorm<S: MatrixScalar>(_ parameters: [Tensor<S>], maxNorm: Double) -> Double {
    var total = 0.0
    for p in parameters where !p.gradientIsZero {
        let g = p.gradientPointer, grain = 1 << 15
        let blocks = (p.count + grain - 1) / grain
        var partial = [Double](repeating: 0, count: blocks)
        partial.withUnsafeMutableBufferPointer { out in
            Parallel.forEach(blocks) { b in
                var s = 0.0
                for i in (b * grain)..<Swift.min(p.count, (b + 1) * grain) { let x = Double(g[i]); s += x * x }
                out[b] = s
            }
        }
        for s in partial { total += s }
    }
    let norm = total.squareRoot()
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        let c = S(coefficient)
        for p in parameters where !p.gradientIsZero {
            let g = p.gradientPointer
            parallelBlocks(p.count) { r in for i in r { g[i] *= c } }
        }
    }
    return norm
}

import Foundation
