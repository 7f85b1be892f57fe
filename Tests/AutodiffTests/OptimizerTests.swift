import XCTest
import LinearAlgebra
import Autodiff

/// Optimisers and the scheduler against hand-computed values (PyTorch's update rules written out directly).
final class OptimizerTests: XCTestCase {
    /// Gives `p` the gradient `g` by back-propagating L = Σ p ⊙ g.
    private func setGradient(_ p: Tensor<Double>, _ g: Matrix<Double>) throws {
        let tape = Tape<Double>()
        p.zeroGradient()
        try tape.backward(tape.sum(tape.multiply(p, tape.constant(g))))
    }

    /// Textbook Adam (Kingma & Ba, Algorithm 1) for one scalar, in the m̂ / (√v̂ + ε) form.
    private func adamReference(p: Double, grads: [Double], lr: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                               eps: Double = 1e-8, l2: Double = 0, decoupled: Double = 0) -> Double {
        var p = p, m = 0.0, v = 0.0
        for (index, g0) in grads.enumerated() {
            let t = Double(index + 1)
            p -= lr * decoupled * p
            let g = g0 + l2 * p
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            let mHat = m / (1 - Foundation.pow(beta1, t)), vHat = v / (1 - Foundation.pow(beta2, t))
            p -= lr * mHat / (vHat.squareRoot() + eps)
        }
        return p
    }

    func testAdamFirstStepMovesByLearningRateTimesSign() throws {
        // At t = 1, m̂ = g and v̂ = g², so the step is −lr·g/(|g| + ε) ≈ −lr·sign(g).
        let p = Tensor<Double>(parameter: Matrix([[1.0, -2.0, 0.5]]))
        let adam = Adam(parameters: [p], learningRate: 0.1)
        try setGradient(p, Matrix([[3.0, -0.5, 1e-3]]))
        adam.step()
        let expected = [1.0 - 0.1 * 3 / (3 + 1e-8), -2.0 + 0.1 * 0.5 / (0.5 + 1e-8), 0.5 - 0.1 * 1e-3 / (1e-3 + 1e-8)]
        for (a, e) in zip(p.value.elements, expected) { XCTAssertEqual(a, e, accuracy: 1e-15) }
        XCTAssertEqual(p.value.elements[0], 0.9, accuracy: 1e-8)
    }

    func testAdamAndAdamWThreeStepsMatchHandComputation() throws {
        let start = [1.0, -2.0, 0.5, 4.0]
        let grads: [[Double]] = [[0.3, -1.0, 2.0, 0.0], [0.1, 0.5, -2.0, 1e-4], [-0.2, -0.7, 1.0, 3.0]]
        for (mode, l2, decoupled) in [("Adam", 0.0, 0.0), ("Adam+L2", 0.05, 0.0), ("AdamW", 0.0, 0.1)] {
            let p = Tensor<Double>(parameter: Matrix([start]))
            let optimizer: any Optimizer = decoupled > 0
                ? Adam.adamW(parameters: [p], learningRate: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: decoupled)
                : Adam(parameters: [p], learningRate: 0.01, beta1: 0.8, beta2: 0.99, weightDecay: l2)
            for g in grads {
                try setGradient(p, Matrix([g]))
                optimizer.step()
            }
            for k in 0..<start.count {
                let e = adamReference(p: start[k], grads: grads.map { $0[k] }, lr: 0.01, beta1: 0.8, beta2: 0.99,
                                      l2: l2, decoupled: decoupled)
                XCTAssertEqual(p.value.elements[k], e, accuracy: 1e-14 * max(1, abs(e)), "\(mode) element \(k)")
            }
        }
        // One literal AdamW step: p = 2, g = 0.5, lr = 0.1, λ = 0.1 → 2·(1 − 0.01) − 0.1·0.5/(0.5 + 1e-8).
        let p = Tensor<Double>(parameter: Matrix([[2.0]]))
        let adamW = Adam.adamW(parameters: [p], learningRate: 0.1, weightDecay: 0.1)
        try setGradient(p, Matrix([[0.5]]))
        adamW.step()
        XCTAssertEqual(p.value[0, 0], 1.88, accuracy: 1e-7)
    }

    func testParametersWithoutGradientAreSkipped() throws {
        let used = Tensor<Double>(parameter: Matrix([[1.0]])), unused = Tensor<Double>(parameter: Matrix([[5.0]]))
        let adam = Adam.adamW(parameters: [used, unused], learningRate: 0.1, weightDecay: 0.5)
        try setGradient(used, Matrix([[1.0]]))
        adam.step()
        XCTAssertEqual(unused.value[0, 0], 5.0)   // no decay, no update: like PyTorch's grad = None
        XCTAssertNotEqual(used.value[0, 0], 1.0)
    }

    func testSGDWithMomentumAndNesterov() throws {
        for nesterov in [false, true] {
            let p = Tensor<Double>(parameter: Matrix([[1.0, -1.0]]))
            let sgd = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: nesterov)
            var reference = [1.0, -1.0], velocity = [0.0, 0.0]
            for (step, g) in [[0.5, 2.0], [-1.0, 1.0], [0.25, 0.0]].enumerated() {
                try setGradient(p, Matrix([g]))
                sgd.step()
                for k in 0..<2 {
                    let d = g[k] + 0.01 * reference[k]
                    velocity[k] = step == 0 ? d : 0.9 * velocity[k] + d
                    reference[k] -= 0.1 * (nesterov ? d + 0.9 * velocity[k] : velocity[k])
                }
            }
            for k in 0..<2 { XCTAssertEqual(p.value.elements[k], reference[k], accuracy: 1e-15) }
        }
    }

    func testGradientClippingByGlobalNorm() throws {
        let a = Tensor<Double>(parameter: Matrix([[0, 0]])), b = Tensor<Double>(parameter: Matrix([[0]]))
        let tape = Tape<Double>()
        let loss = tape.add(tape.sum(tape.multiply(a, tape.constant(Matrix([[3.0, 0.0]])))),
                            tape.sum(tape.multiply(b, tape.constant(Matrix([[4.0]])))))
        try tape.backward(loss)
        let norm = clipGradientNorm([a, b], maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-12)
        XCTAssertEqual(a.gradient![0, 0], 3 / (5 + 1e-6), accuracy: 1e-12)
        XCTAssertEqual(b.gradient![0, 0], 4 / (5 + 1e-6), accuracy: 1e-12)
        // Below the limit nothing changes.
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 10), 5 / (5 + 1e-6), accuracy: 1e-12)
        XCTAssertEqual(a.gradient![0, 0], 3 / (5 + 1e-6), accuracy: 1e-12)
    }

    func testReduceLROnPlateauFollowsPyTorch() {
        let p = Tensor<Double>(parameter: Matrix([[0.0]]))
        let adam = Adam(parameters: [p], learningRate: 1.0)
        let scheduler = ReduceLROnPlateau(optimizer: adam, factor: 0.5, patience: 2, threshold: 0.1, cooldown: 1,
                                          minimumLearningRate: 0.2)
        // Traced by hand with PyTorch's rules (relative threshold: better means < best·0.9).
        let metrics: [Double] = [10, 9.5, 9.2, 9.1, 8.0, 7.9, 7.8, 7.7, 7.6, 7.5, 7.4, 7.3, 7.2]
        let expected: [Double] = [1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2]
        for (metric, lr) in zip(metrics, expected) {
            scheduler.step(metric)
            XCTAssertEqual(adam.learningRate, lr, "after metric \(metric)")
        }
    }
}
