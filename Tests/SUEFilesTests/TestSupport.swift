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
