import Foundation
import LinearAlgebra
import Autodiff

/// Multinomial logistic regression (softmax regression) on the rows' directions, with an L2 penalty on the
/// weights, trained by Adam on seeded mini-batches.
///
/// **Inputs.** Each row is L2-normalised and multiplied by √columns, so its entries are of unit scale whatever
/// the encoder and the decision depends only on the row's direction. No per-column standardisation: statistics
/// of one modality's training rows would distort the other modality's rows when the classifier is carried across
/// a shared space.
///
/// **Why these defaults.** A linear probe is what practitioners put on frozen embeddings (Radford et al., *CLIP*,
/// 2021, §3.2): with many rows it beats a nearest mean, and the penalty keeps it from fitting the noise of a
/// handful. `penalty` 10⁻³ and 300 steps of 512 rows (learning rate 0.01) converge on a few thousand rows of a few
/// hundred columns without tuning.
public struct LogisticClassifier: Classifier, Equatable {
    /// Weight of ½‖W‖² in the loss.
    public var penalty: Double
    /// Adam steps.
    public var steps: Int
    /// Rows per step (all rows when there are fewer).
    public var batchSize: Int
    /// Adam's learning rate.
    public var learningRate: Double

    /// The classifier with its training schedule.
    public init(penalty: Double = 1e-3, steps: Int = 300, batchSize: Int = 512, learningRate: Double = 0.01) {
        self.penalty = penalty; self.steps = steps; self.batchSize = batchSize; self.learningRate = learningRate
    }

    /// Trains the weights on `data`.
    public func fit(_ data: LabelledRows, context: FitContext) throws -> FittedLogisticClassifier {
        try train(data, extra: nil, context: context)
    }

    /// Trains on `data` and on `extra` rows (same classes and columns) that each count `extraRowWeight` of a row of
    /// `data`: the loss is the mean cross-entropy of a batch of `data` plus `extraRowWeight · extra.rows / data.rows`
    /// times that of a batch of `extra`, so the weight means the same whatever the two sets' sizes.
    public func fit(_ data: LabelledRows, extra: LabelledRows, extraRowWeight: Double, context: FitContext) throws -> FittedLogisticClassifier {
        guard extraRowWeight >= 0, extraRowWeight.isFinite else {
            throw AlignmentError.invalidConfiguration("logistic regression: the extra rows' weight must be finite and non-negative, got \(extraRowWeight)")
        }
        guard extra.classes == data.classes, extra.rows.columns == data.rows.columns else {
            throw AlignmentError.shapeMismatch("logistic regression: the extra rows have \(extra.rows.columns) columns and \(extra.classes.count) classes; the rows have \(data.rows.columns) and \(data.classes.count), and the classes must be the same")
        }
        return try train(data, extra: (extra, extraRowWeight * Double(extra.rows.rows) / Double(max(1, data.rows.rows))), context: context)
    }

    /// Adam on the mean cross-entropy of `data`'s batches plus, with `extra`, its weight times that of its batches.
    private func train(_ data: LabelledRows, extra: (rows: LabelledRows, weight: Double)?, context: FitContext) throws -> FittedLogisticClassifier {
        guard penalty >= 0, steps >= 1, batchSize >= 1, learningRate > 0 else {
            throw AlignmentError.invalidConfiguration("logistic regression: need penalty ≥ 0, steps ≥ 1, batch size ≥ 1 and a positive learning rate")
        }
        return try context.run {
            var rng = SeededRandom(seed: derivedSeed(context.seed, 0x106))
            let layer = Linear<Float>(inputs: data.rows.columns, outputs: data.classes.count, rng: &rng)
            let inputs = [Tensor(constant: directionRows(data.rows))] + (extra.map { [Tensor(constant: directionRows($0.rows.rows))] } ?? [])
            let targets = [data.targets] + (extra.map { [$0.rows.targets] } ?? [])
            let weights = [Float(1)] + (extra.map { [Float($0.weight)] } ?? [])
            try trainSoftmax(parameters: layer.parameters, penalised: [layer.weight], penalty: penalty, steps: steps,
                             learningRate: learningRate, streams: inputs.map { BatchStream(rows: $0.rows, batchSize: batchSize) },
                             rng: &rng, what: "logistic regression") { tape, batches in
                var loss = tape.crossEntropy(layer(tape.gatherRows(inputs[0], batches[0])), targets: batches[0].map { targets[0][$0] })
                for s in 1..<inputs.count {
                    loss = loss + tape.crossEntropy(layer(tape.gatherRows(inputs[s], batches[s])), targets: batches[s].map { targets[s][$0] }) * weights[s]
                }
                return loss
            }
            return FittedLogisticClassifier(classes: data.classes, weight: layer.weight.value, bias: layer.bias!.value)
        }
    }
}

