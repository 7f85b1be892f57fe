import Foundation
import LinearAlgebra

/// Principal component analysis: the `dimensions` directions of largest variance of the training rows
/// (Pearson 1901; Jolliffe, *Principal Component Analysis*, 2002), used by the MMD-only baseline to reduce raw
/// features to the size of the spectral embedding without any graph.
///
/// The covariance C = X_cᵀX_c/(n − 1) is formed with one GEMM in Double and decomposed with `symmetricEigen`.
/// Forming C squares the condition number, which is harmless here: only the leading, well separated directions are
/// kept, and their accuracy depends on the gaps between the kept and dropped eigenvalues, not on the smallest ones.
/// Each direction's sign is fixed so that its largest-magnitude loading is positive (a deterministic output).
struct PrincipalComponents: Sendable, Equatable {
    let mean: [Double]
    /// d × dimensions, orthonormal columns, by decreasing variance.
    let components: Matrix<Double>
    /// The variance along each component.
    let variances: [Double]

    init(fitting x: Matrix<Float>, dimensions: Int) throws {
        guard dimensions >= 1 && dimensions <= x.columns else {
            throw AlignmentError.invalidConfiguration("PCA: dimensions = \(dimensions) must be in 1...\(x.columns) (the number of columns)")
        }
        guard x.rows >= 2 else { throw AlignmentError.invalidInput("PCA needs at least 2 rows, got \(x.rows)") }
        try requireFinite(x, "PCA input")
        let xd = x.converted(to: Double.self)
        let mean = xd.columnMeans()
        let centred = xd.centered(by: mean)
        let covariance = Matrix.multiply(centred, .transposed, centred, alpha: 1 / Double(x.rows - 1))
        let eigen = try symmetricEigen(covariance)
        let d = x.columns
        var components = Matrix<Double>(rows: d, columns: dimensions)
        var variances: [Double] = []
        for c in 0..<dimensions {
            let source = d - 1 - c                      // eigenvalues ascending: take from the top
            variances.append(max(0, eigen.values[source]))
            var largest = 0.0, sign = 1.0
            for i in 0..<d where abs(eigen.vectors[i, source]) > largest {
                largest = abs(eigen.vectors[i, source]); sign = eigen.vectors[i, source] < 0 ? -1 : 1
            }
            for i in 0..<d { components[i, c] = sign * eigen.vectors[i, source] }
        }
        self.mean = mean
        self.components = components
        self.variances = variances
    }

    /// Components fitted before (read back from a model file); the caller has checked the shapes.
    init(mean: [Double], components: Matrix<Double>, variances: [Double]) {
        precondition(components.rows == mean.count && components.columns == variances.count,
                     "PrincipalComponents: inconsistent shapes")
        self.mean = mean
        self.components = components
        self.variances = variances
    }

    /// The coordinates of the rows of `x` along the components.
    func embed(_ x: Matrix<Float>) throws -> Matrix<Double> {
        guard x.columns == mean.count else {
            throw AlignmentError.invalidInput("PCA: input has \(x.columns) columns, fitted on \(mean.count)")
        }
        return Matrix.multiply(x.converted(to: Double.self).centered(by: mean), .none, components)
    }
}
