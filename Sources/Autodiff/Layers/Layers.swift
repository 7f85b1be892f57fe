import LinearAlgebra

/// Something with named trainable parameters: a layer or a whole model.
///
/// Names follow PyTorch's `state_dict` convention ("layers.0.weight", "layers.0.bias", ...) so that model files
/// read like PyTorch checkpoints; `exportParameters` / `importParameters` turn a model into such a dictionary
/// and back.
public protocol Layer: AnyObject {
    /// The element type of the parameters.
    associatedtype Scalar: MatrixScalar
    /// Every trainable tensor with its name, in a fixed order (the order optimisers see them in).
    var namedParameters: [(name: String, tensor: Tensor<Scalar>)] { get }
}

extension Layer {
    /// The trainable tensors, for an optimiser.
    public var parameters: [Tensor<Scalar>] { namedParameters.map { $0.tensor } }

    /// Total number of trainable scalars.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    /// A copy of every parameter under its name.
    public func exportParameters() -> [String: Matrix<Scalar>] {
        var out: [String: Matrix<Scalar>] = [:]
        for (name, t) in namedParameters { out[name] = t.value }
        return out
    }

    /// Overwrites every parameter with the value of the same name.
    /// - Throws: `AutodiffError` naming the parameter when a value is missing, has the wrong shape, or when
    ///   `values` holds a name the model does not have. Nothing is changed unless every check passes.
    public func importParameters(_ values: [String: Matrix<Scalar>]) throws {
        let named = namedParameters
        let known = Set(named.map { $0.name })
        if let extra = values.keys.sorted().first(where: { !known.contains($0) }) {
            throw AutodiffError.unexpectedParameter(name: extra)
        }
        for (name, t) in named {
            guard let v = values[name] else { throw AutodiffError.missingParameter(name: name) }
            guard v.rows == t.rows && v.columns == t.columns else {
                throw AutodiffError.parameterShapeMismatch(name: name, expected: (t.rows, t.columns), found: (v.rows, v.columns))
            }
        }
        for (name, t) in named { t.assign(values[name]!) }
    }
}

/// Prefixes the parameter names of a sub-layer: `prefixed("encoder", mlp)` gives "encoder.layers.0.weight", ...
public func prefixed<L: Layer>(_ prefix: String, _ layer: L) -> [(name: String, tensor: Tensor<L.Scalar>)] {
    layer.namedParameters.map { (prefix + "." + $0.name, $0.tensor) }
}

/// A fully connected layer y = x Wᵀ + b, W stored outputs×inputs as in PyTorch's `nn.Linear`.
///
/// Initialisation is PyTorch's default: W is kaiming-uniform with a = √5, i.e. U(−bound, bound) with
/// bound = gain·√(3/fan_in) and gain = √(2/(1+a²)) = √(1/3), which simplifies to 1/√fan_in; the bias is
/// U(±1/√fan_in) too. The weight is drawn first, row by row, then the bias, from the given generator.
public final class Linear<S: MatrixScalar>: Layer {
    /// The element type of the parameters.
    public typealias Scalar = S
    /// The `outputs × inputs` weight matrix W.
    public let weight: Tensor<S>
    /// The `1 × outputs` bias row b, or nil for a layer without bias.
    public let bias: Tensor<S>?

    /// A layer from `inputs` to `outputs` features with PyTorch's default initialisation (see the type's
    /// discussion), drawn from `rng`.
    public init(inputs: Int, outputs: Int, bias: Bool = true, rng: inout SeededRandom) {
        precondition(inputs > 0 && outputs > 0, "Linear: needs positive sizes, got \(inputs) → \(outputs)")
        let bound = 1 / Double(inputs).squareRoot()
        weight = Tensor(parameter: rng.uniformMatrix(outputs, inputs, low: -bound, high: bound, as: S.self))
        self.bias = bias ? Tensor(parameter: rng.uniformMatrix(1, outputs, low: -bound, high: bound, as: S.self)) : nil
    }

