import Foundation
import LinearAlgebra

/// Cross-domain classification in the test side's own space: labelled rows of one modality are replaced by their
/// counterparts among unlabelled rows of the other modality, found through a shared space, and the classifier is
/// trained on those counterparts in their own coordinates.
///
/// A shared space is often narrower than either side's own (self-learning keeps fewer columns than an encoder
/// has), and a classifier trained in it sees only what the space kept of what separates the classes. When unlabelled rows
/// of the other side are at hand that hold the labelled items' counterparts (in the weakly paired setting, the
/// rows the model was fitted on), the counterparts themselves can be the training rows: the classifier then
/// learns at the full width of the test side's own space and classifies the test rows as they are.
///
/// Each labelled row is replaced by its nearest unlabelled row by cosine in the shared space. Whether the
/// unlabelled rows hold counterparts at all is judged first, by mutual nearest neighbours (the unlabelled row's
/// nearest labelled row is that row), the usual test of a match in dictionary induction (e.g. Conneau et al.,
/// "Word translation without parallel data", ICLR 2018): when fewer than `minimumCounterpartFraction` of the
/// labelled rows have a mutual one, the nearest rows are merely similar items, a worse training set than the
/// labelled rows themselves, and the classifier is trained in the shared space instead
/// (`SharedSpaceClassification`). The result says which it did. Measurements: docs/results.md.
public struct TranslatedClassification<C: Classifier>: Sendable {
    /// The classifier to train.
    public var classifier: C
    /// The share of labelled rows whose nearest unlabelled row must be a mutual nearest neighbour for the
    /// classifier to be trained in the test side's own space, in (0, 1]. High by default: every labelled row
    /// without its counterpart is replaced by a merely similar item, and a training set with a fifth of its rows
    /// substituted can already do worse than the shared space (measured in docs/results.md).
    public var minimumCounterpartFraction: Double

    /// Training on the nearest unlabelled rows with `classifier` when at least `minimumCounterpartFraction` of the
    /// labelled rows have a mutual one.
    public init(classifier: C, minimumCounterpartFraction: Double = 0.8) {
        self.classifier = classifier
        self.minimumCounterpartFraction = minimumCounterpartFraction
    }

    /// Finds counterparts of `labelled` rows (of modality `side`) among `unlabelled` rows of the other modality
    /// through `model`, and trains the classifier on them in the other modality's own space, together with
    /// `ownLabelled` rows of that modality if given; with too few counterparts, trains in the shared space on
    /// both instead.
    /// - Throws: `AlignmentError` when the widths do not match the model, the setting is out of range, or a row is
    ///   not finite (named).
    public func fit(model: any AlignmentModel, labelled: LabelledRows, from side: Modality, unlabelled: Matrix<Float>,
                    ownLabelled: LabelledRows? = nil, context: FitContext) throws -> TranslatedClassifier {
        guard minimumCounterpartFraction > 0, minimumCounterpartFraction <= 1 else {
            throw AlignmentError.invalidConfiguration("translated classification: minimumCounterpartFraction must be in (0, 1], got \(minimumCounterpartFraction)")
        }
        let other: Modality = side == .x ? .y : .x
        let otherColumns = other == .x ? model.inputColumns.x : model.inputColumns.y
        guard unlabelled.rows >= 1, unlabelled.columns == otherColumns else {
            throw AlignmentError.shapeMismatch("translated classification: the unlabelled rows are \(unlabelled.rows) × \(unlabelled.columns); the model's \(other.rawValue.uppercased()) side takes \(otherColumns) columns (and at least one row is needed)")
        }
        if let ownLabelled, ownLabelled.rows.columns != otherColumns {
            throw AlignmentError.shapeMismatch("translated classification: the labelled rows of \(other.rawValue.uppercased()) have \(ownLabelled.rows.columns) columns, the model's \(other.rawValue.uppercased()) side \(otherColumns)")
        }
        try requireFinite(unlabelled, "unlabelled rows")
        let (nearest, mutual) = try nearestRows(of: labelled.rows, from: side, through: model, among: unlabelled)
        let fraction = Double(mutual.filter { $0 }.count) / Double(max(1, labelled.rows.rows))
        guard fraction >= minimumCounterpartFraction else {
            let fitted = try SharedSpaceClassification(classifier: classifier)
                .fit(model: model, x: side == .x ? labelled : ownLabelled, y: side == .y ? labelled : ownLabelled, context: context)
            return TranslatedClassifier(fitted: fitted.classifier, model: model, inOwnSpace: false, counterpartFraction: fraction)
        }
        var rows = unlabelled.rows(nearest).normalizedRows()
        var labels = labelled.labels
        if let ownLabelled {
            rows = Matrix(rows: rows.rows + ownLabelled.rows.rows, columns: otherColumns,
                          elements: rows.elements + ownLabelled.rows.normalizedRows().elements)
            labels += ownLabelled.labels
        }
        let fitted = try classifier.fit(try LabelledRows(rows: rows, labels: labels), context: context)
        return TranslatedClassifier(fitted: fitted, model: model, inOwnSpace: true, counterpartFraction: fraction)
    }

    /// For each row of `rows` (of modality `side`), its nearest row of `unlabelled` (the other modality) by cosine
    /// in `model`'s shared space, and whether the two are mutual nearest neighbours. Ties go to the lower row.
    public func nearestRows(of rows: Matrix<Float>, from side: Modality, through model: any AlignmentModel,
                            among unlabelled: Matrix<Float>) throws -> (nearest: [Int], mutual: [Bool]) {
        let queries = try model.embed(rows, from: side)
        let targets = try model.embed(unlabelled, from: side == .x ? .y : .x)
        let forward = try cosineTopK(queries, targets, k: 1).map { $0[0].row }
        let backward = try cosineTopK(targets, queries, k: 1).map { $0[0].row }
        return (forward, forward.enumerated().map { i, j in backward[j] == i })
    }
}

/// A classifier trained by `TranslatedClassification`: in the test side's own space (on counterparts), or in the
/// shared space when too few labelled rows had a counterpart.
public struct TranslatedClassifier: Sendable {
    /// The fitted classifier, of the test side's own rows (`inOwnSpace`) or of shared-space rows.
    public let fitted: any FittedClassifier
    /// The shared space the counterparts were found in.
    public let model: any AlignmentModel
    /// Whether the classifier works in the test side's own space (true) or in the shared space (false).
    public let inOwnSpace: Bool
    /// The share of labelled rows whose nearest unlabelled row is a mutual nearest neighbour (a counterpart).
    public let counterpartFraction: Double

    /// The class names.
    public var classes: [String] { fitted.classes }

    /// Classifies rows of `modality` (the side the unlabelled rows came from).
    public func predict(_ rows: Matrix<Float>, from modality: Modality) throws -> Predictions {
        try fitted.predict(inOwnSpace ? rows : try model.embed(rows, from: modality))
    }
}
