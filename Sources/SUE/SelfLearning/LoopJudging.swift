import Foundation
import LinearAlgebra

/// How `Automatic` tells a self-learning loop that found the correspondence from one that made its own pairs
/// self-consistent: on a fold of pairs held out of the loop (enough pairs), or against a run from shuffled pairs
/// (few pairs). The discussion and the measurements are in `Automatic`'s documentation.
extension AutomaticSelection {
    // MARK: Loops judged on held-out pairs

    /// With enough pairs: one fold of the known pairs — and its rows, as a test set's rows would be — is held out
    /// of the loops entirely. Self-learning (CCA) runs on the rest, stopped if it has neither jumped nor begun to
    /// settle within `heldOutJumpDeadline` rounds; if it does not beat ridge on the held-out fold clearly (the paired test of
    /// `select`, against ridge fitted on the same remaining pairs), a short two-way self-learning run
    /// (`twoWayJudgeRounds`) is judged the same way (to `Automatic.twoWaySignificance(heldOutPairs:default:)`
    /// standard errors), when the pairs are enough for it; a run that leads only narrowly or by little
    /// (`Automatic.twoWayClearLead`, `Automatic.twoWayClearShare`) is judged once more, over the loop's whole
    /// schedule, on the same fold. A two-way run that loses after its judged rounds, from fewer than
    /// `Automatic.twoWayFullRunMaximumPairs` pairs, gets one more look: a run from every pair, kept if its own
    /// rounds show a lock-in (`twoWayRunShowingLockIn`). A loop that beats ridge but trails kernel ridge (fitted on
    /// the same pairs) clearly on the held-out fold is not kept (`Automatic.kernelRidge`). A self-learning run that
    /// wins is kept as ridge both ways on every known pair and its dictionary; a two-way run that wins is run in full from
    /// every known pair (a dictionary found from fewer pairs is a fixed point of the loop with every pair, which a
    /// fresh run improves on). The two limits keep a fit on data where neither loop finds anything from paying
    /// for every round of both. Where neither loop is kept, a CCA loop that crept without a lock-in is kept all the
    /// same if the fold shows it ahead of ridge and of its own first round (`creepingLoopAccepted`).
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
        let loopPrepared = try PreparedProblem(loopData)
        let baseline = try heldOutScores(try Ridge().fit(loopData, context: context), held)
        var notes = [String]()
        // A loop that beats ridge must not be clearly worse than the pairs' own non-linear map on the same held-out
        // pairs: where the relation is curved, a loop can settle on a correspondence a little better than ridge's
        // and far below kernel ridge's, and winning here skips the cross-validation that would find the latter.
        // Kernel ridge from a few hundred pairs costs little next to a loop's round.
        var kernelScores: PairRecall? = nil  // computed once, when a loop first beats ridge
        func kernelRidgeScores() throws -> PairRecall? {
            guard let kernel = settings.kernelRidge else { return nil }
            let scores = try kernelScores ?? heldOutScores(try kernel.model(
                loopPrepared, features: try kernel.fittedFeatures(loopPrepared, seed: context.seed), pairs: loopPrepared.pairs,
                report: .unrecorded(method: "kernel-ridge")), held)
            kernelScores = scores
            return scores
        }
        func beatenByKernelRidge(_ loopScores: PairRecall, _ name: String) throws -> Bool {
            guard let scores = try kernelRidgeScores() else { return false }
            let (clear, gain, standardError, _, _) = Automatic.pairedComparison(scores, against: loopScores, significance: settings.significance)
            guard clear else { return false }
            notes.append(String(format: "kernel ridge on the same held-out pairs: recall %.3f, above %@ by %.3f ± %.3f: the maps from the pairs alone are cross-validated instead",
                                mean(scores.both), name, gain, standardError))
            return true
        }

