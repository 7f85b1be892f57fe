import Foundation
import LinearAlgebra

/// Two synthetic "modalities" of one latent manifold: the setting SUE's rationale assumes (Section 4.1), where a
/// latent semantic manifold M is observed through two different maps f(M) and g(M).
///
/// **Latent manifold.** `clusters` groups placed along a closed curve in ℝ³ (a trefoil-like loop,
/// t ↦ (cos t, sin t, ½ sin 2t·…)), each a Gaussian blob of radius `clusterSpread` around its centre, plus the
/// position along the curve inside the cluster. The clusters give the graph a clear spectral structure (a few
/// nearly disconnected groups, Von Luxburg 2007), the curve makes it non-linear.
///
/// **Observation maps.** Each modality is a random two-layer lift, like a small untrained encoder:
/// h = tanh(A z + b) with A (hidden×3) and b random, then v = B h with B (d×hidden), then row-normalised (encoder
/// outputs are compared by cosine, as in the paper) plus isotropic Gaussian noise of size `noise`. The two
/// modalities draw A, b, B independently, so they are related by an unknown non-linear map, not a rotation.
///
/// Row i of `x` and row i of `y` observe the same latent point: the data are fully paired, and evaluation
/// protocols (Appendix D.7) hide most of the pairing themselves.
public struct SyntheticPairs: Sendable {
    /// n × xDimension, rows of unit norm up to noise.
    public let x: Matrix<Float>
    /// n × yDimension.
    public let y: Matrix<Float>
    /// The cluster of each row.
    public let labels: [Int]
    /// n × 3 latent coordinates.
    public let latent: Matrix<Double>

    public struct Configuration: Sendable {
        public var count: Int
        public var xDimension: Int
        public var yDimension: Int
        public var clusters: Int
        public var clusterSpread: Double
        public var hidden: Int
        public var noise: Double
        public init(count: Int = 1000, xDimension: Int = 32, yDimension: Int = 48, clusters: Int = 6,
                    clusterSpread: Double = 0.25, hidden: Int = 64, noise: Double = 0.02) {
            self.count = count; self.xDimension = xDimension; self.yDimension = yDimension
            self.clusters = clusters; self.clusterSpread = clusterSpread; self.hidden = hidden; self.noise = noise
        }
    }

    /// Generates the data from `seed` (same seed → same matrices, bit for bit).
    public init(_ configuration: Configuration = Configuration(), seed: UInt64) {
        let c = configuration
        precondition(c.count > 0 && c.clusters > 0 && c.xDimension > 0 && c.yDimension > 0 && c.hidden > 0,
                     "SyntheticPairs: sizes must be positive")
        var rng = SeededRandom(seed: seed)
        var latent = Matrix<Double>(rows: c.count, columns: 3)
        var labels = [Int](repeating: 0, count: c.count)
        for i in 0..<c.count {
            let cluster = rng.int(below: c.clusters)
            labels[i] = cluster
            // Position along the closed curve: the cluster's centre plus a spread along and across it.
            let t = 2 * Double.pi * (Double(cluster) + 0.5 * c.clusterSpread * rng.normal()) / Double(c.clusters)
            let curve = [cos(t), sin(t), 0.6 * sin(2 * t)]
            for j in 0..<3 { latent[i, j] = curve[j] + c.clusterSpread * 0.4 * rng.normal() }
        }
        x = SyntheticPairs.lift(latent, to: c.xDimension, hidden: c.hidden, noise: c.noise, rng: &rng)
        y = SyntheticPairs.lift(latent, to: c.yDimension, hidden: c.hidden, noise: c.noise, rng: &rng)
        self.labels = labels
        self.latent = latent
    }

    /// normalise(B·tanh(A z + b)) + noise, with fresh random A, b, B from `rng`.
    static func lift(_ z: Matrix<Double>, to d: Int, hidden: Int, noise: Double,
                     rng: inout SeededRandom) -> Matrix<Float> {
        let a: Matrix<Double> = rng.normalMatrix(z.columns, hidden, std: 1.5)
        let b: Matrix<Double> = rng.normalMatrix(1, hidden, std: 0.5)
        let out: Matrix<Double> = rng.normalMatrix(hidden, d, std: 1 / Double(hidden).squareRoot())
        var h = Matrix.multiply(z, .none, a)
        for i in 0..<h.rows { for j in 0..<hidden { h[i, j] = tanh(h[i, j] + b[0, j]) } }
        let v = Matrix.multiply(h, .none, out)
        var result = Matrix<Float>(rows: z.rows, columns: d)
        for i in 0..<z.rows {
            var norm = 0.0
            for j in 0..<d { norm += v[i, j] * v[i, j] }
            let inverse = 1 / max(norm.squareRoot(), 1e-12)
            for j in 0..<d { result[i, j] = Float(v[i, j] * inverse + noise * rng.normal()) }
        }
        return result
    }
}
