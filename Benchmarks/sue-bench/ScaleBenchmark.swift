import Foundation
import LinearAlgebra
import SUE

// sue-bench scale [--rows 200000,1000000] [--dims 768] [--pairs 1000] [--queries 10000] [--k 10] [--latent 32]
//                 [--noise 0.3] [--core-rows 16384] [--batch-rows 65536] [--cells 250,1000] [--probes 8,16]
//                 [--seed s] [--json]
//
// For each size: generates two non-linear views of a shared latent in the process (row i of X and its partner in
// Y are known, so recall can be measured), fits `auto` on `--pairs` known pairs and the unpaired rest, embeds every
// row of both sides in blocks, searches `--queries` Y rows against all X rows in blocks (top k), and measures
// Recall@1/5/10 on 400 held-out pairs. One JSON line per size: seconds per stage and the peak resident memory.
// Then the approximate search: X's embedded rows go into an `InvertedFileIndex` of each `--cells` count (default
// `defaultCells`), which is searched with each `--probes` count (default `defaultProbes`); one JSON line per
// (cells, probes) gives the build and search times and the recall of the exact top k.
func runScaleBenchmark(_ args: BenchArguments) throws {
    let sizes = args.ints("rows") ?? [200_000, 1_000_000]
    let dims = args.int("dims") ?? 768
    let pairCount = args.int("pairs") ?? 1000
    let queryCount = args.int("queries") ?? 10_000
    let k = args.int("k") ?? 10
    let latent = args.int("latent") ?? 32
    let noise = args.double("noise") ?? 0.3
    let batch = args.int("batch-rows") ?? 65_536
    let core = args.int("core-rows") ?? WeaklyPairedData.defaultCoreRows
    let seed = UInt64(args.int("seed") ?? 0)
    let verbose = !args.json
    for n in sizes {
        guard n > pairCount + 400 + queryCount else { throw BenchError("--rows \(n) must exceed pairs + 400 test rows + queries") }
        var clock = monotonicSeconds()
        func lap() -> Double {
            let now = monotonicSeconds()
            defer { clock = now }
            return (now - clock).rounded(toPlaces: 2)
        }
        var fields: [String: Any] = ["workload": "scale", "rows": n, "dims": dims, "pairs": pairCount, "queries": queryCount,
                                     "k": k, "core_rows": core, "threads": Parallel.threadCount, "build": buildFlavour]
        // Training rows 0..<n of X; Y's rows are a permutation of the same latent points; 400 test pairs apart.
        let views = ScaleViews(latent: latent, dims: dims, noise: noise, seed: seed)
        var random = SeededRandom(seed: seed ^ 0x5ca1e)
        let permutation = random.permutation(n)           // Y row j holds latent point permutation[j]
        var positionInY = [Int](repeating: 0, count: n)
        for (j, i) in permutation.enumerated() { positionInY[i] = j }
        let x = views.x(Array(0..<n)), y = views.y(permutation)
        let pairs = (0..<pairCount).map { KnownPair(x: $0, y: positionInY[$0]) }
        let testX = views.x(Array(n..<(n + 400))), testY = views.y(Array(n..<(n + 400)))
        fields["seconds_generate"] = lap()
        if verbose { FileHandle.standardError.write("  \(n) rows: data ready\n".data(using: .utf8)!) }

        let model = try Automatic().fit(WeaklyPairedData(x: x, y: y, pairs: pairs),
                                        context: FitContext(seed: seed, coreRows: core) { event in
            if verbose && event.fraction == nil { FileHandle.standardError.write("  \(event.stage): \(event.detail)\n".data(using: .utf8)!) }
        })
        fields["seconds_fit"] = lap()
        fields["method"] = model.choice.rawValue

        var embeddedRows = 0
        for (rows, side) in [(x, Modality.x), (y, .y)] {
            for start in stride(from: 0, to: rows.rows, by: batch) {
                embeddedRows += try model.embed(rows.rows(start..<min(rows.rows, start + batch)), from: side).rows
            }
        }
        fields["seconds_embed_both_sides"] = lap()
        fields["embed_rows_per_second"] = Int(Double(embeddedRows) / max(fields["seconds_embed_both_sides"] as! Double, 1e-9))

        let queries = try model.embedY(y.rows(0..<queryCount))
        var nearest = NearestRows(queries: queryCount, k: k)
        for start in stride(from: 0, to: n, by: batch) {
            let block = try model.embedX(x.rows(start..<min(n, start + batch)))
            nearest.add(try cosineTopK(queries, block, k: min(k, block.rows)), rowOffset: start)
        }
        fields["seconds_search"] = lap()
        // The search's own recall: how often the query's partner is among its k hits.
        let found = (0..<queryCount).filter { j in nearest.hits[j].contains { $0.row == permutation[j] } }.count
        fields["search_recall_at_k"] = (100 * Double(found) / Double(queryCount)).rounded(toPlaces: 2)

        let scores = try retrievalRecall(try model.embedX(testX), try model.embedY(testY))
        fields["test_r10_x_to_y"] = scores.xToY.r10
        fields["test_r10_y_to_x"] = scores.yToX.r10
        fields["peak_rss_gb"] = peakResidentGigabytes().rounded(toPlaces: 2)
        emit(fields, json: args.json)

        // Approximate search: embed X once into the index's storage, build, search.
        var embedded = Matrix<Float>(rows: n, columns: model.dimension)
        for start in stride(from: 0, to: n, by: batch) {
            let block = try model.embedX(x.rows(start..<min(n, start + batch)))
            embedded.elements.replaceSubrange((start * block.columns)..<((start + block.rows) * block.columns), with: block.elements)
        }
        let secondsEmbedIndex = lap()
        for cells in args.ints("cells") ?? [InvertedFileIndex.defaultCells(rows: n)] {
            let index = try InvertedFileIndex(embedded, cells: cells, seed: seed)
            let secondsBuild = lap()
            for probes in args.ints("probes") ?? [InvertedFileIndex.defaultProbes(cells: cells)] where probes <= cells {
                _ = lap()
                let hits = try index.search(queries, k: k, probes: probes)
                let secondsSearch = lap()
                var sameAsExact = 0, partner = 0
                for j in 0..<queryCount {
                    let exact = Set(nearest.hits[j].map(\.row))
                    sameAsExact += hits[j].filter { exact.contains($0.row) }.count
                    if hits[j].contains(where: { $0.row == permutation[j] }) { partner += 1 }
                }
                emit(["workload": "scale-approximate-search", "rows": n, "dims": dims, "queries": queryCount, "k": k,
                      "cells": cells, "probes": probes, "threads": Parallel.threadCount, "build": buildFlavour,
                      "seconds_embed_index": secondsEmbedIndex, "seconds_build_index": secondsBuild,
                      "seconds_search": secondsSearch,
                      "recall_of_exact_top_k": (Double(sameAsExact) / Double(k * queryCount)).rounded(toPlaces: 4),
                      "search_recall_at_k": (100 * Double(partner) / Double(queryCount)).rounded(toPlaces: 2),
                      "peak_rss_gb": peakResidentGigabytes().rounded(toPlaces: 2)], json: args.json)
            }
        }
    }
}

