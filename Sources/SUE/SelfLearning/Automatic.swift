import Foundation
import LinearAlgebra

/// What the automatic choice fitted: the chosen model, which candidate it is, and what was compared.
///
/// Stored as the chosen model (its kind), with this model's report: the choice and its reasons.
public struct AutomaticModel: AlignmentModel {
    /// The candidates the automatic choice compares.
    public enum Choice: String, Sendable, Codable, CaseIterable {
        /// Ridge regression X→Y on the known pairs.
        case ridge
        /// Regularised CCA on the known pairs.
        case cca
        /// CCA beside the similarity profiles.
        case ccaProfiles = "cca+profiles"
        /// Kernel ridge both ways on the known pairs (`KernelRidge`), for curved relations.
        case kernelRidge = "kernel-ridge"
        /// Two small networks trained on the pairs (`Contrastive`), tried only where kernel ridge won.
        case contrastive
        /// Self-learning over the unpaired rows (only when it locked in).
        case selfLearning = "self-learning"
        /// Two-way self-learning (ridge both ways, a growing dictionary), for sides far from linearly related.
        case twoWaySelfLearning = "two-way-self-learning"
        /// The pair-free profiles (fewer than 2 known pairs).
        case similarityProfiles = "similarity-profiles"
    }
    /// The chosen candidate.
    public var choice: Choice
    /// Cross-validated score of each candidate scored (recall at the test depths, higher is better); empty with
    /// fewer than 3 pairs.
    public var scores: [Choice: Double]
    /// Why this candidate was chosen, in one line.
    public var reason: String
    /// The chosen candidate's fitted model.
    public var model: any AlignmentModel
    /// The choice's report: the chosen method, with `reason` and the scores.
    public var report: FitReport

    public var dimension: Int { model.dimension }
    public var inputColumns: (x: Int, y: Int) { model.inputColumns }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try model.embedX(x) }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try model.embedY(y) }
    public var storedForm: StoredModel {
        var stored = model.storedForm
        stored.report = report
        return stored
    }
}