/// The weights of a softmax regression; a row's score is the probability of its predicted class (0…1).
public struct FittedLogisticClassifier: FittedClassifier, Equatable {
    /// The class names.
    public let classes: [String]
    /// classes × columns.
    public let weight: Matrix<Float>
    /// 1 × classes.
    public let bias: Matrix<Float>

    /// Columns of the rows to classify.
    public var inputColumns: Int { weight.columns }

    /// The most probable class of each row and its probability.
    public func predict(_ rows: Matrix<Float>) throws -> Predictions {
        try checkClassifierInput(rows, columns: inputColumns)
        return Predictions(classes: classes, bestOf: probabilities(rows))
    }

    /// The class probabilities of each row (rows × classes).
    func probabilities(_ rows: Matrix<Float>) -> Matrix<Double> {
        softmaxRows(affineMap(directionRows(rows), weight: weight, bias: bias))
    }
}

/// Rows L2-normalised and scaled by √columns: unit-scale entries that carry only each row's direction.
func directionRows(_ rows: Matrix<Float>) -> Matrix<Float> {
    var unit = rows.normalizedRows()
    let scale = Float(Double(rows.columns).squareRoot())
    for k in unit.elements.indices { unit.elements[k] *= scale }
    return unit
}

/// x Wᵀ + b for a whole matrix (inference, no tape).
func affineMap(_ x: Matrix<Float>, weight: Matrix<Float>, bias: Matrix<Float>) -> Matrix<Float> {
    var out = Matrix.multiply(x, .none, weight, .transposed)
    let c = out.columns
    for i in 0..<out.rows { for j in 0..<c { out.elements[i * c + j] += bias.elements[j] } }
    return out
}

/// The softmax of each row, in Double (the largest logit subtracted first, so it cannot overflow).
func softmaxRows(_ logits: Matrix<Float>) -> Matrix<Double> {
    var p = logits.converted(to: Double.self)
    let c = p.columns
    for i in 0..<p.rows {
        let top = (0..<c).map { p.elements[i * c + $0] }.max() ?? 0
        var total = 0.0
        for j in 0..<c { let e = Foundation.exp(p.elements[i * c + j] - top); p.elements[i * c + j] = e; total += e }
        for j in 0..<c { p.elements[i * c + j] /= total }
    }
    return p
}

/// Seeded mini-batches of one set of rows: each pass over the rows a new permutation; every row in each batch when
/// there are no more rows than the batch size.
struct BatchStream {
    let rows: Int
    let batchSize: Int
    private var order: [Int] = []
    private var position = 0

    init(rows: Int, batchSize: Int) { self.rows = rows; self.batchSize = batchSize }

    mutating func next(_ rng: inout SeededRandom) -> [Int] {
        if rows <= batchSize { return Array(0..<rows) }
        if order.isEmpty || position + batchSize > rows { order = rng.permutation(rows); position = 0 }
        defer { position += batchSize }
        return Array(order[position..<(position + batchSize)])
    }
}

/// Minimises `loss(batches) + penalty·½Σ‖W‖²` (W over `penalised`) with Adam for `steps` steps; each step draws
/// one batch from each stream. Throws `trainingDiverged` if the loss stops being finite.
func trainSoftmax(parameters: [Tensor<Float>], penalised: [Tensor<Float>], penalty: Double, steps: Int,
                  learningRate: Double, streams: [BatchStream], rng: inout SeededRandom, what: String,
                  loss: (Tape<Float>, [[Int]]) -> Tensor<Float>) throws {
    let optimizer = Adam(parameters: parameters, learningRate: learningRate)
    let tape = Tape<Float>()
    var streams = streams
    for _ in 0..<steps {
        let batches = streams.indices.map { streams[$0].next(&rng) }
        tape.reset()
        optimizer.zeroGradients()
        var total = loss(tape, batches)
        for w in penalised where penalty > 0 {
            total = total + tape.sum(tape.multiply(w, w)) * Float(penalty / 2)
        }
        do { try tape.backward(total) } catch {
            throw AlignmentError.trainingDiverged("\(what): the loss is \(total.scalar)")
        }
        optimizer.step()
    }
}
