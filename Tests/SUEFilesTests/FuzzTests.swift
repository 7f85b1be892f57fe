import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

/// Seeded mutations of valid `.npy`, safetensors and pairs CSV files: byte flips, truncation at every header
/// offset, insertions and deletions, huge shapes, odd dtypes, header length fields pointing past the end.
///
/// Every case must end either in a read equal to what an independent reference decoder (written here, from
/// the formats' specifications) expects of the mutated bytes, or in a `FileError` that names the file and
/// quotes a bounded amount of text. Any other error, a crash, or a matrix holding a NaN or Inf that the file
/// does not hold is a failure. The seeds are fixed, so a failure is reproduced by running the test again;
/// each failure message names the case.
final class FuzzTests: XCTestCase {
    // MARK: Shared checks

    /// What a case ended in, for the tally printed at the end of each test.
    private struct Tally {
        var accepted = 0, refused = 0, undecided = 0
        var total: Int { accepted + refused }
    }

    /// Checks a thrown error: a `FileError` of an expected kind, naming `file`, with a bounded message.
    private func checkRefusal(_ error: Error, file: String, kinds: Set<FileError.Kind>, lineCount: Int? = nil,
                              _ label: @autoclosure () -> String) {
        guard let error = error as? FileError else {
            XCTFail("\(label()): threw \(type(of: error)), not a FileError: \(error)")
            return
        }
        XCTAssertTrue(kinds.contains(error.kind), "\(label()): unexpected kind \(error.kind): \(error)")
        XCTAssertEqual(error.file, file, "\(label()): \(error)")
        XCTAssertTrue(error.description.hasPrefix(file), "\(label()): \(error)")
        XCTAssertLessThan(error.problem.count, 400, "\(label()): unbounded message: \(error.problem.prefix(500))")
        if let line = error.line {
            XCTAssertNotNil(lineCount, "\(label()): a line number in a binary format: \(error)")
            if let lineCount { XCTAssertTrue((1...max(1, lineCount)).contains(line), "\(label()): line \(line) of \(lineCount): \(error)") }
        }
    }