/// Chooses between ridge, CCA, CCA beside the similarity profiles, kernel ridge and the self-learning loops from the
/// known pairs alone, so the default never needs the user to know the literature, and is not worse than the ridge
/// baseline in either direction of retrieval.
///
/// 1. **Did self-learning find a correspondence?** Self-learning always converges to *some* self-consistent
///    set of mutual matches, and with too few pairs that set is noise its own map has learned to agree with.
///    To tell the two apart without labels, the same loop is run a second time on the same data from the
///    known pairs with their Y rows *shuffled* (a derangement: a start that carries no correspondence at all,
///    but has the same size and the same data; it gets as many rounds as the real run used, at most 5, since
///    its score flattens within a few). Two statistics compare the runs: the in-sample mean CSLS score of the
///    final matches, and the pseudo-pairs' agreement *out of sample* (`heldOutAgreement`: CCA on one half of
///    them, mean cosine of the other half). Self-learning counts as locked in if either beats the null run's by
///    more than `lockInMargin` (relative): each is evidence of structure noise does not produce, and each
///    misses a case the other catches. Measured: on text-encoder pairs, locked-in runs have held-out agreement
///    0.59–0.71 against nulls of 0.16–0.28 and runs that did not lock in 1.03–1.17× their null on both
///    statistics; on 2 100 rows a null made 1 400 arbitrary pairs self-consistent enough for a mean CSLS of 0.78
///    against the real run's 0.90 (a 128-dimensional CCA on that few pairs fits noise), which only the
///    held-out agreement exposes (0.59 vs 0.17); on a low-dimensional synthetic manifold a null's matching
///    generalises (held-out 0.61 against 0.83) but is far less self-consistent (CSLS 0.25 against 0.36).
///    A run that used all its rounds must also show the lock-in itself, a jump of its score between two
///    rounds (`showsLockIn`): the null's few rounds are no fair comparison for a run that crept upwards for 25.
///    Self-learning starts from CCA on the known pairs beside the pair-free similarity profiles (cross-fitted,
///    see `SelfLearning`; from `heldOutMinimumPairs` pairs on, from CCA alone); the null run reuses the same
///    profiles, so only the pairs differ. If the configuration asks for the independent-component start
///    (`independentComponents`, off by default) and that run does not lock in, it is run once more from CCA
///    alone and tested against the same null, since a mostly wrong matching of components can spoil a start
///    CCA alone would have locked in from.
/// 2. **Cross-validation on the known pairs** (K = min(5, pairs) folds, fixed by the seed). Each candidate's
///    map is refitted without the fold, and every held-out X row searches the pool a test query would face: the
///    fold's held-out Y rows and all unpaired Y rows, never the Y rows the fold's map was fitted to. A pair's
///    score is its recall at the depths of R@1, R@5 and R@10 among 400 candidates, scaled to the pool's size —
///    the retrieval the user will measure. (The mean reciprocal rank over the whole pool, used before, is
///    dominated by the rare first-place hits, where a whitened CCA space is sharper, and ranked CCA above ridge
///    where ridge retrieves better at the depths that matter: docs/notebook.md.) The candidate replaces ridge
///    only if it wins clearly and loses in neither direction (`select`). Ridge, CCA and kernel ridge (`KernelRidge`,
///    the non-linear candidate, whose features use no pairs) are refitted exactly per fold;
///    `cca+profiles` (`ProfiledAlignment`) refits its CCA per fold beside the profiles, which use no pairs and
///    so leak nothing.
///    Self-learning is a candidate only if it locked in; its refit reuses the pseudo-pairs found with all
///    known pairs (re-running the loop per fold would multiply the cost by K). Once the loop has locked in,
///    the pseudo-pairs are the data's own correspondence and a held-out pair leaks nothing through them; before
///    lock-in they encode the known pairs themselves, which is why step 1 comes first (the CV alone picked a
///    failed self-learning run at 5 and 10 pairs). Where kernel ridge wins, the contrastive networks are
///    cross-validated against it on the same folds (`contrastive`). From `heldOutMinimumPairs` pairs on, a loop
///    that has beaten ridge on its held-out fold is chosen without this step.
///
/// Before both steps, where a side's columns are on scales more than `columnScaleSpread` apart (features in
/// mixed units), ridge is cross-validated on standardised columns (`ColumnScaling`) against ridge on the columns
/// as given; if it gains, every candidate is fitted on the standardised columns and the model divides by the same
/// scales (`ColumnScaledModel`).
///
/// With fewer than 2 known pairs there is nothing to fit a map on or to validate with: the pair-free
/// `SimilarityProfileAlignment` is returned. Self-learning from it (the `self-learning` method at 0 pairs) does
/// not lock in on the text pairs, and without pairs no null or cross-validation could tell a run that did from
/// one that did not, so `auto` does not try.
public struct Automatic: Aligner, Equatable {
    /// The self-learning run that is tested for lock-in (and its settings for the `cca+profiles` candidate).
    public var selfLearning: SelfLearning
    /// A statistic must beat the null run's by more than this fraction of it to count as a lock-in.
    public var lockInMargin: Double
    /// A candidate replaces ridge only if its cross-validated score beats ridge's by more than this many standard
    /// errors of the per-pair differences (see `select`).
    public var significance: Double
    /// Fewest known pairs with which two-way self-learning is tried (when the CCA loop found nothing): with fewer
    /// its first dictionary is mostly wrong, and the run would only cost time.
    public var twoWayMinimumPairs: Int
    /// Fewest known pairs with which the self-learning loops are judged on a fold of pairs held out of them
    /// (below it, by a null run from shuffled pairs; see `Automatic`). From this many pairs on, the CCA loop starts
    /// from CCA alone, `cca+profiles` is not a candidate (the profiles help only with fewer pairs), and kernel
    /// ridge is (see `kernelRidge`).
    public var heldOutMinimumPairs: Int
    /// Ridge's cross-validated score (0…1) above which the self-learning loops are not run: a candidate can then
    /// not beat ridge clearly, and the loops are most of a fit's cost.
    public var sufficientRecall: Double
    /// A self-learning run counts as locked in only if at most this fraction of its pseudo-pairs was new in its last
    /// round: a loop that found the correspondence settles on it, one that drifts keeps trading its pseudo-pairs.
    public var lockInMaximumChurn: Double = 0.2
    /// Rounds of the two-way run that is judged on the held-out pairs: its maps after them must beat ridge's on
    /// those pairs clearly (by `significance` standard errors). A run that finds the correspondence pulls ahead
    /// from its first rounds, one that does not drifts level, and the rounds that grow the dictionary further
    /// (twice as many again) would change neither verdict; if the run wins, a full run from every pair follows.
    /// Measured on the text pairs (400 test rows, one split each), with the maps after 7 rounds: the six runs that
    /// went on to lock in stood 29–42 points of R@10 above ridge (MiniLM ↔ LSA from 200 and 300 pairs, LSA ↔ e5
    /// from 50–200), the three that did not from 2 points below to 7 above (MiniLM → LSA from 100 and 150, LSA →
    /// e5 from 30), and none of those three came closer to a lock-in in its remaining rounds.
    public var twoWayJudgeRounds: Int = 7
    /// Rounds within which a self-learning (CCA) run judged on held-out pairs must show the jump of its score that
    /// marks a lock-in (`showsLockIn`), or be settling (at most `lockInMaximumChurn` of its pseudo-pairs new in the
    /// last round, so that it may still converge); otherwise it is stopped there as not locked in. From the
    /// held-out path's pair counts on (≥ 32 pairs in the loop) lock-ins come early: measured on the text pairs,
    /// from round 2 to 3 (MiniLM → e5 from 32 pairs, LSA → e5 from 240). A run from many pairs may start close to
    /// its fixed point and converge without a jump (LSA → e5 from 800 pairs), hence the second way on. A run from
    /// MiniLM → LSA from 80 pairs crept for all its 20 rounds and still traded 23 % of its pseudo-pairs in the last.
    /// A loop that locks in only after this deadline is left to the two-way loop, which is judged next and did at
    /// least as well wherever that happened (docs/notebook.md has the measurements).
    public var heldOutJumpDeadline: Int = 5
    /// The non-linear candidate scored beside ridge and CCA by cross-validation (nil: none), from
    /// `heldOutMinimumPairs` pairs on. Its features are placed without the pairs, so each fold refits only its two
    /// maps. With fewer pairs a fold leaves it a few dozen pairs to choose a bandwidth and a penalty from, and its
    /// cross-validated gain over ridge came out clear where it retrieved worse on test rows, while it never won
    /// where it would have helped (docs/notebook.md).
    public var kernelRidge: KernelRidge? = KernelRidge()
    /// Tried where kernel ridge has won the cross-validation, from `heldOutMinimumPairs` pairs on (nil: never):
    /// networks fitted to the pairs can follow a curved relation further than a kernel map of fixed bandwidth, at
    /// a higher cost that only data shown to be curved pays. It must beat kernel ridge in the same
    /// cross-validation, by the paired test that every candidate must pass against ridge.
    public var contrastive: Contrastive? = Contrastive()
    /// Known pairs on which the contrastive networks are cross-validated against kernel ridge, at least (whole
    /// folds, so a few more; every pair when there are fewer).
    public static let networkValidationPairs = 200
    /// Column scales (`ColumnScaling.spread`, on either side) above which standardised columns are tried: ridge
    /// is cross-validated with and without them, and every candidate is fitted on the standardised columns only
    /// if ridge's recall gains there by more than one standard error and in both directions (the paired test of
    /// `select`). `.infinity`: never tried.
    public var columnScaleSpread: Double = 10

    /// The estimator with its settings.
    public init(selfLearning: SelfLearning = SelfLearning(), lockInMargin: Double = 0.25, significance: Double = 2,
                twoWayMinimumPairs: Int = 50, heldOutMinimumPairs: Int = 40, sufficientRecall: Double = 0.98) {
        self.selfLearning = selfLearning; self.lockInMargin = lockInMargin; self.significance = significance
        self.twoWayMinimumPairs = twoWayMinimumPairs; self.heldOutMinimumPairs = heldOutMinimumPairs
        self.sufficientRecall = sufficientRecall
    }