    /// Number of input features (columns of W).
    public var inputs: Int { weight.columns }
    /// Number of output features (rows of W).
    public var outputs: Int { weight.rows }

    public var namedParameters: [(name: String, tensor: Tensor<S>)] {
        var p: [(name: String, tensor: Tensor<S>)] = [("weight", weight)]
        if let bias { p.append(("bias", bias)) }
        return p
    }

    /// activation(x Wᵀ + b) as one fused operation on x's tape.
    @inlinable public func callAsFunction(_ x: Tensor<S>, activation: Activation = .identity) -> Tensor<S> {
        Tensor.tapeOf(x).linear(x, weight: weight, bias: bias, activation: activation)
    }
}

/// A multilayer perceptron: a chain of `Linear` layers, each followed by its own activation.
/// Parameters are named "layers.i.weight" / "layers.i.bias" for the i-th linear layer.
public final class MLP<S: MatrixScalar>: Layer {
    /// The element type of the parameters.
    public typealias Scalar = S
    /// The linear layers, input side first.
    public let layers: [Linear<S>]
    /// The activation after each layer: `activations[i]` follows `layers[i]`.
    public let activations: [Activation]

    /// `sizes` = [inputs, hidden₁, …, outputs]; `activations[i]` follows layer i (one per layer).
    public init(sizes: [Int], activations: [Activation], rng: inout SeededRandom) {
        precondition(sizes.count >= 2, "MLP: needs at least input and output sizes, got \(sizes)")
        precondition(activations.count == sizes.count - 1,
                     "MLP: \(sizes.count - 1) layers but \(activations.count) activations")
        var layers: [Linear<S>] = []
        for i in 0..<(sizes.count - 1) { layers.append(Linear(inputs: sizes[i], outputs: sizes[i + 1], rng: &rng)) }
        self.layers = layers
        self.activations = activations
    }

    /// The common shape: every hidden layer followed by `hidden`, the last one by `output`.
    public convenience init(sizes: [Int], hidden: Activation, output: Activation, rng: inout SeededRandom) {
        self.init(sizes: sizes, activations: Array(repeating: hidden, count: sizes.count - 2) + [output], rng: &rng)
    }

    public var namedParameters: [(name: String, tensor: Tensor<S>)] {
        layers.enumerated().flatMap { prefixed("layers.\($0.offset)", $0.element) }
    }

    /// Applies the layers in order, each fused with its activation, on x's tape.
    @inlinable public func callAsFunction(_ x: Tensor<S>) -> Tensor<S> {
        var h = x
        for (layer, activation) in zip(layers, activations) { h = layer(h, activation: activation) }
        return h
    }
}

/// A residual block y = x + W₂ f(W₁ x + b₁) + b₂ (an identity skip around a two-layer MLP), as in ResNets
/// (He et al., 2016). Parameters: "linear1.*", "linear2.*".
public final class ResidualBlock<S: MatrixScalar>: Layer {
    /// The element type of the parameters.
    public typealias Scalar = S
    /// The first layer, `width → hidden`.
    public let linear1: Linear<S>
    /// The second layer, `hidden → width`, whose output is added to the block's input.
    public let linear2: Linear<S>
    /// The activation between the two layers.
    public let activation: Activation

    /// A block of the given `width` around a hidden layer of `hidden` units; both layers are initialised as
    /// `Linear` layers from `rng`, `linear1` first.
    public init(width: Int, hidden: Int, activation: Activation = .relu, rng: inout SeededRandom) {
        linear1 = Linear(inputs: width, outputs: hidden, rng: &rng)
        linear2 = Linear(inputs: hidden, outputs: width, rng: &rng)
        self.activation = activation
    }

    public var namedParameters: [(name: String, tensor: Tensor<S>)] {
        prefixed("linear1", linear1) + prefixed("linear2", linear2)
    }

    /// x + linear2(f(linear1(x))), recorded on x's tape.
    @inlinable public func callAsFunction(_ x: Tensor<S>) -> Tensor<S> {
        x + linear2(linear1(x, activation: activation))
    }
}
