import LinearAlgebra
import XCTest

final class SelectionTests: XCTestCase {
    /// Against a full descending sort, bit for bit: odd sizes on both sides of the bucketing's threshold, heavy
    /// ties, sorted and reversed inputs, one outlier that stretches the range, extreme and tiny scales, every
    /// position or a few, in any order and repeated.
    func testLargestAgreesWithSortingOnHardInputs() {
        var random = SeededRandom(seed: 17)
        for n in [1, 2, 7, 16, 17, 31, 32, 33, 63, 65, 1000, 4099, 20011] {
            let inputs: [(String, [Float])] = [
                ("normal", (0..<n).map { _ in Float(random.normal()) }),
                ("three values", (0..<n).map { _ in Float(random.int(below: 3)) }),
                ("ascending", (0..<n).map { Float($0) }),
                ("descending", (0..<n).map { Float(n - $0) }),
                ("all equal", [Float](repeating: 0.5, count: n)),
                ("one outlier", (0..<n).map { $0 == n / 2 ? 1e30 : Float(random.normal()) * 1e-3 }),
                ("extreme range", (0..<n).map { _ in Float(random.normal()) * .greatestFiniteMagnitude / 4 }
                    + [.greatestFiniteMagnitude, -.greatestFiniteMagnitude]),
                ("subnormal spread", (0..<n).map { _ in Float(random.int(below: 1000)) * .leastNonzeroMagnitude }),
                ("signed zeros and a spike", (0..<n).map { $0 % 3 == 0 ? -0.0 : ($0 % 3 == 1 ? 0.0 : 1) }),
            ]
            for (name, values) in inputs {
                let m = values.count
                let sorted = values.sorted(by: >)
                let few = [m - 1, 0, m / 3, 5 % m, m / 2, 0].filter { $0 < m }   // unordered, repeated
                for positions in [few, Array(0..<m)] {
                    let found = values.largest(at: positions)
                    XCTAssertEqual(found.count, positions.count)
                    for (p, v) in zip(positions, found) {
                        XCTAssertEqual(v, sorted[p], "\(name), n \(m), position \(p)")
                    }
                    // A slice in the middle of a larger array is read in place, with ranks counted from its start.
                    let slice = ([Float.greatestFiniteMagnitude] + values + [-Float.greatestFiniteMagnitude])[1...m]
                    XCTAssertEqual(slice.largest(at: positions), found, "\(name), n \(m), a slice")
                }
            }
        }
    }

    func testNoPositionsGivesNoValues() {
        XCTAssertEqual([Float]([3, 1, 2]).largest(at: []), [])
    }
}
