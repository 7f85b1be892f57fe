import Foundation
import LinearAlgebra

/// Self-learning alignment as an estimator: its settings are the fields below, the learned state is
/// `SelfLearningModel`. The method is described at `fit(_:context:)`.
public struct SelfLearning: Aligner, Equatable {
    /// Rounds after which a run stops unless it is locking in (`overtimeRounds`). Each costs one pass over all
    /// unpaired X × unpaired Y similarities (≈ 1.7 s on the text pairs on 2 cores). From 10 pairs the loop first
    /// creeps — the mean CSLS barely moves while the precision of the pseudo-pairs climbs — and then locks in
    /// within two or three rounds. Measured
    /// on the text pairs (5 splits, cross-fitted, similarity profiles in the start): from 10 pairs the jump comes
    /// at rounds 7–12 (without the profiles: by round 24 on 3 splits, 26–27 on a fourth, not by 34 on the fifth);
    /// from 5 pairs no run locks in within 25 rounds, so every round past the lock-in rounds seen is spent on runs
    /// that fail. 20 keeps a margin over the slowest lock-in seen and every fit on those data under a minute
    /// (5-pair fits took 51–58 s with 25, 49–56 s with 20).
    public var maxIterations: Int = 20
    /// Extra rounds a run gets when, at its last round, it is visibly locking in: its share of new pseudo-pairs
    /// fell by at least `overtimeChurnDrop` in that round (0: runs end at `maxIterations`).
    ///
    /// Why: a run that is finding the correspondence replaces its pairs fast, one that creeps does not. At the
    /// cap, a creeping run's share of new pairs falls by a point or two per round; a run that has begun to lock
    /// in falls by tens of points per round for two or three rounds, and then settles. Cut there, it has neither
    /// settled nor, when its score climbs over several rounds rather than jumping in one, shown a jump, and
    /// `auto` discards a correspondence it had found; on slower data the lock-in from 20 pairs came just before
    /// the cap (the measurements are in docs/notebook.md). The extra rounds go only to such runs, and a run that
    /// settles within them stops there.
    public var overtimeRounds: Int = 10
    /// The fall in the share of new pseudo-pairs, from one round to the next, that marks a run as locking in
    /// (see `overtimeRounds`).
    public var overtimeChurnDrop: Double = 0.05
    /// Neighbourhood size of CSLS's hubness correction.
    public var neighbours: Int = 10
    /// Canonical components are scaled by ρ^power in the shared space (see `CanonicalCorrelation.weightedMaps`).
    public var correlationPower: Double = 0.5
    /// Stop when the mean CSLS score of the mutual matches improves by no more than this fraction of itself.
    /// The default 0 stops only when the score stops rising: during the slow phase before lock-in the score
    /// rises by as little as 0.1–0.5 % per round while the pseudo-pairs are improving fast, and a positive
    /// tolerance (0.5 % was tried) stopped 20-pair runs there, short of lock-in.
    public var relativeTolerance: Double = 0
    /// Rounds without a new best score before the loop stops. The score of a creeping run dips by 0.1 % now
    /// and then while its pseudo-pairs are still getting better; one bad round is not convergence.
    public var patience: Int = 2
    /// The dictionary has reached its fixed point when fewer than this fraction of a round's pseudo-pairs are new
    /// for `patience` rounds in a row; the loop stops there even if the score still inches up. Measured on the
    /// text pairs: a run from 10 pairs that never locks in falls below 1 % new at round 9 and creeps on for 14
    /// more rounds with its score rising in the fourth decimal; a run from 20 pairs that locks in at round 18 never
    /// goes below 1.7 % new before it does (the slow phase replaces wrong pairs with right ones, which shows up as
    /// new pairs); after lock-in the fraction drops to 0.1 % within two rounds.
    public var minNewFraction: Double = 0.01
    /// Cap on the canonical components the rounds match in (nil: all of them). The returned model is not this
    /// space but ridge maps both ways on the final dictionary (see `fit(_:context:)`).
    ///
    /// Each round costs |unpaired X|·|unpaired Y|·r multiply-adds, so r sets the speed. The leading canonical
    /// components carry the correspondence and the √ρ weighting already shrinks the tail. Measured on the text
    /// pairs (384-d) from 20 pairs: keeping 128 components locked in *earlier* than keeping all 384 (round 6
    /// against round 9 on one split, numpy prototype), while keeping 64 crept for 20 rounds without locking in on
    /// a split where 128 locked in at round 18. Fewer components fit a noisy dictionary less closely, but too
    /// few no longer tell the rows apart.
    public var maxSharedDimension: Int? = 128
    /// Independent components per side in the pair-free view of the start (`IndependentComponentStart`); nil
    /// starts from CCA on the known pairs alone. Measured on the text pairs (numpy prototype, 10 pairs): the
    /// components matched by the hidden truth give 58 % R@10 with 32 components and 80 % with 64, while the
    /// matching found from the pairs is right for 8 of 32 and 12 of 64; 64 gave the better start. Capped by the
    /// dimensions of the data.
    ///
    /// Off by default since cross-fitting: from 10 pairs (one split) the CCA start locked in at round 23 while
    /// the start with 64 matched components (0.85 % precise at round 0) stayed near 1.1 % for 34 rounds — a
    /// mostly wrong matching of components leaves systematic errors that cross-fitting cannot average out.
    /// It was the better start for a loop without cross-fitting whose dictionary was centred on its own mean,
    /// not for this one (the measurements are in docs/notebook.md).
    public var independentComponents: Int? = nil
    /// Cross-fitting: the unpaired X rows are split into this many fixed parts, and each part is matched with
    /// the map fitted on the known pairs and the *other* parts' pseudo-pairs (1: every row is matched with the
    /// map fitted on all pseudo-pairs, as in VecMap).
    ///
    /// Why: a map refitted on its own pseudo-pairs has learned their errors, so it finds the same wrong pairs
    /// again — below about 20 pairs the loop settles on a self-consistent, mostly wrong dictionary. A map that
    /// never saw a row's previous partner cannot confirm it; only the correspondence shared by all parts
    /// carries over. Measured on the text pairs from 10 pairs (one split, pseudo-pair precision against the
    /// hidden truth): 1 part stays at 0.6–0.7 % for 15 rounds while R@10 falls from 33 % to 24 % (numpy
    /// prototype, its own split); 2 parts creep from 0.4 % to 1.2 % in 25 rounds; 5 parts
    /// climb from 0.6 % to 9 % by round 19 and lock in at round 23 (91 %, R@10 100 %); 10 parts reach only
    /// 4 % by round 39 (probably because the Y side is shared: the more parts, the more of a part's candidate
    /// Y rows its map was fitted on, and the more it confirms those). From 20 pairs 5 parts locked in at round 4
    /// (the loop without cross-fitting: round 5).
    public var crossFittingFolds: Int = 5
    /// Weight of the pair-free view in the start: round 0 matches in [CCA space | w · similarity profiles]
    /// (`SimilarityProfileAlignment`), each block with unit rows; nil starts from CCA alone. Only a start from
    /// the known pairs uses it (not a given `initial`), and only round 0: from round 1 on the maps are CCA on
    /// the dictionary. `auto`'s candidate `cca+profiles` uses the same weight.
    ///
    /// Why: the profiles describe each row by its place in its own cloud, which needs no pairs, so they add
    /// evidence exactly where a map from a handful of pairs has little. Measured on the text pairs (numpy
    /// prototype, round-0 mutual matches against the hidden truth), 10 pairs, 2 splits: 0.67 / 0.50 % precise
    /// from CCA alone, 0.87 / 1.30 % with w = 0.5, 1.11 / 1.34 % with 0.75, 1.03 / 1.14 % with 1; 5 pairs, 3
    /// splits: 0.03–0.10 % alone, 0.25–0.51 % with w = 1. In Swift, 10 pairs, 5 splits: w = 0.5, 0.75 and 1 all
    /// lock in on 5/5 (CCA alone: 3/5 within 25 rounds). On the 2 000-row demo data (weaker profiles: fewer
    /// close neighbours), 20 pairs: w = 0.25, 0.5 and 0.75 lock in, w = 1 creeps for 20 rounds. 0.75 is the
    /// largest weight that worked on both.
    public var profileWeight: Double? = 0.75
    /// Width past which the rounds work on a side's leading principal components instead of its columns (nil:
    /// always the columns). The start's similarity profiles and the returned ridge maps use every column.
    ///
    /// Why: each round solves one CCA per cross-fitting part, with a Cholesky factor and triangular solves of
    /// the side's width, so the rounds' cost grows with the cube of the width; image and large-text encoders
    /// give 768 to 3 072 columns. On a few thousand noisy pseudo-pairs the directions of small variance carry
    /// spurious correlation rather than the correspondence (the SVCCA recipe, see `RoundBases`): leaving them out
    /// made the loops faster on wide sides and locked in where the full width did not. Below the bound nothing
    /// changes, and the bound is not lower because cutting encoders of 256 and 384 columns down further cost
    /// recall. The measurements are in docs/notebook.md.
    public var maxRoundColumns: Int? = 512

