import Foundation
import LinearAlgebra

/// The auxiliary modality's labelled rows carried into the primary modality's space without any pairs, so that a
/// classifier of the primary rows can train on them.
///
/// **Why this works without pairs.** Labelled rows of both sides say which region of each space a class occupies;
/// the unlabelled primary rows say where the primary rows lie between the classes; and rows of the same items look
/// alike to each other on both sides. An entropic fused Gromov–Wasserstein plan (`FusedGromovWasserstein`)
/// combines the three:
/// - its feature cost puts an auxiliary row of class c near the primary rows that are likely of class c:
///   `−log p(c | x)` under the primary-only classifier for unlabelled rows, 0 or a fixed penalty for labelled ones;
/// - its structure term keeps rows that are similar on the auxiliary side similar on the primary side (cosine
///   similarities of the centred unit rows), which places each row *within* its class.
///
/// Each sampled auxiliary row's target is its barycentre under the plan (`T·X` over its row sum); a ridge map from
/// the auxiliary rows to those targets then carries every auxiliary row across, sampled or not, and smooths the
/// plan's noise. The carried rows are put back in the primary rows' own coordinates (mean plus a typical norm
/// along the mapped direction), so the classifier treats them exactly like primary rows.
///
/// **Cost.** The plan holds m·n entries for m auxiliary and n primary rows, and each round costs O(m·n·d), so
/// both are sampled (seeded) to at most `sampleRows`; the labelled primary rows are always in the sample when they
/// fit.
struct TransportedAuxiliaryRows {
    /// The plan's solver.
    let transport: FusedGromovWasserstein
    /// Rows of each side the plan is computed on.
    let sampleRows: Int

    /// Feature cost between an auxiliary row and a labelled primary row of another class (an unlabelled row costs
    /// `−log p`, which is near this for a class the primary classifier finds unlikely).
    static let otherClassCost = 5.0
    /// Probabilities are floored here before the logarithm, so the cost stays finite.
    static let probabilityFloor = 1e-6
    /// The ridge penalty as a fraction of the mean eigenvalue of the auxiliary rows' Gram matrix.
    static let relativeRidge = 0.25

    /// `auxiliary`'s rows expressed as rows of the primary space (same order, the primary rows' column count).
    /// - Parameters:
    ///   - primary: the labelled primary rows (classes shared with `auxiliary`).
    ///   - unlabelled: primary rows without labels (may be empty).
    ///   - primaryOnly: the classifier trained on `primary` alone; its probabilities make the feature cost.
    func carry(_ auxiliary: LabelledRows, primary: LabelledRows, unlabelled: Matrix<Float>,
               primaryOnly: FittedLogisticClassifier, seed: UInt64) throws -> Matrix<Float> {
        var rng = SeededRandom(seed: seed)
        let labelledSample = sampled(primary.rows.rows, limit: sampleRows, &rng)
        let unlabelledSample = sampled(unlabelled.rows, limit: sampleRows - labelledSample.count, &rng)
        let auxiliarySample = sampled(auxiliary.rows.rows, limit: sampleRows, &rng)

        // The primary rows of the plan, centred on their mean and scaled to unit length.
        let pool = concatenatedRows(primary.rows.rows(labelledSample), unlabelled.rows(unlabelledSample))
        let poolRows = pool.converted(to: Double.self)
        let mean = poolRows.columnMeans()
        let centred = poolRows.centered(by: mean)
        let typicalNorm = (0..<centred.rows).reduce(0.0) { total, i in
            total + centred.row(i).reduce(0) { $0 + $1 * $1 }.squareRoot()
        } / Double(max(1, centred.rows))
        let targetRows = centred.converted(to: Float.self).normalizedRows()
        let auxiliaryDouble = auxiliary.rows.converted(to: Double.self)
        let auxiliaryRows = auxiliaryDouble.centered(by: auxiliaryDouble.columnMeans()).converted(to: Float.self).normalizedRows()
        let sourceRows = auxiliaryRows.rows(auxiliarySample)

        // Feature cost: sampled auxiliary rows × pooled primary rows.
        let labels = labelledSample.map { primary.targets[$0] }
        let probabilities = primaryOnly.probabilities(pool)
        let cost = Matrix<Double>(rows: sourceRows.rows, columns: pool.rows) { i, j in
            let c = auxiliary.targets[auxiliarySample[i]]
            if j < labels.count { return labels[j] == c ? 0 : Self.otherClassCost }
            return -Foundation.log(max(probabilities[j, c], Self.probabilityFloor))
        }
        let plan = try transport.plan(source: sourceRows, target: targetRows, featureCost: cost)

        // Barycentric targets, then the ridge map that reaches them from the auxiliary rows.
        var targets = Matrix.multiply(plan, .none, targetRows.converted(to: Double.self), .none)
        for i in 0..<targets.rows {
            let mass = plan.row(i).reduce(0, +)
            for j in 0..<targets.columns { targets[i, j] = mass > 0 ? targets[i, j] / mass : 0 }
        }
        let a = sourceRows.converted(to: Double.self)
        var gram = Matrix.multiply(a, .transposed, a, .none)
        let penalty = Self.relativeRidge * Double(a.rows) / Double(max(1, a.columns))   // unit rows: trace = rows
        for k in 0..<gram.rows { gram[k, k] += penalty }
        let map = try choleskySolve(gram, Matrix.multiply(a, .transposed, targets, .none))
        let directions = Matrix.multiply(auxiliaryRows.converted(to: Double.self), .none, map, .none).normalizedRows()
        return Matrix<Float>(rows: directions.rows, columns: directions.columns) { i, j in
            Float(mean[j] + typicalNorm * directions[i, j])
        }
    }

    /// `limit` of `0..<count` (all when `count ≤ limit`), in increasing order.
    private func sampled(_ count: Int, limit: Int, _ rng: inout SeededRandom) -> [Int] {
        guard count > max(0, limit) else { return Array(0..<count) }
        return Array(rng.permutation(count).prefix(max(0, limit))).sorted()
    }
}
