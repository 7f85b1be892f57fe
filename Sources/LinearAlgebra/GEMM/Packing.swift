// Packing for the blocked GEMM: copy a block of op(A) or op(B) into the exact order in which the
// micro-kernel reads it (Goto & van de Geijn 2008, section 4).
//
// Why copy at all? The micro-kernel streams through `kc` steps, each needing MR values of A and NR values
// of B. Packing makes those values contiguous and aligned, so every step is one or two sequential vector
// loads that the hardware prefetcher follows, and no TLB or cache-set conflicts arise from large leading
// dimensions. Packing is also where the transposes are absorbed: the kernel sees a single layout whichever
// of the four cases `transA`/`transB` asks for. Edge slivers are padded with zeros, so the kernel always
// computes a full tile and never needs a masked variant; the caller discards the padded part.
//
// The cost is one read and one write of each operand block, O(mk + kn), against O(mnk) arithmetic.

/// Packs rows `rows` × depth `depth` of op(A) into slivers of `microTileRows` rows.
///
/// Layout of `destination`: sliver s (rows `rows.lowerBound + s·MR ..< +MR`) starts at `s · MR · kc · c`,
/// with c = `S.packedACopies`; inside it, step p holds the MR values `op(A)[i, depth.lowerBound + p]`
/// contiguously, each repeated c times. Rows beyond `rows.upperBound` are zero.
func packA<S: PackedGEMMScalar>(_ a: MatrixView<S>, _ trans: Transpose, rows: Range<Int>, depth: Range<Int>,
                                into destination: UnsafeMutablePointer<S>) {
    let mr = microTileRows
    let kc = depth.count
    let copies = S.packedACopies
    var sliver = destination
    for i0 in stride(from: rows.lowerBound, to: rows.upperBound, by: mr) {
        let height = min(mr, rows.upperBound - i0)
        // Step p of the sliver is written contiguously. For op(A) = A its values come from `height` rows
        // of A, each read sequentially along p (an order the prefetcher follows; the alternative, writing
        // with stride MR, is vectorised into slow scatter instructions).
        let (rowStep, depthStep) = trans == .none ? (a.rowStride, 1) : (1, a.rowStride)
        let corner = a.base + i0 * rowStep + depth.lowerBound * depthStep
        // `copies` is a constant of the scalar type, so for one copy the innermost loop folds away.
        for p in 0..<kc {
            let source = corner + p * depthStep
            let out = sliver + p * mr * copies
            for r in 0..<height {
                let value = source[r * rowStep]
                for c in 0..<copies { out[r * copies + c] = value }
            }
        }
        if height < mr {
            for p in 0..<kc { for r in height..<mr { for c in 0..<copies { sliver[(p * mr + r) * copies + c] = 0 } } }
        }
        sliver += mr * kc * copies
    }
}

/// Packs depth `depth` × columns `columns` of op(B) into slivers of `NR` columns.
///
/// Layout of `destination`: sliver s (columns `columns.lowerBound + s·NR ..< +NR`) starts at `s · NR · kc`;
/// inside it, step p holds the NR values `op(B)[depth.lowerBound + p, j]` contiguously. Columns beyond
/// `columns.upperBound` are zero. `destination` must be aligned to the vector size.
func packB<S: PackedGEMMScalar>(_ b: MatrixView<S>, _ trans: Transpose, depth: Range<Int>, columns: Range<Int>,
                                into destination: UnsafeMutablePointer<S>) {
    let nr = S.microTileColumns
    let kc = depth.count
    var sliver = destination
    for j0 in stride(from: columns.lowerBound, to: columns.upperBound, by: nr) {
        let width = min(nr, columns.upperBound - j0)
        if trans == .none {
            // op(B)[p, j] = b[p, j]: each step is a contiguous piece of row p of B.
            for p in 0..<kc {
                (sliver + p * nr).update(from: b.row(depth.lowerBound + p) + j0, count: width)
            }
        } else {
            // op(B)[p, j] = b[j, p]: step p gathers one element from each of `width` rows of B; each row is
            // read sequentially along p.
            let corner = b.base + j0 * b.rowStride + depth.lowerBound
            for p in 0..<kc {
                let out = sliver + p * nr
                for c in 0..<width { out[c] = corner[c * b.rowStride + p] }
            }
        }
        if width < nr {
            for p in 0..<kc { (sliver + p * nr + width).update(repeating: 0, count: nr - width) }
        }
        sliver += nr * kc
    }
}
