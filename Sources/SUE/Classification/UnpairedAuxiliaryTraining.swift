import Foundation
import LinearAlgebra
import Autodiff

/// Unpaired auxiliary training: labelled rows of a second modality train the classifier of the first alongside its
/// own labelled rows, with no pairs at all — the setting of "Better Together" (unpaired multimodal learning, UML).
///
/// **Model.** Each modality has its own input map into a common width (a linear layer followed by LeakyReLU, on
/// the rows' directions scaled to unit entries as in `LogisticClassifier`), and one classifier head (a linear
/// layer to the classes) sits on top of both. Training minimises the cross-entropy of the primary rows plus
/// `auxiliaryWeight` times that of the auxiliary rows, with an L2 penalty on every weight, by Adam on seeded
/// mini-batches of each side. The shared head is the point: what the many auxiliary labels teach it about the
/// classes' layout in the common space, the primary map only has to reach.
///
/// **Never worse than primary-only.** The classifier a user would otherwise train on the primary rows alone, the
/// default `LogisticClassifier`, is trained too. Both are scored by `folds`-fold cross-validation on the primary
/// labelled rows (seeded folds; the auxiliary rows always train), and the joint network is kept only if it
/// classifies more held-out primary rows right by more than one standard error of the paired difference; otherwise
/// the primary-only classifier is. The kept one is then retrained on all primary rows.
/// `UnpairedAuxiliaryModel.kept` says which, and both validation accuracies are recorded.
///
/// **Measured** (docs/results.md): on two text encoders without pairs the joint network never validated clearly
/// better, so the primary-only classifier was kept; the auxiliary labels shape the shared head, but each side's
/// own map is still learnt from that side's rows alone.
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
    /// Folds of the cross-validation that decides between joint and primary-only (at most the primary rows).
    public var folds: Int

    /// The estimator with its settings.
    public init(width: Int = 128, auxiliaryWeight: Double = 1, penalty: Double = 1e-3, steps: Int = 300,
                batchSize: Int = 256, learningRate: Double = 0.01, folds: Int = 4) {
        self.width = width; self.auxiliaryWeight = auxiliaryWeight; self.penalty = penalty; self.steps = steps
        self.batchSize = batchSize; self.learningRate = learningRate; self.folds = folds
    }

    /// Which network a fit kept.
    public enum Variant: String, Sendable, Codable, Equatable {
        /// The network trained on both modalities' labelled rows.
        case joint
        /// The logistic regression trained on the primary rows alone.
        case primaryOnly = "primary-only"
    }

    /// Trains on `primary` (the modality to classify) with `auxiliary` (the other modality's labelled rows).
    /// The classes are the union of both sides' labels.
    public func fit(primary: LabelledRows, auxiliary: LabelledRows, context: FitContext) throws -> UnpairedAuxiliaryModel {
        guard width >= 1, auxiliaryWeight >= 0, penalty >= 0, steps >= 1, batchSize >= 1, learningRate > 0, folds >= 2 else {
            throw AlignmentError.invalidConfiguration("unpaired auxiliary training: need width, steps and batch size ≥ 1, folds ≥ 2, non-negative weights and a positive learning rate")
        }
        guard primary.rows.rows >= 2 else {
            throw AlignmentError.insufficientData("unpaired auxiliary training needs at least 2 labelled primary rows to validate on, got \(primary.rows.rows)")
        }
        let classes = sortedClasses(primary.labels + auxiliary.labels)
        let p = primary.relabelled(to: classes), a = auxiliary.relabelled(to: classes)
        let inputs = (primary: directionRows(p.rows), auxiliary: directionRows(a.rows))
        return try context.run {
            // Folds: a seeded permutation of the primary rows dealt round-robin.
            var rng = SeededRandom(seed: derivedSeed(context.seed, 0xF01D))
            let order = rng.permutation(p.rows.rows)
            let k = min(folds, p.rows.rows)
            // Per held-out row: +1 if only the joint network is right, −1 if only the primary-only one is.
            var right = (primaryOnly: 0, joint: 0), differences = [Double]()
            for fold in 0..<k {
                let held = order.enumerated().filter { $0.offset % k == fold }.map(\.element)
                let kept = order.enumerated().filter { $0.offset % k != fold }.map(\.element)
                let truth = held.map { p.targets[$0] }
                let hits = try [Variant.primaryOnly, .joint].map { variant in
                    let fitted = try train(variant, p.subset(kept), inputs.primary.rows(kept), a, inputs.auxiliary,
                                           seed: derivedSeed(context.seed, UInt64(fold)))
                    let predicted = Predictions(classes: classes, bestOf: fitted.probabilities(p.rows.rows(held))).classIndices
                    return zip(predicted, truth).map { $0 == $1 ? 1.0 : 0.0 }
                }
                right.primaryOnly += Int(hits[0].reduce(0, +))
                right.joint += Int(hits[1].reduce(0, +))
                differences += zip(hits[1], hits[0]).map { $0 - $1 }
                context.report("unpaired auxiliary training", Double(fold + 1) / Double(k + 1), "validation fold \(fold + 1) of \(k)")
            }
            let chosen: Variant = clearlyPositive(differences) ? .joint : .primaryOnly
            let final = try train(chosen, p, inputs.primary, a, inputs.auxiliary, seed: derivedSeed(context.seed, 0xF1A1))
            let n = Double(p.rows.rows)
            return UnpairedAuxiliaryModel(classes: classes, classifier: final, kept: chosen,
                                          validationAccuracy: [.primaryOnly: Double(right.primaryOnly) / n,
                                                               .joint: Double(right.joint) / n])
        }
    }

    /// The classifier of `variant` trained on `primary` (and, for the joint network, `auxiliary`).
    private func train(_ variant: Variant, _ primary: LabelledRows, _ primaryInputs: Matrix<Float>,
                       _ auxiliary: LabelledRows, _ auxiliaryInputs: Matrix<Float>, seed: UInt64) throws -> KeptClassifier {
        guard variant == .joint && auxiliaryWeight > 0 else {
            // Logistic regression takes rows and makes its own direction features (the same as `primaryInputs`).
            return .logistic(try LogisticClassifier().fit(primary, context: FitContext(seed: seed)))
        }
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
/// against ridge): a win of a row or two among a few hundred held-out rows is noise, and keeping the joint network on
/// it would make it worse than the primary-only classifier about as often as better.
func clearlyPositive(_ differences: [Double]) -> Bool {
    guard differences.count >= 2 else { return false }
    let (mean, standardError) = meanAndStandardError(differences)
    return mean > 0 && mean > standardError
}

/// What a fit keeps: the joint network, or the logistic regression of the primary rows alone.
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
