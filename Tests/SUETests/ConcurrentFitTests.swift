import XCTest
import LinearAlgebra
import SUE

/// Fitted models are values that tasks can share, and the thread count is a property of each fit, not a global:
/// two fits running at once, from two tasks with different thread counts, give the same bits as the same fits run
/// one after the other.
final class ConcurrentFitTests: XCTestCase {
    func testTwoFitsAtOnceFromTwoTasksMatchSequentialFitsBitForBit() async throws {
        let (x, y) = makeSyntheticPairs(rows: 900, dx: 24, dy: 20, seed: 12)
        let split = try AlignmentSplit(rows: 900, pairs: 15, test: 100, seed: 3)
        let training = split.trainingData(x: x, y: y), test = split.testData(x: x, y: y)
        let first = SelfLearning(), second = SUEPipeline(seDimensions: 6, neighbors: 15, ccaComponents: 4)

        let sequentialFirst = try first.fit(training, context: FitContext(seed: 1, threads: 1))
        let sequentialSecond = try second.fit(training, context: FitContext(seed: 2, threads: 1))

        async let a = Task.detached { try first.fit(training, context: FitContext(seed: 1, threads: 2)) }.value
        async let b = Task.detached { try second.fit(training, context: FitContext(seed: 2, threads: 3)) }.value
        let (concurrentFirst, concurrentSecond) = try await (a, b)

        XCTAssertEqual(try concurrentFirst.embedX(test.x), try sequentialFirst.embedX(test.x))
        XCTAssertEqual(try concurrentFirst.embedY(test.y), try sequentialFirst.embedY(test.y))
        XCTAssertEqual(try concurrentSecond.embedX(test.x), try sequentialSecond.embedX(test.x))
        XCTAssertEqual(try concurrentSecond.embedY(test.y), try sequentialSecond.embedY(test.y))
    }

    func testThreadCountIsScopedNotGlobal() {
        let outside = Parallel.threadCount
        Parallel.withThreads(1) {
            XCTAssertEqual(Parallel.threadCount, 1)
            // Loops started inside see the same limit on their worker threads.
            var seen = [Int](repeating: 0, count: 8)
            seen.withUnsafeMutableBufferPointer { out in
                let out = out
                Parallel.forEach(8) { out[$0] = Parallel.threadCount }
            }
            XCTAssertEqual(seen, [Int](repeating: 1, count: 8))
        }
        Parallel.withThreads(3) {
            var seen = [Int](repeating: 0, count: 8)
            seen.withUnsafeMutableBufferPointer { out in
                let out = out
                Parallel.forEach(8) { out[$0] = Parallel.threadCount }
            }
            XCTAssertEqual(seen, [Int](repeating: 3, count: 8))
        }
        XCTAssertEqual(Parallel.threadCount, outside)
    }
}
