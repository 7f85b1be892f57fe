import Foundation
import LinearAlgebra
import Autodiff

/// Everything a fitted model needs to be rebuilt, in a form any file format can hold: named tensors in single
/// and double precision, string metadata, and the fit's report.
///
/// Values a model computes with in Double (eigenvectors behind a Nyström extension, CCA projections) are kept
/// as Double tensors, so that a rebuilt model computes the same bits as the fitted one. Nothing here depends on
/// the run rather than on the inputs (no timings, no thread count): the same fit gives the same parameters.
/// `ModelFile` (module `SUEModelFiles`) writes it as a safetensors file.
public struct StoredModel: Sendable {
    /// Names the model type that can rebuild it (`StorableModel.kind`).
    public var kind: String
    /// Single-precision tensors by name.
    public var tensors: [String: Matrix<Float>]
    /// Double-precision tensors by name (no name appears in both dictionaries).
    public var doubleTensors: [String: Matrix<Double>]
    /// Small configuration values as strings (numbers, flags, names).
    public var metadata: [String: String]
    /// What was fitted and why; nil when nothing was recorded.
    public var report: FitReport?

    /// Stored parameters with every field given.
    public init(kind: String, tensors: [String: Matrix<Float>] = [:], doubleTensors: [String: Matrix<Double>] = [:],
                metadata: [String: String] = [:], report: FitReport? = nil) {
        self.kind = kind; self.tensors = tensors; self.doubleTensors = doubleTensors; self.metadata = metadata
        self.report = report
    }

    /// A vector as a 1 × n double tensor.
    mutating func storeRow(_ values: [Double], _ name: String) {
        doubleTensors[name] = Matrix(rows: 1, columns: values.count, elements: values)
    }

    /// A vector as a 1 × n float tensor.
    mutating func storeRow(_ values: [Float], _ name: String) {
        tensors[name] = Matrix(rows: 1, columns: values.count, elements: values)
    }

    /// A network's parameters as `prefix.layers.i.weight` / `.bias` (PyTorch's `state_dict` names) and its
    /// activations as the metadata entry `prefix.activations` ("leaky_relu(0.01),tanh", one per layer).
    mutating func storeNetwork(_ network: NetworkWeights, _ prefix: String) {
        for (name, value) in network.parameters { tensors[prefix + "." + name] = value }
        metadata[prefix + ".activations"] = network.activations.map(activationName).joined(separator: ",")
    }

    /// A per-column standardiser as `prefix.mean` and `prefix.scale` (1 × d each, double).
    mutating func storeStandardizer(_ s: ColumnStandardizer, _ prefix: String) {
        storeRow(s.means, prefix + ".mean")
        storeRow(s.scales, prefix + ".scale")
    }

    /// Adds `part`'s tensors and metadata under `prefix` (e.g. "linear.").
    mutating func store(_ part: StoredModel, prefix: String) {
        for (name, t) in part.tensors { tensors[prefix + name] = t }
        for (name, t) in part.doubleTensors { doubleTensors[prefix + name] = t }
        for (key, value) in part.metadata { metadata[prefix + key] = value }
    }

    /// The tensors and metadata stored under `prefix`, with the prefix removed.
    func part(_ prefix: String, kind: String) -> StoredModel {
        func strip<V>(_ d: [String: V]) -> [String: V] {
            Dictionary(uniqueKeysWithValues: d.compactMap { $0.key.hasPrefix(prefix) ? (String($0.key.dropFirst(prefix.count)), $0.value) : nil })
        }
        return StoredModel(kind: kind, tensors: strip(tensors), doubleTensors: strip(doubleTensors), metadata: strip(metadata))
    }
}

/// A fitted model that can be rebuilt from its `storedForm`.
public protocol StorableModel: AlignmentModel {
    /// The name stored models of this type carry (`StoredModel.kind`).
    static var kind: String { get }
    /// Rebuilds the model, checking every tensor's shape; throws `AlignmentError.invalidModel` naming the
    /// tensor or entry at fault.
    init(stored: StoredModel) throws
}

