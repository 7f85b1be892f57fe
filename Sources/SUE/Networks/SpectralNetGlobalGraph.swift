import Foundation
import LinearAlgebra
import Autodiff
import Spectral

/// Draws edges (i, j) of a graph with probability proportional to wᵢⱼ, among edges whose first vertex is one of
/// `anchors` and whose second is allowed by `partners`: first an anchor with probability ∝ its restricted degree
/// (binary search in the prefix sums), then one of its allowed neighbours ∝ the weight (a scan of its row).
/// P(i, j) = (dᵢ/Σd)·(wᵢⱼ/dᵢ) = wᵢⱼ/Σw. Because W is symmetric and both (i, j) and (j, i) are stored, the second
/// endpoint is also distributed ∝ its degree: the endpoints of the sample are a D-weighted sample of rows.
struct WeightedEdgeSampler {
    let rowPointers: [Int]
    let columnIndices: [Int]
    let weights: [Double]
    let partners: [Bool]
    let anchors: [Int]
    /// Inclusive prefix sums of the anchors' restricted degrees.
    let cumulative: [Double]
    let restrictedDegrees: [Double]

    init(graph: AffinityGraph, anchors candidates: [Int], partners: [Bool]) {
        rowPointers = graph.rowPointers; columnIndices = graph.columnIndices; weights = graph.weights
        self.partners = partners
        var anchors = [Int](), cumulative = [Double](), degrees = [Double]()
        var total = 0.0
        for i in candidates {
            var d = 0.0
            for p in rowPointers[i]..<rowPointers[i + 1] where partners[columnIndices[p]] { d += weights[p] }
            guard d > 0 else { continue }
            total += d
            anchors.append(i); cumulative.append(total); degrees.append(d)
        }
        self.anchors = anchors; self.cumulative = cumulative; self.restrictedDegrees = degrees
    }

    var isEmpty: Bool { anchors.isEmpty }

    /// `count` edges as two arrays of endpoints.
    func sample(_ count: Int, rng: inout SeededRandom) -> (from: [Int], to: [Int]) {
        precondition(!isEmpty, "WeightedEdgeSampler: no edge to sample")
        var from = [Int](), to = [Int]()
        from.reserveCapacity(count); to.reserveCapacity(count)
        let total = cumulative[cumulative.count - 1]
        for _ in 0..<count {
            let u = rng.uniform() * total
            var lo = 0, hi = cumulative.count - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] > u { hi = mid } else { lo = mid + 1 } }
            let i = anchors[lo]
            let target = rng.uniform() * restrictedDegrees[lo]
            var running = 0.0, chosen = -1
            for p in rowPointers[i]..<rowPointers[i + 1] where partners[columnIndices[p]] {
                chosen = columnIndices[p]
                running += weights[p]
                if running > target { break }
            }
            from.append(i); to.append(chosen)
        }
        return (from, to)
    }
}

/// SpectralNet on the global graph (see `SpectralNet`, "Which graph"): each step samples batchSize/2 edges by
/// weight and descends the gradient of the batch's generalised Rayleigh quotient R = tr(B⁻¹A).
final class GlobalGraphObjective: SpectralNetObjective {
    let net: SpectralNetTraining
    let graph: AffinityGraph
    let trainingEdges: WeightedEdgeSampler
    /// A fixed sample of the edges touching the validation rows (empty without validation rows).
    let validationEdges: (from: [Int], to: [Int])
    let edgesPerStep: Int
    let stepsPerEpoch: Int

    init(_ net: SpectralNetTraining, graph: AffinityGraph, train: [Int], validation: [Int],
         rng: inout SeededRandom) throws {
        let c = net.configuration
        self.net = net; self.graph = graph
        let n = graph.vertexCount
        var isTraining = [Bool](repeating: false, count: n)
        for i in train { isTraining[i] = true }
        trainingEdges = WeightedEdgeSampler(graph: graph, anchors: train, partners: isTraining)
        guard !trainingEdges.isEmpty else {
            throw AlignmentError.invalidInput("SpectralNet: the kNN graph has no edge between training rows")
        }
        // A step's 2e endpoints: the batch size, but no more than the training rows (an epoch is then about one
        // pass of forward/backward over as many rows as there are training rows, as with `.batch`), and at least
        // K + 1 so that a batch can span the K outputs.
        edgesPerStep = max(min(c.batchSize, train.count) / 2, net.outputCount + 1)
        stepsPerEpoch = max(1, (train.count + 2 * edgesPerStep - 1) / (2 * edgesPerStep))
        // Two edges per validation row (at most 4 096): a fixed sample, so the loss is comparable across epochs.
        let validationSampler = WeightedEdgeSampler(graph: graph, anchors: validation,
                                                    partners: [Bool](repeating: true, count: n))
        validationEdges = validationSampler.isEmpty ? ([], [])
            : validationSampler.sample(min(4096, max(2 * validation.count, net.outputCount + 1)), rng: &rng)
    }

