import Foundation
import LinearAlgebra

/// Zero-shot labels: each class is described by text (its name, or a sentence such as "a quotation about
/// computers"), the descriptions are embedded by one modality's encoder, and every row gets the class whose
/// description is nearest by cosine similarity — no labelled rows at all (the SUE paper's Table 3; Radford et al.,
/// *CLIP*, 2021, §3.1).
///
/// Several prototypes may carry the same name: the class is then the direction of their mean, CLIP's "prompt
/// ensembling". So the fitted form is exactly the nearest-centroid classifier's, with the prototypes as the
/// labelled rows.
public enum ZeroShot {
    /// The nearest-prototype classifier of `prototypes` (one row per description) named by `names`.
    /// Throws if the counts differ, a name is empty or a prototype is not finite.
    public static func classifier(prototypes: Matrix<Float>, names: [String]) throws -> FittedCentroidClassifier {
        try CentroidClassifier().fit(LabelledRows(rows: prototypes, labels: names), context: FitContext())
    }

    /// Zero-shot labels across a shared space: the prototypes are rows of `prototypeSide` (embedded by that
    /// modality's encoder), mapped into `model`'s shared space; the result classifies rows of either modality.
    public static func classifier(model: any AlignmentModel, prototypes: Matrix<Float>, from prototypeSide: Modality,
                                  names: [String]) throws -> SharedSpaceClassifier {
        let shared = try model.embed(prototypes, from: prototypeSide)
        return SharedSpaceClassifier(model: model, classifier: try classifier(prototypes: shared, names: names))
    }
}
