/// Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by the implicit QL algorithm with
/// Wilkinson shifts.
///
/// The matrix has diagonal `d[0..<n]` and off-diagonal `e[0..<n-1]`. Each QL step chases a bulge from
/// the bottom of the unreduced block to its top with plane rotations (the implicit Q theorem lets us do
/// this without forming `T − σI`); the shift σ is the eigenvalue of the leading 2×2 block closest to
/// `d[l]`, which gives cubic convergence in practice (Wilkinson, *The Algebraic Eigenvalue Problem*, 1965;
/// Bowdler, Martin, Reinsch & Wilkinson, "The QR and QL algorithms for symmetric matrices", Numer. Math.
/// 11, 1968 — the EISPACK `tql2` procedure; Golub & Van Loan §8.3).
///
/// An off-diagonal `e[m]` is declared negligible when `|e[m]| ≤ ε·(|d[m]| + |d[m+1]|)`, which splits
/// the problem. The whole matrix is first scaled by a power of two so that its largest entry is about 1,
/// which keeps the shift computation away from overflow and is exact.
///
/// Eigenvectors: the rotations are accumulated into `Zᵀ` (row `j` = eigenvector `j`), so that every
/// rotation combines two contiguous rows. Since the iteration on `d`, `e` never reads Z, the rotations
/// need not be applied immediately: those of many consecutive QL sweeps are recorded in a
/// `RotationBatch` and then applied column chunk by column chunk, in parallel over chunks. A chunk
/// (all n rows × a few dozen columns) stays in L2 while every recorded sweep passes over it, so Z
/// travels through main memory once per batch instead of once per sweep.
///
/// Returns the eigenvalues ascending and, when `computeVectors` is true, the unit eigenvectors as the
/// columns of `vectors`. Throws `dimensionMismatch` unless `offDiagonal` has `n − 1` entries, `nonFinite`
/// for NaN/Inf input, and `noConvergence` after `30·n + 30` QL iterations in total.
public func symmetricTridiagonalEigen(diagonal: [Double], offDiagonal: [Double],
                                      computeVectors: Bool = true) throws -> (values: [Double], vectors: Matrix<Double>?) {
    let n = diagonal.count
    guard offDiagonal.count == max(0, n - 1) else {
        throw LinearAlgebraError.dimensionMismatch(
            "tridiagonal off-diagonal must have \(max(0, n - 1)) entries for a diagonal of \(n), found \(offDiagonal.count)")
    }
    if let i = diagonal.firstIndex(where: { !$0.isFinite }) {
        throw LinearAlgebraError.nonFinite("tridiagonal diagonal[\(i)] = \(diagonal[i])")
    }
    if let i = offDiagonal.firstIndex(where: { !$0.isFinite }) {
        throw LinearAlgebraError.nonFinite("tridiagonal offDiagonal[\(i)] = \(offDiagonal[i])")
    }
    let (values, zt) = try tridiagonalQL(diagonal: diagonal, offDiagonal: offDiagonal, computeVectors: computeVectors)
    guard let zt else { return (values, nil) }
    // Rows of zt are the eigenvectors; the public convention is columns.
    return (values, zt.transposed)
}

/// The QL iteration proper. Returns the eigenvalues ascending and, if requested, `Zᵀ` (row `j` is the unit
/// eigenvector for `values[j]`). Inputs must be finite.
///
/// `initial` (n × k): the rotations are applied to it instead of to the identity, so that `Zᵀ·initial` is
/// returned in place of `Zᵀ` (rows sorted the same way) for k·n² work instead of n³.
func tridiagonalQL(diagonal: [Double], offDiagonal: [Double],
                   computeVectors: Bool, initial: Matrix<Double>? = nil) throws -> (values: [Double], zt: Matrix<Double>?) {
    let n = diagonal.count
    if n == 0 { return ([], computeVectors ? Matrix(rows: 0, columns: 0) : nil) }
    var maxAbs = 0.0
    for x in diagonal { maxAbs = max(maxAbs, abs(x)) }
    for x in offDiagonal { maxAbs = max(maxAbs, abs(x)) }
    let scale = FactorKernels.scaleToUnit(maxAbs)
    var d = diagonal.map { $0 * scale }
    var e = offDiagonal.map { $0 * scale } + [0]           // e[n-1] = 0 is a sentinel
    var zt: Matrix<Double>? = computeVectors ? initial ?? Matrix<Double>.identity(n) : nil
    let eps = Double.ulpOfOne
    let maxIterations = 30 * n + 30
    var iterations = 0
    var batch = RotationBatch(rows: n)

    for l in 0..<n {
        while true {
            // Find the first negligible off-diagonal at or below l: T splits there.
            var m = l
            while m < n - 1 {
                let dd = abs(d[m]) + abs(d[m + 1])
                if abs(e[m]) <= eps * dd || abs(e[m]) < Double.leastNormalMagnitude { break }
                m += 1
            }
            if m == l { break }                              // d[l] is an eigenvalue
            iterations += 1
            if iterations > maxIterations {
                throw LinearAlgebraError.noConvergence(algorithm: "symmetric tridiagonal QL", iterations: maxIterations)
            }
            // Wilkinson shift: the eigenvalue of [[d_l, e_l], [e_l, d_{l+1}]] closest to d_l.
            var g = (d[l + 1] - d[l]) / (2 * e[l])
            var r = Householder.hypotenuse(g, 1)
            g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
            var s = 1.0, c = 1.0, p = 0.0
            var i = m - 1
            var deflatedEarly = false
            // Chase the bulge upwards from m-1 to l with rotations in planes (i, i+1).
            while i >= l {
                let f = s * e[i], b = c * e[i]
                r = Householder.hypotenuse(f, g)
                e[i + 1] = r
                if r == 0 {
                    // Underflow: the rotation is the identity and T has split at i+1; restart.
                    d[i + 1] -= p
                    e[m] = 0
                    deflatedEarly = true
                    break
                }
                s = f / r
                c = g / r
                g = d[i + 1] - p
                r = (d[i] - g) * s + 2 * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                if computeVectors { batch.record(cosine: c, sine: s) }
                i -= 1
            }
            if computeVectors {
                // Rotations i = m-1 down to (i+1) were recorded; they are applied in that order.
                batch.endSweep(from: m - 1, downTo: i + 1)
                if batch.isFull { batch.apply(to: &zt!) }
            }
            if deflatedEarly { continue }
            d[l] -= p
            e[l] = g
            e[m] = 0
        }
    }

    if computeVectors { batch.apply(to: &zt!) }
    // Sort ascending (stable on ties, by index) and undo the scaling.
    let order = (0..<n).sorted { d[$0] < d[$1] || (d[$0] == d[$1] && $0 < $1) }
    let values = order.map { d[$0] / scale }
    guard let z = zt else { return (values, nil) }
    if order == Array(0..<n) { return (values, z) }
    return (values, z.rows(order))
}

