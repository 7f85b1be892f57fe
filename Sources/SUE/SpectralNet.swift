import Foundation
import LinearAlgebra
import Autodiff
import Spectral

/// The parametric spectral embedding of SUE: SpectralNet (Shaham et al., *SpectralNet: Spectral Clustering using
/// Deep Neural Networks*, ICLR 2018), trained on one modality alone.
///
/// **What it learns.** A map f: ℝᵈ → ℝᴷ whose outputs on the data approximate the leading eigenvectors of the
/// graph Laplacian, by minimising the Rayleigh-quotient loss
///
///     L = Σᵢⱼ Wᵢⱼ ‖yᵢ − yⱼ‖² / (2m)   subject to   YᵀY = m·I
///
/// on mini-batches of m points, W being the D.5 affinity of the batch (kNN inside the batch, `AffinityGraph`).
/// Since Σ Wᵢⱼ‖yᵢ − yⱼ‖² = 2·tr(Yᵀ(D − W)Y), the minimiser spans the K smallest eigenvectors of the Laplacian.
///
/// **Scale.** With the orthonormaliser W held constant during a gradient step, the loss above can always be
/// lowered by shrinking the network's raw output Ỹ (Y = ỸW shrinks with it) — a direction the next
/// orthonormalisation undoes, so the optimiser keeps chasing it: we measured the validation loss *rising* from the
/// first epoch on. Dividing by the D-weighted output mass, tr(YᵀDY)/m, gives the generalised Rayleigh quotient
/// tr(YᵀLY)/tr(YᵀDY), which is scale-invariant (so the drift direction has zero gradient) and whose minimisers under
/// the orthonormality constraint are the random-walk eigenvectors used by the numeric SE. On the 6-cluster test
/// set this took the largest principal-angle sine to the numeric SE from 0.77–0.89 down to about 0.15.
///
/// **How.** An MLP (LeakyReLU hidden layers, tanh output) followed by the `OrthonormalizationLayer`: each step
/// first runs the network on a separate random batch and sets the layer so that that batch's output is
/// orthonormal, then takes an Adam step on the loss of a gradient batch with the layer held constant (the
/// alternation of the paper, which keeps the constraint out of the gradient). ReduceLROnPlateau on the validation
/// loss (10 % of the rows), early stopping when it stops improving, and the best weights by validation are kept.
///
/// **From the learned subspace to the SE.** The network has K = dimensions + 1 outputs because the constant
/// vector (eigenvalue 0, the trivial eigenvector) is among the minimisers. After training, a Rayleigh–Ritz step on
/// a reference batch solves the small generalised problem (ỸᵀLỸ) v = λ (ỸᵀDỸ) v in the network's output space;
/// its eigenvectors, sorted by λ, are the best approximations of the random-walk eigenvectors (Pψ = (1−λ)ψ)
/// inside the learned subspace. The first (λ ≈ 0, the constant) is dropped and the next `dimensions` kept, so
/// the output is comparable with `NumericSpectralEmbedding` column by column, up to signs and rotations inside
/// (near-)repeated eigenvalues.
public struct SpectralNet {
    public struct Configuration: Sendable {
        /// Hidden layer widths.
        public var hidden: [Int]
        /// Embedding dimension (the trivial direction is learned in addition and dropped).
        public var dimensions: Int
        public var batchSize: Int
        /// k of the kNN graph built inside each batch (clipped to batch size − 1).
        public var neighbors: Int
        public var metric: DistanceMetric
        public var learningRate: Double
        public var epochs: Int
        /// ReduceLROnPlateau: factor and patience (epochs).
        public var learningRateDecay: Double
        public var plateauPatience: Int
        /// Stop when the validation loss has not improved for this many epochs, or when the learning rate falls
        /// below `minimumLearningRate` (SpectralNet's own stopping rule).
        public var earlyStoppingPatience: Int
        public var minimumLearningRate: Double
        public var validationFraction: Double
        /// Rows of the reference batch for the final Rayleigh–Ritz step.
        public var referenceBatchSize: Int
        /// Weight μ of the soft orthogonality term μ‖ỸᵀỸ/m − I‖²_F on the raw network output. The scale-invariant
        /// loss is also invariant to the raw output *collapsing* towards one direction (the constant, with zero
        /// loss) as long as the orthonormaliser can still undo it; on the 14 656-row text data every batch became
        /// rank deficient by epoch 30 without it. The term keeps the raw output well conditioned, so the
        /// orthonormaliser stays close to the identity; it does not change the learned subspace, only its basis.
        public var orthogonalityPenalty: Double

