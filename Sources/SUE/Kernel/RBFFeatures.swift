import Foundation
import LinearAlgebra

/// Nyström features of a Gaussian (RBF) kernel: a finite map φ with `φ(a)·φ(b)ᵀ ≈ k(a, b) = exp(−‖a − b‖²/h)`,
/// exact on the centres (Williams & Seeger 2001, "Using the Nyström method to speed up kernel machines").
///
/// With centres C (m rows) and `K_CC = V·diag(w)·Vᵀ`,
///
///     φ(a) = k(a, C) · V_r · diag(w_r)^(−½)
///
/// over the r eigenvalues above `1e-8·max w` (duplicate or nearly duplicate centres make `K_CC` singular, and
/// their directions carry nothing). Ridge regression on φ is then kernel ridge regression restricted to the span
/// of the centres' kernel functions, at O(n·m·(d + r)) instead of O(n³).
///
/// Distances are formed as `‖a‖² + ‖c‖² − 2·a·c` with one GEMM and clamped at 0 (rounding can make a tiny
/// distance negative); the eigen-decomposition runs in Double and the transform is kept in Float, as the
/// features are.
public struct RBFFeatures: Sendable, Equatable {
    /// m × d: the centres, rows of the input space.
    public var centres: Matrix<Float>
    /// m × r: the Nyström transform `V_r·diag(w_r)^(−½)`.
    public var transform: Matrix<Float>
    /// The kernel's length scale h in `exp(−‖a − b‖²/h)`.
    public var bandwidth: Double

    /// Features from given parts (shapes checked).
    public init(centres: Matrix<Float>, transform: Matrix<Float>, bandwidth: Double) throws {
        guard transform.rows == centres.rows, transform.columns >= 1 else {
            throw AlignmentError.shapeMismatch("RBF features: transform is \(transform.rows)×\(transform.columns) for \(centres.rows) centres; expected \(centres.rows) rows and at least 1 column")
        }
        guard bandwidth > 0, bandwidth.isFinite else {
            throw AlignmentError.invalidConfiguration("RBF features: bandwidth must be finite and > 0, got \(bandwidth)")
        }
        self.centres = centres; self.transform = transform; self.bandwidth = bandwidth
    }

    /// Features on `centres` with length scale `bandwidth`.
    public init(centres: Matrix<Float>, bandwidth: Double) throws {
        guard centres.rows >= 1 else { throw AlignmentError.insufficientData("RBF features need at least 1 centre") }
        guard bandwidth > 0, bandwidth.isFinite else {
            throw AlignmentError.invalidConfiguration("RBF features: bandwidth must be finite and > 0, got \(bandwidth)")
        }
        let kernel = Self.kernel(centres, centres, bandwidth: bandwidth).converted(to: Double.self)
        let eigen = try symmetricEigen(kernel)
        let largest = eigen.values.last ?? 0
        let kept = eigen.values.indices.filter { eigen.values[$0] > 1e-8 * largest }.reversed()
        var transform = Matrix<Float>(rows: centres.rows, columns: max(kept.count, 1))
        for (column, k) in kept.enumerated() {
            let scale = 1 / eigen.values[k].squareRoot()
            for i in 0..<centres.rows { transform[i, column] = Float(eigen.vectors[i, k] * scale) }
        }
        try self.init(centres: centres, transform: transform, bandwidth: bandwidth)
    }

    /// Number of features (r).
    public var count: Int { transform.columns }

    /// φ of every row of `a` (n × r).
    public func callAsFunction(_ a: Matrix<Float>) -> Matrix<Float> {
        Matrix.multiply(Self.kernel(a, centres, bandwidth: bandwidth), .none, transform, .none)
    }

    /// `k(a_i, b_j)` for every row pair (n × m).
    public static func kernel(_ a: Matrix<Float>, _ b: Matrix<Float>, bandwidth: Double) -> Matrix<Float> {
        var k = Matrix.multiply(a, .none, b, .transposed)
        let na = squaredNorms(a), nb = squaredNorms(b)
        let scale = Float(1 / bandwidth)
        for i in 0..<a.rows {
            for j in 0..<b.rows {
                let d = max(na[i] + nb[j] - 2 * k[i, j], 0)
                k[i, j] = Foundation.exp(-d * scale)
            }
        }
        return k
    }

    /// The median of the squared distances between distinct rows of `a` (the usual bandwidth heuristic); their mean
    /// if the median is 0 (more than half the pairs are duplicates), 0 only if all rows are equal. O(n²): pass a
    /// sample of a large set.
    public static func medianSquaredDistance(_ a: Matrix<Float>) -> Double {
        guard a.rows >= 2 else { return 0 }
        let g = Matrix.multiply(a, .none, a, .transposed), n = squaredNorms(a)
        var distances = [Double]()
        distances.reserveCapacity(a.rows * (a.rows - 1) / 2)
        for i in 0..<a.rows { for j in 0..<i { distances.append(Double(max(n[i] + n[j] - 2 * g[i, j], 0))) } }
        distances.sort()
        let median = distances[distances.count / 2]
        return median > 0 ? median : distances.reduce(0, +) / Double(distances.count)
    }

    private static func squaredNorms(_ a: Matrix<Float>) -> [Float] {
        (0..<a.rows).map { i in
            var s: Float = 0
            for j in 0..<a.columns { s += a[i, j] * a[i, j] }
            return s
        }
    }
}
