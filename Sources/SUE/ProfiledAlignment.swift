import Foundation
import LinearAlgebra

/// A map fitted on the known pairs side by side with the pair-free similarity profiles:
///
///     embedX(x) = [ unit(linear.embedX(x)) | w · unit(profiles.embedX(x)) ]     (Y likewise),
///
/// so a cosine in the shared space is (cos_linear + w²·cos_profiles) / (1 + w²): the two views vote, the
/// profiles with weight w² (0.56 by default, see `SelfLearningConfiguration.profileWeight`). The profiles describe each row by its place in its own modality's cloud, which needs no
/// pairs, so they add evidence exactly where a map from a handful of pairs has little (see
/// `SimilarityProfileAlignment`). It is self-learning's start (`SelfLearningConfiguration.profileWeight`) and a
/// candidate of `auto` with CCA as the linear part.
public struct ProfiledAlignment: SharedEmbedding, Sendable, Equatable {
    public var linear: LinearAlignment
    public var profiles: SimilarityProfileAlignment
    public var weight: Float

    public init(linear: LinearAlignment, profiles: SimilarityProfileAlignment, weight: Float) throws {
        guard weight.isFinite, weight >= 0 else {
            throw AlignmentError.invalidConfiguration("profiled alignment: the profiles' weight must be finite and ≥ 0, got \(weight)")
        }
        self.linear = linear; self.profiles = profiles; self.weight = weight
    }

    public var dimension: Int { linear.dimension + profiles.dimension }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        sideBySide(try linear.embedX(x), try profiles.embedX(x), weight: weight)
    }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        sideBySide(try linear.embedY(y), try profiles.embedY(y), weight: weight)
    }
}

/// [unit(a) | weight · unit(b)]: two views of the same rows, each block with unit rows, the second weighted.
func sideBySide(_ a: Matrix<Float>, _ b: Matrix<Float>, weight: Float) -> Matrix<Float> {
    var second = normalisedRows(b)
    for i in second.elements.indices { second.elements[i] *= weight }
    return concatenatedColumns(normalisedRows(a), second)
}

extension AlignmentMethods {
    /// CCA on the known pairs beside the similarity profiles (`auto`'s candidate between CCA and self-learning).
    public static let ccaProfiles = AlignmentMethod(
        name: "cca+profiles",
        summary: "CCA on the known pairs side by side with the pair-free similarity profiles (weight 0.75, as in self-learning's start)"
    ) { data, context in
        try ProfiledAlignment(linear: try fitCCA(data), profiles: try SimilarityProfileAlignment(fittedOn: data, seed: context.seed),
                              weight: Float(SelfLearningConfiguration().profileWeight ?? 0.75))
    }
}
