import Foundation
import LinearAlgebra

/// A starting alignment from the two unpaired sets alone (no known pairs) — not available yet.
///
/// Self-learning needs a start whose mutual matches are a few percent correct (on textpairs, 20 known pairs
/// give ≈ 5 % correct pseudo-pairs in round 0 and the loop locks in; 10 pairs give ≈ 0.7 % and it does not).
/// Pair-free starts tried in the prototype (`Benchmarks/tools/selflearn_prototype.md`), none of which got there:
/// VecMap's sorted-similarity signatures (chance), principal axes with sign flips (the axes of two encoders do
/// not correspond), and independent components (they do correspond — the oracle matching of 64 components
/// would give 80 % R@10 with no pairs — but no pair-free criterion recovered the matching: the components'
/// co-activation structure agrees across encoders only weakly, and quadratic assignment on it finds matchings
/// that score higher than the true one). With known pairs, the matched components improve self-learning's start
/// (`IndependentComponentStart`).
///
/// Until one works this throws `insufficientData` with that explanation, so that `--pairs 0` fails loudly
/// instead of reporting chance-level retrieval as a result.
public func zeroPairInitialisation(_ data: WeaklyPairedData, context: FitContext = FitContext(seed: 0)) throws -> SharedEmbedding {
    throw AlignmentError.insufficientData(
        "no known pairs: a pair-free initialisation is not implemented (tried signatures, PCA sign flips, ICA axis matching; see Benchmarks/tools/selflearn_prototype.md); give at least 2 known pairs")
}
