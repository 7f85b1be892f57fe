import XCTest
import LinearAlgebra
import SUE

/// Row-aligned views split as `sue experiment` splits them: 400 test pairs, `pairs` known pairs, the rest unpaired.
struct ViewSplits {
    /// The two views, row i with row i.
    let views: (x: Matrix<Float>, y: Matrix<Float>)

    /// The training data and the test rows of one seeded split.
    func problem(pairs: Int, seed: UInt64 = 0) throws -> (training: WeaklyPairedData, test: (x: Matrix<Float>, y: Matrix<Float>)) {
        let split = try AlignmentSplit(rows: views.x.rows, pairs: pairs, test: 400, seed: seed)
        return (split.trainingData(x: views.x, y: views.y), split.testData(x: views.x, y: views.y))
    }
}

/// Recall of `model` on test rows, both directions.
func testRecall(_ model: any AlignmentModel, _ test: (x: Matrix<Float>, y: Matrix<Float>)) throws -> RetrievalScores {
    try retrievalRecall(try model.embedX(test.x), try model.embedY(test.y))
}
