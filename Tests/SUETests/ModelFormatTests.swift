import Foundation
import XCTest
import LinearAlgebra
import SUE
import SUEFiles

/// A small storable embedding for these tests: x ↦ (x − μx)·A, y ↦ (y − μy)·B.
private struct AffinePair: StorableEmbedding, Equatable {
    static let kind = "test-affine-pair"
    var meanX: Matrix<Float>, mapX: Matrix<Float>
    var meanY: Matrix<Float>, mapY: Matrix<Float>
    var label: String

    var dimension: Int { mapX.columns }

    init(meanX: Matrix<Float>, mapX: Matrix<Float>, meanY: Matrix<Float>, mapY: Matrix<Float>, label: String) {
        self.meanX = meanX; self.mapX = mapX; self.meanY = meanY; self.mapY = mapY; self.label = label
    }

    func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try apply(x, meanX, mapX) }
    func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try apply(y, meanY, mapY) }

    private func apply(_ a: Matrix<Float>, _ mean: Matrix<Float>, _ map: Matrix<Float>) throws -> Matrix<Float> {
        guard a.columns == map.rows else { throw FileError(.invalidValue, file: "input", "has \(a.columns) columns, expected \(map.rows)") }
        let centred = Matrix(rows: a.rows, columns: a.columns) { i, j in a[i, j] - mean[0, j] }
        return Matrix.multiply(centred, .none, map, .none)
    }

    func storedTensors() -> [String: Matrix<Float>] {
        ["x.mean": meanX, "x.map": mapX, "y.mean": meanY, "y.map": mapY]
    }
    func storedMetadata() -> [String: String] { ["label": label] }

    init(storedTensors t: [String: Matrix<Float>], metadata: [String: String]) throws {
        func tensor(_ name: String) throws -> Matrix<Float> {
            guard let m = t[name] else { throw FileError(.invalidValue, file: "model", "tensor '\(name)' is missing") }
            return m
        }
        meanX = try tensor("x.mean"); mapX = try tensor("x.map")
        meanY = try tensor("y.mean"); mapY = try tensor("y.map")
        label = metadata["label"] ?? ""
        guard meanX.rows == 1, meanX.columns == mapX.rows else {
            throw FileError(.invalidValue, file: "model", "x.mean is \(meanX.rows)×\(meanX.columns), x.map has \(mapX.rows) rows")
        }
        guard meanY.rows == 1, meanY.columns == mapY.rows else {
            throw FileError(.invalidValue, file: "model", "y.mean is \(meanY.rows)×\(meanY.columns), y.map has \(mapY.rows) rows")
        }
        guard mapX.columns == mapY.columns else {
            throw FileError(.invalidValue, file: "model", "x.map has \(mapX.columns) columns, y.map \(mapY.columns)")
        }
    }
}

final class ModelFormatTests: XCTestCase {
    override func setUp() {
        ModelFormat.register(AffinePair.self)
    }

    private static func sample() -> AffinePair {
        var random = SeededRandom(seed: 11)
        return AffinePair(meanX: random.normalMatrix(1, 7), mapX: random.normalMatrix(7, 3),
                          meanY: random.normalMatrix(1, 5), mapY: random.normalMatrix(5, 3), label: "ünïcode \"label\"")
    }

    private let configuration = JSONValue.object(["method": .string("auto"), "dims": .integer(3)])
    private let report = JSONValue.object(["method": .string("affine"), "pairs": .integer(12), "seed": .integer(4)])

    private func file(_ m: AffinePair = ModelFormatTests.sample()) -> SafetensorsFile {
        ModelFormat.file(for: m, xColumns: m.mapX.rows, yColumns: m.mapY.rows, configuration: configuration, report: report)
    }

    func testRoundTripThroughBytesKeepsMapsAndRecords() throws {
        let model = Self.sample()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sue-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("m.safetensors")
        try ModelFormat.save(model, xColumns: 7, yColumns: 5, configuration: configuration, report: report, to: url)

        let loaded = try ModelFormat.load(url)
        XCTAssertEqual(loaded.kind, AffinePair.kind)
        XCTAssertEqual(loaded.version, SUEVersion.current)
        XCTAssertEqual(loaded.xColumns, 7)
        XCTAssertEqual(loaded.yColumns, 5)
        XCTAssertEqual(loaded.configuration, configuration)
        XCTAssertEqual(loaded.report, report)
        let back = try XCTUnwrap(loaded.embedding as? AffinePair)
        XCTAssertEqual(back, model, "tensors and the type's own metadata survive bit for bit")

        var random = SeededRandom(seed: 3)
        let x: Matrix<Float> = random.normalMatrix(4, 7), y: Matrix<Float> = random.normalMatrix(4, 5)
        XCTAssertEqual(try back.embedX(x), try model.embedX(x))
        XCTAssertEqual(try back.embedY(y), try model.embedY(y))

        // The same model gives the same bytes (sorted keys, no run-dependent metadata).
        XCTAssertEqual(try file(model).encode(), try Data(contentsOf: url))
        let metadata = try SafetensorsFile.read(url).metadata
        XCTAssertEqual(metadata["format"], "sue-model")
        XCTAssertEqual(metadata["kind"], "test-affine-pair")
        XCTAssertEqual(metadata["dimension"], "3")
        XCTAssertNotNil(ModelFormat.parseVersion(metadata["version"]!))
    }

    func testRefusesFilesThatAreNotSueModels() {
        var f = file()
        f.metadata["format"] = nil
        assertRefused(f, mentions: ["not a sue model", "no 'format'"])
        f.metadata["format"] = "pytorch"
        assertRefused(f, mentions: ["\"pytorch\"", "expected \"sue-model\""])
        assertRefused(SafetensorsFile(tensors: ["w": Matrix(rows: 1, columns: 1)]), mentions: ["not a sue model"])
    }

