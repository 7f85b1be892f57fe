import Foundation
import XCTest
import SUEFiles

final class PairsFileTests: XCTestCase {
    private func parse(_ text: String, xRows: Int = 10, yRows: Int = 5) throws -> [PairsFile.Pair] {
        try PairsFile.parse(Data(text.utf8), file: "pairs.csv", xRows: xRows, yRows: yRows)
    }

    func testRoundTrip() throws {
        let folder = TemporaryFolder()
        let pairs = [PairsFile.Pair(x: 0, y: 4), PairsFile.Pair(x: 9, y: 0), PairsFile.Pair(x: 9, y: 0)]
        try PairsFile.write(pairs, to: folder.file("p.csv"))
        XCTAssertEqual(try String(contentsOf: folder.file("p.csv"), encoding: .utf8), "x,y\n0,4\n9,0\n9,0\n")
        XCTAssertEqual(try PairsFile.read(folder.file("p.csv"), xRows: 10, yRows: 5), pairs)
        try PairsFile.write([], to: folder.file("empty.csv"))
        XCTAssertEqual(try PairsFile.read(folder.file("empty.csv"), xRows: 1, yRows: 1), [])
    }

    /// Pairs are one to one: a repeated pair is harmless, two pairs that give a row two partners are refused,
    /// naming the later line and the earlier one.
    func testContradictingPairsAreRefusedNamingBothLines() {
        XCTAssertEqual(try parse("x,y\n1,2\n1,2\n").count, 2)
        let onX = assertFileError(.invalidValue, mentions: ["line 2"], line: 3) { try parse("x,y\n1,2\n1,3\n") }
        XCTAssertNotNil(onX)
        assertFileError(.invalidValue, mentions: ["line 3"], line: 4) { try parse("x,y\n0,0\n1,2\n4,2\n") }
    }

    func testToleratedSpelling() throws {
        let expected = [PairsFile.Pair(x: 1, y: 2), PairsFile.Pair(x: 3, y: 4)]
        XCTAssertEqual(try parse("x,y\n1,2\n3,4"), expected)
        XCTAssertEqual(try parse("\u{FEFF}X , Y\r\n 1 , 2 \r\n3,4\r\n\r\n  \n"), expected)
    }

    func testMissingOrWrongHeader() {
        assertFileError(.malformed, mentions: ["pairs.csv:1:", "expected the header x,y", "found '0,1'", "header line is missing"], line: 1) {
            try parse("0,1\n2,3\n")
        }
        assertFileError(.malformed, mentions: ["expected the header x,y", "found 'y,x'"], line: 1) { try parse("y,x\n0,1\n") }
        assertFileError(.malformed, mentions: ["found ',x,y'", "index=False"], line: 1) { try parse(",x,y\n0,1,2\n") }
        assertFileError(.malformed, mentions: ["empty file"]) { try parse("") }
        assertFileError(.malformed, mentions: ["not UTF-8"]) {
            try PairsFile.parse(Data([0x78, 0x2C, 0x79, 0x0A, 0xFF, 0xFE]), file: "pairs.csv", xRows: 1, yRows: 1)
        }
    }

    func testBadLinesNameTheLine() {
        assertFileError(.malformed, mentions: ["pairs.csv:3:", "x = 'a' is not an integer"], line: 3) { try parse("x,y\n0,0\na,1\n") }
        assertFileError(.malformed, mentions: ["y = '1.5' is not an integer"], line: 2) { try parse("x,y\n0,1.5\n") }
        assertFileError(.malformed, mentions: ["y = '' is not an integer"], line: 2) { try parse("x,y\n0,\n") }
        assertFileError(.invalidValue, mentions: ["x = -1 is negative"], line: 4) { try parse("x,y\n0,0\n1,1\n-1,2\n") }
        assertFileError(.malformed, mentions: ["expected 2 columns", "found 3", "'1,2,3'"], line: 2) { try parse("x,y\n1,2,3\n") }
        assertFileError(.malformed, mentions: ["expected 2 columns", "found 1"], line: 2) { try parse("x,y\n7\n") }
        assertFileError(.malformed, mentions: ["blank line before the end"], line: 3) { try parse("x,y\n1,1\n\n2,2\n") }
    }

    func testOutOfRangeGivenRowCounts() {
        assertFileError(.invalidValue, mentions: ["pairs.csv:3:", "x = 10 is out of range", "X has 10 rows", "0…9"], line: 3) {
            try parse("x,y\n9,4\n10,0\n")
        }
        assertFileError(.invalidValue, mentions: ["y = 5 is out of range", "Y has 5 rows"], line: 2) { try parse("x,y\n0,5\n") }
        assertFileError(.invalidValue, mentions: ["Y has 0 rows"], line: 2) { try parse("x,y\n0,0\n", yRows: 0) }
    }

    /// A pairs file too large to parse in this machine's memory is refused from its size, before it is read
    /// (a sparse file: it takes no disk space).
    func testPairsFileLargerThanCanBeParsed() throws {
        let folder = TemporaryFolder()
        let url = folder.file("huge.csv")
        try Data("x,y\n".utf8).write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: ProcessInfo.processInfo.physicalMemory / 16)
        try handle.close()
        assertFileError(.tooLarge, mentions: ["pairs file"], file: url) { try PairsFile.read(url, xRows: 10, yRows: 10) }
        assertFileError(.notFound, mentions: ["no such file"], file: folder.file("absent.csv")) {
            try PairsFile.read(folder.file("absent.csv"), xRows: 1, yRows: 1)
        }
    }
}
