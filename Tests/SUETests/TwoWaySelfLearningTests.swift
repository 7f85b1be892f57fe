import XCTest
import LinearAlgebra
import SUE

/// Two-way self-learning on two views that are far from linearly related (`makeNonlinearViews`: a random network
/// against a noisy bag of words of the same latent points), where a map from the pairs alone is poor and the
/// unpaired rows carry the correspondence.
final class TwoWaySelfLearningTests: XCTestCase {
    private static let views = ViewSplits(views: makeNonlinearViews(rows: 3000, seed: 1))

    func testUnpairedRowsPayOffWhereTheSidesAreFarFromLinear() throws {
        let (training, test) = try Self.views.problem(pairs: 120)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        let model = try TwoWaySelfLearning().fit(training, context: FitContext(seed: 3))
        let learned = try testRecall(model, test)
        XCTAssertGreaterThan(learned.xToY.r10, ridge.xToY.r10 + 10, "two-way \(learned) vs ridge \(ridge)")
        XCTAssertGreaterThan(learned.yToX.r10, ridge.yToX.r10 + 10, "two-way \(learned) vs ridge \(ridge)")
        XCTAssertGreaterThan(model.pseudoPairs.count, 500, "the dictionary grew: \(model.stopReason)")
        XCTAssertEqual(model.dimension, 192 + 160)
        // The shared space averages the two maps' cosines: unit rows, each block of norm 1/√2.
        let embedded = try model.embedX(test.x)
        for i in [0, 17] {
            var first = 0.0, second = 0.0
            for j in 0..<160 { first += Double(embedded[i, j] * embedded[i, j]) }
            for j in 160..<352 { second += Double(embedded[i, j] * embedded[i, j]) }
            XCTAssertEqual(first, 0.5, accuracy: 1e-5)
            XCTAssertEqual(second, 0.5, accuracy: 1e-5)
        }
    }

    /// The default matching scores candidates from a low-rank approximation (depth 128 of 320 here); the exact
    /// matching (no shortlist) reaches the same place within a few points, and both are far above ridge.
    func testShortlistedMatchingLearnsAsTheExactOneDoes() throws {
        let (training, test) = try Self.views.problem(pairs: 120)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        let shortlisted = try TwoWaySelfLearning().fit(training, context: FitContext(seed: 3))
        var exact = TwoWaySelfLearning()
        exact.shortlist = nil
        let exactModel = try exact.fit(training, context: FitContext(seed: 3))
        XCTAssertNotEqual(shortlisted.pseudoPairs, exactModel.pseudoPairs, "the shortlist took effect")
        let a = try testRecall(shortlisted, test), b = try testRecall(exactModel, test)
        XCTAssertGreaterThan(b.xToY.r10, ridge.xToY.r10 + 10, "exact \(b) vs ridge \(ridge)")
        XCTAssertEqual(a.xToY.r10, b.xToY.r10, accuracy: 3, "shortlisted \(a) vs exact \(b)")
        XCTAssertEqual(a.yToX.r10, b.yToX.r10, accuracy: 3, "shortlisted \(a) vs exact \(b)")
        let pairs = Set(zip(shortlisted.pseudoPairs.x, shortlisted.pseudoPairs.y).map { [$0.0, $0.1] })
        let exactPairs = Set(zip(exactModel.pseudoPairs.x, exactModel.pseudoPairs.y).map { [$0.0, $0.1] })
        XCTAssertGreaterThan(Double(pairs.intersection(exactPairs).count), 0.9 * Double(exactPairs.count))
    }

    func testRoundsInLeadingComponentsOfWideSides() throws {
        // Both sides wider than the bound (192 and 160 columns against 96): the rounds match in each side's leading
        // principal components, the returned maps take every column, and unpaired rows still pay off.
        let (training, test) = try Self.views.problem(pairs: 120)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        var narrow = TwoWaySelfLearning()
        narrow.maxRoundColumns = 96
        let model = try narrow.fit(training, context: FitContext(seed: 3))
        let learned = try testRecall(model, test)
        XCTAssertGreaterThan(learned.xToY.r10, ridge.xToY.r10 + 10, "two-way in 96 components \(learned) vs ridge \(ridge)")
        XCTAssertGreaterThan(learned.yToX.r10, ridge.yToX.r10 + 10, "two-way in 96 components \(learned) vs ridge \(ridge)")
        XCTAssertEqual(model.dimension, 192 + 160)
        XCTAssertTrue(model.inputColumns == (training.x.columns, training.y.columns))
        let full = try TwoWaySelfLearning().fit(training, context: FitContext(seed: 3))
        XCTAssertNotEqual(model.pseudoPairs, full.pseudoPairs, "the bound took effect")
        // The principal directions are seeded and their products split by size: the same bits on one thread.
        narrow.maxIterations = 3
        let one = try Parallel.withThreads(1) { try narrow.fit(training, context: FitContext(seed: 3)) }
        let two = try narrow.fit(training, context: FitContext(seed: 3, threads: 2))
        XCTAssertEqual(one.alignment, two.alignment)
        XCTAssertEqual(one.pseudoPairs, two.pseudoPairs)
    }

