import Foundation
import LinearAlgebra
import Autodiff

/// The contrastive baseline: two small networks trained on the pairs only with the symmetric InfoNCE loss of
/// CLIP (Radford et al., 2021; van den Oord et al., *Representation learning with contrastive predictive
/// coding*, 2018) — what the paper compares SUE with (Table 1), given the care a fair reviewer would demand.
///
/// **Model.** Each modality is standardised (column means and scales from all of its rows, paired or not) and
/// mapped by its own network, linear or one hidden LeakyReLU layer, to `outputDimension` columns, then
/// normalised to unit length. For a batch of m pairs, logits = Z_X Z_Yᵀ/τ and the loss is
/// ½[CE(logits, diag) + CE(logitsᵀ, diag)]. AdamW, full batch up to `batchSize` pairs.
///
/// **Honest tuning.** A fifth of the pairs (at least one) is held out. Every combination of temperature, width
/// and weight decay in the grid is trained with early stopping on the held-out mean reciprocal rank — the rank of
/// each held-out partner among the held-out partners *plus* up to `distractors` unpaired rows of the other
/// modality, both directions, so the signal is not a coin flip between two candidates when pairs are few. The best
/// combination is then retrained on all pairs for its best number of epochs.
public struct ContrastiveAlignment {
    public struct Configuration: Sendable {
        public var temperatures: [Double]
        /// Hidden widths to try; 0 means a linear map.
        public var widths: [Int]
        public var weightDecays: [Double]
        public var outputDimension: Int
        public var learningRate: Double
        public var maximumEpochs: Int
        /// Stop when the validation MRR has not improved for this many epochs (checked every `evaluationInterval`).
        public var patience: Int
        public var evaluationInterval: Int
        public var validationFraction: Double
        public var batchSize: Int
        public var distractors: Int
        public init(temperatures: [Double] = [0.05, 0.1, 0.2], widths: [Int] = [0, 256], weightDecays: [Double] = [1e-4, 1e-2],
                    outputDimension: Int = 64, learningRate: Double = 1e-3, maximumEpochs: Int = 300, patience: Int = 30,
                    evaluationInterval: Int = 5, validationFraction: Double = 0.2, batchSize: Int = 512, distractors: Int = 500) {
            self.temperatures = temperatures; self.widths = widths; self.weightDecays = weightDecays
            self.outputDimension = outputDimension; self.learningRate = learningRate; self.maximumEpochs = maximumEpochs
            self.patience = patience; self.evaluationInterval = evaluationInterval
            self.validationFraction = validationFraction; self.batchSize = batchSize; self.distractors = distractors
        }
        public static let `default` = Configuration()
    }

    /// One hyper-parameter combination and how it did on the held-out pairs.
    public struct Candidate: Sendable {
        public let temperature: Double
        public let width: Int
        public let weightDecay: Double
        public let validationMRR: Double
        public let bestEpoch: Int
    }

    public let configuration: Configuration
    public init(configuration: Configuration = .default) { self.configuration = configuration }

