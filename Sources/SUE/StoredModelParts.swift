import Foundation
import LinearAlgebra
import Autodiff
import SUEFiles

// The building blocks of a model file's contents (see `ModelFormat`): tensors in single and double precision
// plus string metadata, written by `ModelParts` and read back, checked, by `ModelPartsReader`. Used by the
// storable pipeline (`StorableSUE.swift`); kept apart so that the pipeline's file layout reads as a list of
// named parts, and every loading error names the tensor or entry it is about.

/// What a storable embedding writes: tensors by name (Float or Double) and metadata strings.
struct ModelParts {
    var single: [String: Matrix<Float>] = [:]
    var double: [String: Matrix<Double>] = [:]
    var metadata: [String: String] = [:]

    /// A vector as a 1 × n double tensor.
    mutating func storeRow(_ values: [Double], _ name: String) {
        double[name] = Matrix(rows: 1, columns: values.count, elements: values)
    }

    /// An MLP's parameters as `prefix.layers.i.weight` / `.bias` (PyTorch's `state_dict` names) and its
    /// activations as the metadata entry `prefix.activations` ("leaky_relu(0.01),tanh", one per layer).
    mutating func storeNetwork(_ network: MLP<Float>, _ prefix: String) {
        for (name, value) in network.exportParameters() { single[prefix + "." + name] = value }
        metadata[prefix + ".activations"] = network.activations.map(activationName).joined(separator: ",")
    }

    /// A per-column standardiser as `prefix.mean` and `prefix.scale` (1 × d each, double).
    mutating func storeStandardizer(_ s: ColumnStandardizer, _ prefix: String) {
        storeRow(s.means, prefix + ".mean")
        storeRow(s.scales, prefix + ".scale")
    }
}

/// Reads `ModelParts` back, checking every shape it is told about, and remembers which tensors were used so that
/// a file with tensors the layout does not explain is refused (`requireEverythingUsed`).
///
/// Errors are `FileError`s about "model"; `ModelFormat.load` re-issues them naming the real file.
final class ModelPartsReader {
    private let single: [String: Matrix<Float>]
    private let double: [String: Matrix<Double>]
    private let metadata: [String: String]
    private var used = Set<String>()

    init(single: [String: Matrix<Float>], double: [String: Matrix<Double>], metadata: [String: String]) {
        self.single = single; self.double = double; self.metadata = metadata
    }

    static func failure(_ problem: String) -> FileError { FileError(.invalidValue, file: "model", problem) }

    func has(_ name: String) -> Bool { single[name] != nil || double[name] != nil }

    /// The tensor `name` (stored in either precision) as Double, with its shape checked where given.
    func doubles(_ name: String, rows: Int? = nil, columns: Int? = nil, _ why: String = "") throws -> Matrix<Double> {
        let m: Matrix<Double>
        if let d = double[name] { m = d } else if let f = single[name] { m = f.converted(to: Double.self) } else {
            throw ModelPartsReader.failure("tensor '\(name)' is missing" + (why.isEmpty ? "" : " (\(why))"))
        }
        try checkShape(name, m.rows, m.columns, rows: rows, columns: columns, why)
        used.insert(name)
        return m
    }

    /// The tensor `name` (stored in either precision) as Float, with its shape checked where given.
    func floats(_ name: String, rows: Int? = nil, columns: Int? = nil, _ why: String = "") throws -> Matrix<Float> {
        if double[name] != nil { return try doubles(name, rows: rows, columns: columns, why).converted(to: Float.self) }
        guard let m = single[name] else {
            throw ModelPartsReader.failure("tensor '\(name)' is missing" + (why.isEmpty ? "" : " (\(why))"))
        }
        try checkShape(name, m.rows, m.columns, rows: rows, columns: columns, why)
        used.insert(name)
        return m
    }

    /// A 1 × n tensor as an array.
    func row(_ name: String, count: Int? = nil, _ why: String = "") throws -> [Double] {
        try doubles(name, rows: 1, columns: count, why).elements
    }

    private func checkShape(_ name: String, _ r: Int, _ c: Int, rows: Int?, columns: Int?, _ why: String) throws {
        guard r == (rows ?? r), c == (columns ?? c) else {
            let expected = "\(rows.map(String.init) ?? "any")×\(columns.map(String.init) ?? "any")"
            throw ModelPartsReader.failure("tensor '\(name)' is \(r)×\(c), expected \(expected)" + (why.isEmpty ? "" : " (\(why))"))
        }
    }

    func text(_ key: String) throws -> String {
        guard let v = metadata[key] else { throw ModelPartsReader.failure("metadata entry '\(key)' is missing") }
        return v
    }

    func integer(_ key: String, minimum: Int = 0) throws -> Int {
        let v = try text(key)
        guard let n = Int(v), n >= minimum else {
            throw ModelPartsReader.failure("metadata '\(key)' is \"\(v)\", expected an integer ≥ \(minimum)")
        }
        return n
    }

    func flag(_ key: String) throws -> Bool {
        switch try text(key) {
        case "true": return true
        case "false": return false
        case let v: throw ModelPartsReader.failure("metadata '\(key)' is \"\(v)\", expected true or false")
        }
    }

    func choice<T: RawRepresentable>(_ key: String, _ type: T.Type) throws -> T where T.RawValue == String {
        let v = try text(key)
        guard let value = T(rawValue: v) else { throw ModelPartsReader.failure("metadata '\(key)' has the unknown value \"\(v)\"") }
        return value
    }

    /// The MLP stored by `ModelParts.storeNetwork` under `prefix`. Layer sizes come from the weights, which must
    /// chain (layer i's outputs are layer i+1's inputs); every bias must be 1 × outputs.
    func network(_ prefix: String) throws -> MLP<Float> {
        let activations = try text(prefix + ".activations").split(separator: ",").map { name -> Activation in
            guard let a = activation(named: String(name)) else {
                throw ModelPartsReader.failure("metadata '\(prefix).activations' has the unknown activation \"\(name)\"")
            }
            return a
        }
        guard !activations.isEmpty else { throw ModelPartsReader.failure("metadata '\(prefix).activations' is empty") }
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
            throw ModelPartsReader.failure("tensor '\(prefix).layers.\(activations.count).weight' has no activation in '\(prefix).activations' (\(activations.count) listed)")
        }
        var rng = SeededRandom(seed: 0)   // the initial values are overwritten at once
        let network = MLP<Float>(sizes: sizes, activations: activations, rng: &rng)
        try network.importParameters(values)
        return network
    }

    /// The standardiser stored by `ModelParts.storeStandardizer`; scales must be positive.
    func standardizer(_ prefix: String) throws -> ColumnStandardizer {
        let means = try row(prefix + ".mean")
        let scales = try row(prefix + ".scale", count: means.count, "one scale per mean")
        if let j = scales.firstIndex(where: { !($0 > 0) }) {
            throw ModelPartsReader.failure("tensor '\(prefix).scale' has \(scales[j]) in column \(j); scales must be positive")
        }
        return ColumnStandardizer(means: means, scales: scales)
    }

    /// Refuses tensors that no part of the layout read: a file that holds more than its metadata explains
    /// (e.g. network weights in a model whose metadata says there is no network) cannot be trusted.
    func requireEverythingUsed(_ layout: String) throws {
        let names = Set(single.keys).union(double.keys)
        if let extra = names.subtracting(used).sorted().first {
            throw ModelPartsReader.failure("tensor '\(extra)' is not part of \(layout)")
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