        context.report("auto", 0, "self-learning from \(kept.count) known pairs, \(held.count) held out")
        // From CCA alone, without the pair-free profiles beside it: the profiles are what lets the loop lock in
        // from 10 pairs, but from this many pairs CCA alone starts it as well (docs/notebook.md has the
        // measurements), and fitting the profiles costs several rounds' time.
        var loopSettings = settings
        loopSettings.selfLearning.profileWeight = nil
        var loopSelection = AutomaticSelection(loopSettings, loopData, loopPrepared, context)
        loopSelection.jumpDeadline = settings.heldOutJumpDeadline
        let tested = try loopSelection.loopJudgedByNullRun()
        let loop = tested.run
        let loopScores = try heldOutScores(loop, held)
        // The null run must show a lock-in, and the held-out pairs must not contradict it: a loop can lock in to a
        // correspondence that is real but coarser than the pairs' own map (measured on synthetic non-linear
        // views: locked in by the null test, worse than ridge on test rows), which only pairs it never saw expose.
        let (loopVerdict, loopNote) = Automatic.select([.ridge: baseline, .selfLearning: loopScores], lockedIn: false, significance: 1)
        notes.append(tested.note)
        notes.append(String(format: "self-learning on %d held-out pairs: recall %.3f vs ridge %.3f", held.count,
                            mean(loopScores.both), mean(baseline.both)) + loopNote)
        if tested.lockedIn && loopVerdict == .selfLearning, try !beatenByKernelRidge(loopScores, "self-learning") {
            var pseudo = loop.pseudoPairs
            pseudo.x = pseudo.x.map { rowsX[$0] }
            pseudo.y = pseudo.y.map { rowsY[$0] }
            let model = try TwoWaySelfLearning.alignment(prepared, pseudoPairs: pseudo, report: report)
            return ((model, .selfLearning), notes.joined(separator: "; "))
        }
        if pairs.count >= settings.twoWayMinimumPairs, let accepted = try twoWayAccepted() {
            return (accepted, notes.joined(separator: "; "))
        }
        let creeping = try creepingLoopAccepted()  // its note first
        return (creeping, notes.joined(separator: "; "))

        /// The two-way loop, judged on the same fold (see above); nil where it is not kept.
        func twoWayAccepted() throws -> (model: any AlignmentModel, choice: AutomaticModel.Choice)? {
            context.report("auto", 0.5, "two-way self-learning from \(kept.count) known pairs, \(held.count) held out")
            // A short run: its maps only have to show whether the loop is finding the correspondence (see
            // `twoWayJudgeRounds`); the model that is kept comes from the full run below.
            var judge = TwoWaySelfLearning()
            judge.maxIterations = settings.twoWayJudgeRounds
            let twoWay = try judge.fit(loopData, context: context)
            let twoWayScores = try heldOutScores(twoWay, held)
            let significance = Automatic.twoWaySignificance(heldOutPairs: held.count, default: settings.significance)
            let (verdict, note) = Automatic.select([.ridge: baseline, .twoWaySelfLearning: twoWayScores], lockedIn: false,
                                                   significance: significance)
            notes.append(String(format: "two-way self-learning (%d rounds) on %d held-out pairs: recall %.3f vs ridge %.3f",
                                twoWay.iterations.count, held.count, mean(twoWayScores.both), mean(baseline.both)) + note)
            guard verdict == .twoWaySelfLearning else {
                return try twoWayRunShowingLockIn(report: report, notes: &notes)
            }
            var judgedScores = twoWayScores  // the scores of the run that won, judged over all its rounds if the lead was narrow
            let lead = Automatic.pairedComparison(twoWayScores, against: baseline, significance: 0)
            let shortfall = 1 - mean(baseline.both)
            if lead.gain <= settings.twoWayClearLead * lead.standardError || lead.gain < settings.twoWayClearShare * shortfall {
                // A narrow or small lead: the later rounds may complete a lock-in or undo the gain (`twoWayClearLead`,
                // `twoWayClearShare`), so the whole schedule is judged on the same pairs before a full run is trusted.
                context.report("auto", 0.65, "two-way self-learning leads narrowly or by little: judged again over all its rounds")
                // The judged run continued: its rounds are the first rounds of the whole schedule (a settled run is
                // already the whole of it).
                let whole = try TwoWaySelfLearning().fit(loopData, context: context, resuming: twoWay)
                let wholeScores = try heldOutScores(whole, held)
                let (wholeVerdict, wholeNote) = Automatic.select([.ridge: baseline, .twoWaySelfLearning: wholeScores],
                                                                 lockedIn: false, significance: significance)
                notes.append(String(format: "a narrow or small lead; over all its rounds (%d) on the same pairs: recall %.3f vs ridge %.3f",
                                    whole.iterations.count, mean(wholeScores.both), mean(baseline.both)) + wholeNote)
                // No run from every pair after this one: the whole schedule has been judged on held-out pairs and lost,
                // and a second run of it would cost as much again.
                guard wholeVerdict == .twoWaySelfLearning else { return nil }
                judgedScores = wholeScores
            }
            // No run from every pair either: its lock-in test compares it with a null, not with kernel ridge.
            guard try !beatenByKernelRidge(judgedScores, "two-way self-learning") else { return nil }
            // Run again from every pair, from the start: continuing the judged run's dictionary with every pair keeps
            // the errors it made from fewer pairs (measured: 1.7 points of R@10 lower, notebook), and a dictionary grown
            // to its end from fewer pairs is a fixed point of the loop with every pair too.
            context.report("auto", 0.8, "two-way self-learning from all \(pairs.count) known pairs")
            var model = try TwoWaySelfLearning().fit(data, context: context)
            model.alignment.report = report
            return (model, .twoWaySelfLearning)
        }

