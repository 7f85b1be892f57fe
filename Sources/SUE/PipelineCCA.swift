import Foundation
import LinearAlgebra

/// The bridge from SUE's step 2 to the package's CCA (CCA.swift): canonical projections of the paired embeddings.
///
/// Until CCA.swift is merged this throws, and callers must pass `SUE.Configuration.aligner`.
func pairedCCA(_ x: Matrix<Double>, _ y: Matrix<Double>, components: Int) throws -> PairedLinearMaps {
    throw PipelineError.invalidConfiguration("CCA is not available in this build yet: set SUE.Configuration.aligner")
}
