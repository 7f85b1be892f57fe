import Foundation
import XCTest
import LinearAlgebra
import SUEFiles

/// `sue classify` end to end: each mode on separable synthetic classes with a known answer, the outputs (CSV,
/// JSON, SVG), byte-identical predictions for 1 and 2 threads, and every bad input as exit 1 naming the file and
/// line (or exit 64 for a wrong command line).
final class ClassifyCommandTests: XCTestCase {
    /// Runs the `sue` built next to the tests in `folder`: (status, stdout, stderr). Skips if it was not built.
    private func sue(_ arguments: [String], in folder: URL) throws -> (status: Int32, stdout: String, stderr: String) {
        var products = Bundle.main.bundleURL
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") { products = bundle.bundleURL.deletingLastPathComponent() }
        let tool = products.appendingPathComponent("sue")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else { throw XCTSkip("no sue executable at \(tool.path)") }
        let process = Process()
        (process.executableURL, process.arguments, process.currentDirectoryURL) = (tool, arguments + ["--quiet"], folder)
        let pipes = (out: Pipe(), err: Pipe())
        (process.standardOutput, process.standardError) = (pipes.out, pipes.err)
        try process.run()
        let out = pipes.out.fileHandleForReading.readDataToEndOfFile(), err = pipes.err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Three classes around separated centres, seen by X (10 columns) and Y (7 columns) through two random linear
    /// maps: rows 0..<240 train (the first 40 are known pairs for the shared space), rows 240..<300 test.
    private func writeClasses(_ folder: TemporaryFolder) throws {
        var random = SeededRandom(seed: 11)
        let centres: Matrix<Double> = random.normalMatrix(3, 4, std: 2)
        let mapX: Matrix<Double> = random.normalMatrix(4, 10), mapY: Matrix<Double> = random.normalMatrix(4, 7)
        let latent = Matrix<Double>(rows: 300, columns: 4) { i, j in centres[i % 3, j] + 0.3 * random.normal() }
        let x = Matrix.multiply(latent, .none, mapX, .none).converted(to: Float.self)
        let y = Matrix.multiply(latent, .none, mapY, .none).converted(to: Float.self)
        let labels = (0..<300).map { ["ham", "eggs", "spam, lovely spam"][$0 % 3] }
        func write(_ name: String, _ m: Matrix<Float>) throws { try NPYFile.write(m, to: folder.file(name)) }
        func text(_ name: String, _ lines: ArraySlice<String>) throws { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.file(name)) }
        try write("x.npy", x.rows(0..<240)); try write("y.npy", y.rows(0..<240))
        try write("tx.npy", x.rows(240..<300)); try write("ty.npy", y.rows(240..<300))
        try text("train.txt", labels[0..<240]); try text("test.txt", labels[240..<300])
        try text("pairs.csv", ["x,y"] + (0..<40).map { "\($0),\($0)" })
        // Zero-shot prototypes: the mean Y row of each class.
        let means = Matrix<Float>(rows: 3, columns: 7) { k, j in
            stride(from: k, to: 240, by: 3).reduce(Float(0)) { $0 + y[$1, j] } / 80
        }
        try write("prototypes.npy", means)
        try text("names.txt", labels[0..<3])
    }

