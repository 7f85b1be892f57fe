import Foundation
import LinearAlgebra

extension WeaklyPairedData {
    /// Throws if a pair points outside its matrix, or a row is used by two pairs, or the data are not finite.
    public func validate() throws {
        guard x.rows > 0, y.rows > 0, x.columns > 0, y.columns > 0 else {
            throw AlignmentError.insufficientData("alignment: X is \(x.rows)×\(x.columns), Y is \(y.rows)×\(y.columns); both need rows and columns")
        }
        var seenX = Set<Int>(), seenY = Set<Int>()
        for (k, p) in pairs.enumerated() {
            guard p.x >= 0, p.x < x.rows else {
                throw AlignmentError.invalidPair("pair \(k) refers to X row \(p.x), but X has \(x.rows) rows")
            }
            guard p.y >= 0, p.y < y.rows else {
                throw AlignmentError.invalidPair("pair \(k) refers to Y row \(p.y), but Y has \(y.rows) rows")
            }
            guard seenX.insert(p.x).inserted else { throw AlignmentError.invalidPair("X row \(p.x) appears in two pairs (second: pair \(k))") }
            guard seenY.insert(p.y).inserted else { throw AlignmentError.invalidPair("Y row \(p.y) appears in two pairs (second: pair \(k))") }
        }
        try checkAllFinite(x, "alignment: X")
        try checkAllFinite(y, "alignment: Y")
    }

    /// Rows of X that are in no known pair, in increasing order.
    public var unpairedXRows: [Int] {
        let used = Set(pairs.map(\.x))
        return (0..<x.rows).filter { !used.contains($0) }
    }

    /// Rows of Y that are in no known pair, in increasing order.
    public var unpairedYRows: [Int] {
        let used = Set(pairs.map(\.y))
        return (0..<y.rows).filter { !used.contains($0) }
    }
}

/// Feature preprocessing shared by every linear aligner: subtract the mean of the training rows (all of them,
/// paired and unpaired: the mean needs no pairs), then scale each row to unit length.
///
/// Why: the cosine geometry that retrieval uses is only meaningful around the data's centre (an encoder whose
/// vectors share a strong common direction gives every pair a high cosine otherwise), and unit rows make the
/// ridge/CCA/Procrustes fits insensitive to the encoders' overall scale.
public struct RowPreprocessing: Sendable, Equatable, Codable {
    public var mean: [Float]

    public init(mean: [Float]) { self.mean = mean }

    /// The mean of all rows of `a`, accumulated in Double in a fixed order.
    public init(fittedOn a: Matrix<Float>) {
        var m = [Double](repeating: 0, count: a.columns)
        for i in 0..<a.rows {
            for j in 0..<a.columns { m[j] += Double(a[i, j]) }
        }
        mean = m.map { Float($0 / Double(max(a.rows, 1))) }
    }

    /// Centred, unit-length rows.
    public func apply(_ a: Matrix<Float>) throws -> Matrix<Float> {
        guard a.columns == mean.count else {
            throw AlignmentError.shapeMismatch("preprocessing: input has \(a.columns) columns, the model was fitted on \(mean.count)")
        }
        var c = a
        let d = a.columns
        c.elements.withUnsafeMutableBufferPointer { p in
            for i in 0..<a.rows { for j in 0..<d { p[i * d + j] -= mean[j] } }
        }
        return normalisedRows(c)
    }
}

/// The common form of every aligner in this layer: preprocess each side, multiply by a matrix.
///
/// `embedX(x) = pre_X(x)·mapX` and `embedY(y) = pre_Y(y)·mapY`. For ridge `mapY` is the identity (the shared
/// space is Y's own space); for CCA and self-learning both sides are projected onto canonical directions.
public struct LinearAlignment: SharedEmbedding, Sendable, Equatable {
    public var preprocessX: RowPreprocessing
    public var preprocessY: RowPreprocessing
    /// dx × r
    public var mapX: Matrix<Float>
    /// dy × r
    public var mapY: Matrix<Float>

    public init(preprocessX: RowPreprocessing, preprocessY: RowPreprocessing, mapX: Matrix<Float>, mapY: Matrix<Float>) {
        precondition(mapX.columns == mapY.columns, "both maps must land in the same shared dimension")
        self.preprocessX = preprocessX
        self.preprocessY = preprocessY
        self.mapX = mapX
        self.mapY = mapY
    }

    public var dimension: Int { mapX.columns }

    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        Matrix.multiply(try preprocessX.apply(x), .none, mapX, .none)
    }

    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        Matrix.multiply(try preprocessY.apply(y), .none, mapY, .none)
    }
}

/// The preprocessed training data every linear aligner starts from.
struct PreparedProblem {
    var preprocessX: RowPreprocessing
    var preprocessY: RowPreprocessing
    /// All X rows, centred and normalised.
    var x: Matrix<Float>
    var y: Matrix<Float>
    var pairs: [KnownPair]

    init(_ problem: WeaklyPairedData) throws {
        try problem.validate()
        preprocessX = RowPreprocessing(fittedOn: problem.x)
        preprocessY = RowPreprocessing(fittedOn: problem.y)
        x = try preprocessX.apply(problem.x)
        y = try preprocessY.apply(problem.y)
        pairs = problem.pairs
    }

    /// The known-pair rows, in pair order, as (X rows, Y rows).
    func pairedRows(_ subset: [KnownPair]? = nil) -> (x: Matrix<Float>, y: Matrix<Float>) {
        let p = subset ?? pairs
        return (x.rows(p.map(\.x)), y.rows(p.map(\.y)))
    }

    func model(mapX: Matrix<Float>, mapY: Matrix<Float>) -> LinearAlignment {
        LinearAlignment(preprocessX: preprocessX, preprocessY: preprocessY, mapX: mapX, mapY: mapY)
    }
}
