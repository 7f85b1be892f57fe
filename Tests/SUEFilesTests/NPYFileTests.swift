import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

final class NPYFileTests: XCTestCase {
    // MARK: Fixtures written by NumPy 2.4 (np.save / np.lib.format.write_array), so that the reader is
    // checked against the reference implementation and not only against our own writer.

    /// np.arange(6, dtype='<f4').reshape(2, 3) / 4, format 1.0 (NumPy 2 pads the header to 128 bytes).
    let numpyFloat32Version1 = "934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000803e0000003f0000403f0000803f0000a03f"
    /// np.array([1.5, -2.0, 3.25]) (float64, 1-D), format 2.0.
    let numpyFloat64Vector2 = "934e554d50590200740000007b276465736372273a20273c6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000000000f83f00000000000000c00000000000000a40"
    /// np.array([[1, -2.5], [65504, 2**-24]], dtype='<f2'), format 3.0: the largest half and the smallest subnormal.
    let numpyFloat16Version3 = "934e554d50590300740000007b276465736372273a20273c6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2032292c207d20202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a003c00c1ff7b0100"

    func testReadsNumPyFloat32() throws {
        let m = try NPYFile.decode(Data(hex: numpyFloat32Version1), file: "a.npy", as: Float.self)
        XCTAssertEqual(m, Matrix(rows: 2, columns: 3, elements: [0, 0.25, 0.5, 0.75, 1, 1.25]))
        let d = try NPYFile.decode(Data(hex: numpyFloat32Version1), file: "a.npy", as: Double.self)
        XCTAssertEqual(d, Matrix(rows: 2, columns: 3, elements: [0, 0.25, 0.5, 0.75, 1, 1.25]))
    }

    func testReadsNumPyFloat64VectorAsRowOrColumn() throws {
        let data = Data(hex: numpyFloat64Vector2)
        let row = try NPYFile.decode(data, file: "v.npy", as: Double.self)
        XCTAssertEqual(row, Matrix(rows: 1, columns: 3, elements: [1.5, -2.0, 3.25]))
        let column = try NPYFile.decode(data, file: "v.npy", as: Float.self, vector: .column)
        XCTAssertEqual(column, Matrix(rows: 3, columns: 1, elements: [1.5, -2.0, 3.25]))
    }

    func testReadsNumPyFloat16Exactly() throws {
        let m = try NPYFile.decode(Data(hex: numpyFloat16Version3), file: "h.npy", as: Float.self)
        XCTAssertEqual(m.elements, [1, -2.5, 65504, 0x1p-24])
    }

    func testHalfPrecisionSpecialValues() throws {
        // +0, -0, smallest normal 2^-14, largest subnormal, +Inf, -Inf, NaN.
        let bits: [UInt16] = [0x0000, 0x8000, 0x0400, 0x03FF, 0x7C00, 0xFC00, 0x7E00]
        var payload = Data()
        for b in bits { withUnsafeBytes(of: b.littleEndian) { payload.append(contentsOf: $0) } }
        let data = npyBytes(header: "{'descr': '<f2', 'fortran_order': False, 'shape': (7,), }", payload: payload)
        let m = try NPYFile.decode(data, file: "h.npy", as: Float.self)
        XCTAssertEqual(m.elements[0].bitPattern, 0)
        XCTAssertEqual(m.elements[1].bitPattern, (-Float(0)).bitPattern)
        XCTAssertEqual(m.elements[2], 0x1p-14)
        XCTAssertEqual(m.elements[3], Float(0x3FF) * 0x1p-24)
        XCTAssertEqual(m.elements[4], .infinity)
        XCTAssertEqual(m.elements[5], -.infinity)
        XCTAssertTrue(m.elements[6].isNaN)
    }

    // MARK: Round trips

    func testRoundTripsEveryVersionPrecisionAndOddShape() throws {
        let folder = TemporaryFolder()
        var random = SeededRandom(seed: 7)
        for (rows, columns) in [(0, 3), (3, 0), (0, 0), (1, 1), (2, 7), (7, 5), (65, 3)] {
            for version in [1, 2, 3] {
                let f: Matrix<Float> = random.normalMatrix(rows, columns)
                let url = folder.file("f\(rows)x\(columns)v\(version).npy")
                try NPYFile.write(f, to: url, version: version)
                XCTAssertEqual(try NPYFile.read(url, as: Float.self), f)
                let header = try NPYFile.readHeader(url)
                XCTAssertEqual(header.majorVersion, version)
                XCTAssertEqual(header.shape, [rows, columns])
                XCTAssertEqual(header.elementType, .float32)
                XCTAssertEqual(header.dataOffset % 64, 0, "data must start 64-byte aligned")

                let d: Matrix<Double> = random.normalMatrix(rows, columns)
                try NPYFile.write(d, to: url, version: version)
                XCTAssertEqual(try NPYFile.read(url, as: Double.self), d)
                XCTAssertEqual(try NPYFile.readHeader(url).elementType, .float64)
            }
        }
    }

