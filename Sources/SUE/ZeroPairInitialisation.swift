import Foundation
import LinearAlgebra

/// A starting alignment from the two unpaired sets alone (no known pairs).
public func zeroPairInitialisation(_ data: WeaklyPairedData, context: FitContext = FitContext(seed: 0)) throws -> SharedEmbedding {
    throw AlignmentError.insufficientData("zero-pair initialisation is not available yet")
}