    /// The batch's R = tr(B⁻¹A) (its value) and a surrogate with the same gradient whose value is ≈ 0.
    ///
    /// Rows are the endpoints [from…, to…] of e edges, Ỹ their raw output (2e × K). B = ỸᵀỸ/2e estimates ỸᵀDỸ/vol
    /// (endpoints are D-weighted), A = Σₑ (ỹᵢ − ỹⱼ)ᵀ(ỹᵢ − ỹⱼ)/2e estimates ỸᵀLỸ/vol. The orthonormalisation layer
    /// gives M with MMᵀ = B⁻¹ (or (B + δI)⁻¹ after a recovery); Y = ỸM and C = MᵀAM, so R = tr C and
    ///
    ///     surrogate = Σₑ‖yᵢ − yⱼ‖²/2e − Σ_rows (yCyᵀ)/2e = tr(G_A A) + tr(G_B B),
    ///
    /// with M and C constant: its gradient is dR (see `SpectralNet`), its value tr C − tr(C·YᵀY/2e) = 0.
    func batchLoss(from: [Int], to: [Int], withGradient: Bool) throws -> (value: Double, surrogate: Tensor<Float>?, recovered: Bool) {
        let tape = net.tape
        let e = from.count
        tape.reset()
        let raw = net.model(tape.gatherRows(net.data, from + to))
        let layer = try OrthonormalizationLayer(batchOutput: raw.value)
        let y = tape.matmul(raw, tape.constant(layer.weights))
        let difference = tape.sliceRows(y, 0..<e) - tape.sliceRows(y, e..<(2 * e))
        // C = ΔᵀΔ/2e in Double (K × K), from the values.
        let k = y.columns
        let delta = difference.value.converted(to: Double.self)
        var cMatrix = Matrix.multiply(delta, .transposed, delta)
        var value = 0.0
        for i in 0..<k { for j in 0..<k { cMatrix[i, j] /= Double(2 * e) }; value += cMatrix[i, i] }
        guard value.isFinite else {
            throw AlignmentError.trainingDiverged("SpectralNet Rayleigh quotient is \(value)")
        }
        guard withGradient else { return (value, nil, layer.recovered) }
        let laplacianTerm = tape.sum(difference * difference) / Float(2 * e)
        let orthonormalityTerm = tape.sum(tape.matmul(y, tape.constant(cMatrix.converted(to: Float.self))) * y) / Float(2 * e)
        return (value, laplacianTerm - orthonormalityTerm, layer.recovered)
    }

    func trainEpoch(rng: inout SeededRandom, epoch: Int) throws -> (loss: Double, recoveries: Int) {
        var epochLoss = 0.0, recoveries = 0
        for _ in 0..<stepsPerEpoch {
            let (from, to) = trainingEdges.sample(edgesPerStep, rng: &rng)
            net.optimizer.zeroGradients()
            let batch = try batchLoss(from: from, to: to, withGradient: true)
            if batch.recovered { recoveries += 1 }
            try net.step(batch.surrogate!, epoch: epoch)
            epochLoss += batch.value / Double(stepsPerEpoch)
        }
        return (epochLoss, recoveries)
    }

    func validationLoss() throws -> (loss: Double, recoveries: Int)? {
        guard !validationEdges.from.isEmpty else { return nil }
        let batch = try batchLoss(from: validationEdges.from, to: validationEdges.to, withGradient: false)
        return (batch.value, batch.recovered ? 1 : 0)
    }

    /// Exactly, on the whole graph: A = Ỹᵀ(D − W)Ỹ, B = ỸᵀDỸ with the raw output Ỹ of every row.
    func rayleighMatrices(standardized: Matrix<Float>, rng: inout SeededRandom) throws -> (Matrix<Double>, Matrix<Double>) {
        let y = forwardInChunks(standardized, outputs: net.outputCount) { _, t in net.model(t) }.converted(to: Double.self)
        let degrees = graph.degrees
        var dy = y
        for i in 0..<y.rows { for c in 0..<y.columns { dy[i, c] *= degrees[i] } }
        let b = Matrix.multiply(y, .transposed, dy)
        let ywy = Matrix.multiply(y, .transposed, graph.matrix.multiply(y))
        return (Matrix<Double>(rows: y.columns, columns: y.columns) { b[$0, $1] - ywy[$0, $1] }, b)
    }
}