/// The model types stored models can name: the catalogue of kinds, fixed at compile time.
public enum StoredModels {
    /// Every storable model type of this module.
    public static var types: [any StorableModel.Type] {
        [LinearAlignment.self, TwoWayAlignment.self, TwoWayKernelAlignment.self, SimilarityProfileAlignment.self, ProfiledAlignment.self,
         SUEPipelineModel.self, ContrastiveModel.self, ColumnScaledModel.self]
    }

    /// The kinds that can be rebuilt, sorted.
    public static var kinds: [String] { types.map { $0.kind }.sorted() }

    /// Rebuilds the model `stored` describes.
    public static func rebuild(_ stored: StoredModel) throws -> any AlignmentModel {
        guard let type = types.first(where: { $0.kind == stored.kind }) else {
            throw AlignmentError.invalidModel("unknown model kind \"\(stored.kind)\" (this build reads: \(kinds.joined(separator: ", ")))")
        }
        return try type.init(stored: stored)
    }
}

/// Reads a `StoredModel` back, checking every shape it is told about, and remembers which tensors were used so
/// that stored parameters with tensors the layout does not explain are refused (`requireEverythingUsed`).
///
/// Errors are `AlignmentError.invalidModel`; `ModelFile.load` re-issues them naming the file.
final class StoredModelReader {
    private let single: [String: Matrix<Float>]
    private let double: [String: Matrix<Double>]
    let metadata: [String: String]
    private var used = Set<String>()

    init(_ stored: StoredModel) {
        single = stored.tensors; double = stored.doubleTensors; metadata = stored.metadata
    }

    static func failure(_ problem: String) -> AlignmentError { .invalidModel(problem) }

    func has(_ name: String) -> Bool { single[name] != nil || double[name] != nil }

    /// The tensor `name` (stored in either precision) as Double, with its shape checked where given.
    func doubles(_ name: String, rows: Int? = nil, columns: Int? = nil, _ why: String = "") throws -> Matrix<Double> {
        let m: Matrix<Double>
        if let d = double[name] { m = d } else if let f = single[name] { m = f.converted(to: Double.self) } else {
            throw StoredModelReader.failure("tensor '\(name)' is missing" + (why.isEmpty ? "" : " (\(why))"))
        }
        try checkShape(name, m.rows, m.columns, rows: rows, columns: columns, why)
        used.insert(name)
        return m
    }

    /// The tensor `name` (stored in either precision) as Float, with its shape checked where given.
    func floats(_ name: String, rows: Int? = nil, columns: Int? = nil, _ why: String = "") throws -> Matrix<Float> {
        if double[name] != nil { return try doubles(name, rows: rows, columns: columns, why).converted(to: Float.self) }
        guard let m = single[name] else {
            throw StoredModelReader.failure("tensor '\(name)' is missing" + (why.isEmpty ? "" : " (\(why))"))
        }
        try checkShape(name, m.rows, m.columns, rows: rows, columns: columns, why)
        used.insert(name)
        return m
    }

    /// A 1 × n tensor as an array.
    func row(_ name: String, count: Int? = nil, _ why: String = "") throws -> [Double] {
        try doubles(name, rows: 1, columns: count, why).elements
    }

    /// A 1 × n tensor as an array of Float.
    func floatRow(_ name: String, count: Int? = nil, _ why: String = "") throws -> [Float] {
        try floats(name, rows: 1, columns: count, why).elements
    }

    private func checkShape(_ name: String, _ r: Int, _ c: Int, rows: Int?, columns: Int?, _ why: String) throws {
        guard r == (rows ?? r), c == (columns ?? c) else {
            let expected = "\(rows.map(String.init) ?? "any")×\(columns.map(String.init) ?? "any")"
            throw StoredModelReader.failure("tensor '\(name)' is \(r)×\(c), expected \(expected)" + (why.isEmpty ? "" : " (\(why))"))
        }
    }

    func text(_ key: String) throws -> String {
        guard let v = metadata[key] else { throw StoredModelReader.failure("metadata entry '\(key)' is missing") }
        return v
    }

