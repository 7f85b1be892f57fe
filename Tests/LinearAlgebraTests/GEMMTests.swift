import XCTest
import LinearAlgebra

/// The fast GEMM against the textbook triple loop (`referenceGEMM`, evaluated in Double).
///
/// Error bound (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.5): a computed
/// inner product of length k satisfies |fl(xᵀy) − xᵀy| ≤ γ_k |x|ᵀ|y| with γ_k ≈ kε. With the alpha and beta
/// scalings, each element of C must satisfy
///     |C − C_ref| ≤ (k + 3) ε (|α| (|op(A)| |op(B)|) + |β| |C₀|)
/// which we check elementwise, with ε of the type under test.
final class GEMMTests: XCTestCase {
    private let cases: [(Transpose, Transpose)] = [(.none, .none), (.none, .transposed),
                                                   (.transposed, .none), (.transposed, .transposed)]

    /// Builds op(A) (m×k) and op(B) (k×n) as stored matrices for the given transposes.
    private func operands<S: MatrixScalar>(_ type: S.Type, m: Int, n: Int, k: Int, _ ta: Transpose, _ tb: Transpose,
                                           seed: UInt64) -> (Matrix<S>, Matrix<S>) {
        var random = SeededRandom(seed: seed)
        let a = ta == .none ? Matrix<S>(rows: m, columns: k) { _, _ in S(random.normal()) }
                            : Matrix<S>(rows: k, columns: m) { _, _ in S(random.normal()) }
        let b = tb == .none ? Matrix<S>(rows: k, columns: n) { _, _ in S(random.normal()) }
                            : Matrix<S>(rows: n, columns: k) { _, _ in S(random.normal()) }
        return (a, b)
    }

