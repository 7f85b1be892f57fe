import Foundation
import LinearAlgebra
import Autodiff
import Spectral

/// The parametric spectral embedding of SUE: SpectralNet (Shaham et al., *SpectralNet: Spectral Clustering using
/// Deep Neural Networks*, ICLR 2018), trained on one modality alone.
///
/// **What it learns.** A map f: ℝᵈ → ℝᴷ whose outputs on the data span the leading eigenvectors of the random
/// walk P = D⁻¹W of the data's D.5 graph — the numeric SE's subspace — by minimising the Rayleigh quotient of the
/// random-walk Laplacian L = I − D⁻¹W on the network's output space,
///
///     R(Ỹ) = tr((ỸᵀDỸ)⁻¹ Ỹᵀ(D − W)Ỹ),
///
/// which by Ky Fan's minimum principle is at least the sum of the K smallest eigenvalues of L, with equality exactly
/// when span(Ỹ) is their eigenspace. (ỸᵀDỸ)⁻¹ is the orthonormalisation of SpectralNet: with Y = ỸM, MMᵀ = (ỸᵀDỸ)⁻¹,
/// Y is D-orthonormal and R = tr(YᵀLY).
///
/// **Which graph: `Affinity`.** The reference code and the paper build the kNN graph *inside each batch* (`.batch`):
/// a 1 024-row batch of 14 656 rows is a 14× sparser sample, so its k nearest neighbours are far coarser than
/// those of the full-data graph and the network minimises a different objective than the one the numeric SE
/// solves. `.global` (the default) builds the numeric SE's graph once (`spectralEmbeddingGraph`: exact kNN, D.5
/// affinity, components joined) and trains on its edges, so the network and the eigensolver minimise the same R:
///
/// - each step samples m/2 edges (i, j) with probability wᵢⱼ/Σw (first a row ∝ its degree, then a neighbour ∝
///   its weight). Then E‖yᵢ − yⱼ‖²/2 = tr(YᵀLY)/vol, and each endpoint is a row drawn with probability dᵢ/vol, so
///   the m endpoints are also a D-weighted sample for ỸᵀDỸ/vol. One forward pass gives both halves of R;
/// - the gradient is that of R itself, basis change included: dR = tr(B⁻¹dA) − tr(B⁻¹AB⁻¹dB) for A = ỸᵀLỸ,
///   B = ỸᵀDỸ, taken through the surrogate tr(G_A A) + tr(G_B B) with G_A = B⁻¹, G_B = −B⁻¹AB⁻¹ held constant
///   (B⁻¹ from the `OrthonormalizationLayer` of the batch, with its rank check and regularised recovery). R is
///   invariant to Ỹ → ỸT for any invertible T, so there is no direction in which the raw output can shrink or
///   collapse to lower the loss — the drift that the batch variant below has to fight with a penalty;
/// - validation rows (10 %) take no part in the gradient; the validation loss is R measured on a fixed sample of
///   the edges that touch them (its minimum is about Σ μᵢ, μ = 1 − λ of the numeric SE).
///
/// Measured on `../shared/data/textpairs` (14 656 rows, k = 100, 10 dimensions, hidden 256-256, `sue-bench
/// spectralnet`, `spectralAgreement` against the numeric SE; MiniLM / e5): the batch affinity ends with a Rayleigh
/// ratio R/R_opt of 1.74 / 1.69, mean sin² 0.48 / 0.50, largest sine 1.00 / 1.00; the global graph with 1.074 /
/// 1.049, 0.074 / 0.034, 0.57 / 0.25. The largest sine is ill-posed on MiniLM (λ₁₀ − λ₁₁ = 0.004, 1 % of 1 − λ₁₀):
/// the numeric SE of the k = 200 graph reads 0.83 against the k = 100 one (ratio 1.03). For scale, the same MLP
/// regressed onto ψ (told the answer) reaches 1.005, and the numeric SE of 90 % of the rows with Nyström for the
/// rest 1.012 / 1.009. Defaults (lr 3·10⁻³, 60 epochs) from the same runs: 30 epochs at 10⁻³ gave 1.10, 60 at 10⁻³
/// 1.077, 30 at 3·10⁻³ 1.089; wider networks (512², 1024²) were 3–7× slower for no better ratio.
///
/// **The batch variant (`.batch`, the paper's runs).** The loss Σᵢⱼ Wᵢⱼ‖yᵢ − yⱼ‖²/(2m) of the batch's own kNN
/// affinity, with the orthonormaliser computed on a separate random batch and held constant during the step (the
/// alternation of SpectralNet). With W held constant the loss could always be lowered by shrinking the raw output
/// Ỹ (Y = ỸW shrinks with it), a direction the next orthonormalisation undoes — we measured the validation loss
/// *rising* from the first epoch on. Dividing by the D-weighted output mass tr(YᵀDY)/m makes it scale-invariant;
/// the `orthogonalityPenalty` keeps the raw output from collapsing towards one direction.
///
/// **How.** An MLP (LeakyReLU hidden layers, tanh output), Adam, ReduceLROnPlateau on the validation loss, early
/// stopping when it stops improving, and the best weights by validation are kept.
///
/// **From the learned subspace to the SE.** The network has K = dimensions + 1 outputs because the constant
/// vector (eigenvalue 0, the trivial eigenvector) is among the minimisers. After training, a Rayleigh–Ritz step
/// solves the small generalised problem (ỸᵀLỸ) v = λ (ỸᵀDỸ) v in the network's output space — on the whole graph
/// with `.global`, on a reference batch with `.batch`; its eigenvectors, sorted by λ, are the best approximations
/// of the random-walk eigenvectors (Pψ = (1−λ)ψ) inside the learned subspace. The first (λ ≈ 0, the constant) is
/// dropped and the next `dimensions` kept, so the output is comparable with `NumericSpectralEmbedding` column by
/// column, up to signs and rotations inside (near-)repeated eigenvalues (`spectralAgreement` measures it).
public struct SpectralNet {
    /// Where the affinity of the loss comes from (see the type's discussion).
    public enum Affinity: String, Sendable, Codable, CaseIterable {
        /// The numeric SE's D.5 graph of all rows, built once; the loss from edges sampled by weight.
        case global
        /// The D.5 graph of each batch's own kNN (the reference implementation, as in the paper's runs).
        case batch
    }

