import Foundation
import LinearAlgebra

/// Kernel ridge regression both ways on the known pairs: a non-linear map X→Y and one Y→X, used side by side as
/// `TwoWayAlignment` uses its two ridge maps — for two sides whose relation is curved rather than only noisy
/// (low-dimensional sensors, a view that passes through saturating or periodic functions). Kernel ridge
/// regression: Saunders, Gammerman & Vovk 1998, "Ridge regression learning algorithm in dual variables".
///
/// Each map is ridge regression on Nyström features of a Gaussian kernel (`RBFFeatures`) of its input side. The
/// centres are a seeded sample of `centres` rows of that side, paired or not: the unpaired rows show where the
/// data lie, and using no pairs to place them lets the automatic choice refit the maps per cross-validation
/// fold without refitting the features. The bandwidth is `h = f·median ‖a − b‖²` over the centres, with `f`
/// from `bandwidthFactors` and λ from ridge's grid, both by exact leave-one-out on the pairs (generalised
/// cross-validation from `RidgeRegression.generalizedCrossValidationRows` pairs on): the kernel-ridge
/// leave-one-out identity holds for any feature map, so the errors of different bandwidths are comparable. The
/// bandwidths are compared on a random projection of the targets, and λ is chosen again for the winner on the
/// full targets.
///
/// Where the relation is close to linear, a linear map estimated from the same pairs is as good or better (it
/// has fewer degrees of freedom to fit noise with): the automatic choice keeps ridge there, and takes this map
/// only when it retrieves clearly better on pairs held out of its fit. The measurements are in docs/notebook.md.
public struct KernelRidge: Aligner, Equatable {
    /// Multiples of the median squared distance between centres to try as the kernel's length scale.
    public var bandwidthFactors: [Double] = [0.125, 0.25, 0.5, 1, 2]
    /// Centres per side (fewer if the side has fewer rows).
    public var centres: Int = 256

    /// The estimator with its default settings.
    public init() {}

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> TwoWayKernelAlignment {
        try context.run(on: data) { data in
            let prepared = try PreparedProblem(data)
            let features = try fittedFeatures(prepared, seed: context.seed)
            return try model(prepared, features: features, pairs: prepared.pairs,
                             report: FitReport(method: "kernel-ridge", estimator: self, data: data, context: context))
        }
    }

    /// The candidate features of each side, one per bandwidth factor: pair-free, so fitted once and reused for
    /// any subset of the pairs.
    struct SideFeatures {
        var x: [RBFFeatures]
        var y: [RBFFeatures]
    }

    func fittedFeatures(_ prepared: PreparedProblem, seed: UInt64) throws -> SideFeatures {
        guard !bandwidthFactors.isEmpty, bandwidthFactors.allSatisfy({ $0 > 0 && $0.isFinite }), centres >= 2 else {
            throw AlignmentError.invalidConfiguration("kernel ridge: bandwidthFactors must be non-empty, each finite and > 0 (got \(bandwidthFactors)), and centres ≥ 2 (got \(centres))")
        }
        var random = SeededRandom(seed: seed ^ 0x6b_e41)
        func side(_ rows: Matrix<Float>, _ name: String) throws -> [RBFFeatures] {
            let chosen = rows.rows > centres ? random.permutation(rows.rows).prefix(centres).sorted() : Array(0..<rows.rows)
            let c = rows.rows(chosen)
            let scale = RBFFeatures.medianSquaredDistance(c)
            guard scale > 0 else {
                throw AlignmentError.invalidInput("kernel ridge: the \(c.rows) centres drawn from \(name) are all the same row, so no kernel can tell rows apart")
            }
            return try bandwidthFactors.map { try RBFFeatures(centres: c, bandwidth: $0 * scale) }
        }
        return SideFeatures(x: try side(prepared.x, "X"), y: try side(prepared.y, "Y"))
    }

    /// The two maps fitted on `pairs`, each with the bandwidth of least leave-one-out error.
    func model(_ prepared: PreparedProblem, features: SideFeatures, pairs: [KnownPair], report: FitReport) throws -> TwoWayKernelAlignment {
        guard pairs.count >= 2 else {
            throw AlignmentError.insufficientData("kernel ridge needs at least 2 known pairs (leave-one-out), got \(pairs.count)")
        }
        let (a, b) = prepared.pairedRows(pairs)
        func best(_ candidates: [RBFFeatures], _ inputs: Matrix<Float>, _ targets: Matrix<Float>) throws -> (RBFFeatures, Matrix<Float>) {
            // The bandwidths are compared on a random projection of the targets to `projectedTargets` columns: a
            // leave-one-out error is a sum of squared residuals, which a Gaussian projection scaled by 1/√k keeps in
            // expectation, and over many pairs with little spread (Johnson–Lindenstrauss). Each comparison then
            // costs k/dy of a full one; only the chosen bandwidth is refitted on the full targets.
            let sketch = targets.columns > Self.projectedTargets
                ? Matrix.multiply(targets, .none, Self.projection(targets.columns), .none) : targets
            var chosen: (error: Double, features: RBFFeatures, values: Matrix<Float>)? = nil
            for features in candidates {
                let values = features(inputs)
                let error = try RidgeRegression(a: values, b: sketch).leaveOneOutError
                if chosen == nil || error < chosen!.error { chosen = (error, features, values) }
            }
            return (chosen!.features, try RidgeRegression(a: chosen!.values, b: targets).weights)
        }
        let (fx, mapXY) = try best(features.x, a, b)
        let (fy, mapYX) = try best(features.y, b, a)
        return try TwoWayKernelAlignment(preprocessX: prepared.preprocessX, preprocessY: prepared.preprocessY,
                                         featuresX: fx, mapXY: mapXY, featuresY: fy, mapYX: mapYX, report: report)
    }