    func testModesOutputsAndThreadCounts() throws {
        let folder = TemporaryFolder()
        try writeClasses(folder)
        let dir = folder.url
        let fit = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--method", "ridge", "--out", "m.safetensors"], in: dir)
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let modes: [(String, [String])] = [
            ("cross-domain", ["--model", "m.safetensors", "--train-x", "x.npy", "--labels-x", "train.txt", "--test-y", "ty.npy"]),
            ("zero-shot", ["--model", "m.safetensors", "--prototypes-y", "prototypes.npy", "--prototype-names", "names.txt", "--test-x", "tx.npy"]),
            ("auxiliary", ["--train-x", "x.npy", "--labels-x", "train.txt", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-x", "tx.npy"]),
            ("auxiliary, unlabelled rows", ["--train-x", "x.npy", "--labels-x", "train.txt", "--train-y", "y.npy", "--labels-y", "train.txt",
                                            "--test-x", "tx.npy", "--unlabelled-x", "x.npy", "--transported-weight", "0.2"]),
            ("knn", ["--model", "m.safetensors", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-x", "tx.npy", "--classifier", "knn"]),
            ("translated", ["--model", "m.safetensors", "--train-x", "x.npy", "--labels-x", "train.txt", "--test-y", "ty.npy",
                            "--unlabelled-y", "y.npy"]),
        ]
        for (name, arguments) in modes {
            var predictions = [Data]()
            for threads in ["1", "2"] {
                let run = try sue(["classify"] + arguments + ["--test-labels", "test.txt", "--json", "--out", "p\(threads).csv",
                                                              "--plot", "c.svg", "--seed", "4", "--threads", threads], in: dir)
                XCTAssertEqual(run.status, 0, "\(name): \(run.stderr)")
                let result = try JSONValue.parse(run.stdout, source: name)
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(result["accuracy"]?.doubleValue), 95, "\(name): \(run.stdout)")
                XCTAssertNotNil(result["macro_f1"]?.doubleValue)
                XCTAssertEqual(result["rows"]?.intValue, 60)
                XCTAssertEqual(result["classes"]?.arrayValue?.count, 3)
                if name.hasPrefix("auxiliary") {
                    XCTAssertNotNil(result["kept"]?.stringValue, run.stdout)
                    XCTAssertNotNil(result["validation"]?["transported"]?.doubleValue, run.stdout)
                }
                predictions.append(try Data(contentsOf: folder.file("p\(threads).csv")))
            }
            XCTAssertEqual(predictions[0], predictions[1], "\(name): predictions differ between --threads 1 and 2")
            let lines = String(decoding: predictions[0], as: UTF8.self).split(separator: "\n")
            XCTAssertEqual(lines.count, 61)
            XCTAssertEqual(lines.first, "row,label,score")
            XCTAssertTrue(lines.contains { $0.hasPrefix("2,\"spam, lovely spam\",") }, "labels with commas are quoted: \(lines[3])")
        }
        let svg = try String(contentsOf: folder.file("c.svg"), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("spam, lovely spam"))
        // Without --out and --test-labels the CSV goes to standard output; the readable summary names the figures.
        let plain = try sue(["classify", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-y", "ty.npy"], in: dir)
        XCTAssertTrue(plain.stdout.hasPrefix("row,label,score\n0,ham,"), plain.stdout)
        let summary = try sue(["classify", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-y", "ty.npy", "--test-labels", "test.txt"], in: dir)
        XCTAssertTrue(summary.stdout.contains("accuracy:") && summary.stdout.contains("macro-F1"), summary.stdout)
    }

    func testBadInputsNameTheFileAndLine() throws {
        let folder = TemporaryFolder()
        try writeClasses(folder)
        let dir = folder.url
        try Data("ham\neggs\n".utf8).write(to: folder.file("short.txt"))
        try Data(("ham\n\neggs\n" + String(repeating: "ham\n", count: 237)).utf8).write(to: folder.file("gap.txt"))
        try Data((String(repeating: "ham\n", count: 59) + "toast\n").utf8).write(to: folder.file("unseen.txt"))
        let _ = try sue(["fit", "--x", "x.npy", "--y", "y.npy", "--pairs", "pairs.csv", "--method", "ridge", "--out", "m.safetensors"], in: dir)
        let own = ["classify", "--train-x", "x.npy", "--labels-x"]
        let failures: [([String], Int32, [String])] = [
            (own + ["short.txt", "--test-x", "tx.npy"], 1, ["short.txt:3:", "2 labels", "x.npy has 240 rows"]),
            (own + ["gap.txt", "--test-x", "tx.npy"], 1, ["gap.txt:2: empty label"]),
            (own + ["train.txt", "--test-x", "tx.npy", "--test-labels", "unseen.txt"], 1, ["unseen.txt:60:", "'toast'"]),
            (own + ["train.txt", "--test-x", "ty.npy"], 1, ["x.npy: has 10 columns", "the test rows ty.npy expects 7"]),
            (["classify", "--model", "m.safetensors", "--train-x", "y.npy", "--labels-x", "train.txt", "--test-y", "ty.npy"], 1,
             ["y.npy: has 7 columns", "m.safetensors"]),
            (own + ["train.txt"], 64, ["--test-x C.npy or --test-y C.npy"]),
            (own + ["train.txt", "--test-x", "tx.npy", "--test-y", "ty.npy"], 64, ["not both"]),
            (own + ["train.txt", "--test-x", "tx.npy", "--plot", "c.svg"], 64, ["needs --test-labels"]),
            (own + ["train.txt", "--test-y", "ty.npy"], 64, ["give --model"]),
            (["classify", "--train-x", "x.npy", "--test-x", "tx.npy"], 64, ["--labels-x go together"]),
            (own + ["train.txt", "--test-x", "tx.npy", "--width", "8"], 64, ["--width applies to unpaired auxiliary training only"]),
            (own + ["train.txt", "--test-x", "tx.npy", "-k", "3"], 64, ["-k applies to --classifier knn only"]),
            (["classify", "--prototypes-x", "x.npy", "--prototype-names", "train.txt", "--test-x", "tx.npy", "--classifier", "knn"], 64,
             ["prototypes are matched by cosine"]),
            (own + ["train.txt", "--test-y", "ty.npy", "--unlabelled-y", "y.npy"], 64, ["--unlabelled-y", "give --model"]),
            (["classify", "--model", "m.safetensors"] + own.dropFirst() + ["train.txt", "--test-y", "ty.npy", "--unlabelled-x", "x.npy"], 64,
             ["--unlabelled-x must be rows of the test side (Y)"]),
            (["classify", "--model", "m.safetensors", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-y", "ty.npy",
              "--unlabelled-y", "y.npy"], 64, ["needs labelled rows of the other side (--train-x)"]),
            (["classify", "--model", "m.safetensors"] + own.dropFirst() + ["train.txt", "--test-y", "ty.npy", "--unlabelled-y", "x.npy"], 1,
             ["x.npy: has 10 columns", "m.safetensors"]),
            (own + ["train.txt", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-x", "tx.npy", "--unlabelled-x", "y.npy"], 1,
             ["y.npy: has 7 columns", "the test rows tx.npy expects 10"]),
            (own + ["train.txt", "--train-y", "y.npy", "--labels-y", "train.txt", "--test-x", "tx.npy", "--unlabelled-x", "x.npy",
                    "--transported-weight", "0"], 64, ["--transported-weight 0 turns off"]),
            (own + ["train.txt", "--test-x", "tx.npy", "--transported-weight", "1"], 64, ["--transported-weight applies to unpaired auxiliary training only"]),
        ]
        for (arguments, status, fragments) in failures {
            let run = try sue(arguments, in: dir)
            XCTAssertEqual(run.status, status, "\(arguments): \(run.stderr)")
            for fragment in fragments { XCTAssertTrue(run.stderr.contains(fragment), "\(arguments): '\(run.stderr)' lacks '\(fragment)'") }
            XCTAssertEqual(run.stdout, "")
        }
    }
}