    /// The network's shape, graph and training schedule.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Hidden layer widths.
        public var hidden: [Int]
        /// Embedding dimension (the trivial direction is learned in addition and dropped).
        public var dimensions: Int
        /// Rows per gradient step (with `.global`: the endpoints of batchSize/2 sampled edges).
        public var batchSize: Int
        /// k of the kNN graph (with `.batch` built inside each batch and clipped to batch size − 1).
        public var neighbors: Int
        /// The graph's distance.
        public var metric: DistanceMetric
        /// Adam's initial learning rate.
        public var learningRate: Double
        /// Maximum passes over the training rows.
        public var epochs: Int
        /// ReduceLROnPlateau: factor and patience (epochs).
        public var learningRateDecay: Double
        /// ReduceLROnPlateau's patience, in epochs.
        public var plateauPatience: Int
        /// Stop when the validation loss has not improved for this many epochs, or when the learning rate falls
        /// below `minimumLearningRate` (SpectralNet's own stopping rule).
        public var earlyStoppingPatience: Int
        /// Training stops when the learning rate falls below this.
        public var minimumLearningRate: Double
        /// Fraction of the rows held out for validation.
        public var validationFraction: Double
        /// Rows of the reference batch for the final Rayleigh–Ritz step (`.batch` only; `.global` uses all rows).
        public var referenceBatchSize: Int
        /// Weight μ of the soft orthogonality term μ‖ỸᵀỸ/m − I‖²_F on the raw network output (`.batch` only). The
        /// scale-invariant batch loss is also invariant to the raw output *collapsing* towards one direction (the
        /// constant, with zero loss) as long as the orthonormaliser can still undo it; on the 14 656-row text data
        /// every batch became rank deficient by epoch 30 without it. The term keeps the raw output well
        /// conditioned, so the orthonormaliser stays close to the identity; it does not change the learned
        /// subspace, only its basis. The `.global` loss has an exactly basis-invariant gradient and needs none.
        public var orthogonalityPenalty: Double
        /// The graph of the loss: `.global` (default) or the paper's per-batch `.batch`.
        public var affinity: Affinity

