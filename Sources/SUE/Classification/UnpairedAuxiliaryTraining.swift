import Foundation
import LinearAlgebra
import Autodiff

/// Unpaired auxiliary training: labelled rows of a second modality train the classifier of the first alongside its
/// own labelled rows, with no pairs at all — the setting of "Better Together" (unpaired multimodal learning, UML).
///
/// **Two ways to use the auxiliary rows.**
/// - *Joint network* (`Variant.joint`), UML's own model: each modality has its own input map into a common width
///   (a linear layer followed by LeakyReLU, on the rows' directions scaled to unit entries as in
///   `LogisticClassifier`), and one classifier head sits on top of both. Training minimises the cross-entropy of
///   the primary rows plus `auxiliaryWeight` times that of the auxiliary rows, with an L2 penalty on every weight,
///   by Adam on seeded mini-batches of each side. What the auxiliary labels teach the shared head, the primary map
///   only has to reach.
/// - *Transported rows* (`Variant.transported`): the auxiliary rows are carried into the primary space by an
///   entropic fused Gromov–Wasserstein plan between them and the primary rows, labelled and unlabelled
///   (`TransportedAuxiliaryRows`), and a logistic regression trains on the primary rows plus the carried rows,
///   each of which counts `transportedRowWeight` of a primary row. This needs unlabelled primary rows to place the
///   carried rows between the few labelled ones; without them the plan has little to go on.
///
/// **Never worse than primary-only.** The classifier a user would otherwise train on the primary rows alone, the
/// default `LogisticClassifier`, is trained too. All are scored by `folds`-fold cross-validation on the primary
/// labelled rows (seeded folds; the auxiliary and unlabelled rows always train, and the plan is recomputed in every
/// fold from that fold's labelled rows). A variant that uses the auxiliary rows is kept only if it classifies more
/// held-out primary rows right than the primary-only classifier — the joint network by more than one standard
/// error of the paired difference, the transported rows by any margin — and of two such, the one with the larger
/// gain. Otherwise the primary-only classifier is kept. The kept one is then retrained on all primary rows.
/// `UnpairedAuxiliaryModel.kept` says which, and every variant's validation accuracy is recorded.
///
/// **Measured** (docs/results.md): on two text encoders without pairs the joint network never validated clearly
/// better; the transported rows did where the two encoders agree on which texts are alike.
public struct UnpairedAuxiliaryTraining: Sendable, Codable, Equatable {
    /// Width of the common space the input maps lead into.
    public var width: Int
    /// Weight of the auxiliary rows' loss relative to the primary rows'.
    public var auxiliaryWeight: Double
    /// Weight of ½‖W‖² (every layer's weights) in the loss.
    public var penalty: Double
    /// Adam steps.
    public var steps: Int
    /// Rows per step from each side (all of a side's rows when it has fewer).
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Double
    /// Folds of the cross-validation that decides between the variants (at most the primary rows).
    public var folds: Int
    /// The plan that carries the auxiliary rows into the primary space (`Variant.transported`).
    public var transport: FusedGromovWasserstein
    /// What one carried auxiliary row counts, in primary rows, in the logistic regression that trains on both.
    public var transportedRowWeight: Double
    /// The L2 penalty of that logistic regression (see `LogisticClassifier.penalty`). Stronger than the
    /// primary-only default: the carried rows are only roughly placed, and a smooth classifier takes their classes'
    /// layout without fitting where each single row landed.
    public var transportedPenalty: Double
    /// Rows of each side the plan is computed on (sampled, seeded, beyond this); the plan costs O(n³) in it.
    public var transportRows: Int

    /// The estimator with its settings.
    public init(width: Int = 128, auxiliaryWeight: Double = 1, penalty: Double = 1e-3, steps: Int = 300,
                batchSize: Int = 256, learningRate: Double = 0.01, folds: Int = 4,
                transport: FusedGromovWasserstein = FusedGromovWasserstein(), transportedRowWeight: Double = 0.1,
                transportedPenalty: Double = 0.3, transportRows: Int = 2048) {
        self.width = width; self.auxiliaryWeight = auxiliaryWeight; self.penalty = penalty; self.steps = steps
        self.batchSize = batchSize; self.learningRate = learningRate; self.folds = folds
        self.transport = transport; self.transportedRowWeight = transportedRowWeight
        self.transportedPenalty = transportedPenalty; self.transportRows = transportRows
    }

