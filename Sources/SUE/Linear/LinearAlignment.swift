import LinearAlgebra

/// The common form of every linear aligner: preprocess each side, multiply by a matrix.
///
/// `embedX(x) = pre_X(x)·mapX` and `embedY(y) = pre_Y(y)·mapY`, with `pre` the centring and row normalisation of
/// `RowPreprocessing`. For ridge and Procrustes `mapY` is the identity (the shared space is Y's own space); for
/// CCA and self-learning both sides are projected onto canonical directions.
///
/// Stored as kind `linear-alignment`: `x.mean` (1 × dx), `x.map` (dx × r), `y.mean` (1 × dy), `y.map` (dy × r).
public struct LinearAlignment: StorableModel, Equatable {
    /// Centring and normalisation of X rows.
    public var preprocessX: RowPreprocessing
    /// Centring and normalisation of Y rows.
    public var preprocessY: RowPreprocessing
    /// dx × r.
    public var mapX: Matrix<Float>
    /// dy × r.
    public var mapY: Matrix<Float>
    /// What was fitted and why.
    public var report: FitReport

    /// A model from its parts; both maps must land in the same shared dimension and take the preprocessed widths.
    public init(preprocessX: RowPreprocessing, preprocessY: RowPreprocessing, mapX: Matrix<Float>, mapY: Matrix<Float>,
                report: FitReport) throws {
        guard mapX.columns == mapY.columns, mapX.rows == preprocessX.mean.count, mapY.rows == preprocessY.mean.count else {
            throw AlignmentError.shapeMismatch("linear alignment: maps \(mapX.rows)×\(mapX.columns) and \(mapY.rows)×\(mapY.columns) for inputs of \(preprocessX.mean.count) and \(preprocessY.mean.count) columns; expected dx×r and dy×r")
        }
        self.preprocessX = preprocessX
        self.preprocessY = preprocessY
        self.mapX = mapX
        self.mapY = mapY
        self.report = report
    }

    public var dimension: Int { mapX.columns }
    public var inputColumns: (x: Int, y: Int) { (preprocessX.mean.count, preprocessY.mean.count) }

    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(x, .x) { mapped(try preprocessX.embed($0), by: mapX) }
    }

    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(y, .y) { mapped(try preprocessY.embed($0), by: mapY) }
    }

    public static var kind: String { "linear-alignment" }

    public var storedForm: StoredModel {
        var stored = StoredModel(kind: Self.kind, report: report)
        stored.storeRow(preprocessX.mean, "x.mean")
        stored.tensors["x.map"] = mapX
        stored.storeRow(preprocessY.mean, "y.mean")
        stored.tensors["y.map"] = mapY
        return stored
    }

    public init(stored: StoredModel) throws {
        let r = StoredModelReader(stored)
        let meanX = try r.floatRow("x.mean"), meanY = try r.floatRow("y.mean")
        let mapX = try r.floats("x.map", rows: meanX.count, "one row per column of x.mean")
        let mapY = try r.floats("y.map", rows: meanY.count, columns: mapX.columns,
                                "one row per column of y.mean, as many columns as x.map")
        guard mapX.columns > 0 else { throw StoredModelReader.failure("tensor 'x.map' has no columns") }
        try r.requireEverythingUsed("a linear alignment (x.mean, x.map, y.mean, y.map)")
        try self.init(preprocessX: RowPreprocessing(mean: meanX), preprocessY: RowPreprocessing(mean: meanY),
                  mapX: mapX, mapY: mapY, report: stored.report ?? .unrecorded(method: Self.kind))
    }
}

/// `rows·map`, or `rows` itself when `map` is the identity (ridge's and Procrustes' Y side): the product would
/// give the same values (each is one term times 1 plus exact zeros) for a d × d GEMM per call, which on a side
/// of a thousand columns or more is most of a cross-validation fold's time.
func mapped(_ rows: Matrix<Float>, by map: Matrix<Float>) -> Matrix<Float> {
    map.isIdentity && map.rows == rows.columns ? rows : Matrix.multiply(rows, .none, map, .none)
}
