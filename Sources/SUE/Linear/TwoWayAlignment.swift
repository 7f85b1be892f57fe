import LinearAlgebra

/// Two linear maps in opposite directions, used side by side: X→Y (`mapXY`) and Y→X (`mapYX`).
///
///     embedX(x) = [ unit(x̂·W) | unit(x̂) ] / √2,      embedY(y) = [ unit(ŷ) | unit(ŷ·V) ] / √2,
///
/// with x̂, ŷ the centred unit rows of `RowPreprocessing`, W the dx × dy map from X to Y and V the dy × dx map from
/// Y to X. A cosine in the shared space is the mean of the two maps' cosines: the X→Y map compares in Y's space,
/// the Y→X map in X's. Each map sees the regression from its own side, where the other side's noise falls on
/// the target rather than on the inputs, so the two make different errors and their vote is more precise than
/// either (see `TwoWaySelfLearning`).
///
/// Stored as kind `two-way-linear-alignment`: `x.mean` (1 × dx), `y.mean` (1 × dy), `xy.map` (dx × dy),
/// `yx.map` (dy × dx).
public struct TwoWayAlignment: StorableModel, Equatable {
    /// Centring and normalisation of X rows.
    public var preprocessX: RowPreprocessing
    /// Centring and normalisation of Y rows.
    public var preprocessY: RowPreprocessing
    /// dx × dy: X rows into Y's space.
    public var mapXY: Matrix<Float>
    /// dy × dx: Y rows into X's space.
    public var mapYX: Matrix<Float>
    /// What was fitted and why.
    public var report: FitReport

    /// A model from its parts; the maps must take and give the preprocessed widths.
    public init(preprocessX: RowPreprocessing, preprocessY: RowPreprocessing, mapXY: Matrix<Float>, mapYX: Matrix<Float>,
                report: FitReport) throws {
        let dx = preprocessX.mean.count, dy = preprocessY.mean.count
        guard mapXY.rows == dx, mapXY.columns == dy, mapYX.rows == dy, mapYX.columns == dx else {
            throw AlignmentError.shapeMismatch("two-way alignment: maps \(mapXY.rows)×\(mapXY.columns) and \(mapYX.rows)×\(mapYX.columns) for inputs of \(dx) and \(dy) columns; expected \(dx)×\(dy) and \(dy)×\(dx)")
        }
        self.preprocessX = preprocessX; self.preprocessY = preprocessY
        self.mapXY = mapXY; self.mapYX = mapYX; self.report = report
    }

    public var dimension: Int { mapXY.columns + mapYX.columns }
    public var inputColumns: (x: Int, y: Int) { (preprocessX.mean.count, preprocessY.mean.count) }

    /// X's own space is the second block (X's unit rows, Y's rows mapped into it), Y's the first.
    public func ownSpaceColumns(of modality: Modality) -> Range<Int>? {
        modality == .y ? 0..<mapXY.columns : mapXY.columns..<dimension
    }

    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(x, .x) {
            let unit = try preprocessX.embed($0)
            return Self.sideBySide(Matrix.multiply(unit, .none, mapXY, .none), unit)
        }
    }

    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(y, .y) {
            let unit = try preprocessY.embed($0)
            return Self.sideBySide(unit, Matrix.multiply(unit, .none, mapYX, .none))
        }
    }

    /// [unit(a) | unit(b)] / √2: unit rows whose cosines average those of the two blocks.
    static func sideBySide(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Float> {
        concatenatedColumns(a.normalizedRows(), b.normalizedRows()).normalizedRows()
    }

    public static var kind: String { "two-way-linear-alignment" }

    public var storedForm: StoredModel {
        var stored = StoredModel(kind: Self.kind, report: report)
        stored.storeRow(preprocessX.mean, "x.mean")
        stored.storeRow(preprocessY.mean, "y.mean")
        stored.tensors["xy.map"] = mapXY
        stored.tensors["yx.map"] = mapYX
        return stored
    }

    public init(stored: StoredModel) throws {
        let r = StoredModelReader(stored)
        let meanX = try r.floatRow("x.mean"), meanY = try r.floatRow("y.mean")
        let mapXY = try r.floats("xy.map", rows: meanX.count, columns: meanY.count, "x.mean's columns × y.mean's")
        let mapYX = try r.floats("yx.map", rows: meanY.count, columns: meanX.count, "y.mean's columns × x.mean's")
        try r.requireEverythingUsed("a two-way linear alignment (x.mean, y.mean, xy.map, yx.map)")
        try self.init(preprocessX: RowPreprocessing(mean: meanX), preprocessY: RowPreprocessing(mean: meanY),
                      mapXY: mapXY, mapYX: mapYX, report: stored.report ?? .unrecorded(method: Self.kind))
    }
}
