import Foundation
import LinearAlgebra
import Spectral

// Workload 'knn': exact k-nearest neighbours (cosine by default) of every row among the others.
//
//   sue-bench knn --input X.npy --k 30 [--metric cosine|euclidean] [--repeats 3] [--json]
//   sue-bench knn --n 20000 --d 384 --k 30          (synthetic clustered data instead of a file)
//
// Peer: anchors.py knn --input X.npy (scikit-learn brute cosine, faiss IndexFlatIP).
func runKNNBenchmark(_ args: BenchArguments) throws {
    let x = try benchmarkPoints(args)
    let k = args.int("k") ?? 30
    let metric = DistanceMetric(rawValue: args.string("metric") ?? "cosine") ?? .cosine
    var result: NeighborLists? = nil
    let times = try measure(repeats: args.int("repeats") ?? 3, warmup: 0) {
        result = try nearestNeighbors(x, k: k, metric: metric)
    }
    _ = result
    emit(["workload": "knn", "library": "sue-swift", "metric": metric.rawValue, "n": x.rows, "d": x.columns, "k": k,
          "seconds_min": times.min()!, "seconds_median": median(times), "threads": Parallel.threadCount,
          "build": buildFlavour], json: args.json)
}

/// The benchmark's points: `--input X.npy` (float32 or float64, C order), or `--n/--d` synthetic clustered data
/// (overlapping Gaussian clusters in 8 latent dimensions lifted by tanh, like anchors.py's generator).
func benchmarkPoints(_ args: BenchArguments) throws -> Matrix<Float> {
    if let path = args.string("input") { return try readNPYFloatMatrix(path) }
    let n = args.int("n") ?? 20000, d = args.int("d") ?? 384
    var random = SeededRandom(seed: UInt64(args.int("seed") ?? 0))
    let clusters = 50, latent = 8
    let centres: Matrix<Double> = random.normalMatrix(clusters, latent, std: 2)
    let lift: Matrix<Double> = random.normalMatrix(latent, d, std: 1 / Double(latent).squareRoot())
    var x = Matrix<Float>(rows: n, columns: d)
    var z = [Double](repeating: 0, count: latent)
    for i in 0..<n {
        let c = random.int(below: clusters)
        for t in 0..<latent { z[t] = centres[c, t] + random.normal() }
        for j in 0..<d {
            var s = 0.0
            for t in 0..<latent { s += z[t] * lift[t, j] }
            x[i, j] = Float(Foundation.tanh(s) + 0.05 * random.normal())
        }
    }
    return x
}

/// TEMPORARY minimal .npy reader (v1/v2 header, little-endian f4/f8, C order, 2-D) until SUEFiles' NPYFile lands.
private func readNPYFloatMatrix(_ path: String) throws -> Matrix<Float> {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let bytes = [UInt8](data)
    guard bytes.count > 10, bytes[0] == 0x93, String(decoding: bytes[1..<6], as: UTF8.self) == "NUMPY" else {
        throw BenchError("\(path) is not a .npy file")
    }
    let major = bytes[6]
    let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
        : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
    let headerStart = major == 1 ? 10 : 12
    let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
    guard header.contains("'fortran_order': False") else { throw BenchError("\(path): Fortran order is not supported") }
    let isDouble = header.contains("<f8")
    guard isDouble || header.contains("<f4") else { throw BenchError("\(path): need little-endian f4 or f8, header \(header)") }
    guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")") else {
        throw BenchError("\(path): no shape in header")
    }
    let shape = header[header.index(after: open)..<close].split(separator: ",").compactMap {
        Int($0.trimmingCharacters(in: .whitespaces))
    }
    guard shape.count == 2 else { throw BenchError("\(path): need a 2-D array, shape \(shape)") }
    let offset = headerStart + headerLength, count = shape[0] * shape[1]
    guard bytes.count >= offset + count * (isDouble ? 8 : 4) else { throw BenchError("\(path) is truncated") }
    var elements = [Float](repeating: 0, count: count)
    bytes.withUnsafeBytes { raw in
        for i in 0..<count {
            elements[i] = isDouble ? Float(raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: Double.self))
                : raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: Float.self)
        }
    }
    return Matrix(rows: shape[0], columns: shape[1], elements: elements)
}
