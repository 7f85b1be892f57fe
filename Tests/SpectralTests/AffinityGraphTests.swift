import Foundation
import LinearAlgebra
import Spectral
import XCTest

final class AffinityGraphTests: XCTestCase {
    /// The D.5 graph against a direct dense transcription of the paper's formulas.
    func testPaperAffinityMatchesDefinition() throws {
        let x = clusteredPoints(23, 4, clusters: 2, seed: 21)
        for k in [3, 4] {   // odd k: the middle distance; even k: mean of the two middle ones (NumPy's median)
            let lists = try nearestNeighbors(x, k: k, metric: .euclidean)
            let graph = AffinityGraph(neighbors: lists)
            let n = x.rows
            var expected = Matrix<Double>(rows: n, columns: n)
            for i in 0..<n {
                var d = (0..<n).filter { $0 != i }.map { (referenceDistance(x.row(i), x.row($0), .euclidean), $0) }
                d.sort { $0.0 < $1.0 }
                let near = Array(d.prefix(k))
                let rho = near[0].0
                let sigma = k % 2 == 1 ? near[k / 2].0 : (near[k / 2 - 1].0 + near[k / 2].0) / 2
                for (dist, j) in near { expected[i, j] = exp(-pow((dist - rho) / sigma, 2)) }
            }
            let dense = graph.denseWeights()
            for i in 0..<n {
                for j in 0..<n {
                    XCTAssertEqual(dense[i, j], (expected[i, j] + expected[j, i]) / 2, accuracy: 1e-6, "k=\(k) (\(i), \(j))")
                    XCTAssertEqual(dense[i, j], dense[j, i])
                }
                XCTAssertEqual(dense[i, i], 0)
            }
        }
    }

    /// Many exact duplicates: σ would be 0. Every weight must stay finite and in [0, 1], every degree positive.
    func testDuplicatesNeverGiveNaNOrInf() throws {
        var x = clusteredPoints(50, 5, seed: 2)
        for i in 1..<30 { for j in 0..<5 { x[i, j] = x[0, j] } }   // 30 copies of one point
        for metric in DistanceMetric.allCases {
            let (graph, rho, sigma) = AffinityGraph.paperAffinity(try nearestNeighbors(x, k: 6, metric: metric))
            XCTAssertTrue(graph.weights.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
            XCTAssertTrue(sigma.allSatisfy { $0.isFinite && $0 > 0 })
            XCTAssertTrue(rho.allSatisfy { $0.isFinite && $0 >= 0 })
            XCTAssertTrue(graph.degrees.allSatisfy { $0 > 0 && $0.isFinite })
            // A copy's neighbours are all copies: distance 0, so weight exp(0) = 1 (half from each side).
            XCTAssertEqual(graph.weight(1, 0), 1)
        }
        // Everything identical: σ falls back to 1, all weights 1.
        let same = Matrix<Float>(rows: 8, columns: 3, repeating: 2)
        let graph = AffinityGraph(neighbors: try nearestNeighbors(same, k: 3))
        XCTAssertTrue(graph.weights.allSatisfy { $0 == 0.5 || $0 == 1 })
    }

    func testKernelScalesAndWeights() {
        let (rho, sigma) = AdaptiveKernel.scales(sortedDistances: [Float(0.5), 1, 2, 4])
        XCTAssertEqual(rho, 0.5)
        XCTAssertEqual(sigma, 1.5)
        XCTAssertEqual(AdaptiveKernel.weight(distance: 0.5, rho: rho, sigma: sigma), 1)
        XCTAssertEqual(AdaptiveKernel.weight(distance: 2, rho: rho, sigma: sigma), exp(-1), accuracy: 1e-15)
        XCTAssertEqual(AdaptiveKernel.scales(sortedDistances: [Float(0), 0, 0, 3]).sigma, 3)   // median 0 → max
        XCTAssertEqual(AdaptiveKernel.scales(sortedDistances: [Float(0), 0]).sigma, 1)          // all 0 → 1
        XCTAssertEqual(AdaptiveKernel.weight(distance: 1e6, rho: 0, sigma: 1e-3), 0)           // underflow, no NaN
    }

    func testGraphValidation() throws {
        let asymmetric = try SparseMatrix<Double>(rows: 3, columns: 3, rowPointers: [0, 1, 1, 1], columnIndices: [1], values: [1])
        assertThrowsSpectralError(try AffinityGraph(weights: asymmetric)) { if case .invalidParameter = $0 { return true }; return false }
        assertThrowsSpectralError(try AffinityGraph(vertexCount: 2, edges: [(0, 1, -1)])) {
            if case .nonFiniteInput = $0 { return true }; return false
        }
        assertThrowsSpectralError(try AffinityGraph(vertexCount: 2, edges: [(0, 1, .nan)])) {
            if case .nonFiniteInput = $0 { return true }; return false
        }
        assertThrowsSpectralError(try AffinityGraph(vertexCount: 2, edges: [(0, 2, 1)])) {
            if case .invalidParameter = $0 { return true }; return false
        }
        let g = try AffinityGraph(weights: try SparseMatrix(rows: 3, columns: 3, rowPointers: [0, 1, 2, 2],
                                                            columnIndices: [1, 0], values: [2, 2]))
        XCTAssertEqual(g.degrees, [2, 2, 0])
        // Repeated edges add up.
        let h = try AffinityGraph(vertexCount: 2, edges: [(0, 1, 1), (1, 0, 0.5)])
        XCTAssertEqual(h.weight(0, 1), 1.5)
        XCTAssertEqual(h.weight(1, 0), 1.5)
    }

    func testConnectedComponents() throws {
        // Components {0, 3}, {1, 2, 4, 6}, {5}: numbered by size, then smallest vertex.
        let g = try AffinityGraph(vertexCount: 7, edges: [(0, 3, 1), (1, 2, 1), (2, 4, 1), (6, 4, 0.5), (5, 5, 1)])
        let c = g.connectedComponents()
        XCTAssertEqual(c.count, 3)
        XCTAssertEqual(c.sizes, [4, 2, 1])
        XCTAssertEqual(c.labels, [1, 0, 0, 1, 0, 2, 0])
        XCTAssertEqual(c.members(of: 1), [0, 3])
        // A zero-weight edge does not connect.
        XCTAssertEqual(try AffinityGraph(vertexCount: 2, edges: [(0, 1, 0)]).connectedComponents().count, 2)
        XCTAssertEqual(try cycleGraph(9).connectedComponents().count, 1)
    }
}