    /// Bitwise equality, except that any NaN equals any NaN (a NaN's payload may change in a conversion).
    private func same(_ a: Double, _ b: Double) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }
    private func same(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }

    // MARK: Mutations

    /// The mutated copies of `seed`: `randomCases` random single mutations (flips biased to the first
    /// `headerEnd` bytes, insertions of bytes or of `tokens`, deletions), truncation at every offset up to
    /// `headerEnd` and at a few later ones.
    private func mutations(of seed: [UInt8], headerEnd: Int, tokens: [String], randomCases: Int,
                           random: inout SeededRandom) -> [(name: String, bytes: [UInt8])] {
        var out = [(String, [UInt8])]()
        for cut in 0..<min(seed.count, headerEnd + 1) { out.append(("truncated at \(cut)", Array(seed[0..<cut]))) }
        for _ in 0..<4 where seed.count > headerEnd + 1 {
            let cut = headerEnd + 1 + random.int(below: seed.count - headerEnd - 1)
            out.append(("truncated at \(cut)", Array(seed[0..<cut])))
        }
        func position(_ limit: Int) -> Int {
            // Three quarters of the mutations hit the header, where the parsing is.
            random.uniform() < 0.75 ? random.int(below: max(1, min(limit, headerEnd))) : random.int(below: max(1, limit))
        }
        for _ in 0..<randomCases {
            var bytes = seed
            switch random.int(below: 6) {
            case 0, 1:
                let i = position(bytes.count)
                let mask = UInt8(1 << random.int(below: 8))
                bytes[i] ^= mask
                out.append(("bit flip at \(i) (^\(mask))", bytes))
            case 2:
                let i = position(bytes.count)
                let value = UInt8(random.int(below: 256))
                bytes[i] = value
                out.append(("byte \(value) at \(i)", bytes))
            case 3:
                let i = position(bytes.count + 1)
                let token = Array(tokens[random.int(below: tokens.count)].utf8)
                bytes.insert(contentsOf: token, at: i)
                out.append(("inserted '\(String(decoding: token, as: UTF8.self))' at \(i)", bytes))
            case 4:
                let i = position(bytes.count + 1)
                let inserted = (0..<(1 + random.int(below: 4))).map { _ in UInt8(random.int(below: 256)) }
                bytes.insert(contentsOf: inserted, at: i)
                out.append(("inserted bytes \(inserted) at \(i)", bytes))
            default:
                guard !bytes.isEmpty else { continue }
                let i = position(bytes.count)
                let n = min(bytes.count - i, 1 + random.int(below: 3))
                bytes.removeSubrange(i..<(i + n))
                out.append(("deleted \(n) at \(i)", bytes))
            }
        }
        return out
    }

    // MARK: .npy

    /// What the reference decoder makes of a `.npy` file.
    private enum NPYReference {
        case refused
        /// Something the reference does not decide (a string with escapes): any outcome but a crash is accepted.
        case undecided
        case accepted(shape: [Int], values: [Double], overflowsFloat: Bool)
    }

    /// A `.npy` decoder written from the format's specification, for 1-D and 2-D C-order float arrays. It
    /// shares nothing with the reader: its own header grammar (Python 3's spelling of the literals a header
    /// holds), its own size arithmetic and its own element decoding.
    private func referenceNPY(_ file: [UInt8]) -> NPYReference {
        guard file.count >= 10, Array(file[0..<6]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59],
              (1...3).contains(file[6]), file[7] == 0 else { return .refused }
        let version = Int(file[6])
        let lengthSize = version == 1 ? 2 : 4
        guard file.count >= 8 + lengthSize else { return .refused }
        var headerLength = 0
        for k in 0..<lengthSize { headerLength |= Int(file[8 + k]) << (8 * k) }
        let start = 8 + lengthSize
        guard headerLength <= 10_000, start + headerLength <= file.count else { return .refused }
        let scalars: [Unicode.Scalar]
        if version < 3 {
            scalars = file[start..<(start + headerLength)].map { Unicode.Scalar($0) }
        } else {
            guard let text = String(validating: file[start..<(start + headerLength)], as: UTF8.self) else { return .refused }
            scalars = Array(text.unicodeScalars)
        }

        // The header grammar: a dict of string keys whose values are strings, booleans or tuples of integers.
        enum Value { case string(String), boolean(Bool), integers([Int]), other }
        var i = 0
        func skipSpace() { while i < scalars.count, [" ", "\t", "\n", "\r"].contains(scalars[i]) { i += 1 } }
        func at(_ c: Unicode.Scalar) -> Bool { skipSpace(); return i < scalars.count && scalars[i] == c }
        var undecided = false
        func string() -> String? {
            guard i < scalars.count, scalars[i] == "'" || scalars[i] == "\"" else { return nil }
            let quote = scalars[i]
            var text = String.UnicodeScalarView()
            i += 1
            while i < scalars.count, scalars[i] != quote {
                if scalars[i] == "\\" { undecided = true }
                if scalars[i] == "\n" || scalars[i] == "\r" { return nil }
                text.append(scalars[i])
                i += 1
            }
            guard i < scalars.count else { return nil }
            i += 1
            return String(text)
        }
        func integer() -> Int? {
            var digits = ""
            let negative = i < scalars.count && scalars[i] == "-"
            if negative { i += 1 }
            while i < scalars.count, ("0"..."9").contains(scalars[i]) { digits.unicodeScalars.append(scalars[i]); i += 1 }
            guard !digits.isEmpty, digits.first != "0" || digits.allSatisfy({ $0 == "0" }) else { return nil }
            if version < 3, i < scalars.count, scalars[i] == "L" { i += 1 }
            guard i < scalars.count, ![".", "e", "E", "_", "x", "o", "b", "j"].contains(scalars[i]) else { return nil }
            return Int(digits).map { negative ? -$0 : $0 }
        }
        func value() -> Value? {
            skipSpace()
            guard i < scalars.count else { return nil }
            if scalars[i] == "'" || scalars[i] == "\"" { return string().map(Value.string) }
            for (word, b) in [("True", true), ("False", false)] where String(String.UnicodeScalarView(scalars[i...].prefix(word.count))) == word {
                i += word.count
                return .boolean(b)
            }
            guard scalars[i] == "(" else { return .other }
            i += 1
            var items = [Int]()
            var sawComma = false
            while !at(")") {
                guard let n = integer() else { return .other }
                items.append(n)
                if at(",") { i += 1; sawComma = true } else { guard at(")") else { return nil }; break }
            }
            i += 1
            // `(3)` is the integer 3, not a tuple.
            return items.count == 1 && !sawComma ? .other : .integers(items)
        }
        guard at("{") else { return .refused }
        i += 1
        var entries = [String: Value]()
        while !at("}") {
            skipSpace()
            guard let key = string(), entries[key] == nil, at(":") else { return undecided ? .undecided : .refused }
            i += 1
            guard let v = value() else { return .refused }
            if case .other = v { return undecided ? .undecided : .refused }
            entries[key] = v
            if at(",") { i += 1 } else { guard at("}") else { return undecided ? .undecided : .refused }; break }
        }
        i += 1
        skipSpace()
        guard i == scalars.count else { return undecided ? .undecided : .refused }
        if undecided { return .undecided }
        guard entries.count == 3, case .string(let descr)? = entries["descr"], case .boolean(false)? = entries["fortran_order"],
              case .integers(let shape)? = entries["shape"], (1...2).contains(shape.count), shape.allSatisfy({ $0 >= 0 }) else {
            return .refused
        }
        let sizes = ["f2": 2, "f4": 4, "f8": 8]
        guard let order = descr.first, order == "<" || order == ">", let size = sizes[String(descr.dropFirst())] else { return .refused }
        // Sizes in floating point: any product that is not exactly the data size refuses the file.
        let needed = shape.reduce(Double(size)) { $0 * Double($1) }
        let dataStart = start + headerLength
        guard needed == Double(file.count - dataStart) else { return .refused }
        var values = [Double]()
        var overflowsFloat = false
        var p = dataStart
        while p < file.count {
            var bits: UInt64 = 0
            for k in 0..<size {
                let byte = UInt64(file[p + (order == "<" ? size - 1 - k : k)])
                bits = bits << 8 | byte
            }
            let v: Double
            switch size {
            case 2: v = halfValue(UInt16(bits))
            case 4: v = Double(Float(bitPattern: UInt32(bits)))
            default: v = Double(bitPattern: bits)
            }
            if v.isFinite && abs(v) > Double(Float.greatestFiniteMagnitude) && Float(v).isInfinite { overflowsFloat = true }
            values.append(v)
            p += size
        }
        return .accepted(shape: shape, values: values, overflowsFloat: overflowsFloat)
    }

    /// Seed files: every stored type and byte order, every version, odd shapes, and special values.
    private func npySeeds(_ random: inout SeededRandom) -> [[UInt8]] {
        let specs: [(descr: String, shape: [Int], version: Int, specials: [Double])] = [
            ("<f4", [3, 4], 1, []), (">f4", [2, 3], 1, [-0.0]), ("<f2", [5], 2, []), (">f2", [2, 2], 3, [.infinity]),
            ("<f8", [2, 3], 1, [.nan, -.infinity]), (">f8", [3, 1], 2, [1e300]), ("<f4", [0, 5], 1, []), ("<f8", [4], 3, [-Double.leastNormalMagnitude / 4]),
        ]
        return specs.map { spec in
            let count = spec.shape.reduce(1, *)
            var values = (0..<count).map { _ in Double(random.int(below: 4097) - 2048) / 4 }
            for (k, special) in spec.specials.enumerated() where k < count { values[(k * 5) % count] = special }
            var payload = Data()
            let big = spec.descr.first == ">"
            func append<T: FixedWidthInteger>(_ bits: T) {
                withUnsafeBytes(of: big ? bits.bigEndian : bits.littleEndian) { payload.append(contentsOf: $0) }
            }
            for v in values {
                switch spec.descr.dropFirst() {
                case "f2": append(v.isInfinite ? (v > 0 ? UInt16(0x7C00) : 0xFC00) : halfBits(exactly: v))
                case "f4": append(Float(v).bitPattern)
                default: append(v.bitPattern)
                }
            }
            let shape = spec.shape.count == 1 ? "(\(spec.shape[0]),)" : "(\(spec.shape[0]), \(spec.shape[1]))"
            return Array(npyFileBytes(header: "{'descr': '\(spec.descr)', 'fortran_order': False, 'shape': \(shape), }",
                                      payload: payload, version: spec.version))
        }
    }

    /// Headers written from scratch: huge, negative and malformed shapes, odd dtypes, Fortran order, with
    /// payloads that fit the shape or not.
    private func npyCraftedCases(_ random: inout SeededRandom) -> [(name: String, bytes: [UInt8])] {
        let shapes = ["(100000000, 8)", "(4611686018427387904, 4)", "(9223372036854775807,)", "(3037000500, 3037000500)",
                      "(0, 4611686018427387904)", "(-1, 3)", "(2, -8)", "(050, 8)", "(2, 3, 4)", "()", "(3)", "[3, 2]",
                      "(2.0, 3)", "(2, 3)", "(6,)", "('2', 3)", "(True, 3)", "(99999999999999999999,)", "(2,,)", "(,)"]
        let dtypes = ["'<i8'", "'|b1'", "'>f2'", "'<c8'", "'<U5'", "'|O'", "'<f16'", "'=f4'", "'f4'", "'<f4'", "'>f8'",
                      "'<f2'", "[('a', '<f4')]", "u'<f4'", "'\u{00e9}f4'", "''", "4", "None"]
        var out = [(String, [UInt8])]()
        for shape in shapes {
            for dtype in dtypes {
                let fortran = random.int(below: 8) == 0 ? "True" : "False"
                let header = "{'descr': \(dtype), 'fortran_order': \(fortran), 'shape': \(shape), }"
                let payloadSize = [0, 8, 24, 48, 96][random.int(below: 5)]
                let version = 1 + random.int(below: 3)
                out.append(("header \(header) + \(payloadSize) bytes (v\(version))",
                            Array(npyFileBytes(header: header, payload: Data(count: payloadSize), version: version))))
            }
        }
        // Spellings of a shape whose payload fits it: only the spelling decides (`02` is refused, `00` is not).
        for shape in ["(02, 3)", "(2, 03)", "(00, 3)", "(-0, 3)", "(0_2, 3)", "(2L, 3L)", "(+2, 3)", "( 2 ,\t3 , )", "(2,3)", "(6,)", "(6)", "(06,)"] {
            for descr in ["<f2", ">f2", "<f4", ">f4", "<f8", ">f8"] {
                let zeros = shape.contains("00") || shape.contains("-0")
                let count = zeros ? 0 : 6
                let size = Int(String(descr.last!))!
                let version = 1 + random.int(below: 3)
                let header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
                out.append(("header \(header) (v\(version))",
                            Array(npyFileBytes(header: header, payload: Data((0..<(count * size)).map { UInt8(truncatingIfNeeded: $0 * 37) }), version: version))))
            }
        }
        return out
    }

    /// Header length fields pointing anywhere, past the end included.
    private func npyLengthCases(_ seeds: [[UInt8]], _ random: inout SeededRandom) -> [(name: String, bytes: [UInt8])] {
        var out = [(String, [UInt8])]()
        for seed in seeds {
            let lengthSize = seed[6] == 1 ? 2 : 4
            for _ in 0..<25 {
                var bytes = seed
                let length: UInt64 = [UInt64(random.int(below: seed.count + 64)), UInt64(seed.count), 0xFFFF, 0xFFFF_FFFF,
                                      UInt64(random.int(below: 1 << 20))][random.int(below: 5)]
                for k in 0..<lengthSize { bytes[8 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(k))) }
                out.append(("header length \(length)", bytes))
            }
        }
        return out
    }

    func testNPYMutations() throws {
        var random = SeededRandom(seed: 2024)
        let seeds = npySeeds(&random)
        var cases = [(name: String, bytes: [UInt8])]()
        let tokens = ["0", "00", "7", "-", "L", ",", " ", "\n", "'", "\"", "(", ")", "{", "}", ":", "True", "None", "\\",
                      "99999999999999999999", "'extra': 1, ", "'shape': (1,), ", "\u{00e9}", "\0"]
        for (k, seed) in seeds.enumerated() {
            let headerEnd = seed.count - (seed.count % 64 == 0 ? 0 : seed.count % 64)  // the padded header ends on 64
            cases += mutations(of: seed, headerEnd: min(headerEnd, seed.count), tokens: tokens, randomCases: 300, random: &random)
                .map { ("seed \(k): \($0.name)", $0.bytes) }
            // Changed values: the data must be read as it now is, NaN and Inf patterns included.
            for _ in 0..<60 where seed.count > headerEnd {
                var bytes = seed
                let i = headerEnd + random.int(below: seed.count - headerEnd)
                bytes[i] = random.int(below: 2) == 0 ? bytes[i] ^ UInt8(1 << random.int(below: 8)) : [0x7F, 0xFF, 0x80, 0x7C, 0xFC][random.int(below: 5)]
                cases.append(("seed \(k): data byte \(i) set to \(bytes[i])", bytes))
            }
        }
        cases += npyCraftedCases(&random)
        cases += npyLengthCases(seeds, &random)
        cases += seeds.enumerated().map { ("seed \($0.offset) unchanged", $0.element) }

        let folder = TemporaryFolder()
        var tally = Tally()
        let started = Date()
        for (index, testCase) in cases.enumerated() {
            let name = "case\(index).npy"
            let reference = referenceNPY(testCase.bytes)
            let data = Data(testCase.bytes)
            let label = "\(name) (\(testCase.name))"
            for precision in ["float32", "float64"] {
                let result: Result<(rows: Int, columns: Int, values: [Double]), Error>
                if precision == "float32" {
                    result = Result { let m = try NPYFile.decode(data, file: name, as: Float.self); return (m.rows, m.columns, m.elements.map(Double.init)) }
                } else {
                    result = Result { let m = try NPYFile.decode(data, file: name, as: Double.self); return (m.rows, m.columns, m.elements) }
                }
                switch (result, reference) {
                case (.success(let m), .accepted(let shape, let values, let overflows)):
                    tally.accepted += 1
                    let expectedShape = shape.count == 2 ? [shape[0], shape[1]] : [1, shape[0]]
                    XCTAssertEqual([m.rows, m.columns], expectedShape, label)
                    XCTAssertFalse(precision == "float32" && overflows, "\(label): a float64 beyond float32's range was read as Inf")
                    let expected = precision == "float32" ? values.map { Double(Float($0)) } : values
                    XCTAssertEqual(m.values.count, expected.count, label)
                    if let k = zip(m.values, expected).enumerated().first(where: { !same($0.element.0, $0.element.1) })?.offset {
                        XCTFail("\(label): element \(k) is \(m.values[k]), the file holds \(expected[k])")
                    }
                case (.success, .undecided):
                    tally.undecided += 1
                case (.success(let m), .refused):
                    XCTFail("\(label): read as \(precision) (\(m.rows) × \(m.columns)), but the reference refuses it")
                case (.failure(let error), .accepted(_, _, let overflows)):
                    tally.refused += 1
                    // The one refusal of a well-formed file: a float64 that float32 cannot hold.
                    let expectedKind: FileError.Kind? = precision == "float32" && overflows ? .invalidValue : nil
                    if let expectedKind {
                        checkRefusal(error, file: name, kinds: [expectedKind], label)
                    } else {
                        XCTFail("\(label): refused as \(precision), but the reference reads it: \(error)")
                    }
                case (.failure(let error), _):
                    tally.refused += 1
                    checkRefusal(error, file: name, kinds: [.malformed, .unsupported, .tooLarge], label)
                }
            }

            // One case in four also goes through a real file: the whole read, the header and blocks of rows
            // must agree with the in-memory decoding.
            if index % 4 == 0 {
                let url = folder.file(name)
                try data.write(to: url)
                let inMemory = Result { try NPYFile.decode(data, file: url.path, as: Double.self) }
                let fromFile = Result { try NPYFile.read(url, as: Double.self) }
                switch (inMemory, fromFile) {
                case (.success(let a), .success(let b)):
                    XCTAssertEqual(a.elements.map(\.bitPattern), b.elements.map(\.bitPattern), label)
                    XCTAssertEqual(try NPYFile.readHeader(url).matrixShape().rows, a.rows, label)
                    if a.rows > 1 {
                        let half = try NPYFile.readRows(url, 1..<a.rows, as: Double.self)
                        XCTAssertEqual(half.elements.map(\.bitPattern), Array(a.elements[a.columns...]).map(\.bitPattern), label)
                    }
                case (.failure(let a as FileError), .failure(let b as FileError)):
                    XCTAssertEqual(a.kind, b.kind, label)
                    XCTAssertEqual(a.problem, b.problem, label)
                    checkRefusal(b, file: url.path, kinds: [.malformed, .unsupported, .tooLarge, .invalidValue], label)
                    if let header = try? NPYFile.readHeader(url) {
                        // Only the values can be at fault once the header has passed.
                        XCTAssertEqual(b.kind, .invalidValue, "\(label): header \(header) passed, but \(b)")
                    }
                default:
                    XCTFail("\(label): the file gives \(fromFile), the bytes \(inMemory)")
                }
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("npy fuzz: \(cases.count) cases, \(tally.accepted) reads and \(tally.refused) refusals over both precisions, \(tally.undecided) undecided, \(String(format: "%.2f", seconds)) s")
        XCTAssertGreaterThan(cases.count, 2_500)
        XCTAssertLessThan(Double(tally.undecided), Double(tally.total) * 0.03, "the reference should decide nearly every case")
    }

    // MARK: safetensors

    /// What the reference decoder makes of a safetensors file: each tensor as its dtype, shape and values.
    private enum SafetensorsReference {
        case refused
        case accepted(tensors: [String: (dtype: String, shape: [Int], values: [Double])], metadata: [String: String])
    }

    /// A safetensors decoder written from the format's description, with Foundation's JSON parser for the
    /// header: tensors must tile the data section exactly, have a known dtype of this package (F16, BF16,
    /// F32, F64) and at most two dimensions.
    private func referenceSafetensors(_ file: [UInt8]) -> SafetensorsReference {
        guard file.count >= 8 else { return .refused }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(file[k]) << (8 * UInt64(k)) }
        guard length <= 100_000_000, 8 + Int(length) <= file.count else { return .refused }
        let header = Data(file[8..<(8 + Int(length))])
        guard header.first == UInt8(ascii: "{"),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return .refused }
        let sizes = ["F16": 2, "BF16": 2, "F32": 4, "F64": 8]
        var metadata = [String: String]()
        var entries = [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)]()
        func integers(_ value: Any?) -> [Int]? {
            guard let items = value as? [Any] else { return nil }
            let numbers = items.compactMap { $0 as? NSNumber }
            guard numbers.count == items.count else { return nil }
            // Integers only: JSON's 16.0 is refused, as is true.
            guard numbers.allSatisfy({ String(describing: $0) == String($0.int64Value) && $0.int64Value >= 0 }) else { return nil }
            return numbers.map { Int($0.int64Value) }
        }
        for (key, value) in object {
            if key == "__metadata__" {
                if value is NSNull { continue }
                guard let fields = value as? [String: Any] else { return .refused }
                for (k, v) in fields {
                    guard let s = v as? String else { return .refused }
                    metadata[k] = s
                }
                continue
            }
            guard let fields = value as? [String: Any], fields.count == 3, let dtype = fields["dtype"] as? String,
                  let shape = integers(fields["shape"]), let offsets = integers(fields["data_offsets"]), offsets.count == 2,
                  offsets[0] <= offsets[1], let size = sizes[dtype], shape.count <= 2 else { return .refused }
            guard shape.reduce(Double(size), { $0 * Double($1) }) == Double(offsets[1] - offsets[0]) else { return .refused }
            entries.append((key, dtype, shape, offsets[0], offsets[1]))
        }
        let dataStart = 8 + Int(length)
        var covered = 0
        for e in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
            guard e.begin == covered else { return .refused }
            covered = e.end
        }
        guard covered == file.count - dataStart else { return .refused }
        var tensors = [String: (dtype: String, shape: [Int], values: [Double])]()
        for e in entries {
            var values = [Double]()
            let size = sizes[e.dtype]!
            var p = dataStart + e.begin
            while p < dataStart + e.end {
                var bits: UInt64 = 0
                for k in (0..<size).reversed() { bits = bits << 8 | UInt64(file[p + k]) }
                switch e.dtype {
                case "F16": values.append(halfValue(UInt16(bits)))
                case "BF16": values.append(Double(Float(bitPattern: UInt32(bits) << 16)))
                case "F32": values.append(Double(Float(bitPattern: UInt32(bits))))
                default: values.append(Double(bitPattern: bits))
                }
                p += size
            }
            tensors[e.name] = (e.dtype, e.shape, values)
        }
        return .accepted(tensors: tensors, metadata: metadata)
    }

    private func safetensorsSeeds(_ random: inout SeededRandom) throws -> [[UInt8]] {
        let model = SafetensorsFile(
            tensors: ["w": random.normalMatrix(3, 4), "b": random.normalMatrix(1, 4), "empty": Matrix(rows: 0, columns: 2)],
            doubleTensors: ["p": Matrix(rows: 2, columns: 2, elements: [1, -2, .nan, 1e300])],
            metadata: ["format": "sue-model", "note": "Grüße \"quoted\"\n"])
        let small = SafetensorsFile(tensors: ["x": Matrix(rows: 1, columns: 1, elements: [.infinity])])
        var handMade = Array(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"g":{"dtype":"BF16","shape":[1,1],"data_offsets":[4,6]},"s":{"dtype":"F32","shape":[],"data_offsets":[6,10]},"__metadata__":null}"#.utf8)
        handMade += [UInt8](repeating: 0x20, count: (8 - handMade.count % 8) % 8)
        var third = [UInt8]()
        withUnsafeBytes(of: UInt64(handMade.count).littleEndian) { third += $0 }
        third += handMade + [0x00, 0x3C, 0x00, 0xC0, 0xC0, 0x3F, 0, 0, 0x80, 0x3E]
        return [Array(try model.encode()), Array(try small.encode()), third]
    }

    func testSafetensorsMutations() throws {
        var random = SeededRandom(seed: 77)
        let seeds = try safetensorsSeeds(&random)
        let tokens = ["0", "00", "1", "-", ",", " ", "\"", "{", "}", "[", "]", ":", "null", "true", "1.5", "\\u0041", "\\",
                      "\"x\":1,", "\"F64\"", "\"I64\"", "\"BOOL\"", "\"F8_E5M2\"", "[4611686018427387904,4]", "99999999999999999999999"]
        var cases = [(name: String, bytes: [UInt8])]()
        for (k, seed) in seeds.enumerated() {
            let headerEnd = 8 + seed[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            cases += mutations(of: seed, headerEnd: headerEnd, tokens: tokens, randomCases: 400, random: &random)
                .map { ("seed \(k): \($0.name)", $0.bytes) }
            for _ in 0..<30 {
                var bytes = seed
                let length: UInt64 = [UInt64(random.int(below: seed.count + 16)), UInt64(seed.count), 100_000_001, .max,
                                      UInt64(headerEnd - 8 + 1)][random.int(below: 5)]
                for b in 0..<8 { bytes[b] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(b))) }
                cases.append(("seed \(k): header length \(length)", bytes))
            }
            // Odd dtypes and huge shapes written over the seed's own.
            let text = String(decoding: seed[8..<headerEnd], as: UTF8.self)
            for (from, to) in [("\"F32\"", "\"I64\""), ("\"F32\"", "\"BOOL\""), ("\"F32\"", "\"F8_E4M3\""), ("\"F32\"", "\"F99\""),
                               ("\"F32\"", "\"f32\""), ("\"F64\"", "\"F32\""), ("\"F16\"", "\"BF16\""), ("[3,4]", "[4611686018427387904,4]"),
                               ("[3,4]", "[1,3,4]"), ("[3,4]", "[4,3]"), ("[2]", "[1,2]"), ("[2,2]", "[-2,-2]"), ("[0,2]", "[0]"),
                               ("[1,1]", "[9223372036854775807,9223372036854775807]")] where text.contains(from) {
                var header = Array(text.replacingOccurrences(of: from, with: to).utf8)
                header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
                var bytes = [UInt8]()
                withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
                cases.append(("seed \(k): \(from) → \(to)", bytes + header + Array(seed[headerEnd...])))
            }
            // Changed values: the data must be read as it now is, NaN and Inf patterns included.
            for _ in 0..<80 where seed.count > headerEnd {
                var bytes = seed
                let i = headerEnd + random.int(below: seed.count - headerEnd)
                bytes[i] = random.int(below: 2) == 0 ? bytes[i] ^ UInt8(1 << random.int(below: 8)) : [0x7F, 0xFF, 0x80, 0x7C, 0xFC][random.int(below: 5)]
                cases.append(("seed \(k): data byte \(i) set to \(bytes[i])", bytes))
            }
            cases.append(("seed \(k) unchanged", seed))
        }

        var tally = Tally()
        let started = Date()
        for (index, testCase) in cases.enumerated() {
            let name = "case\(index).safetensors"
            let label = "\(name) (\(testCase.name))"
            let result = Result { try SafetensorsFile.decode(Data(testCase.bytes), file: name) }
            switch (result, referenceSafetensors(testCase.bytes)) {
            case (.success(let file), .accepted(let tensors, let metadata)):
                tally.accepted += 1
                XCTAssertEqual(file.metadata, metadata, label)
                XCTAssertEqual(Set(file.names), Set(tensors.keys), label)
                for (tensorName, expected) in tensors {
                    let rows = expected.shape.count == 2 ? expected.shape[0] : 1
                    let columns = expected.shape.last ?? 1
                    let found: (rows: Int, columns: Int, values: [Double])?
                    if expected.dtype == "F64" {
                        found = file.doubleTensors[tensorName].map { ($0.rows, $0.columns, $0.elements) }
                    } else {
                        found = file.tensors[tensorName].map { ($0.rows, $0.columns, $0.elements.map(Double.init)) }
                    }
                    guard let found else { XCTFail("\(label): tensor \(tensorName) in the wrong precision"); continue }
                    XCTAssertEqual([found.rows, found.columns], [rows, columns], label)
                    if found.values.count != expected.values.count || zip(found.values, expected.values).contains(where: { !same($0, $1) }) {
                        XCTFail("\(label): tensor \(tensorName) is \(found.values), the file holds \(expected.values)")
                    }
                }
            case (.success, .refused):
                XCTFail("\(label): read, but the reference refuses it")
            case (.failure(let error), _):
                tally.refused += 1
                checkRefusal(error, file: name, kinds: [.malformed, .unsupported, .tooLarge], label)
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("safetensors fuzz: \(cases.count) cases, \(tally.accepted) reads, \(tally.refused) refusals, \(String(format: "%.2f", seconds)) s")
        XCTAssertGreaterThan(cases.count, 1_200)
    }

    // MARK: pairs CSV

    /// The pairs CSV as its documentation states it, decoded independently: UTF-8, an optional byte-order
    /// mark, `\n` or `\r\n` line ends, the header `x,y` (any case, spaces around fields), then one pair of
    /// decimal integers per line within range, blank lines only at the end, no row with two partners.
    private func referencePairs(_ bytes: [UInt8], xRows: Int, yRows: Int) -> [PairsFile.Pair]? {
        guard var text = String(validating: bytes, as: UTF8.self) else { return nil }
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        func fields(_ line: String) -> [String] {
            line.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let header = lines.first, fields(header).map({ $0.lowercased() }) == ["x", "y"] else { return nil }
        var pairs = [PairsFile.Pair]()
        var partnerOfX = [Int: Int](), partnerOfY = [Int: Int]()
        for line in lines.dropFirst() {
            let f = fields(line)
            guard f.count == 2 else { return nil }
            func index(_ s: String, below limit: Int) -> Int? {
                let digits = s.first == "+" || s.first == "-" ? s.dropFirst() : Substring(s)
                guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }), let n = Int(s),
                      n >= 0, n < limit else { return nil }
                return n
            }
            guard let x = index(f[0], below: xRows), let y = index(f[1], below: yRows),
                  partnerOfX[x, default: y] == y, partnerOfY[y, default: x] == x else { return nil }
            partnerOfX[x] = y
            partnerOfY[y] = x
            pairs.append(PairsFile.Pair(x: x, y: y))
        }
        return pairs
    }

    func testPairsMutations() {
        var random = SeededRandom(seed: 5)
        let seeds = ["x,y\n0,4\n9,0\n3,3\n9,0\n", "\u{FEFF}X , Y\r\n 1 , 2 \r\n3,4\r\n\r\n", "x,y\n" + (0..<10).map { "\($0),\(9 - $0)\n" }.joined()]
        let tokens = ["\n", "\r\n", "\r", ",", "-", "+", "0", "9", "10", " ", "\t", "x", "y", "\u{FEFF}", "1.5", "\u{00A0}",
                      "99999999999999999999", "\u{0301}", "\0", "x,y\n"]
        var cases = [(name: String, bytes: [UInt8])]()
        for (k, seed) in seeds.enumerated() {
            let bytes = Array(seed.utf8)
            cases += mutations(of: bytes, headerEnd: bytes.count, tokens: tokens, randomCases: 350, random: &random)
                .map { ("seed \(k): \($0.name)", $0.bytes) }
        }
        var tally = Tally()
        let started = Date()
        for (index, testCase) in cases.enumerated() {
            let name = "case\(index).csv"
            let label = "\(name) (\(testCase.name))"
            let lineCount = testCase.bytes.filter { $0 == 0x0A }.count + 1
            let result = Result { try PairsFile.parse(Data(testCase.bytes), file: name, xRows: 10, yRows: 10) }
            let expected = referencePairs(testCase.bytes, xRows: 10, yRows: 10)
            switch result {
            case .success(let pairs):
                tally.accepted += 1
                XCTAssertEqual(pairs, expected, label)
            case .failure(let error):
                tally.refused += 1
                checkRefusal(error, file: name, kinds: [.malformed, .invalidValue], lineCount: lineCount, label)
                XCTAssertNil(expected, "\(label): refused (\(error)), but the reference reads \(expected ?? [])")
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("pairs fuzz: \(cases.count) cases, \(tally.accepted) reads, \(tally.refused) refusals, \(String(format: "%.2f", seconds)) s")
        XCTAssertGreaterThan(cases.count, 1_000)
    }
}
