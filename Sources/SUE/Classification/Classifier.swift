import Foundation
import LinearAlgebra

/// A classifier estimator: a configuration value whose `fit` learns from labelled rows and returns the fitted
/// classifier, in the same habit as `Aligner` (the settings *are* the estimator; `fit` leaves them untouched).
///
/// Every classifier here compares rows by direction, not length: the rows of a shared space (and of the usual
/// sentence and image encoders) are meant to be compared by cosine similarity, and a classifier trained on one
/// modality's rows is applied to the other modality's rows, whose lengths need not match.
///
/// ```swift
/// let fitted = try LogisticClassifier().fit(LabelledRows(rows: train, labels: names), context: FitContext(seed: 0))
/// let predictions = try fitted.predict(test)          // predictions.labels, predictions.scores
/// ```
public protocol Classifier: Sendable, Codable {
    /// What `fit` returns.
    associatedtype Fitted: FittedClassifier
    /// Learns from `data`; randomness and the thread count come from `context`.
    func fit(_ data: LabelledRows, context: FitContext) throws -> Fitted
}

/// A fitted classifier: one label (of `classes`) and one score per row.
public protocol FittedClassifier: Sendable {
    /// The class names, in the order the predictions' indices refer to.
    var classes: [String] { get }
    /// Columns of the rows `predict` accepts.
    var inputColumns: Int { get }
    /// The best class of each row of `rows`, with its score (higher is surer; see each classifier for the scale).
    func predict(_ rows: Matrix<Float>) throws -> Predictions
}

/// Rows with one class label each: the training data of a classifier.
///
/// The classes are the distinct labels in sorted order (byte order of their UTF-8, so the same labels always
/// give the same class numbers), unless given explicitly; a class given explicitly must have at least one row.
public struct LabelledRows: Sendable, Equatable {
    /// One item per row.
    public var rows: Matrix<Float>
    /// The class of each row, as an index into `classes`.
    public var targets: [Int]
    /// The class names.
    public var classes: [String]

    /// Rows and their labels (one per row). Throws if the counts differ, a label is empty, or a row is not finite.
    /// - Parameter classes: the classes, in order; by default the distinct labels, sorted. Every class must occur.
    public init(rows: Matrix<Float>, labels: [String], classes: [String]? = nil) throws {
        guard labels.count == rows.rows else {
            throw AlignmentError.shapeMismatch("\(labels.count) labels for \(rows.rows) rows; expected one label per row")
        }
        if let empty = labels.firstIndex(where: { $0.isEmpty }) {
            throw AlignmentError.invalidInput("the label of row \(empty) is empty")
        }
        if let (row, column, value) = rows.firstNonFinite() {
            throw AlignmentError.nonFinite(what: "labelled rows", row: row, column: column, value: Double(value))
        }
        let names = classes ?? sortedClasses(labels)
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        guard index.count == names.count else {
            throw AlignmentError.invalidInput("the class list names a class twice")
        }
        var counts = [Int](repeating: 0, count: names.count)
        var targets = [Int]()
        targets.reserveCapacity(labels.count)
        for (row, label) in labels.enumerated() {
            guard let t = index[label] else {
                throw AlignmentError.invalidInput("row \(row) has the label '\(label)', which is not among the classes")
            }
            counts[t] += 1
            targets.append(t)
        }
        if let empty = counts.firstIndex(of: 0) {
            throw AlignmentError.insufficientData("the class '\(names[empty])' has no rows")
        }
        self.rows = rows
        self.targets = targets
        self.classes = names
    }

    /// The label of each row.
    public var labels: [String] { targets.map { classes[$0] } }

    /// Rows per class, in the order of `classes`.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for t in targets { counts[t] += 1 }
        return counts
    }

    /// The same rows and labels with the class list `classes` (a superset of the labels), so that two sets of
    /// rows can share class numbers; classes without rows are allowed here.
    func relabelled(to classes: [String]) -> LabelledRows {
        let index = Dictionary(classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        var copy = self
        copy.targets = targets.map { index[self.classes[$0]]! }
        copy.classes = classes
        return copy
    }

    /// The rows `indices` and their labels (classes unchanged, so some may have no rows).
    func subset(_ indices: [Int]) -> LabelledRows {
        var copy = self
        copy.rows = rows.rows(indices)
        copy.targets = indices.map { targets[$0] }
        return copy
    }
}

/// The distinct labels in byte order of their UTF-8 (independent of locale and of Unicode normalisation).
func sortedClasses(_ labels: [String]) -> [String] {
    Array(Set(labels)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
}

/// The predictions of a fitted classifier for a set of rows: one class and one score per row.
public struct Predictions: Sendable, Equatable {
    /// The class names the indices refer to.
    public var classes: [String]
    /// The predicted class of each row, as an index into `classes`.
    public var classIndices: [Int]
    /// How sure each prediction is, on the classifier's own scale (higher is surer).
    public var scores: [Double]

    /// Predictions with every field given.
    public init(classes: [String], classIndices: [Int], scores: [Double]) {
        self.classes = classes
        self.classIndices = classIndices
        self.scores = scores
    }

    /// The predicted label of each row.
    public var labels: [String] { classIndices.map { classes[$0] } }

    /// The best column of each row of `scores` (rows × classes), ties to the lower class, and its score.
    /// A non-finite score never wins, so no NaN can become a prediction.
    init(classes: [String], bestOf scores: Matrix<Double>) {
        var indices = [Int](), best = [Double]()
        indices.reserveCapacity(scores.rows)
        best.reserveCapacity(scores.rows)
        for i in 0..<scores.rows {
            var (k, s) = (0, -Double.infinity)
            for j in 0..<scores.columns where scores[i, j] > s { (k, s) = (j, scores[i, j]) }
            indices.append(k)
            best.append(s.isFinite ? s : 0)
        }
        self.init(classes: classes, classIndices: indices, scores: best)
    }
}

/// Throws unless `rows` has the columns a classifier was fitted on and is finite.
func checkClassifierInput(_ rows: Matrix<Float>, columns: Int) throws {
    guard rows.columns == columns else {
        throw AlignmentError.shapeMismatch("the rows to classify have \(rows.columns) columns; the classifier was fitted on \(columns)")
    }
    if let (row, column, value) = rows.firstNonFinite() {
        throw AlignmentError.nonFinite(what: "the rows to classify", row: row, column: column, value: Double(value))
    }
}

/// Cosine similarities (rows of `a` against rows of `b`) in Double: both sides L2-normalised (zero rows stay
/// zero), one matrix product.
func cosineSimilarities(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Double> {
    Matrix.multiply(a.normalizedRows(), .none, b.normalizedRows(), .transposed).converted(to: Double.self)
}