    /// The choice among scored candidates: ridge, unless another candidate's per-pair scores beat ridge's by more
    /// than `significance` standard errors of the paired differences, averaged over both directions, *and* are not
    /// below ridge's in either direction on average (then the best such candidate by mean score; ties to the
    /// simpler one, in the order cca, cca+profiles, kernel-ridge, contrastive, self-learning). A self-learning run
    /// is scored only once it has locked in (its null-run test), and needs only a positive mean gain. Without
    /// scores (2 known pairs) a locked-in self-learning run is kept, otherwise ridge. Returns the choice and a
    /// note. `baseline`: the candidate the others must beat (ridge, unless a later step compares against the
    /// winner of an earlier one).
    ///
    /// Why a paired test against ridge rather than the highest mean: the known pairs are few, so the scores are
    /// noisy, and ridge is the baseline the default must never fall below. The differences of one pair's scores
    /// under two maps are far less noisy than either score (the hard pairs are hard for both), so a real gain
    /// shows up as a paired difference well clear of zero, while a candidate that is only level with ridge is
    /// rejected in favour of the baseline.
    ///
    /// Why each direction as well: ridge maps X into Y's space, and the two directions of retrieval in that space
    /// can differ widely, while CCA and the loops are symmetric. A symmetric candidate can then gain more in
    /// ridge's weak direction than it loses in its strong one and still be worse than ridge in one direction
    /// (measured on synthetic clustered views: CCA from 10 pairs ahead from X to Y and behind from Y to X by
    /// several points of R@10; docs/notebook.md). A user who searches in one direction would then be worse off
    /// than with the baseline.
    public static func select(_ perPair: [AutomaticModel.Choice: PairRecall], lockedIn: Bool, significance: Double,
                              baseline: AutomaticModel.Choice = .ridge) -> (choice: AutomaticModel.Choice, note: String) {
        guard let ridge = perPair[baseline], ridge.count > 0 else { return (lockedIn ? .selfLearning : baseline, "") }
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }
        var choice = baseline, best = mean(ridge.both), notes = [String]()
        for candidate in [AutomaticModel.Choice.cca, .ccaProfiles, .kernelRidge, .contrastive, .selfLearning, .twoWaySelfLearning]
        where candidate != baseline {
            guard let values = perPair[candidate], values.count == ridge.count else { continue }
            // A self-learning run among the candidates has passed its null-run test already (it is scored only
            // when it locked in); the cross-validation need only not contradict that.
            let (clear, gain, standardError, gainXY, gainYX) =
                pairedComparison(values, against: ridge, significance: candidate == .selfLearning ? 0 : significance)
            notes.append(String(format: "%@ %+.3f ± %.3f (x→y %+.3f, y→x %+.3f)", candidate.rawValue, gain, standardError,
                                gainXY, gainYX))
            if clear && mean(values.both) > best { choice = candidate; best = mean(values.both) }
        }
        return (choice, notes.isEmpty ? "" : "; against \(baseline.rawValue) (paired, ± one standard error): " + notes.joined(separator: ", "))
    }

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> AutomaticModel {
        try context.run(on: data) { data in try choose(data, context: context) }
    }

    /// Names the first setting out of its range.
    private func validateSettings() throws {
        let checks: [(ok: Bool, problem: String)] = [
            (lockInMargin >= 0 && lockInMargin.isFinite, "lockInMargin must be finite and ≥ 0, got \(lockInMargin)"),
            (significance >= 0 && significance.isFinite, "significance must be finite and ≥ 0, got \(significance)"),
            (twoWayMinimumPairs >= 2, "twoWayMinimumPairs must be ≥ 2, got \(twoWayMinimumPairs)"),
            (heldOutMinimumPairs >= 3, "heldOutMinimumPairs must be ≥ 3 (a fold to hold out and two pairs to fit on), got \(heldOutMinimumPairs)"),
            ((0...1).contains(lockInMaximumChurn), "lockInMaximumChurn must be in [0, 1], got \(lockInMaximumChurn)"),
            (twoWayJudgeRounds >= 1, "twoWayJudgeRounds must be ≥ 1, got \(twoWayJudgeRounds)"),
            (heldOutJumpDeadline >= 1, "heldOutJumpDeadline must be ≥ 1, got \(heldOutJumpDeadline)"),
            (columnScaleSpread >= 1, "columnScaleSpread must be ≥ 1 (or infinity: never), got \(columnScaleSpread)"),
        ]
        if let failed = checks.first(where: { !$0.ok }) { throw AlignmentError.invalidConfiguration("auto: " + failed.problem) }
    }

    private func choose(_ data: WeaklyPairedData, context: FitContext) throws -> AutomaticModel {
        var report = FitReport(method: "auto", estimator: self, data: data, context: context)
        try validateSettings()
        try data.validate()
        if data.pairs.count < 2 {
            let model = try SimilarityProfiles().fit(data, context: context)
            report.method = AutomaticModel.Choice.similarityProfiles.rawValue
            report.reason = "fewer than 2 known pairs: nothing to fit a map on or validate with; the pair-free similarity profiles (weak: retrieval a few times above chance)"
            return AutomaticModel(choice: .similarityProfiles, scores: [:], reason: report.reason, model: model, report: report)
        }
        var selection = Selection(self, data, try PreparedProblem(data), context)
        let spread = max(ColumnScaling.spread(of: data.x), ColumnScaling.spread(of: data.y))
        guard data.pairs.count >= 3, spread > columnScaleSpread else { return try selection.run(report: report) }

        // Columns on very unequal scales: is ridge better on standardised columns? (`ColumnScaling`.)
        context.report("auto", 0, "columns on unequal scales: cross-validating ridge on standardised columns")
        let scalingX = ColumnScaling(fittedOn: data.x), scalingY = ColumnScaling(fittedOn: data.y)
        let scaledData = WeaklyPairedData(x: try scalingX.apply(data.x), y: try scalingY.apply(data.y), pairs: data.pairs)
        var scaled = Selection(self, scaledData, try PreparedProblem(scaledData), context)
        let rawRidge = try selection.ridgeScores(), scaledRidge = try scaled.ridgeScores()
        // One standard error, not `significance`: both are the same method refitted exactly per fold, so neither
        // score is biased the way a candidate's can be against ridge's; where they are level the choice costs
        // nothing, and a real gain from few pairs clears one standard error long before two (notebook).
        let verdict = Automatic.pairedComparison(scaledRidge, against: rawRidge, significance: 1)
        let note = String(format: "columns' scales %.3g apart: ridge on standardised columns %+.3f ± %.3f (x→y %+.3f, y→x %+.3f)",
                          spread, verdict.gain, verdict.standardError, verdict.gainXY, verdict.gainYX)
        guard verdict.clear else {
            selection.ridge = rawRidge
            var model = try selection.run(report: report)
            model.annotate(note + ": columns kept as given")
            return model
        }
        scaled.ridge = scaledRidge
        var model = try scaled.run(report: report)
        model.model = try ColumnScaledModel(scalingX: scalingX, scalingY: scalingY, model: model.model)
        model.annotate(note + ": every candidate fitted on standardised columns")
        model.report.method += " on standardised columns"
        return model
    }

    /// The paired test of `select` for one candidate: whether `candidate`'s per-pair scores beat `baseline`'s by
    /// more than `significance` standard errors of the differences (averaged over both directions) and are not
    /// below them in either direction on average; with the mean gain, its standard error and each direction's.
    static func pairedComparison(_ candidate: PairRecall, against baseline: PairRecall, significance: Double)
        -> (clear: Bool, gain: Double, standardError: Double, gainXY: Double, gainYX: Double) {
        func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(max(v.count, 1)) }
        let (gain, standardError) = meanAndStandardError(zip(candidate.both, baseline.both).map { $0 - $1 })
        let gainXY = mean(candidate.xToY) - mean(baseline.xToY), gainYX = mean(candidate.yToX) - mean(baseline.yToX)
        let clear = gain > 0 && gain > significance * standardError && gainXY >= 0 && gainYX >= 0
        return (clear, gain, standardError, gainXY, gainYX)
    }
}