    /// Which classifier a fit kept.
    public enum Variant: String, Sendable, Codable, Equatable, CaseIterable {
        /// The logistic regression trained on the primary rows alone.
        case primaryOnly = "primary-only"
        /// The network trained on both modalities' labelled rows.
        case joint
        /// The logistic regression trained on the primary rows and the auxiliary rows carried into their space.
        case transported
    }

    /// Trains on `primary` (the modality to classify) with `auxiliary` (the other modality's labelled rows) and,
    /// for the transported variant, `unlabelled` primary rows (for example the rows to classify). The classes are
    /// the union of both sides' labels.
    public func fit(primary: LabelledRows, auxiliary: LabelledRows, unlabelled: Matrix<Float>? = nil,
                    context: FitContext) throws -> UnpairedAuxiliaryModel {
        guard width >= 1, auxiliaryWeight >= 0, penalty >= 0, steps >= 1, batchSize >= 1, learningRate > 0, folds >= 2,
              transportedRowWeight >= 0, transportedRowWeight.isFinite, transportedPenalty >= 0, transportRows >= 2 else {
            throw AlignmentError.invalidConfiguration("unpaired auxiliary training: need width, steps and batch size ≥ 1, folds ≥ 2, at least 2 transport rows, non-negative finite weights and a positive learning rate")
        }
        guard primary.rows.rows >= 2 else {
            throw AlignmentError.insufficientData("unpaired auxiliary training needs at least 2 labelled primary rows to validate on, got \(primary.rows.rows)")
        }
        guard auxiliary.rows.rows >= 1 else {
            throw AlignmentError.insufficientData("unpaired auxiliary training needs labelled rows of the other side, got none")
        }
        let unlabelled = unlabelled ?? Matrix(rows: 0, columns: primary.rows.columns)
        guard unlabelled.columns == primary.rows.columns else {
            throw AlignmentError.shapeMismatch("unpaired auxiliary training: the unlabelled rows have \(unlabelled.columns) columns; the labelled rows of their side have \(primary.rows.columns)")
        }
        if let (row, column, value) = unlabelled.firstNonFinite() {
            throw AlignmentError.nonFinite(what: "unlabelled rows", row: row, column: column, value: Double(value))
        }
        let classes = sortedClasses(primary.labels + auxiliary.labels)
        let p = primary.relabelled(to: classes), a = auxiliary.relabelled(to: classes)
        let inputs = (primary: directionRows(p.rows), auxiliary: directionRows(a.rows))
        let candidates = Variant.allCases.filter { variant in
            switch variant {
            case .primaryOnly: return true
            case .joint: return auxiliaryWeight > 0
            case .transported: return transportedRowWeight > 0
            }
        }
        return try context.run {
            // Folds: a seeded permutation of the primary rows dealt round-robin.
            var rng = SeededRandom(seed: derivedSeed(context.seed, 0xF01D))
            let order = rng.permutation(p.rows.rows)
            let k = min(folds, p.rows.rows)
            // Per variant, 1 or 0 per held-out row, in fold order.
            var hits = [Variant: [Double]]()
            for fold in 0..<k {
                let held = order.enumerated().filter { $0.offset % k == fold }.map(\.element)
                let kept = order.enumerated().filter { $0.offset % k != fold }.map(\.element)
                let truth = held.map { p.targets[$0] }
                let fitted = try train(candidates, p.subset(kept), inputs.primary.rows(kept), a, inputs.auxiliary,
                                       unlabelled, seed: derivedSeed(context.seed, UInt64(fold)))
                for (variant, classifier) in fitted {
                    let predicted = Predictions(classes: classes, bestOf: classifier.probabilities(p.rows.rows(held))).classIndices
                    hits[variant, default: []] += zip(predicted, truth).map { $0 == $1 ? 1.0 : 0.0 }
                }
                context.report("unpaired auxiliary training", Double(fold + 1) / Double(k + 1), "validation fold \(fold + 1) of \(k)")
            }
            // The variant with the largest gain over primary-only among those that pass their rule. The joint
            // network must win by more than a standard error: kept on smaller margins, it lost about as often as
            // it won. The carried rows need only validate better: on a few labelled rows per class their real
            // gains often sit within a standard error of the folds, and where they validated better they lost
            // no more than a reseeded primary-only classifier moves (docs/results.md).
            let alone = hits[.primaryOnly]!
            var chosen = Variant.primaryOnly, bestGain = 0.0
            for variant in candidates where variant != .primaryOnly {
                let differences = zip(hits[variant]!, alone).map { $0 - $1 }
                let gain = differences.reduce(0, +)
                let passes = variant == .joint ? clearlyPositive(differences) : gain > 0
                if passes && gain > bestGain { (chosen, bestGain) = (variant, gain) }
            }
            let final = try train([chosen], p, inputs.primary, a, inputs.auxiliary, unlabelled,
                                  seed: derivedSeed(context.seed, 0xF1A1))
            let n = Double(p.rows.rows)
            return UnpairedAuxiliaryModel(classes: classes, classifier: final[chosen]!, kept: chosen,
                                          validationAccuracy: hits.mapValues { $0.reduce(0, +) / n })
        }
    }

