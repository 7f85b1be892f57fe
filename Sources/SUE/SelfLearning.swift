import Foundation
import LinearAlgebra

/// Settings of self-learning alignment (what the user chooses; the learned state is `SelfLearningResult`).
public struct SelfLearningConfiguration: Sendable, Equatable {
    /// Upper bound on refinement rounds (each costs one pass over all unpaired X × unpaired Y similarities).
    /// On the text pairs a run from 50 pairs locks in within 5–6 rounds; from 20 pairs the loop first creeps
    /// — the mean CSLS barely moves while the precision of the pseudo-pairs climbs from 3 % to 50 % — and then
    /// locks in within two rounds: at rounds 13 and 18 on the two splits measured. 25 leaves room for that.
    public var maxIterations: Int = 25
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
    /// Cap on the shared dimension used for matching and returned (nil: all canonical components).
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
    public var independentComponents: Int? = 64

    public init() {}

    /// The map self-learning fits on a dictionary of row-aligned pairs: CCA with at most `maxSharedDimension`
    /// components, each weighted by ρ^`correlationPower`.
    func canonicalMaps(_ a: Matrix<Float>, _ b: Matrix<Float>) throws -> (x: Matrix<Float>, y: Matrix<Float>) {
        try CanonicalCorrelation(a: a, b: b, maxComponents: maxSharedDimension).weightedMaps(power: correlationPower)
    }
}

/// One refinement round.
public struct SelfLearningIteration: Sendable, Equatable {
    public var iteration: Int
    /// Number of pseudo-pairs (mutual CSLS matches among the unpaired rows) found in this round.
    public var matches: Int
    /// Their mean CSLS score: the label-free objective.
    public var meanScore: Double
    /// Their mean confidence margin.
    public var meanMargin: Double
    /// Fraction of this round's pseudo-pairs that were not in the previous round's set.
    public var newFraction: Double
}

/// The learned state of self-learning.
public struct SelfLearningResult: Sendable {
    /// The final maps (CCA on known pairs + the best round's pseudo-pairs).
    public var alignment: LinearAlignment
    /// The pseudo-pairs behind the final maps, as rows of the training X and Y, with their CSLS scores and
    /// confidence margins.
    public var pseudoPairs: MutualMatches
    public var iterations: [SelfLearningIteration]
    /// The best round's mean CSLS score (the label-free objective the final maps come from).
    public var bestObjective: Double
    /// Why the loop stopped.
    public var stopReason: String
    /// The independent components of the start, if it used them (pair-free: reusable for other runs on the
    /// same data).
    var independentComponents: (x: IndependentComponents, y: IndependentComponents)? = nil
}

/// Self-learning alignment over all unpaired rows.
///
/// Fit a map on what is known, use it to find new correspondences among the unpaired rows, refit on the known
/// pairs plus those, and repeat (the self-learning loop of VecMap: Artetxe, Labaka & Agirre 2018, "A robust
/// self-learning method for fully unsupervised cross-lingual mappings of word embeddings"):
///
/// 1. **Map.** Regularised CCA (`CanonicalCorrelation`) on the dictionary — the known pairs plus the current
///    pseudo-pairs — with components weighted by √ρ. CCA whitens each side, so that the map is a rotation
///    between whitened spaces; this is far more stable than ridge when the dictionary is large and noisy, and
///    the shrinkage rule γ = d/(n+d) keeps the first round on few pairs well posed.
/// 2. **Match.** Map every unpaired X and Y row; the pseudo-pairs are the mutual nearest neighbours under
///    CSLS (`cslsMutualNearestNeighbours`), each with its score and a confidence margin.
/// 3. **Stop** when the mean CSLS score of the mutual matches — how many and how confident the matches are,
///    which needs no labels — stops rising (by more than `relativeTolerance` of itself), when the pseudo-pair
///    set no longer changes (or changes by less than `minNewFraction` for `patience` rounds), or after
///    `maxIterations`. The round with the best objective is kept.
///
/// The start (round 0) is, in order of preference: `initial` (any other aligner's shared embedding: SE+CCA,
/// SUE's output, ridge …), else CCA on the known pairs side by side with the independent components of each
/// side matched with the pairs (`IndependentComponentStart`; CCA alone if `independentComponents` is nil);
/// with no known pairs `initial` is required (see `zeroPairInitialisation`).
///
/// Works on any features: raw encoder outputs, spectral embeddings, or another method's shared space.
/// Cost per round: two GEMM passes over |unpaired X| × |unpaired Y| × r, plus a CCA on the dictionary.
public func selfLearningAlignment(_ data: WeaklyPairedData,
                                  configuration: SelfLearningConfiguration = SelfLearningConfiguration(),
                                  initial: SharedEmbedding? = nil,
                                  context: FitContext = FitContext(seed: 0)) throws -> SelfLearningResult {
    try selfLearningAlignment(data, configuration: configuration, initial: initial, components: nil, context: context)
}

