/// Order statistics of Float arrays without a full sort (multi-quickselect).
extension Array where Element == Float {
    /// Rearranges the values so that, for every requested position p (0-based, in descending order),
    /// `self[p]` is exactly what a descending sort would put there; the other entries are only partitioned
    /// around them. Positions outside `0..<count` are ignored.
    ///
    /// Expected cost O(n·log m) for m positions against O(n·log n) for a sort (Hoare's FIND generalised to
    /// several ranks), which matters when a few quantiles are wanted from each of many long rows.
    ///
    /// The partition is three-way (greater | equal | less than the pivot, Dijkstra's Dutch flag), so runs of
    /// equal values (duplicate rows give equal similarities) end the recursion instead of degrading it, and
    /// the pivot is the median of three fixed entries, so the result is deterministic. Ranges of at most 16
    /// values are sorted by insertion. Values must not be NaN (the partition would be meaningless); callers
    /// check finiteness.
    public mutating func largestAt(positions: [Int]) {
        let targets = Set(positions.filter { $0 >= 0 && $0 < count }).sorted()
        withUnsafeMutableBufferPointer { buffer in
            Self.select(buffer, 0..<buffer.count, targets[...])
        }
    }

    private static func select(_ a: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>, _ positions: ArraySlice<Int>) {
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
}