    public func fit(_ data: WeaklyPairedData, seed: UInt64,
                    progress: ((String) -> Void)? = nil) throws -> FittedContrastiveAlignment {
        let c = configuration
        try requireFiniteInput(data.x, "X"); try requireFiniteInput(data.y, "Y")
        guard data.pairs.count >= 3 else {
            throw PipelineError.invalidInput("contrastive needs at least 3 pairs (2 to train, 1 to validate), got \(data.pairs.count)")
        }
        guard !c.temperatures.isEmpty, !c.widths.isEmpty, !c.weightDecays.isEmpty, c.outputDimension >= 1,
              c.temperatures.allSatisfy({ $0 > 0 }) else {
            throw PipelineError.invalidConfiguration("contrastive: empty grid or non-positive temperature/output size")
        }
        var rng = SeededRandom(seed: seed)
        let sx = ColumnStandardizer(fitting: data.x), sy = ColumnStandardizer(fitting: data.y)
        let x = sx.apply(data.pairedX), y = sy.apply(data.pairedY)
        let (train, validation) = trainValidationSplit(data.pairs.count, validationFraction: c.validationFraction, rng: &rng)
        // Distractors: unpaired rows of each side (never a paired row, so never anyone's true partner).
        let pairedX = Set(data.pairs.map(\.x)), pairedY = Set(data.pairs.map(\.y))
        let freeX = rng.permutation(data.x.rows).filter { !pairedX.contains($0) }.prefix(c.distractors)
        let freeY = rng.permutation(data.y.rows).filter { !pairedY.contains($0) }.prefix(c.distractors)
        let candidatesX = Matrix<Float>(rows: validation.count + freeX.count, columns: x.columns, elements:
            x.rows(validation).elements + sx.apply(data.x.rows(Array(freeX))).elements)
        let candidatesY = Matrix<Float>(rows: validation.count + freeY.count, columns: y.columns, elements:
            y.rows(validation).elements + sy.apply(data.y.rows(Array(freeY))).elements)

        var candidates: [Candidate] = []
        var grid: [(Double, Int, Double)] = []
        for t in c.temperatures { for w in c.widths { for wd in c.weightDecays { grid.append((t, w, wd)) } } }
        for (index, (t, w, wd)) in grid.enumerated() {
            let trial = ContrastiveTrial(configuration: c, inputsX: x.columns, inputsY: y.columns, width: w,
                                         temperature: t, weightDecay: wd, seed: derivedSeed(seed, UInt64(index)))
            var best = (mrr: -1.0, epoch: 0)
            var epoch = 0
            while epoch < c.maximumEpochs && epoch - best.epoch < c.patience {
                let steps = min(c.evaluationInterval, c.maximumEpochs - epoch)
                try trial.train(x.rows(train), y.rows(train), epochs: steps, rng: &rng)
                epoch += steps
                let mrr = trial.meanReciprocalRank(queriesX: x.rows(validation), queriesY: y.rows(validation),
                                                   candidatesX: candidatesX, candidatesY: candidatesY)
                if mrr > best.mrr { best = (mrr, epoch) }
            }
            candidates.append(Candidate(temperature: t, width: w, weightDecay: wd, validationMRR: best.mrr, bestEpoch: best.epoch))
            progress?(String(format: "τ %.2f width %d wd %.0e: validation MRR %.3f at epoch %d", t, w, wd, best.mrr, best.epoch))
        }
        // Highest MRR; ties to the earlier (simpler: linear before hidden, smaller decay) combination.
        let chosen = candidates.enumerated().max { a, b in
            a.element.validationMRR < b.element.validationMRR
                || (a.element.validationMRR == b.element.validationMRR && a.offset > b.offset)
        }!.element
        let final = ContrastiveTrial(configuration: c, inputsX: x.columns, inputsY: y.columns, width: chosen.width,
                                     temperature: chosen.temperature, weightDecay: chosen.weightDecay,
                                     seed: derivedSeed(seed, 1000))
        try final.train(x, y, epochs: max(1, chosen.bestEpoch), rng: &rng)
        return FittedContrastiveAlignment(standardizerX: sx, standardizerY: sy, trial: final, chosen: chosen,
                                          candidates: candidates)
    }
}

/// The two networks of one hyper-parameter combination, with their optimiser.
final class ContrastiveTrial {
    let networkX: MLP<Float>
    let networkY: MLP<Float>
    let optimizer: Adam<Float>
    let temperature: Double
    let batchSize: Int
    let tape = Tape<Float>()

    init(configuration c: ContrastiveAlignment.Configuration, inputsX: Int, inputsY: Int, width: Int,
         temperature: Double, weightDecay: Double, seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        func network(_ inputs: Int) -> MLP<Float> {
            width > 0 ? MLP(sizes: [inputs, width, c.outputDimension], hidden: .leakyReLU, output: .identity, rng: &rng)
                      : MLP(sizes: [inputs, c.outputDimension], activations: [.identity], rng: &rng)
        }
        networkX = network(inputsX)
        networkY = network(inputsY)
        optimizer = Adam.adamW(parameters: networkX.parameters + networkY.parameters, learningRate: c.learningRate,
                               weightDecay: weightDecay)
        self.temperature = temperature
        batchSize = c.batchSize
    }

