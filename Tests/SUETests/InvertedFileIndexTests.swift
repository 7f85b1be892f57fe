import XCTest
import LinearAlgebra
import SUE

/// The approximate search: exact when every cell is probed, exact on well-separated clusters from one probe,
/// the same for any thread count, sound on duplicates and empty cells, and clear about bad settings.
final class InvertedFileIndexTests: XCTestCase {
    private func scaled(_ m: Matrix<Float>, _ factor: Float) -> Matrix<Float> {
        var out = m
        for k in out.elements.indices { out.elements[k] *= factor }
        return out
    }

    /// The search's results equal the exact search's rows; scores agree to rounding (a cell's GEMM sums the same
    /// products, possibly in another order).
    private func assertSameAsExact(_ got: [[SearchHit]], _ exact: [[SearchHit]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, exact.count, file: file, line: line)
        for (g, e) in zip(got, exact) {
            XCTAssertEqual(g.map(\.row), e.map(\.row), file: file, line: line)
            for (a, b) in zip(g, e) { XCTAssertEqual(a.score, b.score, accuracy: 1e-5, file: file, line: line) }
        }
    }

    func testProbingEveryCellIsExactSearchAndRecallGrowsWithProbes() throws {
        var random = SeededRandom(seed: 3)
        let rows: Matrix<Float> = random.normalMatrix(523, 17), queries: Matrix<Float> = random.normalMatrix(61, 17)
        let index = try InvertedFileIndex(rows, cells: 9, seed: 1)
        XCTAssertEqual(index.count, 523)
        XCTAssertEqual(index.cellSizes.reduce(0, +), 523)
        for k in [1, 7] {
            assertSameAsExact(try index.search(queries, k: k, probes: 9), try cosineTopK(queries, rows, k: k))
        }
        // Scale is irrelevant to cosine: rows a million times smaller or larger are the same index.
        for factor: Float in [1e-6, 1e6] {
            let other = try InvertedFileIndex(scaled(rows, factor), cells: 9, seed: 1)
            XCTAssertEqual(other.cellOfRow, index.cellOfRow, "scale \(factor)")
        }
        // Recall of the exact top 10 never falls as more cells are probed, and reaches 1.
        let exact = try cosineTopK(queries, rows, k: 10)
        var previous = 0.0
        for probes in [1, 3, 6, 9] {
            let hits = try index.search(queries, k: 10, probes: probes)
            var found = 0
            for (h, e) in zip(hits, exact) { found += Set(h.map(\.row)).intersection(e.map(\.row)).count }
            let recall = Double(found) / Double(10 * queries.rows)
            XCTAssertGreaterThanOrEqual(recall, previous, "probes \(probes)")
            previous = recall
        }
        XCTAssertEqual(previous, 1)
    }

    func testSeparatedClustersAreCellsAndOneProbeIsExact() throws {
        // Six well-separated directions in 12 dimensions, 50 noisy rows around each, rows interleaved.
        var random = SeededRandom(seed: 5)
        let centres = Matrix<Float>(rows: 6, columns: 12) { i, j in j == 2 * i ? 1 : (j == 2 * i + 1 ? 0.5 : 0) }
        let noise: Matrix<Float> = random.normalMatrix(300, 12)
        let rows = Matrix<Float>(rows: 300, columns: 12) { i, j in centres[i % 6, j] + 0.03 * noise[i, j] }
        let index = try InvertedFileIndex(rows, cells: 6, seed: 2)
        let cells = index.cellOfRow
        for cluster in 0..<6 {
            let theirs = Set(stride(from: cluster, to: 300, by: 6).map { cells[$0] })
            XCTAssertEqual(theirs.count, 1, "cluster \(cluster) is split over cells \(theirs)")
        }
        XCTAssertEqual(Set(cells).count, 6)
        let queryNoise: Matrix<Float> = random.normalMatrix(30, 12)
        let queries = Matrix<Float>(rows: 30, columns: 12) { i, j in centres[i % 6, j] + 0.03 * queryNoise[i, j] }
        assertSameAsExact(try index.search(queries, k: 10, probes: 1), try cosineTopK(queries, rows, k: 10))
    }

    func testTheSameResultsForAnyThreadCount() throws {
        var random = SeededRandom(seed: 8)
        let rows: Matrix<Float> = random.normalMatrix(2_011, 24), queries: Matrix<Float> = random.normalMatrix(300, 24)
        func run() throws -> ([Int], Matrix<Float>, [[SearchHit]]) {
            let index = try InvertedFileIndex(rows, cells: 31, trainingRows: 700, seed: 4)
            return (index.cellOfRow, index.cellCentroids, try index.search(queries, k: 5, probes: 4))
        }
        let one = try Parallel.withThreads(1) { try run() }
        let two = try Parallel.withThreads(2) { try run() }
        let four = try Parallel.withThreads(4) { try run() }
        XCTAssertEqual(one.0, two.0); XCTAssertEqual(one.0, four.0)
        XCTAssertEqual(one.1.elements, two.1.elements); XCTAssertEqual(one.1.elements, four.1.elements)
        XCTAssertEqual(one.2, two.2); XCTAssertEqual(one.2, four.2)
    }