    func testConvertsBetweenPrecisions() throws {
        let folder = TemporaryFolder()
        let d = Matrix<Double>(rows: 2, columns: 2, elements: [0.1, -1e-3, 1e30, 3])
        try NPYFile.write(d, to: folder.file("d.npy"))
        let asFloat = try NPYFile.read(folder.file("d.npy"), as: Float.self)
        XCTAssertEqual(asFloat.elements, d.elements.map { Float($0) })

        let f = Matrix<Float>(rows: 1, columns: 3, elements: [0.1, 2, -7.5])
        try NPYFile.write(f, to: folder.file("f.npy"))
        XCTAssertEqual(try NPYFile.read(folder.file("f.npy"), as: Double.self).elements, f.elements.map { Double($0) })
    }

    func testEncodeMatchesWrite() throws {
        let folder = TemporaryFolder()
        let m = Matrix<Float>(rows: 2, columns: 2, elements: [1, 2, 3, 4])
        try NPYFile.write(m, to: folder.file("m.npy"))
        XCTAssertEqual(try Data(contentsOf: folder.file("m.npy")), NPYFile.encode(m))
    }

    func testHeaderSpellingIsTolerated() throws {
        let payload = Data([0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])  // 1.0, 2.0 as <f4
        for header in [
            "{'descr':'<f4','fortran_order':False,'shape':(2,)}",
            "{ \"shape\" : ( 1 , 2 ) , \"fortran_order\" : False , \"descr\" : \"<f4\" }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }",
            "{'descr': '<f4',\n 'fortran_order': False,\t'shape': (\n1,\n2,\n),\n}",
        ] {
            let m = try NPYFile.decode(npyBytes(header: header, payload: payload), file: "t.npy", as: Float.self)
            XCTAssertEqual(m.elements, [1, 2], header)
            XCTAssertEqual(m.rows, 1, header)
        }
    }

    // MARK: Errors: each names the file and the problem

    func testMissingFile() {
        let folder = TemporaryFolder()
        let url = folder.file("absent.npy")
        assertFileError(.notFound, mentions: ["no such file"], file: url) { try NPYFile.read(url, as: Float.self) }
        assertFileError(.io, mentions: ["directory"], file: folder.url) { try NPYFile.read(folder.url, as: Float.self) }
    }

    func testBadMagic() {
        let data = Data("PK\u{3}\u{4} this is a zip file, not npy".utf8)
        assertFileError(.malformed, mentions: ["x.npy", "not a .npy file", "\\x93NUMPY", "PK"]) {
            try NPYFile.decode(data, file: "x.npy", as: Float.self)
        }
    }

    func testTruncatedFiles() {
        let good = NPYFile.encode(Matrix<Float>(rows: 3, columns: 4, repeating: 1))
        assertFileError(.malformed, mentions: ["truncated", "at least 10"]) {
            try NPYFile.decode(good.prefix(7), file: "t.npy", as: Float.self)
        }
        assertFileError(.malformed, mentions: ["truncated", "header length field says 118"]) {
            try NPYFile.decode(good.prefix(40), file: "t.npy", as: Float.self)
        }
        assertFileError(.malformed, mentions: ["truncated", "(3, 4)", "needs 48 data bytes, found 47"]) {
            try NPYFile.decode(good.dropLast(), file: "t.npy", as: Float.self)
        }
        var longer = good
        longer.append(contentsOf: [1, 2, 3, 4])
        assertFileError(.malformed, mentions: ["data size mismatch", "needs 48 data bytes, found 52"]) {
            try NPYFile.decode(longer, file: "t.npy", as: Float.self)
        }
    }