        /// A configuration with every setting given.
        public init(hidden: [Int] = [256, 256], dimensions: Int = 10, batchSize: Int = 1024, neighbors: Int = 100,
                    metric: DistanceMetric = .cosine, learningRate: Double = 3e-3, epochs: Int = 60,
                    learningRateDecay: Double = 0.1, plateauPatience: Int = 5, earlyStoppingPatience: Int = 10,
                    minimumLearningRate: Double = 1e-7, validationFraction: Double = 0.1,
                    referenceBatchSize: Int = 4096, orthogonalityPenalty: Double = 0.1,
                    affinity: Affinity = .global) {
            self.hidden = hidden; self.dimensions = dimensions; self.batchSize = batchSize
            self.neighbors = neighbors; self.metric = metric; self.learningRate = learningRate; self.epochs = epochs
            self.learningRateDecay = learningRateDecay; self.plateauPatience = plateauPatience
            self.earlyStoppingPatience = earlyStoppingPatience; self.minimumLearningRate = minimumLearningRate
            self.validationFraction = validationFraction; self.referenceBatchSize = referenceBatchSize
            self.orthogonalityPenalty = orthogonalityPenalty; self.affinity = affinity
        }

        /// Appendix D.8: hidden [4096, 4096, 1024], batch 4096, Adam 1e-4, decay 0.1 with patience 10, 100 epochs,
        /// the D.5 graph with k = 100, built per batch as in the reference code.
        public static let paper = Configuration(hidden: [4096, 4096, 1024], dimensions: 10, batchSize: 4096,
                                                neighbors: 100, learningRate: 1e-4, epochs: 100,
                                                learningRateDecay: 0.1, plateauPatience: 10,
                                                earlyStoppingPatience: 100, affinity: .batch)

