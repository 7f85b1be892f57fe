import LinearAlgebra

/// One known correspondence: row `x` of the X training matrix and row `y` of the Y training matrix are the
/// same underlying item.
public struct KnownPair: Hashable, Sendable, Codable {
    /// Row of X (0-based).
    public var x: Int
    /// Row of Y (0-based).
    public var y: Int
    /// The pair (row `x` of X, row `y` of Y).
    public init(x: Int, y: Int) { self.x = x; self.y = y }
}

/// Weakly paired training data: every training row of each modality, and the few rows known to correspond.
///
/// The paired rows are part of `x` and `y` (they are used as unpaired data too); the remaining rows carry no
/// correspondence. `x` and `y` may have different numbers of rows and columns.
///
/// The same pair listed twice is one pair: `init` keeps its first occurrence, since a repeated pair would
/// count twice in every fit and break methods that match rows one to one. Two *different* pairs that share a
/// row (X row 0 with Y rows 5 and 6) contradict each other; `validate()` refuses them.
public struct WeaklyPairedData: Sendable {
    /// Every training row of modality X.
    public var x: Matrix<Float>
    /// Every training row of modality Y.
    public var y: Matrix<Float>
    /// The known pairs, each once, in the order first given.
    public var pairs: [KnownPair]

    /// Training data from two matrices and the known pairs (repeats of the same pair are dropped).
    public init(x: Matrix<Float>, y: Matrix<Float>, pairs: [KnownPair]) {
        self.x = x
        self.y = y
        var seen = Set<KnownPair>()
        self.pairs = pairs.filter { seen.insert($0).inserted }
    }

    /// The paired rows of X, in pair order.
    public var pairedX: Matrix<Float> { x.rows(pairs.map(\.x)) }
    /// The paired rows of Y, in pair order.
    public var pairedY: Matrix<Float> { y.rows(pairs.map(\.y)) }

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

    /// Throws if a side is empty, a pair points outside its matrix, two pairs contradict each other (one row in
    /// two pairs), or a value is not finite.
    public func validate() throws {
        guard x.rows > 0, y.rows > 0, x.columns > 0, y.columns > 0 else {
            throw AlignmentError.insufficientData("X is \(x.rows)×\(x.columns), Y is \(y.rows)×\(y.columns); both need rows and columns")
        }
        var partnerOfX = [Int: Int](), partnerOfY = [Int: Int]()
        for (k, p) in pairs.enumerated() {
            guard p.x >= 0, p.x < x.rows else {
                throw AlignmentError.invalidPair(index: k, "refers to X row \(p.x), but X has \(x.rows) rows")
            }
            guard p.y >= 0, p.y < y.rows else {
                throw AlignmentError.invalidPair(index: k, "refers to Y row \(p.y), but Y has \(y.rows) rows")
            }
            if let other = partnerOfX.updateValue(p.y, forKey: p.x) {
                if other == p.y { throw AlignmentError.invalidPair(index: k, "repeats the pair (\(p.x), \(p.y))") }
                throw AlignmentError.invalidPair(index: k, "pairs X row \(p.x) with Y row \(p.y), but an earlier pair gives it Y row \(other)")
            }
            if let other = partnerOfY.updateValue(p.x, forKey: p.y) {
                throw AlignmentError.invalidPair(index: k, "pairs Y row \(p.y) with X row \(p.x), but an earlier pair gives it X row \(other)")
            }
        }
        try requireUsable(x, "X")
        try requireUsable(y, "Y")
        try requireVariation(x, "X")
        try requireVariation(y, "Y")
    }
}

extension WeaklyPairedData {
    /// The default bound on rows per side a fit works with (`FitContext.coreRows`): as many as the similarity
    /// profiles' reference holds. Chosen by measurement: on the text pairs (14 656 rows) it is the whole data, and
    /// a smaller core lost accuracy (docs/results.md).
    public static let defaultCoreRows = 16_384

    /// At most `rows` rows per side: every paired row, and a random sample (seeded by `seed`) of the unpaired
    /// rows to fill the rest, in their original order; the pairs renumbered. A side with no more rows than that is
    /// kept whole, so small data are never sampled.
    public func core(rows limit: Int, seed: UInt64) -> WeaklyPairedData {
        guard x.rows > limit || y.rows > limit else { return self }
        var random = SeededRandom(seed: seed ^ 0xc0_4e5a_3b1e)
        func kept(_ count: Int, paired: Set<Int>) -> [Int] {
            guard count > limit else { return Array(0..<count) }
            let unpaired = (0..<count).filter { !paired.contains($0) }
            let room = max(0, limit - paired.count)
            let sample = random.permutation(unpaired.count).prefix(room).map { unpaired[$0] }
            return (Array(paired) + sample).sorted()
        }
        let rowsX = kept(x.rows, paired: Set(pairs.map(\.x))), rowsY = kept(y.rows, paired: Set(pairs.map(\.y)))
        var newX = [Int: Int](), newY = [Int: Int]()
        for (i, r) in rowsX.enumerated() { newX[r] = i }
        for (i, r) in rowsY.enumerated() { newY[r] = i }
        return WeaklyPairedData(x: x.rows(rowsX), y: y.rows(rowsY),
                                pairs: pairs.compactMap { p in newX[p.x].flatMap { nx in newY[p.y].map { KnownPair(x: nx, y: $0) } } })
    }

