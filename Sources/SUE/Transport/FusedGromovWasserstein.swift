import Foundation
import LinearAlgebra

/// Entropic fused Gromov–Wasserstein transport: a soft correspondence between two sets of rows that live in
/// different spaces, so no distance between a row of one and a row of the other exists.
///
/// **Objective.** A plan T (m × n, uniform marginals) should send similar rows to similar rows — the
/// Gromov–Wasserstein term `Σ (S₁[i,k] − S₂[j,l])² T_ij T_kl` on the two sides' within-side similarities, here the
/// inner products `S₁ = A·Aᵀ` and `S₂ = B·Bᵀ` of the rows (cosines for unit rows; Mémoli 2011) — and agree with a
/// feature cost M between the sides where one is known (the *fused* form, Vayer, Chapel, Flamary, Tavenard &
/// Courty 2019): `(1 − α)·⟨M, T⟩ + α·GW(T)`.
///
/// **Solver.** The projected mirror descent of Peyré, Cuturi & Solomon (2016, *Gromov–Wasserstein averaging of
/// kernel and distance matrices*): each round linearises the quadratic term at the current plan, where for the
/// square loss and fixed marginals its gradient is `−2·S₁·T·S₂ᵀ` up to terms constant along rows or columns
/// (which the marginal constraints absorb), and solves the entropic transport problem on
/// `(1 − α)·M + α·G` with Sinkhorn (`EntropicTransport`, warm-started from the previous round's potentials).
///
/// **Scales.** M is divided by its mean and G by its mean absolute value in every round, so α weighs two terms of
/// unit size and ε is a fraction of a typical cost, whatever the units of the inputs.
///
/// **Cost.** The similarity matrices are never formed: `S₁·T·S₂ᵀ = A·((Aᵀ·T)·B)·Bᵀ`, four products of
/// O(m·n·d) for d columns, instead of O(m²n + mn²). With `sinkhornIterations` passes over the m × n plan per
/// round, a round is linear in each side's rows but the plan holds m·n entries, so callers bound m and n by
/// sampling (the uses in this package take a few thousand rows of each side).
public struct FusedGromovWasserstein: Sendable, Codable, Equatable {
    /// α: the weight of the structure (Gromov–Wasserstein) term against the feature cost, in [0, 1].
    public var structureWeight: Double
    /// ε, in units of the normalised costs (each of mean size 1).
    public var entropy: Double
    /// Linearise-and-solve rounds.
    public var rounds: Int
    /// Sinkhorn iterations per round.
    public var sinkhornIterations: Int

    /// The solver with its settings.
    public init(structureWeight: Double = 0.3, entropy: Double = 0.01, rounds: Int = 6, sinkhornIterations: Int = 100) {
        self.structureWeight = structureWeight; self.entropy = entropy; self.rounds = rounds
        self.sinkhornIterations = sinkhornIterations
    }

    /// The plan between m source rows and n target rows.
    /// - Parameters:
    ///   - source: A, m × d₁; its rows' inner products are the source similarities (unit rows: cosines).
    ///   - target: B, n × d₂, in a space of its own (d₂ need not equal d₁).
    ///   - featureCost: M, m × n, finite; all zeros (or α = 1) for pure Gromov–Wasserstein.
    /// - Returns: T, m × n, each row summing to 1/m and each column, to Sinkhorn's accuracy after
    ///   `sinkhornIterations`, to 1/n. At small ε that accuracy is coarse (Sinkhorn converges in about 1/ε
    ///   iterations): the defaults leave column sums 10 % or more off on hard costs, which a caller that uses each
    ///   row's barycentre, as this package does, tolerates; raise the iterations where columns must balance.
    public func plan(source: Matrix<Float>, target: Matrix<Float>, featureCost: Matrix<Double>) throws -> Matrix<Double> {
        guard (0...1).contains(structureWeight), entropy > 0, entropy.isFinite, rounds >= 1, sinkhornIterations >= 1 else {
            throw AlignmentError.invalidConfiguration("fused Gromov-Wasserstein: need a structure weight in [0, 1], a positive finite entropy, and rounds and Sinkhorn iterations ≥ 1")
        }
        let m = source.rows, n = target.rows
        guard featureCost.rows == m, featureCost.columns == n else {
            throw AlignmentError.shapeMismatch("fused Gromov-Wasserstein: the feature cost is \(featureCost.rows) × \(featureCost.columns); expected \(m) × \(n) (source rows × target rows)")
        }
        guard m >= 1, n >= 1 else { throw AlignmentError.insufficientData("fused Gromov-Wasserstein needs rows on both sides") }
        if let bad = source.firstNonFinite() {
            throw AlignmentError.nonFinite(what: "the source rows", row: bad.row, column: bad.column, value: Double(bad.value))
        }
        if let bad = target.firstNonFinite() {
            throw AlignmentError.nonFinite(what: "the target rows", row: bad.row, column: bad.column, value: Double(bad.value))
        }
        if let bad = featureCost.firstNonFinite() {
            throw AlignmentError.nonFinite(what: "the feature cost", row: bad.row, column: bad.column, value: bad.value)
        }
        let feature = scaled(featureCost, toMeanAbsolute: 1)
        let alpha = structureWeight
        var transport = EntropicTransport(rows: m, columns: n, epsilon: entropy, iterations: sinkhornIterations)
        // The first round linearises at the independent coupling (every entry 1/(mn)), where the structure term
        // is the product of each row's total similarity on its side: it pairs central rows with central rows.
        var plan = Matrix<Double>(rows: m, columns: n, repeating: 1 / Double(m * n))
        for _ in 0..<rounds {
            var cost = feature
            if alpha > 0 {
                // A·((Aᵀ·T)·B)·Bᵀ, innermost first: d₁ × n, then d₁ × d₂, then m × d₂, then m × n.
                let carried = Matrix.multiply(source, .transposed, plan.converted(to: Float.self), .none)
                let cross = Matrix.multiply(carried, .none, target, .none)
                let lifted = Matrix.multiply(source, .none, cross, .none)
                let gradient = scaled(Matrix.multiply(lifted, .none, target, .transposed).converted(to: Double.self),
                                      toMeanAbsolute: -1)
                for k in cost.elements.indices { cost.elements[k] = (1 - alpha) * cost.elements[k] + alpha * gradient.elements[k] }
            }
            plan = transport.plan(cost)
        }
        return plan
    }

    /// `matrix` times the factor that makes its mean absolute entry `target`'s magnitude, with `target`'s sign
    /// (unchanged if every entry is zero).
    private func scaled(_ matrix: Matrix<Double>, toMeanAbsolute target: Double) -> Matrix<Double> {
        let mean = matrix.elements.reduce(0) { $0 + abs($1) } / Double(max(1, matrix.count))
        guard mean > 0 else { return matrix }
        var out = matrix
        for k in out.elements.indices { out.elements[k] *= target / mean }
        return out
    }
}
