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
        assertFileError(.io, mentions: ["missing"]) {
            try AtomicFile.write(Data("x".utf8), to: folder.file("missing/sub/out.npy"))
        }
        // A directory in the way of the destination: the rename fails and the directory survives.
        let blocker = folder.file("taken")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
        assertFileError(.io, mentions: ["taken"]) { try AtomicFile.write(Data("x".utf8), to: blocker) }
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

    /// Nothing the tool did not create is replaced: a symbolic link is written through to its target (atomically
    /// there), a FIFO and a device are written in place, and a folder is refused.
    func testLinksDevicesAndPipesAreWrittenThroughNotReplaced() throws {
        let folder = TemporaryFolder()
        let target = folder.file("target.npy"), link = folder.file("link.npy")
        try Data("old".utf8).write(to: target)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        try AtomicFile.write(Data("new".utf8), to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), target.path, "still a link")
        XCTAssertEqual(try Data(contentsOf: target), Data("new".utf8))
        // A dangling link: its target is created.
        let dangling = folder.file("dangling.npy")
        try FileManager.default.createSymbolicLink(atPath: dangling.path, withDestinationPath: "made.npy")
        try AtomicFile.write(Data("made".utf8), to: dangling)
        XCTAssertEqual(try Data(contentsOf: folder.file("made.npy")), Data("made".utf8))

        // /dev/null stays a character device (the write goes into it).
        try AtomicFile.write(Data("discarded".utf8), to: URL(fileURLWithPath: "/dev/null"))
        var information = stat()
        XCTAssertEqual(stat("/dev/null", &information), 0)
        XCTAssertEqual(information.st_mode & S_IFMT, S_IFCHR)

        // A FIFO: a reader on the other end receives the bytes; the FIFO stays a FIFO.
        let fifo = folder.file("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let reader = Process()
        reader.executableURL = URL(fileURLWithPath: "/bin/cat")
        reader.arguments = [fifo.path]
        let output = Pipe()
        reader.standardOutput = output
        try reader.run()
        try AtomicFile.write(Data("through the pipe".utf8), to: fifo)
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        reader.waitUntilExit()
        XCTAssertEqual(bytes, Data("through the pipe".utf8))
        XCTAssertEqual(lstat(fifo.path, &information), 0)
        XCTAssertEqual(information.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try leftovers(in: folder), [])
    }

    func testSameFileSeesThroughLinksAndPathSpellings() throws {
        let folder = TemporaryFolder()
        let a = folder.file("a.npy")
        try Data("x".utf8).write(to: a)
        let link = folder.file("b.npy")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: a)
        XCTAssertTrue(AtomicFile.sameFile(a, link))
        XCTAssertTrue(AtomicFile.sameFile(a, URL(fileURLWithPath: folder.url.path + "/./a.npy")))
        XCTAssertFalse(AtomicFile.sameFile(a, folder.file("missing.npy")))
    }
}