/// Two non-linear views of one latent space, generated from seeded random networks (tanh of a random linear map,
/// then a linear map up to `dims`, plus Gaussian noise). Latent point i and both views' noise on it are drawn from
/// generators seeded by i alone, so any rows, in any order and in any blocks, are generated on their own: a view
/// of a million rows needs no more memory than its output.
struct ScaleViews {
    let latent: Int, dims: Int, noise: Double
    let ax1: Matrix<Float>, ax2: Matrix<Float>, ay1: Matrix<Float>, ay2: Matrix<Float>
    let seed: UInt64

    init(latent: Int, dims: Int, noise: Double, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let hidden = 4 * latent
        self.latent = latent; self.dims = dims; self.noise = noise; self.seed = seed
        ax1 = random.normalMatrix(latent, hidden, std: 1.5 / Double(latent).squareRoot())
        ax2 = random.normalMatrix(hidden, dims, std: 1 / Double(hidden).squareRoot())
        ay1 = random.normalMatrix(latent, hidden, std: 1.5 / Double(latent).squareRoot())
        ay2 = random.normalMatrix(hidden, dims, std: 1 / Double(hidden).squareRoot())
    }

    /// X's view of the latent points `indices`, one row each, in that order.
    func x(_ indices: [Int]) -> Matrix<Float> { view(indices, ax1, ax2, stream: 0x11) }
    /// Y's view of the latent points `indices`, one row each, in that order.
    func y(_ indices: [Int]) -> Matrix<Float> { view(indices, ay1, ay2, stream: 0x22) }

    private func view(_ indices: [Int], _ a1: Matrix<Float>, _ a2: Matrix<Float>, stream: UInt64) -> Matrix<Float> {
        var out = Matrix<Float>(rows: indices.count, columns: dims)
        let block = 16_384
        for start in stride(from: 0, to: indices.count, by: block) {
            let rows = Array(indices[start..<min(indices.count, start + block)])
            var z = Matrix<Float>(rows: rows.count, columns: latent)
            for (r, i) in rows.enumerated() {
                var random = SeededRandom(seed: seed &+ 0x9e37_79b9 &* UInt64(i + 1))
                for j in 0..<latent { z[r, j] = Float(random.normal()) }
            }
            var h = Matrix.multiply(z, .none, a1, .none)
            for k in h.elements.indices { h.elements[k] = Foundation.tanh(h.elements[k]) }
            let v = Matrix.multiply(h, .none, a2, .none)
            for (r, i) in rows.enumerated() {
                var random = SeededRandom(seed: (seed ^ stream) &+ 0x2545_f491_4f6c_dd1d &* UInt64(i + 1))
                let target = (start + r) * dims
                for j in 0..<dims { out.elements[target + j] = v.elements[r * dims + j] + Float(noise * random.normal()) }
            }
        }
        return out
    }
}

/// The process's peak resident memory in GiB (getrusage's ru_maxrss, KiB on Linux).
func peakResidentGigabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)
}

extension Double {
    /// Rounded to `places` decimals (for readable JSON).
    func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
