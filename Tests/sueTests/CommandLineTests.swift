import Foundation
import XCTest
import LinearAlgebra
import SUE
import SUEFiles

/// End-to-end checks of the `sue` executable's handling of bad command lines and bad inputs: each case
/// must exit non-zero with one clear line on stderr. The executable is built by `swift test` alongside
/// the tests (SwiftPM builds every product); if it is missing the tests are skipped, not failed.
final class CommandLineTests: XCTestCase {
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
        /// Standard output as bytes (for binary output such as `--out -`).
        let stdoutBytes: Data
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
                       stderr: String(decoding: errData, as: UTF8.self), stdoutBytes: outData)
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

    /// A temporary folder holding x.npy and y.npy (synthetic, row i ↔ row i) and pairs.csv with the first pairs.
    private func syntheticInputs(rows: Int, dx: Int, dy: Int, pairs: Int, seed: UInt64) throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        let (x, y) = makeSyntheticPairs(rows: rows, dx: dx, dy: dy, seed: seed)
        try NPYFile.write(x, to: folder.file("x.npy"))
        try NPYFile.write(y, to: folder.file("y.npy"))
        try Data("x,y\n".appending((0..<pairs).map { "\($0),\($0)\n" }.joined()).utf8).write(to: folder.file("pairs.csv"))
        return folder
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
        let flowing = fit.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")   // undo the wrapping
        for shown in ["(default: auto)", "(default: the method's own", "(default: 10)", "(default: 8)", "(default: 100)",
                      "(default: on)", "(default: 0)"] {
            XCTAssertTrue(flowing.contains(shown), "fit --help does not show \(shown)")
        }
        for option in ["--method", "--mmd"] { XCTAssertTrue(fit.stdout.contains(option + " "), "fit --help lacks \(option)") }
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
        try assertFails(["fit", "--cca=2.5"], status: 64, mentions: ["--cca expects a positive integer or 'off', found '2.5'"])
        try assertFails(["fit", "--se", "magic"], status: 64, mentions: ["--se expects one of numeric, parametric, pca, autoencoder, none"])
        try assertFails(["fit", "--x", "a.npy"], status: 64, mentions: ["missing required option --y"])
        try assertFails(["fit", "stray"], status: 64, mentions: ["unexpected argument 'stray'"])
        try assertFails(["experiment", "--x", "a", "--y", "b", "--methods", "sue,magic"], status: 64, mentions: ["unknown item 'magic'"])
        try assertFails(["search", "--model", "m", "--query-x", "q", "--query-y", "q"], status: 64, mentions: ["not both"])
        try assertFails(["search", "--model", "m", "--query-y", "q", "--index-y", "i"], status: 64, mentions: ["give --index-x"])
        try assertFails(["inspect"], status: 64, mentions: ["no files given"])
    }

    // MARK: Bad inputs: exit 1, the file and the row or line named

    /// Outputs never damage what the tool did not create: an output equal to an input is refused (and the input
    /// survives); `--out -` writes the .npy to standard output and the summary to stderr; /dev/null stays a device.
    func testOutputsThatAreInputsStandardOutputAndDevices() throws {
        let folder = TemporaryFolder()
        var random = SeededRandom(seed: 6)
        try NPYFile.write(random.normalMatrix(60, 5) as Matrix<Float>, to: folder.file("x.npy"))
        try NPYFile.write(random.normalMatrix(60, 4) as Matrix<Float>, to: folder.file("y.npy"))
        try Data("x,y\n".appending((0..<12).map { "\($0),\($0)\n" }.joined()).utf8).write(to: folder.file("pairs.csv"))
        let dir = folder.url
        let original = try Data(contentsOf: folder.file("x.npy"))
        try assertFails(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "x.npy", "--method", "ridge"],
                        in: dir, status: 1, mentions: ["x.npy"])
        XCTAssertEqual(try Data(contentsOf: folder.file("x.npy")), original, "the input is untouched")
        let fitted = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m.safetensors",
                              "--method", "ridge", "--quiet"], in: dir)
        XCTAssertEqual(fitted.status, 0, fitted.stderr)
        try assertFails(["embed", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", "m.safetensors"],
                        in: dir, status: 1, mentions: ["m.safetensors"])

        let piped = try sue(["embed", "--model", "m.safetensors", "--modality", "y", "--in", "y.npy", "--out", "-", "--quiet"], in: dir)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.stderr, "", "--quiet silences the summary too")
        try piped.stdoutBytes.write(to: folder.file("fromStdout.npy"))
        let direct = try sue(["embed", "--model", "m.safetensors", "--modality", "y", "--in", "y.npy", "--out", "e.npy", "--quiet"], in: dir)
        XCTAssertEqual(direct.status, 0, direct.stderr)
        XCTAssertEqual(try NPYFile.read(folder.file("fromStdout.npy"), as: Float.self), try NPYFile.read(folder.file("e.npy"), as: Float.self))

        let discarded = try sue(["embed", "--model", "m.safetensors", "--modality", "y", "--in", "y.npy", "--out", "/dev/null"], in: dir)
        XCTAssertEqual(discarded.status, 0, discarded.stderr)
        var information = stat()
        XCTAssertEqual(stat("/dev/null", &information), 0)
        XCTAssertEqual(information.st_mode & S_IFMT, S_IFCHR)
    }

    /// Large files are embedded and searched in blocks: any block size, and shards embedded separately, give the
    /// same bytes as one run over the whole file.
    func testEmbeddingInShardsAndSearchingInBlocksGiveTheSameBytes() throws {
        let folder = try syntheticInputs(rows: 400, dx: 12, dy: 9, pairs: 30, seed: 4)
        let dir = folder.url
        for method in ["ridge", "similarity-profiles", "sue"] {
            let fitted = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m.safetensors",
                                  "--method", method, "--quiet"], in: dir)
            XCTAssertEqual(fitted.status, 0, fitted.stderr)
            func embed(_ extra: [String], _ out: String) throws -> Matrix<Float> {
                let r = try sue(["embed", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", out, "--quiet"] + extra, in: dir)
                XCTAssertEqual(r.status, 0, r.stderr)
                return try NPYFile.read(folder.file(out), as: Float.self)
            }
            let whole = try embed([], "whole.npy")
            let first = try embed(["--rows", "0:137", "--batch-rows", "16"], "a.npy")
            let second = try embed(["--rows", "137:", "--batch-rows", "50"], "b.npy")
            XCTAssertEqual(first.rows + second.rows, 400)
            XCTAssertEqual(first.elements + second.elements, whole.elements, "\(method): shards differ from one run")

            func search(_ extra: [String]) throws -> String {
                let r = try sue(["search", "--model", "m.safetensors", "--query-y", "y.npy", "--index-x", "x.npy", "-k", "5",
                                 "--quiet"] + extra, in: dir)
                XCTAssertEqual(r.status, 0, r.stderr)
                return r.stdout
            }
            XCTAssertEqual(try search(["--batch-rows", "7"]), try search([]), "\(method): blocks change the results")
        }
        try assertFails(["embed", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", "c.npy", "--rows", "10:900"],
                        in: dir, status: 1, mentions: ["x.npy", "400"])
        try assertFails(["embed", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", "c.npy", "--rows", "9:3"],
                        in: dir, status: 64, mentions: ["--rows"])
    }

    func testIndexThenApproximateSearch() throws {
        let folder = try syntheticInputs(rows: 500, dx: 12, dy: 9, pairs: 40, seed: 6)
        let dir = folder.url
        for (name, method) in [("m.safetensors", "ridge"), ("other.safetensors", "cca")] {
            let fitted = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", name,
                                  "--method", method, "--quiet"], in: dir)
            XCTAssertEqual(fitted.status, 0, fitted.stderr)
        }
        let built = try sue(["index", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", "x.index",
                             "--cells", "6", "--quiet"], in: dir)
        XCTAssertEqual(built.status, 0, built.stderr)
        XCTAssertTrue(built.stdout.contains("500 rows") && built.stdout.contains("6 cells"), built.stdout)
        try FileManager.default.copyItem(at: folder.file("x.index"), to: folder.file("x.index.safetensors"))
        let inspected = try sue(["inspect", "x.index.safetensors"], in: dir)
        XCTAssertEqual(inspected.status, 0, inspected.stderr)
        XCTAssertTrue(inspected.stdout.contains("a sue index of 500 X rows") && inspected.stdout.contains("in 6 cells"), inspected.stdout)
        func rows(_ arguments: [String]) throws -> [[Int]] {
            let r = try sue(["search", "--model", "m.safetensors", "--query-y", "y.npy", "-k", "5", "--json", "--quiet"] + arguments, in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try r.stdout.split(separator: "\n").map { line in
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return try XCTUnwrap(object["rows"] as? [Int])
            }
        }
        // Every cell probed: the exact search's rows. Fewer probes: most of them.
        let exact = try rows(["--index-x", "x.npy"])
        XCTAssertEqual(try rows(["--index", "x.index", "--probes", "6"]), exact)
        let approximate = try rows(["--index", "x.index", "--probes", "2"])
        let found = zip(approximate, exact).map { Set($0).intersection($1).count }.reduce(0, +)
        XCTAssertGreaterThan(found, 500 * 5 / 2, "two of six cells should hold over half of the exact top 5")
        // An index of a shard numbers its rows as the file does.
        let shard = try sue(["index", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", "s.index",
                             "--rows", "100:300", "--cells", "1", "--quiet"], in: dir)
        XCTAssertEqual(shard.status, 0, shard.stderr)
        XCTAssertEqual(try rows(["--index", "s.index"]), try rows(["--index-x", "x.npy", "--rows", "100:300"]))

        try assertFails(["search", "--model", "other.safetensors", "--query-y", "y.npy", "--index", "x.index"],
                        in: dir, status: 1, mentions: ["x.index", "another model"])
        try assertFails(["search", "--model", "m.safetensors", "--query-x", "x.npy", "--index", "x.index"],
                        in: dir, status: 64, mentions: ["--query-y"])
        try assertFails(["search", "--model", "m.safetensors", "--query-y", "y.npy", "--index", "x.index", "--probes", "7"],
                        in: dir, status: 1, mentions: ["x.index", "6 cells"])
        try assertFails(["search", "--model", "m.safetensors", "--query-y", "y.npy", "--index", "x.index", "--index-x", "x.npy"],
                        in: dir, status: 64, mentions: ["--index-x"])
        try assertFails(["search", "--model", "m.safetensors", "--query-y", "y.npy", "--index-x", "x.npy", "--probes", "2"],
                        in: dir, status: 64, mentions: ["--probes"])
        try assertFails(["search", "--model", "m.safetensors", "--query-y", "y.npy", "--index", "m.safetensors"],
                        in: dir, status: 1, mentions: ["m.safetensors", "not a sue index"])
        try assertFails(["index", "--model", "m.safetensors", "--modality", "x", "--in", "x.npy", "--out", "c.index", "--cells", "501"],
                        in: dir, status: 1, mentions: ["x.npy", "--cells 501"])
        try assertFails(["index", "--model", "m.safetensors", "--modality", "y", "--in", "x.npy", "--out", "c.index"],
                        in: dir, status: 1, mentions: ["x.npy", "12 columns"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("c.index").path), "a refused index leaves no file")
        // A valid input whose index (9 shared columns per row) would not fit in memory: refused before any row is
        // read (a sparse file: it takes no disk space).
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        let rows = memory / (9 * 4) + 1_000
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), 12), }"
        header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
        var bytes = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count % 256), UInt8(header.utf8.count / 256)])
        bytes.append(Data(header.utf8))
        try bytes.write(to: folder.file("huge.npy"))
        let handle = try FileHandle(forWritingTo: folder.file("huge.npy"))
        try handle.truncate(atOffset: UInt64(bytes.count + rows * 12 * 4))
        try handle.close()
        try assertFails(["index", "--model", "m.safetensors", "--modality", "x", "--in", "huge.npy", "--out", "h.index"],
                        in: dir, status: 1, mentions: ["huge.npy", "needs", "this machine has", "--rows"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("h.index").path))
    }

    func testFitOnABoundedCore() throws {
        let folder = try syntheticInputs(rows: 300, dx: 8, dy: 6, pairs: 20, seed: 5)
        func fit(_ extra: [String], _ out: String) throws -> Outcome {
            let r = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", out,
                             "--method", "similarity-profiles", "--quiet"] + extra, in: folder.url)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        let sampled = try fit(["--core-rows", "120"], "a.safetensors")
        XCTAssertTrue(sampled.stdout.contains("at most 120 rows per side"), sampled.stdout)
        let whole = try fit(["--core-rows", "all"], "b.safetensors")
        XCTAssertFalse(whole.stdout.contains("core:"), whole.stdout)
        let byDefault = try fit([], "c.safetensors")
        XCTAssertFalse(byDefault.stdout.contains("core:"), "300 rows are below the default core")
        // The core changes what the profiles are measured against; the default (all 300 rows) equals "all".
        let a = try Data(contentsOf: folder.file("a.safetensors")), b = try Data(contentsOf: folder.file("b.safetensors"))
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(try Data(contentsOf: folder.file("c.safetensors")), b)
        try assertFails(["fit", "--x", "x.npy", "--y", "y.npy", "--out", "d.safetensors", "--core-rows", "1"],
                        in: folder.url, status: 64, mentions: ["--core-rows"])
        // sue experiment takes the same option: a smaller core changes what the profiles measure.
        func experiment(_ extra: [String]) throws -> String {
            let r = try sue(["experiment", "--x", "x.npy", "--y", "y.npy", "--pairs", "20", "--test", "50", "--seeds", "1",
                             "--methods", "similarity-profiles", "--json", "--quiet"] + extra, in: folder.url)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout.replacingOccurrences(of: #""fit_seconds":[0-9.]+"#, with: "", options: .regularExpression)
        }
        XCTAssertEqual(try experiment(["--core-rows", "all"]), try experiment([]))
        XCTAssertNotEqual(try experiment(["--core-rows", "100"]), try experiment([]))
    }

    func testInterruptRemovesTheTemporaryFileAndKeepsTheOldOutput() throws {
        let folder = try syntheticInputs(rows: 300, dx: 8, dy: 6, pairs: 20, seed: 6)
        var random = SeededRandom(seed: 2)
        try NPYFile.write(random.normalMatrix(60_000, 8) as Matrix<Float>, to: folder.file("many.npy"))
        XCTAssertEqual(try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m.safetensors",
                                "--method", "ridge", "--quiet"], in: folder.url).status, 0)
        let old = Data("an older output".utf8)
        try old.write(to: folder.file("out.npy"))
        for signal in [SIGINT, SIGTERM] {
            let process = Process()
            process.executableURL = try executable
            process.arguments = ["embed", "--model", "m.safetensors", "--modality", "x", "--in", "many.npy", "--out", "out.npy",
                                 "--batch-rows", "1", "--quiet"]
            process.currentDirectoryURL = folder.url
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait for the write in progress (its temporary file), then interrupt it.
            let deadline = Date().addingTimeInterval(20)
            func temporaries() throws -> [String] {
                try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.contains(".tmp-") }
            }
            while try temporaries().isEmpty && process.isRunning && Date() < deadline { usleep(2_000) }
            XCTAssertTrue(process.isRunning, "the embedding finished before it could be interrupted")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 128 + signal)
            XCTAssertEqual(try temporaries(), [], "signal \(signal) left a temporary file")
            XCTAssertEqual(try Data(contentsOf: folder.file("out.npy")), old, "signal \(signal) damaged the old output")
        }
    }

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
            ["fit", "--x", x, "--y", y, "--pairs", pairs, "--out", "model.safetensors", "--quiet"] + extra
        }
        let dir = folder.url
        try assertFails(fit("missing.npy", "y.npy", "pairs.csv"), in: dir, status: 1, mentions: ["missing.npy: no such file"])
        try assertFails(fit("x.npy", "nan.npy", "pairs.csv"), in: dir, status: 1, mentions: ["nan.npy", "row 17 contains NaN"])
        try assertFails(fit("x.npy", "empty.npy", "pairs.csv"), in: dir, status: 1, mentions: ["empty.npy", "empty matrix (0 × 4)"])
        try assertFails(fit("x.npy", "y.npy", "range.csv"), in: dir, status: 1, mentions: ["range.csv:3:", "y = 30 is out of range"])
        try assertFails(fit("x.npy", "y.npy", "few.csv", ["--method", "sue"]), in: dir, status: 1, mentions: ["3 distinct pairs", "8 CCA components"])
        try assertFails(fit("x.npy", "y.npy", "pairs.csv", ["--method", "sue", "--knn", "30"]), in: dir, status: 64, mentions: ["--knn 30"])
        try assertFails(fit("pairs.csv", "y.npy", "pairs.csv"), in: dir, status: 1, mentions: ["pairs.csv: not a .npy file"])

        // Valid inputs: the command succeeds and leaves a sue model behind that records the input widths.
        let valid = try sue(fit("x.npy", "y.npy", "pairs.csv"), in: dir)
        XCTAssertEqual(valid.status, 0, valid.stderr)
        XCTAssertTrue(valid.stdout.contains("method:"), valid.stdout)
        let model = try SafetensorsFile.read(folder.file("model.safetensors"))
        XCTAssertEqual(model.metadata["format"], "sue-model")
        XCTAssertEqual(model.metadata["x_columns"], "6")
        XCTAssertEqual(model.metadata["y_columns"], "4")
        XCTAssertNotNil(model.metadata["kind"])
        let report = try JSONValue.parse(try XCTUnwrap(model.metadata["report"]), source: "report")
        XCTAssertEqual(report["pairs"]?.intValue, 12)
        XCTAssertNotNil(report["method"]?.stringValue)

        try assertFails(fit("x.npy", "y.npy", "pairs.csv", ["--method", "magic"]), in: dir, status: 64,
                        mentions: ["'magic'", "ridge"])

        // Without --pairs: auto fits the pair-free similarity profiles; a method that needs pairs says so.
        let unpaired = ["fit", "--x", "x.npy", "--y", "y.npy", "--out", "free.safetensors", "--quiet"]
        let free = try sue(unpaired, in: dir)
        XCTAssertEqual(free.status, 0, free.stderr)
        XCTAssertTrue(free.stdout.contains("similarity-profiles"), free.stdout)
        let freeModel = try SafetensorsFile.read(folder.file("free.safetensors"))
        XCTAssertEqual(freeModel.metadata["kind"], "similarity-profiles")
        let freeReport = try JSONValue.parse(try XCTUnwrap(freeModel.metadata["report"]), source: "report")
        XCTAssertEqual(freeReport["pairs"]?.intValue, 0)
        try assertFails(unpaired + ["--method", "sue"], in: dir, status: 1, mentions: ["no pairs file given", "8 CCA components"])
        try assertFails(unpaired + ["--method", "ridge"], in: dir, status: 1, mentions: ["at least 2 known pairs"])
    }

    /// Columns in mixed units, and an encoder's dead dimension (values near 10⁻³³): `auto` standardises, the file
    /// is kind `column-scaled`, and `sue embed` gives the bytes of the library's model (the probe `embed` checks a
    /// model with must not overflow on the dead column's divisor).
    func testColumnsInMixedUnitsThroughFitAndEmbed() throws {
        let folder = TemporaryFolder()
        var (x, y) = makeSyntheticPairs(rows: 600, seed: 8)
        for i in 0..<x.rows { x[i, 3] = Float(i % 7) * 1e-33 }
        for j in 0..<y.columns {
            let factor = Float(pow(10, -3 + 6 * Double(j) / Double(y.columns - 1)))
            for i in 0..<y.rows { y[i, j] *= factor }
        }
        try NPYFile.write(x, to: folder.file("x.npy"))
        try NPYFile.write(y, to: folder.file("y.npy"))
        let pairs = (0..<80).map { KnownPair(x: $0 * 7, y: $0 * 7) }
        try Data("x,y\n".appending(pairs.map { "\($0.x),\($0.y)\n" }.joined()).utf8).write(to: folder.file("pairs.csv"))
        let fitted = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m.safetensors", "--seed", "2"],
                             in: folder.url)
        XCTAssertEqual(fitted.status, 0, fitted.stderr)
        XCTAssertTrue(fitted.stdout.contains("every candidate fitted on standardised columns"), fitted.stdout)
        let oneThread = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m1.safetensors", "--seed", "2",
                                 "--threads", "1", "--quiet"], in: folder.url)
        XCTAssertEqual(oneThread.status, 0, oneThread.stderr)
        XCTAssertEqual(try Data(contentsOf: folder.file("m1.safetensors")), try Data(contentsOf: folder.file("m.safetensors")),
                       "the same bytes at 1 and 2 threads")
        let inspected = try sue(["inspect", "m.safetensors"], in: folder.url)
        XCTAssertTrue(inspected.stdout.contains("kind = column-scaled"), inspected.stdout)
        let library = try Automatic().fit(WeaklyPairedData(x: x, y: y, pairs: pairs), context: FitContext(seed: 2))
        for (side, rows) in [("x", x), ("y", y)] {
            let r = try sue(["embed", "--model", "m.safetensors", "--modality", side, "--in", side + ".npy", "--out", "e.npy", "--quiet"],
                            in: folder.url)
            XCTAssertEqual(r.status, 0, r.stderr)
            let embedded = try NPYFile.read(folder.file("e.npy"), as: Float.self)
            XCTAssertEqual(embedded, side == "x" ? try library.embedX(rows) : try library.embedY(rows), side)
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

    // MARK: The workflow of the README: fit → embed → evaluate → search, and experiment

    /// A synthetic problem: a latent variable seen through two different linear maps plus a little noise,
    /// row-aligned; the first `train` rows are the training files, the last 40 the test files. Widths are
    /// 6 (X) and 5 (Y) unless `wide`.
    private func writeWorkflowFiles(_ folder: TemporaryFolder, train: Int = 120, wide: Bool = false) throws {
        var random = SeededRandom(seed: 21)
        let (latentWidth, dx, dy) = wide ? (8, 24, 20) : (3, 6, 5)
        let latent: Matrix<Float> = random.normalMatrix(train + 40, latentWidth)
        let a: Matrix<Float> = random.normalMatrix(latentWidth, dx), b: Matrix<Float> = random.normalMatrix(latentWidth, dy)
        var x = Matrix.multiply(latent, .none, a, .none), y = Matrix.multiply(latent, .none, b, .none)
        let noiseX: Matrix<Float> = random.normalMatrix(x.rows, dx), noiseY: Matrix<Float> = random.normalMatrix(y.rows, dy)
        for i in 0..<x.elements.count { x.elements[i] += 0.1 * noiseX.elements[i] }
        for i in 0..<y.elements.count { y.elements[i] += 0.1 * noiseY.elements[i] }
        try NPYFile.write(x.rows(0..<train), to: folder.file("x.npy"))
        try NPYFile.write(y.rows(0..<train), to: folder.file("y.npy"))
        try NPYFile.write(x.rows(train..<(train + 40)), to: folder.file("tx.npy"))
        try NPYFile.write(y.rows(train..<(train + 40)), to: folder.file("ty.npy"))
        try NPYFile.write(x, to: folder.file("allx.npy"))
        try NPYFile.write(y, to: folder.file("ally.npy"))
        try Data("x,y\n".appending((0..<15).map { "\($0),\($0)\n" }.joined()).utf8).write(to: folder.file("pairs.csv"))
    }

    /// The workflow files plus `m.safetensors` fitted on them.
    private func fittedWorkflowFolder() throws -> TemporaryFolder {
        let folder = TemporaryFolder()
        try writeWorkflowFiles(folder)
        let fit = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m.safetensors",
                           "--quiet"], in: folder.url)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        return folder
    }

    func testWorkflowFitEmbedEvaluateSearch() throws {
        let folder = try fittedWorkflowFolder()
        let dir = folder.url

        let embed = try sue(["embed", "--model", "m.safetensors", "--modality", "y", "--in", "ty.npy", "--out", "sy.npy"], in: dir)
        XCTAssertEqual(embed.status, 0, embed.stderr)
        let shared = try NPYFile.read(folder.file("sy.npy"), as: Float.self)
        let model = try SafetensorsFile.read(folder.file("m.safetensors"))
        XCTAssertEqual(shared.rows, 40)
        XCTAssertEqual(String(shared.columns), model.metadata["dimension"])

        let evaluate = try sue(["evaluate", "--model", "m.safetensors", "--x", "tx.npy", "--y", "ty.npy", "--json"], in: dir)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let scores = try JSONValue.parse(evaluate.stdout, source: "evaluate")
        for direction in ["x_to_y", "y_to_x"] {
            for k in ["r1", "r5", "r10"] {
                let v = try XCTUnwrap(scores[direction]?[k]?.doubleValue, "\(direction).\(k) in \(evaluate.stdout)")
                XCTAssertTrue((0...100).contains(v))
            }
            let r1 = scores[direction]!["r1"]!.doubleValue!, r10 = scores[direction]!["r10"]!.doubleValue!
            XCTAssertLessThanOrEqual(r1, r10)
            // The two views are linear images of one latent variable: any working method beats chance (25 %) by far.
            XCTAssertGreaterThan(r10, 60, "\(direction): \(evaluate.stdout)")
        }
        let table = try sue(["evaluate", "--model", "m.safetensors", "--x", "tx.npy", "--y", "ty.npy"], in: dir)
        XCTAssertTrue(table.stdout.contains("X→Y") && table.stdout.contains("R@10"), table.stdout)

        let search = try sue(["search", "--model", "m.safetensors", "--query-y", "ty.npy", "--index-x", "tx.npy", "-k", "3", "--json"], in: dir)
        XCTAssertEqual(search.status, 0, search.stderr)
        let lines = search.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 40)
        for (i, line) in lines.enumerated() {
            let result = try JSONValue.parse(String(line), source: "search")
            XCTAssertEqual(result["query"]?.intValue, i)
            let rows = try XCTUnwrap(result["rows"]?.arrayValue).compactMap(\.intValue)
            let scores = try XCTUnwrap(result["scores"]?.arrayValue).compactMap(\.doubleValue)
            XCTAssertEqual(rows.count, 3)
            XCTAssertEqual(Set(rows).count, 3)
            XCTAssertTrue(rows.allSatisfy { (0..<40).contains($0) })
            XCTAssertEqual(scores, scores.sorted(by: >), "best first")
            XCTAssertTrue(scores.allSatisfy { $0 >= -1.0001 && $0 <= 1.0001 }, "cosines")
        }
        let mirror = try sue(["search", "--model", "m.safetensors", "--query-x", "tx.npy", "--index-y", "ty.npy", "-k", "2"], in: dir)
        XCTAssertEqual(mirror.status, 0, mirror.stderr)
        XCTAssertTrue(mirror.stdout.hasPrefix("query 0: "), mirror.stdout)
    }

    func testBadInputsAfterFitting() throws {
        let folder = try fittedWorkflowFolder()
        let dir = folder.url
        var random = SeededRandom(seed: 2)
        try NPYFile.write(random.normalMatrix(5, 7) as Matrix<Float>, to: folder.file("wide.npy"))
        var withInf: Matrix<Float> = random.normalMatrix(5, 5)
        withInf[3, 0] = -.infinity
        try NPYFile.write(withInf, to: folder.file("inf.npy"))

        // The input's width must match the model's side.
        try assertFails(["embed", "--model", "m.safetensors", "--modality", "y", "--in", "wide.npy", "--out", "o.npy"], in: dir,
                        status: 1, mentions: ["wide.npy: has 7 columns", "expects 5"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("o.npy").path), "no output after a failure")
        try assertFails(["embed", "--model", "m.safetensors", "--modality", "y", "--in", "inf.npy", "--out", "o.npy"], in: dir,
                        status: 1, mentions: ["inf.npy", "row 3 contains -Inf"])
        try assertFails(["evaluate", "--model", "m.safetensors", "--x", "tx.npy", "--y", "y.npy"], in: dir,
                        status: 1, mentions: ["y.npy: has 120 rows", "row-aligned"])
        try assertFails(["embed", "--model", "nothing.safetensors", "--modality", "x", "--in", "tx.npy", "--out", "o.npy"], in: dir,
                        status: 1, mentions: ["nothing.safetensors: no such file"])
        try assertFails(["search", "--model", "m.safetensors", "--query-y", "ty.npy", "--index-x", "tx.npy", "-k", "41"], in: dir,
                        status: 1, mentions: ["tx.npy: has 40 rows, fewer than -k 41"])

        // A model that is not what it claims is refused with the file named.
        var model = try SafetensorsFile.read(folder.file("m.safetensors"))
        model.metadata["kind"] = "mystery"
        try model.write(to: folder.file("kind.safetensors"))
        try assertFails(["embed", "--model", "kind.safetensors", "--modality", "x", "--in", "tx.npy", "--out", "o.npy"], in: dir,
                        status: 1, mentions: ["kind.safetensors", "unknown model kind \"mystery\""])
        model = try SafetensorsFile.read(folder.file("m.safetensors"))
        model.metadata["version"] = "latest"
        try model.write(to: folder.file("version.safetensors"))
        try assertFails(["evaluate", "--model", "version.safetensors", "--x", "tx.npy", "--y", "ty.npy"], in: dir,
                        status: 1, mentions: ["version.safetensors", "MAJOR.MINOR.PATCH"])
        model = try SafetensorsFile.read(folder.file("m.safetensors"))
        let someTensor = try XCTUnwrap(model.names.first)
        model.tensors[someTensor] = nil
        try model.write(to: folder.file("missing.safetensors"))
        try assertFails(["embed", "--model", "missing.safetensors", "--modality", "x", "--in", "tx.npy", "--out", "o.npy"], in: dir,
                        status: 1, mentions: ["missing.safetensors", "'\(someTensor)' is missing"])
        try assertFails(["embed", "--model", "x.npy", "--modality", "x", "--in", "tx.npy", "--out", "o.npy"], in: dir,
                        status: 1, mentions: ["x.npy"])

        // Experiment and demo: impossible splits are refused before any work.
        try assertFails(["experiment", "--x", "allx.npy", "--y", "ally.npy", "--pairs", "100", "--test", "60"], in: dir,
                        status: 1, mentions: ["allx.npy: has 160 rows", "leave no unpaired rows"])
        try assertFails(["demo", "--pairs", "20,x"], in: dir, status: 64, mentions: ["--pairs expects comma-separated integers"])
    }

    func testExperimentJSONLines() throws {
        let folder = TemporaryFolder()
        try writeWorkflowFiles(folder)
        let r = try sue(["experiment", "--x", "allx.npy", "--y", "ally.npy", "--pairs", "10", "--test", "50", "--seeds", "2", "--methods", "ridge,auto,cca",
                         "--json", "--quiet"], in: folder.url)
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, r.stdout)
        for line in lines {
            let v = try JSONValue.parse(String(line), source: "experiment")
            XCTAssertNotNil(v["method"]?.stringValue)
            XCTAssertEqual(v["pairs"]?.intValue, 10)
            XCTAssertEqual(v["seeds"]?.intValue, 2)
            for direction in ["x_to_y", "y_to_x"] {
                for k in ["r1", "r5", "r10"] {
                    XCTAssertNotNil(v[direction]?[k]?.doubleValue, "\(direction).\(k)")
                    XCTAssertNotNil(v["sd"]?[direction]?[k]?.doubleValue, "sd.\(direction).\(k)")
                }
            }
            XCTAssertNotNil(v["fit_seconds"]?.doubleValue)
            // One object per split, in seed order, with the decision behind it.
            guard case .array(let splits)? = v["splits"] else { return XCTFail("no splits: \(line)") }
            XCTAssertEqual(splits.map { $0["seed"]?.intValue }, [0, 1])
            let meanOfSplits = splits.compactMap { $0["x_to_y"]?["r10"]?.doubleValue }.reduce(0, +) / 2
            XCTAssertEqual(meanOfSplits, v["x_to_y"]?["r10"]?.doubleValue ?? -1, accuracy: 0.011, "the splits make the mean")
            for split in splits {
                XCTAssertNotNil(split["x_to_y"]?["r10"]?.doubleValue)
                XCTAssertNotNil(split["y_to_x"]?["r1"]?.doubleValue)
                XCTAssertNotNil(split["fit_seconds"]?.doubleValue)
                if v["method"]?.stringValue == "auto" {
                    XCTAssertNotEqual(split["method"]?.stringValue, "auto", "auto names the method it chose")
                    XCTAssertNotEqual(split["why"]?.stringValue?.isEmpty, true)
                } else {
                    XCTAssertEqual(split["method"]?.stringValue, v["method"]?.stringValue)
                    XCTAssertEqual(split["why"]?.stringValue, "requested")
                }
            }
        }
    }

    // MARK: The SUE pipeline's options

    /// --se/--dims/--cca/--knn/--mmd configure a pipeline method, and the stored model shows it; with a method they
    /// do not apply to they are refused rather than ignored.
    func testPipelineOptionsTakeEffect() throws {
        let folder = TemporaryFolder()
        try writeWorkflowFiles(folder, wide: true)
        let dir = folder.url
        func fit(_ out: String, _ options: [String]) throws -> SafetensorsFile {
            let r = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", out, "--quiet"] + options, in: dir)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try SafetensorsFile.read(folder.file(out))
        }
        // The method's own settings when no option is given: sue is numeric SE, CCA (8 components), MMD net.
        let plain = try fit("plain.safetensors", ["--method", "sue"])
        XCTAssertEqual(plain.metadata["kind"], "sue-pipeline")
        XCTAssertEqual(plain.metadata["sue.se"], "numeric")
        XCTAssertEqual(plain.metadata["sue.se_dimensions"], "10")
        XCTAssertEqual(plain.metadata["sue.mmd"], "true")
        // --dims 6 --cca off --mmd off: the shared space is the 6-d SE itself, standardised, and no network is stored.
        let small = try fit("small.safetensors", ["--method", "sue", "--dims", "6", "--cca", "off", "--mmd", "off", "--knn", "12"])
        XCTAssertEqual(small.metadata["dimension"], "6")
        XCTAssertEqual(small.metadata["sue.se_dimensions"], "6")
        XCTAssertEqual(small.metadata["sue.cca"], "false")
        XCTAssertEqual(small.metadata["sue.mmd"], "false")
        XCTAssertEqual(small.metadata["x.nystrom.neighbors"], "12")
        XCTAssertEqual(small.tensors["x.nystrom.training_rows"]?.rows, 120)
        XCTAssertFalse(small.names.contains { $0.hasPrefix("mmd.") }, "\(small.names)")
        let report = try JSONValue.parse(try XCTUnwrap(small.metadata["report"]), source: "report")
        let config = try JSONValue.parse(try XCTUnwrap(report["configuration"]?.stringValue), source: "configuration")
        XCTAssertEqual(config["seDimensions"]?.intValue, 6)
        XCTAssertEqual(config["cca"], .bool(false))
        // --cca 3 caps the shared dimension at 3; --se pca replaces the spectral embedding.
        let pca = try fit("pca.safetensors", ["--method", "sue", "--se", "pca", "--cca", "3", "--mmd", "off"])
        XCTAssertEqual(pca.metadata["sue.se"], "pca")
        XCTAssertEqual(pca.metadata["dimension"], "3")
        XCTAssertNotNil(pca.doubleTensors["y.pca.components"])
        // The mmd method starts from its own settings (PCA, no CCA) and --cca 4 turns CCA on.
        let mmd = try fit("mmd.safetensors", ["--method", "mmd", "--cca", "4", "--dims", "5"])
        XCTAssertEqual(mmd.metadata["sue.se"], "pca")
        XCTAssertEqual(mmd.metadata["sue.cca"], "true")
        XCTAssertEqual(mmd.metadata["dimension"], "4")
        // The stored model embeds new rows.
        let embed = try sue(["embed", "--model", "small.safetensors", "--modality", "x", "--in", "tx.npy", "--out", "e.npy"], in: dir)
        XCTAssertEqual(embed.status, 0, embed.stderr)
        XCTAssertEqual(try NPYFile.read(folder.file("e.npy"), as: Float.self).columns, 6)

        for (method, option) in [("auto", ["--dims", "6"]), ("ridge", ["--knn", "5"]), ("self-learning", ["--se", "numeric"]),
                                 ("cca", ["--cca", "4"])] {
            let arguments = ["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "never.safetensors",
                             "--method", method] + option
            try assertFails(arguments, in: dir, status: 64,
                            mentions: ["\(option[0]) applies to the sue pipeline methods", "the method is \(method)"])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("never.safetensors").path))
    }

    /// --seed S runs seeds S, S+1, …: the mean over seeds 0 and 1 is the mean of the runs with --seed 0 and
    /// --seed 1 alone, and --seed 1 differs from the default seed 0.
    func testExperimentSeedsStartAtSeed() throws {
        let folder = TemporaryFolder()
        try writeWorkflowFiles(folder)
        /// Recall@1/5/10 X→Y then Y→X, in percent (means over the seeds run).
        func recall(_ options: [String]) throws -> [Double] {
            let r = try sue(["experiment", "--x", "allx.npy", "--y", "ally.npy", "--pairs", "10", "--test", "50", "--methods", "ridge",
                             "--json", "--quiet"] + options, in: folder.url)
            XCTAssertEqual(r.status, 0, r.stderr)
            let v = try JSONValue.parse(r.stdout, source: "experiment")
            return try ["x_to_y", "y_to_x"].flatMap { d in try ["r1", "r5", "r10"].map { try XCTUnwrap(v[d]?[$0]?.doubleValue) } }
        }
        let both = try recall(["--seeds", "2"]), zero = try recall(["--seeds", "1"]), one = try recall(["--seeds", "1", "--seed", "1"])
        XCTAssertEqual(try recall(["--seeds", "1", "--seed", "0"]), zero)
        XCTAssertNotEqual(zero, one, "seed 1 should draw another split")
        for k in 0..<6 { XCTAssertEqual(both[k], (zero[k] + one[k]) / 2, accuracy: 0.006, "figure \(k)") }
    }

    /// --drop sets how many unpaired rows lose their counterpart: 0.1 is the default, another fraction gives the
    /// methods other unpaired rows (even ridge, which centres each side on all of its rows), and a fraction that
    /// would drop every row is refused. (`AlignmentSplit`'s own tests check the rows it keeps.)
    func testExperimentDropsTheGivenFractionOfUnpairedRows() throws {
        let folder = TemporaryFolder()
        try writeWorkflowFiles(folder)
        func recall(_ method: String, _ options: [String]) throws -> String {
            let r = try sue(["experiment", "--x", "allx.npy", "--y", "ally.npy", "--pairs", "10", "--test", "50", "--seeds", "1",
                             "--methods", method, "--json", "--quiet"] + options, in: folder.url)
            XCTAssertEqual(r.status, 0, r.stderr)
            let v = try JSONValue.parse(r.stdout, source: "experiment")
            return try ["x_to_y", "y_to_x"].map { d in try ["r1", "r5", "r10"].map { String(try XCTUnwrap(v[d]?[$0]?.doubleValue)) }
                .joined(separator: " ") }.joined(separator: " ")
        }
        XCTAssertEqual(try recall("similarity-profiles", ["--drop", "0.1"]), try recall("similarity-profiles", []))
        XCTAssertNotEqual(try recall("similarity-profiles", ["--drop", "0.6"]), try recall("similarity-profiles", []))
        try assertFails(["experiment", "--x", "allx.npy", "--y", "ally.npy", "--drop", "1"], in: folder.url, status: 64,
                        mentions: ["--drop", "below 1"])
    }

    // MARK: Same seed → same bytes, whatever --threads is

    func testSameSeedGivesIdenticalFilesWhateverTheThreadCount() throws {
        // Large enough that the GEMMs and the search blocks are split between threads.
        let folder = TemporaryFolder()
        try writeWorkflowFiles(folder, train: 700, wide: true)
        let dir = folder.url
        var outputs = [[Data]]()
        for threads in ["1", "2"] {
            let fit = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--out", "m\(threads).safetensors",
                               "--method", "sue", "--knn", "10", "--cca", "4", "--seed", "7", "--threads", threads, "--quiet"], in: dir)
            XCTAssertEqual(fit.status, 0, fit.stderr)
            let embed = try sue(["embed", "--model", "m\(threads).safetensors", "--modality", "x", "--in", "allx.npy",
                                 "--out", "e\(threads).npy", "--threads", threads], in: dir)
            XCTAssertEqual(embed.status, 0, embed.stderr)
            let search = try sue(["search", "--model", "m\(threads).safetensors", "--query-x", "allx.npy", "--index-y", "ally.npy",
                                  "-k", "5", "--json", "--threads", threads], in: dir)
            XCTAssertEqual(search.status, 0, search.stderr)
            let index = try sue(["index", "--model", "m\(threads).safetensors", "--modality", "y", "--in", "ally.npy",
                                 "--out", "y\(threads).index", "--cells", "9", "--seed", "7", "--threads", threads, "--quiet"], in: dir)
            XCTAssertEqual(index.status, 0, index.stderr)
            let approximate = try sue(["search", "--model", "m\(threads).safetensors", "--query-x", "allx.npy", "--index", "y\(threads).index",
                                       "--probes", "3", "-k", "5", "--json", "--threads", threads], in: dir)
            XCTAssertEqual(approximate.status, 0, approximate.stderr)
            outputs.append([try Data(contentsOf: folder.file("m\(threads).safetensors")),
                            try Data(contentsOf: folder.file("e\(threads).npy")), Data(search.stdout.utf8),
                            try Data(contentsOf: folder.file("y\(threads).index")), Data(approximate.stdout.utf8)])
        }
        XCTAssertEqual(outputs[0][0], outputs[1][0], "model bytes differ between --threads 1 and 2")
        XCTAssertEqual(outputs[0][1], outputs[1][1], "embed output differs between --threads 1 and 2")
        XCTAssertEqual(outputs[0][2], outputs[1][2], "search results differ between --threads 1 and 2")
        XCTAssertEqual(outputs[0][3], outputs[1][3], "index bytes differ between --threads 1 and 2")
        XCTAssertEqual(outputs[0][4], outputs[1][4], "approximate search results differ between --threads 1 and 2")
    }

    func testDemoWritesPictureAndTable() throws {
        let folder = TemporaryFolder()
        let r = try sue(["demo", "--pairs", "20", "--test", "200", "--svg", "shared.svg", "--quiet"], in: folder.url)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("R@1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("shared.svg"), r.stdout)
        let svg = try String(contentsOf: folder.file("shared.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.contains("<line "), "test pairs are joined")
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    }
}
