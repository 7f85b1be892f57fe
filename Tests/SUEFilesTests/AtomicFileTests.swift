import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

final class AtomicFileTests: XCTestCase {
    struct Interrupted: Error {}

    private func leftovers(in folder: TemporaryFolder) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".tmp-") }
    }

    func testWritesAndReplaces() throws {
        let folder = TemporaryFolder()
        let url = folder.file("out.txt")
        try AtomicFile.write(Data("first".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "first")
        try AtomicFile.write(Data("second".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "second")
        XCTAssertEqual(try leftovers(in: folder), [])
    }

    func testFailureMidwayKeepsTheOldFileAndLeavesNoTemporary() throws {
        let folder = TemporaryFolder()
        let url = folder.file("model.npy")
        let good = Matrix<Float>(rows: 2, columns: 2, elements: [1, 2, 3, 4])
        try NPYFile.write(good, to: url)
        let before = try Data(contentsOf: url)

        XCTAssertThrowsError(try AtomicFile.write(to: url) { writer in
            try writer.append(Data(repeating: 0xAB, count: 100_000))  // half of a new file…
            throw Interrupted()                                         // …then the run dies
        }) { XCTAssertTrue($0 is Interrupted) }

        XCTAssertEqual(try Data(contentsOf: url), before, "the good file must be untouched")
        XCTAssertEqual(try NPYFile.read(url, as: Float.self), good)
        XCTAssertEqual(try leftovers(in: folder), [], "the partial temporary file must be removed")
    }

    func testFailureBeforeTheFirstWriteCreatesNothing() throws {
        let folder = TemporaryFolder()
        let url = folder.file("new.csv")
        XCTAssertThrowsError(try AtomicFile.write(to: url) { _ in throw Interrupted() })
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
        XCTAssertEqual(try leftovers(in: folder), [])
    }

    func testUnwritableDestinationsAreClearErrors() throws {
        let folder = TemporaryFolder()
        assertFileError(.io, mentions: ["cannot create a temporary file", "missing"]) {
            try AtomicFile.write(Data("x".utf8), to: folder.file("missing/sub/out.npy"))
        }
        // A directory in the way of the destination: the rename fails and the directory survives.
        let blocker = folder.file("taken")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
        assertFileError(.io, mentions: ["taken", "cannot replace"]) { try AtomicFile.write(Data("x".utf8), to: blocker) }
        var isDirectory: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: blocker.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        XCTAssertEqual(try leftovers(in: folder), [])
    }

    func testPermissionsOfAReplacedFileAreKept() throws {
        let folder = TemporaryFolder()
        let url = folder.file("secret.txt")
        try AtomicFile.write(Data("a".utf8), to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        try AtomicFile.write(Data("b".utf8), to: url)
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }
}
