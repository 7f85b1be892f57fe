import LinearAlgebra
import Autodiff

/// The trained weights of a multilayer perceptron as an immutable value: what a fitted model keeps of a network.
///
/// Training works on `MLP`, a graph of reference-typed tensors on a tape; a fitted model must be a value that
/// tasks can share, so it keeps the weights alone and rebuilds the network for each forward pass (a copy of the
/// weights, small next to the pass itself). The rebuilt network computes exactly what the trained one did.
public struct NetworkWeights: Sendable, Equatable {
    /// `[inputs, hidden₁, …, outputs]`.
    public var sizes: [Int]
    /// The activation after each layer (one per layer).
    public var activations: [Activation]
    /// Parameters under PyTorch's `state_dict` names: `layers.i.weight` (outputs × inputs), `layers.i.bias`.
    public var parameters: [String: Matrix<Float>]

    /// Weights with every field given; `parameters` must hold every layer's weight and bias.
    public init(sizes: [Int], activations: [Activation], parameters: [String: Matrix<Float>]) {
        self.sizes = sizes; self.activations = activations; self.parameters = parameters
    }

    /// A snapshot of `network`'s current weights.
    public init(_ network: MLP<Float>) {
        sizes = [network.layers[0].inputs] + network.layers.map(\.outputs)
        activations = network.activations
        parameters = network.exportParameters()
    }

    /// Width of the input rows.
    public var inputs: Int { sizes.first ?? 0 }
    /// Width of the output rows.
    public var outputs: Int { sizes.last ?? 0 }
    /// Widths of the hidden layers.
    public var hidden: [Int] { Array(sizes.dropFirst().dropLast()) }

    /// A trainable network holding these weights.
    public func network() -> MLP<Float> {
        var rng = SeededRandom(seed: 0)   // the initial values are overwritten at once
        let network = MLP<Float>(sizes: sizes, activations: activations, rng: &rng)
        // The weights come from a trained network or from a stored model whose shapes were checked on reading.
        try! network.importParameters(parameters)
        return network
    }

    /// The network's output for each row of `x`; with `residual`, `x + network(x)` (inputs and outputs must
    /// then have the same width).
    func forward(_ x: Matrix<Float>, residual: Bool = false) -> Matrix<Float> {
        let network = network()
        return forwardInChunks(x, outputs: outputs) { _, t in residual ? t + network(t) : network(t) }
    }
}