    /// The estimator with its default settings (each setting's documentation gives the measurements behind it).
    public init() {}

    /// The map self-learning fits on a dictionary of row-aligned pairs: CCA with at most `maxSharedDimension`
    /// components, each weighted by ρ^`correlationPower`.
    func canonicalMaps(_ a: Matrix<Float>, _ b: Matrix<Float>) throws -> (x: Matrix<Float>, y: Matrix<Float>) {
        try CanonicalCorrelation(a: a, b: b, maxComponents: maxSharedDimension, centred: false).weightedMaps(power: correlationPower)
    }
}

/// One refinement round.
public struct SelfLearningIteration: Sendable, Equatable, Codable {
    /// The round, 0 for the start.
    public var iteration: Int
    /// Number of pseudo-pairs (mutual CSLS matches among the unpaired rows) found in this round.
    public var matches: Int
    /// Their mean CSLS score: the label-free objective.
    public var meanScore: Double
    /// Their mean confidence margin.
    public var meanMargin: Double
    /// Fraction of this round's pseudo-pairs that were not in the previous round's set.
    public var newFraction: Double
    /// Every mutual match the round found, of which the loop kept `matches` (the two-way loop's growing
    /// dictionary); nil where a round keeps them all.
    public var mutualMatches: Int? = nil

