import LinearAlgebra

/// Each wide side's leading principal directions: the space self-learning's rounds work in when a side has more
/// than `SelfLearning.maxRoundColumns` columns (see there for why). Pair-free, so a second run on the same rows
/// reuses them.
///
/// The directions are the leading eigenvectors of the preprocessed rows' second-moment matrix XᵀX (the rows are
/// centred on the mean of all training rows, which is the centre the rounds' CCA takes its moments about), from
/// `leadingRightSingularVectors` (through the rows' Gram matrix when they are fewer than the columns). Reducing
/// each side to its leading principal subspace before CCA is the SVCCA recipe (Raghu, Gilmer, Yosinski &
/// Sohl-Dickstein 2017): the directions of small variance are where a CCA fitted on a few thousand noisy pairs
/// finds spurious correlation, and they cost the most in its d × d solves.
struct RoundBases: Sendable {
    /// d × k orthonormal columns for X, nil when X is used at its own width.
    var x: Matrix<Float>?
    /// d × k orthonormal columns for Y, nil when Y is used at its own width.
    var y: Matrix<Float>?

    /// The bases of the sides wider than `columns`; nil when neither is (or when `columns` is nil).
    static func fitted(_ prepared: PreparedProblem, columns: Int?, seed: UInt64) throws -> RoundBases? {
        guard let columns, prepared.x.columns > columns || prepared.y.columns > columns else { return nil }
        func basis(_ rows: Matrix<Float>, salt: UInt64) throws -> Matrix<Float>? {
            guard rows.columns > columns else { return nil }
            return try leadingRightSingularVectors(rows, count: columns, seed: seed ^ salt)
        }
        return RoundBases(x: try basis(prepared.x, salt: 0x0b5e_0001), y: try basis(prepared.y, salt: 0x0b5e_0002))
    }

    /// The progress line that says which widths the rounds work in, for the problem the bases were fitted on.
    func summary(of full: PreparedProblem) -> String {
        "rounds on the leading \(x?.columns ?? full.x.columns) and \(y?.columns ?? full.y.columns) principal components of X's \(full.x.columns) and Y's \(full.y.columns) columns"
    }
}

extension PreparedProblem {
    /// The same problem with each side's rows given in the coordinates of its round basis (as they are when the
    /// side has none). The rows keep their preprocessing; they are no longer exactly unit length, having lost the
    /// part outside the subspace.
    func projected(onto bases: RoundBases?) -> PreparedProblem {
        guard let bases else { return self }
        var copy = self
        if let b = bases.x { copy.x = Matrix.multiply(x, .none, b) }
        if let b = bases.y { copy.y = Matrix.multiply(y, .none, b) }
        return copy
    }
}
