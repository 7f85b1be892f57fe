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
    public func ownSpaceColumns(of modality: Modality) -> Range<Int>? { model.ownSpaceColumns(of: modality) }
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
///    On smaller data the loop may run more rounds than usual (`smallDataRounds`).
///    Self-learning starts from CCA on the known pairs beside the pair-free similarity profiles (cross-fitted,
///    see `SelfLearning`; from `heldOutMinimumPairs` pairs on, from CCA alone); the null run reuses the same
///    profiles, so only the pairs differ. If the configuration asks for the independent-component start
///    (`independentComponents`, off by default) and that run does not lock in, it is run once more from CCA
///    alone and tested against the same null, since a mostly wrong matching of components can spoil a start
///    CCA alone would have locked in from.
///    From `fewPairsFoldMinimumPairs` pairs on, on data small enough for the extra rounds, a loop that did not
///    lock in gets one more look: the same loop without two fifths of the pairs, kept (as the run from every
///    pair) if those pairs show it ahead of ridge and of its own first round (a loop can creep to the
///    correspondence, and only pairs it never saw can tell; `AutomaticSelection.creepingLoopJudgedOnAFold`).
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
///    known pairs (re-running the loop per fold would multiply the cost by K). Before lock-in the pseudo-pairs
///    encode the known pairs themselves, which is why step 1 comes first (the CV alone picked a failed
///    self-learning run at 5 and 10 pairs); after it they still favour them (a lock-in on synthetic clustered
///    views scored a perfect cross-validated recall against a test recall at CCA's level), so for self-learning
///    this step only checks that the folds do not contradict step 1. Where kernel ridge wins, the contrastive networks are
///    cross-validated against it on the same folds (`contrastive`). From `heldOutMinimumPairs` pairs on, a loop
///    that has beaten ridge on its held-out fold is chosen without this step, unless kernel ridge fitted on the
///    same pairs beats the loop clearly on that fold (where the relation is curved, a loop can lead ridge a little
///    and trail kernel ridge far); then this step runs as it would without a loop. A CCA loop that crept without
///    a lock-in wins there too if it leads ridge and its own first round clearly on that fold and is ahead of
///    CCA and kernel ridge (a loop can creep to the correspondence; measurements in docs/notebook.md).
///
/// **What a loop that wins leaves behind.** Either loop's model is ridge both ways (`TwoWayAlignment`) on the known
/// pairs and the loop's final dictionary, and that is also the form in which it is judged (for the CCA loop, see
/// "The final maps" at `SelfLearning.fit(_:context:)`). A CCA loop that locked in on every known pair is kept as
/// it came out of the loop; one that won on a held-out fold is refitted on every known pair and its dictionary.
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
    /// those pairs clearly (by `twoWaySignificance(heldOutPairs:default:)` standard errors). A run that finds the
    /// correspondence pulls ahead from its first rounds, one that does not drifts level, and the rounds that grow
    /// the dictionary further (twice as many again) would change neither verdict; if the run wins, a full run from
    /// every pair follows.
    /// Measured on the text pairs (400 test rows, one split each), with the maps after 7 rounds: the six runs that
    /// went on to lock in stood 29–42 points of R@10 above ridge (MiniLM ↔ LSA from 200 and 300 pairs, LSA ↔ e5
    /// from 50–200), the three that did not from 2 points below to 7 above (MiniLM → LSA from 100 and 150, LSA →
    /// e5 from 30), and none of those three came closer to a lock-in in its remaining rounds.
    public var twoWayJudgeRounds: Int = 7
    /// Standard errors by which the judged two-way run must lead ridge on the held-out pairs to be run in full
    /// at once. A narrower lead (one that clears the bar of `twoWaySignificance(heldOutPairs:default:)` but not
    /// this) must hold for a judged run of the loop's whole schedule too. Why: the rounds after the judged ones grow
    /// the dictionary to every mutual match. Where the loop has locked in, they complete it; where it only partly
    /// helps, they fill the dictionary with wrong matches, and the full run can fall below ridge although its first
    /// rounds led it (measured on a coarse bag of words against a neural encoder; docs/notebook.md). A lock-in leads
    /// by far more after the judged rounds, so the check costs nothing there.
    public var twoWayClearLead: Double = 3
    /// Share of ridge's shortfall from perfect recall on the held-out pairs that the judged two-way run must also
    /// close to be run in full at once; a smaller gain, however many standard errors it stands clear of ridge, is
    /// judged again over the loop's whole schedule, as a narrow lead is. Why: on a large fold a gain of a few points
    /// is many standard errors, and a loop that only partly helps shows such gains after its judged rounds and
    /// loses them in the rest (a neural encoder against a coarse bag of words), while a run that locks in has
    /// closed a large part of the shortfall by then. The measurements are in docs/notebook.md.
    public var twoWayClearShare: Double = 0.25
    /// Known pairs below which a two-way run that lost on the held-out fold is still run from every pair, and
    /// kept if its own rounds show a lock-in (`twoWayLockInGrowth`). Why: near the threshold of a lock-in a fifth
    /// of the pairs decides it, so the judged run, which lacks them, fails where a run from every pair locks in
    /// (measured on text and synthetic views at 50 pairs; docs/notebook.md). The default is where the held-out
    /// fold reaches `largeHeldOutFold` pairs and the judged run's bar drops to one standard error: from there on
    /// no run from every pair was measured to lock in where the judged run lost, and the extra run, about a third
    /// of a fit, bought nothing. 0: never.
    public var twoWayFullRunMaximumPairs: Int = 150
    /// Growth of the mutual matches while the dictionary fills (`mutualMatchGrowth(_:)`) below which a run from
    /// every pair, where the judged run lost (`twoWayFullRunMaximumPairs`), counts as not locked in: it is stopped
    /// in the round the statistic is known, and ridge's verdict stands. A run that grew more must also outgrow a
    /// null run's by `lockInMargin` (the same pairs with their Y rows deranged, stopped in its own such round).
    /// Why both: how far the mutual matches grow without a correspondence depends on the data. On the text pairs,
    /// runs that failed grew as their nulls did, below this bar, and lock-ins far above it; but on low-dimensional
    /// curved views runs that retrieved worse than ridge grew past it, as did runs from real pairs on clustered
    /// views, as much as their nulls (docs/notebook.md). The null costs as much as the run it judges, so it is
    /// run only where the bar alone cannot decide.
    public var twoWayLockInGrowth: Double = 1.25
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
    /// With fewer pairs than `heldOutMinimumPairs`, the most rounds the self-learning loop may run where the data
    /// are small enough (nil: `selfLearning.maxIterations` always). The loop gets as many rounds as match, in all,
    /// as many pairs of rows as `selfLearning.maxIterations` rounds on `roundBudgetRows` unpaired rows per side,
    /// at least `maxIterations` and at most this; the text pairs' 14 656 rows keep `maxIterations`. A run that a
    /// stopping rule ends after `maxIterations` rounds counts as locked in only if its score rose by more than
    /// `lockInMargin` in the extra rounds (besides a jump or a fast fall, as always): a creeping run that goes on
    /// long enough settles too, on a dictionary that is not the correspondence, with a score barely above the one
    /// it had. Why: from few pairs a loop creeps before it locks in, and the creep can outlast 20 rounds (a ReLU
    /// expansion of one encoder against the other, 5 000 rows, 20 pairs: lock-ins from round 14 to 32), while a
    /// round on such data costs a fraction of one on large data. The measurements are in docs/notebook.md.
    public var smallDataRounds: Int? = 40
    /// Unpaired rows per side on which `selfLearning.maxIterations` rounds are the budget of `smallDataRounds`.
    public var roundBudgetRows: Int = 12_000
    /// Fewest known pairs (below `heldOutMinimumPairs`) from which a CCA loop that did not lock in is run again
    /// without a fold of the pairs and kept if the fold shows it ahead (`fewPairsFoldShare` of the folds; nil:
    /// never). Only where the data are small enough for `smallDataRounds`: the second run costs as much as the
    /// first. Why, and the measurements: `AutomaticSelection.creepingLoopJudgedOnAFold`, docs/notebook.md.
    public var fewPairsFoldMinimumPairs: Int? = 10
    /// Folds of five held out of the second run of `fewPairsFoldMinimumPairs`.
    public static let fewPairsFoldShare = 2

    /// The rounds the self-learning loop gets from fewer than `heldOutMinimumPairs` pairs with these unpaired row
    /// counts (see `smallDataRounds`).
    public func fewPairsRounds(unpairedX: Int, unpairedY: Int) -> Int {
        let base = selfLearning.maxIterations
        guard let most = smallDataRounds, most > base, unpairedX > 0, unpairedY > 0 else { return base }
        let budget = Double(base) * Double(roundBudgetRows) * Double(roundBudgetRows)
        let affordable = budget / (Double(unpairedX) * Double(unpairedY))
        return affordable >= Double(most) ? most : max(base, Int(affordable))
    }

    /// The non-linear candidate scored beside ridge and CCA by cross-validation (nil: none), from
    /// `heldOutMinimumPairs` pairs on; a loop that won on held-out pairs must not trail it clearly there. Its
    /// features are placed without the pairs, so each fold refits only its two maps. With fewer pairs a fold
    /// leaves it a few dozen pairs to choose a bandwidth and a penalty from, and its cross-validated gain over
    /// ridge came out clear where it retrieved worse on test rows, while it never won where it would have helped
    /// (docs/notebook.md).
    public var kernelRidge: KernelRidge? = KernelRidge()
    /// Tried where kernel ridge has won the cross-validation, from `heldOutMinimumPairs` pairs on (nil: never):
    /// networks fitted to the pairs can follow a curved relation further than a kernel map of fixed bandwidth, at
    /// a higher cost that only data shown to be curved pays. It must beat kernel ridge in the same
    /// cross-validation, by the paired test that every candidate must pass against ridge.
    public var contrastive: Contrastive? = Contrastive()
    /// Held-out pairs from which the judged two-way run needs to beat ridge by one standard error rather than
    /// `significance` (see `twoWaySignificance(heldOutPairs:default:)`).
    public static let largeHeldOutFold = 30

    /// The standard errors by which the judged two-way run must beat ridge on `heldOutPairs` held-out pairs: one
    /// from `largeHeldOutFold` pairs on, else `significance` (`default`).
    ///
    /// Why a lower bar there: the verdict is biased against the loop. The judged run is short (`twoWayJudgeRounds`)
    /// and fitted on the pairs outside the fold, while the run that is kept is a fresh one from every pair, which
    /// locks in at least as often: near the threshold of a lock-in, a fifth more pairs decides it. On the text
    /// pairs a judged run that was rejected at two standard errors on a fold of 40 pairs, and cleared one, led to
    /// a full run that locked in. Why not with fewer: the standard error of the paired differences is itself
    /// estimated from the fold, and from a dozen pairs it is too uncertain for a one-error bar (a run kept that way
    /// on a 10-pair fold retrieved worse than ridge in one direction). Thirty is where the normal approximation to
    /// Student's t is customarily taken to hold. The measurements are in docs/notebook.md.
    public static func twoWaySignificance(heldOutPairs: Int, default significance: Double) -> Double {
        heldOutPairs >= largeHeldOutFold ? min(1, significance) : significance
    }
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
    /// simpler one, in the order cca, cca+profiles, kernel-ridge, contrastive, self-learning). With `lockedIn`, a
    /// self-learning run (scored only once its null-run test showed a lock-in) needs only a positive mean gain. Without
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
            // A locked-in self-learning run has passed its null-run test already; the cross-validation need only
            // not contradict that. Scored without that test (on held-out pairs), it clears the bar as any other.
            let (clear, gain, standardError, gainXY, gainYX) =
                pairedComparison(values, against: ridge, significance: candidate == .selfLearning && lockedIn ? 0 : significance)
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
            (twoWayClearLead >= 0 && twoWayClearLead.isFinite, "twoWayClearLead must be finite and ≥ 0, got \(twoWayClearLead)"),
            ((0...1).contains(twoWayClearShare), "twoWayClearShare must be in [0, 1], got \(twoWayClearShare)"),
            (twoWayFullRunMaximumPairs >= 0, "twoWayFullRunMaximumPairs must be ≥ 0, got \(twoWayFullRunMaximumPairs)"),
            (twoWayLockInGrowth >= 1 && twoWayLockInGrowth.isFinite, "twoWayLockInGrowth must be finite and ≥ 1, got \(twoWayLockInGrowth)"),
            (significance >= 0 && significance.isFinite, "significance must be finite and ≥ 0, got \(significance)"),
            (twoWayMinimumPairs >= 2, "twoWayMinimumPairs must be ≥ 2, got \(twoWayMinimumPairs)"),
            (heldOutMinimumPairs >= 3, "heldOutMinimumPairs must be ≥ 3 (a fold to hold out and two pairs to fit on), got \(heldOutMinimumPairs)"),
            ((0...1).contains(lockInMaximumChurn), "lockInMaximumChurn must be in [0, 1], got \(lockInMaximumChurn)"),
            (twoWayJudgeRounds >= 1, "twoWayJudgeRounds must be ≥ 1, got \(twoWayJudgeRounds)"),
            (heldOutJumpDeadline >= 1, "heldOutJumpDeadline must be ≥ 1, got \(heldOutJumpDeadline)"),
            ((smallDataRounds ?? 1) >= 1, "smallDataRounds must be ≥ 1 (or nil: never more rounds), got \(smallDataRounds ?? 0)"),
            (roundBudgetRows >= 1, "roundBudgetRows must be ≥ 1, got \(roundBudgetRows)"),
            ((fewPairsFoldMinimumPairs ?? 5) >= 5, "fewPairsFoldMinimumPairs must be ≥ 5 (two folds of five to hold out and pairs to fit on), or nil: never, got \(fewPairsFoldMinimumPairs ?? 0)"),
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
        var selection = AutomaticSelection(self, data, try PreparedProblem(data), context)
        let spread = max(ColumnScaling.spread(of: data.x), ColumnScaling.spread(of: data.y))
        guard data.pairs.count >= 3, spread > columnScaleSpread else { return try selection.run(report: report) }

        // Columns on very unequal scales: is ridge better on standardised columns? (`ColumnScaling`.)
        context.report("auto", 0, "columns on unequal scales: cross-validating ridge on standardised columns")
        let scalingX = ColumnScaling(fittedOn: data.x), scalingY = ColumnScaling(fittedOn: data.y)
        let scaledData = WeaklyPairedData(x: try scalingX.apply(data.x), y: try scalingY.apply(data.y), pairs: data.pairs)
        var scaled = AutomaticSelection(self, scaledData, try PreparedProblem(scaledData), context)
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