        /// Where neither loop was kept: the CCA loop all the same, if on the fold it leads ridge and its own first
        /// round by `significance` standard errors (the paired test of `select`) and is ahead of CCA and kernel
        /// ridge on average. Why: a loop can creep to the correspondence without the jump or the settling that the
        /// lock-in test asks for. On encoder-like views whose sides each see a private latent, rows with near
        /// twins on the other side keep trading partners while the map is right, and the loop retrieves far better
        /// than ridge although a third or more of its pseudo-pairs are new in every round (docs/notebook.md).
        /// Why its first round: its dictionary matches each row to the row nearest its image under the pairs'
        /// own map, and such pairs help on held-out pairs even where the unpaired rows hold no correspondence at
        /// all (measured with the Y rows shuffled among themselves); only a lead over that echo is the loop's own.
        /// The model kept is the loop's, run again from every known pair over its whole schedule.
        func creepingLoopAccepted() throws -> (model: any AlignmentModel, choice: AutomaticModel.Choice)? {
            let overRidge = Automatic.pairedComparison(loopScores, against: baseline, significance: settings.significance)
            guard overRidge.clear else { return nil }
            context.report("auto", 0.9, "self-learning leads ridge on the held-out pairs without a lock-in: compared with its first round")
            var firstRound = loopSettings.selfLearning
            firstRound.maxIterations = 1
            let firstScores = try heldOutScores(try firstRound.fit(loopData, reusingPairFreeFitsOf: loop, context: context), held)
            let overFirst = Automatic.pairedComparison(loopScores, against: firstScores, significance: settings.significance)
            let ccaScores = try heldOutScores(try loopSelection.ccaFold(loopPrepared.pairs), held)
            let kernel = try kernelRidgeScores()
            let ahead = mean(loopScores.both) > mean(ccaScores.both) && kernel.map { mean(loopScores.both) > mean($0.both) } ?? true
            let kept = overFirst.clear && ahead
            notes.append(String(format: "without a lock-in, self-learning on the held-out pairs leads ridge by %.3f ± %.3f and its first round (recall %.3f) by %.3f ± %.3f; CCA %.3f",
                                overRidge.gain, overRidge.standardError, mean(firstScores.both), overFirst.gain, overFirst.standardError,
                                mean(ccaScores.both)) + (kernel.map { String(format: ", kernel ridge %.3f", mean($0.both)) } ?? "")
                         + (kept ? ": kept, run again from every known pair" : ": not kept"))
            guard kept else { return nil }
            context.report("auto", 0.95, "self-learning from all \(pairs.count) known pairs")
            var model = try loopSettings.selfLearning.fit(data, context: context)
            model.alignment.report = report
            return (model.alignment, .selfLearning)
        }
    }

    /// Where the judged two-way run lost on the held-out fold after its judged rounds and the pairs are fewer than
    /// `Automatic.twoWayFullRunMaximumPairs`: a run from every pair, kept if its mutual matches grew while its
    /// dictionary filled (`mutualMatchGrowth(_:)`) by at least `Automatic.twoWayLockInGrowth` and by more than
    /// `Automatic.lockInMargin` beyond a null run's, from the same pairs with their Y rows deranged. Both runs stop
    /// in the round their statistic is known; the null is run only if the run passed the bar, and the run is
    /// continued to its end only if it outgrew the null. Nil where the pairs are too many or the run did not lock
    /// in; the reason is added to `notes`.
    mutating func twoWayRunShowingLockIn(report: FitReport, notes: inout [String])
        throws -> (model: any AlignmentModel, choice: AutomaticModel.Choice)? {
        guard pairs.count < settings.twoWayFullRunMaximumPairs else { return nil }
        context.report("auto", 0.75, "two-way self-learning from all \(pairs.count) known pairs, judged by its own rounds")
        let bar = settings.twoWayLockInGrowth
        // Stopped in the round its statistic is known, and continued only if it is kept: a run the null beats
        // does not pay for its remaining rounds.
        var run = try TwoWaySelfLearning().fit(data, context: context) { mutualMatchGrowth($0) == nil }
        let summary = "two-way self-learning from all \(pairs.count) pairs"
        guard let growth = mutualMatchGrowth(run.iterations) else {
            notes.append(summary + ": its dictionary never held every mutual match, no lock-in shown")
            return nil
        }
        let filled = run.iterations.first { $0.mutualMatches == $0.matches }?.iteration ?? 0
        let grew = String(format: ": its mutual matches grew %.2f× by round %d, when its dictionary first held them all", growth, filled)
        guard growth >= bar else {
            notes.append(summary + grew + String(format: " (a lock-in needs %.2f×): no lock-in", bar))
            return nil
        }
        context.report("auto", 0.85, "null run: two-way self-learning from the same pairs with their Y rows shuffled")
        let shuffled = random.derangement(pairs.count)
        var nullData = data
        nullData.pairs = pairs.indices.map { KnownPair(x: pairs[$0].x, y: pairs[shuffled[$0]].y) }
        let null = try TwoWaySelfLearning().fit(nullData, context: context) { mutualMatchGrowth($0) == nil }
        let nullGrowth = mutualMatchGrowth(null.iterations)
        let lockedIn = growth > (nullGrowth ?? 1) * (1 + settings.lockInMargin)
        notes.append(summary + grew + (nullGrowth.map { String(format: ", against %.2f× from shuffled pairs", $0) } ?? ", while a run from shuffled pairs never filled its dictionary")
                     + (lockedIn ? ": locked in" : ": no lock-in"))
        guard lockedIn else { return nil }
        run = try TwoWaySelfLearning().fit(data, context: context, resuming: run)
        run.alignment.report = report
        return (run, .twoWaySelfLearning)
    }

    // MARK: A loop judged by a null run (few pairs)

    /// With few pairs no fold can be spared: self-learning runs on all of them and must show a lock-in that a run
    /// from shuffled pairs does not (step 1 of `Automatic`'s discussion); then it joins the cross-validation.
    mutating func loopJudgedByNullRun() throws -> (run: SelfLearningModel, lockedIn: Bool, note: String) {
        context.report("auto", 0, "self-learning from the \(pairs.count) known pairs")
        let profiles = configuration.profileWeight.map { $0 > 0 } == true ? try fittedProfiles() : nil
        let (deadline, margin, churn) = (jumpDeadline, settings.lockInMargin, settings.lockInMaximumChurn)
        let baseRounds = configuration.maxIterations
        var loopConfiguration = configuration
        loopConfiguration.maxIterations = max(baseRounds, roundLimit ?? baseRounds)
        let extended = loopConfiguration.maxIterations > baseRounds
        if extended {
            context.report("auto", 0, "self-learning may run \(loopConfiguration.maxIterations) rounds on data of this size")
        }
        var learned = try loopConfiguration.run(data, initial: nil, components: nil, profiles: profiles, context: context) { rounds in
            // Past the deadline a run goes on only if it has jumped, or is settling (it may still converge).
            guard let deadline, rounds.count > deadline, let last = rounds.last else { return true }
            return showsLockIn(scores: rounds.map(\.meanScore), converged: false, margin: margin) || last.newFraction <= churn
        }
        // The null run (made only when a run shows a lock-in worth testing): self-learning from the same pairs
        // with their Y rows deranged. It gets at most as many rounds as the real one used (a fair comparison), at
        // most 5 (its score flattens within a few rounds).
        var nullStatistics: (score: Double, heldOut: Double)? = nil
        var random = self.random
        let (data, pairs, configuration, context, lockInMargin) = (self.data, self.pairs, self.configuration, self.context,
                                                                    settings.lockInMargin)
        // The features the rounds used, in which the dictionaries are judged: every run here shares the first
        // run's bases, so the rows are projected once, when a run first needs judging.
        let (fullFeatures, bases) = (self.prepared, learned.roundBases)
        var projected: PreparedProblem? = nil
        func roundFeatures() -> PreparedProblem {
            if let projected { return projected }
            let features = fullFeatures.projected(onto: bases)
            projected = features
            return features
        }
        func nullRun() throws -> (score: Double, heldOut: Double) {
            if let known = nullStatistics { return known }
            context.report("auto", 0.45, "null run: self-learning from the same pairs with their Y rows shuffled")
            let shuffled = random.derangement(pairs.count)
            var null = data
            null.pairs = pairs.indices.map { KnownPair(x: pairs[$0].x, y: pairs[shuffled[$0]].y) }
            var nullConfiguration = configuration
            nullConfiguration.maxIterations = max(1, min(learned.iterations.count, 5))
            nullConfiguration.overtimeRounds = 0  // the rounds the real run used, at most 5: a fair comparison
            let run = try nullConfiguration.run(null, initial: nil, components: learned.independentComponents,
                                                profiles: learned.profiles, bases: learned.roundBases, context: context)
            let statistics = (run.bestObjective, try heldOutAgreement(of: run.pseudoPairs, roundFeatures(), configuration, &random))
            nullStatistics = statistics
            return statistics
        }
        let maximumChurn = settings.lockInMaximumChurn
        func lockInTest(_ run: SelfLearningModel) throws -> (lockedIn: Bool, summary: String) {
            // Where the loop was given more rounds than usual (`Automatic.smallDataRounds`), a stopping rule after
            // them counts only if the score rose by more than the margin in the extra rounds.
            let scores = run.iterations.map(\.meanScore)
            let stoppedInTime = run.converged && (!extended || scores.count <= baseRounds
                                                  || scores[scores.count - 1] > max(scores[baseRounds - 1], 0) * (1 + lockInMargin))
            guard showsLockIn(scores: scores, converged: stoppedInTime, margin: lockInMargin)
                    || settledAfterAFastFall(run.iterations.map(\.newFraction), settled: maximumChurn) else {
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
            let heldOut = try heldOutAgreement(of: run.pseudoPairs, roundFeatures(), configuration, &random)
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
            var plain = loopConfiguration
            plain.independentComponents = nil
            let second = try plain.run(data, initial: nil, components: nil, profiles: learned.profiles,
                                       bases: learned.roundBases, context: context)
            let test = try lockInTest(second)
            lockIn += "; from CCA alone " + test.summary
            if test.lockedIn { learned = second; lockedIn = true }
        }
        self.random = random
        return (learned, lockedIn, lockIn)
    }
}

