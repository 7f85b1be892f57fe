import LinearAlgebra

/// The activation functions a fused `Tape.linear` layer can apply.
///
/// Each one's derivative can be written in terms of its *output* y alone, which is what lets the fused layer
/// apply it in place without keeping the pre-activation:
/// - identity: f′ = 1
/// - relu: y > 0 ⇔ x > 0, so f′ = [y > 0]
/// - leakyReLU(slope > 0): y > 0 ⇔ x > 0, so f′ = y > 0 ? 1 : slope
/// - tanh: f′ = 1 − y²
/// - sigmoid: f′ = y (1 − y)
public enum Activation: Sendable, Equatable {
    /// f(x) = x.
    case identity
    /// f(x) = max(x, 0).
    case relu
    /// f(x) = x for x > 0, slope·x otherwise. The slope must be positive (see the type's discussion);
    /// `Activation.leakyReLU` uses PyTorch's default, 0.01.
    case leakyReLU(slope: Double)
    /// f(x) = tanh x.
    case tanh
    /// f(x) = 1 / (1 + e⁻ˣ), evaluated without overflow.
    case sigmoid

    /// LeakyReLU with PyTorch's default slope 0.01.
    public static var leakyReLU: Activation { .leakyReLU(slope: 0.01) }

    /// y[i, j] = f(y[i, j] + bias[j]) in place, over fixed row blocks in parallel.
    @inlinable
    func addBiasAndApply<S: MatrixScalar>(_ y: UnsafeMutablePointer<S>, rows: Int, columns: Int,
                                          bias: UnsafeMutablePointer<S>?) {
        // The switch sits outside the loops so that each loop body is a branch-free expression that vectorises.
        @inline(__always) func run(_ f: (S) -> S) {
            Parallel.forEachChunk(rows, chunk: rowGrain(columns: columns)) { block in
                for i in block {
                    let row = y + i * columns
                    if let bias {
                        for j in 0..<columns { row[j] = f(row[j] + bias[j]) }
                    } else {
                        for j in 0..<columns { row[j] = f(row[j]) }
                    }
                }
            }
        }
        switch self {
        case .identity: if bias != nil { run { $0 } }
        case .relu: run { $0 > 0 ? $0 : 0 }
        case .leakyReLU(let slope):
            precondition(slope > 0, "leakyReLU: the fused layer needs a positive slope, found \(slope)")
            let s = S(slope)
            run { $0 > 0 ? $0 : s * $0 }
        case .tanh: run { S.tanh($0) }
        case .sigmoid: run { stableSigmoid($0) }
        }
    }

    /// dz = dy ⊙ f′(y) over `count` elements.
    @inlinable
    func backward<S: MatrixScalar>(output y: UnsafeMutablePointer<S>, outputGradient dy: UnsafeMutablePointer<S>,
                                   into dz: UnsafeMutablePointer<S>, count: Int) {
        @inline(__always) func run(_ fPrime: (S) -> S) {
            parallelBlocks(count) { r in for i in r { dz[i] = dy[i] * fPrime(y[i]) } }
        }
        switch self {
        case .identity: run { _ in 1 }
        case .relu: run { $0 > 0 ? 1 : 0 }
        case .leakyReLU(let slope):
            let s = S(slope)
            run { $0 > 0 ? 1 : s }
        case .tanh: run { 1 - $0 * $0 }
        case .sigmoid: run { $0 * (1 - $0) }
        }
    }
}
