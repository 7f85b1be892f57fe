import Foundation
import LinearAlgebra
import Autodiff

/// Per-column standardisation z = (x − μ)/σ, fitted on one modality's training rows.
///
/// Networks train much better on inputs of unit scale (LeCun et al., *Efficient BackProp*, 1998). Columns with
/// σ below 1e-8·max σ (constant features) are left centred but unscaled, so they never blow up to ∞.
public struct ColumnStandardizer: Sendable, Equatable {
    /// Column means of the training rows.
    public let means: [Double]
    /// Column standard deviations (1 for constant columns).
    public let scales: [Double]

    /// Fits the means and scales on the rows of `x`.
    public init(fitting x: Matrix<Float>) {
        let n = max(1, x.rows), d = x.columns
        var mean = [Double](repeating: 0, count: d), variance = [Double](repeating: 0, count: d)
        for i in 0..<x.rows { for j in 0..<d { mean[j] += Double(x[i, j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        for i in 0..<x.rows { for j in 0..<d { let c = Double(x[i, j]) - mean[j]; variance[j] += c * c } }
        var scale = variance.map { ($0 / Double(n)).squareRoot() }
        let largest = scale.max() ?? 0
        for j in 0..<d where !(scale[j] > 1e-8 * largest) || scale[j] == 0 { scale[j] = 1 }
        means = mean
        scales = scale
    }

    /// A standardiser with given means and scales.
    public init(means: [Double], scales: [Double]) { self.means = means; self.scales = scales }

    /// (x − μ)/σ per column.
    public func embed(_ x: Matrix<Float>) throws -> Matrix<Float> {
        guard x.columns == means.count else {
            throw AlignmentError.shapeMismatch("standardisation: input has \(x.columns) columns, fitted on \(means.count)")
        }
        var out = x
        let d = x.columns
        let m = means.map { Float($0) }, s = scales.map { Float(1 / $0) }
        out.elements.withUnsafeMutableBufferPointer { p in
            for i in 0..<x.rows { for j in 0..<d { p[i * d + j] = (p[i * d + j] - m[j]) * s[j] } }
        }
        return out
    }
}

/// A seeded split of `0..<n` into training and validation indices (`validationFraction` of them, at least one
/// when n ≥ 2 and the fraction is positive).
func trainValidationSplit(_ n: Int, validationFraction: Double, rng: inout SeededRandom) -> (train: [Int], validation: [Int]) {
    let order = rng.permutation(n)
    var v = Int((Double(n) * validationFraction).rounded())
    if validationFraction > 0 && n >= 2 { v = max(1, min(v, n - 1)) } else { v = 0 }
    return (Array(order[v...]), Array(order[..<v]))
}

/// Runs `network` on the rows of `x` in chunks on a private tape (no gradients kept): inference.
func forwardInChunks(_ x: Matrix<Float>, outputs: Int, chunk: Int = 2048,
                     _ network: (Tape<Float>, Tensor<Float>) -> Tensor<Float>) -> Matrix<Float> {
    var out = Matrix<Float>(rows: x.rows, columns: outputs)
    let tape = Tape<Float>()
    var start = 0
    while start < x.rows {
        let end = min(x.rows, start + chunk)
        tape.reset()
        let input = tape.constant(rows: end - start, columns: x.columns) { v in
            x.withView { xv in
                for i in 0..<(end - start) { v.row(i).update(from: xv.row(start + i), count: x.columns) }
            }
        }
        let y = network(tape, input)
        precondition(y.columns == outputs, "forwardInChunks: network gives \(y.columns) columns, expected \(outputs)")
        y.withValue { yv in
            out.withMutableView { ov in
                for i in 0..<(end - start) { ov.row(start + i).update(from: yv.row(i), count: outputs) }
            }
        }
        start = end
    }
    return out
}

/// A seed for a sub-step derived from the user's seed, so that each step's randomness is independent of how much
/// randomness earlier steps consumed (SplitMix64-style mixing of seed and step tag).
func derivedSeed(_ seed: UInt64, _ tag: UInt64) -> UInt64 {
    var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* (tag &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