extension AutomaticSelection {
    // MARK: A creeping loop judged on a fold (few pairs, small data)

    /// Below `heldOutMinimumPairs`, where the loop judged by its null run did not lock in: the same loop run
    /// again without `Automatic.fewPairsFoldShare` of the pairs (and their rows), and kept — as `run`, the loop from
    /// every pair — if on the pairs it never saw it leads ridge and its own first round by `significance` standard
    /// errors (the paired test of `select`) and is ahead of CCA on average, each fitted on the same pairs. Returns
    /// nil (not tried) where `settings.fewPairsFoldMinimumPairs` is nil or above the pairs' count, or where the data
    /// are too large for the loop's extra rounds (`Automatic.smallDataRounds`).
    ///
    /// Why: from ten pairs or a few dozen a loop can creep to the correspondence without the jump or the settling
    /// that the lock-in test asks for (encoder-like views whose sides each see a private latent: rows with near
    /// twins on the other side keep trading partners while the map is right; clustered views), and no statistic of
    /// the loop tells that creep from a self-consistent wrong one, since a null run from shuffled pairs creeps as
    /// far (docs/notebook.md). Only pairs held out of the loop can. The fold is larger than the cross-validation's
    /// (two fifths) because one fold is all the evidence there is; the first-round control is the one
    /// `creepingLoopAccepted` needs, for the same reason. From ten pairs the fold holds four, whose standard error
    /// is large: the rule then keeps only a loop its fold shows far ahead, and turns most creeping loops away.
    /// The run costs as much as the loop itself, so it is made only where the data are small enough for the
    /// loop's extra rounds, as on the data it was measured on.
    func creepingLoopJudgedOnAFold(_ run: SelfLearningModel) throws -> (kept: Bool, note: String)? {
        guard let minimum = settings.fewPairsFoldMinimumPairs, pairs.count >= minimum,
              settings.fewPairsRounds(unpairedX: unpairedX.count, unpairedY: unpairedY.count) > configuration.maxIterations
        else { return nil }
        let heldFolds = Automatic.fewPairsFoldShare
        let held = pairs.indices.filter { foldOf[$0] < heldFolds }.map { pairs[$0] }
        let kept = pairs.indices.filter { foldOf[$0] >= heldFolds }.map { pairs[$0] }
        let (loopData, _, _) = data.removingRows(x: Set(held.map(\.x)), y: Set(held.map(\.y)), keepingPairs: kept)
        let loopPrepared = try PreparedProblem(loopData)
        context.report("auto", 0.5, "no lock-in: self-learning again from \(kept.count) known pairs, \(held.count) held out")
        let baseline = try heldOutScores(try Ridge().fit(loopData, context: context), held)
        var loopConfiguration = configuration
        loopConfiguration.maxIterations = max(configuration.maxIterations, roundLimit ?? configuration.maxIterations)
        let loop = try loopConfiguration.fit(loopData, context: context)
        let loopScores = try heldOutScores(loop, held)
        var firstRound = configuration
        firstRound.maxIterations = 1
        firstRound.overtimeRounds = 0
        let firstScores = try heldOutScores(try firstRound.fit(loopData, reusingPairFreeFitsOf: loop, context: context), held)
        let loopSelection = AutomaticSelection(settings, loopData, loopPrepared, context)
        let ccaScores = try heldOutScores(try loopSelection.ccaFold(loopPrepared.pairs), held)
        let overRidge = Automatic.pairedComparison(loopScores, against: baseline, significance: settings.significance)
        let overFirst = Automatic.pairedComparison(loopScores, against: firstScores, significance: settings.significance)
        let keep = overRidge.clear && overFirst.clear && mean(loopScores.both) > mean(ccaScores.both)
        let note = String(format: "self-learning from %d pairs (%d rounds) on %d held-out pairs: recall %.3f vs ridge %.3f (%+.3f ± %.3f), its first round %.3f (%+.3f ± %.3f), CCA %.3f",
                          kept.count, loop.iterations.count, held.count, mean(loopScores.both), mean(baseline.both),
                          overRidge.gain, overRidge.standardError, mean(firstScores.both), overFirst.gain,
                          overFirst.standardError, mean(ccaScores.both))
            + (keep ? ": the loop from every pair kept" : ": not kept")
        return (keep, note)
    }
}