/// `selfLearningAlignment` with the start's independent components given (fitted by an earlier run on the same
/// data) instead of fitted here.
func selfLearningAlignment(_ data: WeaklyPairedData, configuration: SelfLearningConfiguration,
                           initial: SharedEmbedding?, components given: (x: IndependentComponents, y: IndependentComponents)?,
                           context: FitContext) throws -> SelfLearningResult {
    guard configuration.maxIterations >= 1, configuration.neighbours >= 1, configuration.patience >= 1,
          configuration.relativeTolerance >= 0, configuration.correlationPower >= 0,
          (0...1).contains(configuration.minNewFraction) else {
        throw AlignmentError.invalidConfiguration("self-learning: maxIterations, neighbours and patience must be ≥ 1, tolerance and power ≥ 0, minNewFraction in [0, 1] (got \(configuration))")
    }
    let prepared = try PreparedProblem(data)
    let unpairedX = data.unpairedXRows, unpairedY = data.unpairedYRows
    guard !unpairedX.isEmpty, !unpairedY.isEmpty else {
        throw AlignmentError.insufficientData("self-learning needs unpaired rows on both sides (X: \(unpairedX.count), Y: \(unpairedY.count))")
    }
    let poolX = prepared.x.rows(unpairedX), poolY = prepared.y.rows(unpairedY)

    /// CCA maps fitted on the known pairs plus `pseudo` (indices into the pools).
    func fitMaps(_ pseudo: MutualMatches) throws -> (x: Matrix<Float>, y: Matrix<Float>) {
        let rowsX = prepared.pairs.map(\.x) + pseudo.x.map { unpairedX[$0] }
        let rowsY = prepared.pairs.map(\.y) + pseudo.y.map { unpairedY[$0] }
        return try configuration.canonicalMaps(prepared.x.rows(rowsX), prepared.y.rows(rowsY))
    }

    // Round 0: the starting shared space.
    var embeddedX: Matrix<Float>, embeddedY: Matrix<Float>
    var startComponents: (x: IndependentComponents, y: IndependentComponents)? = nil
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
                                                          cca: try fitMaps(MutualMatches(x: [], y: [], score: [], margin: [])))
            embeddedX = Matrix.multiply(poolX, .none, maps.x, .none)
            embeddedY = Matrix.multiply(poolY, .none, maps.y, .none)
        } else {
            let maps = try fitMaps(MutualMatches(x: [], y: [], score: [], margin: []))
            embeddedX = Matrix.multiply(poolX, .none, maps.x, .none)
            embeddedY = Matrix.multiply(poolY, .none, maps.y, .none)
        }
    }

    var history: [SelfLearningIteration] = []
    var best: (score: Double, matches: MutualMatches)? = nil
    var previous: Set<Int64> = []
    var stopReason = "reached maxIterations (\(configuration.maxIterations))"
    var roundsWithoutProgress = 0, roundsSettled = 0
    let cslsWorkspace = CSLSWorkspace()
    for round in 0..<configuration.maxIterations {
        // One workspace for all rounds: the similarity buffer (530 MB at 11 500²) is page-faulted in once.
        let matches = try cslsMutualNearestNeighbours(embeddedX, embeddedY, k: configuration.neighbours, workspace: cslsWorkspace)
        let keys = Set(zip(matches.x, matches.y).map { Int64($0) << 32 | Int64($1) })
        let fresh = keys.isEmpty ? 0 : Double(keys.subtracting(previous).count) / Double(keys.count)
        let meanMargin = matches.margin.isEmpty ? 0 : matches.margin.reduce(0.0) { $0 + Double($1) } / Double(matches.count)
        let record = SelfLearningIteration(iteration: round, matches: matches.count, meanScore: matches.meanScore,
                                           meanMargin: meanMargin, newFraction: fresh)
        history.append(record)
        context.report("self-learning", Double(round + 1) / Double(configuration.maxIterations),
                       "round \(round): \(matches.count) pseudo-pairs, mean CSLS \(String(format: "%.4f", record.meanScore)), \(String(format: "%.1f", 100 * fresh))% new")
        if let b = best, record.meanScore <= b.score + configuration.relativeTolerance * abs(b.score) {
            if record.meanScore > b.score { best = (record.meanScore, matches) }
            roundsWithoutProgress += 1
            if roundsWithoutProgress >= configuration.patience {
                stopReason = "mean CSLS did not improve by more than \(configuration.relativeTolerance) (relative) for \(roundsWithoutProgress) rounds, at round \(round)"
                break
            }
        } else {
            roundsWithoutProgress = 0
            best = (record.meanScore, matches)
        }
        if keys == previous {
            stopReason = "pseudo-pairs unchanged in round \(round)"
            break
        }
        roundsSettled = round > 0 && fresh < configuration.minNewFraction ? roundsSettled + 1 : 0
        if roundsSettled >= configuration.patience {
            stopReason = String(format: "fewer than %.1f%% of the pseudo-pairs new for %d rounds, at round %d",
                                100 * configuration.minNewFraction, roundsSettled, round)
            break
        }
        previous = keys
        if round + 1 < configuration.maxIterations {
            let maps = try fitMaps(matches)
            embeddedX = Matrix.multiply(poolX, .none, maps.x, .none)
            embeddedY = Matrix.multiply(poolY, .none, maps.y, .none)
        }
    }
    let chosen = best?.matches ?? MutualMatches(x: [], y: [], score: [], margin: [])
    guard prepared.pairs.count + chosen.count >= 2 else {
        throw AlignmentError.insufficientData("self-learning found no pseudo-pairs to fit a map on")
    }
    let maps = try fitMaps(chosen)
    var pseudo = chosen
    pseudo.x = chosen.x.map { unpairedX[$0] }
    pseudo.y = chosen.y.map { unpairedY[$0] }
    return SelfLearningResult(alignment: prepared.model(mapX: maps.x, mapY: maps.y), pseudoPairs: pseudo,
                              iterations: history, bestObjective: best?.score ?? 0, stopReason: stopReason,
                              independentComponents: startComponents)
}

extension AlignmentMethods {
    /// Self-learning from the known pairs (CCA start), over all unpaired rows.
    public static let selfLearning = AlignmentMethod(
        name: "self-learning",
        summary: "CCA on known pairs, then rounds of CSLS mutual-NN pseudo-pairs over the unpaired rows and refit"
    ) { data, context in
        if data.pairs.count < 2 {
            let start = try zeroPairInitialisation(data, context: context)
            return try selfLearningAlignment(data, initial: start, context: context).alignment
        }
        return try selfLearningAlignment(data, context: context).alignment
    }
}