    func testAutoTurnsToTwoWaySelfLearningAndNeverFallsBelowRidge() throws {
        let (training, test) = try Self.views.problem(pairs: 300)
        let model = try Automatic().fit(training, context: FitContext(seed: 3))
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        let chosen = try testRecall(model, test)
        XCTAssertEqual(model.choice, .twoWaySelfLearning, model.reason)
        XCTAssertGreaterThanOrEqual(chosen.xToY.r10, ridge.xToY.r10 - 1, model.reason)
        XCTAssertGreaterThanOrEqual(chosen.yToX.r10, ridge.yToX.r10 - 1, model.reason)
        // The lock-in leads clearly after the judged rounds: no second judged run over the whole schedule.
        XCTAssertFalse(model.reason.contains("over all its rounds"), model.reason)
        // Won on held-out pairs, so chosen without the cross-validation of the maps from the pairs alone: only
        // ridge's folds (the loops' baseline) were scored.
        XCTAssertEqual(Set(model.scores.keys), [.ridge], model.reason)
        XCTAssertTrue(model.reason.contains("not cross-validated"), model.reason)
    }

    /// A judged two-way run whose lead over ridge is narrow, or small against ridge's shortfall, is judged again
    /// over the loop's whole schedule before it is run in full; a real lock-in keeps its lead over all its rounds.
    /// Forced here by bars no lead can clear: in standard errors, then in the share of the shortfall.
    func testANarrowOrSmallLeadIsJudgedAgainOverTheWholeSchedule() throws {
        let (training, test) = try Self.views.problem(pairs: 300)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
        for (name, change) in [("standard errors", { (e: inout Automatic) in e.twoWayClearLead = 1e9 }),
                               ("share", { $0.twoWayClearShare = 1 })] {
            var estimator = Automatic()
            change(&estimator)
            let model = try estimator.fit(training, context: FitContext(seed: 3))
            XCTAssertEqual(model.choice, .twoWaySelfLearning, "\(name): \(model.reason)")
            XCTAssertTrue(model.reason.contains("a narrow or small lead; over all its rounds"), "\(name): \(model.reason)")
            let chosen = try testRecall(model, test)
            XCTAssertGreaterThanOrEqual(chosen.xToY.r10, ridge.xToY.r10 - 1, "\(name): \(model.reason)")
            XCTAssertGreaterThanOrEqual(chosen.yToX.r10, ridge.yToX.r10 - 1, "\(name): \(model.reason)")
        }
    }

    /// Where CCA is worse than ridge on the test rows (a whitened space that overfits the few pairs), the selection
    /// among maps fitted on pairs alone does not take it, and what it takes (ridge, or the kernel maps where they
    /// retrieve better) is not below ridge on the test rows: the cross-validation scores retrieval at the test
    /// depths in the pool a test query faces, where mean reciprocal rank used to rank CCA first. The loops are
    /// switched off (`sufficientRecall` 0) so that only that choice is under test.
    func testSelectionDoesNotTakeCCAWhereItIsWorseOnTestRows() throws {
        for seed: UInt64 in [0, 1] {
            let (training, test) = try Self.views.problem(pairs: 100, seed: seed)
            let ridge = try testRecall(try Ridge().fit(training, context: FitContext()), test)
            let cca = try testRecall(try CCA().fit(training, context: FitContext()), test)
            XCTAssertLessThan(cca.xToY.r10 + cca.yToX.r10, ridge.xToY.r10 + ridge.yToX.r10 - 4,
                              "the premise: CCA \(cca) is clearly worse than ridge \(ridge)")
            let model = try Automatic(sufficientRecall: 0).fit(training, context: FitContext(seed: seed))
            XCTAssertNotEqual(model.choice, .cca, model.reason)
            let chosen = try testRecall(model, test)
            XCTAssertGreaterThanOrEqual(chosen.xToY.r10, ridge.xToY.r10 - 1, "\(chosen) vs ridge \(ridge): \(model.reason)")
            XCTAssertGreaterThanOrEqual(chosen.yToX.r10, ridge.yToX.r10 - 1, "\(chosen) vs ridge \(ridge): \(model.reason)")
        }
    }

