import Foundation
import LinearAlgebra

/// Synthetic paired data for tests and demos: one latent manifold seen through two different non-linear maps.
///
/// Latent points `z ∈ ℝ^latent` are drawn around `clusters` random centres (so the data have both coarse
/// cluster structure and fine within-cluster structure, like real embeddings). Then
///
///     x = tanh(z·A) + noise·ε,          A: latent × dx random Gaussian / √latent
///     y = z·B + ½·sin(z·C) + noise·ε',   B, C: latent × dy
///
/// so neither side is a linear function of the other, and row i of `x` belongs with row i of `y`. Both maps are
/// mild on the data (tanh saturates little, the sine term is half the size of the linear one), so the two sides
/// are close to linearly related: CCA on the raw features aligns them well (about 99 % Recall@10 with 50 pairs
/// in `PipelineTests`). It tests that methods work, not that non-linear alignment is needed.
public func makeSyntheticPairs(rows: Int, latent: Int = 8, dx: Int = 32, dy: Int = 24, clusters: Int = 12,
                               noise: Double = 0.05, seed: UInt64) -> (x: Matrix<Float>, y: Matrix<Float>) {
    var random = SeededRandom(seed: seed)
    let centres: Matrix<Double> = random.normalMatrix(clusters, latent, std: 1.5)
    let a: Matrix<Double> = random.normalMatrix(latent, dx, std: 1 / Double(latent).squareRoot())
    let b: Matrix<Double> = random.normalMatrix(latent, dy, std: 1 / Double(latent).squareRoot())
    let c: Matrix<Double> = random.normalMatrix(latent, dy, std: 2 / Double(latent).squareRoot())
    var z = Matrix<Double>(rows: rows, columns: latent)
    for i in 0..<rows {
        let k = random.int(below: clusters)
        for j in 0..<latent { z[i, j] = centres[k, j] + random.normal() }
    }
    let za = Matrix.multiply(z, .none, a, .none), zb = Matrix.multiply(z, .none, b, .none)
    let zc = Matrix.multiply(z, .none, c, .none)
    var x = Matrix<Float>(rows: rows, columns: dx), y = Matrix<Float>(rows: rows, columns: dy)
    for i in 0..<rows {
        for j in 0..<dx { x[i, j] = Float(tanh(za[i, j]) + noise * random.normal()) }
        for j in 0..<dy { y[i, j] = Float(zb[i, j] + 0.5 * sin(zc[i, j]) + noise * random.normal()) }
    }
    return (x, y)
}

/// Synthetic paired data whose two sides are far from linearly related, like a neural sentence encoder and a
/// bag of words of the same texts.
///
/// Latent points `z ∈ ℝ^latent` are drawn around `clusters` random centres. Then
///
///     x = tanh(z·A₁)·A₂ + noise·ε                 (a random two-layer network: the "encoder" view)
///     y = log(1 + c)·R,   c ~ Poisson(words · softmax(z·B))   (a "bag of words" view)
///
/// with `A₁`: latent × hidden, `A₂`: hidden × dx, `B`: latent × vocabulary, `R`: vocabulary × dy random Gaussian
/// matrices. The word counts `c` are a random draw, so the Y side is a noisy, non-linear (exponential, then
/// logarithmic) function of the latent point, sampled afresh for every item: two items at the same latent point
/// get different word counts, as two phrasings of one meaning do. Row i of `x` belongs with row i of `y`.
/// The defaults give a problem of the kind the self-learning loops are for: with 3 000 rows a ridge map needs
/// thousands of pairs to approach its ceiling, while the unpaired rows carry the correspondence (measured
/// figures in docs/notebook.md).
public func makeNonlinearViews(rows: Int, latent: Int = 48, hidden: Int = 256, dx: Int = 192, vocabulary: Int = 1500,
                               words: Double = 150, dy: Int = 160, clusters: Int = 40, noise: Double = 0.05,
                               seed: UInt64) -> (x: Matrix<Float>, y: Matrix<Float>) {
    var random = SeededRandom(seed: seed)
    let centres: Matrix<Double> = random.normalMatrix(clusters, latent, std: 1.2)
    let a1: Matrix<Double> = random.normalMatrix(latent, hidden, std: 1.5 / Double(latent).squareRoot())
    let a2: Matrix<Double> = random.normalMatrix(hidden, dx, std: 1 / Double(hidden).squareRoot())
    let b: Matrix<Double> = random.normalMatrix(latent, vocabulary, std: 2 / Double(latent).squareRoot())
    let r: Matrix<Double> = random.normalMatrix(vocabulary, dy, std: 1 / Double(vocabulary).squareRoot())
    var z = Matrix<Double>(rows: rows, columns: latent)
    for i in 0..<rows {
        let k = random.int(below: clusters)
        for j in 0..<latent { z[i, j] = centres[k, j] + random.normal() }
    }
    var h = Matrix.multiply(z, .none, a1, .none)
    for k in h.elements.indices { h.elements[k] = tanh(h.elements[k]) }
    let xd = Matrix.multiply(h, .none, a2, .none)
    let logits = Matrix.multiply(z, .none, b, .none)
    var counts = Matrix<Double>(rows: rows, columns: vocabulary)
    for i in 0..<rows {
        var largest = -Double.infinity
        for j in 0..<vocabulary { largest = max(largest, logits[i, j]) }
        var total = 0.0
        for j in 0..<vocabulary { total += exp(logits[i, j] - largest) }
        for j in 0..<vocabulary {
            let rate = words * exp(logits[i, j] - largest) / total
            counts[i, j] = log1p(Double(random.poisson(rate)))
        }
    }
    let yd = Matrix.multiply(counts, .none, r, .none)
    var x = Matrix<Float>(rows: rows, columns: dx), y = Matrix<Float>(rows: rows, columns: dy)
    for i in 0..<rows {
        for j in 0..<dx { x[i, j] = Float(xd[i, j] + noise * random.normal()) }
        for j in 0..<dy { y[i, j] = Float(yd[i, j]) }
    }
    return (x, y)
}

