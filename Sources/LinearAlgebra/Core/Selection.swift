/// Order statistics of Float collections without a full sort.
extension RandomAccessCollection where Element == Float {
    /// The values a descending sort would put at `positions` (0-based), in the order the positions are given.
    /// Every position must lie in `0..<count`; values must not be NaN (callers check finiteness).
    ///
    /// Two passes of bucketing, then a selection among few values: the first pass counts the values in buckets
    /// of equal width between the smallest and the largest, which tells the bucket of each requested rank and
    /// its rank inside that bucket; the second gathers the values of those buckets only, and a multi-quickselect
    /// (Hoare's FIND generalised to several ranks) finds the ranks among them. The bucket index is a monotone
    /// function of the value (a subtraction, a scaling and a truncation, each monotone under rounding), so every
    /// value of a bucket is at least every value of the buckets below it, and the result is exact: what a sort
    /// gives, bit for bit.
    ///
    /// Why not quickselect over the whole array: on random data each partition step is an unpredictable branch,
    /// and a few dozen ranks of a long row take several full partition passes; the counting passes are
    /// branch-light, and the quickselect then sees about `count / buckets` values per rank. Values piled into
    /// one bucket (heavy ties, or a range stretched by an outlier) only make that last step larger.
    public func largest(at positions: [Int]) -> [Float] {
        precondition(positions.allSatisfy { $0 >= 0 && $0 < count },
                     "largest(at:): positions must lie in 0..<\(count), got \(positions)")
        guard !positions.isEmpty else { return [] }
        let targets = Set(positions).sorted()
        // Read in place where the storage is contiguous (an array or a slice of one), else from a copy.
        let values = withContiguousStorageIfAvailable { orderStatistics($0, targets) }
            ?? Array(self).withUnsafeBufferPointer { orderStatistics($0, targets) }
        let valueAt = Dictionary(uniqueKeysWithValues: zip(targets, values))
        return positions.map { valueAt[$0]! }
    }
}

/// The values at the ascending, distinct descending-order ranks `targets` (see `largest(at:)`).
private func orderStatistics(_ values: UnsafeBufferPointer<Float>, _ targets: [Int]) -> [Float] {
    let n = values.count
    var lo = values[0], hi = values[0]
    for v in values { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
    guard lo < hi else { return targets.map { _ in lo } }  // all equal
    let buckets = Swift.min(4096, n / 4)
    // A row too short to bucket, or a range too wide (overflowing to infinity) or too narrow (a scale that
    // overflows) for Float arithmetic: the whole row is selected.
    let scale = Float(buckets) / (hi - lo)
    guard buckets >= 8, scale.isFinite, scale > 0 else {
        var copy = Array(values)
        copy.withUnsafeMutableBufferPointer { select($0, 0..<n, targets[...]) }
        return targets.map { copy[$0] }
    }
    // Written so that a NaN, which the caller must not pass, lands in the top bucket instead of trapping.
    let top = Float(buckets - 1)
    @inline(__always) func bucket(_ v: Float) -> Int {
        let t = (v - lo) * scale
        return t < top ? Int(t) : buckets - 1
    }

    var counts = [Int](repeating: 0, count: buckets)
    for v in values { counts[bucket(v)] += 1 }
    // Buckets from the top down: the bucket holding each rank (its slot) and the rank inside it.
    var slotOfBucket = [Int](repeating: -1, count: buckets)
    var slotBuckets: [Int] = []
    var placement: [(slot: Int, rank: Int)] = []
    var above = 0, b = buckets - 1
    for target in targets {
        while above + counts[b] <= target { above += counts[b]; b -= 1 }
        if slotOfBucket[b] < 0 { slotOfBucket[b] = slotBuckets.count; slotBuckets.append(b) }
        placement.append((slotOfBucket[b], target - above))
    }
    var gathered = slotBuckets.map { b -> [Float] in
        var slot = [Float]()
        slot.reserveCapacity(counts[b])
        return slot
    }
    for v in values {
        let s = slotOfBucket[bucket(v)]
        if s >= 0 { gathered[s].append(v) }
    }
    for s in gathered.indices {
        let ranks = placement.filter { $0.slot == s }.map(\.rank)
        gathered[s].withUnsafeMutableBufferPointer { select($0, 0..<$0.count, ranks[...]) }
    }
    return placement.map { gathered[$0.slot][$0.rank] }
}

/// Rearranges `a[range]` so that, for every position p of `positions` (ascending, distinct, inside `range`),
/// `a[p]` is what a descending sort of `a[range]` would put there.
///
/// The partition is three-way (greater | equal | less than the pivot, Dijkstra's Dutch flag), so runs of
/// equal values (duplicate rows give equal similarities) end the recursion instead of degrading it, and the
/// pivot is the median of three fixed entries, so the result is deterministic. Ranges of at most 16 values
/// are sorted by insertion. Expected cost O(n·log m) for m positions.
private func select(_ a: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>, _ positions: ArraySlice<Int>) {
    var range = range, positions = positions
    while !positions.isEmpty && range.count > 1 {
        let lo = range.lowerBound, hi = range.upperBound
        if range.count <= 16 {
            // Insertion sort, descending.
            for i in (lo + 1)..<hi {
                let v = a[i]
                var j = i
                while j > lo && a[j - 1] < v { a[j] = a[j - 1]; j -= 1 }
                a[j] = v
            }
            return
        }
        let x = a[lo], y = a[(lo + hi) / 2], z = a[hi - 1]
        let pivot = Swift.max(Swift.min(x, y), Swift.min(Swift.max(x, y), z))
        // [lo, greater) > pivot, [greater, i) == pivot, [less, hi) < pivot.
        var greater = lo, i = lo, less = hi
        while i < less {
            let v = a[i]
            if v > pivot { a.swapAt(i, greater); greater += 1; i += 1 } else if v < pivot { less -= 1; a.swapAt(i, less) } else { i += 1 }
        }
        let left = positions.prefix { $0 < greater }
        let right = positions.drop { $0 < less }
        // Recurse into the smaller side, loop on the larger (bounded stack depth).
        if left.count <= right.count {
            select(a, lo..<greater, left)
            range = less..<hi; positions = right
        } else {
            select(a, less..<hi, right)
            range = lo..<greater; positions = left
        }
    }
}