    /// A round's record.
    public init(iteration: Int, matches: Int, meanScore: Double, meanMargin: Double, newFraction: Double,
                mutualMatches: Int? = nil) {
        self.iteration = iteration; self.matches = matches; self.meanScore = meanScore; self.meanMargin = meanMargin
        self.newFraction = newFraction; self.mutualMatches = mutualMatches
    }
}

/// The learned state of self-learning: the final maps and how the loop got there.
///
/// Stored as its `alignment` (kind `two-way-linear-alignment`): the loop's history is a record of the fit, not
/// needed to embed rows.
public struct SelfLearningModel: AlignmentModel {
    /// The final maps: ridge X → Y and Y → X on the known pairs plus the best round's pseudo-pairs, side by side
    /// (see "The final maps" at `SelfLearning.fit(_:context:)`).
    public var alignment: TwoWayAlignment
    /// The pseudo-pairs behind the final maps, as rows of the training X and Y, with their CSLS scores and
    /// confidence margins.
    public var pseudoPairs: MutualMatches
    /// One record per round, round 0 (the start) first.
    public var iterations: [SelfLearningIteration]
    /// The best round's mean CSLS score (the label-free objective the final maps come from).
    public var bestObjective: Double
    /// Why the loop stopped.
    public var stopReason: String
    /// Whether a stopping rule ended the loop (false: it ran out of rounds, possibly still changing).
    public var converged: Bool
    /// The independent components of the start, if it used them (pair-free: reusable for other runs on the
    /// same data).
    var independentComponents: (x: IndependentComponents, y: IndependentComponents)? = nil
    /// The similarity profiles, if the start used them (pair-free: reusable for other runs on the same rows).
    var profiles: FittedProfiles? = nil
    /// The principal directions the rounds worked in, if a side was wider than `maxRoundColumns` (pair-free:
    /// reusable for other runs on the same rows).
    var roundBases: RoundBases? = nil

    public var dimension: Int { alignment.dimension }
    public var inputColumns: (x: Int, y: Int) { alignment.inputColumns }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try alignment.embedX(x) }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try alignment.embedY(y) }
    public var storedForm: StoredModel { alignment.storedForm }
    public var report: FitReport { alignment.report }
    public func ownSpaceColumns(of modality: Modality) -> Range<Int>? { alignment.ownSpaceColumns(of: modality) }
}

