// The README's Swift example, compiled by the test command so that it cannot go stale.
//
//     swift run -c release sue-example X.npy Y.npy pairs.csv model.safetensors
//
// Without arguments it makes a small synthetic pair of embedding files in a temporary folder and uses those.
import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

let arguments = CommandLine.arguments.dropFirst()
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sue-example-\(ProcessInfo.processInfo.processIdentifier)")
let (xFile, yFile, pairsFile, modelFile): (URL, URL, URL, URL)
if arguments.count == 4 {
    let urls = arguments.map { URL(fileURLWithPath: $0) }
    (xFile, yFile, pairsFile, modelFile) = (urls[0], urls[1], urls[2], urls[3])
} else {
    // Two non-linear views of the same 1 200 items; 30 known pairs.
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let (x, y) = makeSyntheticPairs(rows: 1200, dx: 32, dy: 24, seed: 1)
    (xFile, yFile, pairsFile, modelFile) = (folder.appendingPathComponent("x.npy"), folder.appendingPathComponent("y.npy"),
                                            folder.appendingPathComponent("pairs.csv"), folder.appendingPathComponent("model.safetensors"))
    try NPYFile.write(x, to: xFile)
    try NPYFile.write(y, to: yFile)
    try PairsFile.write((0..<30).map { PairsFile.Pair(x: $0, y: $0) }, to: pairsFile)
}

// Load: embeddings are .npy files (float16/32/64, one row per item); pairs are a CSV with the header x,y.
let x = try InputValidation.loadEmbeddings(xFile, as: Float.self)
let y = try InputValidation.loadEmbeddings(yFile, as: Float.self)
let pairs = try PairsFile.read(pairsFile, xRows: x.rows, yRows: y.rows).map { KnownPair(x: $0.x, y: $0.y) }

// Fit: a configuration value is the estimator; `fit` returns the fitted model.
let data = WeaklyPairedData(x: x, y: y, pairs: pairs)
let model = try Automatic().fit(data, context: FitContext(seed: 0))
print("auto chose \(model.choice.rawValue): \(model.reason)")

// Save and load: any fitted model, no casts.
try ModelFile.save(model, to: modelFile)
let loaded = try ModelFile.load(modelFile).model

// Embed and search: rows of either modality land in one space, compared by cosine similarity.
let queries = try loaded.embedY(y.rows(0..<5))
let items = try loaded.embedX(x)
for (query, hits) in try cosineTopK(queries, items, k: 3).enumerated() {
    print("Y row \(query): " + hits.map { "X row \($0.row) (\(String(format: "%.3f", $0.score)))" }.joined(separator: ", "))
}
if arguments.count != 4 { try? FileManager.default.removeItem(at: folder) }