    func integer(_ key: String, minimum: Int = 0) throws -> Int {
        let v = try text(key)
        guard let n = Int(v), n >= minimum else {
            throw StoredModelReader.failure("metadata '\(key)' is \"\(v)\", expected an integer ≥ \(minimum)")
        }
        return n
    }

    func flag(_ key: String) throws -> Bool {
        switch try text(key) {
        case "true": return true
        case "false": return false
        case let v: throw StoredModelReader.failure("metadata '\(key)' is \"\(v)\", expected true or false")
        }
    }

    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws -> T where T.RawValue == String {
        let v = try text(key)
        guard let value = T(rawValue: v) else { throw StoredModelReader.failure("metadata '\(key)' has the unknown value \"\(v)\"") }
        return value
    }

    /// The network stored by `StoredModel.storeNetwork` under `prefix`. Layer sizes come from the weights, which
    /// must chain (layer i's outputs are layer i+1's inputs); every bias must be 1 × outputs.
    func network(_ prefix: String) throws -> NetworkWeights {
        let activations = try text(prefix + ".activations").split(separator: ",").map { name -> Activation in
            guard let a = activation(named: String(name)) else {
                throw StoredModelReader.failure("metadata '\(prefix).activations' has the unknown activation \"\(name)\"")
            }
            return a
        }
        guard !activations.isEmpty else { throw StoredModelReader.failure("metadata '\(prefix).activations' is empty") }
        var sizes = [Int](), values = [String: Matrix<Float>]()
        for i in activations.indices {
            let name = "\(prefix).layers.\(i).weight"
            let w = try floats(name, columns: sizes.last, i == 0 ? "" : "its inputs are the outputs of layer \(i - 1)")
            if i == 0 { sizes.append(w.columns) }
            sizes.append(w.rows)
            values["layers.\(i).weight"] = w
            values["layers.\(i).bias"] = try floats("\(prefix).layers.\(i).bias", rows: 1, columns: w.rows)
        }
        if has("\(prefix).layers.\(activations.count).weight") {
            throw StoredModelReader.failure("tensor '\(prefix).layers.\(activations.count).weight' has no activation in '\(prefix).activations' (\(activations.count) listed)")
        }
        return NetworkWeights(sizes: sizes, activations: activations, parameters: values)
    }

    /// The standardiser stored by `StoredModel.storeStandardizer`; scales must be positive.
    func standardizer(_ prefix: String) throws -> ColumnStandardizer {
        let means = try row(prefix + ".mean")
        let scales = try row(prefix + ".scale", count: means.count, "one scale per mean")
        if let j = scales.firstIndex(where: { !($0 > 0) }) {
            throw StoredModelReader.failure("tensor '\(prefix).scale' has \(scales[j]) in column \(j); scales must be positive")
        }
        return ColumnStandardizer(means: means, scales: scales)
    }

    /// Refuses tensors that no part of the layout read: a file that holds more than its metadata explains
    /// (e.g. network weights in a model whose metadata says there is no network) cannot be trusted.
    func requireEverythingUsed(_ layout: String) throws {
        let names = Set(single.keys).union(double.keys)
        if let extra = names.subtracting(used).sorted().first {
            throw StoredModelReader.failure("tensor '\(extra)' is not part of \(layout)")
        }
    }
}

/// "identity", "relu", "leaky_relu(0.01)", "tanh", "sigmoid".
func activationName(_ a: Activation) -> String {
    switch a {
    case .identity: return "identity"
    case .relu: return "relu"
    case .leakyReLU(let slope): return "leaky_relu(\(slope))"
    case .tanh: return "tanh"
    case .sigmoid: return "sigmoid"
    }
}

/// The inverse of `activationName`, or nil.
func activation(named name: String) -> Activation? {
    switch name {
    case "identity": return .identity
    case "relu": return .relu
    case "tanh": return .tanh
    case "sigmoid": return .sigmoid
    default:
        guard name.hasPrefix("leaky_relu("), name.hasSuffix(")"),
              let slope = Double(name.dropFirst("leaky_relu(".count).dropLast()), slope > 0, slope.isFinite else { return nil }
        return .leakyReLU(slope: slope)
    }
}
