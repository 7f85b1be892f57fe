import Foundation
import LinearAlgebra
import Spectral
import XCTest

final class NumericSpectralEmbeddingTests: XCTestCase {
    func configuration(k: Int = 15, dimensions: Int = 4, method: EigensolverConfiguration.Method = .automatic,
                       metric: DistanceMetric = .cosine,
                       disconnected: DisconnectedGraphStrategy = .connectWeakly()) -> NumericSpectralEmbedding.Configuration {
        NumericSpectralEmbedding.Configuration(
            neighbors: k, dimensions: dimensions, metric: metric, disconnectedGraph: disconnected,
            eigensolver: EigensolverConfiguration(method: method, tolerance: 1e-10))
    }

    /// The embedding is made of random-walk eigenvectors: P ψ = λ ψ with P = D⁻¹W of the fitted graph.
    func testEmbeddingColumnsAreRandomWalkEigenvectors() throws {
        let x = clusteredPoints(400, 10, clusters: 4, spread: 1, seed: 3)
        for method in [EigensolverConfiguration.Method.dense, .lanczos] {
            let fitted = try NumericSpectralEmbedding(configuration: configuration(method: method)).fit(x)
            XCTAssertEqual(fitted.embedding.rows, 400)
            XCTAssertEqual(fitted.embedding.columns, 4)
            XCTAssertEqual(fitted.components.count, 1)
            XCTAssertTrue(fitted.weakEdges.isEmpty)
            let graph = fitted.graph, degrees = graph.degrees
            for c in 0..<4 {
                let psi = fitted.embedding.column(c), lambda = fitted.eigenvalues[c]
                XCTAssertLessThan(lambda, 1 - 1e-6)
                if c > 0 { XCTAssertLessThanOrEqual(lambda, fitted.eigenvalues[c - 1]) }
                var worst = 0.0
                for i in 0..<400 {
                    var s = 0.0
                    for p in graph.rowPointers[i]..<graph.rowPointers[i + 1] {
                        s += graph.weights[p] * psi[Int(graph.columnIndices[p])]
                    }
                    worst = max(worst, abs(s / degrees[i] - lambda * psi[i]))
                }
                XCTAssertLessThan(worst, 1e-8, "column \(c), \(method)")
                // Sign convention: the entry of largest magnitude is positive.
                XCTAssertGreaterThan(psi.max()!, -psi.min()!)
                // D-orthogonal to the constant (the trivial vector was dropped) and D-normalised.
                XCTAssertEqual(zip(psi, degrees).reduce(0) { $0 + $1.0 * $1.1 }, 0, accuracy: 1e-9)
                XCTAssertEqual(zip(psi, degrees).reduce(0) { $0 + $1.0 * $1.0 * $1.1 }, 1, accuracy: 1e-9)
            }
        }
    }

    /// Nyström with a training point's own row of W returns its embedding (that is the eigen-equation); the
    /// out-of-sample transform of training points approximates it closely.
    func testNystromReproducesTrainingEmbedding() throws {
        let x = clusteredPoints(500, 8, clusters: 3, seed: 8)
        let fitted = try NumericSpectralEmbedding(configuration: configuration(k: 20, dimensions: 3)).fit(x)
        let graph = fitted.graph
        for i in stride(from: 0, to: 500, by: 7) {
            let range = graph.rowPointers[i]..<graph.rowPointers[i + 1]
            let extended = fitted.extend(neighbors: range.map { Int(graph.columnIndices[$0]) },
                                         weights: range.map { graph.weights[$0] })
            for c in 0..<3 { XCTAssertEqual(extended[c], fitted.embedding[i, c], accuracy: 1e-8) }
        }
        let transformed = try fitted.transform(x)
        for c in 0..<3 {
            let a = fitted.embedding.column(c), b = transformed.column(c)
            let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
            let correlation = dot / (a.reduce(0) { $0 + $1 * $1 }.squareRoot() * b.reduce(0) { $0 + $1 * $1 }.squareRoot())
            XCTAssertGreaterThan(correlation, 0.95, "column \(c)")
        }
        let fresh = try fitted.transform(clusteredPoints(40, 8, clusters: 3, seed: 8 + 100))
        XCTAssertTrue(fresh.elements.allSatisfy { $0.isFinite })
    }

