import Foundation
import XCTest
import LinearAlgebra
import Spectral
import SUE
import SUEFiles
import SUEModelFiles

/// The SUE pipeline in a model file (kind `sue-pipeline`): a fitted model, written, read back and loaded, must
/// embed new rows bit for bit as before, for every step-1 mode and the ablations; an inconsistent file must be
/// refused with a message naming the tensor; tiny rank-deficient data must give a working (smaller) model.
final class StoredPipelineTests: XCTestCase {

    /// A small weakly paired problem from the synthetic generator (X 24-d, Y 24-d, 30 pairs) and 40 new rows of
    /// each modality that the fit never saw.
    private func problem(rows: Int = 300, seed: UInt64 = 5) -> (data: WeaklyPairedData, newX: Matrix<Float>, newY: Matrix<Float>) {
        let (x, y) = makeSyntheticPairs(rows: rows + 40, dx: 24, dy: 24, seed: seed)
        let pairs = (0..<30).map { KnownPair(x: $0, y: $0) }
        return (WeaklyPairedData(x: x.rows(0..<rows), y: y.rows(0..<rows), pairs: pairs),
                x.rows(rows..<(rows + 40)), y.rows(rows..<(rows + 40)))
    }

    /// Fast settings: a small graph and few epochs (the storage, not the quality, is under test).
    private func configuration(_ se: SUEPipeline.EmbeddingMode, cca: Bool = true, mmd: Bool = true) -> SUEPipeline {
        var c = SUEPipeline(se: se, seDimensions: 5, neighbors: 12, cca: cca, ccaComponents: 4, mmd: mmd)
        c.spectralNet = .init(hidden: [32], dimensions: 5, batchSize: 128, neighbors: 10, epochs: 2, referenceBatchSize: 300)
        c.mmdNet.epochs = 3
        c.mmdNet.batchSize = 128
        c.mmdNet.hidden = [32, 32]
        c.autoencoder.hidden = [32]
        c.autoencoder.epochs = 3
        return c
    }

    /// The model file's bytes for `model`.
    private func bytes(_ model: any AlignmentModel) throws -> Data {
        try ModelFile.file(for: model).encode()
    }

    private func load(_ bytes: Data) throws -> ModelFile.LoadedModel {
        try ModelFile.load(try SafetensorsFile.decode(bytes, file: "m.safetensors"), source: "m.safetensors")
    }

    private func bits(_ m: Matrix<Float>) -> [UInt32] { m.elements.map(\.bitPattern) }

    /// Fit, save, load: same kind, same shared dimension, same configuration switches, the same bits for new rows
    /// of both modalities, and the loaded model writes the same bytes again.
    @discardableResult
    private func assertRoundTrip(_ c: SUEPipeline, file: StaticString = #filePath, line: UInt = #line) throws -> SUEPipelineModel {
        let (data, newX, newY) = problem()
        let model = try c.fit(data, context: FitContext(seed: 3))
        let written = try bytes(model)
        let loaded = try load(written)
        XCTAssertEqual(loaded.kind, "sue-pipeline", file: file, line: line)
        let back = try XCTUnwrap(loaded.model as? SUEPipelineModel, file: file, line: line)
        XCTAssertEqual(back.dimension, model.dimension, file: file, line: line)
        XCTAssertEqual(back.configuration.se, c.se, file: file, line: line)
        XCTAssertEqual(back.configuration.cca, c.cca, file: file, line: line)
        XCTAssertEqual(back.configuration.mmd, c.mmd, file: file, line: line)
        XCTAssertEqual(back.configuration.seDimensions, c.seDimensions, file: file, line: line)
        XCTAssertEqual(back.mmdNet == nil, !c.mmd, file: file, line: line)
        let before = (try model.embedX(newX), try model.embedY(newY))
        let after = (try back.embedX(newX), try back.embedY(newY))
        XCTAssertEqual(before.0.rows, 40, file: file, line: line)
        XCTAssertTrue(before.0.elements.allSatisfy(\.isFinite) && before.1.elements.allSatisfy(\.isFinite), file: file, line: line)
        XCTAssertEqual(bits(before.0), bits(after.0), "embedX differs after the round trip", file: file, line: line)
        XCTAssertEqual(bits(before.1), bits(after.1), "embedY differs after the round trip", file: file, line: line)
        XCTAssertEqual(try bytes(back), written, "the loaded model writes different bytes", file: file, line: line)
        return model
    }