        public init(hidden: [Int] = [256, 256], dimensions: Int = 10, batchSize: Int = 1024, neighbors: Int = 30,
                    metric: DistanceMetric = .cosine, learningRate: Double = 1e-3, epochs: Int = 30,
                    learningRateDecay: Double = 0.1, plateauPatience: Int = 5, earlyStoppingPatience: Int = 10,
                    minimumLearningRate: Double = 1e-7, validationFraction: Double = 0.1,
                    referenceBatchSize: Int = 4096, orthogonalityPenalty: Double = 0.1) {
            self.hidden = hidden; self.dimensions = dimensions; self.batchSize = batchSize
            self.neighbors = neighbors; self.metric = metric; self.learningRate = learningRate; self.epochs = epochs
            self.learningRateDecay = learningRateDecay; self.plateauPatience = plateauPatience
            self.earlyStoppingPatience = earlyStoppingPatience; self.minimumLearningRate = minimumLearningRate
            self.validationFraction = validationFraction; self.referenceBatchSize = referenceBatchSize
            self.orthogonalityPenalty = orthogonalityPenalty
        }

        /// Appendix D.8: hidden [4096, 4096, 1024], batch 4096, Adam 1e-4, decay 0.1 with patience 10, 100 epochs,
        /// the D.5 graph with k = 100.
        public static let paper = Configuration(hidden: [4096, 4096, 1024], dimensions: 10, batchSize: 4096,
                                                neighbors: 100, learningRate: 1e-4, epochs: 100,
                                                learningRateDecay: 0.1, plateauPatience: 10,
                                                earlyStoppingPatience: 100)

        /// The practical default on 2 cores: a small network and larger learning rate (see the README's timings).
        public static let `default` = Configuration()
    }

    public let configuration: Configuration
    public init(configuration: Configuration = .default) { self.configuration = configuration }

    /// One epoch's record, passed to `progress` and kept in the fitted model's `history`.
    public struct EpochRecord: Sendable {
        public let epoch: Int
        public let trainingLoss: Double
        public let validationLoss: Double
        public let learningRate: Double
        /// Orthonormalisation batches that needed the rank-deficiency fallback in this epoch.
        public let recoveries: Int
    }

