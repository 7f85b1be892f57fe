import XCTest
import LinearAlgebra
import Autodiff

/// Every operation of the tape against central differences in Double, on odd shapes, broadcast shapes and
/// every reduction axis. Relative error bound: 10⁻⁶.
final class GradientCheckTests: XCTestCase {
    func testMatmulAllTransposeCombinations() {
        for (m, k, n) in [(1, 1, 1), (3, 5, 4), (7, 1, 2), (2, 6, 1)] {
            checkGradients("matmul NN \(m)×\(k)×\(n)", [(m, k), (k, n)]) { t, x in t.matmul(x[0], x[1]) }
            checkGradients("matmul NT", [(m, k), (n, k)]) { t, x in t.matmul(x[0], x[1], transposeB: true) }
            checkGradients("matmul TN", [(k, m), (k, n)]) { t, x in t.matmul(x[0], x[1], transposeA: true) }
            checkGradients("matmul TT", [(k, m), (n, k)]) { t, x in t.matmul(x[0], x[1], transposeA: true, transposeB: true) }
        }
        // The same tensor on both sides: both contributions must land in one gradient.
        checkGradients("matmul x xᵀ", [(4, 3)]) { t, x in t.matmul(x[0], x[0], transposeB: true) }
    }

    func testFusedLinearWithEveryActivation() {
        let activations: [Activation] = [.identity, .relu, .leakyReLU(slope: 0.2), .tanh, .sigmoid]
        for activation in activations {
            // x, W (out×in), b (1×out); awayFromZero keeps pre-activations off the relu kink with high probability,
            // and the check is repeated on two seeds.
            for seed: UInt64 in [3, 4] {
                checkGradients("linear \(activation)", [(5, 3), (4, 3), (1, 4)], seed: seed) { t, x in
                    t.linear(x[0], weight: x[1], bias: x[2], activation: activation)
                }
            }
        }
        checkGradients("linear without bias", [(6, 2), (3, 2)]) { t, x in
            t.linear(x[0], weight: x[1], bias: nil, activation: .tanh)
        }
    }