    func testNumericSEWithCCAAndMMDRoundTripsBitForBit() throws {
        let model = try assertRoundTrip(configuration(.numeric))
        // The file really holds the Nyström pieces in double precision (F64), not a float32 rounding of them.
        let file = try SafetensorsFile.decode(try bytes(model), file: "m")
        XCTAssertNotNil(file.doubleTensors["x.nystrom.embedding"])
        XCTAssertEqual(file.tensors["y.nystrom.training_rows"]?.rows, 300)
        XCTAssertEqual(file.metadata["sue.se"], "numeric")
        XCTAssertNotNil(file.tensors["mmd.network.layers.2.weight"])
    }

    func testParametricSEWithCCAAndMMDRoundTripsBitForBit() throws {
        let model = try assertRoundTrip(configuration(.parametric))
        XCTAssertNotNil(model.spectralNetX)
    }

    func testAblationsRoundTripBitForBit() throws {
        try assertRoundTrip(configuration(.none, cca: false, mmd: true))     // −SE −CCA: raw features, standardised
        try assertRoundTrip(configuration(.numeric, cca: false, mmd: false)) // SE only
        try assertRoundTrip(configuration(.pca, cca: false))                 // the `mmd` method
        try assertRoundTrip(configuration(.autoencoder))                     // the `ae` method
    }

    // MARK: Inconsistent files (`assertRefused` is in ModelFileTests.swift)

    func testInconsistentFilesAreRefusedNamingTheTensor() throws {
        let (data, _, _) = problem()
        let model = try configuration(.numeric).fit(data, context: FitContext(seed: 1))
        let good = try SafetensorsFile.decode(try bytes(model), file: "m")
        XCTAssertNoThrow(try ModelFile.load(good, source: "m.safetensors"))

        var wrongShape = good
        let e = wrongShape.doubleTensors["x.nystrom.embedding"]!
        wrongShape.doubleTensors["x.nystrom.embedding"] = Matrix(rows: e.rows, columns: e.columns + 1, repeating: 0.5)
        assertRefused(wrongShape, .invalidValue, mentions: ["x.nystrom.embedding", "\(e.rows)×\(e.columns + 1)", "\(e.rows)×\(e.columns)"])

        var missing = good
        missing.doubleTensors["linear.y.projection"] = nil
        assertRefused(missing, .invalidValue, mentions: ["'linear.y.projection'"])

        var missingBias = good
        missingBias.tensors["mmd.network.layers.1.bias"] = nil
        assertRefused(missingBias, .invalidValue, mentions: ["mmd.network.layers.1.bias"])

        var brokenChain = good
        let w = brokenChain.tensors["mmd.network.layers.1.weight"]!
        brokenChain.tensors["mmd.network.layers.1.weight"] = Matrix(rows: w.rows, columns: w.columns - 1)
        assertRefused(brokenChain, .invalidValue, mentions: ["mmd.network.layers.1.weight", "layer 0"])

        var extra = good
        extra.tensors["x.spectralnet.projection"] = Matrix(rows: 2, columns: 2)
        assertRefused(extra, .invalidValue, mentions: ["'x.spectralnet.projection'"])

        var otherMode = good
        otherMode.metadata["sue.se"] = "parametric"
        assertRefused(otherMode, .invalidValue, mentions: ["x.spectralnet.standardizer.mean"])

        var badEigenvalue = good
        badEigenvalue.doubleTensors["y.nystrom.eigenvalues"]!.elements[0] = -0.5
        assertRefused(badEigenvalue, .invalidValue, mentions: ["y.nystrom", "-0.5"])

        var noActivations = good
        noActivations.metadata["mmd.network.activations"] = "relu,relu,swish"
        assertRefused(noActivations, .invalidValue, mentions: ["mmd.network.activations", "swish"])
    }

