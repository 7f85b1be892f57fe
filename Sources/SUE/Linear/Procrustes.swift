import Foundation
import LinearAlgebra

/// Orthogonal Procrustes: the map with orthonormal columns `W = argmin ‖A·W − B‖_F` subject to `WᵀW = I`
/// (Schönemann 1966): with `AᵀB = U·diag(s)·Vᵀ`, `W = U·Vᵀ`.
///
/// A rotation cannot stretch, so a handful of pairs cannot overfit it the way they overfit a general linear
/// map; but it needs the two spaces to have the same geometry up to rotation. With fewer pairs than
/// dimensions only the `rank(AᵀB)` directions that the pairs determine are used (`U`, `V` truncated to
/// the numerical rank): the rest of the rotation is undetermined by the data and would be arbitrary.
func orthogonalProcrustes(_ a: Matrix<Float>, _ b: Matrix<Float>) throws -> Matrix<Float> {
    guard a.rows == b.rows else { throw AlignmentError.shapeMismatch("Procrustes: \(a.rows) X rows but \(b.rows) Y rows") }
    let m = Matrix.multiply(a.converted(to: Double.self), .transposed, b.converted(to: Double.self), .none)
    let svd = try singularValueDecomposition(m)
    let top = svd.singularValues.first ?? 0
    let rank = svd.singularValues.filter { $0 > 1e-10 * top && top > 0 }.count
    let w = Matrix.multiply(svd.u.columns(0..<rank), .none, svd.v.columns(0..<rank), .transposed)
    return w.converted(to: Float.self)
}

/// Orthogonal Procrustes X→Y on the known pairs (preprocessed rows), rank-truncated with few pairs: a rotation
/// into Y's preprocessed space. Needs at least one known pair.
public struct Procrustes: Aligner, Equatable {
    /// The estimator (it has no settings).
    public init() {}

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> LinearAlignment {
        try context.run(on: data) { data in
            let prepared = try PreparedProblem(data)
            let (a, b) = prepared.pairedRows()
            guard a.rows >= 1 else { throw AlignmentError.insufficientData("Procrustes needs at least one known pair") }
            return try prepared.model(mapX: try orthogonalProcrustes(a, b), mapY: .identity(b.columns),
                                  report: FitReport(method: "procrustes", estimator: self, data: data, context: context))
        }
    }
}
