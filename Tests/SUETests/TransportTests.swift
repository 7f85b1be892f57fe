import XCTest
import Foundation
import LinearAlgebra
import SUE

/// Entropic transport and fused Gromov–Wasserstein plans: marginals, agreement with a slow log-domain reference,
/// tiny entropies, recovery of a known correspondence, determinism, and bad input.
final class TransportTests: XCTestCase {
    /// Entropic transport alone (α = 0, one round): the feature cost divided by its mean.
    func transportOnly(entropy: Double, iterations: Int) -> FusedGromovWasserstein {
        FusedGromovWasserstein(structureWeight: 0, entropy: entropy, rounds: 1, sinkhornIterations: iterations)
    }

    /// Log-domain Sinkhorn with every update exact (n·m exponentials per half-step): slow, plainly correct.
    func referencePlan(_ cost: Matrix<Double>, epsilon: Double, iterations: Int) -> Matrix<Double> {
        let m = cost.rows, n = cost.columns
        var f = [Double](repeating: 0, count: m), g = [Double](repeating: 0, count: n)
        func logSumExp(_ v: [Double]) -> Double { let t = v.max()!; return t + log(v.reduce(0) { $0 + exp($1 - t) }) }
        for _ in 0..<iterations {
            for i in 0..<m { f[i] = epsilon * (log(1 / Double(m)) - logSumExp((0..<n).map { (g[$0] - cost[i, $0]) / epsilon })) }
            for j in 0..<n { g[j] = epsilon * (log(1 / Double(n)) - logSumExp((0..<m).map { (f[$0] - cost[$0, j]) / epsilon })) }
        }
        return Matrix(rows: m, columns: n) { i, j in exp((f[i] + g[j] - cost[i, j]) / epsilon) }
    }

    func randomCost(_ m: Int, _ n: Int, seed: UInt64, scale: Double = 1) -> Matrix<Double> {
        var rng = SeededRandom(seed: seed)
        return Matrix(rows: m, columns: n) { _, _ in scale * abs(rng.normal()) }
    }

    func meanAbsolute(_ a: Matrix<Double>) -> Double { a.elements.reduce(0) { $0 + abs($1) } / Double(a.count) }

    func testStabilisedScalingAgreesWithTheSlowLogDomainReference() throws {
        // Odd sizes, and ε small enough that exp(−C/ε) underflows for most entries.
        for (m, n, epsilon) in [(7, 11, 0.05), (13, 5, 0.01), (1, 9, 0.02)] {
            let cost = randomCost(m, n, seed: UInt64(m * n))
            let plan = try transportOnly(entropy: epsilon, iterations: 3000)
                .plan(source: .identity(m), target: .identity(n), featureCost: cost)
            let scaled = Matrix(rows: m, columns: n, elements: cost.elements.map { $0 / meanAbsolute(cost) })
            let reference = referencePlan(scaled, epsilon: epsilon, iterations: 3000)
            let error = zip(plan.elements, reference.elements).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(error, 1e-9 / Double(m * n), "\(m) × \(n), ε \(epsilon)")
        }
    }

    func testMarginalsHoldAtATinyEntropyAndExtremeCosts() throws {
        // Costs spanning ten orders of magnitude; ε a thousandth of the mean cost.
        var cost = randomCost(40, 57, seed: 1, scale: 1e-6)
        for k in stride(from: 0, to: cost.count, by: 7) { cost.elements[k] = 1e4 }
        let plan = try transportOnly(entropy: 1e-3, iterations: 400)
            .plan(source: .identity(40), target: .identity(57), featureCost: cost)
        XCTAssertNil(plan.firstNonFinite())
        XCTAssertTrue(plan.elements.allSatisfy { $0 >= 0 })
        for i in 0..<40 { XCTAssertEqual(plan.row(i).reduce(0, +) * 40, 1, accuracy: 1e-12) }
        for j in 0..<57 { XCTAssertEqual(plan.column(j).reduce(0, +) * 57, 1, accuracy: 1e-6) }
        // Nothing is sent along the expensive entries.
        for k in stride(from: 0, to: cost.count, by: 7) { XCTAssertLessThan(plan.elements[k], 1e-12) }
    }

