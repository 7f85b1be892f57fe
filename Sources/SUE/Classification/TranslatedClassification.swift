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
/// Each labelled row is replaced by its nearest unlabelled row by cosine in the shared space. That is not always
/// better: a nearest row that is not the counterpart is only a similar item with a borrowed label, and the test
/// side's own space may separate the classes worse than the shared space (a bag-of-words side against a neural
/// encoder's). So the choice is made on the data, in two steps:
/// 1. **Counterparts at all?** A labelled row whose nearest unlabelled row has it as its own nearest labelled row
///    (mutual nearest neighbours, the usual test of a match in dictionary induction, e.g. Conneau et al., "Word
///    translation without parallel data", ICLR 2018) has most likely found its counterpart. When fewer than
///    `minimumCounterpartFraction` of the labelled rows do, the unlabelled rows hold too few counterparts, and
///    the classifier is trained in the shared space.
/// 2. **Which space classifies the test side better?** Cross-validation in `validationFolds` seeded folds of the
///    labelled rows: a classifier trained on the other folds in each space classifies the held-out rows' mutual
///    counterparts (the test side's rows most likely to carry the right label) — in the test side's own space
///    directly, in the shared space through the model. The test side's own space is kept only if it classifies
///    more of them right by more than one standard error of the paired difference over the folds (the rule
///    `Automatic` uses against ridge); otherwise the shared space.
///
/// The result says which space was chosen and why. Measurements: docs/results.md.
public struct TranslatedClassification<C: Classifier>: Sendable {
    /// The classifier to train.
    public var classifier: C
    /// The share of labelled rows whose nearest unlabelled row must be a mutual nearest neighbour before the test
    /// side's own space is considered, in (0, 1].
    public var minimumCounterpartFraction: Double
    /// Folds of the cross-validation that chooses between the two spaces, ≥ 2.
    public var validationFolds: Int

