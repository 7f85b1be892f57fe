/// The errors of this module: what is wrong, with the context needed to fix it (which pair, which matrix,
/// which row and column, which tensor of a stored model).
public enum AlignmentError: Error, CustomStringConvertible, Equatable {
    /// Two matrices that must agree in some dimension do not (the message names them and the sizes).
    case shapeMismatch(String)
    /// Known pair number `index` (0-based, in the order given) refers to a row that does not exist, or
    /// contradicts an earlier pair.
    case invalidPair(index: Int, String)
    /// Not enough data for the requested operation (too few rows, pairs or distinct rows).
    case insufficientData(String)
    /// The data cannot be used as given (e.g. a matrix whose rows are all the same).
    case invalidInput(String)
    /// A configuration value is out of range.
    case invalidConfiguration(String)
    /// A method name that is not in the catalogue.
    case unknownMethod(String, available: [String])
    /// NaN or ±∞ in an input or a result: `what` names the matrix.
    case nonFinite(what: String, row: Int, column: Int, value: Double)
    /// Training produced NaN or ±∞ and could not recover.
    case trainingDiverged(String)
    /// Stored model parameters that cannot be rebuilt into a model (a missing or misshapen tensor, a bad entry).
    case invalidModel(String)
    /// A numerical step failed on the data (a factorisation, an eigensolver, a neighbour graph); the message is
    /// that layer's. Degenerate data (duplicate, constant or extreme rows) is the usual cause.
    case numericalFailure(String)

    /// One line naming the problem.
    public var description: String {
        switch self {
        case let .shapeMismatch(m): return "shape mismatch: \(m)"
        case let .invalidPair(index, m): return "known pair \(index): \(m)"
        case let .insufficientData(m): return "insufficient data: \(m)"
        case let .invalidInput(m): return "invalid input: \(m)"
        case let .invalidConfiguration(m): return "invalid configuration: \(m)"
        case let .unknownMethod(name, available):
            return "unknown method '\(name)'; available: \(available.joined(separator: ", "))"
        case let .nonFinite(what, row, column, value):
            return "\(what) has \(value) at row \(row), column \(column); every value must be finite"
        case let .trainingDiverged(m): return "training diverged: \(m)"
        case let .invalidModel(m): return "invalid model: \(m)"
        case let .numericalFailure(m): return "a numerical step failed on these data (\(m)); check them for duplicate, constant or extreme rows"
        }
    }
}
