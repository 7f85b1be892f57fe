import LinearAlgebra

/// Feature preprocessing shared by every linear aligner: subtract the mean of the training rows (all of them,
/// paired and unpaired: the mean needs no pairs), then scale each row to unit length.
///
/// Why: the cosine geometry that retrieval uses is only meaningful around the data's centre (an encoder whose
/// vectors share a strong common direction gives every pair a high cosine otherwise), and unit rows make the
/// ridge/CCA/Procrustes fits insensitive to the encoders' overall scale.
public struct RowPreprocessing: Sendable, Equatable, Codable {
    /// The mean subtracted from every row.
    public var mean: [Float]

    /// Preprocessing with a given mean.
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
    public func embed(_ a: Matrix<Float>) throws -> Matrix<Float> {
        guard a.columns == mean.count else {
            throw AlignmentError.shapeMismatch("input has \(a.columns) columns, the model was fitted on \(mean.count)")
        }
        var c = a
        let d = a.columns
        c.elements.withUnsafeMutableBufferPointer { p in
            for i in 0..<a.rows { for j in 0..<d { p[i * d + j] -= mean[j] } }
        }
        return c.normalizedRows()
    }
}

/// The preprocessed training data every linear aligner starts from.
struct PreparedProblem {
    var preprocessX: RowPreprocessing
    var preprocessY: RowPreprocessing
    /// All X rows, centred and normalised.
    var x: Matrix<Float>
    /// All Y rows, centred and normalised.
    var y: Matrix<Float>
    var pairs: [KnownPair]

    init(_ problem: WeaklyPairedData) throws {
        try problem.validate()
        preprocessX = RowPreprocessing(fittedOn: problem.x)
        preprocessY = RowPreprocessing(fittedOn: problem.y)
        x = try preprocessX.embed(problem.x)
        y = try preprocessY.embed(problem.y)
        pairs = problem.pairs
    }

    /// The known-pair rows, in pair order, as (X rows, Y rows).
    func pairedRows(_ subset: [KnownPair]? = nil) -> (x: Matrix<Float>, y: Matrix<Float>) {
        let p = subset ?? pairs
        return (x.rows(p.map(\.x)), y.rows(p.map(\.y)))
    }

    /// The linear model with this problem's preprocessing and the given maps.
    func model(mapX: Matrix<Float>, mapY: Matrix<Float>, report: FitReport) throws -> LinearAlignment {
        try LinearAlignment(preprocessX: preprocessX, preprocessY: preprocessY, mapX: mapX, mapY: mapY, report: report)
    }
}