        /// The practical default on 2 cores: a small network, the global graph, a larger learning rate — about 40 s
        /// per modality of 14 656 rows (portable build, 2 threads, shared machine), Rayleigh ratio 1.05–1.07 on the
        /// text pairs, where the paper's network takes ≈ 90–110 s per *epoch* (see the type's discussion).
        public static let `default` = Configuration()
    }

    /// The settings this trainer uses.
    public let configuration: Configuration
    /// A trainer with the given settings.
    public init(configuration: Configuration = .default) { self.configuration = configuration }

    /// One epoch's record, reported as progress and kept in the fitted model's `history`.
    public struct EpochRecord: Sendable, Equatable {
        /// The epoch, from 1.
        public let epoch: Int
        /// Mean training loss.
        public let trainingLoss: Double
        /// Loss on the validation rows (the training loss when there are none).
        public let validationLoss: Double
        /// The learning rate after the epoch.
        public let learningRate: Double
        /// Orthonormalisation batches that needed the rank-deficiency fallback in this epoch.
        public let recoveries: Int
    }

    /// Trains on the rows of `x` (one modality, no pairs needed); randomness comes from `context.seed`, and each
    /// epoch is reported under the stage `name`.
    public func fit(_ x: Matrix<Float>, context: FitContext, name: String = "SpectralNet") throws -> FittedSpectralNet {
        let c = configuration
        let seed = context.seed
        let k = c.dimensions + 1
        try requireFinite(x, "SpectralNet input")
        guard c.dimensions >= 1, c.batchSize >= 2, c.epochs >= 0, c.neighbors >= 1, c.learningRate > 0,
              c.hidden.allSatisfy({ $0 > 0 }) else {
            throw AlignmentError.invalidConfiguration("SpectralNet: dimensions, batch size, neighbours, learning rate "
                + "and hidden widths must be positive (got \(c.dimensions), \(c.batchSize), \(c.neighbors), "
                + "\(c.learningRate), \(c.hidden))")
        }
        guard x.rows >= 2 * (k + 1) else {
            throw AlignmentError.invalidInput("SpectralNet: \(x.rows) rows are too few for \(c.dimensions) dimensions "
                + "(need at least \(2 * (k + 1)))")
        }
        var rng = SeededRandom(seed: seed)
        let standardizer = ColumnStandardizer(fitting: x)
        let standardized = try standardizer.embed(x)
        let model = MLP<Float>(sizes: [x.columns] + c.hidden + [k], hidden: .leakyReLU, output: .tanh, rng: &rng)
        let optimizer = Adam(parameters: model.parameters, learningRate: c.learningRate)
        let scheduler = ReduceLROnPlateau(optimizer: optimizer, factor: c.learningRateDecay, patience: c.plateauPatience)

        var (train, validation) = trainValidationSplit(x.rows, validationFraction: c.validationFraction, rng: &rng)
        if validation.count < k + 2 { train += validation; validation = [] }
        train.sort()
        let network = SpectralNetTraining(configuration: c, model: model, optimizer: optimizer,
                                          data: Tensor(constant: standardized))
        let objective: SpectralNetObjective
        switch c.affinity {
        case .batch:
            objective = try BatchAffinityObjective(network, x: x, train: train, validation: validation)
        case .global:
            let graph: AffinityGraph
            do {
                graph = try spectralEmbeddingGraph(x, neighbors: min(c.neighbors, x.rows - 1), metric: c.metric)
            } catch let error as SpectralError {
                throw AlignmentError.invalidInput("SpectralNet graph: \(error)")
            }
            objective = try GlobalGraphObjective(network, graph: graph, train: train, validation: validation,
                                                 rng: &rng)
        }

        var history: [EpochRecord] = []
        var best = (loss: Double.infinity, parameters: model.exportParameters(), epoch: 0)
        var totalRecoveries = 0
        for epoch in 0..<c.epochs {
            var (epochLoss, recoveries) = try objective.trainEpoch(rng: &rng, epoch: epoch)
            var validationLoss = epochLoss
            if let v = try objective.validationLoss() {
                validationLoss = v.loss
                recoveries += v.recoveries
            }
            totalRecoveries += recoveries
            scheduler.step(validationLoss)
            let record = EpochRecord(epoch: epoch + 1, trainingLoss: epochLoss, validationLoss: validationLoss,
                                     learningRate: optimizer.learningRate, recoveries: recoveries)
            history.append(record)
            context.report(name, Double(record.epoch) / Double(max(1, c.epochs)),
                           String(format: "epoch %d loss %.5f validation %.5f lr %.1e%@", record.epoch, record.trainingLoss,
                                  record.validationLoss, record.learningRate,
                                  record.recoveries > 0 ? " (\(record.recoveries) rank-deficient batches recovered)" : ""))
            if validationLoss < best.loss { best = (validationLoss, model.exportParameters(), epoch + 1) }
            if epoch + 1 - best.epoch >= c.earlyStoppingPatience || optimizer.learningRate < c.minimumLearningRate { break }
        }
        try model.importParameters(best.parameters)

        // Rayleigh–Ritz: from the K learned directions to sorted random-walk eigenvectors.
        let (a, b) = try objective.rayleighMatrices(standardized: standardized, rng: &rng)
        let ritz = try generalizedRitz(a, b)
        var projection = Matrix<Float>(rows: k, columns: c.dimensions)
        for i in 0..<k { for j in 0..<c.dimensions { projection[i, j] = Float(ritz.vectors[i, j + 1]) } }
        return FittedSpectralNet(configuration: c, standardizer: standardizer, network: NetworkWeights(model), projection: projection,
                                 eigenvalues: Array(ritz.values[1...c.dimensions]).map { 1 - $0 },
                                 history: history, bestEpoch: best.epoch, recoveries: totalRecoveries)
    }
}