    /// Points and a rotated, shuffled copy of them: the similarity matrices agree under the unknown permutation.
    /// A feature that only roughly tells points apart finds few partners alone; with the structure term the plan
    /// finds nearly all.
    func testTheStructureTermRecoversAnIsometryThatTheFeatureAloneDoesNot() throws {
        let n = 91
        var rng = SeededRandom(seed: 7)
        let points: Matrix<Double> = rng.normalMatrix(n, 6)
        let rotation = qrDecomposition(rng.normalMatrix(6, 6, as: Double.self)).q
        let permutation = rng.permutation(n)                       // target row j is source row permutation[j]
        let rotated = Matrix.multiply(points, .none, rotation, .none)
        let target = Matrix(rows: n, columns: 6) { j, c in rotated[permutation[j], c] }
        let noisyFeature = (0..<n).map { points[$0, 0] + 0.7 * rng.normal() }
        let feature = Matrix<Double>(rows: n, columns: n) { i, j in abs(noisyFeature[i] - points[permutation[j], 0]) }
        func recovered(_ solver: FusedGromovWasserstein) throws -> Double {
            let plan = try solver.plan(source: points.converted(to: Float.self), target: target.converted(to: Float.self), featureCost: feature)
            let hits = (0..<n).filter { i in
                let best = (0..<n).max { plan[i, $0] < plan[i, $1] }!
                return permutation[best] == i
            }
            return Double(hits.count) / Double(n)
        }
        let alone = try recovered(FusedGromovWasserstein(structureWeight: 0, entropy: 0.01, rounds: 1))
        let fused = try recovered(FusedGromovWasserstein(structureWeight: 0.7, entropy: 0.01, rounds: 30))
        XCTAssertLessThan(alone, 0.2)
        XCTAssertGreaterThan(fused, 0.95, "feature alone \(alone)")
    }

    func testThePlanDoesNotDependOnTheThreadCount() throws {
        var rng = SeededRandom(seed: 3)
        let a: Matrix<Float> = rng.normalMatrix(70, 5), b: Matrix<Float> = rng.normalMatrix(83, 4)
        let cost = randomCost(70, 83, seed: 4)
        func plan(_ threads: Int) throws -> Matrix<Double> {
            try Parallel.withThreads(threads) {
                try FusedGromovWasserstein().plan(source: a, target: b, featureCost: cost)
            }
        }
        XCTAssertEqual(try plan(1), try plan(2))
    }

    func testBadConfigurationsAndInputsAreNamedErrors() {
        let rows = Matrix<Float>.identity(3), cost = Matrix<Double>(rows: 3, columns: 3, repeating: 1)
        func message(_ solver: FusedGromovWasserstein = FusedGromovWasserstein(), _ source: Matrix<Float>? = nil,
                     _ c: Matrix<Double>? = nil) -> String {
            do { _ = try solver.plan(source: source ?? rows, target: rows, featureCost: c ?? cost); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(FusedGromovWasserstein(structureWeight: 1.5)).contains("structure weight"))
        XCTAssertTrue(message(FusedGromovWasserstein(entropy: 0)).contains("entropy"))
        XCTAssertTrue(message(FusedGromovWasserstein(rounds: 0)).contains("rounds"))
        XCTAssertTrue(message(FusedGromovWasserstein(), Matrix<Float>(rows: 4, columns: 3)).contains("expected 4 × 3"))
        var nan = rows
        nan[1, 2] = .nan
        XCTAssertTrue(message(FusedGromovWasserstein(), nan).contains("source rows"))
        XCTAssertTrue(message(FusedGromovWasserstein(), nil, Matrix<Double>(rows: 2, columns: 3)).contains("expected 3 × 3"))
        var bad = cost
        bad[2, 1] = .infinity
        XCTAssertTrue(message(FusedGromovWasserstein(), nil, bad).contains("feature cost"))
        // All-zero costs are a valid (uniform) problem, not a division by zero.
        XCTAssertEqual(message(FusedGromovWasserstein(), nil, Matrix<Double>(rows: 3, columns: 3)), "")
    }
}
