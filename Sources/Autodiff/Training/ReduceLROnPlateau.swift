/// Lowers an optimiser's learning rate when a monitored metric stops improving: PyTorch's
/// `torch.optim.lr_scheduler.ReduceLROnPlateau` with relative threshold mode.
///
/// After each epoch call `step(metric)`. A value counts as an improvement when it beats the best so far by the
/// relative `threshold` (below best·(1 − threshold) in `.min` mode, above best·(1 + threshold) in `.max`).
/// After more than `patience` epochs without improvement the rate becomes max(rate·factor, minimumLearningRate)
/// (ignored if the change is below `epsilon`), then `cooldown` epochs pass in which bad epochs are not counted.
public final class ReduceLROnPlateau {
    /// Whether a lower (`min`, e.g. a loss) or a higher (`max`, e.g. an accuracy) metric counts as better.
    public enum Mode: Sendable { case min, max }

    /// The optimiser whose `learningRate` is lowered.
    public let optimizer: any Optimizer
    /// Whether lower or higher metric values are better.
    public let mode: Mode
    /// The multiplier applied to the learning rate on a plateau (below 1).
    public let factor: Double
    /// Epochs without improvement that are tolerated before the rate is lowered.
    public let patience: Int
    /// The relative margin by which a metric must beat `best` to count as an improvement.
    public let threshold: Double
    /// Epochs after a reduction during which bad epochs are not counted.
    public let cooldown: Int
    /// The floor below which the learning rate is never lowered.
    public let minimumLearningRate: Double
    /// The smallest change of the learning rate worth making; smaller reductions are skipped.
    public let epsilon: Double
    /// The best metric seen so far (+∞ in `.min` mode, −∞ in `.max` mode before the first step).
    public private(set) var best: Double
    /// Consecutive epochs without improvement, counted against `patience`.
    public private(set) var badEpochs = 0
    /// Epochs left in the current cooldown.
    public private(set) var cooldownRemaining = 0

    /// A scheduler for `optimizer`; the defaults are those of PyTorch's `ReduceLROnPlateau`.
    public init(optimizer: any Optimizer, mode: Mode = .min, factor: Double = 0.1, patience: Int = 10,
                threshold: Double = 1e-4, cooldown: Int = 0, minimumLearningRate: Double = 0, epsilon: Double = 1e-8) {
        precondition(factor < 1, "ReduceLROnPlateau: factor must be below 1, got \(factor)")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.cooldown = cooldown
        self.minimumLearningRate = minimumLearningRate
        self.epsilon = epsilon
        best = mode == .min ? .infinity : -.infinity
    }

    /// Records one epoch's metric; returns true when the learning rate was reduced.
    @discardableResult
    public func step(_ metric: Double) -> Bool {
        let improved = mode == .min ? metric < best * (1 - threshold) : metric > best * (1 + threshold)
        if improved {
            best = metric
            badEpochs = 0
        } else {
            badEpochs += 1
        }
        if cooldownRemaining > 0 {
            cooldownRemaining -= 1
            badEpochs = 0
        }
        guard badEpochs > patience else { return false }
        cooldownRemaining = cooldown
        badEpochs = 0
        let old = optimizer.learningRate, new = Swift.max(old * factor, minimumLearningRate)
        guard old - new > epsilon else { return false }
        optimizer.learningRate = new
        return true
    }
}
