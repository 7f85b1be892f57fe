import Foundation
import LinearAlgebra
import SUE
import SUEFiles

// Which methods this build of `sue` can run, by name.
//
// TEMPORARY: the method registry (`Experiment.swift`: ridge, Procrustes, CCA, self-learning, the automatic
// choice; the SUE pipeline and its baselines) is being written on other branches. Until it is merged this
// build offers a single stand-in method, `centred`, so that every command can be exercised end to end. When
// the registry lands, `methodRegistry` returns it and `CentredCoordinates` is deleted.

/// The methods `sue fit --method`, `sue experiment --methods` and `sue demo` can use, in display order.
var methodRegistry: [AlignmentMethod] {
    [CentredCoordinates.method]
}

/// The method `--method auto` stands for, and why (one sentence for the fit summary).
func automaticMethod(for data: WeaklyPairedData) -> (method: AlignmentMethod, reason: String) {
    (CentredCoordinates.method, "the only method in this build")
}

/// Makes the model kinds defined in this executable loadable (the SUE module's own are built in).
func registerModelKinds() {
    ModelFormat.register(CentredCoordinates.self)
}

/// Looks a method up by name ("auto" = the automatic choice), with a clear error for unknown names.
func lookUpMethod(named name: String, for data: WeaklyPairedData) throws -> (method: AlignmentMethod, reason: String) {
    if name == "auto" { return automaticMethod(for: data) }
    guard let m = methodRegistry.first(where: { $0.name == name }) else {
        throw MethodUnavailable(name: name)
    }
    return (m, "requested with --method \(name)")
}

/// A method name that is not (or not yet) in this build.
struct MethodUnavailable: Error, CustomStringConvertible {
    let name: String
    var description: String {
        "method '\(name)' is not available in this build (available: \(methodRegistry.map(\.name).joined(separator: ", ")))"
    }
}

/// Stand-in method: centre each modality on the mean of all its training rows and keep the first
/// min(dx, dy) coordinates. It uses no pairs and aligns nothing; it exists only so that the commands, the
/// model file and the tests run before the real methods are merged.
struct CentredCoordinates: StorableEmbedding {
    static let kind = "centred-coordinates"
    static let method = AlignmentMethod(
        name: "centred", summary: "stand-in: centred raw coordinates (no alignment)") { data, context in
            context.report("centring", nil, "\(data.x.rows) + \(data.y.rows) rows")
            return CentredCoordinates(meanX: columnMeans(data.x), meanY: columnMeans(data.y))
        }

    var meanX: [Float]
    var meanY: [Float]
    var dimension: Int { min(meanX.count, meanY.count) }

    init(meanX: [Float], meanY: [Float]) { self.meanX = meanX; self.meanY = meanY }

    func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try centre(x, meanX, "X") }
    func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try centre(y, meanY, "Y") }

    private func centre(_ a: Matrix<Float>, _ mean: [Float], _ side: String) throws -> Matrix<Float> {
        guard a.columns == mean.count else {
            throw FileError(.invalidValue, file: side, "has \(a.columns) columns, the model expects \(mean.count)")
        }
        let d = dimension
        return Matrix(rows: a.rows, columns: d) { i, j in a[i, j] - mean[j] }
    }

    func storedTensors() -> [String: Matrix<Float>] {
        ["x.mean": Matrix(rows: 1, columns: meanX.count, elements: meanX),
         "y.mean": Matrix(rows: 1, columns: meanY.count, elements: meanY)]
    }

    func storedMetadata() -> [String: String] { [:] }

    init(storedTensors: [String: Matrix<Float>], metadata: [String: String]) throws {
        for name in ["x.mean", "y.mean"] {
            guard let t = storedTensors[name] else { throw FileError(.invalidValue, file: "model", "tensor '\(name)' is missing") }
            guard t.rows == 1, t.columns > 0 else {
                throw FileError(.invalidValue, file: "model", "tensor '\(name)' is \(t.rows)×\(t.columns), expected 1×n")
            }
        }
        meanX = storedTensors["x.mean"]!.elements
        meanY = storedTensors["y.mean"]!.elements
    }
}

/// Column means accumulated in Double in row order (deterministic whatever the thread count).
private func columnMeans(_ a: Matrix<Float>) -> [Float] {
    var sum = [Double](repeating: 0, count: a.columns)
    for i in 0..<a.rows { for j in 0..<a.columns { sum[j] += Double(a[i, j]) } }
    return sum.map { Float($0 / Double(max(a.rows, 1))) }
}
