import Foundation
import LinearAlgebra

/// A map fitted on the known pairs side by side with the pair-free similarity profiles:
///
///     embedX(x) = [ unit(linear.embedX(x)) | w · unit(profiles.embedX(x)) ]     (Y likewise),
///
/// so a cosine in the shared space is (cos_linear + w²·cos_profiles) / (1 + w²): the two views vote, the
/// profiles with weight w² (0.56 by default, see `SelfLearning.profileWeight`). The profiles describe each row by its place in its own modality's cloud, which needs no
/// pairs, so they add evidence exactly where a map from a handful of pairs has little (see
/// `SimilarityProfileAlignment`). It is self-learning's start (`SelfLearning.profileWeight`) and a
/// candidate of `auto` with CCA as the linear part.
///
/// Stored as kind `profiled-linear-alignment`: the linear part's tensors under `linear.` and the profiles' under
/// `profiles.` (each as its own kind stores them), and the weight as the metadata entry `profile_weight`.
public struct ProfiledAlignment: StorableModel, Equatable {
    /// The map fitted on the pairs.
    public var linear: LinearAlignment
    /// The pair-free view.
    public var profiles: SimilarityProfileAlignment
    /// The profiles' weight w.
    public var weight: Float
    /// What was fitted and why.
    public var report: FitReport

    /// A model from its parts; `weight` must be finite and ≥ 0, and both parts must take the same inputs.
    public init(linear: LinearAlignment, profiles: SimilarityProfileAlignment, weight: Float, report: FitReport) throws {
        guard weight.isFinite, weight >= 0 else {
            throw AlignmentError.invalidConfiguration("profiled alignment: the profiles' weight must be finite and ≥ 0, got \(weight)")
        }
        guard linear.inputColumns == profiles.inputColumns else {
            throw AlignmentError.shapeMismatch("profiled alignment: the linear part takes \(linear.inputColumns) columns, the profiles \(profiles.inputColumns)")
        }
        // The parts were fitted as part of this model: they carry its report (and a stored model rebuilds them so).
        self.linear = linear; self.profiles = profiles; self.weight = weight; self.report = report
        self.linear.report = report
        self.profiles.report = report
    }

    public var dimension: Int { linear.dimension + profiles.dimension }
    public var inputColumns: (x: Int, y: Int) { linear.inputColumns }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        sideBySide(try linear.embedX(x), try profiles.embedX(x), weight: weight)
    }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        sideBySide(try linear.embedY(y), try profiles.embedY(y), weight: weight)
    }

    public static var kind: String { "profiled-linear-alignment" }

    public var storedForm: StoredModel {
        var stored = StoredModel(kind: Self.kind, report: report)
        stored.store(linear.storedForm, prefix: "linear.")
        stored.store(profiles.storedForm, prefix: "profiles.")
        stored.metadata["profile_weight"] = String(weight)
        return stored
    }

    public init(stored: StoredModel) throws {
        guard let text = stored.metadata["profile_weight"], let weight = Float(text), weight.isFinite, weight >= 0 else {
            throw StoredModelReader.failure("metadata 'profile_weight' must be a finite number ≥ 0, got '\(stored.metadata["profile_weight"] ?? "nothing")'")
        }
        // The parts carry the whole model's report: they were fitted as part of it.
        var linearPart = stored.part("linear.", kind: LinearAlignment.kind), profilesPart = stored.part("profiles.", kind: SimilarityProfileAlignment.kind)
        linearPart.report = stored.report
        profilesPart.report = stored.report
        let linear = try LinearAlignment(stored: linearPart)
        let profiles = try SimilarityProfileAlignment(stored: profilesPart)
        let known = Set(["profile_weight"])
        if let extra = stored.metadata.keys.sorted().first(where: { !known.contains($0) && !$0.hasPrefix("linear.") && !$0.hasPrefix("profiles.") }) {
            throw StoredModelReader.failure("metadata '\(extra)' is not part of a profiled linear alignment")
        }
        if let extra = (Array(stored.tensors.keys) + Array(stored.doubleTensors.keys)).sorted()
            .first(where: { !$0.hasPrefix("linear.") && !$0.hasPrefix("profiles.") }) {
            throw StoredModelReader.failure("tensor '\(extra)' is not part of a profiled linear alignment")
        }
        try self.init(linear: linear, profiles: profiles, weight: weight, report: stored.report ?? .unrecorded(method: Self.kind))
    }
}

/// [unit(a) | weight · unit(b)]: two views of the same rows, each block with unit rows, the second weighted.
func sideBySide(_ a: Matrix<Float>, _ b: Matrix<Float>, weight: Float) -> Matrix<Float> {
    var second = b.normalizedRows()
    for i in second.elements.indices { second.elements[i] *= weight }
    return concatenatedColumns(a.normalizedRows(), second)
}

/// CCA on the known pairs beside the pair-free similarity profiles (`auto`'s candidate between CCA and
/// self-learning). Needs at least one known pair.
public struct ProfiledCCA: Aligner, Equatable {
    /// The profiles' weight w (the same as self-learning's start, `SelfLearning.profileWeight`).
    public var weight: Double

    /// The estimator with its settings.
    public init(weight: Double = 0.75) { self.weight = weight }

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> ProfiledAlignment {
        try context.run(on: data) { data in
            let report = FitReport(method: "cca+profiles", estimator: self, data: data, context: context)
            let profiles = try SimilarityProfiles().fit(data, context: context)
            return try ProfiledAlignment(linear: try CCA().fit(data, context: context), profiles: profiles,
                                         weight: Float(weight), report: report)
        }
    }
}