    /// Training with `classifier` in whichever space validates better (see the type's discussion).
    public init(classifier: C, minimumCounterpartFraction: Double = 0.5, validationFolds: Int = 5) {
        self.classifier = classifier
        self.minimumCounterpartFraction = minimumCounterpartFraction
        self.validationFolds = validationFolds
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
        guard validationFolds >= 2 else {
            throw AlignmentError.invalidConfiguration("translated classification: validationFolds must be ≥ 2, got \(validationFolds)")
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
        // The labelled rows, the unlabelled rows and the test side's labelled rows are embedded once each.
        let embeddedLabelled = try model.embed(labelled.rows, from: side)
        let embeddedUnlabelled = try model.embed(unlabelled, from: other)
        let (nearest, mutual) = try Self.nearestRows(embeddedLabelled, embeddedUnlabelled)
        let fraction = Double(mutual.filter { $0 }.count) / Double(max(1, labelled.rows.rows))
        // The counterparts as they are, because that is how the test rows will arrive, in the own space and through
        // the model alike (a model's preprocessing need not commute with normalising a row).
        let counterparts = unlabelled.rows(nearest)
        // The shared-space classifier works where `SharedSpaceClassification` would: in the labelled side's own block
        // of a two-way space when only that side is labelled, else in the whole space.
        let columns = ownLabelled == nil ? model.ownSpaceColumns(of: side) : nil
        func block(_ m: Matrix<Float>) -> Matrix<Float> { columns.map { m.columns($0) } ?? m }
        let embeddedCounterparts = block(embeddedUnlabelled.rows(nearest))
        let classifiedLabelled = block(embeddedLabelled)
        let ownRows = try ownLabelled.map { (own: $0.rows, shared: try model.embed($0.rows, from: other)) }
        func fitted(_ rows: [Int], on data: Matrix<Float>, plus extra: Matrix<Float>?) throws -> any FittedClassifier {
            var chosen = data.rows(rows), labels = rows.map { labelled.labels[$0] }
            if let extra, let ownLabelled {
                chosen = concatenatedRows(chosen, extra)
                labels += ownLabelled.labels
            }
            return try classifier.fit(try LabelledRows(rows: chosen, labels: labels), context: context)
        }
        func ownSpace(_ rows: [Int]) throws -> any FittedClassifier { try fitted(rows, on: counterparts, plus: ownRows?.own) }
        func sharedSpace(_ rows: [Int]) throws -> any FittedClassifier { try fitted(rows, on: classifiedLabelled, plus: ownRows?.shared) }
        var validation: (ownSpace: Double, sharedSpace: Double)? = nil
        var inOwnSpace = false
        if fraction >= minimumCounterpartFraction {
            // Seeded folds; each fold's held-out mutual counterparts are classified by both spaces' classifiers.
            var random = SeededRandom(seed: context.seed ^ 0x7a_c1a5)
            let order = random.permutation(labelled.rows.rows)
            var fold = [Int](repeating: 0, count: order.count)
            for (position, row) in order.enumerated() { fold[row] = position % validationFolds }
            var differences = [Double](), own = 0.0, shared = 0.0
            for f in 0..<validationFolds {
                let train = fold.indices.filter { fold[$0] != f }
                let held = fold.indices.filter { fold[$0] == f && mutual[$0] }
                guard !held.isEmpty, !train.isEmpty else { continue }
                func correct(_ p: Predictions) -> Double {
                    Double(zip(p.labels, held).filter { $0 == labelled.labels[$1] }.count) / Double(held.count)
                }
                let a = correct(try ownSpace(train).predict(counterparts.rows(held)))
                let b = correct(try sharedSpace(train).predict(embeddedCounterparts.rows(held)))
                differences.append(a - b)
                own += a; shared += b
            }
            if !differences.isEmpty {
                validation = (own / Double(differences.count), shared / Double(differences.count))
                inOwnSpace = clearlyPositive(differences)
            }
        }
        let all = Array(0..<labelled.rows.rows)
        return TranslatedClassifier(fitted: inOwnSpace ? try ownSpace(all) : try sharedSpace(all), model: model,
                                    inOwnSpace: inOwnSpace, counterpartFraction: fraction, validation: validation,
                                    columns: inOwnSpace ? nil : columns)
    }

    /// For each row of `rows` (of modality `side`), its nearest row of `unlabelled` (the other modality) by cosine
    /// in `model`'s shared space, and whether the two are mutual nearest neighbours. Ties go to the lower row.
    public func nearestRows(of rows: Matrix<Float>, from side: Modality, through model: any AlignmentModel,
                            among unlabelled: Matrix<Float>) throws -> (nearest: [Int], mutual: [Bool]) {
        try Self.nearestRows(try model.embed(rows, from: side), try model.embed(unlabelled, from: side == .x ? .y : .x))
    }

    /// `nearestRows` on rows already in the shared space.
    private static func nearestRows(_ queries: Matrix<Float>, _ targets: Matrix<Float>) throws -> (nearest: [Int], mutual: [Bool]) {
        let forward = try cosineTopK(queries, targets, k: 1).map { $0[0].row }
        let backward = try cosineTopK(targets, queries, k: 1).map { $0[0].row }
        return (forward, forward.enumerated().map { i, j in backward[j] == i })
    }
}

/// A classifier trained by `TranslatedClassification`: in the test side's own space (on counterparts), or in the
/// shared space when too few labelled rows had a counterpart or the own space did not validate clearly better.
public struct TranslatedClassifier: Sendable {
    /// The fitted classifier, of the test side's own rows (`inOwnSpace`) or of shared-space rows.
    public let fitted: any FittedClassifier
    /// The shared space the counterparts were found in.
    public let model: any AlignmentModel
    /// Whether the classifier works in the test side's own space (true) or in the shared space (false).
    public let inOwnSpace: Bool
    /// The share of labelled rows whose nearest unlabelled row is a mutual nearest neighbour (a counterpart).
    public let counterpartFraction: Double
    /// The cross-validated accuracy (0…1) of each space on the held-out counterparts, or nil when the counterparts
    /// were too few to consider the test side's own space.
    public let validation: (ownSpace: Double, sharedSpace: Double)?
    /// The columns of the shared space a shared-space classifier takes (the labelled side's own block of a
    /// two-way space, as in `SharedSpaceClassification`); nil: all of them, or the classifier is in the own space.
    public let columns: Range<Int>?

    /// The class names.
    public var classes: [String] { fitted.classes }

    /// Classifies rows of `modality` (the side the unlabelled rows came from).
    public func predict(_ rows: Matrix<Float>, from modality: Modality) throws -> Predictions {
        try fitted.predict(inOwnSpace ? rows : try model.embed(rows, from: modality, columns: columns))
    }
}
