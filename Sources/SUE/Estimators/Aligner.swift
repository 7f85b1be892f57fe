import Foundation
import LinearAlgebra

/// An estimator of a shared space: a configuration value that learns two maps, one per modality, from weakly
/// paired data.
///
/// As in scikit-learn, the configuration *is* the estimator: `Ridge()`, `CCA()`, `SelfLearning()`,
/// `SUEPipeline()`, `Automatic()`. Its settings are plain stored properties, readable and writable, and `Codable`,
/// so a configuration can be written out and read back. `fit` leaves the configuration untouched and returns a
/// fitted model that holds the learned state; the same data, configuration and seed give the same model, bit for
/// bit, whatever the thread count.
///
/// ```swift
/// let model = try Automatic().fit(WeaklyPairedData(x: x, y: y, pairs: pairs), context: FitContext(seed: 0))
/// let shared = try model.embedY(queries)     // compare with model.embedX(items) by cosine similarity
/// ```
public protocol Aligner: Sendable, Codable {
    /// What `fit` returns.
    associatedtype Model: AlignmentModel
    /// Learns the shared space from `data`; randomness, thread count and progress come from `context`.
    func fit(_ data: WeaklyPairedData, context: FitContext) throws -> Model
}

/// A fitted shared space: two maps, one per modality, into one space of `dimension` columns in which rows of
/// either modality are compared by cosine similarity.
///
/// Every fitted model can be stored: `storedForm` is everything needed to rebuild it (named tensors and
/// metadata; `ModelFile` in the `SUEModelFiles` module writes it as safetensors), and `report` says what was
/// fitted and why. Models are immutable values, safe to share between tasks.
public protocol AlignmentModel: Sendable {
    /// Columns of the shared space.
    var dimension: Int { get }
    /// Columns of the inputs the maps accept: X rows, Y rows.
    var inputColumns: (x: Int, y: Int) { get }
    /// Maps rows of modality X (one item per row) into the shared space.
    func embedX(_ x: Matrix<Float>) throws -> Matrix<Float>
    /// Maps rows of modality Y into the shared space.
    func embedY(_ y: Matrix<Float>) throws -> Matrix<Float>
    /// Everything needed to rebuild the model (see `StoredModel`).
    var storedForm: StoredModel { get }
    /// What was fitted, on what, and why.
    var report: FitReport { get }
    /// Where the shared space is each side's own space side by side (the two-way models), the columns that hold
    /// `modality`'s own space, in which the other side's rows appear mapped; nil where the space is one space.
    func ownSpaceColumns(of modality: Modality) -> Range<Int>?
}

extension AlignmentModel {
    /// One space: no side's own columns.
    public func ownSpaceColumns(of modality: Modality) -> Range<Int>? { nil }

    /// Maps rows of `modality` into the shared space (`embedX` or `embedY`).
    public func embed(_ rows: Matrix<Float>, from modality: Modality) throws -> Matrix<Float> {
        switch modality {
        case .x: return try embedX(rows)
        case .y: return try embedY(rows)
        }
    }

    /// Maps rows of `modality` into the shared space and keeps only `columns` of it (all of them when nil).
    public func embed(_ rows: Matrix<Float>, from modality: Modality, columns: Range<Int>?) throws -> Matrix<Float> {
        let embedded = try embed(rows, from: modality)
        return columns.map { embedded.columns($0) } ?? embedded
    }
}

/// One of the two modalities.
public enum Modality: String, Sendable, Codable, CaseIterable {
    /// The first modality (`WeaklyPairedData.x`).
    case x
    /// The second modality (`WeaklyPairedData.y`).
    case y
    /// The other modality.
    public var other: Modality { self == .x ? .y : .x }
}

/// What a fit records about itself: the method (its catalogue name), why it was chosen, the data's size and the
/// seed. Model files store it as their `report`.
public struct FitReport: Sendable, Equatable, Codable {
    /// Catalogue name of the method that produced the maps (for `Automatic`, the one it chose).
    public var method: String
    /// Why this method: "requested", or the automatic choice's reasoning.
    public var reason: String
    /// Scores of the candidates an automatic choice compared (higher is better), by catalogue name.
    public var selectionScores: [String: Double]
    /// Remarks a user should see, e.g. that a spectral embedding kept fewer dimensions than asked for.
    public var notes: [String]
    /// Number of known pairs used.
    public var pairs: Int
    /// Training rows of X.
    public var xRows: Int
    /// Training rows of Y.
    public var yRows: Int
    /// The seed of the fit.
    public var seed: UInt64
    /// The estimator's configuration as JSON, for the record.
    public var configuration: String

