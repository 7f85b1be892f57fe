import XCTest
import LinearAlgebra
import SUE

/// A CCA loop that creeps to the correspondence, without the jump or the settling of a lock-in, is kept by `auto`
/// only where pairs held out of it show it ahead of ridge and of its own first round (`Automatic`, the loops judged
/// on held-out pairs).
final class CreepingLoopTests: XCTestCase {
    /// Encoder-like views whose sides each see a private latent: the loop creeps here.
    private static let encoders = ViewSplits(views: makeEncoderViews(rows: 4000, seed: 1))
    /// A random network against a noisy bag of words: the loop's dictionary mostly echoes the pairs' own map.
    private static let words = ViewSplits(views: makeNonlinearViews(rows: 3000, seed: 1))

    func testACreepingLoopAheadOfRidgeAndOfItsFirstRoundIsKeptAndRetrievesFarBetter() throws {
        let (training, test) = try Self.encoders.problem(pairs: 100, seed: 1)
        let model = try Automatic().fit(training, context: FitContext(seed: 1))
        XCTAssertEqual(model.choice, .selfLearning, model.reason)
        XCTAssertTrue(model.reason.contains("no correspondence found"), "the loop did not lock in: \(model.reason)")
        XCTAssertTrue(model.reason.contains("without a lock-in, self-learning on the held-out pairs leads ridge by"), model.reason)
        XCTAssertTrue(model.reason.contains(": kept, run again from every known pair"), model.reason)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        let chosen = try testRecall(model, test)
        XCTAssertGreaterThan(chosen.xToY.r10, ridge.xToY.r10 + 5, "\(chosen) vs ridge \(ridge): \(model.reason)")
        XCTAssertGreaterThan(chosen.yToX.r10, ridge.yToX.r10 + 5, "\(chosen) vs ridge \(ridge): \(model.reason)")
    }

    /// The control: where the loop's lead over ridge on its held-out fold is mostly its first round's (a dictionary
    /// that matches each row to the row nearest its image under the pairs' own map, which helps without any
    /// correspondence in the unpaired rows), the loop is not kept. Forced here: a lock-in margin no run can clear
    /// and no two-way run, so the CCA loop is stopped at its deadline and judged by this rule alone.
    func testALoopWhoseLeadIsItsFirstRoundsIsNotKept() throws {
        let (training, test) = try Self.words.problem(pairs: 300, seed: 0)
        var estimator = Automatic(lockInMargin: 1e9, twoWayMinimumPairs: 1_000_000)
        estimator.lockInMaximumChurn = 0
        let model = try estimator.fit(training, context: FitContext(seed: 0))
        XCTAssertNotEqual(model.choice, .selfLearning, model.reason)
        XCTAssertTrue(model.reason.contains("and its first round (recall"), model.reason)
        XCTAssertTrue(model.reason.contains(": not kept"), model.reason)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        let chosen = try testRecall(model, test)
        XCTAssertGreaterThanOrEqual(chosen.xToY.r10, ridge.xToY.r10 - 1, "\(chosen) vs ridge \(ridge): \(model.reason)")
        XCTAssertGreaterThanOrEqual(chosen.yToX.r10, ridge.yToX.r10 - 1, "\(chosen) vs ridge \(ridge): \(model.reason)")
    }
}
