import Foundation
import LinearAlgebra
import SUEFiles

/// The small real data set that ships inside the package, so that `sue demo` needs no files and no network.
///
/// 2 500 short English texts, each embedded by two different sentence encoders: X = all-MiniLM-L6-v2
/// (384-d), Y = multilingual-e5-small (384-d); row i of X, row i of Y, `texts[i]` and `categories[i]`
/// describe the same text. The matrices are stored as float16 to keep the package small and widened
/// exactly to `Float` here. Provenance and licence: `Resources/demo/README.md`.
public enum DemoData {
    /// The folder of the demo files inside the package's resource bundle.
    public static var folder: URL {
        get throws {
            guard let url = Bundle.module.url(forResource: "demo", withExtension: nil) else {
                throw FileError(.notFound, file: "demo", "the embedded demo data is missing from the SUE resource bundle (rebuild the package)")
            }
            return url
        }
    }

    /// Loads the embedded demo data and checks that its parts agree.
    public static func load() throws -> (x: Matrix<Float>, y: Matrix<Float>, texts: [String], categories: [String]) {
        let folder = try folder
        let x = try InputValidation.loadEmbeddings(folder.appendingPathComponent("minilm.npy"), as: Float.self)
        let y = try InputValidation.loadEmbeddings(folder.appendingPathComponent("e5small.npy"), as: Float.self)
        let texts = try lines(folder.appendingPathComponent("texts.txt"))
        let categories = try lines(folder.appendingPathComponent("categories.txt"))
        guard x.rows == y.rows, texts.count == x.rows, categories.count == x.rows else {
            throw FileError(.malformed, file: folder.path,
                            "demo files disagree: \(x.rows) rows in X, \(y.rows) in Y, \(texts.count) texts, \(categories.count) categories")
        }
        return (x, y, texts, categories)
    }

    private static func lines(_ url: URL) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: url.path),
              let text = String(data: data, encoding: .utf8) else {
            throw FileError(.notFound, url: url, "cannot read the demo text file")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