    /// Columns of the random projection the bandwidths are compared on.
    static let projectedTargets = 32

    /// A fixed d × `projectedTargets` Gaussian matrix scaled by 1/√`projectedTargets` (the same for every fit, so
    /// the choice depends on the data alone).
    static func projection(_ d: Int) -> Matrix<Float> {
        var random = SeededRandom(seed: 0x5ce7c4)
        return random.normalMatrix(d, projectedTargets, std: 1 / Double(projectedTargets).squareRoot())
    }
}

/// Two kernel ridge maps used side by side: an X row is embedded as `[unit(φ_X(x̂)·W) | x̂] / √2`, a Y row as
/// `[ŷ | unit(φ_Y(ŷ)·V)] / √2`, so a cosine between them is the mean of cos(φ_X(x̂)W, ŷ) (X mapped into Y's
/// space) and cos(x̂, φ_Y(ŷ)V) (Y mapped into X's). x̂, ŷ are the centred, unit rows.
///
/// Stored as kind `two-way-kernel-alignment`: `x.mean`, `y.mean` (1 × d), `x.centres` (m × dx), `x.transform`
/// (m × r), `x.bandwidth` (1 × 1, double), `xy.map` (r × dy), and `y.centres`, `y.transform`, `y.bandwidth`,
/// `yx.map` likewise.
public struct TwoWayKernelAlignment: StorableModel, Equatable {
    /// Centring and normalisation of X rows.
    public var preprocessX: RowPreprocessing
    /// Centring and normalisation of Y rows.
    public var preprocessY: RowPreprocessing
    /// Kernel features of the X side.
    public var featuresX: RBFFeatures
    /// r × dy: X's features into Y's space.
    public var mapXY: Matrix<Float>
    /// Kernel features of the Y side.
    public var featuresY: RBFFeatures
    /// r' × dx: Y's features into X's space.
    public var mapYX: Matrix<Float>
    /// What was fitted and why.
    public var report: FitReport

    /// A model from its parts (shapes checked).
    public init(preprocessX: RowPreprocessing, preprocessY: RowPreprocessing, featuresX: RBFFeatures, mapXY: Matrix<Float>,
                featuresY: RBFFeatures, mapYX: Matrix<Float>, report: FitReport) throws {
        let dx = preprocessX.mean.count, dy = preprocessY.mean.count
        guard featuresX.centres.columns == dx, featuresY.centres.columns == dy,
              mapXY.rows == featuresX.count, mapXY.columns == dy, mapYX.rows == featuresY.count, mapYX.columns == dx else {
            throw AlignmentError.shapeMismatch("two-way kernel alignment: centres of \(featuresX.centres.columns) and \(featuresY.centres.columns) columns, maps \(mapXY.rows)×\(mapXY.columns) and \(mapYX.rows)×\(mapYX.columns), for inputs of \(dx) and \(dy) columns with \(featuresX.count) and \(featuresY.count) features")
        }
        self.preprocessX = preprocessX; self.preprocessY = preprocessY
        self.featuresX = featuresX; self.mapXY = mapXY; self.featuresY = featuresY; self.mapYX = mapYX
        self.report = report
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
            return TwoWayAlignment.sideBySide(Matrix.multiply(featuresX(unit), .none, mapXY, .none), unit)
        }
    }

    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(y, .y) {
            let unit = try preprocessY.embed($0)
            return TwoWayAlignment.sideBySide(unit, Matrix.multiply(featuresY(unit), .none, mapYX, .none))
        }
    }

    public static var kind: String { "two-way-kernel-alignment" }

    public var storedForm: StoredModel {
        var stored = StoredModel(kind: Self.kind, report: report)
        stored.storeRow(preprocessX.mean, "x.mean")
        stored.storeRow(preprocessY.mean, "y.mean")
        for (prefix, features) in [("x", featuresX), ("y", featuresY)] {
            stored.tensors[prefix + ".centres"] = features.centres
            stored.tensors[prefix + ".transform"] = features.transform
            stored.storeRow([features.bandwidth], prefix + ".bandwidth")
        }
        stored.tensors["xy.map"] = mapXY
        stored.tensors["yx.map"] = mapYX
        return stored
    }

    public init(stored: StoredModel) throws {
        let r = StoredModelReader(stored)
        let meanX = try r.floatRow("x.mean"), meanY = try r.floatRow("y.mean")
        func features(_ prefix: String, columns: Int) throws -> RBFFeatures {
            let centres = try r.floats(prefix + ".centres", columns: columns, "\(prefix).mean's columns")
            let transform = try r.floats(prefix + ".transform", rows: centres.rows, "one row per centre")
            let bandwidth = try r.row(prefix + ".bandwidth", count: 1)[0]
            do {
                return try RBFFeatures(centres: centres, transform: transform, bandwidth: bandwidth)
            } catch {
                throw StoredModelReader.failure("\(prefix) kernel features: \(error)")
            }
        }
        let fx = try features("x", columns: meanX.count), fy = try features("y", columns: meanY.count)
        let mapXY = try r.floats("xy.map", rows: fx.count, columns: meanY.count, "x.transform's columns × y.mean's")
        let mapYX = try r.floats("yx.map", rows: fy.count, columns: meanX.count, "y.transform's columns × x.mean's")
        try r.requireEverythingUsed("a two-way kernel alignment (x.mean, y.mean, x/y.centres, x/y.transform, x/y.bandwidth, xy.map, yx.map)")
        try self.init(preprocessX: RowPreprocessing(mean: meanX), preprocessY: RowPreprocessing(mean: meanY),
                      featuresX: fx, mapXY: mapXY, featuresY: fy, mapYX: mapYX,
                      report: stored.report ?? .unrecorded(method: Self.kind))
    }
}
