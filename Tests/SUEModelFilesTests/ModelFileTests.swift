import Foundation
import XCTest
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

final class ModelFileTests: XCTestCase {
    /// A ridge model on random data: 60 × 7 X rows, 50 × 5 Y rows, 12 pairs.
    private static func sample() throws -> (model: LinearAlignment, x: Matrix<Float>, y: Matrix<Float>) {
        var random = SeededRandom(seed: 8)
        let x: Matrix<Float> = random.normalMatrix(60, 7), y: Matrix<Float> = random.normalMatrix(50, 5)
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<12).map { KnownPair(x: $0, y: $0) })
        return (try Ridge().fit(data, context: FitContext(seed: 4)), x, y)
    }

    private func file() throws -> SafetensorsFile { try ModelFile.file(for: try Self.sample().model) }

    func testRoundTripThroughBytesKeepsMapsAndReport() throws {
        let (model, x, y) = try Self.sample()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sue-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        try ModelFile.save(model, to: url)

        let loaded = try ModelFile.load(url)
        XCTAssertEqual(loaded.kind, LinearAlignment.kind)
        XCTAssertEqual(loaded.version, SUEVersion.current)
        XCTAssertEqual(loaded.xColumns, 7)
        XCTAssertEqual(loaded.yColumns, 5)
        XCTAssertEqual(loaded.report, model.report)
        XCTAssertEqual(loaded.report?.method, "ridge")
        XCTAssertEqual(loaded.report?.pairs, 12)
        XCTAssertEqual(loaded.report?.seed, 4)
        let back = try XCTUnwrap(loaded.model as? LinearAlignment)
        XCTAssertEqual(back, model, "tensors and report survive bit for bit")
        XCTAssertEqual(try back.embedX(x), try model.embedX(x))
        XCTAssertEqual(try back.embedY(y), try model.embedY(y))

        // The same model gives the same bytes (sorted keys, no run-dependent metadata).
        XCTAssertEqual(try ModelFile.file(for: model).encode(), try Data(contentsOf: url))
        let metadata = try SafetensorsFile.read(url).metadata
        XCTAssertEqual(metadata["format"], "sue-model")
        XCTAssertEqual(metadata["kind"], "linear-alignment")
        XCTAssertEqual(metadata["dimension"], "5")
        XCTAssertNotNil(ModelFile.parseVersion(metadata["version"]!))
    }

    func testEveryFittedModelSavesWithoutCastsAndLoadsBackBitForBit() throws {
        let (x, y) = makeSyntheticPairs(rows: 300, dx: 12, dy: 9, seed: 5)
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<20).map { KnownPair(x: $0, y: $0) })
        let test = x.rows(250..<300), testY = y.rows(250..<300)
        let fast: [any Aligner] = [Automatic(), Ridge(), Procrustes(), CCA(), IndependentComponentCCA(components: 4),
                                   ProfiledCCA(), SelfLearning(), SimilarityProfiles(),
                                   SUEPipeline(seDimensions: 4, neighbors: 10, ccaComponents: 3, mmdNet: .init(epochs: 1)),
                                   Contrastive(temperatures: [0.1], widths: [0], weightDecays: [1e-4], maximumEpochs: 5)]
        for estimator in fast {
            let model: any AlignmentModel = try estimator.fit(data, context: FitContext(seed: 2))
            let f = try ModelFile.file(for: model)
            let loaded = try ModelFile.load(SafetensorsFile.decode(try f.encode(), file: "m.safetensors"), source: "m.safetensors")
            XCTAssertEqual(try loaded.model.embedX(test), try model.embedX(test), "\(type(of: estimator))")
            XCTAssertEqual(try loaded.model.embedY(testY), try model.embedY(testY), "\(type(of: estimator))")
            XCTAssertEqual(loaded.report, model.report, "\(type(of: estimator))")
            XCTAssertEqual(try ModelFile.file(for: loaded.model).encode(), try f.encode(), "\(type(of: estimator)): stable bytes")
        }
    }

    func testRefusesFilesThatAreNotSueModels() throws {
        var f = try file()
        f.metadata["format"] = nil
        assertRefused(f, .unsupported)
        f.metadata["format"] = "pytorch"
        assertRefused(f, .unsupported, mentions: ["pytorch"])
        assertRefused(SafetensorsFile(tensors: ["w": Matrix(rows: 1, columns: 1)]), .unsupported)
    }

    func testRefusesUnknownKind() throws {
        var f = try file()
        f.metadata["kind"] = "mystery"
        assertRefused(f, .unsupported, mentions: ["mystery", LinearAlignment.kind])
    }

    func testRefusesBadOrNewerVersions() throws {
        for bad in ["", "1", "0.1", "v0.1.0", "0.1.x", "0..1", "0.1.0-beta", "1.2.3.4"] {
            var f = try file()
            f.metadata["version"] = bad
            assertRefused(f, .malformed)
        }
        var f = try file()
        f.metadata["version"] = "99.0.0"
        assertRefused(f, .unsupported, mentions: ["99.0.0"])
        f.metadata["version"] = nil
        assertRefused(f, .malformed, mentions: ["version"])
        XCTAssertTrue(ModelFile.formatCompatible(written: (1, 2, 9), reader: (1, 3, 0)))
        XCTAssertFalse(ModelFile.formatCompatible(written: (1, 4, 0), reader: (1, 3, 0)))
        XCTAssertFalse(ModelFile.formatCompatible(written: (0, 2, 0), reader: (0, 1, 0)))
        XCTAssertTrue(ModelFile.formatCompatible(written: (0, 1, 7), reader: (0, 1, 0)))
    }

    func testRefusesMissingTensorAndWrongShapesNamingTheTensor() throws {
        let f = try file()
        var missing = f
        missing.tensors["y.map"] = nil
        assertRefused(missing, .invalidValue, mentions: ["'y.map'"])

        var wrongRows = f
        wrongRows.tensors["x.map"] = Matrix(rows: 6, columns: 5)
        assertRefused(wrongRows, .invalidValue, mentions: ["'x.map'", "6×5"])

        var wrongWidth = f
        wrongWidth.tensors["y.map"] = Matrix(rows: 5, columns: 2)
        assertRefused(wrongWidth, .invalidValue, mentions: ["'y.map'", "5×2"])

        var wrongMean = f
        wrongMean.tensors["y.mean"] = Matrix(rows: 1, columns: 4)
        assertRefused(wrongMean, .invalidValue, mentions: ["'y.map'"])

        var extra = f
        extra.tensors["z.map"] = Matrix(rows: 1, columns: 1)
        assertRefused(extra, .invalidValue, mentions: ["'z.map'"])

        // Tensors consistent with each other but not with the declared input widths or dimension.
        var declared = f
        declared.metadata["x_columns"] = "8"
        assertRefused(declared, .invalidValue, mentions: ["8"])
        declared = f
        declared.metadata["dimension"] = "4"
        assertRefused(declared, .invalidValue, mentions: ["4", "5"])
        declared = f
        declared.metadata["y_columns"] = "-5"
        assertRefused(declared, .malformed, mentions: ["y_columns", "-5"])
    }

    func testRefusesNonFiniteTensorsAndBadReports() throws {
        var f = try file()
        var map = f.tensors["x.map"]!
        map[4, 1] = .infinity
        f.tensors["x.map"] = map
        assertRefused(f, .invalidValue, mentions: ["'x.map'", "row 4", "column 1"])

        // Finite but extreme: one such value in a mean makes every embedding overflow, so it is refused at load.
        var e = try file()
        var mean = e.tensors["y.mean"]!
        mean[0, 2] = 3e38
        e.tensors["y.mean"] = mean
        assertRefused(e, .invalidValue, mentions: ["'y.mean'", "column 2", "magnitude"])

        var g = try file()
        g.metadata["report"] = "{\"method\": "
        assertRefused(g, .malformed, mentions: ["report"])
    }

    func testTamperedBytesAreRefusedBySafetensorsLayer() throws {
        var bytes = try file().encode()
        bytes.removeLast(4)
        XCTAssertThrowsError(try SafetensorsFile.decode(bytes, file: "m.safetensors")) { error in
            XCTAssertEqual((error as? FileError)?.kind, .malformed)
        }
    }
}

/// Loading `f` must fail with a `FileError` of `kind` naming "m.safetensors" and quoting every fragment (names
/// and numbers from the file, not wording).
func assertRefused(_ f: SafetensorsFile, _ kind: FileError.Kind, mentions: [String] = [], line: UInt = #line) {
    XCTAssertThrowsError(try ModelFile.load(f, source: "m.safetensors"), line: line) { error in
        guard let e = error as? FileError else { return XCTFail("not a FileError: \(error)", line: line) }
        XCTAssertEqual(e.kind, kind, "\(e)", line: line)
        XCTAssertEqual(e.file, "m.safetensors", line: line)
        for fragment in mentions {
            XCTAssertTrue(e.problem.contains(fragment), "'\(e.problem)' does not quote '\(fragment)'", line: line)
        }
    }
}
