import Foundation
import XCTest
import LinearAlgebra
import SUEDemoData

final class DemoDataTests: XCTestCase {
    func testEmbeddedDemoDataLoadsAndIsConsistent() throws {
        let demo = try DemoData.load()
        XCTAssertEqual(demo.x.rows, 2500)
        XCTAssertEqual(demo.x.columns, 384)
        XCTAssertEqual(demo.y.rows, 2500)
        XCTAssertEqual(demo.y.columns, 384)
        XCTAssertEqual(demo.texts.count, 2500)
        XCTAssertEqual(demo.categories.count, 2500)
        XCTAssertFalse(demo.texts.contains(where: \.isEmpty))
        XCTAssertGreaterThan(Set(demo.categories).count, 20)
        // Both encoders output unit-norm vectors; float16 storage keeps the norms within ~1e-3.
        for i in stride(from: 0, to: 2500, by: 97) {
            for m in [demo.x, demo.y] {
                let norm = m.row(i).reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                XCTAssertEqual(norm, 1, accuracy: 2e-3, "row \(i)")
            }
        }
    }
}