extension AutomaticModel {
    /// Puts `note` before the reason (here and in the report).
    mutating func annotate(_ note: String) {
        reason = note + "; " + reason
        report.reason = reason
    }
}

/// One run of the automatic choice: the data, the fold assignment, and the candidates found so far.
private struct Selection {
    let settings: Automatic
    let data: WeaklyPairedData
    let prepared: PreparedProblem
    let context: FitContext
    let pairs: [KnownPair]
    let folds: Int
    var foldOf: [Int]
    var random: SeededRandom
    let unpairedX: [Int]
    let unpairedY: [Int]
    /// The pair-free similarity profiles of every row (fitted once; self-learning's start and `cca+profiles`).
    var profiles: FittedProfiles?
    /// Ridge's cross-validated scores, when they were computed before `run`.
    var ridge: PairRecall? = nil
    /// Rounds within which the self-learning loop must show its jump (`showsLockIn`) or be settling, or be stopped;
    /// nil: no limit.
    var jumpDeadline: Int? = nil

    init(_ settings: Automatic, _ data: WeaklyPairedData, _ prepared: PreparedProblem, _ context: FitContext) {
        self.settings = settings; self.data = data; self.prepared = prepared; self.context = context
        pairs = prepared.pairs
        folds = min(5, pairs.count)
        // Fixed, seeded fold assignment.
        random = SeededRandom(seed: context.seed ^ 0x5eed_f01d)
        let order = random.permutation(pairs.count)
        foldOf = [Int](repeating: 0, count: pairs.count)
        for (position, k) in order.enumerated() { foldOf[k] = position % folds }
        unpairedX = data.unpairedXRows
        unpairedY = data.unpairedYRows
    }

    var configuration: SelfLearning { settings.selfLearning }

    mutating func run(report initialReport: FitReport) throws -> AutomaticModel {
        var report = initialReport
        var perPair = [AutomaticModel.Choice: PairRecall]()
        if pairs.count >= 3 {  // a ridge fold needs ≥ 2 training pairs
            perPair[.ridge] = try ridge ?? ridgeScores()
        }
        // Self-learning candidates, judged in one of two ways (see `Automatic`) — unless the pairs alone already
        // retrieve almost every held-out pair, when no loop could do clearly better and its cost buys nothing.
        var loops: (model: any AlignmentModel, choice: AutomaticModel.Choice)? = nil
        var lockedIn = false
        var notes = [String]()
        var kernelFeatures: KernelRidge.SideFeatures? = nil  // pair-free: fitted once, for the folds and the final fit
        if let ridge = perPair[.ridge], mean(ridge.both) >= settings.sufficientRecall {
            notes.append(String(format: "ridge's cross-validated recall %.3f leaves no room for self-learning: not run", mean(ridge.both)))
        } else if pairs.count >= settings.heldOutMinimumPairs {
            let outcome = try loopsJudgedOnHeldOutPairs(report: report)
            loops = outcome.accepted
            notes.append(outcome.note)
        } else {
            let outcome = try loopJudgedByNullRun()
            lockedIn = outcome.lockedIn
            notes.append(outcome.note)
            if lockedIn { loops = (outcome.run, .selfLearning) }
        }

        // Cross-validation of the maps fitted on pairs alone (and of a locked-in loop with few pairs). Not where a
        // loop has won on held-out pairs: it is then the choice whatever these scores are, and on large data the
        // folds of kernel ridge and CCA would add seconds to the costliest fits for a line of the report.
        let acceptedOnHeldOutPairs = pairs.count >= settings.heldOutMinimumPairs && loops != nil
        if acceptedOnHeldOutPairs {
            notes.append("the maps from the pairs alone not cross-validated: a loop beat ridge on pairs held out of it")
        } else if pairs.count >= 3 {  // a CCA fold needs ≥ 2 training pairs
            context.report("auto", 0.9, "cross-validating on \(pairs.count) known pairs (\(folds) folds)")
            perPair[.cca] = try perPairScores(ccaFold)
            if (configuration.profileWeight ?? 0) > 0 && pairs.count < settings.heldOutMinimumPairs {
                perPair[.ccaProfiles] = try perPairScores(profiles: try fittedProfiles(), ccaFold)
            }
            if let kernel = settings.kernelRidge, pairs.count >= settings.heldOutMinimumPairs {
                let features = try kernel.fittedFeatures(prepared, seed: context.seed)
                kernelFeatures = features
                perPair[.kernelRidge] = try perPairScores(model: { train in
                    try kernel.model(prepared, features: features, pairs: train, report: .unrecorded(method: "kernel-ridge"))
                }, foldsScored: folds)
            }
        }
        if lockedIn, let run = loops?.model as? SelfLearningModel {
            let pseudoX = run.pseudoPairs.x, pseudoY = run.pseudoPairs.y
            perPair[.selfLearning] = try perPairScores { train in
                let rowsX = train.map(\.x) + pseudoX, rowsY = train.map(\.y) + pseudoY
                let maps = try configuration.canonicalMaps(prepared.x.rows(rowsX), prepared.y.rows(rowsY))
                return try prepared.model(mapX: maps.x, mapY: maps.y, report: initialReport)
            }
        }
        var (choice, comparison) = Automatic.select(perPair, lockedIn: lockedIn, significance: settings.significance)
        if acceptedOnHeldOutPairs, let accepted = loops { choice = accepted.choice }
        var contrastiveModel: ContrastiveModel? = nil
        if choice == .kernelRidge, let kernelScores = perPair[.kernelRidge],
           let contrastive = settings.contrastive {
            let outcome = try networksCrossValidated(contrastive, against: kernelScores)
            perPair[.contrastive] = outcome.scores
            notes.append(outcome.note)
            if let model = outcome.accepted { choice = .contrastive; contrastiveModel = model }
        }
        var scores = [String: Double]()
        for (candidate, values) in perPair { scores[candidate.rawValue] = mean(values.both) }
        let table = scores.keys.sorted().map { String(format: "%@ %.3f", $0, scores[$0]!) }.joined(separator: ", ")
        report.method = choice.rawValue
        report.reason = notes.joined(separator: "; ") + (table.isEmpty ? "" : "; cross-validated recall " + table) + comparison
        report.selectionScores = scores
        let model: any AlignmentModel
        switch choice {
        case .selfLearning, .twoWaySelfLearning: model = loops!.model
        case .ccaProfiles:
            model = try ProfiledAlignment(linear: try CCA().fit(data, context: context), profiles: try fittedProfiles().alignment,
                                          weight: Float(configuration.profileWeight!), report: report)
        case .cca: model = try CCA().fit(data, context: context)
        case .kernelRidge:
            let kernel = settings.kernelRidge!
            model = try kernel.model(prepared, features: kernelFeatures!, pairs: pairs,
                                     report: FitReport(method: "kernel-ridge", estimator: kernel, data: data, context: context))
        case .contrastive: model = contrastiveModel!
        case .ridge, .similarityProfiles: model = try Ridge().fit(data, context: context)
        }
        let typedScores = Dictionary(uniqueKeysWithValues: scores.compactMap { name, score in
            AutomaticModel.Choice(rawValue: name).map { ($0, score) } })
        return AutomaticModel(choice: choice, scores: typedScores, reason: report.reason, model: model, report: report)
    }

