// # Autodiff
//
// Reverse-mode automatic differentiation over 2-D tensors, with the layers and optimisers needed to train the
// networks of SUE (SpectralNet, the MMD residual net, the contrastive and autoencoder baselines).
//
// It reads like micrograd (Karpathy, 2020): every operation is one method of `Tape` whose forward computation
// and backward closure sit side by side. It runs like a real framework: tensors are whole matrices, products
// and their gradients are single `gemm` calls with transpose flags (never a transposed copy), elementwise
// loops run on raw pointers over fixed parallel blocks, a fully connected layer fuses bias and activation into
// one pass after its GEMM, and a tape lends every buffer from an arena that is reused when the next step has
// the same shape (see `Tape`).
//
// ## A training loop
//
// ```swift
// import LinearAlgebra
// import Autodiff
//
// var rng = SeededRandom(seed: 42)
// let model = MLP<Float>(sizes: [768, 512, 16], hidden: .leakyReLU, output: .tanh, rng: &rng)
// let optimizer = Adam(parameters: model.parameters, learningRate: 1e-3)
// let scheduler = ReduceLROnPlateau(optimizer: optimizer, factor: 0.1, patience: 10)
// let data = Tensor(constant: x)                  // the whole training set, n×768, kept once
// let tape = Tape<Float>()
// for epoch in 0..<epochs {
//     var epochLoss: Float = 0
//     let order = rng.permutation(data.rows)       // seeded shuffling
//     for start in stride(from: 0, to: order.count, by: batchSize) {
//         tape.reset()                             // reuse last step's buffers
//         optimizer.zeroGradients()
//         let batch = tape.gatherRows(data, Array(order[start..<min(start + batchSize, order.count)]))
//         let y = model(batch)                     // fused linear + activation per layer
//         let loss = tape.mean(tape.pairwiseSquaredDistances(y))   // any scalar built from tape ops
//         try tape.backward(loss)                  // throws if the loss is NaN/∞
//         _ = clipGradientNorm(model.parameters, maxNorm: 5)
//         optimizer.step()
//         epochLoss += loss.scalar
//     }
//     scheduler.step(Double(epochLoss))
// }
// let weights = model.exportParameters()           // ["layers.0.weight": Matrix<Float>, ...]
// ```
//
// Losses are ordinary expressions: SpectralNet's Σᵢⱼ Wᵢⱼ‖yᵢ − yⱼ‖²/(2m) with a constant affinity W and a
// constant orthonormalising R is
// `tape.sum(tape.constant(w) * tape.pairwiseSquaredDistances(tape.matmul(y, tape.constant(r)))) / Float(2 * m)`;
// symmetric InfoNCE on row-normalised outputs is
// `(tape.crossEntropy(logits, targets: labels) + tape.crossEntropy(tape.transpose(logits), targets: labels)) / 2`
// with `logits = tape.matmul(za, zb, transposeB: true) * scale`.
//
// A model of your own is a class conforming to `Layer`: list its parameters under prefixed names and apply
// its sub-layers in `callAsFunction`. The MMD net's stack of residual blocks, for instance:
//
// ```swift
// final class ResidualNet: Layer {
//     let blocks: [ResidualBlock<Float>]
//     init(width: Int, hidden: Int, depth: Int, rng: inout SeededRandom) {
//         blocks = (0..<depth).map { _ in ResidualBlock(width: width, hidden: hidden, activation: .relu, rng: &rng) }
//     }
//     var namedParameters: [(name: String, tensor: Tensor<Float>)] {
//         blocks.enumerated().flatMap { prefixed("blocks.\($0.offset)", $0.element) }   // "blocks.0.linear1.weight", …
//     }
//     func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { blocks.reduce(x) { h, block in block(h) } }
// }
// ```
//
// ## Element type
//
// Everything is generic over `MatrixScalar`: `Float` for training, `Double` for finite-difference gradient
// checks of the very same code. The operations are `@inlinable`, so each client module compiles them
// specialised for its concrete type and the inner loops run on `Float` directly, with no generic dispatch per
// element (generic code that is not inlinable is not specialised across module boundaries).
