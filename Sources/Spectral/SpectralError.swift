import LinearAlgebra

/// Errors thrown by the graph and spectral-embedding code.
///
/// Every case says what was wrong with which input, so that a user can act on it without reading the source.
public enum SpectralError: Error, CustomStringConvertible, Equatable {
    /// A parameter is outside its valid range (the message names it and the allowed range).
    case invalidParameter(String)
    /// The data contain NaN or ±Inf (the message names the matrix, row and column).
    case nonFiniteInput(String)
    /// A row has zero norm, so its cosine distance to anything is undefined.
    case zeroRow(matrix: String, row: Int)
    /// Two inputs disagree in shape (the message gives expected vs found).
    case dimensionMismatch(String)
    /// The neighbour graph has more than one connected component and the configuration asked to fail.
    case disconnectedGraph(components: Int, largestSizes: [Int])
    /// A vertex has no edge at all, so the random walk from it (and D^{-1/2}) is undefined.
    case isolatedVertex(Int)
    /// The eigensolver ran out of its iteration or time budget; `report` says how far it got.
    case eigensolverDidNotConverge(report: String)
    /// The Nyström extension divides by an eigenvalue that is (numerically) zero or negative.
    case nystromUndefined(eigenvalue: Double, index: Int)

    public var description: String {
        switch self {
        case let .invalidParameter(message):
            return "invalid parameter: \(message)"
        case let .nonFiniteInput(message):
            return "non-finite input: \(message)"
        case let .zeroRow(matrix, row):
            return "row \(row) of \(matrix) has zero norm: its cosine distance is undefined "
                + "(remove the row or use the euclidean metric)"
        case let .dimensionMismatch(message):
            return "dimension mismatch: \(message)"
        case let .disconnectedGraph(components, sizes):
            return "the neighbour graph has \(components) connected components (largest sizes \(sizes)); "
                + "choose DisconnectedGraphStrategy.connectWeakly or .embedPerComponent, or increase k"
        case let .isolatedVertex(i):
            return "vertex \(i) has no edge (zero degree): the random walk from it is undefined"
        case let .eigensolverDidNotConverge(report):
            return "eigensolver did not converge: \(report)"
        case let .nystromUndefined(eigenvalue, index):
            return "Nyström extension undefined for eigenvector \(index): its eigenvalue \(eigenvalue) is not "
                + "safely positive (the extension divides by it; NystromExtension.minimumEigenvalue is "
                + "\(NystromExtension.minimumEigenvalue))"
        }
    }
}

/// Throws `nonFiniteInput` naming the first NaN/Inf element of `x`.
func requireFinite(_ x: Matrix<Float>, _ name: String) throws {
    let firstBad = x.elements.withUnsafeBufferPointer { buf -> Int? in
        for i in 0..<buf.count where !buf[i].isFinite { return i }
        return nil
    }
    if let i = firstBad {
        throw SpectralError.nonFiniteInput("\(name) has \(x.elements[i]) at row \(i / x.columns), column \(i % x.columns)")
    }
}