    /// The similarity profiles of every row of the data, fitted on first use.
    mutating func fittedProfiles() throws -> FittedProfiles {
        if let profiles { return profiles }
        let fitted = try SimilarityProfileAlignment.fittedWithProfiles(
            data, report: FitReport(method: "similarity-profiles", estimator: SimilarityProfiles(), data: data, context: context),
            seed: context.seed)
        profiles = fitted
        return fitted
    }

    func ccaFold(_ train: [KnownPair]) throws -> LinearAlignment {
        let (a, b) = prepared.pairedRows(train)
        let maps = try CanonicalCorrelation(a: a, b: b).weightedMaps()
        return try prepared.model(mapX: maps.x, mapY: maps.y, report: FitReport.unrecorded(method: "cca"))
    }

    // MARK: Loops judged on held-out pairs

    /// With enough pairs: one fold of the known pairs — and its rows, as a test set's rows would be — is held out
    /// of the loops entirely. Self-learning (CCA) runs on the rest, stopped if it has neither jumped nor begun to
    /// settle within `heldOutJumpDeadline` rounds; if it does not beat ridge on the held-out fold clearly (the paired test of
    /// `select`, against ridge fitted on the same remaining pairs), a short two-way self-learning run
    /// (`twoWayJudgeRounds`) is judged the same way, when the pairs are enough for it. A self-learning run that
    /// wins is refitted with every known pair and its dictionary; a two-way run that wins is run in full from
    /// every known pair (a dictionary found from fewer pairs is a fixed point of the loop with every pair, which a
    /// fresh run improves on). The two limits keep a fit on data where neither loop finds anything from paying
    /// for every round of both.
    ///
    /// Why held out: a loop's dictionary comes from maps fitted on the known pairs, so those pairs cannot judge
    /// it afterwards. A dictionary the loop made consistent with them — right or wrong — reproduces them under
    /// cross-validation, held out or not (measured: a failed two-way run from 20 pairs, with 0.03 % of its
    /// dictionary right, retrieved its own held-out pairs far better than ridge). A fold the loop never saw
    /// cannot be reproduced that way.
    mutating func loopsJudgedOnHeldOutPairs(report: FitReport)
        throws -> (accepted: (model: any AlignmentModel, choice: AutomaticModel.Choice)?, note: String) {
        let held = pairs.indices.filter { foldOf[$0] == 0 }.map { pairs[$0] }
        let kept = pairs.indices.filter { foldOf[$0] != 0 }.map { pairs[$0] }
        let (loopData, rowsX, rowsY) = data.removingRows(x: Set(held.map(\.x)), y: Set(held.map(\.y)), keepingPairs: kept)
        let baseline = try heldOutScores(try Ridge().fit(loopData, context: context), held)
        var notes = [String]()

        context.report("auto", 0, "self-learning from \(kept.count) known pairs, \(held.count) held out")
        // From CCA alone, without the pair-free profiles beside it: the profiles are what lets the loop lock in
        // from 10 pairs, but from this many pairs CCA alone starts it as well (docs/notebook.md has the
        // measurements), and fitting the profiles costs several rounds' time.
        var loopSettings = settings
        loopSettings.selfLearning.profileWeight = nil
        var loopSelection = Selection(loopSettings, loopData, try PreparedProblem(loopData), context)
        loopSelection.jumpDeadline = settings.heldOutJumpDeadline
        let tested = try loopSelection.loopJudgedByNullRun()
        let cca = tested.run
        let ccaScores = try heldOutScores(cca, held)
        // The null run must show a lock-in, and the held-out pairs must not contradict it: a loop can lock in to a
        // correspondence that is real but coarser than the pairs' own map (measured on synthetic non-linear
        // views: locked in by the null test, worse than ridge on test rows), which only pairs it never saw expose.
        let (ccaVerdict, ccaNote) = Automatic.select([.ridge: baseline, .cca: ccaScores], lockedIn: false, significance: 1)
        notes.append(tested.note)
        notes.append(String(format: "self-learning on %d held-out pairs: recall %.3f vs ridge %.3f", held.count,
                            mean(ccaScores.both), mean(baseline.both)) + ccaNote)
        if tested.lockedIn && ccaVerdict == .cca {
            var pseudo = cca.pseudoPairs
            pseudo.x = pseudo.x.map { rowsX[$0] }
            pseudo.y = pseudo.y.map { rowsY[$0] }
            let maps = try configuration.canonicalMaps(prepared.x.rows(pairs.map(\.x) + pseudo.x),
                                                       prepared.y.rows(pairs.map(\.y) + pseudo.y))
            var model = cca
            model.alignment = try prepared.model(mapX: maps.x, mapY: maps.y, report: report)
            model.pseudoPairs = pseudo
            return ((model, .selfLearning), notes.joined(separator: "; "))
        }
        guard pairs.count >= settings.twoWayMinimumPairs else { return (nil, notes.joined(separator: "; ")) }

        context.report("auto", 0.5, "two-way self-learning from \(kept.count) known pairs, \(held.count) held out")
        // A short run: its maps only have to show whether the loop is finding the correspondence (see
        // `twoWayJudgeRounds`); the model that is kept comes from the full run below.
        var judge = TwoWaySelfLearning()
        judge.maxIterations = settings.twoWayJudgeRounds
        let twoWay = try judge.fit(loopData, context: context)
        let twoWayScores = try heldOutScores(twoWay, held)
        let (verdict, note) = Automatic.select([.ridge: baseline, .twoWaySelfLearning: twoWayScores], lockedIn: false,
                                               significance: settings.significance)
        notes.append(String(format: "two-way self-learning (%d rounds) on %d held-out pairs: recall %.3f vs ridge %.3f",
                            twoWay.iterations.count, held.count, mean(twoWayScores.both), mean(baseline.both)) + note)
        guard verdict == .twoWaySelfLearning else { return (nil, notes.joined(separator: "; ")) }
        // Run again from every pair, from the start: continuing the judged run's dictionary with every pair keeps
        // the errors it made from fewer pairs (measured: 1.7 points of R@10 lower, notebook), and a dictionary grown
        // to its end from fewer pairs is a fixed point of the loop with every pair too.
        context.report("auto", 0.8, "two-way self-learning from all \(pairs.count) known pairs")
        var model = try TwoWaySelfLearning().fit(data, context: context)
        model.alignment.report = report
        return ((model, .twoWaySelfLearning), notes.joined(separator: "; "))
    }