    /// The classifiers of `variants` trained on `primary` (and, for the others than primary-only, `auxiliary`).
    private func train(_ variants: [Variant], _ primary: LabelledRows, _ primaryInputs: Matrix<Float>,
                       _ auxiliary: LabelledRows, _ auxiliaryInputs: Matrix<Float>, _ unlabelled: Matrix<Float>,
                       seed: UInt64) throws -> [Variant: KeptClassifier] {
        // Logistic regression takes rows and makes its own direction features (the same as `primaryInputs`). The
        // primary-only classifier is also what the transported rows' feature cost is made from.
        let alone = variants.contains(.primaryOnly) || variants.contains(.transported)
            ? try LogisticClassifier().fit(primary, context: FitContext(seed: seed)) : nil
        var out = [Variant: KeptClassifier]()
        for variant in variants {
            switch variant {
            case .primaryOnly:
                out[variant] = .logistic(alone!)
            case .joint:
                out[variant] = try trainJoint(primary, primaryInputs, auxiliary, auxiliaryInputs, seed: seed)
            case .transported:
                let carried = try TransportedAuxiliaryRows(transport: transport, sampleRows: transportRows)
                    .carry(auxiliary, primary: primary, unlabelled: unlabelled, primaryOnly: alone!, seed: derivedSeed(seed, 0x7A))
                var extra = auxiliary
                extra.rows = carried
                // Full batches: the carried rows are many and noisy, and a sampled batch of them makes the
                // last Adam step land wherever that batch's noise points.
                let classifier = LogisticClassifier(penalty: transportedPenalty, batchSize: max(primary.rows.rows, carried.rows))
                out[variant] = .logistic(try classifier.fit(primary, extra: extra, extraRowWeight: transportedRowWeight,
                                                             context: FitContext(seed: seed)))
            }
        }
        return out
    }