    /// A report with every field given.
    public init(method: String, reason: String = "requested", selectionScores: [String: Double] = [:],
                notes: [String] = [], pairs: Int, xRows: Int, yRows: Int, seed: UInt64, configuration: String = "{}") {
        self.method = method; self.reason = reason; self.selectionScores = selectionScores; self.notes = notes
        self.pairs = pairs; self.xRows = xRows; self.yRows = yRows; self.seed = seed; self.configuration = configuration
    }

    /// The report of a fit of `estimator` (catalogue name `method`) on `data`.
    public init<E: Encodable>(method: String, estimator: E, data: WeaklyPairedData, context: FitContext) {
        self.init(method: method, pairs: data.pairs.count, xRows: data.x.rows, yRows: data.y.rows, seed: context.seed,
                  configuration: jsonText(estimator))
    }

    /// The report of a model rebuilt from stored parameters that carried none.
    public static func unrecorded(method: String) -> FitReport {
        FitReport(method: method, reason: "not recorded", pairs: 0, xRows: 0, yRows: 0, seed: 0)
    }
}

/// A value as compact JSON with sorted keys: the same value always gives the same text.
func jsonText<E: Encodable>(_ value: E) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return "{}" }
    return text
}

/// One progress message of a fit: a stage, how far it is (0…1, when known), and a detail line.
public struct ProgressEvent: Sendable, Equatable {
    /// The step, e.g. "self-learning" or "MMD net".
    public var stage: String
    /// Fraction of the stage done, when known.
    public var fraction: Double?
    /// A human-readable detail ("round 3: 4 210 pseudo-pairs …").
    public var detail: String
    /// An event with every field given.
    public init(stage: String, fraction: Double? = nil, detail: String = "") {
        self.stage = stage; self.fraction = fraction; self.detail = detail
    }
}

/// Everything a `fit` receives besides the data: the seed, the thread count and where progress goes.
public struct FitContext: Sendable {
    /// Seeds every random choice of the fit; the same seed gives the same model.
    public var seed: UInt64
    /// Worker threads for the fit's parallel loops (nil: every core). Results never depend on it.
    public var threads: Int?
    /// Receives progress events of steps longer than about a second.
    public var progress: (@Sendable (ProgressEvent) -> Void)?
    /// Most rows per side a fit works with (nil: all): beyond it, a seeded sample of each side's unpaired rows
    /// (every paired row is kept; see `WeaklyPairedData.core(rows:seed:)`). Matching rows against rows, building
    /// neighbour graphs and profiles cost the square of the rows, so this bounds a fit's time and memory however
    /// large the data; the fitted model embeds any number of rows.
    public var coreRows: Int?

    /// A context with every field given.
    public init(seed: UInt64 = 0, threads: Int? = nil, coreRows: Int? = WeaklyPairedData.defaultCoreRows,
                progress: (@Sendable (ProgressEvent) -> Void)? = nil) {
        self.seed = seed; self.threads = threads; self.coreRows = coreRows; self.progress = progress
    }

    /// Sends a progress event.
    public func report(_ stage: String, _ fraction: Double? = nil, _ detail: String = "") {
        progress?(ProgressEvent(stage: stage, fraction: fraction, detail: detail))
    }

    /// The same context with another seed (for a sub-step whose randomness must not depend on other steps).
    func with(seed: UInt64) -> FitContext {
        var c = self
        c.seed = seed
        return c
    }

    /// Runs `body` on the core of `data` (`coreRows`), with this context's thread count (see `run(_:)`).
    func run<R>(on data: WeaklyPairedData, _ body: (WeaklyPairedData) throws -> R) throws -> R {
        try run { try body(coreRows.map { data.core(rows: $0, seed: seed) } ?? data) }
    }

    /// Runs `body` with this context's thread count. An error of a numerical layer (a factorisation that failed,
    /// a graph that could not be built) becomes an `AlignmentError.numericalFailure` that keeps its message: a
    /// fit throws this module's errors only.
    func run<R>(_ body: () throws -> R) throws -> R {
        do {
            guard let threads else { return try body() }
            return try Parallel.withThreads(threads, body)
        } catch let error as AlignmentError {
            throw error
        } catch {
            throw AlignmentError.numericalFailure("\(error)")
        }
    }
}