extension SeededRandom {
    /// A Poisson-distributed count with mean `rate` (Knuth's multiplication method below 30, a rounded normal
    /// approximation above, where its error is far below what the callers care about).
    mutating func poisson(_ rate: Double) -> Int {
        guard rate > 0 else { return 0 }
        if rate >= 30 { return max(0, Int((rate + rate.squareRoot() * normal()).rounded())) }
        let limit = exp(-rate)
        var count = 0, product = uniform()
        while product > limit { count += 1; product *= uniform() }
        return count
    }
}

/// Synthetic paired data whose relation is curved: a few latent factors seen through periodic functions on one
/// side and a cubic polynomial on the other, like two low-dimensional sensors of one process.
///
/// Latent points `z` are uniform in [−1, 1]^latent. Then
///
///     x = [ sin(2·z·F) | cos(z·F) ] + noise·ε           (F: latent × latent)
///     y = t + 0.3·t² − 0.1·t³ + 2·noise·ε',  t = z·G     (G: latent × dy)
///
/// with F and G random Gaussian. The periodic side folds the latent space over itself, so no linear map between
/// the sides retrieves well however many pairs it has (measured: ridge R@10 below 20 % from 1 000 pairs), while a
/// kernel map fitted on the same pairs does several times better. Row i of `x` belongs with row i of `y`.
public func makeCurvedViews(rows: Int, latent: Int = 6, dy: Int = 10, noise: Double = 0.1,
                            seed: UInt64) -> (x: Matrix<Float>, y: Matrix<Float>) {
    var random = SeededRandom(seed: seed)
    let f: Matrix<Double> = random.normalMatrix(latent, latent, std: 1)
    let g: Matrix<Double> = random.normalMatrix(latent, dy, std: 1)
    var z = Matrix<Double>(rows: rows, columns: latent)
    for k in z.elements.indices { z.elements[k] = 2 * random.uniform() - 1 }
    let zf = Matrix.multiply(z, .none, f, .none), t = Matrix.multiply(z, .none, g, .none)
    var x = Matrix<Float>(rows: rows, columns: 2 * latent), y = Matrix<Float>(rows: rows, columns: dy)
    for i in 0..<rows {
        for j in 0..<latent {
            x[i, j] = Float(sin(2 * zf[i, j]) + noise * random.normal())
            x[i, latent + j] = Float(cos(zf[i, j]) + noise * random.normal())
        }
        for j in 0..<dy {
            let v = t[i, j]
            y[i, j] = Float(v + 0.3 * v * v - 0.1 * v * v * v + 2 * noise * random.normal())
        }
    }
    return (x, y)
}

