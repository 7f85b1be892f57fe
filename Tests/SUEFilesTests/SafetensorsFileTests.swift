import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

final class SafetensorsFileTests: XCTestCase {
    private func sample() -> SafetensorsFile {
        var random = SeededRandom(seed: 3)
        return SafetensorsFile(
            tensors: ["w1": random.normalMatrix(7, 5), "b1": random.normalMatrix(1, 5), "empty": Matrix(rows: 0, columns: 4),
                      "one": Matrix(rows: 1, columns: 1, elements: [42])],
            doubleTensors: ["projection": random.normalMatrix(3, 2)],
            metadata: ["format": "sue-model", "config": "{\"dims\": 16, \"note\": \"quote \\\" and \\n newline\"}",
                       "unicode": "Grüße, 東京 🚀"])
    }

    func testRoundTrip() throws {
        let folder = TemporaryFolder()
        let file = sample()
        try file.write(to: folder.file("m.safetensors"))
        let back = try SafetensorsFile.read(folder.file("m.safetensors"))
        XCTAssertEqual(back, file)
        XCTAssertEqual(back.names, ["b1", "empty", "one", "projection", "w1"])
    }

    func testLayoutMatchesReferenceWriter() throws {
        let data = try sample().encode()
        let headerLength = Int(data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        XCTAssertEqual(headerLength % 8, 0, "header padded to a multiple of 8")
        let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{\"__metadata__\":{\"config\":"), header)
        XCTAssertTrue(header.hasSuffix("}") || header.hasSuffix(" "))
        // F64 first (larger dtype), then F32 tensors by name; offsets contiguous from 0.
        let order = ["\"projection\"", "\"b1\"", "\"empty\"", "\"one\"", "\"w1\""].map { header.range(of: $0)!.lowerBound }
        XCTAssertEqual(order, order.sorted())
        XCTAssertTrue(header.contains("\"projection\":{\"dtype\":\"F64\",\"shape\":[3,2],\"data_offsets\":[0,48]}"), header)
        XCTAssertTrue(header.contains("\"b1\":{\"dtype\":\"F32\",\"shape\":[1,5],\"data_offsets\":[48,68]}"), header)
        XCTAssertTrue(header.contains("\"empty\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[68,68]}"), header)
        XCTAssertEqual(data.count, 8 + headerLength + 48 + 20 + 0 + 4 + 140)
        // Deterministic bytes.
        XCTAssertEqual(try sample().encode(), data)
    }

    func testAccessorConvertsAndChecksShape() throws {
        let file = sample()
        let p: Matrix<Float> = try file.matrix("projection", rows: 3, columns: 2)
        XCTAssertEqual(p.elements, file.doubleTensors["projection"]!.elements.map { Float($0) })
        assertFileError(.invalidValue, mentions: ["model.st", "'nope' is missing", "b1, empty, one, projection, w1"]) {
            try file.matrix("nope", as: Float.self, file: "model.st")
        }
        assertFileError(.invalidValue, mentions: ["'w1' has 5 columns, expected 6"]) {
            try file.matrix("w1", as: Double.self, columns: 6)
        }
    }

    func testWriterRefusesAmbiguousNames() {
        let clash = SafetensorsFile(tensors: ["a": Matrix(rows: 1, columns: 1)], doubleTensors: ["a": Matrix(rows: 1, columns: 1)])
        assertFileError(.invalidValue, mentions: ["'a'", "both"]) { try clash.encode() }
        let reserved = SafetensorsFile(tensors: ["__metadata__": Matrix(rows: 1, columns: 1)])
        assertFileError(.invalidValue, mentions: ["reserved"]) { try reserved.encode() }
    }

    // MARK: Hand-made files, including the dtypes we only read