    /// Where the unpaired rows carry no correspondence at all (Y's unpaired rows shuffled among themselves), no
    /// loop can lock in: `auto` keeps ridge, and it does not pay for every round to learn that — the self-learning
    /// run stops once its jump deadline has passed, and the two-way run is judged after its few judging rounds.
    func testWithoutCorrespondenceInTheUnpairedRowsTheLoopsStopEarlyAndRidgeIsKept() throws {
        var (training, _) = try Self.views.problem(pairs: 100, seed: 1)
        let unpaired = training.unpairedYRows
        var random = SeededRandom(seed: 9)
        let shuffled = random.permutation(unpaired.count).map { unpaired[$0] }
        let original = training.y
        for (row, source) in zip(unpaired, shuffled) {
            for j in 0..<original.columns { training.y[row, j] = original[source, j] }
        }
        var estimator = Automatic()
        estimator.twoWayJudgeRounds = 3
        estimator.heldOutJumpDeadline = 4
        let model = try estimator.fit(training, context: FitContext(seed: 2))
        XCTAssertEqual(model.choice, .ridge, model.reason)
        XCTAssertTrue(model.reason.contains("two-way self-learning (3 rounds)"), model.reason)
        XCTAssertFalse(model.reason.contains("locked in"), model.reason)
        // Stopped right after the deadline's round (rounds 0…4), neither jumping nor settling.
        XCTAssertTrue(model.reason.contains("self-learning ran 5 rounds without a jump"), model.reason)
        // Fewer pairs than `twoWayFullRunMaximumPairs`: the run from every pair is judged by its own rounds, and
        // stopped in the round that shows it has not locked in.
        XCTAssertTrue(model.reason.contains("when its dictionary first held them all"), model.reason)
        XCTAssertTrue(model.reason.contains("no lock-in"), model.reason)
        // From `heldOutMinimumPairs` pairs on, the pair-free profiles are neither the loop's start nor a candidate.
        XCTAssertNotNil(model.scores[.cca], model.reason)
        XCTAssertNil(model.scores[.ccaProfiles], model.reason)
    }

    /// From fewer pairs than `heldOutMinimumPairs`, the CCA loop gets more rounds on smaller data: as many as
    /// match as many pairs of rows as `maxIterations` rounds on `roundBudgetRows` rows per side, at least
    /// `maxIterations` and at most `smallDataRounds`.
    func testSmallerDataGiveTheFewPairsLoopMoreRounds() throws {
        let estimator = Automatic()
        XCTAssertEqual(estimator.selfLearning.maxIterations, 20)
        XCTAssertEqual(estimator.fewPairsRounds(unpairedX: 14_656, unpairedY: 14_656), 20)
        XCTAssertEqual(estimator.fewPairsRounds(unpairedX: 12_000, unpairedY: 12_000), 20)
        XCTAssertEqual(estimator.fewPairsRounds(unpairedX: 10_000, unpairedY: 10_000), 28)  // 20 · 1.44
        XCTAssertEqual(estimator.fewPairsRounds(unpairedX: 12_000, unpairedY: 6_000), 40)
        XCTAssertEqual(estimator.fewPairsRounds(unpairedX: 5_000, unpairedY: 5_000), 40)
        XCTAssertEqual(estimator.fewPairsRounds(unpairedX: 1, unpairedY: 1), 40)
        var never = estimator
        never.smallDataRounds = nil
        XCTAssertEqual(never.fewPairsRounds(unpairedX: 1_000, unpairedY: 1_000), 20)
        never.smallDataRounds = 10  // below `maxIterations`: never fewer rounds than it
        XCTAssertEqual(never.fewPairsRounds(unpairedX: 1_000, unpairedY: 1_000), 20)

        // In a fit from 20 pairs on 3 000 rows the loop is given the rounds (as its progress says), and no more.
        let (training, _) = try Self.views.problem(pairs: 20, seed: 1)
        for limit in [24, nil] {
            var given = estimator
            given.smallDataRounds = limit
            let events = ProgressLog()
            let model = try given.fit(training, context: FitContext(seed: 2, progress: { events.append($0) }))
            let details = events.all.filter { $0.stage == "auto" }.map(\.detail)
            XCTAssertEqual(details.contains("self-learning may run 24 rounds on data of this size"), limit != nil, "\(details)")
            let rounds = events.all.filter { $0.stage == "self-learning" && $0.detail.hasPrefix("round ") }
                .compactMap { Int($0.detail.dropFirst(6).prefix { $0.isNumber }) }
            XCTAssertLessThan(rounds.max() ?? 0, limit ?? 20, model.reason)
        }
    }