    /// Trains on the rows of `x` (one modality, no pairs needed).
    public func fit(_ x: Matrix<Float>, seed: UInt64,
                    progress: ((EpochRecord) -> Void)? = nil) throws -> FittedSpectralNet {
        let c = configuration
        let k = c.dimensions + 1
        try requireFiniteInput(x, "SpectralNet input")
        guard c.dimensions >= 1, c.batchSize >= 2, c.epochs >= 0, c.neighbors >= 1, c.learningRate > 0,
              c.hidden.allSatisfy({ $0 > 0 }) else {
            throw PipelineError.invalidConfiguration("SpectralNet: dimensions, batch size, neighbours, learning rate "
                + "and hidden widths must be positive (got \(c.dimensions), \(c.batchSize), \(c.neighbors), "
                + "\(c.learningRate), \(c.hidden))")
        }
        guard x.rows >= 2 * (k + 1) else {
            throw PipelineError.invalidInput("SpectralNet: \(x.rows) rows are too few for \(c.dimensions) dimensions "
                + "(need at least \(2 * (k + 1)))")
        }
        var rng = SeededRandom(seed: seed)
        let standardizer = ColumnStandardizer(fitting: x)
        let data = Tensor(constant: standardizer.apply(x))
        let model = MLP<Float>(sizes: [x.columns] + c.hidden + [k], hidden: .leakyReLU, output: .tanh, rng: &rng)
        let optimizer = Adam(parameters: model.parameters, learningRate: c.learningRate)
        let scheduler = ReduceLROnPlateau(optimizer: optimizer, factor: c.learningRateDecay, patience: c.plateauPatience)

        var (train, validation) = trainValidationSplit(x.rows, validationFraction: c.validationFraction, rng: &rng)
        if validation.count < k + 2 { train += validation; validation = [] }
        train.sort()
        let batchCount = max(1, (train.count + c.batchSize - 1) / c.batchSize)
        let tape = Tape<Float>()

        // The validation batch and its graph are fixed: the loss is comparable from epoch to epoch.
        let validationRows = Array(validation.prefix(c.batchSize))
        let validationGraph = validationRows.isEmpty ? nil
            : try batchAffinity(x.rows(validationRows), neighbors: c.neighbors, metric: c.metric)

        // The loss of a batch: the Rayleigh-quotient loss divided by the D-weighted output mass (see the type's
        // discussion), with the orthonormaliser and the graph constant.
        func loss(_ rows: [Int], graph: Matrix<Float>, orthonormalizer: Matrix<Float>) -> Tensor<Float> {
            let m = rows.count
            let raw = model(tape.gatherRows(data, rows))
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
        func outputs(_ rows: [Int]) -> Matrix<Float> {
            tape.reset()
            return model(tape.gatherRows(data, rows)).value
        }

        var history: [EpochRecord] = []
        var best = (loss: Double.infinity, parameters: model.exportParameters(), epoch: 0)
        var totalRecoveries = 0
        for epoch in 0..<c.epochs {
            var order = train
            rng.shuffle(&order)
            var epochLoss = 0.0, recoveries = 0
            for b in 0..<batchCount {
                let rows = Array(order[(order.count * b / batchCount)..<(order.count * (b + 1) / batchCount)])
                if rows.count < k + 2 { continue }
                // 1. Orthonormalisation from a separate random batch, held constant below.
                let orthoRows = (0..<min(c.batchSize, train.count)).map { _ in train[rng.int(below: train.count)] }
                let layer = try OrthonormalizationLayer(batchOutput: outputs(orthoRows))
                if layer.recovered { recoveries += 1 }
                // 2. Gradient step on the batch's Rayleigh-quotient loss.
                let graph = try batchAffinity(x.rows(rows), neighbors: c.neighbors, metric: c.metric)
                tape.reset()
                optimizer.zeroGradients()
                let l = loss(rows, graph: graph, orthonormalizer: layer.weights)
                do { try tape.backward(l) } catch {
                    throw PipelineError.trainingDiverged("SpectralNet loss is \(l.scalar) at epoch \(epoch + 1)")
                }
                optimizer.step()
                epochLoss += Double(l.scalar) / Double(batchCount)
            }
            var validationLoss = epochLoss
            if let validationGraph {
                let layer = try OrthonormalizationLayer(batchOutput: outputs(validationRows))
                if layer.recovered { recoveries += 1 }
                tape.reset()
                validationLoss = Double(loss(validationRows, graph: validationGraph, orthonormalizer: layer.weights).scalar)
            }
            totalRecoveries += recoveries
            scheduler.step(validationLoss)
            let record = EpochRecord(epoch: epoch + 1, trainingLoss: epochLoss, validationLoss: validationLoss,
                                     learningRate: optimizer.learningRate, recoveries: recoveries)
            history.append(record)
            progress?(record)
            if validationLoss < best.loss { best = (validationLoss, model.exportParameters(), epoch + 1) }
            if epoch + 1 - best.epoch >= c.earlyStoppingPatience || optimizer.learningRate < c.minimumLearningRate { break }
        }
        try model.importParameters(best.parameters)

        // Rayleigh–Ritz on a reference batch: from the K learned directions to sorted random-walk eigenvectors.
        var referenceRows = train
        rng.shuffle(&referenceRows)
        referenceRows = Array(referenceRows.prefix(max(c.referenceBatchSize, k + 2))).sorted()
        let referenceGraph = try batchAffinity(x.rows(referenceRows), neighbors: c.neighbors, metric: c.metric)
        let ritz = try rayleighRitz(outputs(referenceRows).converted(to: Double.self), graph: referenceGraph)
        var projection = Matrix<Float>(rows: k, columns: c.dimensions)
        for i in 0..<k { for j in 0..<c.dimensions { projection[i, j] = Float(ritz.vectors[i, j + 1]) } }
        return FittedSpectralNet(configuration: c, standardizer: standardizer, model: model, projection: projection,
                                 eigenvalues: Array(ritz.values[1...c.dimensions]).map { 1 - $0 },
                                 history: history, bestEpoch: best.epoch, recoveries: totalRecoveries)
    }

    /// The generalised eigenproblem (YᵀLY) v = λ (YᵀDY) v, L = D − W, solved by Cholesky of B = YᵀDY (regularised
    /// like the orthonormalisation layer if Y is rank deficient) and a symmetric eigen-decomposition of
    /// L_B⁻¹ A L_B⁻ᵀ. Returns λ ascending and V = L_B⁻ᵀ U (columns), so that YV is D-orthonormal.
    func rayleighRitz(_ y: Matrix<Double>, graph: Matrix<Float>) throws -> (values: [Double], vectors: Matrix<Double>) {
        let m = y.rows, k = y.columns
        var degrees = [Double](repeating: 0, count: m)
        for i in 0..<m { for j in 0..<m { degrees[i] += Double(graph[i, j]) } }
        var dy = y
        for i in 0..<m { for c in 0..<k { dy[i, c] *= degrees[i] } }
        let w = graph.converted(to: Double.self)
        var b = Matrix.multiply(y, .transposed, dy)                         // YᵀDY
        let wy = Matrix.multiply(w, .none, y)
        let ywy = Matrix.multiply(y, .transposed, wy)
        var a = Matrix<Double>(rows: k, columns: k) { b[$0, $1] - ywy[$0, $1] }  // Yᵀ(D − W)Y
        var trace = 0.0
        for i in 0..<k { trace += b[i, i] }
        let l: Matrix<Double>
        if let factor = try? cholesky(b) { l = factor } else {
            for i in 0..<k { b[i, i] += 1e-6 * max(trace, 1e-300) / Double(k) }
            l = try cholesky(b)
        }
        let li = try invertTriangular(l, lower: true)
        a = Matrix.multiply(Matrix.multiply(li, .none, a), .none, li, .transposed)
        for i in 0..<k { for j in 0..<i { let s = 0.5 * (a[i, j] + a[j, i]); a[i, j] = s; a[j, i] = s } }
        let eigen = try symmetricEigen(a)
        return (eigen.values, Matrix.multiply(li, .transposed, eigen.vectors))
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
public final class FittedSpectralNet {
    public let configuration: SpectralNet.Configuration
    public let standardizer: ColumnStandardizer
    public let model: MLP<Float>
    /// K × dimensions: the Ritz vectors after the trivial one.
    public let projection: Matrix<Float>
    /// Random-walk eigenvalue estimates 1 − λ for the kept columns (cf. `FittedNumericSpectralEmbedding.eigenvalues`).
    public let eigenvalues: [Double]
    public let history: [SpectralNet.EpochRecord]
    /// The epoch whose weights were kept (best validation loss).
    public let bestEpoch: Int
    /// Orthonormalisation batches that needed the rank-deficiency fallback during training.
    public let recoveries: Int

    init(configuration: SpectralNet.Configuration, standardizer: ColumnStandardizer, model: MLP<Float>,
         projection: Matrix<Float>, eigenvalues: [Double], history: [SpectralNet.EpochRecord], bestEpoch: Int,
         recoveries: Int) {
        self.configuration = configuration; self.standardizer = standardizer; self.model = model
        self.projection = projection; self.eigenvalues = eigenvalues; self.history = history
        self.bestEpoch = bestEpoch; self.recoveries = recoveries
    }

    public var dimensions: Int { projection.columns }

    /// The embedding of the rows of `x` (n × dimensions).
    public func transform(_ x: Matrix<Float>) throws -> Matrix<Double> {
        guard x.columns == standardizer.means.count else {
            throw PipelineError.invalidInput("SpectralNet: input has \(x.columns) columns, the model was trained on \(standardizer.means.count)")
        }
        try requireFiniteInput(x, "SpectralNet input")
        let raw = forwardInChunks(standardizer.apply(x), outputs: projection.rows) { _, t in model(t) }
        return Matrix.multiply(raw, .none, projection).converted(to: Double.self)
    }
}