    func train(_ x: Matrix<Float>, _ y: Matrix<Float>, epochs: Int, rng: inout SeededRandom) throws {
        let dataX = Tensor(constant: x), dataY = Tensor(constant: y)
        let batches = max(1, (x.rows + batchSize - 1) / batchSize)
        let scale = Float(1 / temperature)
        for _ in 0..<epochs {
            let order = rng.permutation(x.rows)
            for b in 0..<batches {
                let rows = Array(order[(order.count * b / batches)..<(order.count * (b + 1) / batches)])
                if rows.count < 2 { continue }
                tape.reset()
                optimizer.zeroGradients()
                let zx = tape.l2NormalizedRows(networkX(tape.gatherRows(dataX, rows)))
                let zy = tape.l2NormalizedRows(networkY(tape.gatherRows(dataY, rows)))
                let logits = tape.matmul(zx, zy, transposeB: true) * scale
                let labels = Array(0..<rows.count)
                let loss = (tape.crossEntropy(logits, targets: labels)
                            + tape.crossEntropy(tape.transpose(logits), targets: labels)) * Float(0.5)
                do { try tape.backward(loss) } catch {
                    throw PipelineError.trainingDiverged("contrastive loss is \(loss.scalar)")
                }
                optimizer.step()
            }
        }
    }

    func embedX(_ x: Matrix<Float>) -> Matrix<Float> { forwardInChunks(x, outputs: networkX.layers.last!.outputs) { _, t in networkX(t) } }
    func embedY(_ y: Matrix<Float>) -> Matrix<Float> { forwardInChunks(y, outputs: networkY.layers.last!.outputs) { _, t in networkY(t) } }

    /// Mean over both directions of 1/rank of each query's true partner (query i ↔ candidate i) among the
    /// candidates, by cosine similarity; ties count against the query.
    func meanReciprocalRank(queriesX: Matrix<Float>, queriesY: Matrix<Float>, candidatesX: Matrix<Float>,
                            candidatesY: Matrix<Float>) -> Double {
        func mrr(_ q: Matrix<Float>, _ cand: Matrix<Float>) -> Double {
            let s = Matrix.multiply(q.normalizedRows(), .none, cand.normalizedRows(), .transposed)
            var total = 0.0
            for i in 0..<s.rows {
                var rank = 1
                for j in 0..<s.columns where j != i && s[i, j] >= s[i, i] { rank += 1 }
                total += 1 / Double(rank)
            }
            return total / Double(max(1, s.rows))
        }
        return 0.5 * (mrr(embedX(queriesX), embedY(candidatesY)) + mrr(embedY(queriesY), embedX(candidatesX)))
    }
}

/// A fitted contrastive baseline.
public final class FittedContrastiveAlignment: SharedEmbedding {
    let standardizerX: ColumnStandardizer
    let standardizerY: ColumnStandardizer
    let trial: ContrastiveTrial
    /// The hyper-parameters chosen on the held-out pairs, and every combination tried.
    public let chosen: ContrastiveAlignment.Candidate
    public let candidates: [ContrastiveAlignment.Candidate]

    init(standardizerX: ColumnStandardizer, standardizerY: ColumnStandardizer, trial: ContrastiveTrial,
         chosen: ContrastiveAlignment.Candidate, candidates: [ContrastiveAlignment.Candidate]) {
        self.standardizerX = standardizerX; self.standardizerY = standardizerY; self.trial = trial
        self.chosen = chosen; self.candidates = candidates
    }

    public var dimension: Int { trial.networkX.layers.last!.outputs }

    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        guard x.columns == standardizerX.means.count else {
            throw PipelineError.invalidInput("X has \(x.columns) columns, the model was fitted on \(standardizerX.means.count)")
        }
        try requireFiniteInput(x, "X")
        return trial.embedX(standardizerX.apply(x))
    }

    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        guard y.columns == standardizerY.means.count else {
            throw PipelineError.invalidInput("Y has \(y.columns) columns, the model was fitted on \(standardizerY.means.count)")
        }
        try requireFiniteInput(y, "Y")
        return trial.embedY(standardizerY.apply(y))
    }
}
