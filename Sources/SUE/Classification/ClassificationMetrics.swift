import Foundation

/// How well predicted labels match the true ones: accuracy, macro-averaged F1 and the confusion matrix.
///
/// Accuracy alone flatters a classifier that always says the largest class; macro-F1 (the unweighted mean of the
/// per-class F1 scores, scikit-learn's `f1_score(average="macro")`) gives every class the same say, so both are
/// reported. A class that is never predicted and never true does not exist here: the classes are those of the
/// classifier, and a class with no true rows and no predictions is left out of the macro average.
public struct ClassificationMetrics: Sendable, Equatable {
    /// The class names, in the order of the confusion matrix's rows and columns.
    public let classes: [String]
    /// confusion[t][p]: rows of true class t predicted as class p.
    public let confusion: [[Int]]

    /// The metrics of `predicted` against `truth` (class indices into `classes`, one per row).
    public init(classes: [String], truth: [Int], predicted: [Int]) {
        precondition(truth.count == predicted.count, "one prediction per true label")
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes.count), count: classes.count)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        self.classes = classes
        self.confusion = confusion
    }

    /// Rows scored.
    public var rows: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }

    /// Fraction of rows whose prediction is right (0…1; 0 for no rows).
    public var accuracy: Double {
        let right = classes.indices.reduce(0) { $0 + confusion[$1][$1] }
        return rows == 0 ? 0 : Double(right) / Double(rows)
    }

    /// One class's figures.
    public struct ClassScores: Sendable, Equatable {
        /// The class name.
        public let label: String
        /// True rows of the class.
        public let support: Int
        /// Rows predicted as the class.
        public let predicted: Int
        /// Right predictions of the class / predictions of it (0 when it is never predicted).
        public let precision: Double
        /// Right predictions of the class / its true rows (0 when it has none).
        public let recall: Double
        /// Harmonic mean of precision and recall (0 when both are 0).
        public let f1: Double
    }

    /// Precision, recall and F1 of each class, in the order of `classes`.
    public var perClass: [ClassScores] {
        classes.indices.map { k in
            let right = confusion[k][k]
            let support = confusion[k].reduce(0, +)
            let predicted = confusion.reduce(0) { $0 + $1[k] }
            let precision = predicted == 0 ? 0 : Double(right) / Double(predicted)
            let recall = support == 0 ? 0 : Double(right) / Double(support)
            let f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
            return ClassScores(label: classes[k], support: support, predicted: predicted, precision: precision,
                               recall: recall, f1: f1)
        }
    }

    /// The mean F1 over the classes that occur (as truth or as prediction); 0 for no rows.
    public var macroF1: Double {
        let present = perClass.filter { $0.support > 0 || $0.predicted > 0 }
        return present.isEmpty ? 0 : present.reduce(0) { $0 + $1.f1 } / Double(present.count)
    }

    /// The `limit` largest off-diagonal cells (true class, predicted class, rows), largest first, ties in class
    /// order: the mistakes worth looking at.
    public func mostConfused(limit: Int = 5) -> [(truth: String, predicted: String, rows: Int)] {
        var cells = [(Int, Int, Int)]()
        for t in classes.indices { for p in classes.indices where p != t && confusion[t][p] > 0 { cells.append((t, p, confusion[t][p])) } }
        cells.sort { $0.2 > $1.2 || ($0.2 == $1.2 && ($0.0, $0.1) < ($1.0, $1.1)) }
        return cells.prefix(limit).map { (classes[$0.0], classes[$0.1], $0.2) }
    }
}