extension SelfLearning {
    /// This loop on `data` from its pairs, reusing what `earlier` — a run on the same rows — fitted without pairs
    /// (independent components, similarity profiles, round bases): the same rows give the same ones, so the result
    /// is this loop's `fit(data)`, without fitting them again. For the first-round controls of the creeping rules.
    func fit(_ data: WeaklyPairedData, reusingPairFreeFitsOf earlier: SelfLearningModel, context: FitContext) throws -> SelfLearningModel {
        try run(data, initial: nil, components: earlier.independentComponents, profiles: earlier.profiles,
                bases: earlier.roundBases, context: context)
    }
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

/// Whether a run's share of new pseudo-pairs fell from at least one half to at most `settled` within four rounds
/// and stayed there: a lock-in whose score rose over several rounds rather than in one jump, which the last rounds
/// did not yet end by a stopping rule. A creeping run sheds its pairs a few points per round; a run that locks in
/// this way drops to a few per cent new within those rounds and hovers there (the measurements are in
/// docs/notebook.md). Like a run a stopping rule ended, such a run must still beat its null.
///
/// `newFractions`: each round's share of new pseudo-pairs, round 0 first.
public func settledAfterAFastFall(_ newFractions: [Double], settled: Double) -> Bool {
    guard let fell = (4..<max(newFractions.count, 4)).first(where: { newFractions[$0 - 4] >= 0.5 && newFractions[$0] <= settled })
    else { return false }
    return newFractions[fell...].allSatisfy { $0 <= settled }
}

/// How well a dictionary of pseudo-pairs generalises to itself: CCA (as in self-learning) on a random half of
/// the pairs, then the mean cosine, in that shared space, of the pairs in the other half. `prepared` is the
/// problem in the features the loop's rounds used (`PreparedProblem.projected(onto:)`). Pairs that are a real
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
