/// A small, fast, seeded pseudo-random generator: xoshiro256** (Blackman & Vigna, 2018), seeded through
/// SplitMix64 so that any 64-bit seed (including 0) gives a well-mixed state.
///
/// Everything random in this package (initialisation, shuffling, data splits, Lanczos start vectors) draws
/// from one of these, created from the user's seed, in a fixed order, on one thread. That is what makes
/// "same seed → same output, bit for bit, whatever the thread count" possible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double? = nil

    /// A generator whose state is the first four SplitMix64 outputs from `seed`; equal seeds give equal streams.
    public init(seed: UInt64) {
        var z = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var r = x
            r = (r ^ (r >> 30)) &* 0xBF58_476D_1CE4_E5B9
            r = (r ^ (r >> 27)) &* 0x94D0_49BB_1331_11EB
            return r ^ (r >> 31)
        }
        s0 = splitMix(&z); s1 = splitMix(&z); s2 = splitMix(&z); s3 = splitMix(&z)
    }

    @inlinable static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (one xoshiro256** step).
    public mutating func next() -> UInt64 {
        let result = SeededRandom.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = SeededRandom.rotl(s3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by the polar Box–Muller method (exact, no tables); caches the second variate.
    public mutating func normal() -> Double {
        if let s = spareNormal { spareNormal = nil; return s }
        while true {
            let u = 2 * uniform() - 1, v = 2 * uniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let f = (-2 * _log(s) / s).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }

    /// Uniform integer in `0..<n` without modulo bias (Lemire's method).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0)
        return Int(truncatingIfNeeded: next(upperBound: UInt64(n)))
    }

    /// A uniformly random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    /// Shuffles `a` in place, every order equally likely (Fisher–Yates, drawing with `int(below:)`).
    public mutating func shuffle<T>(_ a: inout [T]) {
        if a.count < 2 { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, int(below: i + 1)) }
    }

    /// A matrix of independent N(0, std²) entries.
    public mutating func normalMatrix<S: MatrixScalar>(_ rows: Int, _ columns: Int, std: Double = 1,
                                                      as: S.Type = S.self) -> Matrix<S> {
        var e = [S]()
        e.reserveCapacity(rows * columns)
        for _ in 0..<(rows * columns) { e.append(S(normal() * std)) }
        return Matrix(rows: rows, columns: columns, elements: e)
    }

    /// A matrix of independent U(low, high) entries.
    public mutating func uniformMatrix<S: MatrixScalar>(_ rows: Int, _ columns: Int, low: Double = 0, high: Double = 1,
                                                       as: S.Type = S.self) -> Matrix<S> {
        var e = [S]()
        e.reserveCapacity(rows * columns)
        for _ in 0..<(rows * columns) { e.append(S(low + (high - low) * uniform())) }
        return Matrix(rows: rows, columns: columns, elements: e)
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
