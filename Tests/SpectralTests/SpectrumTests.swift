import Foundation
import LinearAlgebra
import Spectral
import XCTest

final class SpectrumTests: XCTestCase {
    let dense = EigensolverConfiguration(method: .dense)
    let lanczos = EigensolverConfiguration(method: .lanczos, tolerance: 1e-10)

    /// Cycle Cₙ: S = W/2 is circulant, eigenvalues cos(2πj/n), all double except 1 (and −1 for even n).
    func testCycleSpectrumDense() throws {
        for n in [7, 12, 63] {
            let s = try leadingEigenpairs(of: try cycleGraph(n), count: n, configuration: dense)
            let expected = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }.sorted(by: >)
            for t in 0..<n { XCTAssertEqual(s.eigenvalues[t], expected[t], accuracy: 1e-12, "n=\(n) t=\(t)") }
            XCTAssertEqual(s.trivialCount, 1)
            XCTAssertLessThan(s.residualNorms.max()!, 1e-12)
        }
    }

    /// Lanczos on a cycle: each returned value must be one of the analytic ones, with a small residual. (A single
    /// Krylov sequence sees one direction per eigenspace, so the multiplicity-2 copies are not required.)
    func testCycleSpectrumLanczosValuesAreAnalytic() throws {
        let n = 501
        let s = try leadingEigenpairs(of: try cycleGraph(n), count: 4, configuration: lanczos)
        let analytic = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        XCTAssertTrue(s.converged)
        for v in s.eigenvalues {
            XCTAssertLessThan(analytic.map { abs($0 - v) }.min()!, 1e-9, "\(v) is not an eigenvalue of C\(n)")
        }
        XCTAssertLessThan(s.residualNorms.max()!, 1e-9)
    }

    /// Path Pₙ: the normalised adjacency has the simple eigenvalues cos(πj/(n − 1)), j = 0..<n.
    func testPathSpectrumDenseAndLanczos() throws {
        for (n, configuration) in [(65, dense), (200, lanczos)] {
            let count = 6
            let s = try leadingEigenpairs(of: try pathGraph(n), count: count, configuration: configuration)
            XCTAssertTrue(s.converged)
            for t in 0..<count {
                XCTAssertEqual(s.eigenvalues[t], cos(Double.pi * Double(t) / Double(n - 1)), accuracy: 1e-9, "n=\(n) t=\(t)")
            }
            // The eigenvectors are D^{1/2} times cosines: v_j(i) ∝ √dᵢ · cos(πj·i/(n − 1)).
            let degrees = (0..<n).map { $0 == 0 || $0 == n - 1 ? 1.0 : 2.0 }
            for t in 1..<count {
                var exact = (0..<n).map { degrees[$0].squareRoot() * cos(Double.pi * Double(t * $0) / Double(n - 1)) }
                let norm = exact.reduce(0) { $0 + $1 * $1 }.squareRoot()
                exact = exact.map { $0 / norm }
                let cosine = abs(zip(exact, s.eigenvectors.column(t)).reduce(0) { $0 + $1.0 * $1.1 })
                XCTAssertEqual(cosine, 1, accuracy: 1e-7, "n=\(n) vector \(t)")
            }
        }
    }

    /// Lanczos and the dense solver agree on a random connected graph (n ≤ 500).
    func testLanczosAgreesWithDense() throws {
        let graph = try randomGraph(457, chords: 4, seed: 3)
        let count = 10
        let a = try leadingEigenpairs(of: graph, count: count, configuration: dense)
        let b = try leadingEigenpairs(of: graph, count: count, configuration: lanczos)
        XCTAssertTrue(b.converged)
        for t in 0..<count {
            XCTAssertEqual(a.eigenvalues[t], b.eigenvalues[t], accuracy: 1e-10)
            // Same sign convention, so the vectors themselves agree (the spectrum here is simple and separated).
            let diff = zip(a.eigenvectors.column(t), b.eigenvectors.column(t)).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(diff, 1e-6, "vector \(t)")
        }
        // Orthonormality of the Lanczos vectors: ‖VᵀV − I‖ / (n ε) stays O(1).
        let v = b.eigenvectors
        let gram = Matrix.multiply(v, .transposed, v)
        var worst = 0.0
        for i in 0..<count { for j in 0..<count { worst = max(worst, abs(gram[i, j] - (i == j ? 1 : 0))) } }
        XCTAssertLessThan(worst / (Double(graph.vertexCount) * Double.ulpOfOne), 10)
    }

    /// n = 20 000, a sparse random graph: recomputed residuals of the leading pairs meet the tolerance.
    func testResidualsAtTwentyThousand() throws {
        let graph = try randomGraph(20_000, chords: 3, seed: 11)
        let configuration = EigensolverConfiguration(tolerance: 1e-8)
        let s = try leadingEigenpairs(of: graph, count: 5, configuration: configuration)
        XCTAssertTrue(s.converged, s.report)
        XCTAssertEqual(s.eigenvalues[0], 1)
        XCTAssertLessThan(s.residualNorms.max()!, 1e-7, s.report)
        for t in 1..<5 { XCTAssertLessThanOrEqual(s.eigenvalues[t], s.eigenvalues[t - 1]) }
        XCTAssertLessThan(s.eigenvalues[1], 1 - 1e-3)   // connected: 1 is simple
    }

    /// The multiplicity of eigenvalue 1 is the number of components, on both paths.
    func testMultiplicityOfOneEqualsComponentCount() throws {
        // Three components of 50, 80 and 143 vertices with interleaved vertex numbers.
        let part: (Int) -> Int = { v in v % 3 == 0 && v < 150 ? 0 : (v % 3 == 1 && v < 240 ? 1 : 2) }
        let parts = (0..<3).map { p in (0..<273).filter { part($0) == p } }
        var edges = [(Int, Int, Double)]()
        for (p, members) in parts.enumerated() {
            var random = SeededRandom(seed: UInt64(p))
            for t in 1..<members.count { edges.append((members[t - 1], members[t], 1)) }
            for _ in 0..<(2 * members.count) {
                edges.append((members[random.int(below: members.count)], members[random.int(below: members.count)],
                              0.5 + random.uniform()))
            }
        }
        let graph = try AffinityGraph(vertexCount: 273, edges: edges.filter { $0.0 != $0.1 })
        XCTAssertEqual(graph.connectedComponents().count, 3)
        for configuration in [dense, lanczos] {
            let s = try leadingEigenpairs(of: graph, count: 6, configuration: configuration)
            XCTAssertEqual(s.eigenvalues.filter { $0 > 1 - 1e-9 }.count, 3)
            XCTAssertEqual(s.trivialCount, 3)
            XCTAssertLessThan(s.eigenvalues[3], 1 - 1e-6)
            // The three leading vectors are D^{1/2}-weighted indicators of the components, largest first.
            for (t, c) in [2, 1, 0].enumerated() {
                let v = s.eigenvectors.column(t)
                for i in 0..<273 { XCTAssertEqual(v[i] != 0, parts[c].contains(i)) }
            }
        }
    }

    func testIsolatedVertexThrows() throws {
        let g = try AffinityGraph(vertexCount: 4, edges: [(0, 1, 1), (1, 2, 1)])
        assertThrowsSpectralError(try leadingEigenpairs(of: g, count: 2)) { $0 == .isolatedVertex(0) }
    }

    /// A budget too small to converge: reported, not silent.
    func testBudgetExhaustionIsReported() throws {
        let graph = try pathGraph(3000)
        let configuration = EigensolverConfiguration(method: .lanczos, tolerance: 1e-12, maxMatrixVectorProducts: 200)
        let s = try leadingEigenpairs(of: graph, count: 4, configuration: configuration)
        XCTAssertFalse(s.converged)
        XCTAssertTrue(s.report.contains("NOT converged"), s.report)
        XCTAssertTrue(s.eigenvalues.allSatisfy { $0.isFinite })
    }

    func testSameBitsForOneAndTwoThreads() throws {
        let graph = try randomGraph(5000, chords: 3, seed: 5)
        let configuration = EigensolverConfiguration(method: .lanczos, tolerance: 1e-9)
        let one = try Parallel.withThreads(1) { try leadingEigenpairs(of: graph, count: 6, configuration: configuration) }
        let two = try Parallel.withThreads(2) { try leadingEigenpairs(of: graph, count: 6, configuration: configuration) }
        XCTAssertEqual(one.eigenvalues, two.eigenvalues)
        XCTAssertEqual(one.eigenvectors, two.eigenvectors)
    }

    func testLanczosOnDiagonalOperatorWithDeflation() throws {
        // A = diag(1, 2, …, n): the largest eigenpairs are known; deflating e_n removes the top one.
        let n = 300
        var u = [Double](repeating: 0, count: n)
        u[n - 1] = 1
        let r = try lanczosLargestEigenpairs(dimension: n, configuration: LanczosConfiguration(count: 3, tolerance: 1e-12),
                                             deflation: [u]) { x, y in
            for i in 0..<n { y[i] = Double(i + 1) * x[i] }
        }
        XCTAssertTrue(r.converged)
        XCTAssertEqual(r.values[0], Double(n - 1), accuracy: 1e-9)
        XCTAssertEqual(r.values[1], Double(n - 2), accuracy: 1e-9)
        XCTAssertEqual(r.values[2], Double(n - 3), accuracy: 1e-9)
        XCTAssertLessThan(r.residualNorms.max()!, 1e-8)
        assertThrowsSpectralError(try lanczosLargestEigenpairs(dimension: 3, configuration: LanczosConfiguration(count: 3),
                                                               deflation: [u]) { _, _ in }) {
            if case .invalidParameter = $0 { return true }; return false
        }
    }
}
