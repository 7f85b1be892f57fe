import LinearAlgebra
import Spectral
import XCTest

final class NearestNeighborsTests: XCTestCase {
    /// Compares with a Double brute-force reference. The selected set may differ from the reference only where
    /// distances tie within Float accuracy, so the check is: the t-th reported distance equals the t-th
    /// reference distance (to 1e-5), and each reported neighbour really is at its reported distance.
    func checkAgainstReference(n: Int, d: Int, k: Int, metric: DistanceMetric, seed: UInt64) throws {
        let x = clusteredPoints(n, d, clusters: 3, seed: seed)
        let lists = try nearestNeighbors(x, k: k, metric: metric)
        XCTAssertEqual(lists.count, n)
        XCTAssertEqual(lists.k, k)
        let rows = (0..<n).map { x.row($0) }
        for i in 0..<n {
            var reference = [(Double, Int)]()
            for j in 0..<n where j != i { reference.append((referenceDistance(rows[i], rows[j], metric), j)) }
            reference.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            let idx = Array(lists.indices(of: i)), dist = Array(lists.distances(of: i))
            XCTAssertFalse(idx.contains(Int32(i)), "row \(i) lists itself")
            XCTAssertEqual(Set(idx).count, k, "row \(i) has repeated neighbours")
            for t in 0..<k {
                let tolerance = 1e-5 * max(1, reference[t].0)
                XCTAssertEqual(Double(dist[t]), reference[t].0, accuracy: tolerance, "n=\(n) row \(i) rank \(t)")
                XCTAssertEqual(Double(dist[t]), referenceDistance(rows[i], rows[Int(idx[t])], metric), accuracy: tolerance)
                if t > 0 { XCTAssertLessThanOrEqual(dist[t - 1], dist[t]) }
            }
        }
    }

    func testMatchesBruteForceOnOddSizes() throws {
        for metric in DistanceMetric.allCases {
            for (n, d, k) in [(2, 3, 1), (7, 5, 3), (63, 17, 10), (65, 33, 64), (130, 9, 7)] {
                try checkAgainstReference(n: n, d: d, k: k, metric: metric, seed: UInt64(n))
            }
        }
    }

    /// 1100 points span two 1024-row tiles, so the symmetric off-diagonal path (row scan + column scan) runs.
    func testMatchesBruteForceAcrossTiles() throws {
        try checkAgainstReference(n: 1100, d: 20, k: 12, metric: .cosine, seed: 3)
        try checkAgainstReference(n: 1030, d: 7, k: 5, metric: .euclidean, seed: 4)
    }

    /// Points on a line at integer positions: exact ties, which the smaller index must win.
    func testTiesGoToTheSmallerIndex() throws {
        let positions: [Float] = [0, 1, 2, 3, 4, 5, 6]
        let x = Matrix<Float>(rows: positions.count, columns: 1, elements: positions)
        let lists = try nearestNeighbors(x, k: 2, metric: .euclidean)
        XCTAssertEqual(Array(lists.indices(of: 3)), [2, 4])
        XCTAssertEqual(Array(lists.distances(of: 3)), [1, 1])
        let three = try nearestNeighbors(x, k: 3, metric: .euclidean)
        XCTAssertEqual(Array(three.indices(of: 3)), [2, 4, 1])   // 1 and 5 tie at distance 2: 1 wins
        XCTAssertEqual(Array(three.indices(of: 0)), [1, 2, 3])
    }

    /// Exact duplicates are found at distance exactly 0, but a point never finds itself.
    func testDuplicatesAtDistanceZero() throws {
        var x = clusteredPoints(40, 6, seed: 9)
        for j in 0..<6 { x[5, j] = x[17, j]; x[29, j] = x[17, j] }
        for metric in DistanceMetric.allCases {
            let lists = try nearestNeighbors(x, k: 3, metric: metric)
            XCTAssertEqual(Array(lists.indices(of: 17).prefix(2)), [5, 29])
            XCTAssertEqual(Array(lists.distances(of: 17).prefix(2)), [0, 0])
            XCTAssertEqual(Array(lists.indices(of: 5).prefix(2)), [17, 29])
        }
    }

    func testQueryFindsIndexedPointsAndMatchesReference() throws {
        let x = clusteredPoints(300, 12, seed: 5)
        let q = clusteredPoints(37, 12, seed: 6)
        let index = try NearestNeighborIndex(x, metric: .cosine)
        let own = try index.query(x.rows(0..<10), k: 4)
        for i in 0..<10 {
            XCTAssertEqual(own.indices(of: i).first, Int32(i))
            XCTAssertEqual(own.distances(of: i).first, 0)
        }
        let lists = try index.query(q, k: 6)
        for r in 0..<q.rows {
            let reference = (0..<x.rows).map { referenceDistance(q.row(r), x.row($0), .cosine) }.sorted()
            for t in 0..<6 { XCTAssertEqual(Double(Array(lists.distances(of: r))[t]), reference[t], accuracy: 1e-5) }
        }
    }

    func testSameBitsForOneAndTwoThreads() throws {
        let x = clusteredPoints(1500, 24, seed: 11)
        let one = try Parallel.withThreads(1) { try nearestNeighbors(x, k: 9) }
        let two = try Parallel.withThreads(2) { try nearestNeighbors(x, k: 9) }
        XCTAssertEqual(one, two)
    }

    func testBadInputThrows() throws {
        var x = clusteredPoints(10, 3)
        assertThrowsSpectralError(try nearestNeighbors(x, k: 10)) { if case .invalidParameter = $0 { return true }; return false }
        assertThrowsSpectralError(try nearestNeighbors(x, k: 0)) { if case .invalidParameter = $0 { return true }; return false }
        x[4, 2] = .nan
        assertThrowsSpectralError(try nearestNeighbors(x, k: 2)) { if case .nonFiniteInput = $0 { return true }; return false }
        var z = clusteredPoints(10, 3)
        for j in 0..<3 { z[6, j] = 0 }
        assertThrowsSpectralError(try nearestNeighbors(z, k: 2)) { $0 == .zeroRow(matrix: "the indexed points", row: 6) }
        XCTAssertNoThrow(try nearestNeighbors(z, k: 2, metric: .euclidean))
        let index = try NearestNeighborIndex(clusteredPoints(10, 3))
        assertThrowsSpectralError(try index.query(clusteredPoints(2, 4), k: 1)) {
            if case .dimensionMismatch = $0 { return true }; return false
        }
    }
}
