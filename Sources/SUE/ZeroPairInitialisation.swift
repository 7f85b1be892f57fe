import Foundation
import LinearAlgebra

/// A starting alignment from the two unpaired sets alone (no known pairs): the similarity profiles
/// (`SimilarityProfileAlignment`), the only pair-free shared space found so far that retrieves clearly above
/// chance on real encoder pairs.
///
/// Pair-free starts tried before it (`Benchmarks/tools/selflearn_prototype.md`), none above chance as a map:
/// VecMap's sorted-similarity signatures used to *match* rows, principal axes with sign flips (the axes of two
/// encoders do not correspond), independent components (they correspond, but no pair-free criterion recovered
/// the matching), higher-order cumulant matching in a whitened principal subspace, and quadratic assignment of
/// spectral clusters by their affinity graph (right on 1 of 4 synthetic seeds, 3–4 of 8–30 clusters on text).
public func zeroPairInitialisation(_ data: WeaklyPairedData, context: FitContext = FitContext(seed: 0)) throws -> SharedEmbedding {
    context.report("zero-pair start", nil, "similarity profiles of \(data.x.rows) X and \(data.y.rows) Y rows")
    return try SimilarityProfileAlignment(fittedOn: data, seed: context.seed)
}
