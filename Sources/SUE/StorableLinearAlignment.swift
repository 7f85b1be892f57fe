import LinearAlgebra
import SUEFiles

/// `LinearAlignment` in a model file (see `ModelFormat`): four tensors,
/// `x.mean` (1 × dx), `x.map` (dx × r), `y.mean` (1 × dy), `y.map` (dy × r).
///
/// Kept as an extension in its own file so that the type's definition (`Alignment.swift`) stays with the
/// alignment layer. The loader checks that the shapes agree with each other; `ModelFormat.load` then checks
/// them against the declared input widths and shared dimension.
extension LinearAlignment: StorableEmbedding {
    public static var kind: String { "linear-alignment" }

    public func storedTensors() -> [String: Matrix<Float>] {
        ["x.mean": Matrix(rows: 1, columns: preprocessX.mean.count, elements: preprocessX.mean), "x.map": mapX,
         "y.mean": Matrix(rows: 1, columns: preprocessY.mean.count, elements: preprocessY.mean), "y.map": mapY]
    }

    public func storedMetadata() -> [String: String] { [:] }

    public init(storedTensors: [String: Matrix<Float>], metadata: [String: String]) throws {
        func tensor(_ name: String) throws -> Matrix<Float> {
            guard let t = storedTensors[name] else {
                throw FileError(.invalidValue, file: "model", "tensor '\(name)' is missing (a linear alignment has x.mean, x.map, y.mean, y.map)")
            }
            return t
        }
        let meanX = try tensor("x.mean"), mapX = try tensor("x.map")
        let meanY = try tensor("y.mean"), mapY = try tensor("y.map")
        for (side, mean, map) in [("x", meanX, mapX), ("y", meanY, mapY)] {
            guard mean.rows == 1, mean.columns == map.rows, map.columns > 0 else {
                throw FileError(.invalidValue, file: "model",
                                "\(side).mean is \(mean.rows)×\(mean.columns) and \(side).map is \(map.rows)×\(map.columns); expected 1×d and d×r")
            }
        }
        guard mapX.columns == mapY.columns else {
            throw FileError(.invalidValue, file: "model", "x.map has \(mapX.columns) columns but y.map has \(mapY.columns); both must map to the same shared dimension")
        }
        self.init(preprocessX: RowPreprocessing(mean: meanX.elements), preprocessY: RowPreprocessing(mean: meanY.elements),
                  mapX: mapX, mapY: mapY)
    }
}
