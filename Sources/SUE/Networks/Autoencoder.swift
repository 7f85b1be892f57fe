import Foundation
import LinearAlgebra
import Autodiff

/// An MLP autoencoder (Hinton & Salakhutdinov, *Reducing the dimensionality of data with neural networks*,
/// Science 2006), the replacement for the spectral embedding in the "AE + CCA + MMD" ablation (Table 9).
///
/// Encoder: standardised input → hidden (LeakyReLU) → `dimensions` (linear code); decoder: the mirror image back
/// to the input size. Loss: mean squared reconstruction error. AdamW 1e-3 (Appendix D.8), mini-batches, 10 % of
/// the rows held out; the weights with the best validation loss are kept, with early stopping after `patience`
/// epochs without improvement. Like the SE, it sees one modality and no pairs.
public struct Autoencoder {
    /// The network's shape and training schedule.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Hidden widths of the encoder (the decoder mirrors them).
        public var hidden: [Int]
        /// Width of the code.
        public var dimensions: Int
        /// AdamW's learning rate.
        public var learningRate: Double
        /// AdamW's decoupled weight decay.
        public var weightDecay: Double
        /// Maximum passes over the training rows.
        public var epochs: Int
        /// Rows per step.
        public var batchSize: Int
        /// Epochs without a better validation loss before training stops.
        public var patience: Int
        /// Fraction of the rows held out for validation.
        public var validationFraction: Double
        /// A schedule with every setting given.
        public init(hidden: [Int] = [256, 256], dimensions: Int = 10, learningRate: Double = 1e-3,
                    weightDecay: Double = 0.01, epochs: Int = 30, batchSize: Int = 256, patience: Int = 5,
                    validationFraction: Double = 0.1) {
            self.hidden = hidden; self.dimensions = dimensions; self.learningRate = learningRate
            self.weightDecay = weightDecay; self.epochs = epochs; self.batchSize = batchSize; self.patience = patience
            self.validationFraction = validationFraction
        }
        /// Appendix D.8: the SpectralNet MLP as encoder (4096-4096-1024), AdamW 1e-3, 100 epochs.
        public static let paper = Configuration(hidden: [4096, 4096, 1024], epochs: 100, batchSize: 4096, patience: 100)
        /// The package's default: 256-256, 30 epochs.
        public static let `default` = Configuration()
    }

    /// The settings this trainer uses.
    public let configuration: Configuration
    /// A trainer with the given settings.
    public init(configuration: Configuration = .default) { self.configuration = configuration }

    /// Trains on the rows of `x`; randomness comes from `context.seed`, each epoch is reported under `name`.
    public func fit(_ x: Matrix<Float>, context: FitContext, name: String = "autoencoder") throws -> FittedAutoencoder {
        let c = configuration
        let seed = context.seed
        try requireFinite(x, "autoencoder input")
        guard c.dimensions >= 1, c.batchSize >= 1, c.learningRate > 0, c.hidden.allSatisfy({ $0 > 0 }) else {
            throw AlignmentError.invalidConfiguration("autoencoder: dimensions, batch size, learning rate and widths must be positive")
        }
        guard x.rows >= 4 else { throw AlignmentError.invalidInput("autoencoder needs at least 4 rows, got \(x.rows)") }
        var rng = SeededRandom(seed: seed)
        let standardizer = ColumnStandardizer(fitting: x)
        let data = Tensor(constant: try standardizer.embed(x))
        let encoder = MLP<Float>(sizes: [x.columns] + c.hidden + [c.dimensions], hidden: .leakyReLU, output: .identity, rng: &rng)
        let decoder = MLP<Float>(sizes: [c.dimensions] + c.hidden.reversed() + [x.columns], hidden: .leakyReLU,
                                 output: .identity, rng: &rng)
        let optimizer = Adam.adamW(parameters: encoder.parameters + decoder.parameters, learningRate: c.learningRate,
                                   weightDecay: c.weightDecay)
        let (train, validation) = trainValidationSplit(x.rows, validationFraction: c.validationFraction, rng: &rng)
        let tape = Tape<Float>()
        func reconstructionLoss(_ rows: [Int]) -> Tensor<Float> {
            let input = tape.gatherRows(data, rows)
            let error = decoder(encoder(input)) - input
            return tape.mean(error * error)
        }
        let batchCount = max(1, (train.count + c.batchSize - 1) / c.batchSize)
        var best = (loss: Double.infinity, encoder: encoder.exportParameters(), epoch: 0)
        for epoch in 0..<c.epochs {
            var order = train
            rng.shuffle(&order)
            var trainingLoss = 0.0
            for b in 0..<batchCount {
                let rows = Array(order[(order.count * b / batchCount)..<(order.count * (b + 1) / batchCount)])
                tape.reset()
                optimizer.zeroGradients()
                let loss = reconstructionLoss(rows)
                do { try tape.backward(loss) } catch {
                    throw AlignmentError.trainingDiverged("autoencoder loss is \(loss.scalar) at epoch \(epoch + 1)")
                }
                optimizer.step()
                trainingLoss += Double(loss.scalar) / Double(batchCount)
            }
            var validationLoss = trainingLoss
            if !validation.isEmpty {
                tape.reset()
                validationLoss = Double(reconstructionLoss(Array(validation.prefix(4096))).scalar)
            }
            context.report(name, Double(epoch + 1) / Double(max(1, c.epochs)),
                           String(format: "epoch %d validation loss %.5f", epoch + 1, validationLoss))
            if validationLoss < best.loss { best = (validationLoss, encoder.exportParameters(), epoch + 1) }
            if epoch + 1 - best.epoch >= c.patience { break }
        }
        try encoder.importParameters(best.encoder)
        return FittedAutoencoder(standardizer: standardizer, encoder: NetworkWeights(encoder), bestEpoch: best.epoch)
    }
}

/// A trained autoencoder; only the encoder is kept.
public struct FittedAutoencoder: Sendable, Equatable {
    /// The input standardisation.
    public let standardizer: ColumnStandardizer
    /// The encoder's weights.
    public let encoder: NetworkWeights
    /// The epoch whose weights were kept.
    public let bestEpoch: Int
    init(standardizer: ColumnStandardizer, encoder: NetworkWeights, bestEpoch: Int) {
        self.standardizer = standardizer; self.encoder = encoder; self.bestEpoch = bestEpoch
    }

    /// The codes of the rows of `x`.
    public func embed(_ x: Matrix<Float>) throws -> Matrix<Double> {
        guard x.columns == standardizer.means.count else {
            throw AlignmentError.invalidInput("autoencoder: input has \(x.columns) columns, trained on \(standardizer.means.count)")
        }
        try requireFinite(x, "autoencoder input")
        return encoder.forward(try standardizer.embed(x)).converted(to: Double.self)
    }
}
