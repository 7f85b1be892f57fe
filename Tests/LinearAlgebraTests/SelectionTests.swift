import LinearAlgebra
import XCTest

final class SelectionTests: XCTestCase {
    /// Against a full descending sort: odd sizes, heavy ties, sorted and reversed inputs, all positions or a few.
    func testLargestAtAgreesWithSortingIncludingTies() {
        var random = SeededRandom(seed: 17)
        for n in [1, 2, 7, 16, 17, 63, 65, 1000, 4099] {
            let inputs: [[Float]] = [
                (0..<n).map { _ in Float(random.normal()) },
                (0..<n).map { _ in Float(random.int(below: 3)) },           // three distinct values
                (0..<n).map { Float($0) },                                  // ascending
                (0..<n).map { Float(n - $0) },                              // descending
                [Float](repeating: 0.5, count: n),                          // all equal
            ]
            for values in inputs {
                let sorted = values.sorted(by: >)
                let few = Array(Set([0, n / 3, n / 2, n - 1, 5].filter { $0 < n })).sorted()
                for positions in [few, Array(0..<n)] {
                    var a = values
                    a.largestAt(positions: positions + [n + 3, -1])   // out-of-range positions are ignored
                    for p in positions { XCTAssertEqual(a[p], sorted[p], "n \(n), position \(p)") }
                    XCTAssertEqual(a.sorted(), values.sorted(), "a permutation of the input")
                }
            }
        }
    }
}
