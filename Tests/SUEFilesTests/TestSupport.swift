import Foundation
import XCTest
import SUEFiles

/// A fresh temporary folder per test, removed afterwards.
final class TemporaryFolder {
    let url: URL
    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("SUEFilesTests-\(UUID().uuidString)", isDirectory: true)
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Asserts that `body` throws a `FileError` of `kind` whose message contains every fragment in `mentions`
/// (and the file name, when `file` is given). Returns the error for further checks.
@discardableResult
func assertFileError<T>(_ kind: FileError.Kind, mentions: [String], file: URL? = nil,
                        line expectedLine: Int? = nil,
                        _ body: () throws -> T, sourceFile: StaticString = #filePath, sourceLine: UInt = #line) -> FileError? {
    do {
        _ = try body()
        XCTFail("expected a FileError(\(kind)) mentioning \(mentions), but nothing was thrown", file: sourceFile, line: sourceLine)
        return nil
    } catch let error as FileError {
        XCTAssertEqual(error.kind, kind, "wrong kind for: \(error)", file: sourceFile, line: sourceLine)
        for fragment in mentions {
            XCTAssertTrue(error.description.contains(fragment), "'\(error)' does not mention '\(fragment)'",
                          file: sourceFile, line: sourceLine)
        }
        if let file {
            XCTAssertTrue(error.description.contains(file.lastPathComponent), "'\(error)' does not name the file",
                          file: sourceFile, line: sourceLine)
        }
        if let expectedLine { XCTAssertEqual(error.line, expectedLine, "\(error)", file: sourceFile, line: sourceLine) }
        return error
    } catch {
        XCTFail("expected a FileError, got \(type(of: error)): \(error)", file: sourceFile, line: sourceLine)
        return nil
    }
}

extension Data {
    init(hex: String) {
        var bytes = [UInt8]()
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        self.init(bytes)
    }
}

/// A `.npy` file around an arbitrary header text (version 1, 2 or 3), padded with spaces and a newline as
/// NumPy pads it, so that tests can write headers NumPy would not.
func npyFileBytes(header: String, payload: Data, version: Int = 1) -> Data {
    let prefixLength = version == 1 ? 10 : 12
    var text = header
    while (prefixLength + text.utf8.count + 1) % 64 != 0 { text += " " }
    text += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [UInt8(version), 0])
    if version == 1 {
        withUnsafeBytes(of: UInt16(text.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    } else {
        withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    }
    data.append(contentsOf: Array(text.utf8))
    data.append(payload)
    return data
}

/// The binary16 bit pattern of `v`, which must be exactly representable as a normal half or zero (the
/// tests use multiples of 1/4 up to 512 in magnitude). Written here rather than taken from `Float16`,
/// which not every platform has, and independently of the reader's decoder.
func halfBits(exactly v: Double) -> UInt16 {
    let sign: UInt16 = v.sign == .minus ? 0x8000 : 0
    let magnitude = abs(v)
    if magnitude == 0 { return sign }
    let exponent = Int(magnitude.exponent)              // magnitude = 1.f × 2^exponent
    let fraction = (magnitude / Double(sign: .plus, exponent: exponent, significand: 1) - 1) * 1024
    precondition(fraction == fraction.rounded() && (-14...15).contains(exponent), "\(v) is not an exact normal half")
    return sign | UInt16(exponent + 15) << 10 | UInt16(fraction)
}

/// The value of a binary16 bit pattern, by the definition (an independent reference for the reader's decoder).
func halfValue(_ bits: UInt16) -> Double {
    let sign = bits & 0x8000 != 0 ? -1.0 : 1.0
    let exponent = Int((bits >> 10) & 0x1F), fraction = Double(bits & 0x3FF)
    switch exponent {
    case 0: return sign * fraction * 0x1p-24
    case 31: return fraction == 0 ? sign * .infinity : .nan
    default: return sign * (1 + fraction / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
    }
}
