import LinearAlgebra
import Spectral
import XCTest

/// Overlapping Gaussian clusters: `clusters` centres in `d` dimensions, unit noise around them.
func clusteredPoints(_ n: Int, _ d: Int, clusters: Int = 5, spread: Double = 4, seed: UInt64 = 1) -> Matrix<Float> {
    var random = SeededRandom(seed: seed)
    let centres: Matrix<Double> = random.normalMatrix(clusters, d, std: spread)
    var x = Matrix<Float>(rows: n, columns: d)
    for i in 0..<n {
        let c = random.int(below: clusters)
        for j in 0..<d { x[i, j] = Float(centres[c, j] + random.normal()) }
    }
    return x
}

/// Brute-force distances in Double, straight from the definitions.
func referenceDistance(_ a: [Float], _ b: [Float], _ metric: DistanceMetric) -> Double {
    switch metric {
    case .euclidean:
        return zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }.squareRoot()
    case .cosine:
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
        return 1 - ab / (aa.squareRoot() * bb.squareRoot())
    }
}

/// A connected random graph: a path through all vertices plus `chords` random extra edges per vertex, with
/// weights in [0.5, 1.5). Its spectrum has no structural multiplicities.
func randomGraph(_ n: Int, chords: Int = 3, seed: UInt64 = 7) throws -> AffinityGraph {
    var random = SeededRandom(seed: seed)
    var edges = [(Int, Int, Double)]()
    for i in 0..<(n - 1) { edges.append((i, i + 1, 0.5 + random.uniform())) }
    for i in 0..<n {
        for _ in 0..<chords {
            let j = random.int(below: n)
            if j != i { edges.append((i, j, 0.5 + random.uniform())) }
        }
    }
    return try AffinityGraph(vertexCount: n, edges: edges)
}

func cycleGraph(_ n: Int) throws -> AffinityGraph {
    try AffinityGraph(vertexCount: n, edges: (0..<n).map { ($0, ($0 + 1) % n, 1.0) })
}

func pathGraph(_ n: Int) throws -> AffinityGraph {
    try AffinityGraph(vertexCount: n, edges: (0..<(n - 1)).map { ($0, $0 + 1, 1.0) })
}

/// Asserts that `body` throws a `SpectralError` matching `matches`.
func assertThrowsSpectralError<T>(_ body: @autoclosure () throws -> T, _ matches: (SpectralError) -> Bool,
                                  file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected a SpectralError", file: file, line: line)
    } catch let e as SpectralError {
        XCTAssertTrue(matches(e), "unexpected error: \(e)", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