extension SelfLearning {
    /// Self-learning alignment over all unpaired rows.
    ///
    /// Fit a map on what is known, use it to find new correspondences among the unpaired rows, refit on the known
    /// pairs plus those, and repeat (the self-learning loop of VecMap: Artetxe, Labaka & Agirre 2018, "A robust
    /// self-learning method for fully unsupervised cross-lingual mappings of word embeddings"):
    ///
    /// 1. **Map.** Regularised CCA (`CanonicalCorrelation`) on the dictionary — the known pairs plus the current
    ///    pseudo-pairs — with components weighted by √ρ. CCA whitens each side, so that the map is a rotation
    ///    between whitened spaces; this is far more stable than ridge when the dictionary is large and noisy, and
    ///    the shrinkage rule γ = d/(n+d) keeps the first round on few pairs well posed. The second moments are
    ///    taken about the centre of all training rows (the data are centred with it), not about the dictionary's
    ///    own mean, which a biased selection of pseudo-pairs shifts (numpy prototype, 10 pairs, 2 parts:
    ///    precision 0.58 % at round 15 with the dictionary's mean against 0.88 % without).
    /// 2. **Match.** Map the unpaired rows; the pseudo-pairs are the mutual nearest neighbours under CSLS
    ///    (`cslsMutualNearestNeighbours`), each with its score and a confidence margin. With cross-fitting
    ///    (`crossFittingFolds`, default 5) the unpaired X rows are split into fixed parts and each part is
    ///    matched against all unpaired Y rows with the map fitted on the known pairs and the *other* parts'
    ///    pseudo-pairs. Moments of disjoint sets add up, so the per-part maps cost one pass over the dictionary
    ///    plus one small (d × d) CCA solve each.
    /// 3. **Stop** when the mean CSLS score of the mutual matches — how many and how confident the matches are,
    ///    which needs no labels — stops rising (by more than `relativeTolerance` of itself), when the pseudo-pair
    ///    set no longer changes (or changes by less than `minNewFraction` for `patience` rounds), or after
    ///    `maxIterations`. The round with the best objective is kept.
    ///
    /// **The final maps** are not the loop's CCA but ridge X → Y and Y → X on the known pairs plus the best
    /// round's pseudo-pairs, used side by side (`TwoWayAlignment`, as `TwoWaySelfLearning` keeps its dictionary).
    /// CCA suits the rounds: on a small, noisy dictionary its whitened rotation is stable where ridge is not. Once
    /// the loop has locked in, the dictionary holds thousands of mostly right pairs, and CCA's whitened, truncated
    /// space then retrieves worse than two regressions that keep each side's own geometry (measured in
    /// docs/notebook.md: level on the text pairs, far apart on clustered views).
    ///
    /// The start (round 0) is CCA on the known pairs side by side with the independent components of each
    /// side matched with the pairs (`IndependentComponentStart`; CCA alone if `independentComponents` is nil);
    /// with fewer than 2 known pairs the start is the pair-free similarity profiles (`SimilarityProfiles`), the only
    /// pair-free shared space found so far that retrieves clearly above chance on real encoder pairs.
    ///
    /// Works on any features: raw encoder outputs, spectral embeddings, or another method's shared space.
    /// Cost per round: two GEMM passes over |unpaired X| × |unpaired Y| × r, plus a CCA on the dictionary.
    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> SelfLearningModel {
        try context.run(on: data) { data in
            guard data.pairs.count < 2 else { return try run(data, initial: nil, components: nil, profiles: nil, context: context) }
            context.report("zero-pair start", nil, "similarity profiles of \(data.x.rows) X and \(data.y.rows) Y rows")
            let start = try SimilarityProfiles().fit(data, context: context)
            return try run(data, initial: start, components: nil, profiles: nil, context: context)
        }
    }

