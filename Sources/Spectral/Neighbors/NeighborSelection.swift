/// Per-row bounded selection of the k smallest keys: one max-heap of size k per row.
///
/// Why a heap: a row of the distance matrix streams past in tiles, and we only ever need to know "is this
/// candidate better than the worst one kept so far?". A max-heap answers that in O(1) (its root) and updates in
/// O(log k). The root key of every row is mirrored in `worst`, a plain contiguous array, so that the tile scans
/// can compare sixteen candidates at a time against it with SIMD and touch the heap only for the rare winners.
///
/// Determinism: candidates are ordered by the pair (key, index), a *total* order (smaller index wins a tie).
/// The k smallest elements of a totally ordered set do not depend on the order in which they were offered, so
/// the result is the same for any tiling and any thread count, as long as each key is computed the same way.
///
/// Ownership: the storage is manually allocated so that many threads can update *different* rows through the
/// same pointers; the scans guarantee that no two tasks touch the same row at the same time.
final class NeighborHeaps {
    let rows: Int
    let k: Int
    /// Heap keys, row-major `rows × k`; entry 0 of a full row is its largest (worst) key.
    let keys: UnsafeMutablePointer<Float>
    /// Column indices matching `keys`.
    let indices: UnsafeMutablePointer<Int32>
    /// Number of filled entries per row (≤ k).
    let sizes: UnsafeMutablePointer<Int32>
    /// The key a candidate must beat (or tie with a smaller index) to enter row i: +∞ while the heap is not full.
    let worst: UnsafeMutablePointer<Float>

    init(rows: Int, k: Int) {
        precondition(rows >= 0 && k >= 1)
        self.rows = rows
        self.k = k
        keys = .allocate(capacity: max(1, rows * k))
        indices = .allocate(capacity: max(1, rows * k))
        sizes = .allocate(capacity: max(1, rows))
        sizes.initialize(repeating: 0, count: max(1, rows))
        worst = .allocate(capacity: max(1, rows))
        worst.initialize(repeating: .infinity, count: max(1, rows))
    }

    deinit {
        keys.deallocate()
        indices.deallocate()
        sizes.deallocate()
        worst.deallocate()
    }

    /// `(ka, ia)` comes after `(kb, ib)` in the total order "key, then index".
    @inline(__always) static func after(_ ka: Float, _ ia: Int32, _ kb: Float, _ ib: Int32) -> Bool {
        ka > kb || (ka == kb && ia > ib)
    }

    /// Offers candidate `(key, index)` to row `row`; keeps it if it is among the k best seen so far.
    @inline(__always) func offer(row: Int, key: Float, index: Int32) {
        let base = row * k
        let hk = keys + base, hi = indices + base
        let size = Int(sizes[row])
        if size < k {
            // Sift up from the new leaf.
            var c = size
            while c > 0 {
                let p = (c - 1) / 2
                if !NeighborHeaps.after(key, index, hk[p], hi[p]) { break }
                hk[c] = hk[p]; hi[c] = hi[p]
                c = p
            }
            hk[c] = key; hi[c] = index
            sizes[row] = Int32(size + 1)
            if size + 1 == k { worst[row] = hk[0] }
            return
        }
        guard NeighborHeaps.after(hk[0], hi[0], key, index) else { return }
        // Replace the root and sift down.
        var p = 0
        while true {
            let l = 2 * p + 1
            if l >= k { break }
            var c = l
            if l + 1 < k && NeighborHeaps.after(hk[l + 1], hi[l + 1], hk[l], hi[l]) { c = l + 1 }
            if !NeighborHeaps.after(hk[c], hi[c], key, index) { break }
            hk[p] = hk[c]; hi[p] = hi[c]
            p = c
        }
        hk[p] = key; hi[p] = index
        worst[row] = hk[0]
    }
}
