import LinearAlgebra
import SUEFiles

/// `SimilarityProfileAlignment` in a model file (see `ModelFormat`). Per side s ∈ {x, y}: `s.mean` (1 × d),
/// `s.reference` (n_ref × d, centred unit rows), `s.feature_mean` and `s.feature_scale` (1 × m); the ranks
/// are metadata (`x_ranks`, `y_ranks`, comma-separated), since they are integers.
extension SimilarityProfileAlignment: StorableEmbedding {
    public static var kind: String { "similarity-profiles" }

    public func storedTensors() -> [String: Matrix<Float>] {
        var out = [String: Matrix<Float>]()
        for (side, p) in [("x", x), ("y", y)] {
            out["\(side).mean"] = Matrix(rows: 1, columns: p.centre.count, elements: p.centre)
            out["\(side).reference"] = p.reference
            out["\(side).feature_mean"] = Matrix(rows: 1, columns: p.featureMean.count, elements: p.featureMean)
            out["\(side).feature_scale"] = Matrix(rows: 1, columns: p.featureScale.count, elements: p.featureScale)
        }
        return out
    }

    public func storedMetadata() -> [String: String] {
        ["x_ranks": x.ranks.map(String.init).joined(separator: ","), "y_ranks": y.ranks.map(String.init).joined(separator: ",")]
    }

    public init(storedTensors: [String: Matrix<Float>], metadata: [String: String]) throws {
        func side(_ s: String) throws -> SimilarityProfile {
            func tensor(_ name: String) throws -> Matrix<Float> {
                guard let t = storedTensors["\(s).\(name)"] else {
                    throw FileError(.invalidValue, file: "model", "tensor '\(s).\(name)' is missing (similarity profiles have mean, reference, feature_mean, feature_scale per side)")
                }
                return t
            }
            let mean = try tensor("mean"), reference = try tensor("reference")
            let featureMean = try tensor("feature_mean"), featureScale = try tensor("feature_scale")
            let text = metadata["\(s)_ranks"] ?? ""
            let ranks = text.split(separator: ",").compactMap { Int($0) }
            guard !ranks.isEmpty, ranks.count == text.split(separator: ",").count,
                  ranks.allSatisfy({ $0 >= 1 && $0 < reference.rows }) else {
                throw FileError(.invalidValue, file: "model", "metadata '\(s)_ranks' must list ranks in 1..<\(reference.rows), got '\(text)'")
            }
            guard mean.rows == 1, reference.columns == mean.columns, reference.rows >= 3,
                  featureMean.rows == 1, featureScale.rows == 1,
                  featureMean.columns == ranks.count + 2, featureScale.columns == ranks.count + 2,
                  featureScale.elements.allSatisfy({ $0 > 0 }) else {
                throw FileError(.invalidValue, file: "model",
                                "\(s): mean \(mean.rows)×\(mean.columns), reference \(reference.rows)×\(reference.columns), feature_mean/scale \(featureMean.columns)/\(featureScale.columns) for \(ranks.count) ranks; expected 1×d, n×d (n ≥ 3), and 1×(ranks + 2) with positive scales")
            }
            return SimilarityProfile(centre: mean.elements, reference: reference, ranks: ranks,
                                     featureMean: featureMean.elements, featureScale: featureScale.elements)
        }
        try self.init(x: try side("x"), y: try side("y"))
    }
}