    func testBadAutomaticSettingsAreClearErrors() throws {
        let (training, _) = try Self.views.problem(pairs: 50)
        for (name, change) in [("twoWayJudgeRounds", { (e: inout Automatic) in e.twoWayJudgeRounds = 0 }),
                               ("heldOutJumpDeadline", { $0.heldOutJumpDeadline = 0 }),
                               ("lockInMaximumChurn", { $0.lockInMaximumChurn = 1.5 }),
                               ("significance", { $0.significance = -1 }),
                               ("twoWayClearLead", { $0.twoWayClearLead = -.infinity }),
                               ("twoWayClearShare", { $0.twoWayClearShare = 1.5 }),
                               ("twoWayFullRunMaximumPairs", { $0.twoWayFullRunMaximumPairs = -1 }),
                               ("twoWayLockInGrowth", { $0.twoWayLockInGrowth = 0.9 }),
                               ("twoWayLockInGrowth", { $0.twoWayLockInGrowth = .nan }),
                               ("heldOutMinimumPairs", { $0.heldOutMinimumPairs = 1 }),
                               ("smallDataRounds", { $0.smallDataRounds = 0 }),
                               ("roundBudgetRows", { $0.roundBudgetRows = 0 })] {
            var estimator = Automatic()
            change(&estimator)
            XCTAssertThrowsError(try estimator.fit(training, context: FitContext())) { error in
                guard case .invalidConfiguration(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
                XCTAssertTrue(problem.contains(name), problem)
            }
        }
    }

    func testSameSeedSameBitsWhateverTheThreadCountAndStoredFormRoundTrips() throws {
        let (training, test) = try Self.views.problem(pairs: 120, seed: 2)
        var estimator = TwoWaySelfLearning()
        estimator.maxIterations = 4
        let one = try Parallel.withThreads(1) { try estimator.fit(training, context: FitContext(seed: 5)) }
        let two = try estimator.fit(training, context: FitContext(seed: 5, threads: 2))
        XCTAssertEqual(one.alignment, two.alignment)
        XCTAssertEqual(one.pseudoPairs, two.pseudoPairs)
        let rebuilt = try XCTUnwrap(try StoredModels.rebuild(one.storedForm) as? TwoWayAlignment)
        XCTAssertEqual(rebuilt, one.alignment)
        XCTAssertEqual(try rebuilt.embedY(test.y), try one.embedY(test.y))
        var wrong = one.storedForm
        wrong.tensors["yx.map"] = Matrix(rows: 3, columns: 3)
        XCTAssertThrowsError(try StoredModels.rebuild(wrong)) { error in
            guard case .invalidModel(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("'yx.map'"), problem)
        }
    }

    /// A run stopped at its round limit and continued ends exactly where one uninterrupted run does (here on
    /// sides wider than the rounds' bound, so the round bases are carried over too); a settled run is returned as
    /// it is, and continuing on other data, with another seed or other settings is a clear error.
    func testAStoppedRunContinuedEqualsOneUninterruptedRun() throws {
        let (training, _) = try Self.views.problem(pairs: 120, seed: 4)
        var whole = TwoWaySelfLearning()
        whole.maxRoundColumns = 96
        whole.maxIterations = 9
        var short = whole
        short.maxIterations = 4
        let context = FitContext(seed: 7)
        let stopped = try short.fit(training, context: context)
        XCTAssertEqual(stopped.iterations.count, 4)
        XCTAssertFalse(stopped.converged)
        let continued = try whole.fit(training, context: context, resuming: stopped)
        let uninterrupted = try whole.fit(training, context: context)
        XCTAssertGreaterThan(uninterrupted.iterations.count, 4)
        XCTAssertEqual(continued.iterations, uninterrupted.iterations)
        XCTAssertEqual(continued.pseudoPairs, uninterrupted.pseudoPairs)
        XCTAssertEqual(continued.alignment, uninterrupted.alignment)
        XCTAssertEqual(continued.stopReason, uninterrupted.stopReason)

        var settling = TwoWaySelfLearning()
        settling.maxIterations = 40
        let settled = try settling.fit(training, context: context)
        XCTAssertTrue(settled.converged, settled.stopReason)
        XCTAssertEqual(try settling.fit(training, context: context, resuming: settled).iterations, settled.iterations)

        let (other, _) = try Self.views.problem(pairs: 100, seed: 4)
        XCTAssertThrowsError(try whole.fit(other, context: context, resuming: stopped)) { error in
            guard case .invalidConfiguration(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("data and seed it started with"), problem)
        }
        XCTAssertThrowsError(try whole.fit(training, context: FitContext(seed: 8), resuming: stopped))
        var faster = whole
        faster.growth = 2
        XCTAssertThrowsError(try faster.fit(training, context: context, resuming: stopped)) { error in
            guard case .invalidConfiguration(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("settings it started with"), problem)
        }
    }

    func testBadSettingsAndTooFewPairsAreClearErrors() throws {
        let (training, _) = try Self.views.problem(pairs: 50)
        for change in [{ (e: inout TwoWaySelfLearning) in e.growth = 0.5 }, { $0.maxIterations = 0 },
                       { $0.initialDictionarySize = 0 }, { $0.minNewFraction = 2 }, { $0.maxMatchingRows = 0 },
                       { $0.maxRoundColumns = 0 }, { $0.shortlist = MatchingShortlist(rank: 0, candidates: 24) },
                       { $0.shortlist = MatchingShortlist(rank: 128, candidates: 0) }] {
            var estimator = TwoWaySelfLearning()
            change(&estimator)
            XCTAssertThrowsError(try estimator.fit(training, context: FitContext())) { error in
                guard case .invalidConfiguration? = error as? AlignmentError else { return XCTFail("\(error)") }
            }
        }
        var onePair = training
        onePair.pairs = Array(training.pairs.prefix(1))
        XCTAssertThrowsError(try TwoWaySelfLearning().fit(onePair, context: FitContext())) { error in
            guard case .insufficientData? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
    }

    /// The matching's factors P, Q give the shared space's cosines exactly (to rounding) at the smaller depth, for
    /// both layouts (Y narrower than X, and X narrower than Y), against the embeddings' own inner products; also
    /// on row counts that span several of the parallel row blocks, with an all-zero row on each side (its cosines
    /// are 0), and with the same bits on 1 and 3 threads.
    func testSimilarityFactorsReproduceTheSharedSpaceCosines() throws {
        var random = SeededRandom(seed: 4)
        for (dx, dy, nx, ny) in [(7, 5, 13, 11), (5, 9, 13, 11), (6, 6, 13, 11), (7, 5, 1_100, 1_030), (5, 9, 1_030, 1_100)] {
            var x: Matrix<Float> = random.normalMatrix(nx, dx), y: Matrix<Float> = random.normalMatrix(ny, dy)
            if nx > 13 {
                for j in 0..<dx { x[700, j] = 0 }
                for j in 0..<dy { y[600, j] = 0 }
            }
            let w: Matrix<Float> = random.normalMatrix(dx, dy), v: Matrix<Float> = random.normalMatrix(dy, dx)
            let model = try TwoWayAlignment(preprocessX: RowPreprocessing(mean: [Float](repeating: 0, count: dx)),
                                            preprocessY: RowPreprocessing(mean: [Float](repeating: 0, count: dy)),
                                            mapXY: w, mapYX: v, report: .unrecorded(method: "test"))
            let unitX = x.normalizedRows(), unitY = y.normalizedRows()
            let expected = Matrix.multiply(try model.embedX(x), .none, try model.embedY(y), .transposed)
            let (p, q) = TwoWaySelfLearning.similarityFactors(unitX, unitY, w, v)
            XCTAssertEqual(p.columns, 2 * min(dx, dy))
            let got = Matrix.multiply(p, .none, q, .transposed)
            for k in got.elements.indices { XCTAssertEqual(got.elements[k], expected.elements[k], accuracy: 2e-6, "\(dx)×\(dy)") }
            let (p1, q1) = Parallel.withThreads(1) { TwoWaySelfLearning.similarityFactors(unitX, unitY, w, v) }
            let (p3, q3) = Parallel.withThreads(3) { TwoWaySelfLearning.similarityFactors(unitX, unitY, w, v) }
            XCTAssertEqual(p1, p3, "\(nx)×\(dx), \(ny)×\(dy)")
            XCTAssertEqual(q1, q3, "\(nx)×\(dx), \(ny)×\(dy)")
            if nx > 13 {
                XCTAssertTrue((0..<p.columns).allSatisfy { p[700, $0] == 0 }, "a zero X row has a zero factor row")
                XCTAssertNil(p.firstNonFinite())
                XCTAssertNil(q.firstNonFinite())
            }
        }
    }
}

/// The statistic by which `auto` judges a two-way run from every pair where its judged run lost on the held-out
/// fold, and the path that uses it. Three kinds of views: few latent dimensions, where two-way self-learning locks
/// in from 60 pairs; many small clusters, where it retrieves worse than ridge although its mutual matches grow as
/// the dictionary fills (as much as a null run's do); and a curved low-dimensional relation, where they grow past
/// `auto`'s bar without a lock-in, and so do a null run's.
final class TwoWayLockInGrowthTests: XCTestCase {
    private static let lockingIn = ViewSplits(views: makeNonlinearViews(rows: 4000, latent: 16, seed: 1))
    private static let clustered = ViewSplits(views: makeNonlinearViews(rows: 4000, clusters: 200, seed: 1))
    private static let curved = ViewSplits(views: makeCurvedViews(rows: 3000, seed: 1))

    private func round(_ i: Int, kept: Int, of all: Int?) -> SelfLearningIteration {
        SelfLearningIteration(iteration: i, matches: kept, meanScore: 0.2, meanMargin: 0.01, newFraction: 0.3, mutualMatches: all)
    }

    func testGrowthIsTheMutualMatchesWhenTheDictionaryFirstHoldsThemAllOverRoundZeros() {
        let rounds = [round(0, kept: 100, of: 1000), round(1, kept: 140, of: 1100), round(2, kept: 1300, of: 1300),
                      round(3, kept: 1900, of: 1900)]
        XCTAssertEqual(mutualMatchGrowth(rounds)!, 1.3, accuracy: 1e-12)
        XCTAssertNil(mutualMatchGrowth(Array(rounds.prefix(2))), "no round's dictionary held every match yet")
        XCTAssertNil(mutualMatchGrowth([]))
        XCTAssertNil(mutualMatchGrowth([round(0, kept: 100, of: nil), round(1, kept: 140, of: nil)]),
                     "a loop that keeps every match records no separate count")
        XCTAssertNil(mutualMatchGrowth([round(0, kept: 0, of: 0)]), "no matches at round 0: no ratio")
    }

    /// The growth of a run from the true pairs and of one from the same pairs deranged (a null: pairs that carry no
    /// correspondence), with the real run's recall and ridge's on the test rows.
    private func growths(_ views: ViewSplits, pairs: Int) throws -> (real: Double, null: Double, learned: RetrievalScores, ridge: RetrievalScores) {
        let (training, test) = try views.problem(pairs: pairs)
        var null = training
        var random = SeededRandom(seed: 5)
        let deranged = random.derangement(training.pairs.count)
        null.pairs = training.pairs.indices.map { KnownPair(x: training.pairs[$0].x, y: training.pairs[deranged[$0]].y) }
        let real = try TwoWaySelfLearning().fit(training, context: FitContext(seed: 3))
        let shuffled = try TwoWaySelfLearning().fit(null, context: FitContext(seed: 3))
        return (try XCTUnwrap(mutualMatchGrowth(real.iterations)), try XCTUnwrap(mutualMatchGrowth(shuffled.iterations)),
                try testRecall(real, test), try testRecall(try Ridge().fit(training, context: FitContext()), test))
    }

    /// In a lock-in the mutual matches grow past `auto`'s bar and far past a null run's growth. In runs that
    /// retrieve worse than ridge they grow as a null's do: below the bar on the clustered views, past it on the
    /// curved ones, where only the null tells.
    func testALockInOutgrowsTheBarAndANullRunAndFailuresDoNot() throws {
        let (bar, margin) = (Automatic().twoWayLockInGrowth, Automatic().lockInMargin)
        let locked = try growths(Self.lockingIn, pairs: 60)
        XCTAssertGreaterThan(locked.learned.xToY.r10, locked.ridge.xToY.r10 + 20, "the premise: a lock-in")
        XCTAssertGreaterThan(locked.real, bar, "\(locked)")
        XCTAssertGreaterThan(locked.real, locked.null * (1 + margin), "\(locked)")

        let clustered = try growths(Self.clustered, pairs: 120)
        XCTAssertLessThan(clustered.learned.xToY.r10, clustered.ridge.xToY.r10, "the premise: worse than ridge")
        XCTAssertGreaterThan(clustered.real, 1.05, "the premise: the count grows without a lock-in")
        XCTAssertEqual(clustered.real, clustered.null, accuracy: 0.05, "\(clustered)")
        XCTAssertLessThan(clustered.real, bar - 0.1, "\(clustered)")

        let curved = try growths(Self.curved, pairs: 50)
        XCTAssertLessThan(curved.learned.xToY.r10, curved.ridge.xToY.r10, "the premise: worse than ridge")
        XCTAssertGreaterThan(curved.real, bar + 0.1, "\(curved)")
        XCTAssertLessThan(curved.real, curved.null * (1 + margin / 2), "\(curved)")
    }

    /// A judged run rejected by a bar no lead can clear (on a fold of fewer than 30 pairs the bar is `significance`
    /// standard errors): `auto` runs the loop from every pair and keeps it where its rounds show a lock-in, and keeps
    /// what the pairs alone give where they show none: below the bar (clustered views), or past it but no further
    /// than a null run's (curved views). Without that second look
    /// (`twoWayFullRunMaximumPairs` 0) it keeps ridge on the locking-in views too.
    func testARejectedJudgedRunIsRunFromEveryPairAndKeptIfItsRoundsShowALockIn() throws {
        var estimator = Automatic(significance: 1e9)
        // `auto`'s choice and reason, and its recall and ridge's on the test rows.
        func fitted(_ views: ViewSplits, pairs: Int) throws -> (model: AutomaticModel, chosen: RetrievalScores, ridge: RetrievalScores) {
            let (training, test) = try views.problem(pairs: pairs)
            let model = try estimator.fit(training, context: FitContext(seed: 3))
            return (model, try testRecall(model, test), try testRecall(try Ridge().fit(training, context: FitContext()), test))
        }
        let locked = try fitted(Self.lockingIn, pairs: 60)
        XCTAssertEqual(locked.model.choice, .twoWaySelfLearning, locked.model.reason)
        XCTAssertTrue(locked.model.reason.contains("from all 60 pairs: its mutual matches grew"), locked.model.reason)
        XCTAssertTrue(locked.model.reason.contains("from shuffled pairs: locked in"), locked.model.reason)
        XCTAssertGreaterThan(locked.chosen.xToY.r10, locked.ridge.xToY.r10 + 20, "\(locked)")
        XCTAssertGreaterThan(locked.chosen.yToX.r10, locked.ridge.yToX.r10 + 20, "\(locked)")
        for (views, pairs, verdict) in [(Self.clustered, 60, "(a lock-in needs 1.25×): no lock-in"),
                                        (Self.curved, 50, "from shuffled pairs: no lock-in")] {
            let failed = try fitted(views, pairs: pairs)
            XCTAssertNotEqual(failed.model.choice, .twoWaySelfLearning, failed.model.reason)
            XCTAssertTrue(failed.model.reason.contains(verdict), failed.model.reason)
            XCTAssertGreaterThanOrEqual(failed.chosen.xToY.r10, failed.ridge.xToY.r10 - 1, "\(failed)")
            XCTAssertGreaterThanOrEqual(failed.chosen.yToX.r10, failed.ridge.yToX.r10 - 1, "\(failed)")
        }
        estimator.twoWayFullRunMaximumPairs = 0
        let (training, _) = try Self.lockingIn.problem(pairs: 60)
        let without = try estimator.fit(training, context: FitContext(seed: 3))
        XCTAssertNotEqual(without.choice, .twoWaySelfLearning, without.reason)
        XCTAssertFalse(without.reason.contains("its mutual matches grew"), without.reason)
    }
}

/// Progress events collected from any thread.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ProgressEvent] = []
    func append(_ event: ProgressEvent) { lock.lock(); events.append(event); lock.unlock() }
    var all: [ProgressEvent] { lock.lock(); defer { lock.unlock() }; return events }
}
