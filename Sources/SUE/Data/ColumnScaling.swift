import LinearAlgebra

/// Per-column divisors for one modality whose columns are on unequal scales: features in mixed units (a
/// temperature beside a pressure beside a fraction), or counts beside rates.
///
/// Every aligner centres each row and scales it to unit length (`RowPreprocessing`), which is right for an
/// encoder's embedding, whose columns share one scale. Where the columns' scales differ by decades, the few
/// largest columns make up nearly all of every row's length, so the normalised rows keep only those columns and
/// the others' information is lost before any map is fitted. Dividing each column by its standard deviation
/// first (standardisation, as a z-score) gives every column an equal say. It is not the default: on an
/// embedding whose columns already share a scale it changes nothing useful, and where the scales differ because
/// the columns differ in importance (principal components, whose scales fall with their rank) it would give
/// the noise components the weight of the leading ones. `Automatic` therefore tries it only where the scales are
/// very unequal (`spread`), and keeps it only if ridge retrieves the known pairs clearly better with it.
public struct ColumnScaling: Sendable, Equatable {
    /// The divisor of each column (all positive and finite).
    public var scale: [Float]

    /// Scaling by given divisors; throws `AlignmentError.invalidInput` if one is not positive and finite.
    public init(scale: [Float]) throws {
        if let j = scale.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
            throw AlignmentError.invalidInput("column scale \(j) is \(scale[j]); every column's divisor must be positive and finite")
        }
        self.scale = scale
    }

    /// Each column's standard deviation over the rows of `a` (accumulated in Double, two passes, fixed order),
    /// with two floors, so that no column is blown up from nothing:
    /// - a column that varies by less than `constantTolerance` of its own magnitude is constant — what varies
    ///   there is rounding, not signal — and is divided by that fraction of its magnitude;
    /// - a column whose spread is below `emptyColumnFraction` of the median varying column's is empty (an
    ///   encoder's dead dimension holds values near 10⁻³³) and is divided by that fraction of the median, so
    ///   that it stays that much smaller than the others.
    public init(fittedOn a: Matrix<Float>) {
        let (means, deviations) = Self.columnMoments(a)
        let varying = Self.varyingDeviations(means, deviations)
        let typical = varying.isEmpty ? 1 : varying[varying.count / 2]
        scale = zip(means, deviations).map { mean, deviation in
            Float(max(deviation, Self.constantTolerance * abs(mean), Self.emptyColumnFraction * typical))
        }
    }

    /// Relative variation below which a column counts as constant: a little above single precision's rounding
    /// (about 6·10⁻⁸ of the value) accumulated over the arithmetic that produced the values.
    public static let constantTolerance = 1e-5

    /// Spread, as a fraction of the median column's, below which a column counts as empty. Six decades below the
    /// median is beyond any mix of units met in practice, and far above the dead dimensions of encoders.
    public static let emptyColumnFraction = 1e-6

    /// How unequal the columns' scales of `a` are, over the columns neither constant nor empty
    /// (`init(fittedOn:)`): the larger of the 90th percentile of their standard deviations over the 10th, and
    /// the largest over the median. Encoders' embeddings and their principal components stay within a small
    /// factor on both (docs/notebook.md); features in mixed units differ by decades. 1 for fewer than two such
    /// columns.
    public static func spread(of a: Matrix<Float>) -> Double {
        let (means, deviations) = columnMoments(a)
        let all = varyingDeviations(means, deviations)
        let varying = all.filter { $0 >= emptyColumnFraction * (all.isEmpty ? 0 : all[all.count / 2]) }
        guard varying.count >= 2 else { return 1 }
        func quantile(_ q: Double) -> Double { varying[Int((q * Double(varying.count - 1)).rounded())] }
        return max(quantile(0.9) / quantile(0.1), varying.last! / quantile(0.5))
    }

    /// The standard deviations of the columns that are not constant (see `init(fittedOn:)`), ascending.
    static func varyingDeviations(_ means: [Double], _ deviations: [Double]) -> [Double] {
        zip(means, deviations).filter { $0.1 > constantTolerance * abs($0.0) && $0.1 > 0 }.map(\.1).sorted()
    }

    /// Column means and standard deviations (population), in Double.
    static func columnMoments(_ a: Matrix<Float>) -> (mean: [Double], deviation: [Double]) {
        let n = a.rows, d = a.columns
        var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
        guard n > 0 else { return (mean, square) }
        a.elements.withUnsafeBufferPointer { p in
            for i in 0..<n { for j in 0..<d { mean[j] += Double(p[i * d + j]) } }
            for j in 0..<d { mean[j] /= Double(n) }
            for i in 0..<n { for j in 0..<d { let c = Double(p[i * d + j]) - mean[j]; square[j] += c * c } }
        }
        return (mean, square.map { ($0 / Double(n)).squareRoot() })
    }

    /// `a` with column j divided by `scale[j]`; throws `AlignmentError.shapeMismatch` if the widths differ.
    public func apply(_ a: Matrix<Float>) throws -> Matrix<Float> {
        guard a.columns == scale.count else {
            throw AlignmentError.shapeMismatch("input has \(a.columns) columns, the column scaling was fitted on \(scale.count)")
        }
        var out = a
        let d = a.columns
        out.elements.withUnsafeMutableBufferPointer { p in
            for i in 0..<a.rows { for j in 0..<d { p[i * d + j] /= scale[j] } }
        }
        return out
    }
}
