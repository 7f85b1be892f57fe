import Foundation
import LinearAlgebra

/// The nearest class mean by cosine similarity (the "nearest centroid" classifier, Tibshirani et al. 2002, in
/// its cosine form): every row is L2-normalised, each class is the direction of the mean of its rows, and a row
/// gets the class whose direction is closest.
///
/// The simplest classifier that can work: no settings, nothing to tune, one pass over the rows, and it cannot
/// overfit a handful of labelled rows. It is also what zero-shot labelling does with one prototype per class
/// (`ZeroShot`), so the two share one fitted form.
public struct CentroidClassifier: Classifier, Equatable {
    /// The classifier (it has no settings).
    public init() {}

    /// The class directions of `data`.
    public func fit(_ data: LabelledRows, context: FitContext) throws -> FittedCentroidClassifier {
        let unit = data.rows.normalizedRows()
        let d = unit.columns
        var sums = Matrix<Float>(rows: data.classes.count, columns: d)
        var accumulated = [Double](repeating: 0, count: data.classes.count * d)
        for (i, t) in data.targets.enumerated() {
            for j in 0..<d { accumulated[t * d + j] += Double(unit[i, j]) }
        }
        sums.elements = accumulated.map { Float($0) }
        return FittedCentroidClassifier(classes: data.classes, centroids: sums.normalizedRows())
    }
}

/// One unit direction per class; a row gets the class of highest cosine similarity, and that cosine (−1…1) is
/// its score.
public struct FittedCentroidClassifier: FittedClassifier, Equatable {
    /// The class names, row by row of `centroids`.
    public let classes: [String]
    /// One row per class: its unit direction (a class whose rows cancel out has the zero row and never wins).
    public let centroids: Matrix<Float>

    /// A classifier with the given class directions (normalised here).
    public init(classes: [String], centroids: Matrix<Float>) {
        precondition(classes.count == centroids.rows, "one centroid per class")
        self.classes = classes
        self.centroids = centroids.normalizedRows()
    }

    /// Columns of the rows to classify.
    public var inputColumns: Int { centroids.columns }

    /// The nearest class direction of each row, and its cosine.
    public func predict(_ rows: Matrix<Float>) throws -> Predictions {
        try checkClassifierInput(rows, columns: inputColumns)
        return Predictions(classes: classes, bestOf: cosineSimilarities(rows, centroids))
    }
}