    func testUnsupportedVersion() {
        var data = NPYFile.encode(Matrix<Float>(rows: 1, columns: 1))
        data[6] = 4
        assertFileError(.unsupported, mentions: ["version 4.0", "expected 1.0, 2.0 or 3.0"]) {
            try NPYFile.decode(data, file: "t.npy", as: Float.self)
        }
        assertFileError(.unsupported, mentions: ["version 9"]) {
            try NPYFile.write(Matrix<Float>(rows: 1, columns: 1), to: URL(fileURLWithPath: "/tmp/never.npy"), version: 9)
        }
    }

    func testFortranOrderIsRefused() {
        let data = npyBytes(header: "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", payload: Data(count: 16))
        assertFileError(.unsupported, mentions: ["Fortran", "C order"]) { try NPYFile.decode(data, file: "t.npy", as: Float.self) }
    }

    // MARK: Big-endian files, written by NumPy 2.4

    /// np.array([[1.5, -2], [65504, 2**-24], [0.25, -0.0]], dtype='>f2'), format 1.0.
    let numpyBigEndianFloat16 = "934e554d5059010076007b276465736372273a20273e6632272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c2032292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3e00c0007bff000134008000"
    /// np.array([[1.5, -2, 3e38]], dtype='>f4'), format 1.0.
    let numpyBigEndianFloat32 = "934e554d5059010076007b276465736372273a20273e6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028312c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3fc00000c00000007f61b1e6"
    /// np.array([1.5, -2.0, 1e300], dtype='>f8'), format 2.0.
    let numpyBigEndianFloat64 = "934e554d50590200740000007b276465736372273a20273e6638272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a3ff8000000000000c0000000000000007e37e43c8800759c"

    func testReadsNumPyBigEndian() throws {
        let half = try NPYFile.decode(Data(hex: numpyBigEndianFloat16), file: "h.npy", as: Float.self)
        XCTAssertEqual(half, Matrix(rows: 3, columns: 2, elements: [1.5, -2, 65504, 0x1p-24, 0.25, -0.0]))
        XCTAssertEqual(half.elements[5].sign, .minus)
        XCTAssertEqual(try NPYFile.decode(Data(hex: numpyBigEndianFloat32), file: "f.npy", as: Float.self).elements, [1.5, -2, 3e38])
        XCTAssertEqual(try NPYFile.decode(Data(hex: numpyBigEndianFloat32), file: "f.npy", as: Double.self).elements,
                       [1.5, -2, Double(Float(3e38))])
        let double = try NPYFile.decode(Data(hex: numpyBigEndianFloat64), file: "d.npy", as: Double.self)
        XCTAssertEqual(double, Matrix(rows: 1, columns: 3, elements: [1.5, -2, 1e300]))
        // 1e300 has no float32 counterpart: refused with its value and place, not turned into +Inf.
        assertFileError(.invalidValue, mentions: ["d.npy", "1e+300", "row 0, column 2", "float32's range"]) {
            try NPYFile.decode(Data(hex: numpyBigEndianFloat64), file: "d.npy", as: Float.self)
        }
        let folder = TemporaryFolder()
        try Data(hex: numpyBigEndianFloat64).write(to: folder.file("d.npy"))
        let header = try NPYFile.readHeader(folder.file("d.npy"))
        XCTAssertEqual(header.byteOrder, .big)
        XCTAssertEqual(header.elementType, .float64)
        XCTAssertEqual(header.majorVersion, 2)
    }

    // MARK: Strictness: what NumPy refuses is refused