    func testDuplicatesFitWithoutNaN() throws {
        var x = clusteredPoints(300, 6, clusters: 3, seed: 4)
        for i in 0..<100 { for j in 0..<6 { x[200 + i % 100, j] = x[i, j] } }   // rows 200..<300 copy 0..<100
        for i in 101..<140 { for j in 0..<6 { x[i, j] = x[100, j] } }         // 40 copies of one point
        let fitted = try NumericSpectralEmbedding(configuration: configuration(k: 10, dimensions: 3)).fit(x)
        XCTAssertTrue(fitted.embedding.elements.allSatisfy { $0.isFinite })
        XCTAssertTrue(fitted.eigenvalues.allSatisfy { $0.isFinite && $0 < 1 })
        // Exact duplicates get nearly the same coordinates (not bit-identical: a third point equidistant from two
        // copies takes the one with the smaller index as a neighbour, which breaks the symmetry slightly).
        for c in 0..<3 {
            let column = fitted.embedding.column(c), scale = column.map { abs($0) }.max()!
            for i in 0..<100 { XCTAssertEqual(column[200 + i], column[i], accuracy: 0.02 * scale) }
        }
    }

    /// Two far-apart blobs with a small k: the graph falls apart. Each strategy does what it says.
    func testDisconnectedGraphStrategies() throws {
        var x = clusteredPoints(200, 5, clusters: 1, seed: 12)
        for i in 150..<200 { x[i, 0] += 1000 }   // rows 150..<200 far away
        let fail = NumericSpectralEmbedding(configuration: configuration(k: 5, dimensions: 3, metric: .euclidean, disconnected: .fail))
        assertThrowsSpectralError(try fail.fit(x)) { $0 == .disconnectedGraph(components: 2, largestSizes: [150, 50]) }

        let weak = try NumericSpectralEmbedding(configuration: configuration(k: 5, dimensions: 3, metric: .euclidean)).fit(x)
        XCTAssertEqual(weak.components.count, 2)
        XCTAssertEqual(weak.weakEdges.count, 1)
        XCTAssertEqual(weak.graph.connectedComponents().count, 1)
        XCTAssertTrue(weak.weakEdges[0].from >= 150 && weak.weakEdges[0].to < 150)
        XCTAssertTrue(weak.eigenvalues.allSatisfy { $0 < 1 })
        // The weakest cut separates the blobs: the first coordinate has one sign per blob.
        let first = weak.embedding.column(0)
        XCTAssertTrue((0..<150).allSatisfy { first[$0] * first[0] > 0 })
        XCTAssertTrue((150..<200).allSatisfy { first[$0] * first[0] < 0 })

        let split = try NumericSpectralEmbedding(configuration: configuration(k: 5, dimensions: 3, metric: .euclidean,
                                                                              disconnected: .embedPerComponent)).fit(x)
        XCTAssertEqual(split.eigenvalues[0], 1)   // the second component's indicator
        let indicator = split.embedding.column(0)
        XCTAssertTrue((0..<150).allSatisfy { indicator[$0] == 0 })
        XCTAssertTrue((150..<200).allSatisfy { indicator[$0] > 0 })
        XCTAssertTrue(split.eigenvalues[1] < 1)
    }

    func testSameBitsForOneAndTwoThreads() throws {
        let x = clusteredPoints(1200, 12, clusters: 6, seed: 6)
        let se = NumericSpectralEmbedding(configuration: configuration(k: 12, dimensions: 5, method: .lanczos))
        let one = try Parallel.withThreads(1) { try se.fit(x) }
        let two = try Parallel.withThreads(2) { try se.fit(x) }
        XCTAssertEqual(one.embedding, two.embedding)
        XCTAssertEqual(one.eigenvalues, two.eigenvalues)
        let q = clusteredPoints(30, 12, clusters: 6, seed: 60)
        XCTAssertEqual(try Parallel.withThreads(1) { try one.transform(q) }, try Parallel.withThreads(2) { try two.transform(q) })
    }

    func testInvalidConfigurationAndBudget() throws {
        let x = clusteredPoints(50, 4, seed: 1)
        assertThrowsSpectralError(try NumericSpectralEmbedding(configuration: configuration(k: 50)).fit(x)) {
            if case .invalidParameter = $0 { return true }; return false
        }
        assertThrowsSpectralError(try NumericSpectralEmbedding(configuration: configuration(dimensions: 49)).fit(x)) {
            if case .invalidParameter = $0 { return true }; return false
        }
        var tight = configuration(k: 10, dimensions: 3, method: .lanczos)
        tight.eigensolver.maxMatrixVectorProducts = 5
        assertThrowsSpectralError(try NumericSpectralEmbedding(configuration: tight).fit(clusteredPoints(600, 4))) {
            if case .eigensolverDidNotConverge = $0 { return true }; return false
        }
        tight.allowUnconverged = true
        XCTAssertNoThrow(try NumericSpectralEmbedding(configuration: tight).fit(clusteredPoints(600, 4)))
    }
}
