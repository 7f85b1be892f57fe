import Foundation
import LinearAlgebra

/// Classification in a fitted shared space: a classifier trained on labelled rows of one modality (or both),
/// mapped into the space, classifies rows of either modality — label once, classify everywhere (the SUE paper's
/// cross-domain experiment, Table 5).
///
/// The training rows of both sides, when both are given, are pooled after mapping: in a good shared space a row
/// and its counterpart land together, so labels of either side teach the same classifier.
public struct SharedSpaceClassification<C: Classifier>: Sendable {
    /// The classifier to train in the shared space.
    public var classifier: C

    /// Training in the shared space with `classifier`.
    public init(classifier: C) { self.classifier = classifier }

    /// Maps the labelled rows of X and of Y (at least one of them) into `model`'s space and trains the classifier
    /// on them; the classes are the union of both sides' labels.
    public func fit(model: any AlignmentModel, x: LabelledRows?, y: LabelledRows?,
                    context: FitContext) throws -> SharedSpaceClassifier {
        var parts = [(rows: Matrix<Float>, labels: [String])]()
        if let x { parts.append((try model.embedX(x.rows), x.labels)) }
        if let y { parts.append((try model.embedY(y.rows), y.labels)) }
        guard !parts.isEmpty else {
            throw AlignmentError.insufficientData("classification needs labelled rows of X, of Y or of both")
        }
        let rows = Matrix(rows: parts.reduce(0) { $0 + $1.rows.rows }, columns: model.dimension,
                          elements: parts.flatMap { $0.rows.elements })
        let data = try LabelledRows(rows: rows, labels: parts.flatMap { $0.labels })
        return SharedSpaceClassifier(model: model, classifier: try classifier.fit(data, context: context))
    }
}

/// A shared space with a classifier fitted in it: classifies rows of either modality.
public struct SharedSpaceClassifier: Sendable {
    /// The maps into the shared space.
    public let model: any AlignmentModel
    /// The classifier, which takes rows of the shared space.
    public let classifier: any FittedClassifier

    /// A classifier of shared-space rows behind the maps of `model`.
    public init(model: any AlignmentModel, classifier: any FittedClassifier) {
        self.model = model
        self.classifier = classifier
    }

    /// The class names.
    public var classes: [String] { classifier.classes }

    /// Maps `rows` of `modality` into the shared space and classifies them.
    public func predict(_ rows: Matrix<Float>, from modality: Modality) throws -> Predictions {
        try classifier.predict(try model.embed(rows, from: modality))
    }
}