    func testDuplicatesLeaveCellsEmptyAndQueriesStillGetKHitsWithTiesToTheLowerRow() throws {
        // 40 rows with only 3 distinct directions (and a zero row), indexed into 8 cells: most cells stay empty.
        let directions: [[Float]] = [[1, 0, 0], [0, 2, 0], [0, 0, 3]]
        var rows = Matrix<Float>(rows: 40, columns: 3)
        for i in 1..<40 { for j in 0..<3 { rows[i, j] = directions[i % 3][j] * Float(1 + i % 5) } }
        let index = try InvertedFileIndex(rows, cells: 8, seed: 0)
        XCTAssertLessThanOrEqual(index.cellSizes.filter { $0 > 0 }.count, 4)
        let queries = Matrix<Float>(rows: 3, columns: 3) { i, j in i == j ? 1 : 0.01 }
        // One probe holds 13 rows at most, fewer than k: further cells are probed until 20 rows are found. The
        // query's own direction comes first, as in exact search, with ties (equal cosines) to the lower row.
        let exact = try cosineTopK(queries, rows, k: 20)
        let hits = try index.search(queries, k: 20, probes: 1)
        XCTAssertEqual(hits.map(\.count), [20, 20, 20])
        for (h, e) in zip(hits, exact) {
            XCTAssertEqual(h.prefix(13).map(\.row), e.prefix(13).map(\.row))
            for (a, b) in zip(h, h.dropFirst()) { XCTAssertTrue(a.score > b.score || (a.score == b.score && a.row < b.row)) }
        }
        assertSameAsExact(try index.search(queries, k: 20, probes: 8), exact)
        // k beyond the rows gives every row.
        XCTAssertEqual(try index.search(queries, k: 100, probes: 8).map(\.count), [40, 40, 40])
        // One row, one cell.
        let single = try InvertedFileIndex(Matrix<Float>(rows: 1, columns: 3, elements: [0, 1, 0]), cells: 1)
        XCTAssertEqual(try single.search(queries, k: 3).map { $0.map(\.row) }, [[0], [0], [0]])
    }

    func testStoredPartsRebuildTheSameIndex() throws {
        var random = SeededRandom(seed: 9)
        let rows: Matrix<Float> = random.normalMatrix(211, 7), queries: Matrix<Float> = random.normalMatrix(17, 7)
        let index = try InvertedFileIndex(rows, cells: 5, seed: 3)
        let rebuilt = try InvertedFileIndex(unitRows: index.unitRows, centroids: index.cellCentroids, cellOfRow: index.cellOfRow)
        XCTAssertEqual(try rebuilt.search(queries, k: 4, probes: 2), try index.search(queries, k: 4, probes: 2))
    }

    func testBadSettingsPartsAndQueriesAreClearErrors() throws {
        var random = SeededRandom(seed: 10)
        let rows: Matrix<Float> = random.normalMatrix(50, 4)
        func expect(_ fragment: String, _ body: () throws -> Void, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' does not mention '\(fragment)'", line: line)
            }
        }
        expect("cells") { _ = try InvertedFileIndex(rows, cells: 0) }
        expect("cells") { _ = try InvertedFileIndex(rows, cells: 51) }
        expect("iterations") { _ = try InvertedFileIndex(rows, cells: 5, iterations: 0) }
        expect("trainingRows") { _ = try InvertedFileIndex(rows, cells: 5, trainingRows: 4) }
        expect("trainingRows") { _ = try InvertedFileIndex(rows, cells: 5, trainingRows: 51) }
        expect("at least one column") { _ = try InvertedFileIndex(Matrix<Float>(rows: 0, columns: 4)) }
        var broken = rows
        broken[7, 2] = .nan
        expect("row 7") { _ = try InvertedFileIndex(broken, cells: 3) }

        let index = try InvertedFileIndex(rows, cells: 5)
        expect("columns") { _ = try index.search(random.normalMatrix(2, 3), k: 1) }
        expect("k must be") { _ = try index.search(random.normalMatrix(2, 4), k: 0) }
        expect("probes") { _ = try index.search(random.normalMatrix(2, 4), k: 1, probes: 0) }
        expect("probes") { _ = try index.search(random.normalMatrix(2, 4), k: 1, probes: 6) }
        expect("row 1 is a zero vector") { _ = try index.search(Matrix<Float>(rows: 2, columns: 4) { i, _ in i == 0 ? 1 : 0 }, k: 1) }
        var nanQuery: Matrix<Float> = random.normalMatrix(2, 4)
        nanQuery[1, 3] = .infinity
        expect("row 1") { _ = try index.search(nanQuery, k: 1) }

        let unit = index.unitRows, centroids = index.cellCentroids, cells = index.cellOfRow
        expect("norm") { _ = try InvertedFileIndex(unitRows: scaled(unit, 2), centroids: centroids, cellOfRow: cells) }
        expect("cell 5") { _ = try InvertedFileIndex(unitRows: unit, centroids: centroids, cellOfRow: cells.map { _ in 5 }) }
        expect("cell numbers") { _ = try InvertedFileIndex(unitRows: unit, centroids: centroids, cellOfRow: Array(cells.dropLast())) }
        expect("columns") { _ = try InvertedFileIndex(unitRows: unit, centroids: random.normalMatrix(5, 3), cellOfRow: cells) }
    }
}