    /// Runs `gemm` and checks it against the Double reference with the bound above. Returns the result.
    @discardableResult
    private func check<S: MatrixScalar>(_ type: S.Type, m: Int, n: Int, k: Int, _ ta: Transpose, _ tb: Transpose,
                                        alpha: S = 1, beta: S = 0, seed: UInt64 = 1,
                                        file: StaticString = #filePath, line: UInt = #line) -> Matrix<S> {
        let (a, b) = operands(S.self, m: m, n: n, k: k, ta, tb, seed: seed)
        var random = SeededRandom(seed: seed &+ 7)
        let c0 = Matrix<S>(rows: m, columns: n) { _, _ in beta == 0 ? S.nan : S(random.normal()) }
        var c = c0
        a.withView { av in b.withView { bv in c.withMutableView { cv in
            gemm(ta, tb, alpha: alpha, av, bv, beta: beta, cv)
        } } }
        // Reference and magnitude bound in Double.
        let ad = a.converted(to: Double.self), bd = b.converted(to: Double.self)
        var reference = c0.converted(to: Double.self)
        if beta == 0 { reference = Matrix(rows: m, columns: n) }
        let absA = Matrix(rows: ad.rows, columns: ad.columns, elements: ad.elements.map(abs))
        let absB = Matrix(rows: bd.rows, columns: bd.columns, elements: bd.elements.map(abs))
        var magnitude = Matrix<Double>(rows: m, columns: n)
        ad.withView { av in bd.withView { bv in
            reference.withMutableView { referenceGEMM(ta, tb, alpha: Double(alpha), av, bv, beta: Double(beta), $0) }
        } }
        absA.withView { av in absB.withView { bv in
            magnitude.withMutableView { referenceGEMM(ta, tb, alpha: 1, av, bv, beta: 0, $0) }
        } }
        let eps = Double(S.ulpOfOne)
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let got = Double(c[i, j])
                let bound = Double(k + 3) * eps * (abs(Double(alpha)) * magnitude[i, j]
                                                   + (beta == 0 ? 0 : abs(Double(beta) * Double(c0[i, j]))))
                XCTAssertTrue(got.isFinite, "C[\(i), \(j)] = \(got) is not finite (m=\(m) n=\(n) k=\(k))",
                              file: file, line: line)
                let excess = abs(got - reference[i, j]) - bound
                worst = max(worst, excess)
            }
        }
        XCTAssertLessThanOrEqual(worst, 0, "\(S.self) \(ta)/\(tb) m=\(m) n=\(n) k=\(k) α=\(alpha) β=\(beta): error exceeds bound",
                                 file: file, line: line)
        return c
    }

    func testAllTransposesOddShapesFloat() {
        let shapes = [(1, 1, 1), (2, 2, 2), (7, 7, 7), (1, 65, 7), (65, 1, 63), (63, 65, 63), (65, 63, 130),
                      (13, 37, 1), (100, 70, 33), (97, 129, 300),
                      (130, 197, 170)]  // the last is above the unpacked-path limit: packed, with edge tiles
        for (ta, tb) in cases {
            for (m, n, k) in shapes { check(Float.self, m: m, n: n, k: k, ta, tb) }
        }
    }

    func testAllTransposesOddShapesDouble() {
        let shapes = [(1, 1, 1), (2, 7, 2), (7, 7, 7), (63, 65, 63), (65, 63, 130), (64, 64, 64), (97, 129, 300),
                      (131, 67, 530)]  // packed, with edge tiles and two depth panels (k > KC = 512)
        for (ta, tb) in cases {
            for (m, n, k) in shapes { check(Double.self, m: m, n: n, k: k, ta, tb) }
        }
    }

    func testAlphaBetaVariations() {
        let scalings: [(Double, Double)] = [(1, 0), (2.5, 0), (-1, 1), (0.5, -2), (1, 1), (0, 3), (0, 0)]
        for (alpha, beta) in scalings {
            for (ta, tb) in cases {
                check(Float.self, m: 70, n: 75, k: 90, ta, tb, alpha: Float(alpha), beta: Float(beta))
                check(Double.self, m: 9, n: 33, k: 20, ta, tb, alpha: alpha, beta: beta)
                check(Double.self, m: 70, n: 75, k: 300, ta, tb, alpha: alpha, beta: beta)
            }
            // The packed path with two depth panels: beta applies to the first panel only.
            check(Double.self, m: 100, n: 90, k: 520, .none, .none, alpha: alpha, beta: beta)
        }
    }

    func testTallSkinnyAndWideShapes() {
        for (ta, tb) in cases {
            check(Float.self, m: 1024, n: 16, k: 16, ta, tb)
            check(Float.self, m: 1500, n: 3, k: 40, ta, tb)
            check(Float.self, m: 3, n: 1500, k: 40, ta, tb)
            check(Double.self, m: 2, n: 2, k: 3000, ta, tb)
            check(Double.self, m: 600, n: 17, k: 200, ta, tb, alpha: 1, beta: 1)
        }
    }

    /// k = 0: the product is empty, so C = βC, and C must not be read when β = 0.
    func testEmptyInnerDimension() {
        for beta: Float in [0, 2] {
            let a = Matrix<Float>(rows: 5, columns: 0), b = Matrix<Float>(rows: 0, columns: 4)
            var c = Matrix<Float>(rows: 5, columns: 4, repeating: beta == 0 ? .nan : 3)
            a.withView { av in b.withView { bv in c.withMutableView { gemm(.none, .none, av, bv, beta: beta, $0) } } }
            XCTAssertEqual(c.elements, [Float](repeating: beta * 3 == 6 ? 6 : 0, count: 20))
        }
        // Zero-sized C is a no-op.
        let a = Matrix<Double>(rows: 0, columns: 3), b = Matrix<Double>(rows: 3, columns: 4)
        XCTAssertEqual(a.matmul(b).shape.rows, 0)
    }

    /// Strided views: A, B and C are windows into larger matrices; nothing outside C's window changes.
    /// One product small enough for the unpacked path, one for the packed path (with transposes).
    func testStridedViews() {
        for (m, n, k, ta, tb) in [(61, 67, 71, Transpose.none, Transpose.none), (170, 150, 180, .transposed, .transposed)] {
            var random = SeededRandom(seed: 5)
            let (ar, ac) = ta == .none ? (m, k) : (k, m)
            let (br, bc) = tb == .none ? (k, n) : (n, k)
            let bigA = random.normalMatrix(ar + 10, ac + 20) as Matrix<Float>
            let bigB = random.normalMatrix(br + 10, bc + 30) as Matrix<Float>
            var bigC = Matrix<Float>(rows: m + 9, columns: n + 43, repeating: 42)
            bigA.withView { av in bigB.withView { bv in bigC.withMutableView { cv in
                gemm(ta, tb, av.block(rows: 3..<(3 + ar), columns: 5..<(5 + ac)),
                     bv.block(rows: 2..<(2 + br), columns: 7..<(7 + bc)), beta: 0,
                     cv.block(rows: 4..<(4 + m), columns: 9..<(9 + n)))
            } } }
            let a = bigA.withView { $0.block(rows: 3..<(3 + ar), columns: 5..<(5 + ac)).copy() }
            let b = bigB.withView { $0.block(rows: 2..<(2 + br), columns: 7..<(7 + bc)).copy() }
            let expected = Matrix.multiply(a.converted(to: Double.self), ta, b.converted(to: Double.self), tb)
            for i in 0..<(m + 9) {
                for j in 0..<(n + 43) {
                    if (4..<(4 + m)).contains(i) && (9..<(9 + n)).contains(j) {
                        XCTAssertEqual(Double(bigC[i, j]), expected[i - 4, j - 9], accuracy: 1e-5 * Double(k))
                    } else {
                        XCTAssertEqual(bigC[i, j], 42, "element (\(i), \(j)) outside C's window was written")
                    }
                }
            }
        }
    }

    /// Determinism: the same bits for 1, 2 and 3 threads, on a product large enough to use two depth
    /// panels, several row blocks and edge tiles.
    func testSameBitsForAnyThreadCount() {
        for (ta, tb) in cases {
            let (a, b) = operands(Float.self, m: 300, n: 257, k: 700, ta, tb, seed: 11)
            let results = [1, 2, 3].map { threads in
                Parallel.withThreads(threads) { Matrix.multiply(a, ta, b, tb) }
            }
            XCTAssertEqual(results[0].elements, results[1].elements)
            XCTAssertEqual(results[0].elements, results[2].elements)
            let (ad, bd) = operands(Double.self, m: 200, n: 131, k: 400, ta, tb, seed: 12)
            let r1 = Parallel.withThreads(1) { Matrix.multiply(ad, ta, bd, tb) }
            let r2 = Parallel.withThreads(2) { Matrix.multiply(ad, ta, bd, tb) }
            XCTAssertEqual(r1.elements, r2.elements)
        }
        // The unpacked path for narrow C, parallel over row blocks.
        let (a, b) = operands(Float.self, m: 5000, n: 16, k: 64, .none, .none, seed: 13)
        XCTAssertEqual(Parallel.withThreads(1) { a.matmul(b) }.elements,
                       Parallel.withThreads(2) { a.matmul(b) }.elements)
    }

    /// A large product (1000+ in every dimension), to exercise several column panels, depth panels and row
    /// blocks with the full blocking. The generic reference would take a minute here, so sampled rows of C
    /// are checked against a concrete Double triple loop with the same error bound.
    func testLargeProduct() {
        let (m, n, k) = (1031, 1029, 1027)
        let (a, b) = operands(Float.self, m: m, n: n, k: k, .none, .transposed, seed: 3)
        var random = SeededRandom(seed: 4)
        let c0 = random.normalMatrix(m, n) as Matrix<Float>
        var c = c0
        a.withView { av in b.withView { bv in c.withMutableView { gemm(.none, .transposed, av, bv, beta: 0.5, $0) } } }
        let eps = Double(Float.ulpOfOne)
        for i in stride(from: 0, to: m, by: 37) + [m - 1] {
            for j in 0..<n {
                var exact = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(a[i, p]) * Double(b[j, p])
                    exact += product
                    magnitude += abs(product)
                }
                exact += 0.5 * Double(c0[i, j])
                let bound = Double(k + 3) * eps * (magnitude + 0.5 * abs(Double(c0[i, j])))
                XCTAssertLessThanOrEqual(abs(Double(c[i, j]) - exact), bound, "C[\(i), \(j)]")
            }
        }
    }

    /// `crossProductInDouble` against a Double triple loop, with its documented bound
    /// (b·u_f + ⌈n/b⌉·u_d)·|P|ᵀ|Q| (a factor 2 of slack for the first-order terms), on odd row counts around the
    /// block size and shapes down to 1 × 1; the error must be well below one Float GEMM's on a long product
    /// with a large mean (the case the Double accumulation is for), and the bits must not depend on the thread
    /// count.
    func testCrossProductInDoubleBound() {
        let uf = Double(Float.ulpOfOne) / 2, ud = Double.ulpOfOne / 2
        func check(rows n: Int, _ p: Int, _ q: Int, blockRows b: Int, offset: Float = 0, seed: UInt64,
                   line: UInt = #line) {
            var random = SeededRandom(seed: seed)
            let left = Matrix<Float>(rows: n, columns: p) { _, _ in Float(random.normal()) + offset }
            let right = Matrix<Float>(rows: n, columns: q) { _, _ in Float(random.normal()) + offset }
            let c = Matrix.crossProductInDouble(left, right, blockRows: b)
            XCTAssertEqual(c.rows, p, line: line)
            XCTAssertEqual(c.columns, q, line: line)
            let blocks = Double((n + b - 1) / b)
            var worst = 0.0
            for i in 0..<p {
                for j in 0..<q {
                    var exact = 0.0, magnitude = 0.0
                    for r in 0..<n {
                        let product = Double(left[r, i]) * Double(right[r, j])
                        exact += product
                        magnitude += abs(product)
                    }
                    let bound = 2 * (Double(min(b, n)) * uf + blocks * ud) * magnitude
                    worst = max(worst, abs(c[i, j] - exact) / max(bound, .leastNormalMagnitude))
                }
            }
            XCTAssertLessThanOrEqual(worst, 1, "n \(n), \(p)×\(q), block \(b): error / bound", line: line)
        }
        for n in [1, 2, 7, 63, 65, 255, 256, 257, 1000] { check(rows: n, 7, 5, blockRows: 256, seed: UInt64(n)) }
        check(rows: 1, 1, 1, blockRows: 1, seed: 1)
        check(rows: 1031, 65, 63, blockRows: 100, offset: 3, seed: 2)
        check(rows: 9000, 3, 2, blockRows: 256, offset: 10, seed: 3)
        // Empty shapes.
        XCTAssertEqual(Matrix.crossProductInDouble(Matrix<Float>(rows: 0, columns: 3), Matrix<Float>(rows: 0, columns: 2)).elements,
                       [Double](repeating: 0, count: 6))
        XCTAssertEqual(Matrix.crossProductInDouble(Matrix<Float>(rows: 4, columns: 0), Matrix<Float>(rows: 4, columns: 2)).rows, 0)

        // The point of the Double accumulation: on a long product with a large mean it is far more accurate
        // than one Float GEMM over all rows (blockRows = n).
        var random = SeededRandom(seed: 4)
        let tall = Matrix<Float>(rows: 9000, columns: 4) { _, _ in Float(random.normal()) + 10 }
        func maxError(_ c: Matrix<Double>) -> Double {
            var worst = 0.0
            for i in 0..<4 { for j in 0..<4 {
                var exact = 0.0
                for r in 0..<9000 { exact += Double(tall[r, i]) * Double(tall[r, j]) }
                worst = max(worst, abs(c[i, j] - exact))
            } }
            return worst
        }
        let blocked = maxError(Matrix.crossProductInDouble(tall, tall))
        let plain = maxError(Matrix.crossProductInDouble(tall, tall, blockRows: 9000))
        XCTAssertLessThan(blocked, plain / 4, "blocked error \(blocked) against one Float GEMM's \(plain)")

        // Thread independence on a product that takes the packed parallel GEMM path.
        random = SeededRandom(seed: 5)
        let a = Matrix<Float>(rows: 2000, columns: 300) { _, _ in Float(random.normal()) }
        let b = Matrix<Float>(rows: 2000, columns: 200) { _, _ in Float(random.normal()) }
        let one = Parallel.withThreads(1) { Matrix.crossProductInDouble(a, b) }
        let three = Parallel.withThreads(3) { Matrix.crossProductInDouble(a, b) }
        XCTAssertEqual(one.elements, three.elements)
    }
}
