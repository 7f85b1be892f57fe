import XCTest
import LinearAlgebra
import SUE

/// The catalogue of degenerate data × every method: each fit either gives a model whose embeddings of the data are
/// finite, or throws an `AlignmentError` that says what is wrong. Never a trap, never NaN or ±∞ in an output.
final class DegenerateDataTests: XCTestCase {
    /// Every catalogue method, with the networks' schedules cut short (the data, not the quality, is under test).
    private var estimators: [(name: String, estimator: any Aligner)] {
        Catalogue.entries.map { entry in
            switch entry.estimator {
            case var pipeline as SUEPipeline:
                pipeline.spectralNet.epochs = 2
                pipeline.mmdNet.epochs = 2
                pipeline.autoencoder.epochs = 2
                pipeline.neighbors = 10
                return (entry.name, pipeline)
            case var contrastive as Contrastive:
                contrastive.maximumEpochs = 10
                contrastive.temperatures = [0.1]
                contrastive.widths = [0]
                contrastive.weightDecays = [1e-4]
                return (entry.name, contrastive)
            default:
                return (entry.name, entry.estimator)
            }
        }
    }

    /// Named degenerate data sets: X, Y and the number of known pairs (rows 0..<pairs of both sides).
    private func cases() -> [(name: String, x: Matrix<Float>, y: Matrix<Float>, pairs: Int)] {
        var random = SeededRandom(seed: 13)
        let x: Matrix<Float> = random.normalMatrix(80, 6), y: Matrix<Float> = random.normalMatrix(80, 5)
        func scaled(_ m: Matrix<Float>, _ factor: Float) -> Matrix<Float> {
            var out = m
            for k in out.elements.indices { out.elements[k] *= factor }
            return out
        }
        let line: Matrix<Float> = random.normalMatrix(1, 6)
        let rankOne = Matrix<Float>(rows: 80, columns: 6) { i, j in line[0, j] * Float(i % 7 + 1) }
        let duplicated = x.rows((0..<80).map { $0 % 4 })
        let denormal = Matrix<Float>(rows: 80, columns: 6) { i, j in Float(i + j + 1) * Float.leastNonzeroMagnitude * 7 }
        return [
            ("zero X", Matrix(rows: 80, columns: 6), y, 20),
            ("constant X", Matrix(rows: 80, columns: 6, repeating: 3), y, 20),
            ("four distinct X rows", duplicated, y, 20),
            ("rank-one X", rankOne, y, 20),
            ("one row each", x.rows(0..<1), y.rows(0..<1), 1),
            ("one column each", x.columns(0..<1), y.columns(0..<1), 20),
            ("X at 1e38", scaled(x, 1e38), y, 20),
            ("X at 1e17", scaled(x, 1e17), y, 20),
            ("X at 1e-30", scaled(x, 1e-30), y, 20),
            ("denormal X", denormal, y, 20),
            ("10 X rows against 2 000 Y rows", x.rows(0..<10), random.normalMatrix(2000, 5), 10),
            ("no pairs", x, y, 0),
        ]
    }

    func testEveryMethodOnEveryDegenerateDataSetIsFiniteOrAClearError() throws {
        for data in cases() {
            let training = WeaklyPairedData(x: data.x, y: data.y, pairs: (0..<data.pairs).map { KnownPair(x: $0, y: $0) })
            for (name, estimator) in estimators {
                let outcome = "\(name) on \(data.name)"
                do {
                    let model: any AlignmentModel = try estimator.fit(training, context: FitContext(seed: 1))
                    for (side, rows) in [(Modality.x, data.x), (.y, data.y)] {
                        do {
                            let embedded = try model.embed(rows, from: side)
                            XCTAssertNil(embedded.firstNonFinite(), "\(outcome): non-finite \(side) embedding")
                            XCTAssertEqual(embedded.rows, rows.rows, outcome)
                        } catch is AlignmentError {
                            // A clear refusal of these rows.
                        }
                    }
                } catch is AlignmentError {
                    // A clear refusal of the data.
                } catch {
                    XCTFail("\(outcome): \(type(of: error)) instead of an AlignmentError: \(error)")
                }
            }
        }
    }

    /// Data that cannot give a useful model is refused with the reason, not fitted into a model whose
    /// embeddings are all the same.
    func testUselessModelsAreRefusedWithTheReason() {
        var random = SeededRandom(seed: 2)
        let y: Matrix<Float> = random.normalMatrix(50, 4)
        let pairs = (0..<10).map { KnownPair(x: $0, y: $0) }
        for x in [Matrix<Float>(rows: 50, columns: 3), Matrix<Float>(rows: 50, columns: 3, repeating: 2)] {
            for estimator in [Automatic(), Ridge(), CCA()] as [any Aligner] {
                XCTAssertThrowsError(try estimator.fit(WeaklyPairedData(x: x, y: y, pairs: pairs), context: FitContext())) { error in
                    guard case .invalidInput(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
                    XCTAssertTrue(problem.contains("rank 0"), problem)
                }
            }
        }
        XCTAssertThrowsError(try CCA().fit(WeaklyPairedData(x: random.normalMatrix(50, 3), y: y, pairs: [KnownPair(x: 0, y: 0)]),
                                           context: FitContext())) { error in
            guard case .insufficientData? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
    }

    /// A model fitted on ordinary rows refuses an input it cannot embed finitely, naming the row.
    func testExtremeQueriesAreRefusedNamingTheRow() throws {
        let (x, y) = makeSyntheticPairs(rows: 300, seed: 3)
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<30).map { KnownPair(x: $0, y: $0) })
        var query = x.rows(0..<4)
        query[2, 1] = 1e38
        for estimator in [Ridge(), SimilarityProfiles(), ProfiledCCA(), SUEPipeline(mmdNet: .init(epochs: 2))] as [any Aligner] {
            let model: any AlignmentModel = try estimator.fit(data, context: FitContext(seed: 1))
            XCTAssertThrowsError(try model.embedX(query)) { error in
                guard case .invalidInput(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
                XCTAssertTrue(problem.contains("row 2"), problem)
            }
        }
        var zero = x.rows(0..<3)
        for j in 0..<zero.columns { zero[1, j] = 0 }
        XCTAssertThrowsError(try cosineTopK(zero, x, k: 3)) { error in
            guard case .invalidInput(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("row 1"), problem)
        }
    }
}
