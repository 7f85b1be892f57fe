import Foundation
import LinearAlgebra
import Autodiff

/// The last step of SUE (Algorithm 1, step 3): a residual network F(y) = y + g(y) that moves one modality's
/// linearly aligned embedding onto the other's *distribution*, trained on unpaired rows only by minimising the
/// squared maximum mean discrepancy (Gretton et al., *A kernel two-sample test*, JMLR 2012):
///
///     MMD²(X, F(Y)) = mean k(xᵢ, xⱼ) − 2·mean k(xᵢ, F(yⱼ)) + mean k(F(yᵢ), F(yⱼ))      (paper, Eq. 1)
///
/// the biased (V-statistic) estimate over a mini-batch from each side, with a multi-bandwidth RBF kernel
/// k(a, b) = Σ_s exp(−‖a − b‖² / (f_s·h)). h is the median heuristic — the median squared distance between rows
/// of the pooled data, measured once before training — and the factors f_s = {¼, ½, 1, 2, 4} cover scales from
/// local to global, so the loss keeps a useful gradient whether the two clouds are far apart or nearly matched
/// (the multi-kernel choice of Li, Swersky & Zemel, *Generative moment matching networks*, ICML 2015).
///
/// This is the batch-effect-removal network of Shaham et al. (*Removal of batch effects using distribution-matching
/// residual networks*, Bioinformatics 2017): one identity skip from input to output (Appendix D.6), hidden layers
/// 128-128-128, AdamW 1e-3 (Appendix D.8). The last layer starts at zero, so F starts as the identity and the
/// validation MMD of the identity is the first candidate: the kept model is never worse than doing nothing on the
/// validation rows (10 % of each side), which matters when the two distributions already match.
public struct MMDNet {
    /// The network's shape and training schedule.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Hidden widths of the residual branch.
        public var hidden: [Int]
        /// AdamW's learning rate.
        public var learningRate: Double
        /// AdamW's decoupled weight decay.
        public var weightDecay: Double
        /// Passes over the source rows.
        public var epochs: Int
        /// Source rows per step (and as many target rows).
        public var batchSize: Int
        /// The RBF bandwidths are these multiples of the median squared distance.
        public var bandwidthFactors: [Double]
        /// Fraction of each side held out for the validation MMD.
        public var validationFraction: Double
        /// Rows per side of the fixed validation sample.
        public var validationRows: Int

        /// A schedule with every setting given.
        public init(hidden: [Int] = [128, 128, 128], learningRate: Double = 1e-3, weightDecay: Double = 0.01,
                    epochs: Int = 10, batchSize: Int = 256, bandwidthFactors: [Double] = [0.25, 0.5, 1, 2, 4],
                    validationFraction: Double = 0.1, validationRows: Int = 512) {
            self.hidden = hidden; self.learningRate = learningRate; self.weightDecay = weightDecay
            self.epochs = epochs; self.batchSize = batchSize; self.bandwidthFactors = bandwidthFactors
            self.validationFraction = validationFraction; self.validationRows = validationRows
        }