/// The generalised eigenproblem A v = λ B v (A = YᵀLY, B = YᵀDY, K × K), solved by Cholesky of B (regularised like
/// the orthonormalisation layer if Y is rank deficient) and a symmetric eigen-decomposition of L_B⁻¹ A L_B⁻ᵀ.
/// Returns λ ascending and V = L_B⁻ᵀ U (columns), so that YV is D-orthonormal.
func generalizedRitz(_ a: Matrix<Double>, _ b: Matrix<Double>) throws -> (values: [Double], vectors: Matrix<Double>) {
    let k = a.rows
    var b = b
    var trace = 0.0
    for i in 0..<k { trace += b[i, i] }
    let l: Matrix<Double>
    if let factor = try? cholesky(b) { l = factor } else {
        for i in 0..<k { b[i, i] += 1e-6 * max(trace, 1e-300) / Double(k) }
        l = try cholesky(b)
    }
    let li = try invertTriangular(l, lower: true)
    var m = Matrix.multiply(Matrix.multiply(li, .none, a), .none, li, .transposed)
    for i in 0..<k { for j in 0..<i { let s = 0.5 * (m[i, j] + m[j, i]); m[i, j] = s; m[j, i] = s } }
    let eigen = try symmetricEigen(m)
    return (eigen.values, Matrix.multiply(li, .transposed, eigen.vectors))
}

/// What the training loop shares between the two objectives: the network, its optimiser, its input and a tape.
final class SpectralNetTraining {
    let configuration: SpectralNet.Configuration
    let model: MLP<Float>
    let optimizer: Adam<Float>
    /// The standardised input rows.
    let data: Tensor<Float>
    let tape = Tape<Float>()

    init(configuration: SpectralNet.Configuration, model: MLP<Float>, optimizer: Adam<Float>, data: Tensor<Float>) {
        self.configuration = configuration; self.model = model; self.optimizer = optimizer; self.data = data
    }

    var outputCount: Int { configuration.dimensions + 1 }

    /// The raw network output on `rows`, without gradients.
    func outputs(_ rows: [Int]) -> Matrix<Float> {
        tape.reset()
        return model(tape.gatherRows(data, rows)).value
    }

    /// Backward pass and Adam step on `loss`, a tensor of `tape`.
    func step(_ loss: Tensor<Float>, epoch: Int) throws {
        do { try tape.backward(loss) } catch {
            throw AlignmentError.trainingDiverged("SpectralNet loss is \(loss.scalar) at epoch \(epoch + 1)")
        }
        optimizer.step()
    }
}

/// A SpectralNet loss: an epoch of steps, a validation loss, and the matrices of the final Rayleigh–Ritz step.
protocol SpectralNetObjective: AnyObject {
    /// One epoch of Adam steps: the mean training loss and the number of rank-deficient batches recovered.
    func trainEpoch(rng: inout SeededRandom, epoch: Int) throws -> (loss: Double, recoveries: Int)
    /// The loss on the validation rows (nil without validation rows).
    func validationLoss() throws -> (loss: Double, recoveries: Int)?
    /// A = ỸᵀLỸ and B = ỸᵀDỸ of the raw output Ỹ, for the Rayleigh–Ritz step.
    func rayleighMatrices(standardized: Matrix<Float>, rng: inout SeededRandom) throws -> (Matrix<Double>, Matrix<Double>)
}

/// The paper's variant: the D.5 graph of each batch, orthonormaliser from a separate batch (see `SpectralNet`).
final class BatchAffinityObjective: SpectralNetObjective {
    let net: SpectralNetTraining
    let x: Matrix<Float>
    let train: [Int]
    /// The validation batch and its graph are fixed: the loss is comparable from epoch to epoch.
    let validationRows: [Int]
    let validationGraph: Matrix<Float>?

