import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

/// End-to-end checks of the `sue` executable's handling of bad command lines and bad inputs: each case
/// must exit non-zero with one clear line on stderr. The executable is built by `swift test` alongside
/// the tests (SwiftPM builds every product); if it is missing the tests are skipped, not failed.
final class CommandLineTests: XCTestCase {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    private var executable: URL {
        get throws {
            // On Linux the test runner lives in the products folder; on macOS it is inside an .xctest bundle.
            var folder = Bundle.main.bundleURL
            for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
                folder = bundle.bundleURL.deletingLastPathComponent()
            }
            let url = folder.appendingPathComponent("sue")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw XCTSkip("the sue executable was not found at \(url.path)")
            }
            return url
        }
    }

    private func sue(_ arguments: [String], in folder: URL? = nil) throws -> Outcome {
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so that a full pipe cannot block the child.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }

    private func assertFails(_ arguments: [String], in folder: URL? = nil, status: Int32, mentions: [String],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try sue(arguments, in: folder)
        XCTAssertEqual(r.status, status, "sue \(arguments.joined(separator: " ")): \(r.stderr)", file: file, line: line)
        for fragment in mentions {
            XCTAssertTrue(r.stderr.contains(fragment), "stderr '\(r.stderr)' does not mention '\(fragment)'", file: file, line: line)
        }
        XCTAssertEqual(r.stdout, "", "errors go to stderr only", file: file, line: line)
    }

    // MARK: Help

    func testHelpListsEveryCommandAndOption() throws {
        let overview = try sue(["--help"])
        XCTAssertEqual(overview.status, 0)
        for command in ["fit", "embed", "evaluate", "search", "demo", "experiment", "inspect"] {
            XCTAssertTrue(overview.stdout.contains("  \(command) "), "overview lacks \(command)")
        }
        let fit = try sue(["fit", "--help"])
        XCTAssertEqual(fit.status, 0)
        for option in ["--x", "--y", "--pairs", "--out", "--se", "--dims", "--cca", "--knn", "--seed", "--threads", "--quiet"] {
            XCTAssertTrue(fit.stdout.contains(option + " "), "fit --help lacks \(option)")
        }
        XCTAssertTrue(fit.stdout.contains("(default: 8)"), "defaults are shown")
        let search = try sue(["search", "-h"])
        for option in ["--query-x", "--query-y", "--index-x", "--index-y", "-k, --k", "--json"] {
            XCTAssertTrue(search.stdout.contains(option), "search --help lacks \(option)")
        }
        let experiment = try sue(["help", "experiment"])
        for option in ["--pairs", "--test", "--seeds", "--methods", "sue-parametric"] {
            XCTAssertTrue(experiment.stdout.contains(option), "experiment --help lacks \(option)")
        }
    }

    // MARK: Command-line mistakes: exit 64, one line, a hint

    func testCommandLineMistakes() throws {
        try assertFails(["fti"], status: 64, mentions: ["unknown command 'fti'", "did you mean 'fit'"])
        try assertFails(["fit", "--pair", "p.csv"], status: 64, mentions: ["unknown option '--pair'", "did you mean '--pairs'", "sue fit --help"])
        try assertFails(["fit", "--x"], status: 64, mentions: ["--x needs a value"])
        try assertFails(["fit", "--x", "--y", "b.npy"], status: 64, mentions: ["--x needs a value"])
        try assertFails(["fit", "--threads", "abc"], status: 64, mentions: ["--threads expects a positive integer, found 'abc'"])
        try assertFails(["fit", "--threads", "0"], status: 64, mentions: ["--threads expects a positive integer, found '0'"])
        try assertFails(["fit", "--cca=2.5"], status: 64, mentions: ["--cca expects a positive integer, found '2.5'"])
        try assertFails(["fit", "--se", "magic"], status: 64, mentions: ["--se expects one of numeric, parametric, none"])
        try assertFails(["fit", "--x", "a.npy"], status: 64, mentions: ["missing required option --y"])
        try assertFails(["fit", "stray"], status: 64, mentions: ["unexpected argument 'stray'"])
        try assertFails(["experiment", "--x", "a", "--y", "b", "--methods", "sue,magic"], status: 64, mentions: ["unknown item 'magic'"])
        try assertFails(["search", "--model", "m", "--query-x", "q", "--query-y", "q"], status: 64, mentions: ["not both"])
        try assertFails(["search", "--model", "m", "--query-y", "q", "--index-y", "i"], status: 64, mentions: ["give --index-x"])
        try assertFails(["inspect"], status: 64, mentions: ["no files given"])
    }

    // MARK: Bad inputs: exit 1, the file and the row or line named

    func testBadInputsOfFit() throws {
        let folder = TemporaryFolder()
        var random = SeededRandom(seed: 5)
        try NPYFile.write(random.normalMatrix(40, 6) as Matrix<Float>, to: folder.file("x.npy"))
        try NPYFile.write(random.normalMatrix(30, 4) as Matrix<Double>, to: folder.file("y.npy"))
        var withNaN: Matrix<Float> = random.normalMatrix(30, 4)
        withNaN[17, 2] = .nan
        try NPYFile.write(withNaN, to: folder.file("nan.npy"))
        try NPYFile.write(Matrix<Float>(rows: 0, columns: 4), to: folder.file("empty.npy"))
        try Data("x,y\n".appending((0..<12).map { "\($0),\($0)\n" }.joined()).utf8).write(to: folder.file("pairs.csv"))
        try Data("x,y\n0,0\n1,30\n".utf8).write(to: folder.file("range.csv"))
        try Data("x,y\n0,0\n1,1\n2,2\n".utf8).write(to: folder.file("few.csv"))

        func fit(_ x: String, _ y: String, _ pairs: String, _ extra: [String] = []) -> [String] {
            ["fit", "--x", x, "--y", y, "--pairs", pairs, "--out", "model.safetensors", "--knn", "5", "--quiet"] + extra
        }
        let dir = folder.url
        try assertFails(fit("missing.npy", "y.npy", "pairs.csv"), in: dir, status: 1, mentions: ["missing.npy: no such file"])
        try assertFails(fit("x.npy", "nan.npy", "pairs.csv"), in: dir, status: 1, mentions: ["nan.npy", "row 17 contains NaN"])
        try assertFails(fit("x.npy", "empty.npy", "pairs.csv"), in: dir, status: 1, mentions: ["empty.npy", "empty matrix (0 × 4)"])
        try assertFails(fit("x.npy", "y.npy", "range.csv"), in: dir, status: 1, mentions: ["range.csv:3:", "y = 30 is out of range"])
        try assertFails(fit("x.npy", "y.npy", "few.csv"), in: dir, status: 1, mentions: ["3 distinct pairs", "8 CCA components"])
        try assertFails(fit("x.npy", "y.npy", "pairs.csv", ["--knn", "30"]), in: dir, status: 64, mentions: ["--knn 30"])
        try assertFails(fit("pairs.csv", "y.npy", "pairs.csv"), in: dir, status: 1, mentions: ["pairs.csv: not a .npy file"])

        // Valid inputs: until the method is connected the command says so with status 2; once it is, it must
        // succeed and leave a loadable model behind.
        let valid = try sue(fit("x.npy", "y.npy", "pairs.csv", ["--cca", "4", "--dims", "3"]), in: dir)
        if valid.status == 2 {
            XCTAssertTrue(valid.stderr.contains("inputs are valid"), valid.stderr)
            XCTAssertTrue(valid.stderr.contains("not implemented yet"), valid.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("model.safetensors").path))
        } else {
            XCTAssertEqual(valid.status, 0, valid.stderr)
            XCTAssertNoThrow(try SafetensorsFile.read(folder.file("model.safetensors")))
        }
    }

    func testInspect() throws {
        let folder = TemporaryFolder()
        try NPYFile.write(Matrix<Float>(rows: 2, columns: 3, elements: [3, 4, 0, 0, 0, 1]), to: folder.file("a.npy"))
        let r = try sue(["inspect", folder.file("a.npy").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("float32, shape (2, 3) → 2 rows × 3 columns"), r.stdout)
        XCTAssertTrue(r.stdout.contains("row norms 1 … 5"), r.stdout)
        try assertFails(["inspect", folder.file("nothing.npy").path], status: 1, mentions: ["nothing.npy: no such file"])
    }
}