    /// The loop, from `initial` (another model's shared space) when given, else from the known pairs; the start's
    /// independent components and similarity profiles are reused when given (they are pair-free, so an earlier
    /// run on the same rows computed the same ones). `keepGoing` sees the rounds so far after each round; when it
    /// says no, the loop stops there, unconverged (a caller's judgement that the run has found nothing).
    func run(_ data: WeaklyPairedData, initial: (any AlignmentModel)?,
             components given: (x: IndependentComponents, y: IndependentComponents)?,
             profiles givenProfiles: FittedProfiles?, bases givenBases: RoundBases? = nil, context: FitContext,
             keepGoing: ([SelfLearningIteration]) -> Bool = { _ in true }) throws -> SelfLearningModel {
    let configuration = self
    guard configuration.maxIterations >= 1, configuration.neighbours >= 1, configuration.patience >= 1,
          configuration.overtimeRounds >= 0, (0...1).contains(configuration.overtimeChurnDrop),
          configuration.crossFittingFolds >= 1,
          configuration.relativeTolerance >= 0, configuration.correlationPower >= 0, (configuration.profileWeight ?? 0) >= 0,
          (0...1).contains(configuration.minNewFraction), (configuration.maxRoundColumns ?? 1) >= 1 else {
        throw AlignmentError.invalidConfiguration("self-learning: maxIterations, neighbours, patience, crossFittingFolds and maxRoundColumns must be ≥ 1, overtimeRounds, tolerance, power and profileWeight ≥ 0, minNewFraction and overtimeChurnDrop in [0, 1] (got \(configuration))")
    }
    let full = try PreparedProblem(data)
    // The rounds' features: each wide side's leading principal components (`maxRoundColumns`); the final maps
    // are fitted on `full`.
    let bases = try givenBases ?? RoundBases.fitted(full, columns: configuration.maxRoundColumns, seed: context.seed)
    if let bases {
        context.report("self-learning", 0, bases.summary(of: full))
    }
    let prepared = full.projected(onto: bases)
    let unpairedX = data.unpairedXRows, unpairedY = data.unpairedYRows
    guard !unpairedX.isEmpty, !unpairedY.isEmpty else {
        throw AlignmentError.insufficientData("self-learning needs unpaired rows on both sides (X: \(unpairedX.count), Y: \(unpairedY.count))")
    }
    let poolX = prepared.x.rows(unpairedX), poolY = prepared.y.rows(unpairedY)

    /// CCA maps fitted on the known pairs (the start's map from the pairs).
    func pairMaps() throws -> (x: Matrix<Float>, y: Matrix<Float>) {
        let known = prepared.pairedRows()
        return try configuration.canonicalMaps(known.x, known.y)
    }

    // Round 0: the starting shared space.
    var embeddedX: Matrix<Float>, embeddedY: Matrix<Float>
    var startComponents: (x: IndependentComponents, y: IndependentComponents)? = nil
    var startProfiles: FittedProfiles? = nil
    if let initial {
        embeddedX = try initial.embedX(data.x.rows(unpairedX))
        embeddedY = try initial.embedY(data.y.rows(unpairedY))
    } else {
        guard prepared.pairs.count >= 2 else {
            throw AlignmentError.insufficientData("self-learning without an initial alignment needs at least 2 known pairs, got \(prepared.pairs.count)")
        }
        if let components = configuration.independentComponents {
            context.report("self-learning", 0, "start: CCA on the known pairs + \(components) independent components per side, matched with the pairs")
            let fitted = try given ?? IndependentComponentStart.fitComponents(prepared, components: components, seed: context.seed)
            context.report("self-learning", 0, "independent components: \(fitted.x.iterations) and \(fitted.y.iterations) FastICA iterations\(fitted.x.converged && fitted.y.converged ? "" : " (not converged)")")
            startComponents = fitted
            let maps = try IndependentComponentStart.maps(prepared, pairs: prepared.pairs, poolX: unpairedX, components: fitted,
                                                          cca: try pairMaps())
            embeddedX = Matrix.multiply(poolX, .none, maps.x, .none)
            embeddedY = Matrix.multiply(poolY, .none, maps.y, .none)
        } else {
            let maps = try pairMaps()
            embeddedX = Matrix.multiply(poolX, .none, maps.x, .none)
            embeddedY = Matrix.multiply(poolY, .none, maps.y, .none)
        }
        if let weight = configuration.profileWeight, weight > 0 {
            // The pair-free view beside the map from the pairs, each block with unit rows.
            context.report("self-learning", 0, "start: the pairs' map side by side with the similarity profiles (weight \(weight))")
            let profiles = try givenProfiles ?? SimilarityProfileAlignment.fittedWithProfiles(
                data, report: FitReport(method: "similarity-profiles", estimator: SimilarityProfiles(), data: data, context: context),
                seed: context.seed)
            startProfiles = profiles
            embeddedX = sideBySide(embeddedX, profiles.x.rows(unpairedX), weight: Float(weight))
            embeddedY = sideBySide(embeddedY, profiles.y.rows(unpairedY), weight: Float(weight))
        }
    }

    // Cross-fitting (`crossFittingFolds`): fixed, seeded parts of the unpaired X rows; each is matched with the
    // map fitted without its own pseudo-pairs, so that no map judges the matches it was fitted on.
    let parts: [[Int]]
    let folds = configuration.crossFittingFolds
    if folds > 1 && unpairedX.count >= folds {
        var random = SeededRandom(seed: context.seed ^ 0xc5_0f17)
        let order = random.permutation(unpairedX.count)
        parts = (0..<folds).map { f in order[(f * order.count / folds)..<((f + 1) * order.count / folds)].sorted() }
    } else {
        parts = [Array(unpairedX.indices)]
    }
    let partX = parts.count == 1 ? [poolX] : parts.map { poolX.rows($0) }
    // Each part's rows and the Y rows in the shared space its matches are taken in; round 0 is the start for all.
    var embeddedParts = parts.count == 1 ? [embeddedX] : parts.map { embeddedX.rows($0) }
    var embeddedYParts = [Matrix<Float>](repeating: embeddedY, count: parts.count)

    let knownRows = prepared.pairedRows()
    let knownMoments = try CanonicalCorrelation.SecondMoments(a: knownRows.x, b: knownRows.y)
    var history: [SelfLearningIteration] = []
    var best: (score: Double, matches: MutualMatches)? = nil
    var previous: Set<Int64> = []
    var stopReason: String? = nil  // set where a stopping rule or the caller ends the loop
    var roundsWithoutProgress = 0, roundsSettled = 0
    var converged = false  // set where a stopping rule ends the loop
    let cslsWorkspace = CSLSWorkspace()
    var limit = configuration.maxIterations  // raised once by `overtimeRounds` for a run locking in at the cap
    var round = 0
    while round < limit {
        defer { round += 1 }
        // One workspace for all rounds: the similarity buffer (530 MB at 11 500²) is page-faulted in once.
        var partMatches: [MutualMatches] = []
        for h in parts.indices {
            var found = try cslsMutualNearestNeighbours(embeddedParts[h], embeddedYParts[h], k: configuration.neighbours,
                                                        workspace: cslsWorkspace)
            found.x = found.x.map { parts[h][$0] }
            partMatches.append(found)
        }
        let matches = parts.count == 1 ? partMatches[0] : MutualMatches(
            x: partMatches.flatMap(\.x), y: partMatches.flatMap(\.y),
            score: partMatches.flatMap(\.score), margin: partMatches.flatMap(\.margin))
        let keys = Set(zip(matches.x, matches.y).map { Int64($0) << 32 | Int64($1) })
        let fresh = keys.isEmpty ? 0 : Double(keys.subtracting(previous).count) / Double(keys.count)
        let meanMargin = matches.margin.isEmpty ? 0 : matches.margin.reduce(0.0) { $0 + Double($1) } / Double(matches.count)
        let record = SelfLearningIteration(iteration: round, matches: matches.count, meanScore: matches.meanScore,
                                           meanMargin: meanMargin, newFraction: fresh)
        history.append(record)
        context.report("self-learning", min(1, Double(round + 1) / Double(configuration.maxIterations)),
                       "round \(round): \(matches.count) pseudo-pairs, mean CSLS \(String(format: "%.4f", record.meanScore)), \(String(format: "%.1f", 100 * fresh))% new")
        if parts.count > 1 && round == 0 && configuration.maxIterations > 1 {
            // With cross-fitting, later rounds score out-of-part matches in a refitted space; round 0's score
            // (the start's space, often only as many dimensions as there are pairs, where cosines run high)
            // is not comparable with theirs, so it cannot be the best round.
        } else if let b = best, record.meanScore <= b.score + configuration.relativeTolerance * abs(b.score) {
            if record.meanScore > b.score { best = (record.meanScore, matches) }
            roundsWithoutProgress += 1
            if roundsWithoutProgress >= configuration.patience {
                stopReason = "mean CSLS did not improve by more than \(configuration.relativeTolerance) (relative) for \(roundsWithoutProgress) rounds, at round \(round)"
                converged = true
                break
            }
        } else {
            roundsWithoutProgress = 0
            best = (record.meanScore, matches)
        }
        if keys == previous {
            stopReason = "pseudo-pairs unchanged in round \(round)"
            converged = true
            break
        }
        roundsSettled = round > 0 && fresh < configuration.minNewFraction ? roundsSettled + 1 : 0
        if roundsSettled >= configuration.patience {
            stopReason = String(format: "fewer than %.1f%% of the pseudo-pairs new for %d rounds, at round %d",
                                100 * configuration.minNewFraction, roundsSettled, round)
            converged = true
            break
        }
        previous = keys
        if round + 1 == limit && limit == configuration.maxIterations && configuration.overtimeRounds > 0 && history.count >= 2
            && history[history.count - 2].newFraction - fresh >= configuration.overtimeChurnDrop {
            limit += configuration.overtimeRounds
            context.report("self-learning", 1, String(format: "round %d: new pseudo-pairs fell from %.1f%% to %.1f%%, locking in: up to %d more rounds",
                                                      round, 100 * history[history.count - 2].newFraction, 100 * fresh, configuration.overtimeRounds))
        }
        if round + 1 < limit && !keepGoing(history) {
            stopReason = "abandoned by the caller after round \(round)"
            break
        }
        if round + 1 < limit {
            // One pass over the dictionary: each part's moments; a part is matched next with the CCA of all the
            // others (the known pairs and every other part's pseudo-pairs).
            let partMoments = try partMatches.map {
                try CanonicalCorrelation.SecondMoments(a: poolX.rows($0.x), b: poolY.rows($0.y))
            }
            let total = partMoments.reduce(knownMoments, +)
            // The parts' CCA solves are independent and small (d × d), so they run side by side; each writes
            // only its own slot, and every kernel's work split is fixed by the sizes, so the bits do not depend
            // on the thread count.
            var solved = [Result<(x: Matrix<Float>, y: Matrix<Float>), Error>?](repeating: nil, count: parts.count)
            solved.withUnsafeMutableBufferPointer { slots in
                Parallel.forEach(parts.count) { h in
                    let moments = parts.count == 1 ? total : total - partMoments[h]
                    slots[h] = Result {
                        try CanonicalCorrelation(moments: moments, maxComponents: configuration.maxSharedDimension)
                            .weightedMaps(power: configuration.correlationPower)
                    }
                }
            }
            for h in parts.indices {
                let maps = try solved[h]!.get()
                embeddedParts[h] = Matrix.multiply(partX[h], .none, maps.x, .none)
                embeddedYParts[h] = Matrix.multiply(poolY, .none, maps.y, .none)
            }
        }
    }
    let chosen = best?.matches ?? MutualMatches(x: [], y: [], score: [], margin: [])
    guard prepared.pairs.count + chosen.count >= 2 else {
        throw AlignmentError.insufficientData("self-learning found no pseudo-pairs to fit a map on")
    }
    var pseudo = chosen
    pseudo.x = chosen.x.map { unpairedX[$0] }
    pseudo.y = chosen.y.map { unpairedY[$0] }
    let report = FitReport(method: "self-learning", estimator: self, data: data, context: context)
    let alignment = try TwoWaySelfLearning.alignment(full, pseudoPairs: pseudo, report: report)
    return SelfLearningModel(alignment: alignment, pseudoPairs: pseudo,
                             iterations: history, bestObjective: best?.score ?? 0,
                             stopReason: stopReason ?? (limit > configuration.maxIterations
                                ? "reached maxIterations (\(configuration.maxIterations)) and \(configuration.overtimeRounds) rounds of overtime"
                                : "reached maxIterations (\(configuration.maxIterations))"),
                             converged: converged,
                             independentComponents: startComponents, profiles: startProfiles, roundBases: bases)
    }
}