    /// The data without the given rows of X and Y, with `pairs` (indices into this data) renumbered; also the
    /// original row of each remaining row, per side.
    func removingRows(x droppedX: Set<Int>, y droppedY: Set<Int>, keepingPairs pairs: [KnownPair])
        -> (data: WeaklyPairedData, rowsX: [Int], rowsY: [Int]) {
        let rowsX = (0..<x.rows).filter { !droppedX.contains($0) }, rowsY = (0..<y.rows).filter { !droppedY.contains($0) }
        var newX = [Int](repeating: -1, count: x.rows), newY = [Int](repeating: -1, count: y.rows)
        for (i, r) in rowsX.enumerated() { newX[r] = i }
        for (i, r) in rowsY.enumerated() { newY[r] = i }
        let kept = pairs.filter { newX[$0.x] >= 0 && newY[$0.y] >= 0 }.map { KnownPair(x: newX[$0.x], y: newY[$0.y]) }
        return (WeaklyPairedData(x: x.rows(rowsX), y: y.rows(rowsY), pairs: kept), rowsX, rowsY)
    }
}

/// Throws `AlignmentError.nonFinite` naming the first NaN or ±∞ of `a` (`what` names the matrix).
func requireFinite(_ a: Matrix<Float>, _ what: String) throws {
    if let bad = a.firstNonFinite() {
        throw AlignmentError.nonFinite(what: what, row: bad.row, column: bad.column, value: Double(bad.value))
    }
}

/// The largest magnitude an input value may have: 10¹⁸.
///
/// Why a bound at all: the methods square and sum input values, and some of those sums are taken in single
/// precision (GEMM products, network layers), whose range ends at 3.4·10³⁸. A value of 10¹⁸ squares to 10³⁶
/// and leaves room for a few hundred terms; real embeddings are many orders of magnitude smaller. Larger values
/// are refused with a message that names them, instead of turning into ±∞ and NaN downstream.
public let maximumInputMagnitude: Float = 1e18

/// Throws naming the first value of `a` that is not finite or whose magnitude exceeds `maximumInputMagnitude`.
func requireUsable(_ a: Matrix<Float>, _ what: String) throws {
    try requireFinite(a, what)
    let found: Int? = a.elements.withUnsafeBufferPointer { b in
        var largest: Float = 0
        for v in b { largest = max(largest, abs(v)) }
        guard largest > maximumInputMagnitude else { return nil }
        return b.firstIndex { abs($0) > maximumInputMagnitude }
    }
    if let k = found {
        let row = k / max(a.columns, 1), column = k % max(a.columns, 1)
        throw AlignmentError.invalidInput("\(what) has \(a.elements[k]) at row \(row), column \(column): values beyond ±\(maximumInputMagnitude) overflow single precision when squared and summed; rescale the data")
    }
}

/// Throws when every row of `a` is the same (rank 0 after centring): no map can tell its rows apart, so every
/// embedding would be the same vector.
func requireVariation(_ a: Matrix<Float>, _ what: String) throws {
    guard a.rows >= 2 else { return }
    let varies: Bool = a.elements.withUnsafeBufferPointer { b in
        let d = a.columns
        for i in 1..<a.rows { for j in 0..<d where b[i * d + j] != b[j] { return true } }
        return false
    }
    if !varies {
        throw AlignmentError.invalidInput("\(what) has rank 0: all \(a.rows) rows are the same, so no map can tell them apart")
    }
}

/// `body(input)` after checking the input rows (`requireUsable`), with its output checked: a model whose
/// output is not finite for a usable input throws, naming the input row, instead of returning NaN or ±∞.
func checkedEmbedding(_ input: Matrix<Float>, _ side: Modality, _ body: (Matrix<Float>) throws -> Matrix<Float>) throws -> Matrix<Float> {
    let name = side == .x ? "X" : "Y"
    try requireUsable(input, "\(name) input")
    let output = try body(input)
    if let bad = output.firstNonFinite() {
        var largest: Float = 0
        for j in 0..<input.columns { largest = max(largest, abs(input[bad.row, j])) }
        throw AlignmentError.invalidInput("the embedding of \(name) row \(bad.row) is \(bad.value) in column \(bad.column): the row's values (largest magnitude \(largest)) lie too far outside what the model was fitted on")
    }
    return output
}
