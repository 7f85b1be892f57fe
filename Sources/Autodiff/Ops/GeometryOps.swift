import LinearAlgebra

extension Tape {
    /// D[i, j] = ‖aᵢ − bⱼ‖² for the rows of a (m×k) and b (n×k): an m×n matrix.
    ///
    /// Forward uses the expansion ‖aᵢ‖² + ‖bⱼ‖² − 2 aᵢ·bⱼ so that the work is one GEMM; the expansion can lose
    /// digits to cancellation when two rows are much closer than their norms, and can come out a hair below zero,
    /// so results are clamped at 0 (and the diagonal is exactly 0 when `a` and `b` are the same tensor).
    /// The gradient is that of the exact function:
    ///   ∂aᵢ = 2 Σⱼ Gᵢⱼ (aᵢ − bⱼ) = 2 (Σⱼ Gᵢⱼ) aᵢ − 2 (G b)ᵢ,   ∂bⱼ = 2 (Σᵢ Gᵢⱼ) bⱼ − 2 (Gᵀ a)ⱼ,
    /// again one GEMM each. For `pairwiseSquaredDistances(y)` both contributions land in y's gradient.
    @inlinable public func pairwiseSquaredDistances(_ a: Tensor<S>, _ b: Tensor<S>) -> Tensor<S> {
        check(a, "pairwiseSquaredDistances"); check(b, "pairwiseSquaredDistances")
        precondition(a.columns == b.columns,
                     "pairwiseSquaredDistances: rows of a have \(a.columns) features, rows of b have \(b.columns)")
        let m = a.rows, n = b.rows, k = a.columns, same = a === b
        let d = output(m, n, differentiable: a.requiresGradient || b.requiresGradient)
        let normsA = scratch(m)
        squaredRowNorms(a.storage.pointer, rows: m, columns: k, into: normsA)
        let normsB: UnsafeMutablePointer<S>
        if same { normsB = normsA } else { normsB = scratch(n); squaredRowNorms(b.storage.pointer, rows: n, columns: k, into: normsB) }
        gemm(.none, .transposed, alpha: -2, a.view, b.view, beta: 0, d.mutableView)
        let dp = d.storage.pointer
        Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { block in
            for i in block {
                let row = dp + i * n, ni = normsA[i]
                for j in 0..<n { row[j] = Swift.max(0, row[j] + ni + normsB[j]) }
                if same { row[i] = 0 }
            }
        }
        guard d.requiresGradient else { return d }
        d.backwardFunction = { tape, d in
            let g = d.gradientView, gp = d.gradientPointer
            // ∂x = 2·diag(weights)·x − 2·(product), the product already written by a GEMM with alpha = −2.
            func finish(_ x: Tensor<S>, _ dx: UnsafeMutablePointer<S>, weights: UnsafeMutablePointer<S>) {
                let xp = x.storage.pointer, c = x.columns
                Parallel.forEachChunk(x.rows, chunk: rowGrain(columns: c)) { block in
                    for i in block {
                        let w = 2 * weights[i], xi = xp + i * c, di = dx + i * c
                        for j in 0..<c { di[j] += w * xi[j] }
                    }
                }
            }
            if a.requiresGradient {
                let rowTotals = tape.scratch(m)
                Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { block in
                    for i in block { rowTotals[i] = rowSum(gp + i * n, n) }
                }
                let (da, accumulate) = tape.gradientDestination(a)
                gemm(.none, .none, alpha: -2, g, b.view, beta: accumulate ? 1 : 0,
                     MutableMatrixView(base: da, rows: m, columns: k, rowStride: k))
                finish(a, da, weights: rowTotals)
            }
            if b.requiresGradient {
                let columnTotals = tape.scratch(n)
                columnSums(gp, rows: m, columns: n, into: columnTotals, accumulate: false)
                let (db, accumulate) = tape.gradientDestination(b)
                gemm(.transposed, .none, alpha: -2, g, a.view, beta: accumulate ? 1 : 0,
                     MutableMatrixView(base: db, rows: n, columns: k, rowStride: k))
                finish(b, db, weights: columnTotals)
            }
        }
        return d
    }

    /// Squared Euclidean distances between all pairs of rows of x (m×m, zero diagonal).
    @inlinable public func pairwiseSquaredDistances(_ x: Tensor<S>) -> Tensor<S> { pairwiseSquaredDistances(x, x) }

    /// yᵢ = xᵢ / max(‖xᵢ‖, ε): each row scaled to unit length, PyTorch's `F.normalize(x, dim=1, eps=1e-12)`.
    ///
    /// With rᵢ = max(‖xᵢ‖, ε), the Jacobian of x ↦ x/‖x‖ is (I − y yᵀ)/r, so ∂xᵢ = (∂yᵢ − yᵢ (yᵢ·∂yᵢ)) / rᵢ;
    /// for a row shorter than ε the map is the linear x/ε and ∂xᵢ = ∂yᵢ/ε.
    @inlinable public func l2NormalizedRows(_ x: Tensor<S>, epsilon: S = 1e-12) -> Tensor<S> {
        check(x, "l2NormalizedRows")
        let m = x.rows, n = x.columns
        let y = output(m, n, differentiable: x.requiresGradient)
        let radii = scratch(m)
        squaredRowNorms(x.storage.pointer, rows: m, columns: n, into: radii)
        let xp = x.storage.pointer, yp = y.storage.pointer
        Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { block in
            for i in block {
                radii[i] = Swift.max(radii[i].squareRoot(), epsilon)
                let inverse = 1 / radii[i]
                for j in 0..<n { yp[i * n + j] = xp[i * n + j] * inverse }
            }
        }
        if y.requiresGradient {
            y.backwardFunction = { tape, y in
                let dy = y.gradientPointer, yp = y.storage.pointer
                let (dx, accumulate) = tape.gradientDestination(x)
                Parallel.forEachChunk(m, chunk: rowGrain(columns: n)) { block in
                    for i in block {
                        let r = radii[i], yi = yp + i * n, gi = dy + i * n, di = dx + i * n
                        // Below ε the forward map was x/ε, whose Jacobian has no projection term.
                        var projection: S = 0
                        if r > epsilon { for j in 0..<n { projection += yi[j] * gi[j] } }
                        let inverse = 1 / r
                        if accumulate {
                            for j in 0..<n { di[j] += (gi[j] - yi[j] * projection) * inverse }
                        } else {
                            for j in 0..<n { di[j] = (gi[j] - yi[j] * projection) * inverse }
                        }
                    }
                }
            }
        }
        return y
    }
}

/// out[i] = ‖row i‖², in parallel over fixed row blocks.
@inlinable
func squaredRowNorms<S: MatrixScalar>(_ x: UnsafeMutablePointer<S>, rows: Int, columns: Int,
                                      into out: UnsafeMutablePointer<S>) {
    Parallel.forEachChunk(rows, chunk: rowGrain(columns: columns)) { block in
        for i in block {
            let row = x + i * columns
            var s: S = 0
            for j in 0..<columns { s += row[j] * row[j] }
            out[i] = s
        }
    }
}
