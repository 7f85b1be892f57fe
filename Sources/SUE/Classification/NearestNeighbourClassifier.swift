import Foundation
import LinearAlgebra

/// k nearest neighbours by cosine similarity: each row's k most similar training rows vote for their classes,
/// each vote weighted by its similarity (clamped at 0, so a dissimilar neighbour adds nothing).
///
/// The classic non-parametric choice: no training, and no assumption that a class is one blob; its cost is the
/// memory of every training row and one similarity per training row at prediction time. The score is the
/// winning class's share of the weighted vote (0…1); ties go to the class with the lower index.
public struct NearestNeighbourClassifier: Classifier, Equatable {
    /// Neighbours per vote (at most the number of training rows).
    public var neighbours: Int

    /// The classifier with `neighbours` voters (10 by default: enough to smooth single outliers, few enough for
    /// classes of ten rows).
    public init(neighbours: Int = 10) { self.neighbours = neighbours }

    /// Keeps the (normalised) training rows.
    public func fit(_ data: LabelledRows, context: FitContext) throws -> FittedNearestNeighbourClassifier {
        guard neighbours >= 1 else {
            throw AlignmentError.invalidConfiguration("nearest neighbours: need at least 1 neighbour, got \(neighbours)")
        }
        return FittedNearestNeighbourClassifier(classes: data.classes, rows: data.rows.normalizedRows(),
                                                targets: data.targets, neighbours: min(neighbours, data.rows.rows))
    }
}

/// The training rows (unit length) with their classes.
public struct FittedNearestNeighbourClassifier: FittedClassifier, Equatable {
    /// The class names.
    public let classes: [String]
    /// The training rows, L2-normalised.
    public let rows: Matrix<Float>
    /// The class of each training row.
    public let targets: [Int]
    /// Voters per row.
    public let neighbours: Int

    /// Columns of the rows to classify.
    public var inputColumns: Int { rows.columns }

    /// The similarity-weighted vote of each row's nearest training rows (ties between equally similar training
    /// rows go to the lower row, so the result does not depend on the thread count).
    public func predict(_ queries: Matrix<Float>) throws -> Predictions {
        try checkClassifierInput(queries, columns: inputColumns)
        let similarities = cosineSimilarities(queries, rows)
        var votes = Matrix<Double>(rows: queries.rows, columns: classes.count)
        for i in 0..<queries.rows {
            let row = (0..<rows.rows).map { similarities[i, $0] }
            let order = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
            var total = 0.0
            for j in order.prefix(neighbours) {
                let w = max(0, row[j])
                votes[i, targets[j]] += w
                total += w
            }
            if total > 0 { for c in 0..<classes.count { votes[i, c] /= total } }
        }
        return Predictions(classes: classes, bestOf: votes)
    }
}