    func testRefusesUnknownKind() {
        var f = file()
        f.metadata["kind"] = "mystery"
        assertRefused(f, mentions: ["unknown model kind \"mystery\"", AffinePair.kind])
    }

    func testRefusesBadOrNewerVersions() {
        for bad in ["", "1", "0.1", "v0.1.0", "0.1.x", "0..1", "0.1.0-beta", "1.2.3.4"] {
            var f = file()
            f.metadata["version"] = bad
            assertRefused(f, mentions: ["not of the form MAJOR.MINOR.PATCH"])
        }
        var f = file()
        f.metadata["version"] = "99.0.0"
        assertRefused(f, mentions: ["written by sue 99.0.0", "newer"])
        f.metadata["version"] = nil
        assertRefused(f, mentions: ["no 'version'"])
        XCTAssertTrue(ModelFormat.formatCompatible(written: (1, 2, 9), reader: (1, 3, 0)))
        XCTAssertFalse(ModelFormat.formatCompatible(written: (1, 4, 0), reader: (1, 3, 0)))
        XCTAssertFalse(ModelFormat.formatCompatible(written: (0, 2, 0), reader: (0, 1, 0)))
        XCTAssertTrue(ModelFormat.formatCompatible(written: (0, 1, 7), reader: (0, 1, 0)))
    }

    func testRefusesMissingTensorAndWrongShapes() {
        var missing = file()
        missing.tensors["y.map"] = nil
        assertRefused(missing, mentions: ["tensor 'y.map' is missing"])

        var wrongRows = file()
        wrongRows.tensors["x.map"] = Matrix(rows: 6, columns: 3)
        assertRefused(wrongRows, mentions: ["x.map has 6 rows"])

        var wrongWidth = file()
        wrongWidth.tensors["y.map"] = Matrix(rows: 5, columns: 2)
        assertRefused(wrongWidth, mentions: ["x.map has 3 columns, y.map 2"])

        // Tensors consistent with each other but not with the declared input widths or dimension.
        var declared = file()
        declared.metadata["x_columns"] = "8"
        assertRefused(declared, mentions: ["X map does not accept the declared 8 input columns"])
        declared = file()
        declared.metadata["dimension"] = "4"
        assertRefused(declared, mentions: ["shared dimension is 4", "tensors give 3"])
        declared = file()
        declared.metadata["y_columns"] = "-5"
        assertRefused(declared, mentions: ["'y_columns' is \"-5\""])
    }

    func testRefusesNonFiniteTensorsAndBadReports() {
        var f = file()
        var map = f.tensors["x.map"]!
        map[4, 1] = .infinity
        f.tensors["x.map"] = map
        assertRefused(f, mentions: ["tensor 'x.map' contains inf at row 4, column 1"])

        var g = file()
        g.metadata["report"] = "{\"method\": "
        XCTAssertThrowsError(try ModelFormat.load(g, source: "m.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("m.safetensors (metadata 'report')"), "\(error)")
        }
    }

    func testTamperedBytesAreRefusedBySafetensorsLayer() throws {
        var bytes = try file().encode()
        bytes.removeLast(4)
        XCTAssertThrowsError(try SafetensorsFile.decode(bytes, file: "m.safetensors"))
    }

    // MARK: LinearAlignment (the linear methods' model)

    func testLinearAlignmentRoundTripAndShapeChecks() throws {
        var random = SeededRandom(seed: 8)
        let x: Matrix<Float> = random.normalMatrix(60, 7), y: Matrix<Float> = random.normalMatrix(50, 5)
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<12).map { KnownPair(x: $0, y: $0) })
        let fitted = try AlignmentMethods.named("ridge").fit(data, FitContext(seed: 1))
        let model = try XCTUnwrap(fitted as? LinearAlignment, "ridge gives a LinearAlignment")
        let f = ModelFormat.file(for: model, xColumns: 7, yColumns: 5, configuration: .null, report: .null)
        XCTAssertEqual(f.metadata["kind"], "linear-alignment")
        let back = try XCTUnwrap(try ModelFormat.load(f, source: "m.safetensors").embedding as? LinearAlignment)
        XCTAssertEqual(back, model)
        XCTAssertEqual(try back.embedX(x), try model.embedX(x))

        var wrongMean = f
        wrongMean.tensors["y.mean"] = Matrix(rows: 1, columns: 4)
        assertRefused(wrongMean, mentions: ["y.mean is 1×4 and y.map is 5×"])
        var wrongWidth = f
        wrongWidth.tensors["x.map"] = Matrix(rows: 7, columns: model.dimension + 1)
        assertRefused(wrongWidth, mentions: ["x.map has \(model.dimension + 1) columns but y.map has \(model.dimension)"])
        var missing = f
        missing.tensors["x.mean"] = nil
        assertRefused(missing, mentions: ["tensor 'x.mean' is missing"])
    }
}

/// Loading `f` must fail with a FileError naming "m.safetensors" and mentioning every fragment.
func assertRefused(_ f: SafetensorsFile, mentions: [String], line: UInt = #line) {
    XCTAssertThrowsError(try ModelFormat.load(f, source: "m.safetensors"), line: line) { error in
        guard let e = error as? FileError else { return XCTFail("not a FileError: \(error)", line: line) }
        XCTAssertEqual(e.file, "m.safetensors", line: line)
        for fragment in mentions {
            XCTAssertTrue(e.problem.contains(fragment), "'\(e.problem)' does not mention '\(fragment)'", line: line)
        }
    }
}
