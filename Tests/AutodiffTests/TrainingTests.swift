import XCTest
import LinearAlgebra
import Autodiff

/// Whole training loops: learning a non-linear function, determinism across thread counts, buffer reuse,
/// parameter export/import and the typed errors.
final class TrainingTests: XCTestCase {
    /// An MLP must fit y = sin(3x) on [−1, 1]; a linear model cannot (its best MSE is about 0.27), so a loss
    /// below 10⁻³ shows the hidden layers and their gradients work.
    func testSmallNetworkLearnsSine() throws {
        var rng = SeededRandom(seed: 1)
        let n = 128
        let xs = (0..<n).map { -1 + 2 * Float($0) / Float(n - 1) }
        let x = Matrix(rows: n, columns: 1, elements: xs)
        let y = Matrix(rows: n, columns: 1, elements: xs.map { Foundation.sin(3 * $0) })
        let model = MLP<Float>(sizes: [1, 32, 32, 1], hidden: .tanh, output: .identity, rng: &rng)
        let optimizer = Adam(parameters: model.parameters, learningRate: 0.01)
        let scheduler = ReduceLROnPlateau(optimizer: optimizer, factor: 0.5, patience: 50)
        let tape = Tape<Float>()
        var loss: Float = .infinity
        for _ in 0..<1500 {
            tape.reset()
            optimizer.zeroGradients()
            let error = tape.subtract(model(tape.constant(x)), tape.constant(y))
            let l = tape.mean(tape.pow(error, 2))
            try tape.backward(l)
            optimizer.step()
            loss = l.scalar
            scheduler.step(Double(loss))
        }
        XCTAssertLessThan(loss, 1e-3, "MSE after training")
    }