    init(_ net: SpectralNetTraining, x: Matrix<Float>, train: [Int], validation: [Int]) throws {
        let c = net.configuration
        self.net = net; self.x = x; self.train = train
        validationRows = Array(validation.prefix(c.batchSize))
        validationGraph = validationRows.isEmpty ? nil
            : try batchAffinity(x.rows(validationRows), neighbors: c.neighbors, metric: c.metric)
    }

    /// The Rayleigh-quotient loss divided by the D-weighted output mass, plus the orthogonality penalty, with the
    /// orthonormaliser and the graph constant.
    func loss(_ rows: [Int], graph: Matrix<Float>, orthonormalizer: Matrix<Float>) -> Tensor<Float> {
        let c = net.configuration, tape = net.tape
        let m = rows.count
        let raw = net.model(tape.gatherRows(net.data, rows))
        let y = tape.matmul(raw, tape.constant(orthonormalizer))
        let rayleigh = tape.sum(tape.constant(graph) * tape.pairwiseSquaredDistances(y)) / Float(2 * m)
        let degrees = tape.constant(rows: m, columns: 1) { v in
            graph.withView { g in for i in 0..<m { var s: Float = 0; for j in 0..<m { s += g[i, j] }; v[i, 0] = s } }
        }
        let mass = tape.sum(degrees * (y * y)) / Float(m)
        guard c.orthogonalityPenalty > 0 else { return rayleigh / mass }
        // Soft orthogonality of the raw output: ‖ỸᵀỸ/m − I‖²_F (see `orthogonalityPenalty`).
        let gram = tape.matmul(raw, raw, transposeA: true) / Float(m)
        let offset = gram - tape.constant(Matrix<Float>.identity(raw.columns))
        return rayleigh / mass + Float(c.orthogonalityPenalty) * tape.sum(offset * offset)
    }

    func trainEpoch(rng: inout SeededRandom, epoch: Int) throws -> (loss: Double, recoveries: Int) {
        let c = net.configuration
        let batchCount = max(1, (train.count + c.batchSize - 1) / c.batchSize)
        var order = train
        rng.shuffle(&order)
        var epochLoss = 0.0, recoveries = 0
        for b in 0..<batchCount {
            let rows = Array(order[(order.count * b / batchCount)..<(order.count * (b + 1) / batchCount)])
            if rows.count < net.outputCount + 2 { continue }
            // 1. Orthonormalisation from a separate random batch, held constant below.
            let orthoRows = (0..<min(c.batchSize, train.count)).map { _ in train[rng.int(below: train.count)] }
            let layer = try OrthonormalizationLayer(batchOutput: net.outputs(orthoRows))
            if layer.recovered { recoveries += 1 }
            // 2. Gradient step on the batch's Rayleigh-quotient loss.
            let graph = try batchAffinity(x.rows(rows), neighbors: c.neighbors, metric: c.metric)
            net.tape.reset()
            net.optimizer.zeroGradients()
            let l = loss(rows, graph: graph, orthonormalizer: layer.weights)
            try net.step(l, epoch: epoch)
            epochLoss += Double(l.scalar) / Double(batchCount)
        }
        return (epochLoss, recoveries)
    }

    func validationLoss() throws -> (loss: Double, recoveries: Int)? {
        guard let validationGraph else { return nil }
        let layer = try OrthonormalizationLayer(batchOutput: net.outputs(validationRows))
        net.tape.reset()
        let value = Double(loss(validationRows, graph: validationGraph, orthonormalizer: layer.weights).scalar)
        return (value, layer.recovered ? 1 : 0)
    }