    func testBroadcastArithmetic() {
        let shapePairs: [((Int, Int), (Int, Int))] = [
            ((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((3, 4), (1, 1)),
            ((1, 4), (3, 4)), ((3, 1), (1, 5)), ((1, 1), (2, 3)),
        ]
        for (sa, sb) in shapePairs {
            checkGradients("add \(sa)+\(sb)", [sa, sb]) { t, x in t.add(x[0], x[1]) }
            checkGradients("subtract \(sa)-\(sb)", [sa, sb]) { t, x in t.subtract(x[0], x[1]) }
            checkGradients("multiply \(sa)*\(sb)", [sa, sb]) { t, x in t.multiply(x[0], x[1]) }
            checkGradients("divide \(sa)/\(sb)", [sa, sb], prepare: positive) { t, x in t.divide(x[0], x[1]) }
        }
        checkGradients("x * x", [(3, 3)]) { t, x in t.multiply(x[0], x[0]) }
    }

    func testScalarOperatorsAndAffine() {
        checkGradients("affine", [(3, 2)]) { t, x in t.affine(x[0], scale: -2.5, shift: 0.75) }
        checkGradients("negate", [(2, 5)]) { t, x in t.negate(x[0]) }
        checkGradients("operators", [(3, 2), (3, 2)], prepare: positive) { t, x in
            let a: Tensor<Double> = t.affine(x[0], scale: 1)   // recorded tensors, so that operators find the tape
            let b: Tensor<Double> = t.affine(x[1], scale: 1)
            let c1: Tensor<Double> = (a * 2.0 - 1.0) / 3.0
            let c2: Tensor<Double> = 0.5 * a - a * b
            let c3: Tensor<Double> = (c1 + c2) / b
            let c4: Tensor<Double> = 2.0 / b - (1.0 - a)
            return c3 + c4 + (-b)
        }
    }

    func testUnaryFunctions() {
        checkGradients("relu", [(4, 5)], prepare: awayFromZero) { t, x in t.relu(x[0]) }
        checkGradients("leakyReLU", [(4, 5)], prepare: awayFromZero) { t, x in t.leakyReLU(x[0], slope: 0.01) }
        checkGradients("tanh", [(3, 7)]) { t, x in t.tanh(x[0]) }
        checkGradients("sigmoid", [(3, 7)], prepare: { m in Matrix(rows: m.rows, columns: m.columns, elements: m.elements.map { 8 * $0 }) }) { t, x in
            t.sigmoid(x[0])
        }
        checkGradients("exp", [(2, 3)]) { t, x in t.exp(x[0]) }
        checkGradients("log", [(2, 3)], prepare: positive) { t, x in t.log(x[0]) }
        checkGradients("sqrt", [(2, 3)], prepare: positive) { t, x in t.sqrt(x[0]) }
        checkGradients("pow 2", [(3, 3)]) { t, x in t.pow(x[0], 2) }
        checkGradients("pow 3", [(3, 3)]) { t, x in t.pow(x[0], 3) }
        checkGradients("pow 0.5", [(3, 3)], prepare: positive) { t, x in t.pow(x[0], 0.5) }
        checkGradients("pow -1", [(3, 3)], prepare: positive) { t, x in t.pow(x[0], -1) }
    }

    func testSumAndMeanOverEveryAxis() {
        for (m, n) in [(1, 1), (1, 6), (5, 1), (4, 7)] {
            for axis: Axis in [.rows, .columns, .all] {
                checkGradients("sum \(axis) \(m)×\(n)", [(m, n)]) { t, x in t.sum(x[0], over: axis) }
                checkGradients("mean \(axis) \(m)×\(n)", [(m, n)]) { t, x in t.mean(x[0], over: axis) }
            }
        }
    }

    func testSoftmaxFamily() {
        for (m, n) in [(1, 1), (1, 5), (4, 1), (3, 6)] {
            for axis: Axis in [.rows, .columns, .all] {
                checkGradients("logSumExp \(axis) \(m)×\(n)", [(m, n)]) { t, x in t.logSumExp(x[0], over: axis) }
            }
            // A one-element group normalises to the constant 0 (no gradient to check).
            for axis: Axis in [.rows, .columns] where (axis == .rows ? m : n) > 1 {
                checkGradients("logSoftmax \(axis) \(m)×\(n)", [(m, n)]) { t, x in t.logSoftmax(x[0], over: axis) }
            }
        }
        checkGradients("crossEntropy", [(5, 4)]) { t, x in t.crossEntropy(x[0], targets: [0, 3, 3, 1, 2]) }
        // Symmetric InfoNCE with a learnable temperature: logits = exp(s) · za zbᵀ on row-normalised outputs.
        checkGradients("InfoNCE", [(5, 3), (5, 3), (1, 1)]) { t, x in
            let za = t.l2NormalizedRows(x[0]), zb = t.l2NormalizedRows(x[1])
            let logits = t.multiply(t.matmul(za, zb, transposeB: true), t.exp(x[2]))
            let labels = Array(0..<5)
            return t.affine(t.add(t.crossEntropy(logits, targets: labels),
                                  t.crossEntropy(t.transpose(logits), targets: labels)), scale: 0.5)
        }
    }

    func testPairwiseDistancesAndRowNormalisation() {
        checkGradients("pairwise a,b", [(4, 3), (6, 3)]) { t, x in t.pairwiseSquaredDistances(x[0], x[1]) }
        checkGradients("pairwise self", [(5, 3)]) { t, x in t.pairwiseSquaredDistances(x[0]) }
        checkGradients("pairwise 1 row", [(1, 4), (2, 4)]) { t, x in t.pairwiseSquaredDistances(x[0], x[1]) }
        checkGradients("l2NormalizedRows", [(4, 5)]) { t, x in t.l2NormalizedRows(x[0]) }
        checkGradients("l2NormalizedRows 1 row", [(1, 7)]) { t, x in t.l2NormalizedRows(x[0]) }
        checkGradients("l2NormalizedRows 2 columns", [(3, 2)]) { t, x in t.l2NormalizedRows(x[0]) }
        // Multi-bandwidth RBF kernel of the MMD net: Σ_σ exp(−D/(2σ²)).
        checkGradients("RBF kernel", [(4, 2), (3, 2)]) { t, x in
            let d = t.pairwiseSquaredDistances(x[0], x[1])
            return t.add(t.exp(t.affine(d, scale: -0.5)), t.exp(t.affine(d, scale: -0.125)))
        }
    }

    func testShapeOperations() {
        checkGradients("transpose", [(3, 5)]) { t, x in t.transpose(x[0]) }
        checkGradients("gatherRows with repeats", [(4, 3)]) { t, x in t.gatherRows(x[0], [3, 0, 3, 2, 3]) }
        checkGradients("sliceRows", [(5, 3)]) { t, x in t.sliceRows(x[0], 1..<4) }
        checkGradients("sliceColumns", [(3, 6)]) { t, x in t.sliceColumns(x[0], 2..<5) }
        checkGradients("concatenateRows", [(2, 3), (1, 3), (4, 3)]) { t, x in t.concatenateRows(x) }
        checkGradients("concatenateColumns", [(3, 2), (3, 1), (3, 4)]) { t, x in t.concatenateColumns(x) }
        checkGradients("concatenate same tensor twice", [(2, 2)]) { t, x in t.concatenateColumns([x[0], x[0]]) }
    }

    func testLayersEndToEnd() {
        // A SpectralNet-shaped loss: MLP (leaky hidden, tanh out), constant right factor R, constant affinity W.
        var rng = SeededRandom(seed: 11)
        let mlp = MLP<Double>(sizes: [3, 5, 4, 2], hidden: .leakyReLU(slope: 0.1), output: .tanh, rng: &rng)
        let r = rng.normalMatrix(2, 2, as: Double.self)
        let w = rng.uniformMatrix(6, 6, as: Double.self)
        let params = mlp.parameters
        checkGradients("SpectralNet loss wrt input", [(6, 3)]) { t, x in
            let y = t.matmul(mlp(t.affine(x[0], scale: 1)), t.constant(r))   // affine: puts x on the tape
            return t.affine(t.sum(t.multiply(t.constant(w), t.pairwiseSquaredDistances(y))), scale: 1.0 / 12)
        }
        // Gradient with respect to the weights, via a copy of the model whose parameters are the checked inputs.
        let shapes = params.map { ($0.rows, $0.columns) }
        checkGradients("MLP wrt parameters", shapes) { t, x in
            var h = t.constant(w)
            h = t.sliceColumns(h, 0..<3)
            h = t.linear(h, weight: x[0], bias: x[1], activation: .leakyReLU(slope: 0.1))
            h = t.linear(h, weight: x[2], bias: x[3], activation: .leakyReLU(slope: 0.1))
            return t.linear(h, weight: x[4], bias: x[5], activation: .tanh)
        }
        var rng2 = SeededRandom(seed: 12)
        let block = ResidualBlock<Double>(width: 3, hidden: 4, activation: .tanh, rng: &rng2)
        checkGradients("residual block", [(5, 3)]) { t, x in block(t.add(x[0], t.constant(0.0))) }
    }

    /// On a 1030-row batch (where GEMM takes its blocked, packed path) the fused layer's gradients must equal the
    /// textbook formulas evaluated by plain loops: dZ = dY ⊙ (1 − y²), ∂W = dZᵀx, ∂b = Σᵢ dZᵢ, ∂x = dZ W.
    func testFusedLinearOnLargeShapesMatchesDirectFormulas() throws {
        let (batch, inputs, outputs) = (1030, 70, 65)
        var rng = SeededRandom(seed: 21)
        let x = Tensor<Double>(parameter: rng.normalMatrix(batch, inputs))
        let w = Tensor<Double>(parameter: rng.normalMatrix(outputs, inputs, std: 0.1))
        let b = Tensor<Double>(parameter: rng.normalMatrix(1, outputs))
        let upstream = rng.normalMatrix(batch, outputs, as: Double.self)
        let tape = Tape<Double>()
        let y = tape.linear(x, weight: w, bias: b, activation: .tanh)
        try tape.backward(tape.sum(tape.multiply(y, tape.constant(upstream))))

        let xv = x.value, wv = w.value, bv = b.value, yv = y.value
        var dz = Matrix<Double>(rows: batch, columns: outputs)
        var forwardError = 0.0
        for i in 0..<batch {
            for o in 0..<outputs {
                var z = bv[0, o]
                for k in 0..<inputs { z += xv[i, k] * wv[o, k] }
                forwardError = max(forwardError, abs(Foundation.tanh(z) - yv[i, o]))
                dz[i, o] = upstream[i, o] * (1 - yv[i, o] * yv[i, o])
            }
        }
        XCTAssertLessThan(forwardError, 1e-12)
        func relativeError(_ a: Matrix<Double>, _ e: Matrix<Double>) -> Double {
            let d = zip(a.elements, e.elements).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            return d / e.elements.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        }
        var dw = Matrix<Double>(rows: outputs, columns: inputs), db = Matrix<Double>(rows: 1, columns: outputs)
        var dx = Matrix<Double>(rows: batch, columns: inputs)
        for i in 0..<batch {
            for o in 0..<outputs {
                db[0, o] += dz[i, o]
                for k in 0..<inputs { dw[o, k] += dz[i, o] * xv[i, k]; dx[i, k] += dz[i, o] * wv[o, k] }
            }
        }
        XCTAssertLessThan(relativeError(w.gradient!, dw), 1e-12)
        XCTAssertLessThan(relativeError(b.gradient!, db), 1e-12)
        XCTAssertLessThan(relativeError(x.gradient!, dx), 1e-12)
    }

    func testStopGradientBlocksTheGradient() throws {
        let x = Tensor<Double>(parameter: Matrix([[1.5, -2.0], [0.25, 3.0]]))
        let tape = Tape<Double>()
        // L = Σ x ⊙ stop(x): the gradient is stop(x) = x, not the 2x that flows without the stop.
        let loss = tape.sum(tape.multiply(x, tape.stopGradient(x)))
        try tape.backward(loss)
        XCTAssertEqual(x.gradient, x.value)
        x.zeroGradient()
        tape.reset()
        try tape.backward(tape.sum(tape.multiply(x, x)))
        XCTAssertEqual(x.gradient?.elements, x.value.elements.map { 2 * $0 })
    }
}