    /// XOR-like: the label is the sign of x₁·x₂; needs a hidden layer. Trained with cross-entropy.
    func testClassifierLearnsXORWithCrossEntropy() throws {
        var rng = SeededRandom(seed: 2)
        let n = 200
        let points = rng.uniformMatrix(n, 2, low: -1, high: 1, as: Float.self)
        let labels = (0..<n).map { points[$0, 0] * points[$0, 1] > 0 ? 1 : 0 }
        let model = MLP<Float>(sizes: [2, 16, 2], hidden: .relu, output: .identity, rng: &rng)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.5, momentum: 0.9)
        let tape = Tape<Float>()
        for _ in 0..<400 {
            tape.reset()
            optimizer.zeroGradients()
            try tape.backward(tape.crossEntropy(model(tape.constant(points)), targets: labels))
            optimizer.step()
        }
        tape.reset()
        let logits = model(tape.constant(points)).value
        let correct = (0..<n).filter { (logits[$0, 1] > logits[$0, 0] ? 1 : 0) == labels[$0] }.count
        XCTAssertGreaterThan(correct, 190, "accuracy on the training points")
    }

    /// A few Adam steps of an MLP with a pairwise-distance loss, large enough that the elementwise kernels,
    /// column sums and reductions take their parallel paths.
    private func trainedWeights(threads: Int) throws -> [String: Matrix<Float>] {
        try Parallel.withThreads(threads) {
            var rng = SeededRandom(seed: 5)
            let model = MLP<Float>(sizes: [24, 300, 160, 8], hidden: .leakyReLU, output: .tanh, rng: &rng)
            let data = Tensor(constant: rng.normalMatrix(512, 24, as: Float.self))
            let optimizer = Adam.adamW(parameters: model.parameters, learningRate: 1e-3)
            let tape = Tape<Float>()
            for _ in 0..<4 {
                tape.reset()
                optimizer.zeroGradients()
                let batch = tape.gatherRows(data, rng.permutation(512).prefix(256).map { $0 })
                let z = model(batch)
                let loss = tape.add(tape.mean(tape.pairwiseSquaredDistances(z)),
                                    tape.mean(tape.logSoftmax(tape.matmul(z, z, transposeB: true))))
                try tape.backward(loss)
                _ = clipGradientNorm(model.parameters, maxNorm: 1)
                optimizer.step()
            }
            return model.exportParameters()
        }
    }

    func testSameWeightsWithOneAndTwoThreads() throws {
        let one = try trainedWeights(threads: 1), two = try trainedWeights(threads: 2)
        XCTAssertEqual(one.keys.sorted(), ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight",
                                          "layers.2.bias", "layers.2.weight"])
        for (name, w) in one { XCTAssertEqual(w, two[name], "\(name) differs between 1 and 2 threads") }
    }

    /// The arena check: after the first step (which allocates every value, gradient, scratch buffer and the
    /// optimiser's moments), further steps of the same shape must not allocate a single tensor buffer.
    func testSteadyStateTrainingAllocatesNoBuffers() throws {
        var rng = SeededRandom(seed: 9)
        let encoderA = MLP<Float>(sizes: [10, 32, 6], hidden: .leakyReLU, output: .tanh, rng: &rng)
        let encoderB = MLP<Float>(sizes: [12, 32, 6], hidden: .relu, output: .identity, rng: &rng)
        let temperature = Tensor<Float>(parameter: Matrix([[0.0]]))
        let dataA = Tensor(constant: rng.normalMatrix(100, 10, as: Float.self))
        let dataB = Tensor(constant: rng.normalMatrix(100, 12, as: Float.self))
        let optimizer = Adam(parameters: encoderA.parameters + encoderB.parameters + [temperature])
        let tape = Tape<Float>()
        func step(batch: Int) throws {
            let labels = Array(0..<batch)
            tape.reset()
            optimizer.zeroGradients()
            let rows = rng.permutation(100).prefix(batch).map { $0 }
            let za = tape.l2NormalizedRows(encoderA(tape.gatherRows(dataA, rows)))
            let zb = tape.l2NormalizedRows(encoderB(tape.gatherRows(dataB, rows)))
            let logits = tape.multiply(tape.matmul(za, zb, transposeB: true), tape.exp(temperature))
            let infoNCE = tape.add(tape.crossEntropy(logits, targets: labels),
                                   tape.crossEntropy(tape.transpose(logits), targets: labels))
            let spread = tape.mean(tape.pairwiseSquaredDistances(za, zb))
            try tape.backward(tape.add(infoNCE, spread))
            _ = clipGradientNorm(optimizer.parameters, maxNorm: 10)
            optimizer.step()
        }
        var counts: [Int] = []
        for _ in 0..<5 {
            try step(batch: 32)
            counts.append(StorageStatistics.allocations)
        }
        XCTAssertGreaterThan(counts[0], 0)
        XCTAssertEqual(Set(counts.dropFirst()), [counts[0]], "tensor buffers allocated per step: \(counts)")
        // A step of another shape needs new buffers once; the arena keeps both sets, so alternating is free.
        try step(batch: 20)
        let afterSecondShape = StorageStatistics.allocations
        XCTAssertGreaterThan(afterSecondShape, counts[0])
        try step(batch: 32)
        try step(batch: 20)
        XCTAssertEqual(StorageStatistics.allocations, afterSecondShape)
        // Dropping the cached buffers makes the next step of the other shape allocate again.
        tape.reset()
        tape.releaseCachedBuffers()
        try step(batch: 32)
        XCTAssertGreaterThan(StorageStatistics.allocations, afterSecondShape)
    }

    func testExportImportRoundTripAndErrors() throws {
        var rng = SeededRandom(seed: 3)
        let a = MLP<Float>(sizes: [4, 3, 2], hidden: .relu, output: .identity, rng: &rng)
        let b = MLP<Float>(sizes: [4, 3, 2], hidden: .relu, output: .identity, rng: &rng)
        XCTAssertNotEqual(a.exportParameters(), b.exportParameters())
        try b.importParameters(a.exportParameters())
        XCTAssertEqual(a.exportParameters(), b.exportParameters())
        XCTAssertEqual(a.parameterCount, 4 * 3 + 3 + 3 * 2 + 2)

        var values = a.exportParameters()
        values["layers.1.bias"] = nil
        XCTAssertThrowsError(try b.importParameters(values)) {
            XCTAssertEqual($0 as? AutodiffError, .missingParameter(name: "layers.1.bias"))
        }
        values = a.exportParameters()
        values["layers.0.weight"] = Matrix(rows: 4, columns: 3)
        XCTAssertThrowsError(try b.importParameters(values)) {
            XCTAssertTrue("\($0)".contains("'layers.0.weight' has shape 3×4"), "\($0)")
        }
        values = a.exportParameters()
        values["layers.7.weight"] = Matrix(rows: 1, columns: 1)
        XCTAssertThrowsError(try b.importParameters(values)) {
            XCTAssertEqual($0 as? AutodiffError, .unexpectedParameter(name: "layers.7.weight"))
        }
    }

    func testNonFiniteLossThrows() {
        let p = Tensor<Float>(parameter: Matrix([[-1.0]]))
        let tape = Tape<Float>()
        XCTAssertThrowsError(try tape.backward(tape.sum(tape.log(p)))) {
            guard case AutodiffError.nonFiniteLoss = $0 else { return XCTFail("unexpected error \($0)") }
        }
        XCTAssertNil(p.gradient)
    }

    /// PyTorch's default initialisation: every weight and bias in ±1/√fan_in, filling the interval, and the
    /// same seed giving the same model.
    func testLinearInitialisationBounds() {
        var rng = SeededRandom(seed: 4)
        let layer = Linear<Float>(inputs: 400, outputs: 50, rng: &rng)
        let bound: Float = 1 / 20
        let w = layer.weight.value.elements, b = layer.bias!.value.elements
        XCTAssertTrue((w + b).allSatisfy { abs($0) <= bound })
        XCTAssertGreaterThan(w.max()!, 0.99 * bound)
        XCTAssertLessThan(w.min()!, -0.99 * bound)
        let mean = w.reduce(0, +) / Float(w.count), variance = w.reduce(0) { $0 + $1 * $1 } / Float(w.count)
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(variance, bound * bound / 3, accuracy: 0.05 * bound * bound / 3)   // U(±c) has variance c²/3
        var again = SeededRandom(seed: 4)
        XCTAssertEqual(Linear<Float>(inputs: 400, outputs: 50, rng: &again).weight.value, layer.weight.value)
    }
}

