import LinearAlgebra

/// One known correspondence: row `x` of the X training matrix and row `y` of the Y training matrix are the
/// same underlying item.
public struct KnownPair: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}

/// Weakly paired training data: every training row of each modality, and the few rows known to correspond.
///
/// The paired rows are part of `x` and `y` (they are used as unpaired data too); the remaining rows carry no
/// correspondence. `x` and `y` may have different numbers of rows and columns.
public struct WeaklyPairedData: Sendable {
    public var x: Matrix<Float>
    public var y: Matrix<Float>
    public var pairs: [KnownPair]
    public init(x: Matrix<Float>, y: Matrix<Float>, pairs: [KnownPair]) {
        self.x = x; self.y = y; self.pairs = pairs
    }
    /// The paired rows, in pair order.
    public var pairedX: Matrix<Float> { x.rows(pairs.map(\.x)) }
    public var pairedY: Matrix<Float> { y.rows(pairs.map(\.y)) }
}

/// What every fitted method produces: two maps into one shared space of `dimension` columns, compared by
/// cosine similarity.
public protocol SharedEmbedding {
    var dimension: Int { get }
    func embedX(_ x: Matrix<Float>) throws -> Matrix<Float>
    func embedY(_ y: Matrix<Float>) throws -> Matrix<Float>
}

/// Everything a method's `fit` receives besides the data.
public struct FitContext {
    public var seed: UInt64
    /// Progress lines for steps longer than about a second: (stage, fraction done in 0...1 or nil, detail).
    public var progress: ((String, Double?, String) -> Void)?
    public init(seed: UInt64, progress: ((String, Double?, String) -> Void)? = nil) {
        self.seed = seed; self.progress = progress
    }
    public func report(_ stage: String, _ fraction: Double? = nil, _ detail: String = "") {
        progress?(stage, fraction, detail)
    }
}

/// A named method that can be fitted on weakly paired data: the unit of `sue experiment --methods` and of the
/// automatic choice. Register new methods in `AlignmentMethods.all`.
public struct AlignmentMethod {
    public let name: String
    public let summary: String
    public let fit: (WeaklyPairedData, FitContext) throws -> SharedEmbedding
    public init(name: String, summary: String, fit: @escaping (WeaklyPairedData, FitContext) throws -> SharedEmbedding) {
        self.name = name; self.summary = summary; self.fit = fit
    }
}

/// A fitted embedding that can be stored in a model file (safetensors): named Float tensors plus string
/// metadata. `kind` names the type so that `ModelFormat.load` can rebuild it; every conforming type registers a
/// loader in `ModelFormat.loaders`.
///
/// Values a model computes with in Double (e.g. eigenvectors used by a Nyström extension) go in
/// `storedDoubleTensors()` and are written as F64, so that a loaded model computes the same bits as the fitted
/// one; both requirements have defaults for types that only have Float tensors.
public protocol StorableEmbedding: SharedEmbedding {
    static var kind: String { get }
    /// Everything needed to rebuild the maps; tensor names are the type's own (e.g. "x.weight").
    func storedTensors() -> [String: Matrix<Float>]
    /// Tensors kept in double precision (F64 in the file); names must differ from `storedTensors()`'s.
    /// Default: none.
    func storedDoubleTensors() -> [String: Matrix<Double>]
    /// Small configuration values (numbers as strings); `kind` is added by `ModelFormat`.
    func storedMetadata() -> [String: String]
    init(storedTensors: [String: Matrix<Float>], metadata: [String: String]) throws
    /// Rebuilds from the file's tensors in their stored precision. Default: F64 tensors are narrowed to Float and
    /// passed with the others to `init(storedTensors:metadata:)`.
    init(storedTensors: [String: Matrix<Float>], doubleTensors: [String: Matrix<Double>],
         metadata: [String: String]) throws
}

extension StorableEmbedding {
    public func storedDoubleTensors() -> [String: Matrix<Double>] { [:] }

    public init(storedTensors: [String: Matrix<Float>], doubleTensors: [String: Matrix<Double>],
                metadata: [String: String]) throws {
        var all = storedTensors
        for (name, t) in doubleTensors { all[name] = t.converted(to: Float.self) }
        try self.init(storedTensors: all, metadata: metadata)
    }
}