/// Synthetic paired data modelled on two encoders of different modalities, each of which sees something the other
/// does not: each side is a random deep network of one shared clustered latent point beside a private latent of
/// its own.
///
/// Shared points `z ∈ ℝ^shared` are drawn around `clusters` random centres (`z = centreScale·c + clusterSpread·ε`),
/// private points `p_x, p_y ∈ ℝ^privateColumns` independently for each side. Then
///
///     x = fₓ([z | privateScale·p_x]) + noise·ε,   fₓ: layers of widths `widthsX` (`activations.x`, ReLU by default)
///     y = f_y([z | privateScale·p_y]) + noise·ε', f_y: layers of widths `widthsY` (`activations.y`, GELU by default)
///
/// where each layer is a random linear map (Gaussian / √inputs) plus a small random bias, the activation, and a
/// normalisation of each row to mean 0 and variance 1 (a layer norm). By default the private latents are as strong as
/// the shared one, so much of each side is noise to the other, and rows of one cluster have near twins on the other
/// side: a map from a few pairs retrieves poorly, and a self-learning loop on the unpaired rows creeps towards the
/// correspondence rather than jumping to it (docs/notebook.md). Row i of `x` belongs with row i of `y`.
///
/// The defaults are the recipe of the `private` stress view of `Benchmarks/tools/make_stress_views.py` (which draws
/// from its own generator). Its `encoders` view's recipe, where the loop creeps to the correspondence from ten
/// pairs on, is `clusters: 40, shared: 24, privateColumns: 16, centreScale: 0.8, clusterSpread: 0.6,
/// privateScale: 0.8, widthsX: [256, 256, 512], widthsY: [192, 384], activations: (.gelu, .tanh), noise: 0.2`.
public func makeEncoderViews(rows: Int, clusters: Int = 100, shared: Int = 16, privateColumns: Int = 32,
                             centreScale: Double = 1, clusterSpread: Double = 0.5, privateScale: Double = 1,
                             widthsX: [Int] = [512, 768], widthsY: [Int] = [256, 256],
                             activations: (x: EncoderActivation, y: EncoderActivation) = (.relu, .gelu), noise: Double = 0.3,
                             seed: UInt64) -> (x: Matrix<Float>, y: Matrix<Float>) {
    var random = SeededRandom(seed: seed)
    let centres: Matrix<Double> = random.normalMatrix(clusters, shared, std: 1)
    var inputX = Matrix<Double>(rows: rows, columns: shared + privateColumns), inputY = inputX
    for i in 0..<rows {
        let k = random.int(below: clusters)
        for j in 0..<shared {
            let v = centreScale * centres[k, j] + clusterSpread * random.normal()
            inputX[i, j] = v
            inputY[i, j] = v
        }
        for j in shared..<(shared + privateColumns) {
            inputX[i, j] = privateScale * random.normal()
            inputY[i, j] = privateScale * random.normal()
        }
    }
    func network(_ input: Matrix<Double>, _ widths: [Int], _ activation: (Double) -> Double) -> Matrix<Double> {
        var h = input
        for width in widths {
            let weights: Matrix<Double> = random.normalMatrix(h.columns, width, std: 1 / Double(h.columns).squareRoot())
            let bias = (0..<width).map { _ in 0.1 * random.normal() }
            h = Matrix.multiply(h, .none, weights, .none)
            for i in 0..<h.rows {
                var sum = 0.0, squares = 0.0
                for j in 0..<width {
                    let v = activation(h[i, j] + bias[j])
                    h[i, j] = v
                    sum += v
                    squares += v * v
                }
                let mean = sum / Double(width)
                let std = max(squares / Double(width) - mean * mean, 0).squareRoot() + 1e-6
                for j in 0..<width { h[i, j] = (h[i, j] - mean) / std }
            }
        }
        return h
    }
    let hx = network(inputX, widthsX, activations.x.callAsFunction)
    let hy = network(inputY, widthsY, activations.y.callAsFunction)
    var x = Matrix<Float>(rows: rows, columns: hx.columns), y = Matrix<Float>(rows: rows, columns: hy.columns)
    for i in 0..<rows {
        for j in 0..<hx.columns { x[i, j] = Float(hx[i, j] + noise * random.normal()) }
        for j in 0..<hy.columns { y[i, j] = Float(hy[i, j] + noise * random.normal()) }
    }
    return (x, y)
}

/// The activation of a layer of `makeEncoderViews`' random networks.
public enum EncoderActivation: Sendable {
    /// max(t, 0).
    case relu
    /// The tanh approximation of the Gaussian error linear unit, ½·t·(1 + tanh(√(2/π)·(t + 0.044715·t³))).
    case gelu
    /// tanh(t).
    case tanh

    /// The activation at `t`.
    public func callAsFunction(_ t: Double) -> Double {
        switch self {
        case .relu: return max(t, 0)
        case .gelu: return 0.5 * t * (1 + Foundation.tanh(0.797_884_56 * (t + 0.044_715 * t * t * t)))
        case .tanh: return Foundation.tanh(t)
        }
    }
}
