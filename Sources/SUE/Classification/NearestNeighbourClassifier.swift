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
    /// rows go to the lower row, so the result does not depend on the thread count). Queries are compared in blocks,
    /// so the memory is one block of similarities however many rows are classified.
    public func predict(_ queries: Matrix<Float>) throws -> Predictions {
        try checkClassifierInput(queries, columns: inputColumns)
        var votes = Matrix<Double>(rows: queries.rows, columns: classes.count)
        let training = rows.normalizedRows(), block = 256
        for start in stride(from: 0, to: queries.rows, by: block) {
            let end = min(queries.rows, start + block)
            let similarities = Matrix.multiply(queries.rows(start..<end).normalizedRows(), .none, training, .transposed)
            similarities.elements.withUnsafeBufferPointer { s in
                for i in 0..<(end - start) {
                    let row = s.baseAddress! + i * rows.rows
                    var total = 0.0
                    for j in largestIndices(row, count: rows.rows, k: neighbours) {
                        let w = max(0, Double(row[j]))
                        votes[start + i, targets[j]] += w
                        total += w
                    }
                    if total > 0 { for c in 0..<classes.count { votes[start + i, c] /= total } }
                }
            }
        }
        return Predictions(classes: classes, bestOf: votes)
    }
}