/// The custom-model pattern from the module documentation, compiled and exercised.
final class ResidualNet: Layer {
    let blocks: [ResidualBlock<Float>]
    init(width: Int, hidden: Int, depth: Int, rng: inout SeededRandom) {
        blocks = (0..<depth).map { _ in ResidualBlock(width: width, hidden: hidden, activation: .relu, rng: &rng) }
    }
    var namedParameters: [(name: String, tensor: Tensor<Float>)] {
        blocks.enumerated().flatMap { prefixed("blocks.\($0.offset)", $0.element) }
    }
    func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { blocks.reduce(x) { h, block in block(h) } }
}

final class CustomLayerTests: XCTestCase {
    /// A residual net moves one point cloud onto a shifted copy by minimising a multi-bandwidth RBF MMD²,
    /// the MMD net's loss: MMD² = mean k(x,x) + mean k(y,y) − 2 mean k(x,y), k = Σ_σ exp(−d²/(2σ²)).
    func testResidualNetReducesMMD() throws {
        var rng = SeededRandom(seed: 8)
        let net = ResidualNet(width: 2, hidden: 16, depth: 2, rng: &rng)
        XCTAssertEqual(net.namedParameters.map { $0.name }.prefix(2), ["blocks.0.linear1.weight", "blocks.0.linear1.bias"])
        let source = rng.normalMatrix(64, 2, as: Float.self)
        let target = Matrix(rows: 64, columns: 2, elements: rng.normalMatrix(64, 2, as: Float.self).elements.map { $0 + 1.5 })
        let optimizer = Adam.adamW(parameters: net.parameters, learningRate: 1e-2)
        let tape = Tape<Float>()
        func mmd() -> Tensor<Float> {
            let x = net(tape.constant(source)), y = tape.constant(target)
            func kernelMean(_ a: Tensor<Float>, _ b: Tensor<Float>) -> Tensor<Float> {
                let d = tape.pairwiseSquaredDistances(a, b)
                let k = [0.5, 1, 2].map { (sigma: Float) in tape.exp(tape.affine(d, scale: -1 / (2 * sigma * sigma))) }
                return tape.mean(k.dropFirst().reduce(k[0]) { tape.add($0, $1) })
            }
            return kernelMean(x, x) + kernelMean(y, y) - 2 * kernelMean(x, y)
        }
        tape.reset()
        let initial = mmd().scalar
        for _ in 0..<150 {
            tape.reset()
            optimizer.zeroGradients()
            try tape.backward(mmd())
            optimizer.step()
        }
        tape.reset()
        let final = mmd().scalar
        XCTAssertGreaterThan(initial, 0.5)
        XCTAssertLessThan(final, 0.1 * initial, "MMD² from \(initial) to \(final)")
    }
}
