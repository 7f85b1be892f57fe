import Foundation
import XCTest
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

/// The index file: a round trip keeps every search result; a damaged or foreign file is refused with its problem
/// named.
final class IndexFileTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sue-index-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func sample() throws -> (InvertedFileIndex, Matrix<Float>) {
        var random = SeededRandom(seed: 12)
        let rows: Matrix<Float> = random.normalMatrix(301, 9), queries: Matrix<Float> = random.normalMatrix(23, 9)
        return (try InvertedFileIndex(rows, cells: 7, seed: 5), queries)
    }

    func testRoundTripKeepsTheSearchResults() throws {
        let (index, queries) = try sample()
        let url = folder.appendingPathComponent("i.safetensors")
        try IndexFile.save(index, modality: .y, rowOffset: 1_000, modelFingerprint: "fnv1a64:abc", to: url)
        let loaded = try IndexFile.load(url)
        XCTAssertEqual(loaded.modality, .y)
        XCTAssertEqual(loaded.rowOffset, 1_000)
        XCTAssertEqual(loaded.modelFingerprint, "fnv1a64:abc")
        XCTAssertEqual(loaded.index.cellOfRow, index.cellOfRow)
        XCTAssertEqual(loaded.index.unitRows.elements, index.unitRows.elements)
        for probes in [1, 3, 7] {
            XCTAssertEqual(try loaded.index.search(queries, k: 6, probes: probes), try index.search(queries, k: 6, probes: probes))
        }
        // The same index gives the same bytes.
        let again = folder.appendingPathComponent("j.safetensors")
        try IndexFile.save(index, modality: .y, rowOffset: 1_000, modelFingerprint: "fnv1a64:abc", to: again)
        XCTAssertEqual(try Data(contentsOf: url), try Data(contentsOf: again))
    }

    func testDamagedOrForeignFilesAreRefusedByName() throws {
        let (index, _) = try sample()
        let url = folder.appendingPathComponent("i.safetensors")
        try IndexFile.save(index, modality: .x, rowOffset: 0, modelFingerprint: "fnv1a64:1", to: url)
        let good = try SafetensorsFile.read(url)
        func refused(_ edit: (inout SafetensorsFile) -> Void, mentions fragment: String, line: UInt = #line) throws {
            var file = good
            edit(&file)
            let bad = folder.appendingPathComponent("bad.safetensors")
            try file.write(to: bad)
            XCTAssertThrowsError(try IndexFile.load(bad), line: line) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("bad.safetensors") && text.contains(fragment), "'\(text)' does not name the file and '\(fragment)'", line: line)
            }
        }
        try refused({ $0.metadata["format"] = "sue-model" }, mentions: "not a sue index")
        try refused({ $0.metadata["modality"] = "z" }, mentions: "modality")
        try refused({ $0.metadata["row_offset"] = "-3" }, mentions: "row_offset")
        try refused({ $0.metadata["model"] = nil }, mentions: "model")
        try refused({ $0.metadata["version"] = "9.0.0" }, mentions: "9.0.0")
        try refused({ $0.doubleTensors["cells"]!.elements[4] = 2.5 }, mentions: "row 4")
        try refused({ $0.doubleTensors["cells"]!.elements[4] = 7 }, mentions: "row 4")
        try refused({ $0.tensors["rows"]![3, 1] += 0.5 }, mentions: "row 3")
        try refused({ $0.tensors["centroids"] = Matrix<Float>(rows: 7, columns: 4, repeating: 0.5) }, mentions: "centroids")
        try refused({ $0.tensors["rows"] = nil }, mentions: "rows")
    }

    func testFingerprintsTellModelFilesApart() throws {
        let a = folder.appendingPathComponent("a"), b = folder.appendingPathComponent("b")
        try Data([1, 2, 3]).write(to: a)
        try Data([1, 2, 4]).write(to: b)
        XCTAssertEqual(try IndexFile.modelFingerprint(of: a), try IndexFile.modelFingerprint(of: a))
        XCTAssertNotEqual(try IndexFile.modelFingerprint(of: a), try IndexFile.modelFingerprint(of: b))
        XCTAssertThrowsError(try IndexFile.modelFingerprint(of: folder.appendingPathComponent("missing")))
    }
}