    /// The joint network: each side's input map and the shared head, trained on both sides' labelled rows.
    private func trainJoint(_ primary: LabelledRows, _ primaryInputs: Matrix<Float>,
                            _ auxiliary: LabelledRows, _ auxiliaryInputs: Matrix<Float>, seed: UInt64) throws -> KeptClassifier {
        var rng = SeededRandom(seed: seed)
        let adapter = Linear<Float>(inputs: primaryInputs.columns, outputs: width, rng: &rng)
        let head = Linear<Float>(inputs: width, outputs: primary.classes.count, rng: &rng)
        let auxiliaryAdapter = Linear<Float>(inputs: auxiliaryInputs.columns, outputs: width, rng: &rng)
        let xp = Tensor(constant: primaryInputs), xa = Tensor(constant: auxiliaryInputs)
        let weight = Float(auxiliaryWeight)
        try trainSoftmax(parameters: adapter.parameters + head.parameters + auxiliaryAdapter.parameters,
                         penalised: [adapter.weight, head.weight, auxiliaryAdapter.weight], penalty: penalty,
                         steps: steps, learningRate: learningRate,
                         streams: [BatchStream(rows: primaryInputs.rows, batchSize: batchSize),
                                   BatchStream(rows: auxiliaryInputs.rows, batchSize: batchSize)],
                         rng: &rng, what: "unpaired auxiliary training") { tape, batches in
            let logits = head(adapter(tape.gatherRows(xp, batches[0]), activation: .leakyReLU))
            let other = head(auxiliaryAdapter(tape.gatherRows(xa, batches[1]), activation: .leakyReLU))
            return tape.crossEntropy(logits, targets: batches[0].map { primary.targets[$0] })
                + tape.crossEntropy(other, targets: batches[1].map { auxiliary.targets[$0] }) * weight
        }
        return .network(AdapterNetwork(adapterWeight: adapter.weight.value, adapterBias: adapter.bias!.value,
                                       headWeight: head.weight.value, headBias: head.bias!.value))
    }
}

/// Whether the mean of paired differences is above zero by more than one standard error (the rule `Automatic` uses
/// against ridge): a win of a row or two among a few hundred held-out rows is noise, and keeping a variant that uses
/// the auxiliary rows on it would make it worse than the primary-only classifier about as often as better.
func clearlyPositive(_ differences: [Double]) -> Bool {
    guard differences.count >= 2 else { return false }
    let (mean, standardError) = meanAndStandardError(differences)
    return mean > 0 && mean > standardError
}

/// What a fit keeps: the joint network, or a logistic regression (of the primary rows alone, or with the carried
/// auxiliary rows).
enum KeptClassifier: Sendable, Equatable {
    case network(AdapterNetwork)
    case logistic(FittedLogisticClassifier)

    /// Class probabilities of raw primary rows.
    func probabilities(_ rows: Matrix<Float>) -> Matrix<Double> {
        switch self {
        case .network(let n): return softmaxRows(n.logits(directionRows(rows)))
        case .logistic(let l): return l.probabilities(rows)
        }
    }
}

/// The primary modality's input map and the shared head, as plain matrices.
struct AdapterNetwork: Sendable, Equatable {
    let adapterWeight: Matrix<Float>
    let adapterBias: Matrix<Float>
    let headWeight: Matrix<Float>
    let headBias: Matrix<Float>

    /// The logits of rows already turned into direction features.
    func logits(_ inputs: Matrix<Float>) -> Matrix<Float> {
        var hidden = affineMap(inputs, weight: adapterWeight, bias: adapterBias)
        for k in hidden.elements.indices where hidden.elements[k] < 0 { hidden.elements[k] *= 0.01 }  // LeakyReLU
        return affineMap(hidden, weight: headWeight, bias: headBias)
    }
}

/// A classifier of the primary modality trained with (or, when that validated no better, without) the other
/// modality's labelled rows; a row's score is the probability of its predicted class.
public struct UnpairedAuxiliaryModel: FittedClassifier, Equatable {
    /// The class names: the union of both sides' labels.
    public let classes: [String]
    let classifier: KeptClassifier
    /// Which classifier was kept.
    public let kept: UnpairedAuxiliaryTraining.Variant
    /// Cross-validated accuracy (0…1) on the primary labelled rows of each variant.
    public let validationAccuracy: [UnpairedAuxiliaryTraining.Variant: Double]

    /// Columns of the primary rows.
    public var inputColumns: Int {
        switch classifier {
        case .network(let n): return n.adapterWeight.columns
        case .logistic(let l): return l.inputColumns
        }
    }

    /// The most probable class of each primary row and its probability.
    public func predict(_ rows: Matrix<Float>) throws -> Predictions {
        try checkClassifierInput(rows, columns: inputColumns)
        return Predictions(classes: classes, bestOf: classifier.probabilities(rows))
    }
}
