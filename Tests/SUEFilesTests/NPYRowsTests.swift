import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

/// Reading blocks of rows, and the size checks made before anything is allocated.
final class NPYRowsTests: XCTestCase {
    /// The bytes of a `.npy` file holding `values` (row-major, `shape`) stored as `descr`.
    private func stored(_ values: [Double], shape: [Int], descr: String) -> Data {
        let bigEndian = descr.first == ">"
        var payload = Data()
        func append<T: FixedWidthInteger>(_ bits: T) {
            withUnsafeBytes(of: bigEndian ? bits.bigEndian : bits.littleEndian) { payload.append(contentsOf: $0) }
        }
        for v in values {
            switch descr.dropFirst() {
            case "f2": append(halfBits(exactly: v))
            case "f4": append(Float(v).bitPattern)
            default: append(v.bitPattern)
            }
        }
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        return npyFileBytes(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }", payload: payload)
    }

    /// Every block of every size gives exactly the bytes of the same rows of the full read, for every stored
    /// type, both byte orders, both precisions read, odd shapes and both layouts of a 1-D array.
    func testEveryBlockEqualsTheSameRowsOfTheFullRead() throws {
        let folder = TemporaryFolder()
        var random = SeededRandom(seed: 11)
        var checked = 0
        for descr in ["<f2", ">f2", "<f4", ">f4", "<f8", ">f8"] {
            for shape in [[0, 3], [3, 0], [1, 1], [7, 5], [13, 3], [5], [0]] {
                let count = shape.reduce(1, *)
                // Multiples of 1/4 up to 512: exact in every stored type, so every file holds the same values.
                let values = (0..<count).map { _ in Double(random.int(below: 4097) - 2048) / 4 }
                let url = folder.file("m\(descr.dropFirst())\(descr.first == ">" ? "be" : "le")\(shape.map(String.init).joined(separator: "x")).npy")
                try stored(values, shape: shape, descr: descr).write(to: url)
                for vector in [NPYFile.VectorLayout.row, .column] {
                    let full = try NPYFile.read(url, as: Float.self, vector: vector)
                    let fullDouble = try NPYFile.read(url, as: Double.self, vector: vector)
                    XCTAssertEqual(fullDouble.elements.map { Float($0) }, full.elements)
                    for blockRows in [1, 2, 3, max(1, full.rows)] {
                        var start = 0
                        while start < full.rows {
                            let end = min(full.rows, start + blockRows)
                            let block = try NPYFile.readRows(url, start..<end, as: Float.self, vector: vector)
                            XCTAssertEqual(block.rows, end - start)
                            XCTAssertEqual(block.columns, full.columns)
                            XCTAssertEqual(block.elements.map(\.bitPattern),
                                           full.elements[(start * full.columns)..<(end * full.columns)].map(\.bitPattern), "\(url.lastPathComponent) \(start)..<\(end)")
                            let blockDouble = try NPYFile.readRows(url, start..<end, as: Double.self, vector: vector)
                            XCTAssertEqual(blockDouble.elements.map(\.bitPattern),
                                           fullDouble.elements[(start * full.columns)..<(end * full.columns)].map(\.bitPattern))
                            start = end
                            checked += 1
                        }
                    }
                    XCTAssertEqual(try NPYFile.readRows(url, 0..<0, as: Float.self, vector: vector).rows, 0)
                }
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }

    func testRowRangesAndFortranOrderAreChecked() throws {
        let folder = TemporaryFolder()
        let url = folder.file("m.npy")
        try NPYFile.write(Matrix<Float>(rows: 4, columns: 2, repeating: 1), to: url)
        for rows in [0..<5, 4..<5, -1..<2] {
            assertFileError(.invalidValue, mentions: ["out of range", "4 rows"], file: url) { try NPYFile.readRows(url, rows, as: Float.self) }
        }
        XCTAssertEqual(try NPYFile.readRows(url, 4..<4, as: Float.self).rows, 0)

        let fortran = folder.file("f.npy")
        try npyFileBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload: Data(count: 16)).write(to: fortran)
        assertFileError(.unsupported, mentions: ["Fortran"], file: fortran) { try NPYFile.readRows(fortran, 0..<1, as: Float.self) }
        assertFileError(.unsupported, mentions: ["Fortran"], file: fortran) { try NPYFile.readHeader(fortran) }

        // A block of a damaged file is never returned: the whole file's size is checked as for a full read.
        var truncated = try Data(contentsOf: url)
        truncated.removeLast()
        try truncated.write(to: url)
        assertFileError(.malformed, mentions: ["truncated"], file: url) { try NPYFile.readRows(url, 0..<1, as: Float.self) }
        assertFileError(.malformed, mentions: ["truncated"], file: url) { try NPYFile.readHeader(url) }
    }

    /// Values beyond float32's range are named with their absolute row when read in blocks, and read as
    /// float64 they are simply returned.
    func testFloat64OverflowInABlockNamesTheFileRow() throws {
        let folder = TemporaryFolder()
        let url = folder.file("d.npy")
        var m = Matrix<Double>(rows: 6, columns: 3, repeating: 1)
        m[4, 1] = -4e38
        try NPYFile.write(m, to: url)
        XCTAssertNoThrow(try NPYFile.readRows(url, 0..<4, as: Float.self))
        assertFileError(.invalidValue, mentions: ["-4e+38", "row 4, column 1", "float32's range"], file: url) {
            try NPYFile.readRows(url, 3..<6, as: Float.self)
        }
        XCTAssertEqual(try NPYFile.readRows(url, 3..<6, as: Double.self)[1, 1], -4e38)
    }

    // MARK: Size checks

    /// A header that claims 100 000 000 × 8 float64 values in a file of a few hundred bytes is a damaged
    /// file: refused from the header, before anything of that size is allocated.
    func testHeaderClaimingMoreThanTheFileHolds() throws {
        let folder = TemporaryFolder()
        let url = folder.file("claims.npy")
        try npyFileBytes(header: "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 8), }", payload: Data(count: 64)).write(to: url)
        for body in [{ _ = try NPYFile.read(url, as: Float.self) }, { _ = try NPYFile.readHeader(url) },
                     { _ = try NPYFile.readRows(url, 0..<1, as: Double.self) }] {
            assertFileError(.malformed, mentions: ["truncated", "6400000000 data bytes", "found 64"], file: url, body)
        }
    }

    /// A valid file whose data is larger than this machine's memory (a sparse file: it takes no disk space)
    /// is described and read in blocks, but a full read is refused with the sizes, not attempted.
    func testValidFileLargerThanMemoryIsRefusedBeforeAllocating() throws {
        let folder = TemporaryFolder()
        let url = folder.file("huge.npy")
        let columns = 1024
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let rows = memory / (columns * 4) + 1_000
        let header = npyFileBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }", payload: Data())
        try header.write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(header.count + rows * columns * 4))
        try handle.close()