        /// Appendix D.8: hidden 128-128-128, AdamW 1e-3, 100 epochs.
        public static let paper = Configuration(epochs: 100, batchSize: 512, validationRows: 1024)
        /// The package's shorter default schedule (10 epochs of 256-row batches).
        public static let `default` = Configuration()
    }

    /// One epoch of training.
    public struct EpochRecord: Sendable, Equatable {
        /// The epoch, 0 for the identity before training.
        public let epoch: Int
        /// Mean training loss (MMD² without the constant target term).
        public let trainingMMD: Double
        /// MMD² on the validation rows.
        public let validationMMD: Double
    }

    /// The settings this trainer uses.
    public let configuration: Configuration
    /// A trainer with the given settings.
    public init(configuration: Configuration = .default) { self.configuration = configuration }

    /// Learns F so that F(source) is distributed like `target` (rows unpaired; same number of columns).
    /// Randomness comes from `context.seed`; each epoch is reported to `context` under the stage "MMD net".
    public func fit(source: Matrix<Float>, target: Matrix<Float>, context: FitContext) throws -> FittedMMDNet {
        let seed = context.seed
        let c = configuration
        guard source.columns == target.columns else {
            throw AlignmentError.invalidInput("MMD net: source has \(source.columns) columns, target has \(target.columns)")
        }
        try requireFinite(source, "MMD net source"); try requireFinite(target, "MMD net target")
        guard source.rows >= 4 && target.rows >= 4 else {
            throw AlignmentError.invalidInput("MMD net needs at least 4 rows per side (source \(source.rows), target \(target.rows))")
        }
        guard c.batchSize >= 2, c.learningRate > 0, !c.bandwidthFactors.isEmpty, c.hidden.allSatisfy({ $0 > 0 }) else {
            throw AlignmentError.invalidConfiguration("MMD net: batch size ≥ 2, a positive learning rate, bandwidth factors and positive widths are needed")
        }
        var rng = SeededRandom(seed: seed)
        let d = source.columns
        let model = MLP<Float>(sizes: [d] + c.hidden + [d], hidden: .relu, output: .identity, rng: &rng)
        let last = model.layers[model.layers.count - 1]
        last.weight.assign(Matrix(rows: d, columns: c.hidden.last ?? d))
        last.bias?.assign(Matrix(rows: 1, columns: d))
        let optimizer = Adam.adamW(parameters: model.parameters, learningRate: c.learningRate, weightDecay: c.weightDecay)

        let (sourceTrain, sourceValidation) = trainValidationSplit(source.rows, validationFraction: c.validationFraction, rng: &rng)
        let (targetTrain, targetValidation) = trainValidationSplit(target.rows, validationFraction: c.validationFraction, rng: &rng)
        let bandwidths = MMDNet.medianHeuristic(source, target, rng: &rng).map { h in c.bandwidthFactors.map { $0 * h } }
            ?? c.bandwidthFactors
        let sourceData = Tensor(constant: source), targetData = Tensor(constant: target)
        let tape = Tape<Float>()
        let validationSource = Array(sourceValidation.prefix(c.validationRows))
        let validationTarget = Array(targetValidation.prefix(c.validationRows))

        func moved(_ rows: [Int]) -> Tensor<Float> {
            let y = tape.gatherRows(sourceData, rows)
            return y + model(y)
        }
        func validationMMD() -> Double {
            guard !validationSource.isEmpty && !validationTarget.isEmpty else { return .nan }
            tape.reset()
            return Double(MMDNet.mmdSquared(tape, tape.gatherRows(targetData, validationTarget), moved(validationSource),
                                            bandwidths: bandwidths).scalar)
        }

        var best = (mmd: validationMMD(), parameters: model.exportParameters(), epoch: 0)
        var history: [EpochRecord] = [EpochRecord(epoch: 0, trainingMMD: .nan, validationMMD: best.mmd)]
        // (trainingMMD below excludes the constant target term: see `mmdSquared(_:_:_:bandwidths:includeTargetTerm:)`.)
        let batchCount = max(1, (sourceTrain.count + c.batchSize - 1) / c.batchSize)
        var targetOrder = targetTrain, targetCursor = targetOrder.count
        for epoch in 0..<c.epochs {
            var order = sourceTrain
            rng.shuffle(&order)
            var epochMMD = 0.0
            for b in 0..<batchCount {
                let rows = Array(order[(order.count * b / batchCount)..<(order.count * (b + 1) / batchCount)])
                // A target batch of the same size, drawn without replacement, reshuffled when used up.
                var targetRows: [Int] = []
                while targetRows.count < rows.count {
                    if targetCursor == targetOrder.count { rng.shuffle(&targetOrder); targetCursor = 0 }
                    let take = min(rows.count - targetRows.count, targetOrder.count - targetCursor)
                    targetRows += targetOrder[targetCursor..<(targetCursor + take)]
                    targetCursor += take
                }
                tape.reset()
                optimizer.zeroGradients()
                let loss = MMDNet.mmdSquared(tape, tape.gatherRows(targetData, targetRows), moved(rows), bandwidths: bandwidths,
                                             includeTargetTerm: false)
                do { try tape.backward(loss) } catch {
                    throw AlignmentError.trainingDiverged("MMD loss is \(loss.scalar) at epoch \(epoch + 1)")
                }
                optimizer.step()
                epochMMD += Double(loss.scalar) / Double(batchCount)
            }
            let validation = validationMMD()
            let record = EpochRecord(epoch: epoch + 1, trainingMMD: epochMMD, validationMMD: validation)
            history.append(record)
            context.report("MMD net", Double(record.epoch) / Double(max(1, c.epochs)),
                           String(format: "epoch %d validation MMD² %.5f", record.epoch, record.validationMMD))
            if validation < best.mmd || best.mmd.isNaN { best = (validation, model.exportParameters(), epoch + 1) }
        }
        try model.importParameters(best.parameters)
        return FittedMMDNet(network: NetworkWeights(model), bandwidths: bandwidths, history: history, bestEpoch: best.epoch)
    }

    /// The median of ‖a − b‖² over pairs of distinct rows of a seeded sample (≤ 1000 rows) of the pooled data,
    /// or nil when it is 0 (all sampled rows identical).
    static func medianHeuristic(_ a: Matrix<Float>, _ b: Matrix<Float>, rng: inout SeededRandom) -> Double? {
        let sample = (0..<min(1000, a.rows + b.rows)).map { _ -> [Float] in
            let i = rng.int(below: a.rows + b.rows)
            return i < a.rows ? a.row(i) : b.row(i - a.rows)
        }
        var distances: [Double] = []
        distances.reserveCapacity(sample.count * (sample.count - 1) / 2)
        for i in 0..<sample.count {
            for j in 0..<i {
                var s = 0.0
                for t in 0..<sample[i].count { let e = Double(sample[i][t] - sample[j][t]); s += e * e }
                distances.append(s)
            }
        }
        guard !distances.isEmpty else { return nil }
        distances.sort()
        let median = distances[distances.count / 2]
        return median > 0 ? median : nil
    }

    /// MMD²(a, b) with the multi-bandwidth RBF kernel, recorded on `tape` (differentiable in both).
    ///
    /// With `includeTargetTerm: false` the mean k(aᵢ, aⱼ) is left out: when `a` is the fixed target batch it is a
    /// constant whose gradient is zero, and it costs a third of the kernel evaluations (the `exp`s dominate the
    /// step). The result is then MMD² minus that constant, fine for training, not for reporting.
    public static func mmdSquared(_ tape: Tape<Float>, _ a: Tensor<Float>, _ b: Tensor<Float>,
                                  bandwidths: [Double], includeTargetTerm: Bool = true) -> Tensor<Float> {
        func kernelMean(_ p: Tensor<Float>, _ q: Tensor<Float>) -> Tensor<Float> {
            let d = p === q ? tape.pairwiseSquaredDistances(p) : tape.pairwiseSquaredDistances(p, q)
            var k: Tensor<Float>? = nil
            for h in bandwidths {
                let term = tape.exp(d * Float(-1 / h))
                k = k.map { $0 + term } ?? term
            }
            return tape.mean(k!)
        }
        let crossAndSource = kernelMean(b, b) - 2 * kernelMean(a, b)
        return includeTargetTerm ? kernelMean(a, a) + crossAndSource : crossAndSource
    }

    /// MMD² between the rows of two matrices, with bandwidths from the median heuristic of their pooled rows times
    /// `factors` (the quantity the network minimises; for tests and reports).
    public static func mmdSquared(_ a: Matrix<Float>, _ b: Matrix<Float>,
                                  factors: [Double] = Configuration.default.bandwidthFactors, seed: UInt64 = 0) -> Double {
        var rng = SeededRandom(seed: seed)
        let bandwidths = medianHeuristic(a, b, rng: &rng).map { h in factors.map { $0 * h } } ?? factors
        return mmdSquared(a, b, bandwidths: bandwidths)
    }

    /// MMD² between the rows of two matrices with the given kernel bandwidths.
    public static func mmdSquared(_ a: Matrix<Float>, _ b: Matrix<Float>, bandwidths: [Double]) -> Double {
        let tape = Tape<Float>()
        return Double(mmdSquared(tape, tape.constant(a), tape.constant(b), bandwidths: bandwidths).scalar)
    }
}

/// A trained MMD residual network F(y) = y + g(y).
public struct FittedMMDNet: Sendable, Equatable {
    /// The residual branch g.
    public let network: NetworkWeights
    /// The kernel bandwidths f_s·h used in training.
    public let bandwidths: [Double]
    /// Epoch 0 is the identity (before training).
    public let history: [MMDNet.EpochRecord]
    /// The epoch whose weights were kept (0: the identity was best on validation).
    public let bestEpoch: Int

    init(network: NetworkWeights, bandwidths: [Double], history: [MMDNet.EpochRecord], bestEpoch: Int) {
        self.network = network; self.bandwidths = bandwidths; self.history = history; self.bestEpoch = bestEpoch
    }

    /// F(y) for each row of `y`.
    public func embed(_ y: Matrix<Float>) throws -> Matrix<Float> {
        let d = network.inputs
        guard y.columns == d else {
            throw AlignmentError.invalidInput("MMD net: input has \(y.columns) columns, the network takes \(d)")
        }
        try requireFinite(y, "MMD net input")
        return network.forward(y, residual: true)
    }
}
