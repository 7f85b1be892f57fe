import Foundation
import LinearAlgebra

/// The bridge from SUE's step 2 to the package's regularised CCA (`CanonicalCorrelation`, CCA.swift): canonical
/// projections of the paired embeddings, unweighted, as in the paper (scikit-learn's CCA transform, 8 components).
///
/// `CanonicalCorrelation` centres the pairs with their mean internally; the same mean is kept here so that any new
/// row is centred identically. Components are capped by CCA at min(pairs, k_X, k_Y).
func pairedCCA(_ x: Matrix<Double>, _ y: Matrix<Double>, components: Int) throws -> PairedLinearMaps {
    let cca = try CanonicalCorrelation(a: x.converted(to: Float.self), b: y.converted(to: Float.self),
                                       maxComponents: components)
    let meanX = x.converted(to: Float.self).converted(to: Double.self).columnMeans()
    let meanY = y.converted(to: Float.self).converted(to: Double.self).columnMeans()
    return try PairedLinearMaps(meanX: meanX, projectionX: cca.directionsX, meanY: meanY, projectionY: cca.directionsY,
                            correlations: cca.correlations)
}