    /// Where kernel ridge won the cross-validation: the contrastive networks are scored by the same folds, each
    /// fold's networks fitted without that fold's pairs and rows, and compared with kernel ridge's scores on the
    /// same pairs by the paired test of `select`, with kernel ridge as the baseline. If the networks win, they
    /// are fitted again on every pair.
    ///
    /// The networks' gain over kernel ridge is a few points of recall, which one fold of 20 pairs cannot show, so
    /// folds are scored until `networkValidationPairs` pairs have been (every fold with fewer pairs than that).
    /// Beyond it more folds would add fits of the costliest candidate and little certainty.
    mutating func networksCrossValidated(_ contrastive: Contrastive, against kernelScores: PairRecall)
        throws -> (accepted: ContrastiveModel?, scores: PairRecall, note: String) {
        var foldsScored = 0
        while foldsScored < folds && pairsIn(folds: foldsScored).count < Automatic.networkValidationPairs { foldsScored += 1 }
        let scored = pairsIn(folds: foldsScored)
        context.report("auto", 0.95, "contrastive networks, cross-validated on \(scored.count) known pairs (\(foldsScored) of \(folds) folds)")
        let networkScores = try perPairScores(model: { train in
            let trained = Set(train)
            let held = pairs.filter { !trained.contains($0) }
            let (foldData, _, _) = data.removingRows(x: Set(held.map(\.x)), y: Set(held.map(\.y)), keepingPairs: train)
            return try contrastive.fit(foldData, context: context)
        }, foldsScored: foldsScored)
        let kernelOnScored = PairRecall(xToY: scored.map { kernelScores.xToY[$0] }, yToX: scored.map { kernelScores.yToX[$0] })
        let (verdict, note) = Automatic.select([.kernelRidge: kernelOnScored, .contrastive: networkScores], lockedIn: false,
                                               significance: settings.significance, baseline: .kernelRidge)
        let summary = String(format: "contrastive networks cross-validated on %d pairs: recall %.3f vs kernel ridge %.3f",
                             scored.count, mean(networkScores.both), mean(kernelOnScored.both)) + note
        guard verdict == .contrastive else { return (nil, networkScores, summary) }
        return (try contrastive.fit(data, context: context), networkScores, summary)
    }

    /// Per held-out pair: recall of its partner under `model`, in both directions (its Y row by its X row among the
    /// held-out and unpaired Y rows, and the reverse), at `depths` among 400 candidates scaled to the pool's size,
    /// averaged. By default R@1, R@2, …, R@20, a finer grid than the cross-validation's R@1, R@5, R@10: one fold is
    /// all the evidence there is, and a score that sees more of each rank separates a real gain from noise with
    /// fewer pairs.
    func heldOutScores(_ model: any AlignmentModel, _ held: [KnownPair],
                       depths: [Double] = [1, 2, 3, 5, 7, 10, 15, 20]) throws -> PairRecall {
        let queriesX = try model.embedX(data.x.rows(held.map(\.x))).normalizedRows()
        let queriesY = try model.embedY(data.y.rows(held.map(\.y))).normalizedRows()
        let poolY = try model.embedY(data.y.rows(held.map(\.y) + unpairedY)).normalizedRows()
        let poolX = try model.embedX(data.x.rows(held.map(\.x) + unpairedX)).normalizedRows()
        return bothWays(queriesX: queriesX, poolY: poolY, queriesY: queriesY, poolX: poolX,
                        depths: depths)
    }
    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    /// Per query pair i (row i of `queriesX` with row i of `queriesY`, whose partners are row i of the other side's
    /// pool), in each direction: the mean over `depths` of [partner's rank < depth·pool/400]. Rows unit.
    func bothWays(queriesX: Matrix<Float>, poolY: Matrix<Float>, queriesY: Matrix<Float>, poolX: Matrix<Float>,
                  depths: [Double]) -> PairRecall {
        func recall(_ ranks: [Int], poolSize: Int) -> [Double] {
            let scaled = depths.map { max(1, ($0 * Double(poolSize) / 400).rounded()) }
            return ranks.map { rank in scaled.reduce(0.0) { $0 + (Double(rank) < $1 ? 1 : 0) } / Double(depths.count) }
        }
        let forward = partnerRanks(queries: queriesX, pool: poolY, partners: Array(0..<queriesX.rows))
        let backward = partnerRanks(queries: queriesY, pool: poolX, partners: Array(0..<queriesY.rows))
        return PairRecall(xToY: recall(forward, poolSize: poolY.rows), yToX: recall(backward, poolSize: poolX.rows))
    }

    // MARK: A loop judged by a null run (few pairs)

