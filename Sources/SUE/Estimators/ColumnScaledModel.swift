import LinearAlgebra

/// A model fitted on column-scaled inputs (`ColumnScaling`), with its scalings: it divides each input column by
/// its side's divisor and then embeds as the inner model does, so it takes rows in their original units.
///
/// Stored as kind `column-scaled`: the divisors as `x.column_scale` and `y.column_scale` (1 × d each), the inner
/// model's tensors and metadata under `model.`, and the inner model's kind as the metadata entry `model_kind`.
public struct ColumnScaledModel: StorableModel {
    /// Divisors of X's columns.
    public var scalingX: ColumnScaling
    /// Divisors of Y's columns.
    public var scalingY: ColumnScaling
    /// The model fitted on the scaled rows.
    public var model: any AlignmentModel

    /// The model with its scalings; throws `AlignmentError.shapeMismatch` if their widths are not the inner
    /// model's input widths, and `AlignmentError.invalidModel` if the inner model is itself column-scaled.
    public init(scalingX: ColumnScaling, scalingY: ColumnScaling, model: any AlignmentModel) throws {
        guard scalingX.scale.count == model.inputColumns.x, scalingY.scale.count == model.inputColumns.y else {
            throw AlignmentError.shapeMismatch("column scalings of \(scalingX.scale.count) and \(scalingY.scale.count) columns for a model of \(model.inputColumns.x) and \(model.inputColumns.y) input columns")
        }
        guard !(model is ColumnScaledModel) else { throw AlignmentError.invalidModel("a column-scaled model inside another") }
        self.scalingX = scalingX; self.scalingY = scalingY; self.model = model
    }

    public var dimension: Int { model.dimension }
    public var inputColumns: (x: Int, y: Int) { model.inputColumns }
    public var report: FitReport { model.report }
    public func ownSpaceColumns(of modality: Modality) -> Range<Int>? { model.ownSpaceColumns(of: modality) }
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> { try model.embedX(try scalingX.apply(x)) }
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> { try model.embedY(try scalingY.apply(y)) }

    public static var kind: String { "column-scaled" }

    public var storedForm: StoredModel {
        let inner = model.storedForm
        var stored = StoredModel(kind: Self.kind, report: inner.report)
        stored.storeRow(scalingX.scale, "x.column_scale")
        stored.storeRow(scalingY.scale, "y.column_scale")
        stored.store(inner, prefix: "model.")
        stored.metadata["model_kind"] = inner.kind
        return stored
    }

    public init(stored: StoredModel) throws {
        guard let kind = stored.metadata["model_kind"] else { throw StoredModelReader.failure("metadata 'model_kind' is missing") }
        guard kind != Self.kind else { throw StoredModelReader.failure("metadata 'model_kind' names a column-scaled model inside another") }
        let r = StoredModelReader(stored)
        let scaleX = try r.floatRow("x.column_scale"), scaleY = try r.floatRow("y.column_scale")
        if let extra = (Array(stored.tensors.keys) + Array(stored.doubleTensors.keys)).sorted()
            .first(where: { !$0.hasPrefix("model.") && $0 != "x.column_scale" && $0 != "y.column_scale" }) {
            throw StoredModelReader.failure("tensor '\(extra)' is not part of a column-scaled model")
        }
        if let extra = stored.metadata.keys.sorted().first(where: { $0 != "model_kind" && !$0.hasPrefix("model.") }) {
            throw StoredModelReader.failure("metadata '\(extra)' is not part of a column-scaled model")
        }
        // The inner model carries the whole model's report: it was fitted as part of it.
        var inner = stored.part("model.", kind: kind)
        inner.report = stored.report
        do {
            try self.init(scalingX: try ColumnScaling(scale: scaleX), scalingY: try ColumnScaling(scale: scaleY),
                          model: try StoredModels.rebuild(inner))
        } catch let error as AlignmentError {
            switch error {
            case .invalidModel: throw error
            default: throw StoredModelReader.failure("column-scaled model: \(error)")
            }
        }
    }
}
