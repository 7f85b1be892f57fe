/// Errors thrown by the dense factorisations and solvers (Cholesky, triangular solves, QR, eigen, SVD).
///
/// Every case names the problem precisely enough to act on it: which column failed, which diagonal entry is
/// zero, which algorithm ran out of iterations, which shapes disagree.
public enum LinearAlgebraError: Error, CustomStringConvertible, Equatable {
    /// Cholesky met a pivot that is not strictly positive (or not finite) at `column`: the leading
    /// `(column + 1)×(column + 1)` block is not positive definite. `pivot` is the value whose square root was needed.
    case notPositiveDefinite(column: Int, pivot: Double)
    /// A triangular solve met an exactly zero diagonal entry at `index`.
    case singular(index: Int)
    /// An iterative algorithm hit its iteration cap without converging.
    case noConvergence(algorithm: String, iterations: Int)
    /// Operand shapes are incompatible (the message gives expected vs found).
    case dimensionMismatch(String)
    /// The input contains NaN or ±Inf (the message says which matrix and where).
    case nonFinite(String)
    /// A parameter is outside its valid range (the message names it and the range).
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .notPositiveDefinite(column, pivot):
            return "matrix is not positive definite: Cholesky pivot at column \(column) is \(pivot) (must be > 0)"
        case let .singular(index):
            return "triangular matrix is singular: diagonal entry \(index) is zero"
        case let .noConvergence(algorithm, iterations):
            return "\(algorithm) did not converge within \(iterations) iterations"
        case let .dimensionMismatch(message):
            return "dimension mismatch: \(message)"
        case let .nonFinite(message):
            return "non-finite input: \(message)"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        }
    }
}

/// Which side of the unknown a triangular factor multiplies: `.left` solves op(T)·X = B, `.right` solves X·op(T) = B.
public enum Side: Sendable {
    /// The factor is on the left: solve `op(T)·X = B`.
    case left
    /// The factor is on the right: solve `X·op(T) = B`.
    case right
}

/// Throws `nonFinite` naming the first NaN/Inf element of `a` (row, column), if any.
func checkFinite<S: MatrixScalar>(_ a: Matrix<S>, _ name: String) throws {
    let firstBad = a.elements.withUnsafeBufferPointer { buf -> Int? in
        for i in 0..<buf.count where !buf[i].isFinite { return i }
        return nil
    }
    if let i = firstBad, a.columns > 0 {
        throw LinearAlgebraError.nonFinite("\(name) has \(a[i / a.columns, i % a.columns]) at (\(i / a.columns), \(i % a.columns))")
    }
}

/// Throws `dimensionMismatch` unless `a` is square.
func checkSquare<S: MatrixScalar>(_ a: Matrix<S>, _ name: String) throws {
    guard a.rows == a.columns else {
        throw LinearAlgebraError.dimensionMismatch("\(name) must be square, found \(a.rows)×\(a.columns)")
    }
}