    /// With few pairs no fold can be spared: self-learning runs on all of them and must show a lock-in that a run
    /// from shuffled pairs does not (step 1 of `Automatic`'s discussion); then it joins the cross-validation.
    mutating func loopJudgedByNullRun() throws -> (run: SelfLearningModel, lockedIn: Bool, note: String) {
        context.report("auto", 0, "self-learning from the \(pairs.count) known pairs")
        let profiles = configuration.profileWeight.map { $0 > 0 } == true ? try fittedProfiles() : nil
        let (deadline, margin, churn) = (jumpDeadline, settings.lockInMargin, settings.lockInMaximumChurn)
        var learned = try configuration.run(data, initial: nil, components: nil, profiles: profiles, context: context) { rounds in
            // Past the deadline a run goes on only if it has jumped, or is settling (it may still converge).
            guard let deadline, rounds.count > deadline, let last = rounds.last else { return true }
            return showsLockIn(scores: rounds.map(\.meanScore), converged: false, margin: margin) || last.newFraction <= churn
        }
        // The null run (made only when a run shows a lock-in worth testing): self-learning from the same pairs
        // with their Y rows deranged. It gets at most as many rounds as the real one used (a fair comparison), at
        // most 5 (its score flattens within a few rounds).
        var nullStatistics: (score: Double, heldOut: Double)? = nil
        var random = self.random
        let (data, pairs, configuration, prepared, context, lockInMargin) = (self.data, self.pairs, self.configuration,
                                                                              self.prepared, self.context, settings.lockInMargin)
        func nullRun() throws -> (score: Double, heldOut: Double) {
            if let known = nullStatistics { return known }
            context.report("auto", 0.45, "null run: self-learning from the same pairs with their Y rows shuffled")
            let shuffled = random.derangement(pairs.count)
            var null = data
            null.pairs = pairs.indices.map { KnownPair(x: pairs[$0].x, y: pairs[shuffled[$0]].y) }
            var nullConfiguration = configuration
            nullConfiguration.maxIterations = max(1, min(learned.iterations.count, 5))
            let run = try nullConfiguration.run(null, initial: nil, components: learned.independentComponents,
                                                profiles: learned.profiles, context: context)
            let statistics = (run.bestObjective, try heldOutAgreement(of: run.pseudoPairs, prepared, configuration, &random))
            nullStatistics = statistics
            return statistics
        }
        let maximumChurn = settings.lockInMaximumChurn
        func lockInTest(_ run: SelfLearningModel) throws -> (lockedIn: Bool, summary: String) {
            guard showsLockIn(scores: run.iterations.map(\.meanScore), converged: run.converged, margin: lockInMargin) else {
                return (false, String(format: "ran %d rounds without a jump in its score (mean CSLS %.3f): no correspondence found",
                                      run.iterations.count, run.bestObjective))
            }
            // A locked-in loop has found a fixed point: its pseudo-pairs hardly change any more. A run whose score
            // merely stopped rising while it still trades many of its pseudo-pairs each round has not, however
            // well its statistics compare with a null's.
            let churn = run.iterations.last?.newFraction ?? 1
            guard churn <= maximumChurn else {
                return (false, String(format: "still changed %.0f%% of its pseudo-pairs in its last round (mean CSLS %.3f): not settled, no correspondence found",
                                      100 * churn, run.bestObjective))
            }
            let (nullScore, nullHeldOut) = try nullRun()
            let heldOut = try heldOutAgreement(of: run.pseudoPairs, prepared, configuration, &random)
            let lockedIn = heldOut > max(nullHeldOut, 0) * (1 + lockInMargin)
                || run.bestObjective > max(nullScore, 0) * (1 + lockInMargin)
            return (lockedIn, String(format: "mean CSLS %.3f vs %.3f from shuffled pairs, held-out cosine %.3f vs %.3f: %@",
                                     run.bestObjective, nullScore, heldOut, nullHeldOut, lockedIn ? "locked in" : "no correspondence found"))
        }
        var (lockedIn, lockIn) = try lockInTest(learned)
        lockIn = "self-learning " + lockIn
        // Second chance from CCA alone. The independent-component view helps when the pairs are too few for CCA
        // but can hurt when its matching of components is mostly wrong; one null run serves both starts.
        if !lockedIn && configuration.independentComponents != nil {
            context.report("auto", 0.6, "no lock-in: self-learning again, from CCA on the known pairs alone")
            var plain = configuration
            plain.independentComponents = nil
            let second = try plain.run(data, initial: nil, components: nil, profiles: learned.profiles, context: context)
            let test = try lockInTest(second)
            lockIn += "; from CCA alone " + test.summary
            if test.lockedIn { learned = second; lockedIn = true }
        }
        self.random = random
        return (learned, lockedIn, lockIn)
    }

    // MARK: Cross-validation

    /// Per known pair (in pair order): recall of its Y row by its X row at the depths of R@1, R@5 and R@10 among
    /// 400 candidates, scaled to the pool's size, averaged, with the map refitted without the pair's fold. The pool
    /// a held-out X row searches is what a test query faces: the fold's held-out Y rows and the unpaired Y rows,
    /// never the Y rows the fold's map was fitted to. `profiles`: the fold's map is used side by side with these
    /// (pair-free, so fitted once for all folds).
    func perPairScores(profiles: FittedProfiles? = nil, _ fitFold: ([KnownPair]) throws -> LinearAlignment) throws -> PairRecall {
        var out = PairRecall(symmetric: [Double](repeating: 0, count: pairs.count))
        for f in 0..<folds {
            let train = pairs.indices.filter { foldOf[$0] != f }.map { pairs[$0] }
            let heldIndices = pairs.indices.filter { foldOf[$0] == f }
            let held = heldIndices.map { pairs[$0] }
            let model = try fitFold(train)
            let poolRows = held.map(\.y) + unpairedY
            var queries = Matrix.multiply(prepared.x.rows(held.map(\.x)), .none, model.mapX, .none)
            var pool = Matrix.multiply(prepared.y.rows(poolRows), .none, model.mapY, .none)
            if let profiles, let weight = configuration.profileWeight {
                queries = sideBySide(queries, profiles.x.rows(held.map(\.x)), weight: Float(weight))
                pool = sideBySide(pool, profiles.y.rows(poolRows), weight: Float(weight))
            }
            let poolRowsX = held.map(\.x) + unpairedX
            var reverseQueries = Matrix.multiply(prepared.y.rows(held.map(\.y)), .none, model.mapY, .none)
            var reversePool = Matrix.multiply(prepared.x.rows(poolRowsX), .none, model.mapX, .none)
            if let profiles, let weight = configuration.profileWeight {
                reverseQueries = sideBySide(reverseQueries, profiles.y.rows(held.map(\.y)), weight: Float(weight))
                reversePool = sideBySide(reversePool, profiles.x.rows(poolRowsX), weight: Float(weight))
            }
            let scores = bothWays(queriesX: queries.normalizedRows(), poolY: pool.normalizedRows(),
                                  queriesY: reverseQueries.normalizedRows(), poolX: reversePool.normalizedRows(),
                                  depths: [1, 5, 10])
            for (h, k) in heldIndices.enumerated() { out.xToY[k] = scores.xToY[h]; out.yToX[k] = scores.yToX[h] }
        }
        return out
    }
}

extension Selection {
    /// `perPairScores` for a model of any kind, which embeds the rows of the data as given (the fold's model
    /// brings its own preprocessing): each fold is scored as `heldOutScores` scores a held-out fold. Only the
    /// first `foldsScored` folds are fitted and scored, and the result holds their pairs alone, in pair order
    /// (`pairsIn(folds:)`).
    func perPairScores(model fitFold: ([KnownPair]) throws -> any AlignmentModel, foldsScored scoredFolds: Int) throws -> PairRecall {
        let scored = pairsIn(folds: scoredFolds)
        var position = [Int](repeating: -1, count: pairs.count)
        for (p, k) in scored.enumerated() { position[k] = p }
        var out = PairRecall(symmetric: [Double](repeating: 0, count: scored.count))
        for f in 0..<scoredFolds {
            let heldIndices = pairs.indices.filter { foldOf[$0] == f }
            let model = try fitFold(pairs.indices.filter { foldOf[$0] != f }.map { pairs[$0] })
            let scores = try heldOutScores(model, heldIndices.map { pairs[$0] }, depths: [1, 5, 10])
            for (h, k) in heldIndices.enumerated() { out.xToY[position[k]] = scores.xToY[h]; out.yToX[position[k]] = scores.yToX[h] }
        }
        return out
    }

