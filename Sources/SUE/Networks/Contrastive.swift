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
public struct Contrastive: Aligner, Equatable {
    /// Temperatures τ to try.
    public var temperatures: [Double]
    /// Hidden widths to try; 0 means a linear map.
    public var widths: [Int]
    /// AdamW weight decays to try.
    public var weightDecays: [Double]
    /// Width of the shared space.
    public var outputDimension: Int
    /// AdamW's learning rate.
    public var learningRate: Double
    /// Maximum epochs per combination.
    public var maximumEpochs: Int
    /// Stop when the validation MRR has not improved for this many epochs (checked every `evaluationInterval`).
    public var patience: Int
    /// Epochs between validation checks.
    public var evaluationInterval: Int
    /// Fraction of the pairs held out for tuning (at least one).
    public var validationFraction: Double
    /// Pairs per step.
    public var batchSize: Int
    /// Unpaired rows added to the held-out partners as candidates.
    public var distractors: Int

    /// The estimator with its grid and schedule.
    public init(temperatures: [Double] = [0.05, 0.1, 0.2], widths: [Int] = [0, 256], weightDecays: [Double] = [1e-4, 1e-2],
                outputDimension: Int = 64, learningRate: Double = 1e-3, maximumEpochs: Int = 300, patience: Int = 30,
                evaluationInterval: Int = 5, validationFraction: Double = 0.2, batchSize: Int = 512, distractors: Int = 500) {
        self.temperatures = temperatures; self.widths = widths; self.weightDecays = weightDecays
        self.outputDimension = outputDimension; self.learningRate = learningRate; self.maximumEpochs = maximumEpochs
        self.patience = patience; self.evaluationInterval = evaluationInterval
        self.validationFraction = validationFraction; self.batchSize = batchSize; self.distractors = distractors
    }

    /// One hyper-parameter combination and how it did on the held-out pairs.
    public struct Candidate: Sendable, Equatable {
        /// τ.
        public let temperature: Double
        /// Hidden width (0: linear).
        public let width: Int
        /// Weight decay.
        public let weightDecay: Double
        /// Best mean reciprocal rank on the held-out pairs.
        public let validationMRR: Double
        /// The epoch it was reached at.
        public let bestEpoch: Int
    }

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> ContrastiveModel {
        try context.run(on: data) { data in try train(data, context: context) }
    }

