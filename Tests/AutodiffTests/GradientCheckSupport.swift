import XCTest
import LinearAlgebra
import Autodiff

/// Finite-difference gradient checking in Double.
///
/// The inputs become parameters; the op under test produces y; the scalar checked is L = Σ R ⊙ y with a fixed
/// random R, so that every output element influences L with a different weight (a plain Σ y would hide errors
/// that cancel across elements). Each input element is perturbed by ±h (h = 10⁻⁵·max(1, |x|)) and the central
/// difference (L(x+h) − L(x−h)) / 2h, whose truncation error is O(h²) and rounding error O(ε/h), about 10⁻¹⁰
/// relative here, is compared with the reverse-mode gradient in the norm-wise relative error
/// ‖g_analytic − g_numeric‖ / max(‖g_analytic‖, ‖g_numeric‖).
func checkGradients(_ name: String, _ shapes: [(Int, Int)], seed: UInt64 = 7,
                    tolerance: Double = 1e-6,
                    prepare: (Matrix<Double>) -> Matrix<Double> = { $0 },
                    _ f: (Tape<Double>, [Tensor<Double>]) -> Tensor<Double>,
                    file: StaticString = #filePath, line: UInt = #line) {
    var rng = SeededRandom(seed: seed)
    let inputs = shapes.map { Tensor<Double>(parameter: prepare(rng.normalMatrix($0.0, $0.1))) }
    let tape = Tape<Double>()
    let probe = f(tape, inputs)
    let weights = rng.normalMatrix(probe.rows, probe.columns, as: Double.self)

    func loss() -> Tensor<Double> {
        tape.reset()
        return tape.sum(tape.multiply(f(tape, inputs), tape.constant(weights)))
    }

    let l = loss()
    for t in inputs { t.zeroGradient() }
    XCTAssertNoThrow(try tape.backward(l), "\(name): backward threw", file: file, line: line)
    let analytic = inputs.map { $0.gradient ?? Matrix(rows: $0.rows, columns: $0.columns) }

    for (index, t) in inputs.enumerated() {
        var v = t.value
        var numeric = Matrix<Double>(rows: t.rows, columns: t.columns)
        for k in 0..<v.count {
            let original = v.elements[k]
            let h = 1e-5 * max(1, abs(original))
            v.elements[k] = original + h; t.assign(v)
            let plus = loss().scalar
            v.elements[k] = original - h; t.assign(v)
            let minus = loss().scalar
            v.elements[k] = original; t.assign(v)
            numeric.elements[k] = (plus - minus) / (2 * h)
        }
        let a = analytic[index].elements, n = numeric.elements
        let difference = zip(a, n).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        let scale = max(a.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), n.reduce(0.0) { $0 + $1 * $1 }.squareRoot())
        XCTAssertGreaterThan(scale, 0, "\(name): input \(index) gets no gradient at all", file: file, line: line)
        let relative = scale == 0 ? 0 : difference / scale
        XCTAssertLessThan(relative, tolerance, "\(name): input \(index) (\(t.rows)×\(t.columns)) relative error \(relative)",
                          file: file, line: line)
    }
}

/// Moves entries away from 0 (the kink of relu/leaky relu) so that ±h never crosses it.
func awayFromZero(_ m: Matrix<Double>) -> Matrix<Double> {
    Matrix(rows: m.rows, columns: m.columns, elements: m.elements.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 })
}

/// Positive entries in [0.5, ∞) for log, sqrt and fractional powers.
func positive(_ m: Matrix<Double>) -> Matrix<Double> {
    Matrix(rows: m.rows, columns: m.columns, elements: m.elements.map { abs($0) + 0.5 })
}
