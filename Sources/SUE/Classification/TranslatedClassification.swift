import Foundation
import LinearAlgebra

/// Cross-domain classification in the test side's own space: labelled rows of one modality are translated into
/// the other modality's own coordinates through a shared space, and the classifier is trained there.
///
/// A shared space is narrower than either side (self-learning's has 128 columns against the encoders' 384), and
/// a classifier trained in it sees only what the space kept of what separates the classes. When rows of the other
/// side without labels are at hand (for instance the rows the model was fitted on, which in the weakly paired
/// setting hold the same kind of items), each labelled row can instead be replaced by its nearest of them in the
/// shared space, taken in *their own* coordinates: the mean direction of its `neighbours` nearest unlabelled rows
/// (by cosine in the shared space), each at unit length. The classifier then learns in the full width of the
/// test side's own space and classifies the test rows as they are, with no map in between. Where the unlabelled
/// rows hold the labelled items' counterparts, the translation finds them, and the classifier learns almost
/// from the test side's own embeddings of its training items; where they do not, it learns from their nearest
/// neighbours, which is label propagation across the modalities (measurements: docs/results.md).
public struct TranslatedClassification<C: Classifier>: Sendable {
    /// The classifier to train in the test side's own space.
    public var classifier: C
    /// Nearest unlabelled rows averaged per translated row, ≥ 1.
    public var neighbours: Int

    /// Training in the test side's own space with `classifier`, each labelled row translated by the mean of its
    /// `neighbours` nearest unlabelled rows. One by default: in a shared space that has found the correspondence,
    /// the nearest unlabelled row is the item's own counterpart when it is there, and averaging more blurs it.
    public init(classifier: C, neighbours: Int = 1) {
        self.classifier = classifier
        self.neighbours = neighbours
    }

    /// Translates `labelled` rows of modality `from` into the other modality's own space through `model`, using
    /// `unlabelled` rows of that other modality; adds `ownLabelled` rows of the other modality as they are (if
    /// given); and trains the classifier on them all. The result classifies rows of the other modality, in its
    /// own coordinates.
    /// - Throws: `AlignmentError` when the widths do not match the model, there are fewer unlabelled rows than
    ///   `neighbours`, `neighbours < 1`, or a row is not finite (named).
    public func fit(model: any AlignmentModel, labelled: LabelledRows, from side: Modality, unlabelled: Matrix<Float>,
                    ownLabelled: LabelledRows? = nil, context: FitContext) throws -> any FittedClassifier {
        guard neighbours >= 1 else {
            throw AlignmentError.invalidConfiguration("translated classification: neighbours must be ≥ 1, got \(neighbours)")
        }
        let other: Modality = side == .x ? .y : .x
        let otherColumns = other == .x ? model.inputColumns.x : model.inputColumns.y
        guard unlabelled.columns == otherColumns else {
            throw AlignmentError.shapeMismatch("translated classification: the unlabelled rows have \(unlabelled.columns) columns, the model's \(other.rawValue.uppercased()) side \(otherColumns)")
        }
        guard unlabelled.rows >= neighbours else {
            throw AlignmentError.insufficientData("translated classification: \(unlabelled.rows) unlabelled rows, fewer than the \(neighbours) neighbours averaged per translated row")
        }
        if let ownLabelled, ownLabelled.rows.columns != otherColumns {
            throw AlignmentError.shapeMismatch("translated classification: the labelled rows of \(other.rawValue.uppercased()) have \(ownLabelled.rows.columns) columns, the model's \(other.rawValue.uppercased()) side \(otherColumns)")
        }
        try requireFinite(unlabelled, "unlabelled rows")
        let translated = try translate(labelled.rows, from: side, through: model, into: unlabelled)
        var rows = translated, labels = labelled.labels
        if let ownLabelled {
            rows = Matrix(rows: translated.rows + ownLabelled.rows.rows, columns: otherColumns,
                          elements: translated.elements + ownLabelled.rows.normalizedRows().elements)
            labels += ownLabelled.labels
        }
        return try classifier.fit(try LabelledRows(rows: rows, labels: labels), context: context)
    }

    /// Each row of `rows` (of modality `side`) as the unit mean direction of its `neighbours` nearest rows of
    /// `unlabelled` (the other modality) by cosine in `model`'s shared space, in `unlabelled`'s own coordinates.
    public func translate(_ rows: Matrix<Float>, from side: Modality, through model: any AlignmentModel,
                          into unlabelled: Matrix<Float>) throws -> Matrix<Float> {
        let queries = try model.embed(rows, from: side)
        let targets = try model.embed(unlabelled, from: side == .x ? .y : .x)
        let hits = try cosineTopK(queries, targets, k: neighbours)
        let unit = unlabelled.normalizedRows()
        var out = Matrix<Float>(rows: rows.rows, columns: unlabelled.columns)
        for (i, best) in hits.enumerated() {
            // Summed in the order of the hits (best first), in double precision.
            var sum = [Double](repeating: 0, count: unlabelled.columns)
            for hit in best { for j in 0..<unlabelled.columns { sum[j] += Double(unit[hit.row, j]) } }
            for j in 0..<unlabelled.columns { out[i, j] = Float(sum[j]) }
        }
        return out.normalizedRows()
    }
}