    private func train(_ data: WeaklyPairedData, context: FitContext) throws -> ContrastiveModel {
        let c = self
        let seed = context.seed
        try data.validate()
        guard data.pairs.count >= 3 else {
            throw AlignmentError.invalidInput("contrastive needs at least 3 pairs (2 to train, 1 to validate), got \(data.pairs.count)")
        }
        guard !c.temperatures.isEmpty, !c.widths.isEmpty, !c.weightDecays.isEmpty, c.outputDimension >= 1,
              c.temperatures.allSatisfy({ $0 > 0 }) else {
            throw AlignmentError.invalidConfiguration("contrastive: empty grid or non-positive temperature/output size")
        }
        var rng = SeededRandom(seed: seed)
        let sx = ColumnStandardizer(fitting: data.x), sy = ColumnStandardizer(fitting: data.y)
        let x = try sx.embed(data.pairedX), y = try sy.embed(data.pairedY)
        let (train, validation) = trainValidationSplit(data.pairs.count, validationFraction: c.validationFraction, rng: &rng)
        // Distractors: unpaired rows of each side (never a paired row, so never anyone's true partner).
        let pairedX = Set(data.pairs.map(\.x)), pairedY = Set(data.pairs.map(\.y))
        let freeX = rng.permutation(data.x.rows).filter { !pairedX.contains($0) }.prefix(c.distractors)
        let freeY = rng.permutation(data.y.rows).filter { !pairedY.contains($0) }.prefix(c.distractors)
        let distractorsX = try sx.embed(data.x.rows(Array(freeX))), distractorsY = try sy.embed(data.y.rows(Array(freeY)))
        let candidatesX = Matrix<Float>(rows: validation.count + freeX.count, columns: x.columns, elements:
            x.rows(validation).elements + distractorsX.elements)
        let candidatesY = Matrix<Float>(rows: validation.count + freeY.count, columns: y.columns, elements:
            y.rows(validation).elements + distractorsY.elements)

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
            context.report("contrastive", Double(index + 1) / Double(grid.count),
                           String(format: "τ %.2f width %d wd %.0e: validation MRR %.3f at epoch %d", t, w, wd, best.mrr, best.epoch))
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
        return ContrastiveModel(standardizerX: sx, standardizerY: sy, networkX: NetworkWeights(final.networkX),
                                networkY: NetworkWeights(final.networkY), chosen: chosen, candidates: candidates,
                                report: FitReport(method: "contrastive", estimator: self, data: data, context: context))
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

    init(configuration c: Contrastive, inputsX: Int, inputsY: Int, width: Int,
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
                    throw AlignmentError.trainingDiverged("contrastive loss is \(loss.scalar)")
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

/// A fitted contrastive baseline: per side, a standardisation and a network into the shared space.
///
/// Stored as kind `contrastive`: per side s ∈ {x, y}, `s.standardizer.{mean,scale}` (1 × d, F64) and the network
/// `s.network.layers.i.{weight,bias}` with its activations in the metadata entry `s.network.activations`.
public struct ContrastiveModel: StorableModel, Equatable {
    let standardizerX: ColumnStandardizer
    let standardizerY: ColumnStandardizer
    let networkX: NetworkWeights
    let networkY: NetworkWeights
    /// The hyper-parameters chosen on the held-out pairs (nil for a stored model).
    public let chosen: Contrastive.Candidate?
    /// Every combination tried (empty for a stored model).
    public let candidates: [Contrastive.Candidate]
    /// What was fitted and why.
    public let report: FitReport

    init(standardizerX: ColumnStandardizer, standardizerY: ColumnStandardizer, networkX: NetworkWeights,
         networkY: NetworkWeights, chosen: Contrastive.Candidate?, candidates: [Contrastive.Candidate], report: FitReport) {
        self.standardizerX = standardizerX; self.standardizerY = standardizerY
        self.networkX = networkX; self.networkY = networkY
        self.chosen = chosen; self.candidates = candidates; self.report = report
    }

    public var dimension: Int { networkX.outputs }
    public var inputColumns: (x: Int, y: Int) { (standardizerX.means.count, standardizerY.means.count) }

    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        guard x.columns == standardizerX.means.count else {
            throw AlignmentError.invalidInput("X has \(x.columns) columns, the model was fitted on \(standardizerX.means.count)")
        }
        return try checkedEmbedding(x, .x) { networkX.forward(try standardizerX.embed($0)) }
    }

    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        guard y.columns == standardizerY.means.count else {
            throw AlignmentError.invalidInput("Y has \(y.columns) columns, the model was fitted on \(standardizerY.means.count)")
        }
        return try checkedEmbedding(y, .y) { networkY.forward(try standardizerY.embed($0)) }
    }

    public static var kind: String { "contrastive" }

    public var storedForm: StoredModel {
        var stored = StoredModel(kind: Self.kind, report: report)
        stored.storeStandardizer(standardizerX, "x.standardizer")
        stored.storeNetwork(networkX, "x.network")
        stored.storeStandardizer(standardizerY, "y.standardizer")
        stored.storeNetwork(networkY, "y.network")
        return stored
    }

    public init(stored: StoredModel) throws {
        let r = StoredModelReader(stored)
        func side(_ s: String) throws -> (ColumnStandardizer, NetworkWeights) {
            let standardizer = try r.standardizer("\(s).standardizer")
            let network = try r.network("\(s).network")
            guard network.inputs == standardizer.means.count else {
                throw StoredModelReader.failure("tensor '\(s).network.layers.0.weight' takes \(network.inputs) inputs, but '\(s).standardizer.mean' has \(standardizer.means.count) columns")
            }
            return (standardizer, network)
        }
        let (sx, nx) = try side("x"), (sy, ny) = try side("y")
        guard nx.outputs == ny.outputs else {
            throw StoredModelReader.failure("the X network gives \(nx.outputs) columns, the Y network \(ny.outputs); both must give the shared dimension")
        }
        try r.requireEverythingUsed("a contrastive model (standardizer and network per side)")
        self.init(standardizerX: sx, standardizerY: sy, networkX: nx, networkY: ny, chosen: nil, candidates: [],
                  report: stored.report ?? .unrecorded(method: Self.kind))
    }
}
