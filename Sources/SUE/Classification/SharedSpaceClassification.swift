import Foundation
import LinearAlgebra

/// Classification in a fitted shared space: a classifier trained on labelled rows of one modality (or both),
/// mapped into the space, classifies rows of either modality — label once, classify everywhere (the SUE paper's
/// cross-domain experiment, Table 5).
///
/// The training rows of both sides, when both are given, are pooled after mapping: in a good shared space a row
/// and its counterpart land together, so labels of either side teach the same classifier.
///
/// Where the shared space is each side's own space side by side (`AlignmentModel.ownSpaceColumns(of:)`: the
/// two-way models) and only one side is labelled, the classifier trains in the labelled side's own block, on its
/// real rows, and the other side's rows are classified as mapped into that block. The other block would hold the
/// labelled rows only as regression outputs, pulled towards the other side's mean, while the rows to classify
/// appear there as themselves; a classifier that leans on that block learns from what it will not see
/// (measured in docs/notebook.md: the whole space classifies clearly worse than the labelled side's block).
public struct SharedSpaceClassification<C: Classifier>: Sendable {
    /// The classifier to train in the shared space.
    public var classifier: C

    /// Training in the shared space with `classifier`.
    public init(classifier: C) { self.classifier = classifier }

    /// Maps the labelled rows of X and of Y (at least one of them) into `model`'s space and trains the classifier
    /// on them; the classes are the union of both sides' labels.
    public func fit(model: any AlignmentModel, x: LabelledRows?, y: LabelledRows?,
                    context: FitContext) throws -> SharedSpaceClassifier {
        let columns = x == nil ? model.ownSpaceColumns(of: .y) : y == nil ? model.ownSpaceColumns(of: .x) : nil
        var parts = [(rows: Matrix<Float>, labels: [String])]()
        if let x { parts.append((try model.embed(x.rows, from: .x, columns: columns), x.labels)) }
        if let y { parts.append((try model.embed(y.rows, from: .y, columns: columns), y.labels)) }
        guard !parts.isEmpty else {
            throw AlignmentError.insufficientData("classification needs labelled rows of X, of Y or of both")
        }
        let rows = Matrix(rows: parts.reduce(0) { $0 + $1.rows.rows }, columns: parts[0].rows.columns,
                          elements: parts.flatMap { $0.rows.elements })
        let data = try LabelledRows(rows: rows, labels: parts.flatMap { $0.labels })
        return SharedSpaceClassifier(model: model, classifier: try classifier.fit(data, context: context), columns: columns)
    }
}

/// A shared space with a classifier fitted in it: classifies rows of either modality.
public struct SharedSpaceClassifier: Sendable {
    /// The maps into the shared space.
    public let model: any AlignmentModel
    /// The classifier, which takes rows of the shared space.
    public let classifier: any FittedClassifier

    /// The columns of the shared space the classifier takes (one side's own block); nil: all of them.
    public let columns: Range<Int>?

    /// A classifier of shared-space rows (or of `columns` of them) behind the maps of `model`.
    public init(model: any AlignmentModel, classifier: any FittedClassifier, columns: Range<Int>? = nil) {
        self.model = model
        self.classifier = classifier
        self.columns = columns
    }

    /// The class names.
    public var classes: [String] { classifier.classes }

    /// Maps `rows` of `modality` into the shared space and classifies them.
    public func predict(_ rows: Matrix<Float>, from modality: Modality) throws -> Predictions {
        try classifier.predict(try model.embed(rows, from: modality, columns: columns))
    }
}