    // MARK: Tiny and rank-deficient data

    /// 14 rows that are only 3 distinct points (each repeated), in both modalities: the kNN graph has at most two
    /// smooth non-trivial directions, so most of the 10 requested eigenvalues are ~0 or negative and cannot be
    /// extended by Nyström. The pipeline must keep the extendable ones, say so, and give a working model that
    /// also survives the round trip.
    func testTinyRankDeficientDataKeepsOnlyExtendableDimensions() throws {
        var random = SeededRandom(seed: 9)
        let pointsX: Matrix<Float> = random.normalMatrix(3, 5), pointsY: Matrix<Float> = random.normalMatrix(3, 4)
        let x = pointsX.rows((0..<14).map { $0 % 3 }), y = pointsY.rows((0..<14).map { $0 % 3 })
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<6).map { KnownPair(x: $0, y: $0) })
        var c = SUEPipeline(se: .numeric, seDimensions: 10, ccaComponents: 3)
        c.mmdNet.epochs = 2
        let model = try c.fit(data, context: FitContext(seed: 1))
        let widths = model.embeddingWidths
        XCTAssertGreaterThanOrEqual(min(widths.x, widths.y), 1)
        XCTAssertLessThan(max(widths.x, widths.y), 10)
        for side in [model.nystromX!, model.nystromY!] {
            XCTAssertTrue(side.eigenvalues.allSatisfy { $0 > NystromExtension.minimumEigenvalue })
        }
        XCTAssertEqual(model.report.notes.count, 1, "the drop is reported: \(model.report.notes)")
        let newX = Matrix<Float>(rows: 4, columns: 5) { i, j in pointsX[i % 3, j] + 0.01 * Float(i + j) }
        let shared = try model.embedX(newX)
        XCTAssertTrue(shared.elements.allSatisfy(\.isFinite))
        let back = try XCTUnwrap(try load(try bytes(model)).model as? SUEPipelineModel)
        XCTAssertEqual(bits(try back.embedX(newX)), bits(shared))

        // Without CCA the two sides must share their width: the wider one is cut to the narrower.
        c.cca = false
        c.mmd = false
        let plain = try c.fit(data, context: FitContext(seed: 1))
        XCTAssertEqual(plain.embeddingWidths.x, plain.embeddingWidths.y)
        XCTAssertTrue(try plain.embedY(y).elements.allSatisfy(\.isFinite))
    }

    /// The Nyström extension refuses what it cannot extend, naming the column, and counts what it can.
    func testNystromExtensionRefusesSmallEigenvalues() throws {
        var random = SeededRandom(seed: 2)
        let rows: Matrix<Float> = random.normalMatrix(20, 3)
        let embedding: Matrix<Double> = random.normalMatrix(20, 3)
        XCTAssertEqual(NystromExtension.extendableCount(of: [0.9, 0.5, 5e-5, 0.3]), 2)
        XCTAssertEqual(NystromExtension.extendableCount(of: [-0.1]), 0)
        XCTAssertThrowsError(try NystromExtension(trainingRows: rows, embedding: embedding, eigenvalues: [0.9, 0.2, 1e-5],
                                                  neighbors: 5, metric: .cosine)) { error in
            XCTAssertEqual(error as? SpectralError, .nystromUndefined(eigenvalue: 1e-5, index: 2))
        }
        XCTAssertThrowsError(try NystromExtension(trainingRows: rows, embedding: embedding, eigenvalues: [0.9, 0.2],
                                                  neighbors: 5, metric: .cosine))
        let ok = try NystromExtension(trainingRows: rows, embedding: embedding, eigenvalues: [0.9, 0.5, 0.2],
                                      neighbors: 5, metric: .cosine)
        XCTAssertEqual(try ok.keepingFirst(2).transform(rows), try ok.transform(rows).columns(0..<2))
    }
}