    /// NumPy parses the header with `ast.literal_eval` and so refuses what Python 3 refuses.
    func testHeadersNumPyRefuses() {
        let cases: [(String, Int, [String])] = [
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (050, 8), }", 1, ["leading zeros"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 01), }", 1, ["leading zeros"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-02,), }", 1, ["leading zeros"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", 3, ["expected ','", "'L'"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n\u{0}", 1, ["unexpected text after"]),
        ]
        for (header, version, fragments) in cases {
            assertFileError(.malformed, mentions: fragments + ["t.npy", "bad header"]) {
                try NPYFile.decode(npyBytes(header: header, payload: Data(count: 8), version: version), file: "t.npy", as: Float.self)
            }
        }
        // Python 3 allows zeros written as 00, and NumPy strips 2L's suffix in versions 1 and 2.
        XCTAssertEqual(try NPYFile.decode(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (00, 2), }", payload: Data()),
                                          file: "t.npy", as: Float.self).shape.rows, 0)
        XCTAssertEqual(try NPYFile.decode(npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2L,), }", payload: Data(count: 8), version: 2),
                                          file: "t.npy", as: Float.self).columns, 2)
        // NumPy's max_header_size: a longer header is refused before it is parsed.
        let long = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + String(repeating: " ", count: 10_000)
        assertFileError(.malformed, mentions: ["t.npy", "10000"]) {
            try NPYFile.decode(npyBytes(header: long, payload: Data(count: 8), version: 2), file: "t.npy", as: Float.self)
        }
    }

    /// Offending text is quoted in at most about 80 characters, whatever its length in the file.
    func testMessagesQuoteBoundedText() {
        let longType = String(repeating: "x", count: 5_000)
        let longKey = String(repeating: "k", count: 5_000)
        for header in [
            "{'descr': '<\(longType)', 'fortran_order': False, 'shape': (2,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '\(longKey)': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': 1, '\(longKey)': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (\(Array(repeating: "7", count: 1_000).joined(separator: ", "))), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': ('\(longKey)',), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } \(longKey)",
            "{'descr': '<f4', 'fortran_order': \(longKey), 'shape': (2,), }",
        ] {
            do {
                _ = try NPYFile.decode(npyBytes(header: header, payload: Data(count: 8), version: 2), file: "t.npy", as: Float.self)
                XCTFail("accepted \(header.prefix(80))")
            } catch let error as FileError {
                XCTAssertLessThan(error.problem.count, 400, error.problem)
                XCTAssertFalse(error.problem.contains(String(repeating: "k", count: 100)), error.problem)
            } catch {
                XCTFail("\(type(of: error)): \(error)")
            }
        }
    }

    func testOtherDtypesAreRefused() {
        for (descr, name) in [("<i8", "signed integer"), ("|u1", "unsigned integer"), ("|b1", "boolean"),
                              ("<c8", "complex"), ("<U5", "unicode string"), ("|O", "Python object"), ("<f16", "'<f2'"),
                              ("=f4", "'<f4'"), ("|f4", "'<f4'"), ("f8", "'<f8'"), (">i4", "signed integer")] {
            let data = npyBytes(header: "{'descr': '\(descr)', 'fortran_order': False, 'shape': (0,), }", payload: Data())
            assertFileError(.unsupported, mentions: ["unsupported dtype '\(descr)'", name, "'<f4'"]) {
                try NPYFile.decode(data, file: "t.npy", as: Float.self)
            }
        }
        let structured = npyBytes(header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (0,), }", payload: Data())
        assertFileError(.unsupported, mentions: ["structured", "a list"]) { try NPYFile.decode(structured, file: "t.npy", as: Float.self) }
    }

    func testBadHeaders() {
        let cases: [(String, [String])] = [
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", ["bad header", "end of the header"]),
            ("{'descr': '<f4', 'fortran_order': False}", ["missing 'shape'"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", ["unexpected 'extra'"]),
            ("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", ["duplicate key 'descr'"]),
            ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", ["'fortran_order' should be True or False", "an integer"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", ["'shape' should be a tuple", "a list"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", ["'shape' should be a tuple", "an integer"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", ["non-negative integers", "(-2,)"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -9223372036854775807)}", ["non-negative integers"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807)}", ["too large"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693952,)}", ["too large"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}", ["floating-point"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", ["too large"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4)}", ["too large"]),
            ("['descr', '<f4']", ["expected a dictionary", "a list"]),
            ("{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", ["'false'"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", ["unexpected text after"]),
        ]
        for (header, fragments) in cases {
            assertFileError(.malformed, mentions: fragments + ["t.npy"]) {
                try NPYFile.decode(npyBytes(header: header, payload: Data(count: 8)), file: "t.npy", as: Float.self)
            }
        }
    }

    func testDimensionalityIsChecked() {
        let scalar = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", payload: Data(count: 4))
        assertFileError(.unsupported, mentions: ["expected a 1-D or 2-D array", "0-D"]) { try NPYFile.decode(scalar, file: "t.npy", as: Float.self) }
        let cube = npyBytes(header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }", payload: Data(count: 96))
        assertFileError(.unsupported, mentions: ["3-D", "(2, 3, 4)"]) { try NPYFile.decode(cube, file: "t.npy", as: Float.self) }
    }

    /// Builds a `.npy` file around an arbitrary header text.
    private func npyBytes(header: String, payload: Data, version: Int = 1) -> Data {
        npyFileBytes(header: header, payload: payload, version: version)
    }
}
