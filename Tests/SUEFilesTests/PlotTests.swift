import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import LinearAlgebra
import SUEFiles

final class PlotTests: XCTestCase {
    private func variance(_ values: [Double]) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        return values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    }

    /// The first coordinate carries the most variance of any direction, the second the most of any
    /// direction orthogonal to it; both are centred and uncorrelated.
    func testPrincipalPlaneMaximisesVariance() {
        var random = SeededRandom(seed: 11)
        let d = 7
        // Anisotropic cloud: column scales 5, 3, 1, … then mixed by a fixed dense matrix.
        let latent: Matrix<Double> = random.normalMatrix(300, d)
        var scaled = latent
        for i in 0..<300 { for j in 0..<d { scaled[i, j] *= [5, 3, 1, 0.5, 0.3, 0.2, 0.1][j] } }
        let mixing: Matrix<Double> = random.normalMatrix(d, d)
        let all = Matrix.multiply(scaled, .none, mixing, .none)
        let x = all.rows(0..<120), y = all.rows(120..<300)

        let (px, py) = PlanarProjection.principalPlane(x, y)
        XCTAssertEqual(px.count, 120)
        XCTAssertEqual(py.count, 180)
        let p = px + py
        let first = p.map(\.x), second = p.map(\.y)
        XCTAssertEqual(first.reduce(0, +) / 300, 0, accuracy: 1e-9)
        XCTAssertEqual(second.reduce(0, +) / 300, 0, accuracy: 1e-9)
        let v1 = variance(first), v2 = variance(second)
        let covariance = zip(first, second).reduce(0) { $0 + $1.0 * $1.1 } / 300
        XCTAssertLessThan(abs(covariance), 1e-8 * v1)
        XCTAssertGreaterThanOrEqual(v1, v2)

        // No random direction beats the first principal direction.
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<300 { for j in 0..<d { mean[j] += all[i, j] / 300 } }
        for _ in 0..<200 {
            var u = (0..<d).map { _ in random.normal() }
            let n = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
            u = u.map { $0 / n }
            let along = (0..<300).map { i in (0..<d).reduce(0) { $0 + (all[i, $1] - mean[$1]) * u[$1] } }
            XCTAssertLessThanOrEqual(variance(along), v1 * (1 + 1e-9))
        }
        // Deterministic.
        let again = PlanarProjection.principalPlane(x, y)
        XCTAssertEqual(again.x, px)
        XCTAssertEqual(again.y, py)
    }

    func testDegenerateInputs() {
        let one = Matrix<Float>(rows: 3, columns: 1, elements: [1, 2, 3])
        let (px, py) = PlanarProjection.principalPlane(one, Matrix<Float>(rows: 0, columns: 1))
        XCTAssertEqual(px.map(\.y), [0, 0, 0])
        XCTAssertEqual(abs(px[0].x - px[2].x), 2, accuracy: 1e-12)
        XCTAssertTrue(py.isEmpty)
        let constant = Matrix<Float>(rows: 4, columns: 3, repeating: 2)
        let c = PlanarProjection.principalPlane(constant, constant)
        XCTAssertTrue((c.x + c.y).allSatisfy { $0 == .zero })
    }

    func testSVGIsWellFormedAndEscapesLabels() throws {
        let points = (0..<150).map { SIMD2<Double>(Double($0), sin(Double($0))) }
        let plot = SVGScatterPlot(
            title: "SUE <demo> & friends",
            panels: [SVGScatterPlot.Panel(title: "spectral embedding", x: points, y: points.reversed(), links: [(0, 1), (5, 500)]),
                     SVGScatterPlot.Panel(title: "after CCA", x: [SIMD2(.nan, 1)], y: [SIMD2(.infinity, 0)])],
            xName: "MiniLM", yName: "e5", caption: "joint PCA of the shared space",
            xLabels: ["a \"quoted\" <b>text</b> & more\u{1}"])
        let svg = plot.render()
        XCTAssertTrue(svg.contains("<title>a &quot;quoted&quot; &lt;b&gt;text&lt;/b&gt; &amp; more</title>"), svg.prefix(2000).description)
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 2 + 150 + 150 + 1 + 1)  // legend + points
        XCTAssertEqual(svg.components(separatedBy: "<line").count - 1, 1, "the out-of-range link is skipped")
        XCTAssertFalse(svg.contains("nan"))
        XCTAssertFalse(svg.contains("inf"))

        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "SVG must be well-formed XML: \(String(describing: parser.parserError))")

        let folder = TemporaryFolder()
        try plot.write(to: folder.file("plot.svg"))
        XCTAssertEqual(try String(contentsOf: folder.file("plot.svg"), encoding: .utf8), svg)
    }
}