        XCTAssertEqual(try NPYFile.readHeader(url).shape, [rows, columns])
        let error = assertFileError(.tooLarge, mentions: ["as float32", "this machine has", "GiB"], file: url) {
            try NPYFile.read(url, as: Float.self)
        }
        XCTAssertNotNil(error)
        assertFileError(.tooLarge, mentions: ["as float64"], file: url) { try NPYFile.read(url, as: Double.self) }
        // A block is read from the middle of the file without reading the rest.
        let block = try NPYFile.readRows(url, (rows / 2)..<(rows / 2 + 3), as: Float.self)
        XCTAssertEqual(block.shape.rows, 3)
        XCTAssertTrue(block.elements.allSatisfy { $0 == 0 })
    }

    /// The same for safetensors: the tensors of a valid file together would not fit in memory.
    func testSafetensorsLargerThanMemoryIsRefusedBeforeAllocating() throws {
        let folder = TemporaryFolder()
        let url = folder.file("huge.safetensors")
        let columns = 1024
        let rows = Int(clamping: ProcessInfo.processInfo.physicalMemory) / (columns * 4) + 1_000
        let bytes = rows * columns * 2
        var header = Array(#"{"w":{"dtype":"F16","shape":[\#(rows),\#(columns)],"data_offsets":[0,\#(bytes)]}}"#.utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var data = Data()
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        try data.write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(data.count + bytes))
        try handle.close()
        assertFileError(.tooLarge, mentions: ["as float32", "this machine has"], file: url) { try SafetensorsFile.read(url) }
    }
}