    /// On a reference batch of training rows with its own dense graph.
    func rayleighMatrices(standardized: Matrix<Float>, rng: inout SeededRandom) throws -> (Matrix<Double>, Matrix<Double>) {
        let c = net.configuration
        var referenceRows = train
        rng.shuffle(&referenceRows)
        referenceRows = Array(referenceRows.prefix(max(c.referenceBatchSize, net.outputCount + 2))).sorted()
        let graph = try batchAffinity(x.rows(referenceRows), neighbors: c.neighbors, metric: c.metric)
        let y = net.outputs(referenceRows).converted(to: Double.self)
        let m = y.rows, k = y.columns
        var degrees = [Double](repeating: 0, count: m)
        for i in 0..<m { for j in 0..<m { degrees[i] += Double(graph[i, j]) } }
        var dy = y
        for i in 0..<m { for col in 0..<k { dy[i, col] *= degrees[i] } }
        let b = Matrix.multiply(y, .transposed, dy)                                   // YᵀDY
        let ywy = Matrix.multiply(y, .transposed, Matrix.multiply(graph.converted(to: Double.self), .none, y))
        return (Matrix<Double>(rows: k, columns: k) { b[$0, $1] - ywy[$0, $1] }, b)    // Yᵀ(D − W)Y, YᵀDY
    }
}

/// The dense D.5 affinity (kNN inside the batch, symmetrised) of a batch of rows, m × m.
func batchAffinity(_ batch: Matrix<Float>, neighbors: Int, metric: DistanceMetric) throws -> Matrix<Float> {
    let k = min(neighbors, batch.rows - 1)
    let lists = try nearestNeighbors(batch, k: k, metric: metric)
    let graph = AffinityGraph(neighbors: lists)
    var w = Matrix<Float>(rows: batch.rows, columns: batch.rows)
    for i in 0..<graph.vertexCount {
        for p in graph.rowPointers[i]..<graph.rowPointers[i + 1] { w[i, Int(graph.columnIndices[p])] = Float(graph.weights[p]) }
    }
    return w
}

/// A trained SpectralNet: standardise, run the MLP, project onto the Rayleigh–Ritz eigenvectors.
public struct FittedSpectralNet: Sendable, Equatable {
    /// The settings it was trained with.
    public let configuration: SpectralNet.Configuration
    /// The input standardisation.
    public let standardizer: ColumnStandardizer
    /// The network's weights.
    public let network: NetworkWeights
    /// K × dimensions: the Ritz vectors after the trivial one.
    public let projection: Matrix<Float>
    /// Random-walk eigenvalue estimates 1 − λ for the kept columns (cf. `FittedNumericSpectralEmbedding.eigenvalues`).
    public let eigenvalues: [Double]
    /// One record per epoch trained (empty for a stored model).
    public let history: [SpectralNet.EpochRecord]
    /// The epoch whose weights were kept (best validation loss).
    public let bestEpoch: Int
    /// Orthonormalisation batches that needed the rank-deficiency fallback during training.
    public let recoveries: Int

    init(configuration: SpectralNet.Configuration, standardizer: ColumnStandardizer, network: NetworkWeights,
         projection: Matrix<Float>, eigenvalues: [Double], history: [SpectralNet.EpochRecord], bestEpoch: Int,
         recoveries: Int) {
        self.configuration = configuration; self.standardizer = standardizer; self.network = network
        self.projection = projection; self.eigenvalues = eigenvalues; self.history = history
        self.bestEpoch = bestEpoch; self.recoveries = recoveries
    }

    /// The embedding's width.
    public var dimensions: Int { projection.columns }

    /// The embedding of the rows of `x` (n × dimensions).
    public func embed(_ x: Matrix<Float>) throws -> Matrix<Double> {
        guard x.columns == standardizer.means.count else {
            throw AlignmentError.invalidInput("SpectralNet: input has \(x.columns) columns, the model was trained on \(standardizer.means.count)")
        }
        try requireFinite(x, "SpectralNet input")
        let raw = network.forward(try standardizer.embed(x))
        return Matrix.multiply(raw, .none, projection).converted(to: Double.self)
    }
}
