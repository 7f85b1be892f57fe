import Foundation
import LinearAlgebra

/// A linear alignment of two embeddings learned from paired rows (SUE's step 2): x ↦ (x − μ_X)·Q_X and
/// y ↦ (y − μ_Y)·Q_Y, both into the same r-dimensional space. CCA produces one; so does per-side standardisation
/// (the "no CCA" ablation), which aligns nothing but puts both sides on unit scale.
public struct PairedLinearMaps: Sendable, Equatable {
    /// Mean subtracted from X's step-1 embedding.
    public var meanX: [Double]
    /// k_X × r.
    public var projectionX: Matrix<Double>
    /// Mean subtracted from Y's step-1 embedding.
    public var meanY: [Double]
    /// k_Y × r.
    public var projectionY: Matrix<Double>
    /// Per-component correlations on the pairs, when the maps come from CCA (empty otherwise).
    public var correlations: [Double]

    /// Maps from their parts (the shapes must agree).
    public init(meanX: [Double], projectionX: Matrix<Double>, meanY: [Double], projectionY: Matrix<Double>,
                correlations: [Double] = []) throws {
        guard meanX.count == projectionX.rows && meanY.count == projectionY.rows
                && projectionX.columns == projectionY.columns else {
            throw AlignmentError.shapeMismatch("paired linear maps: means of \(meanX.count) and \(meanY.count) columns, projections \(projectionX.rows)×\(projectionX.columns) and \(projectionY.rows)×\(projectionY.columns)")
        }
        self.meanX = meanX; self.projectionX = projectionX; self.meanY = meanY; self.projectionY = projectionY
        self.correlations = correlations
    }

    /// Output dimension r.
    public var dimension: Int { projectionX.columns }

    /// (x − μ_X)·Q_X.
    public func embedX(_ x: Matrix<Double>) -> Matrix<Double> { PairedLinearMaps.apply(x, meanX, projectionX) }
    /// (y − μ_Y)·Q_Y.
    public func embedY(_ y: Matrix<Double>) -> Matrix<Double> { PairedLinearMaps.apply(y, meanY, projectionY) }

    static func apply(_ a: Matrix<Double>, _ mean: [Double], _ projection: Matrix<Double>) -> Matrix<Double> {
        precondition(a.columns == mean.count, "PairedLinearMaps: input has \(a.columns) columns, expected \(mean.count)")
        var centred = a
        for i in 0..<a.rows { for j in 0..<a.columns { centred[i, j] -= mean[j] } }
        return Matrix.multiply(centred, .none, projection)
    }

    /// The "no CCA" maps: each side centred and scaled to unit variance per column, using all of its own rows.
    /// Both sides must have the same number of columns (they then share the coordinate indices, nothing more).
    public static func standardization(x: Matrix<Double>, y: Matrix<Double>) throws -> PairedLinearMaps {
        func fit(_ a: Matrix<Double>) -> ([Double], Matrix<Double>) {
            let s = ColumnStandardizer(fitting: a.converted(to: Float.self))
            var p = Matrix<Double>(rows: a.columns, columns: a.columns)
            for j in 0..<a.columns { p[j, j] = 1 / s.scales[j] }
            return (s.means, p)
        }
        let (mx, px) = fit(x), (my, py) = fit(y)
        return try PairedLinearMaps(meanX: mx, projectionX: px, meanY: my, projectionY: py)
    }
}