    /// Ridge X→Y refitted per fold (needs ≥ 3 pairs).
    func ridgeScores() throws -> PairRecall {
        try perPairScores { train in
            let (a, b) = prepared.pairedRows(train)
            return try prepared.model(mapX: try RidgeRegression(a: a, b: b).weights, mapY: .identity(b.columns),
                                      report: .unrecorded(method: "ridge"))
        }
    }

    /// Indices of the known pairs in folds `0..<count`, in pair order.
    func pairsIn(folds count: Int) -> [Int] { pairs.indices.filter { foldOf[$0] < count } }
}

/// Recall of each known pair's partner, in each direction (the scores `Automatic.select` compares): per pair, the
/// mean over retrieval depths of whether the partner was found within the depth.
public struct PairRecall: Sendable, Equatable {
    /// Per pair: its Y row retrieved by its X row.
    public var xToY: [Double]
    /// Per pair: its X row retrieved by its Y row.
    public var yToX: [Double]

    /// Scores per pair in each direction (the two arrays in the same pair order and of the same length).
    public init(xToY: [Double], yToX: [Double]) {
        precondition(xToY.count == yToX.count, "PairRecall: \(xToY.count) scores from X to Y but \(yToX.count) from Y to X")
        self.xToY = xToY; self.yToX = yToX
    }

    /// The same scores in both directions.
    public init(symmetric scores: [Double]) { self.init(xToY: scores, yToX: scores) }

    /// Number of pairs scored.
    public var count: Int { xToY.count }

    /// Per pair: the mean of its two directions.
    public var both: [Double] { zip(xToY, yToX).map { ($0 + $1) / 2 } }
}

/// The mean of paired differences and its standard error (sample variance, n − 1 in the denominator; 0 for a
/// single difference): the paired test of `Automatic.select` and of `UnpairedAuxiliaryTraining`.
func meanAndStandardError(_ differences: [Double]) -> (mean: Double, standardError: Double) {
    let n = Double(differences.count)
    let mean = differences.reduce(0, +) / n
    let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / max(n - 1, 1)
    return (mean, (variance / n).squareRoot())
}

/// Whether a run that beat its null can be trusted to have locked in. The null gets at most 5 rounds, and a
/// cross-fitted run that has not locked in keeps creeping upwards (5 pairs on the text pairs: mean CSLS 0.11 →
/// 0.23 in 25 rounds, against the null's 0.16 after 5). So a run that used all its rounds must also show the
/// lock-in itself: its score jumping by more than `margin` from one round to the next. Round 0 is scored in the
/// start's space, and round 1's map is the first refit, still shaped by the start, so the first comparison is
/// round 3 against round 2: from round 1 to 2 a creeping run rises fastest (text pairs, 5 pairs: +16 %; the
/// 2 000-row demo data from 20 pairs with the similarity profiles in the start: +25.2 %, then 20 rounds of
/// creep to 0.31 without a lock-in). Measured lock-ins: 10 pairs 0.22 → 0.32 → 0.59, 20 pairs 0.16 → 0.28 →
/// 0.54; runs that jump early also settle early, and a run a stopping rule ended has settled, which is
/// evidence enough next to the null.
///
/// `scores`: the mean CSLS score of each round, round 0 first.
public func showsLockIn(scores: [Double], converged: Bool, margin: Double) -> Bool {
    if converged { return true }
    guard scores.count > 3 else { return false }
    return (3..<scores.count).contains { scores[$0] > max(scores[$0 - 1], 0) * (1 + margin) }
}

/// How well a dictionary of pseudo-pairs generalises to itself: CCA (as in self-learning) on a random half of
/// the pairs, then the mean cosine, in that shared space, of the pairs in the other half. Pairs that are a real
/// correspondence are predicted by a map fitted on other pairs; an arbitrary matching that a flexible map has
/// made self-consistent is not (its held-out cosine is near 0 on centred data).
func heldOutAgreement(of pairs: MutualMatches, _ prepared: PreparedProblem, _ configuration: SelfLearning,
                      _ random: inout SeededRandom) throws -> Double {
    guard pairs.count >= 8 else { return 0 }
    let order = random.permutation(pairs.count)
    let fit = order[0..<(pairs.count / 2)], held = order[(pairs.count / 2)...]
    let maps = try configuration.canonicalMaps(prepared.x.rows(fit.map { pairs.x[$0] }), prepared.y.rows(fit.map { pairs.y[$0] }))
    let ex = Matrix.multiply(prepared.x.rows(held.map { pairs.x[$0] }), .none, maps.x, .none).normalizedRows()
    let ey = Matrix.multiply(prepared.y.rows(held.map { pairs.y[$0] }), .none, maps.y, .none).normalizedRows()
    var total = 0.0
    for i in 0..<ex.rows {
        var d: Float = 0
        for j in 0..<ex.columns { d += ex[i, j] * ey[i, j] }
        total += Double(d)
    }
    return total / Double(ex.rows)
}

extension SeededRandom {
    /// A seeded permutation of 0..<n with no fixed point (for n ≥ 2; n = 1 returns [0]): a uniform random
    /// permutation whose fixed points are each swapped with their successor. The swap cannot create a new fixed
    /// point (position i+1 receives i), so one pass suffices. Not uniform over derangements, which the null run
    /// of `Automatic` does not need: it needs only that no known pair keeps its partner.
    public mutating func derangement(_ n: Int) -> [Int] {
        var p = permutation(n)
        guard n >= 2 else { return p }
        for i in 0..<n where p[i] == i { p.swapAt(i, (i + 1) % n) }
        return p
    }
}

/// For each query row i, the number of pool rows more similar (inner product) to it than its partner
/// `pool[partners[i]]`: the 0-based rank of the partner. Rows are expected normalised for cosine ranks.
func partnerRanks(queries: Matrix<Float>, pool: Matrix<Float>, partners: [Int]) -> [Int] {
    precondition(queries.rows == partners.count && queries.columns == pool.columns)
    let s = Matrix.multiply(queries, .none, pool, .transposed)
    return (0..<queries.rows).map { i in
        let truth = s[i, partners[i]]
        var above = 0
        for j in 0..<pool.rows where s[i, j] > truth { above += 1 }
        return above
    }
}