/// Plane rotations of consecutive QL sweeps, recorded for deferred application to `Zᵀ`.
///
/// Sweep `k` covers rotations `i = from_k, from_k − 1, …, downTo_k`, each acting on rows `(i, i+1)` as
/// `row_{i+1} ← s·row_i + c·row_{i+1}`, `row_i ← c·row_i − s·row_{i+1}` (the columns-of-Z update of `tql2`
/// written for `Zᵀ`). Applying every sweep to one chunk of columns before moving to the next gives the
/// same floating-point result as applying them sweep by sweep (each element sees the same operations in
/// the same order), independent of the chunking and of the thread count.
struct RotationBatch {
    private(set) var cosines: [Double] = []
    private(set) var sines: [Double] = []
    private(set) var sweeps: [(from: Int, downTo: Int, offset: Int)] = []
    private var sweepStart = 0
    let capacity: Int

    init(rows: Int) {
        capacity = max(4096, 64 * rows)
        cosines.reserveCapacity(capacity + rows)
        sines.reserveCapacity(capacity + rows)
    }

    var isFull: Bool { cosines.count >= capacity }

    mutating func record(cosine: Double, sine: Double) {
        cosines.append(cosine)
        sines.append(sine)
    }

    mutating func endSweep(from: Int, downTo: Int) {
        if from >= downTo { sweeps.append((from, downTo, sweepStart)) }
        sweepStart = cosines.count
    }

    /// Applies all recorded sweeps to `zt` and empties the batch.
    mutating func apply(to zt: inout Matrix<Double>) {
        defer {
            cosines.removeAll(keepingCapacity: true)
            sines.removeAll(keepingCapacity: true)
            sweeps.removeAll(keepingCapacity: true)
            sweepStart = 0
        }
        if sweeps.isEmpty { return }
        let n = zt.columns
        // Chunk width: about 512 KB of Z per chunk (n rows × width doubles) so it stays in L2.
        let width = max(16, min(256, (65536 / max(zt.rows, 1)) / 8 * 8))
        let sweepList = sweeps
        cosines.withUnsafeBufferPointer { cs in
            sines.withUnsafeBufferPointer { sn in
                zt.withMutableView { z in
                    Parallel.forEachChunk(n, chunk: width) { columns in
                        let count = columns.count, c0 = columns.lowerBound
                        for sweep in sweepList {
                            var index = sweep.offset
                            var i = sweep.from
                            // Two consecutive rotations (i, i+1) then (i−1, i) at once: row i stays in a
                            // register between them, saving a quarter of the loads and stores.
                            while i - 1 >= sweep.downTo {
                                let top = z.row(i + 1) + c0, middle = z.row(i) + c0, bottom = z.row(i - 1) + c0
                                let c1 = cs[index], s1 = sn[index], c2 = cs[index + 1], s2 = sn[index + 1]
                                for k in 0..<count {
                                    let f = top[k], x = middle[k], y = bottom[k]
                                    top[k] = s1 * x + c1 * f
                                    let x1 = c1 * x - s1 * f
                                    middle[k] = s2 * y + c2 * x1
                                    bottom[k] = c2 * y - s2 * x1
                                }
                                index += 2
                                i -= 2
                            }
                            while i >= sweep.downTo {
                                let lower = z.row(i) + c0, upper = z.row(i + 1) + c0
                                let c = cs[index], s = sn[index]
                                for k in 0..<count {
                                    let f = upper[k], x = lower[k]
                                    upper[k] = s * x + c * f
                                    lower[k] = c * x - s * f
                                }
                                index += 1
                                i -= 1
                            }
                        }
                    }
                }
            }
        }
    }
}
