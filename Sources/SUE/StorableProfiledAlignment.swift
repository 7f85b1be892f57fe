import LinearAlgebra
import SUEFiles

/// `ProfiledAlignment` in a model file (see `ModelFormat`): the linear part's tensors under `linear.` and the
/// profiles' under `profiles.` (each as its own kind stores them), the profiles' metadata as they store it, and
/// the weight as `profile_weight`.
extension ProfiledAlignment: StorableEmbedding {
    public static var kind: String { "profiled-linear-alignment" }

    public func storedTensors() -> [String: Matrix<Float>] {
        var out = [String: Matrix<Float>]()
        for (name, t) in linear.storedTensors() { out["linear." + name] = t }
        for (name, t) in profiles.storedTensors() { out["profiles." + name] = t }
        return out
    }

    public func storedMetadata() -> [String: String] {
        profiles.storedMetadata().merging(["profile_weight": String(weight)]) { a, _ in a }
    }

    public init(storedTensors: [String: Matrix<Float>], metadata: [String: String]) throws {
        func part(_ prefix: String) -> [String: Matrix<Float>] {
            Dictionary(uniqueKeysWithValues: storedTensors.compactMap { name, t in
                name.hasPrefix(prefix) ? (String(name.dropFirst(prefix.count)), t) : nil
            })
        }
        guard let text = metadata["profile_weight"], let weight = Float(text), weight.isFinite, weight >= 0 else {
            throw FileError(.invalidValue, file: "model", "metadata 'profile_weight' must be a finite number ≥ 0, got '\(metadata["profile_weight"] ?? "nothing")'")
        }
        try self.init(linear: try LinearAlignment(storedTensors: part("linear."), metadata: [:]),
                      profiles: try SimilarityProfileAlignment(storedTensors: part("profiles."), metadata: metadata),
                      weight: weight)
    }
}