    /// Assembles a file from a header text and data bytes, padding the header as the reference writer does.
    private func file(header: String, data: [UInt8], pad: Bool = true) -> Data {
        var h = Array(header.utf8)
        if pad { h += [UInt8](repeating: 0x20, count: (8 - h.count % 8) % 8) }
        var out = Data()
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: h)
        out.append(contentsOf: data)
        return out
    }

    func testReadsHalfBFloatVectorsAndScalars() throws {
        // F16 [1, -2] as a vector, BF16 [[1.5]] and an F32 scalar 0.25.
        let data = file(header: """
            {"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,1],"data_offsets":[4,6]},\
            "s":{"dtype":"F32","shape":[],"data_offsets":[6,10]},"__metadata__":null}
            """, data: [0x00, 0x3C, 0x00, 0xC0, 0xC0, 0x3F, 0, 0, 0x80, 0x3E])
        let f = try SafetensorsFile.decode(data, file: "t.safetensors")
        XCTAssertEqual(f.tensors["h"], Matrix(rows: 1, columns: 2, elements: [1, -2]))
        XCTAssertEqual(f.tensors["b"], Matrix(rows: 1, columns: 1, elements: [1.5]))
        XCTAssertEqual(f.tensors["s"], Matrix(rows: 1, columns: 1, elements: [0.25]))
        XCTAssertEqual(f.metadata, [:])
    }

    // MARK: Files that must be refused

    func testAbsurdHeaderLengthAndTruncation() throws {
        let good = try sample().encode()
        var absurd = good
        absurd.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        assertFileError(.malformed, mentions: ["t.st", "header length", "absurd"]) { try SafetensorsFile.decode(absurd, file: "t.st") }
        assertFileError(.malformed, mentions: ["truncated", "8-byte header length"]) { try SafetensorsFile.decode(good.prefix(5), file: "t.st") }
        assertFileError(.malformed, mentions: ["truncated", "header length says"]) { try SafetensorsFile.decode(good.prefix(50), file: "t.st") }
        assertFileError(.malformed, mentions: ["truncated", "'w1'", "ends at data byte 212"]) {
            try SafetensorsFile.decode(good.dropLast(3), file: "t.st")
        }
        var longer = good
        longer.append(0)
        assertFileError(.malformed, mentions: ["data size mismatch", "cover 212 bytes", "213 data bytes"]) {
            try SafetensorsFile.decode(longer, file: "t.st")
        }
    }

    func testBadOffsets() {
        let four = [UInt8](repeating: 0, count: 16)
        let cases: [(String, [String])] = [
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
             ["overlapping", "'b' begins at byte 4", "'a' ends at 8"]),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}"#,
             ["gap between tensors", "'b' begins at byte 12"]),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, ["gap", "data starts at 0"]),
            (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, ["'a'", "needs 12 bytes", "span 8"]),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, ["end before they begin"]),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, ["[begin, end]"]),
            (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}}"#, ["non-negative"]),
            (#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, ["too large"]),
            (#"{"a":{"dtype":"F99","shape":[4],"data_offsets":[0,16]}}"#, ["unknown dtype"]),
            (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16],"x":1}}"#, ["exactly the fields"]),
            (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},}"#, ["trailing comma"]),
            (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16.0]}}"#, ["data_offsets should contain non-negative integers"]),
            (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"a":{"dtype":"F32","shape":[0],"data_offsets":[16,16]}}"#, ["duplicate key 'a'"]),
            (#"{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, ["metadata 'k' should be a string"]),
            (#"{'a':{}}"#, ["bad header"]),
            (#"[1,2]"#, ["starting with '{'"]),
        ]
        for (header, fragments) in cases {
            assertFileError(.malformed, mentions: fragments + ["t.st"]) { try SafetensorsFile.decode(file(header: header, data: four), file: "t.st") }
        }
    }

    func testUnsupportedDtypesAndRanks() {
        let int64 = file(header: #"{"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: .init(repeating: 0, count: 16))
        assertFileError(.unsupported, mentions: ["'ids'", "I64", "expected F32, F64"]) { try SafetensorsFile.decode(int64, file: "t.st") }
        let cube = file(header: #"{"c":{"dtype":"F32","shape":[1,2,2],"data_offsets":[0,16]}}"#, data: .init(repeating: 0, count: 16))
        assertFileError(.unsupported, mentions: ["'c'", "3-D"]) { try SafetensorsFile.decode(cube, file: "t.st") }
    }

    func testNPYFileGivenAsModel() {
        let npy = NPYFile.encode(Matrix<Float>(rows: 2, columns: 2))
        assertFileError(.malformed, mentions: ["x.npy", "a .npy array, not a safetensors file"]) { try SafetensorsFile.decode(npy, file: "x.npy") }
    }

    func testMissingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/model.safetensors")
        assertFileError(.notFound, mentions: ["no such file"], file: url) { try SafetensorsFile.read(url) }
    }

    /// A float64 tensor asked for as Float: a value float32 cannot hold is named, not turned into Inf.
    func testFloat64BeyondFloat32IsNamed() throws {
        let file = SafetensorsFile(doubleTensors: ["p": Matrix(rows: 2, columns: 2, elements: [1, 2, 3, -1e39])])
        let back = try SafetensorsFile.decode(try file.encode(), file: "m.st")
        XCTAssertEqual(try back.matrix("p", as: Double.self, file: "m.st")[1, 1], -1e39)
        assertFileError(.invalidValue, mentions: ["m.st", "'p'", "-1e+39", "row 1, column 1", "float32's range"]) {
            try back.matrix("p", as: Float.self, file: "m.st")
        }
    }

    /// Tensor names are quoted in at most about 40 characters, however long they are in the file.
    func testLongNamesAreQuotedShort() throws {
        let long = String(repeating: "n", count: 3_000)
        let data = file(header: #"{"\#(long)":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}"#, data: .init(repeating: 0, count: 16))
        let error = assertFileError(.unsupported, mentions: ["I64"]) { try SafetensorsFile.decode(data, file: "t.st") }
        XCTAssertLessThan(error?.problem.count ?? 0, 200)
        let missing = SafetensorsFile(tensors: Dictionary(uniqueKeysWithValues: (0..<500).map { ("tensor\($0)", Matrix<Float>(rows: 1, columns: 1)) }))
        let listed = assertFileError(.invalidValue, mentions: ["'absent' is missing"]) { try missing.matrix("absent", as: Float.self) }
        XCTAssertLessThan(listed?.problem.count ?? 0, 200)
    }
}
