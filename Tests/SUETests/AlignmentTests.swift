import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import XCTest

/// Tests of the alignment layer: retrieval metric, CSLS mutual neighbours, the D.7 split, ridge, CCA,
/// self-learning and the automatic choice.
final class AlignmentTests: XCTestCase {

    // MARK: retrieval

    /// Hand-checked: 3 test pairs in 2-D.
    ///   x0=(1,0) x1=(0,1) x2=(1,1)     y0=(1,0.1) y1=(1,0) y2=(0,1)
    /// cos(x0, ·) = (0.995, 1, 0):      partner y0 has one better (y1)  → rank 1
    /// cos(x1, ·) = (0.0995, 0, 1):     partner y1 is beaten by y0, y2  → rank 2
    /// cos(x2, ·) = (0.774, 0.707, 0.707): partner y2 beaten by y0       → rank 1
    /// y→x: column j compares cos(x_i, y_j) over i with cos(x_j, y_j):
    ///   y0: (0.995, 0.0995, 0.774), truth 0.995 → rank 0
    ///   y1: (1, 0, 0.707), truth 0 → rank 2
    ///   y2: (0, 1, 0.707), truth 0.707 → rank 1
    func testRecallHandCheckedExample() throws {
        let x = Matrix<Float>([[1, 0], [0, 1], [1, 1]])
        let y = Matrix<Float>([[1, 0.1], [1, 0], [0, 1]])
        let r = try retrievalRecall(x, y)
        XCTAssertEqual(r.xToY.r1, 0)
        XCTAssertEqual(r.xToY.r5, 100)
        XCTAssertEqual(r.yToX.r1, 100.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(r.yToX.r10, 100)
        XCTAssertEqual(recallFromRanks([0, 4, 5, 9, 10]), Recall(r1: 20, r5: 40, r10: 80))
    }

    func testRecallMatchesBruteForceAcrossBlocks() throws {
        // 300 rows: two row blocks of the similarity matrix.
        var random = SeededRandom(seed: 3)
        let x: Matrix<Float> = random.normalMatrix(300, 7)
        var y = x
        for k in y.elements.indices { y.elements[k] += Float(1.5 * random.normal()) }
        let r = try retrievalRecall(x, y)
        let xn = x.converted(to: Double.self), yn = y.converted(to: Double.self)
        func cosine(_ i: Int, _ j: Int) -> Double {
            var d = 0.0, a = 0.0, b = 0.0
            for t in 0..<7 { d += xn[i, t] * yn[j, t]; a += xn[i, t] * xn[i, t]; b += yn[j, t] * yn[j, t] }
            return d / (a * b).squareRoot()
        }
        var rowRanks = [Int](), columnRanks = [Int]()
        for i in 0..<300 {
            let t = cosine(i, i)
            rowRanks.append((0..<300).filter { cosine(i, $0) > t }.count)
            columnRanks.append((0..<300).filter { cosine($0, i) > t }.count)
        }
        XCTAssertEqual(r.xToY, recallFromRanks(rowRanks))
        XCTAssertEqual(r.yToX, recallFromRanks(columnRanks))
        XCTAssertThrowsError(try retrievalRecall(x, y.rows(0..<10)))
    }

    // MARK: CSLS mutual nearest neighbours

    func testMutualNeighboursMatchBruteForce() throws {
        var random = SeededRandom(seed: 11)
        for (np, nq, k) in [(1, 1, 10), (7, 5, 3), (300, 263, 10), (65, 600, 10)] {
            let p: Matrix<Float> = random.normalMatrix(np, 6)
            let q: Matrix<Float> = random.normalMatrix(nq, 6)
            let m = try cslsMutualNearestNeighbours(p, q, k: k)
            // Recomputing the similarities per block instead of keeping them must not change anything.
            XCTAssertEqual(m, try cslsMutualNearestNeighbours(p, q, k: k, maxCachedSimilarities: 0), "sizes \(np)×\(nq)")
            // Brute force in Double.
            let pd = p.converted(to: Double.self), qd = q.converted(to: Double.self)
            func norm(_ a: Matrix<Double>, _ i: Int) -> Double { (0..<6).reduce(0.0) { $0 + a[i, $1] * a[i, $1] }.squareRoot() }
            var s = Matrix<Double>(rows: np, columns: nq)
            for i in 0..<np { for j in 0..<nq {
                var d = 0.0
                for t in 0..<6 { d += pd[i, t] * qd[j, t] }
                s[i, j] = d / (norm(pd, i) * norm(qd, j))
            } }
            let kp = min(k, nq), kq = min(k, np)
            let rp = (0..<np).map { i in (0..<nq).map { s[i, $0] }.sorted(by: >).prefix(kp).reduce(0, +) / Double(kp) }
            let rq = (0..<nq).map { j in (0..<np).map { s[$0, j] }.sorted(by: >).prefix(kq).reduce(0, +) / Double(kq) }
            func csls(_ i: Int, _ j: Int) -> Double { 2 * s[i, j] - rp[i] - rq[j] }
            var expected = [(Int, Int)]()
            for i in 0..<np {
                let j = (0..<nq).max { csls(i, $0) < csls(i, $1) }!
                let back = (0..<np).max { csls($0, j) < csls($1, j) }!
                if back == i { expected.append((i, j)) }
            }
            XCTAssertEqual(m.x, expected.map(\.0), "sizes \(np)×\(nq)")
            XCTAssertEqual(m.y, expected.map(\.1), "sizes \(np)×\(nq)")
            for (t, (i, j)) in expected.enumerated() {
                XCTAssertEqual(Double(m.score[t]), csls(i, j), accuracy: 1e-5)
                XCTAssertGreaterThanOrEqual(m.margin[t], 0)
            }
        }
    }

    func testMutualNeighboursRecoverAPermutationAndAreThreadIndependent() throws {
        var random = SeededRandom(seed: 5)
        let p: Matrix<Float> = random.normalMatrix(700, 16)
        let perm = random.permutation(700)
        var q = p.rows(perm)   // q[j] = p[perm[j]]
        for k in q.elements.indices { q.elements[k] += Float(0.05 * random.normal()) }
        let one = try Parallel.withThreads(1) { try cslsMutualNearestNeighbours(p, q) }
        let two = try Parallel.withThreads(2) { try cslsMutualNearestNeighbours(p, q) }
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, try Parallel.withThreads(2) { try cslsMutualNearestNeighbours(p, q, maxCachedSimilarities: 0) })
        XCTAssertEqual(one.count, 700)
        for t in 0..<one.count { XCTAssertEqual(perm[one.y[t]], one.x[t]) }
    }

    /// The scans split the row blocks into one group per thread, so the groupings differ with the thread count;
    /// the merges must not. Duplicated rows on both sides make exact ties everywhere (a column's best, its top k,
    /// its candidates), where the order the groups visit the rows would show.
    func testMatchingIsTheSameForAnyGroupingOfTheRowsEvenWithTies() throws {
        var random = SeededRandom(seed: 41)
        let base: Matrix<Float> = random.normalMatrix(331, 12)
        let p = base.rows(random.permutation(3 * 331).map { $0 % 331 })     // each row three times
        let q = base.rows(random.permutation(4 * 331).map { $0 % 331 })     // each row four times
        let shortlist = MatchingShortlist(rank: 6, candidates: 16)
        for search in [nil, shortlist] {
            let one = try Parallel.withThreads(1) { try cslsMutualNearestNeighbours(p, q, shortlist: search) }
            XCTAssertGreaterThan(one.count, 0)
            for threads in [2, 3, 5] {
                XCTAssertEqual(one, try Parallel.withThreads(threads) { try cslsMutualNearestNeighbours(p, q, shortlist: search) },
                               "\(threads) threads, shortlist \(search.map { "\($0)" } ?? "none")")
                XCTAssertEqual(one, try Parallel.withThreads(threads) {
                    try cslsMutualNearestNeighbours(p, q, maxCachedSimilarities: 0, workspace: CSLSWorkspace(), shortlist: search)
                }, "\(threads) threads, recomputed per block")
            }
        }
    }

    /// With every row and column a candidate, the shortlist changes nothing but the order of summation: the
    /// same matches as the exact matching (and its Double reference), at any rank of the approximation.
    func testShortlistWithEveryCandidateIsTheExactMatching() throws {
        var random = SeededRandom(seed: 31)
        for (np, nq, d, k) in [(7, 5, 6, 3), (300, 263, 24, 10), (65, 601, 9, 10)] {
            let p: Matrix<Float> = random.normalMatrix(np, d)
            let q: Matrix<Float> = random.normalMatrix(nq, d)
            let exact = try cslsMutualNearestNeighbours(p, q, k: k)
            for rank in [1, d / 2, d] {
                let shortlist = MatchingShortlist(rank: rank, candidates: max(np, nq))
                let m = try cslsMutualNearestNeighbours(p, q, k: k, shortlist: shortlist)
                let label = "\(np)×\(nq), d \(d), rank \(rank)"
                XCTAssertEqual(m.x, exact.x, label)
                XCTAssertEqual(m.y, exact.y, label)
                for t in 0..<m.count {
                    XCTAssertEqual(m.score[t], exact.score[t], accuracy: 1e-5, label)
                    XCTAssertEqual(m.margin[t], exact.margin[t], accuracy: 1e-5, label)
                }
            }
        }
    }

    /// A noisy permutation whose similarities are close to low rank (columns scaled by 0.8^j): a shortlist of 20
    /// candidates from a rank-8 approximation of 32 columns finds nearly the full search's matches, with the same
    /// bits on one or two threads, cached or recomputed per block.
    func testShortlistRecoversAPermutationAndIsThreadIndependent() throws {
        var random = SeededRandom(seed: 6)
        var p: Matrix<Float> = random.normalMatrix(900, 32)
        for j in 0..<32 { for i in 0..<900 { p[i, j] *= Float(pow(0.8, Double(j))) } }
        let perm = random.permutation(900)
        var q = p.rows(perm)
        for k in q.elements.indices { q.elements[k] += Float(0.01 * random.normal()) }
        let shortlist = MatchingShortlist(rank: 8, candidates: 20)
        let one = try Parallel.withThreads(1) { try cslsMutualNearestNeighbours(p, q, shortlist: shortlist) }
        let two = try Parallel.withThreads(2) { try cslsMutualNearestNeighbours(p, q, shortlist: shortlist) }
        XCTAssertEqual(one, two)
        XCTAssertEqual(one, try cslsMutualNearestNeighbours(p, q, maxCachedSimilarities: 0, workspace: CSLSWorkspace(),
                                                            shortlist: shortlist))
        // Nearly the full search's matches (a match can go where the approximation leaves a partner outside the
        // candidates), and every one of them right.
        let full = try cslsMutualNearestNeighbours(p, q)
        let shared = Set(zip(one.x, one.y).map { [$0.0, $0.1] }).intersection(zip(full.x, full.y).map { [$0.0, $0.1] })
        XCTAssertGreaterThanOrEqual(Double(shared.count), 0.99 * Double(full.count))
        XCTAssertGreaterThan(one.count, 850)
        XCTAssertEqual(zip(one.x, one.y).filter { perm[$0.1] != $0.0 }.count, 0)
        // The premise: the rank-8 approximation alone does not rank the partners first.
        let approximate = try lowRankProductFactors(p.normalizedRows(), q.normalizedRows(), rank: 8)
        let plain = try cslsMutualNearestNeighbours(approximate.p, approximate.q, normalizing: false)
        XCTAssertLessThan(zip(plain.x, plain.y).filter { perm[$0.1] == $0.0 }.count, one.count)
    }

    func testShortlistRefusesAnEmptyShortlist() {
        let p = Matrix<Float>(rows: 4, columns: 3) { i, j in Float(i + j) }
        // Refused whether or not the rank is below the width (3), where the shortlist would take effect.
        for shortlist in [MatchingShortlist(rank: 0, candidates: 5), MatchingShortlist(rank: 2, candidates: 0),
                          MatchingShortlist(rank: 5, candidates: 0)] {
            XCTAssertThrowsError(try cslsMutualNearestNeighbours(p, p, shortlist: shortlist)) { error in
                XCTAssertTrue("\(error)".contains("shortlist"), "\(error)")
            }
        }
    }

    /// The fast matching (SIMD scans, row blocks, per-group column results, cached or recomputed similarities,
    /// a reused workspace) against `naiveMutualNeighbours` below, bit for bit, on odd sizes, 1 and 2 threads,
    /// and inputs full of exact ties: entries in {−1, 0, 1}, duplicated rows on both sides and a zero row.
    func testMutualNeighboursEqualANaiveReferenceBitForBit() throws {
        var random = SeededRandom(seed: 23)
        func tiedMatrix(_ rows: Int, _ columns: Int) -> Matrix<Float> {
            var m = Matrix<Float>(rows: rows, columns: columns) { _, _ in Float(random.int(below: 3) - 1) }
            // Every fifth row repeats an earlier one; the last row is zero (its cosines are all 0).
            for i in stride(from: 5, to: rows, by: 5) {
                let source = random.int(below: i)
                for j in 0..<columns { m[i, j] = m[source, j] }
            }
            if rows > 2 { for j in 0..<columns { m[rows - 1, j] = 0 } }
            return m
        }
        let workspace = CSLSWorkspace()
        let cases: [(np: Int, nq: Int, d: Int, k: Int, tied: Bool)] = [
            (1, 1, 3, 10, false), (2, 7, 3, 10, false), (7, 2, 5, 1, true), (63, 65, 8, 10, true),
            (65, 63, 16, 3, false), (1000, 1100, 8, 10, true), (1037, 1001, 24, 7, false),
        ]
        for c in cases {
            let p: Matrix<Float> = c.tied ? tiedMatrix(c.np, c.d) : random.normalMatrix(c.np, c.d)
            let q: Matrix<Float> = c.tied ? tiedMatrix(c.nq, c.d) : random.normalMatrix(c.nq, c.d)
            let expected = naiveMutualNeighbours(p, q, k: c.k)
            let label = "\(c.np)×\(c.nq), d \(c.d), k \(c.k)"
            XCTAssertGreaterThan(expected.count, 0, label)
            for threads in [1, 2] {
                try Parallel.withThreads(threads) {
                    let cached = try cslsMutualNearestNeighbours(p, q, k: c.k)
                    let recomputed = try cslsMutualNearestNeighbours(p, q, k: c.k, maxCachedSimilarities: 0)
                    let reused = try cslsMutualNearestNeighbours(p, q, k: c.k, workspace: workspace)
                    for (name, m) in [("cached", cached), ("recomputed", recomputed), ("workspace", reused)] {
                        XCTAssertEqual(m.x, expected.x, "\(label), \(threads) threads, \(name)")
                        XCTAssertEqual(m.y, expected.y, "\(label), \(threads) threads, \(name)")
                        XCTAssertEqual(m.score.map(\.bitPattern), expected.score.map(\.bitPattern), "\(label), \(threads) threads, \(name)")
                        XCTAssertEqual(m.margin.map(\.bitPattern), expected.margin.map(\.bitPattern), "\(label), \(threads) threads, \(name)")
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(workspace.capacity, 1037 * 1001)
    }

    /// CSLS mutual neighbours the slow, obvious way: the full similarity matrix, every score, plain argmax loops.
    ///
    /// Arithmetic that the result's bits depend on is spelled out to match the documented definition: cosines
    /// of the normalised rows from one `P̂·Q̂ᵀ` product (whose entries do not depend on how the product is
    /// blocked), `r_Q` summed largest first, `r_P` summed in the order of `k` slots where each new value
    /// replaces the first-held smallest one (the streaming selection's order), `CSLS = (2s − r_P) − r_Q` in
    /// Float, ties to the smaller index, and the margin against the larger of the row's and column's
    /// second-best scores.
    private func naiveMutualNeighbours(_ p: Matrix<Float>, _ q: Matrix<Float>, k: Int)
        -> (x: [Int], y: [Int], score: [Float], margin: [Float], count: Int) {
        let np = p.rows, nq = q.rows
        let s = Matrix.multiply(p.normalizedRows(), .none, q.normalizedRows(), .transposed)
        let kp = min(k, nq), kq = min(k, np)
        var rP = [Float](repeating: 0, count: np)
        for i in 0..<np {
            var slots = [Float](repeating: -.infinity, count: kp)
            for j in 0..<nq where s[i, j] > slots.min()! {
                slots[slots.firstIndex(of: slots.min()!)!] = s[i, j]
            }
            rP[i] = slots.reduce(0, +) / Float(kp)
        }
        let rQ = (0..<nq).map { j in (0..<np).map { s[$0, j] }.sorted(by: >).prefix(kq).reduce(0, +) / Float(kq) }
        var csls = Matrix<Float>(rows: np, columns: nq)
        for i in 0..<np { for j in 0..<nq { csls[i, j] = 2 * s[i, j] - rP[i] - rQ[j] } }
        // Best (first index on ties) and the best of the rest.
        func bestTwo(_ values: [Float]) -> (index: Int, best: Float, second: Float) {
            var index = 0
            for t in values.indices where values[t] > values[index] { index = t }
            let rest = values.indices.filter { $0 != index }.map { values[$0] }
            return (index, values[index], rest.max() ?? -.infinity)
        }
        let columns = (0..<nq).map { j in bestTwo((0..<np).map { csls[$0, j] }) }
        var out: (x: [Int], y: [Int], score: [Float], margin: [Float]) = ([], [], [], [])
        for i in 0..<np {
            let row = bestTwo((0..<nq).map { csls[i, $0] })
            guard columns[row.index].index == i else { continue }
            let competitor = max(row.second, columns[row.index].second)
            out.x.append(i)
            out.y.append(row.index)
            out.score.append(row.best)
            out.margin.append(competitor.isFinite ? row.best - competitor : 0)
        }
        return (out.x, out.y, out.score, out.margin, out.x.count)
    }

    // MARK: protocol

    func testSplitFollowsTheProtocol() throws {
        let split = try AlignmentSplit(rows: 1000, pairs: 20, test: 100, seed: 7)
        XCTAssertEqual(split.testRows.count, 100)
        XCTAssertEqual(split.pairedRows.count, 20)
        XCTAssertEqual(split.unpairedX.count, 792)   // 880 − round(88)
        XCTAssertEqual(split.unpairedY.count, 792)
        XCTAssertTrue(Set(split.testRows).isDisjoint(with: split.pairedRows + split.unpairedX + split.unpairedY))
        XCTAssertTrue(Set(split.pairedRows).isDisjoint(with: split.unpairedX + split.unpairedY))
        XCTAssertNotEqual(split.unpairedX, split.unpairedY)   // shuffled and dropped independently
        XCTAssertEqual(split, try AlignmentSplit(rows: 1000, pairs: 20, test: 100, seed: 7))
        XCTAssertNotEqual(split, try AlignmentSplit(rows: 1000, pairs: 20, test: 100, seed: 8))
        XCTAssertThrowsError(try AlignmentSplit(rows: 100, pairs: 20, test: 100, seed: 1))
        // Another drop fraction keeps the same test rows and pairs and drops round(f·pool) rows per side.
        let half = try AlignmentSplit(rows: 1000, pairs: 20, test: 100, dropFraction: 0.5, seed: 7)
        XCTAssertEqual(half.testRows, split.testRows)
        XCTAssertEqual(half.pairedRows, split.pairedRows)
        XCTAssertEqual(half.unpairedX.count, 440)
        XCTAssertEqual(Set(half.unpairedY).count, 440)
        XCTAssertTrue(Set(split.testRows + split.pairedRows).isDisjoint(with: half.unpairedX + half.unpairedY))
        XCTAssertEqual(try AlignmentSplit(rows: 1000, pairs: 20, test: 100, dropFraction: 0, seed: 7).unpairedX.count, 880)
        for bad in [-0.1, 1, .nan] {
            XCTAssertThrowsError(try AlignmentSplit(rows: 1000, pairs: 20, test: 100, dropFraction: bad, seed: 7)) {
                XCTAssertTrue("\($0)".contains("drop fraction"), "\($0)")
            }
        }
        let summary = RecallSummary([RetrievalScores(xToY: Recall(r1: 1, r5: 2, r10: 3), yToX: Recall(r1: 0, r5: 0, r10: 0)),
                                     RetrievalScores(xToY: Recall(r1: 3, r5: 2, r10: 5), yToX: Recall(r1: 0, r5: 0, r10: 0))])
        XCTAssertEqual(summary.mean.xToY, Recall(r1: 2, r5: 2, r10: 4))
        XCTAssertEqual(summary.standardDeviation.xToY, Recall(r1: 1, r5: 0, r10: 1))
    }

    // MARK: ridge

    /// Ridge's Y side is the identity map, which embedding skips: the rows come out as the product would give them.
    func testAnIdentityMapIsSkippedWithTheSameValues() throws {
        var random = SeededRandom(seed: 4)
        let x: Matrix<Float> = random.normalMatrix(60, 7), y: Matrix<Float> = random.normalMatrix(60, 5)
        let model = try Ridge().fit(WeaklyPairedData(x: x, y: y, pairs: (0..<20).map { KnownPair(x: $0, y: $0) }),
                                    context: FitContext(seed: 1))
        XCTAssertTrue(model.mapY.isIdentity)
        let product = Matrix.multiply(try model.preprocessY.embed(y), .none, model.mapY, .none)
        XCTAssertEqual(try model.embedY(y).elements, product.elements)
        XCTAssertEqual(try model.embedX(x).elements,
                       Matrix.multiply(try model.preprocessX.embed(x), .none, model.mapX, .none).elements)
    }

    func testRidgeLeaveOneOutMatchesBruteForce() throws {
        var random = SeededRandom(seed: 2)
        for (n, d) in [(7, 12), (30, 5), (2, 3), (13, 6)] {
            var a: Matrix<Float> = random.normalMatrix(n, d)
            if n == 13 {
                // Rank-deficient: a repeated row and a repeated column (the decomposition drops a direction).
                for j in 0..<d { a[12, j] = a[3, j] }
                for i in 0..<n { a[i, 5] = a[i, 0] }
            }
            let b: Matrix<Float> = random.normalMatrix(n, 4)
            let lambda = 0.37
            let fitted = try RidgeRegression(a: a, b: b, lambdaGrid: [lambda])
            var total = 0.0
            for i in 0..<n {
                let keep = (0..<n).filter { $0 != i }
                let w = ridgeNormalEquations(a.rows(keep).converted(to: Double.self), b.rows(keep).converted(to: Double.self), lambda)
                for j in 0..<4 {
                    var prediction = 0.0
                    for t in 0..<d { prediction += Double(a[i, t]) * w[t, j] }
                    total += (Double(b[i, j]) - prediction) * (Double(b[i, j]) - prediction)
                }
            }
            XCTAssertEqual(fitted.leaveOneOutError, total / Double(n), accuracy: 1e-6 * total / Double(n), "n \(n) d \(d)")
            // The weights are the full-data ridge solution.
            let w = ridgeNormalEquations(a.converted(to: Double.self), b.converted(to: Double.self), lambda)
            for t in 0..<d { for j in 0..<4 { XCTAssertEqual(Double(fitted.weights[t, j]), w[t, j], accuracy: 1e-4) } }
        }
        XCTAssertThrowsError(try RidgeRegression(a: Matrix(rows: 1, columns: 3), b: Matrix(rows: 1, columns: 2)))
    }

    /// Generalised cross-validation with fewer rows than columns on wide inputs (the rows' Gram path), against the
    /// dual form computed directly: for each λ, H = K(K + λI)⁻¹ with K = AAᵀ, GCV = n·‖B − HB‖²/(n − tr H)², and
    /// the weights Aᵀ(K + λI)⁻¹B. Odd sizes, and a rank-deficient case (repeated rows).
    func testGeneralizedCrossValidationOnWideInputsMatchesTheDualForm() throws {
        var random = SeededRandom(seed: 8)
        for (n, repeated) in [(41, false), (23, true)] {
            let d = RidgeRegression.wideColumns + 7
            var a: Matrix<Float> = random.normalMatrix(n, d)
            if repeated { for j in 0..<d { a[n - 1, j] = a[0, j]; a[n - 2, j] = a[1, j] } }
            let b: Matrix<Float> = random.normalMatrix(n, 5)
            let grid = [3.0, 30, 300, 3000]
            let fitted = try RidgeRegression(a: a, b: b, lambdaGrid: grid, criterion: .generalizedCrossValidation)
            let ad = a.converted(to: Double.self), bd = b.converted(to: Double.self)
            let k = Matrix.multiply(ad, .none, ad, .transposed)
            var best = (score: Double.infinity, lambda: 0.0)
            for lambda in grid {
                var shifted = k
                for i in 0..<n { shifted[i, i] += lambda }
                let fittedValues = Matrix.multiply(k, .none, try choleskySolve(shifted, bd), .none)
                let hat = Matrix.multiply(k, .none, try choleskySolve(shifted, Matrix<Double>.identity(n)), .none)
                var rss = 0.0, trace = 0.0
                for t in bd.elements.indices { rss += (bd.elements[t] - fittedValues.elements[t]) * (bd.elements[t] - fittedValues.elements[t]) }
                for i in 0..<n { trace += hat[i, i] }
                let score = Double(n) * rss / ((Double(n) - trace) * (Double(n) - trace))
                if score < best.score { best = (score, lambda) }
            }
            XCTAssertEqual(fitted.lambda, best.lambda, "n \(n)")
            XCTAssertEqual(fitted.leaveOneOutError, best.score / Double(n), accuracy: 1e-6 * best.score, "n \(n)")
            var shifted = k
            for i in 0..<n { shifted[i, i] += best.lambda }
            let w = Matrix.multiply(ad, .transposed, try choleskySolve(shifted, bd), .none)
            var error = 0.0, norm = 0.0
            for t in w.elements.indices {
                error += (Double(fitted.weights.elements[t]) - w.elements[t]) * (Double(fitted.weights.elements[t]) - w.elements[t])
                norm += w.elements[t] * w.elements[t]
            }
            XCTAssertLessThan((error / norm).squareRoot(), 1e-5, "n \(n): relative error of the weights")
        }
        // Rows with nothing in them (every direction dropped): a zero map, finite, not an error.
        let empty = try RidgeRegression(a: Matrix(rows: 40, columns: RidgeRegression.wideColumns + 3),
                                        b: random.normalMatrix(40, 3) as Matrix<Float>, criterion: .generalizedCrossValidation)
        XCTAssertTrue(empty.weights.elements.allSatisfy { $0 == 0 })
        XCTAssertTrue(empty.leaveOneOutError.isFinite && empty.lambda.isFinite)
    }

    /// Ridge from sufficient statistics against ridge on the rows: the moments of two disjoint halves, added, give
    /// the same λ and map as the rows together (odd sizes, more rows than columns); bad moments are clear errors.
    func testRidgeFromMomentsMatchesRidgeOnTheRows() throws {
        var random = SeededRandom(seed: 12)
        for (n, dx, dy) in [(301, 37, 23), (97, 60, 11)] {
            let a: Matrix<Float> = random.normalMatrix(n, dx)
            var b = Matrix.multiply(a, .none, random.normalMatrix(dx, dy) as Matrix<Float>, .none)
            for k in b.elements.indices { b.elements[k] += Float(0.5 * random.normal()) }
            let onRows = try RidgeRegression(a: a, b: b, criterion: .generalizedCrossValidation)
            let half = n / 2
            let first = try CanonicalCorrelation.SecondMoments(a: a.rows(0..<half), b: b.rows(0..<half))
            let second = try CanonicalCorrelation.SecondMoments(a: a.rows(half..<n), b: b.rows(half..<n))
            let moments = first + second
            let norm = (0..<dy).reduce(0.0) { $0 + moments.yy[$1, $1] }
            let fromMoments = try RidgeRegression(gram: moments.xx, cross: moments.xy, targetSquaredNorm: norm, rows: moments.samples)
            // The products are summed in Double from Float rows (relative error about 10⁻⁶ each), and the score's
            // RSS = ‖B‖² − Σ… cancels most of ‖B‖² on a good fit, which magnifies that error in it.
            XCTAssertEqual(fromMoments.lambda, onRows.lambda, accuracy: 1e-6 * onRows.lambda)
            XCTAssertEqual(fromMoments.leaveOneOutError, onRows.leaveOneOutError, accuracy: 1e-3 * onRows.leaveOneOutError)
            let scale = onRows.weights.elements.map { abs($0) }.max()!
            for k in onRows.weights.elements.indices {
                XCTAssertEqual(fromMoments.weights.elements[k], onRows.weights.elements[k], accuracy: 1e-5 * scale)
            }
        }
        let gram = Matrix<Double>.identity(3), cross = Matrix<Double>(rows: 3, columns: 2)
        XCTAssertThrowsError(try RidgeRegression(gram: gram, cross: Matrix<Double>(rows: 4, columns: 2), targetSquaredNorm: 1, rows: 10)) { error in
            XCTAssertTrue("\(error)".contains("3×3"), "\(error)")
        }
        XCTAssertThrowsError(try RidgeRegression(gram: gram, cross: cross, targetSquaredNorm: 1, rows: 1))
        XCTAssertThrowsError(try RidgeRegression(gram: gram, cross: cross, targetSquaredNorm: .nan, rows: 10))
        var infinite = gram
        infinite[1, 2] = .infinity
        XCTAssertThrowsError(try RidgeRegression(gram: infinite, cross: cross, targetSquaredNorm: 1, rows: 10))
    }

    /// (AᵀA + λI)⁻¹AᵀB by Gaussian elimination, the independent reference.
    private func ridgeNormalEquations(_ a: Matrix<Double>, _ b: Matrix<Double>, _ lambda: Double) -> Matrix<Double> {
        let d = a.columns
        var m = Matrix.multiply(a, .transposed, a, .none)
        for i in 0..<d { m[i, i] += lambda }
        var rhs = Matrix.multiply(a, .transposed, b, .none)
        for col in 0..<d {
            let pivot = (col..<d).max { abs(m[$0, col]) < abs(m[$1, col]) }!
            for j in 0..<d { let t = m[col, j]; m[col, j] = m[pivot, j]; m[pivot, j] = t }
            for j in 0..<rhs.columns { let t = rhs[col, j]; rhs[col, j] = rhs[pivot, j]; rhs[pivot, j] = t }
            for r in 0..<d where r != col {
                let f = m[r, col] / m[col, col]
                for j in 0..<d { m[r, j] -= f * m[col, j] }
                for j in 0..<rhs.columns { rhs[r, j] -= f * rhs[col, j] }
            }
        }
        for r in 0..<d { for j in 0..<rhs.columns { rhs[r, j] /= m[r, r] } }
        return rhs
    }

    // MARK: CCA

    /// Planted structure: latent pairs (u_k, v_k) with corr ρ_k = 0.9, 0.6, 0.3, plus 3 independent noise
    /// dimensions per side, all mixed by random invertible matrices. Unregularised CCA is invariant to those
    /// mixes, so its correlations must come out as ρ up to sampling error ~1/√n. (The default shrinkage is
    /// not mixing-invariant — it shrinks towards the identity of the observed coordinates — so it is tested
    /// on the unmixed data, where γ = d/(n+d) = 0.1 % barely moves the correlations.)
    func testCCARecoversPlantedCorrelations() throws {
        var random = SeededRandom(seed: 9)
        let n = 6000, rho = [0.9, 0.6, 0.3]
        var lx = Matrix<Double>(rows: n, columns: 6), ly = Matrix<Double>(rows: n, columns: 6)
        for i in 0..<n {
            for k in 0..<3 {
                let u = random.normal()
                lx[i, k] = u
                ly[i, k] = rho[k] * u + (1 - rho[k] * rho[k]).squareRoot() * random.normal()
            }
            for k in 3..<6 { lx[i, k] = random.normal(); ly[i, k] = random.normal() }
        }
        let mixX: Matrix<Double> = random.normalMatrix(6, 6), mixY: Matrix<Double> = random.normalMatrix(6, 6)
        let a = Matrix.multiply(lx, .none, mixX, .none).converted(to: Float.self)
        let b = Matrix.multiply(ly, .none, mixY, .none).converted(to: Float.self)
        let cca = try CanonicalCorrelation(a: a, b: b, shrinkage: 0)
        XCTAssertEqual(cca.correlations.count, 6)
        let unmixed = try CanonicalCorrelation(a: lx.converted(to: Float.self), b: ly.converted(to: Float.self))
        for k in 0..<3 { XCTAssertEqual(unmixed.correlations[k], rho[k], accuracy: 0.03) }
        for k in 0..<3 { XCTAssertEqual(cca.correlations[k], rho[k], accuracy: 0.03) }
        for k in 3..<6 { XCTAssertLessThan(cca.correlations[k], 0.06) }
        // Canonical variates have unit (regularised) variance and the stated correlation.
        let u = Matrix.multiply(a.converted(to: Double.self), .none, cca.directionsX, .none)
        let v = Matrix.multiply(b.converted(to: Double.self), .none, cca.directionsY, .none)
        var suv = 0.0, suu = 0.0, svv = 0.0, mu = 0.0, mv = 0.0
        for i in 0..<n { mu += u[i, 0]; mv += v[i, 0] }
        mu /= Double(n); mv /= Double(n)
        for i in 0..<n { suv += (u[i, 0] - mu) * (v[i, 0] - mv); suu += (u[i, 0] - mu) * (u[i, 0] - mu); svv += (v[i, 0] - mv) * (v[i, 0] - mv) }
        XCTAssertEqual(suv / (suu * svv).squareRoot(), cca.correlations[0], accuracy: 0.01)
    }

    func testLeadingSingularTripletsAgreeWithTheFullSVD() throws {
        // Odd shapes, both orientations; the Gram shortcut (r ≤ min/3) and the SVD fallback (r larger, or a
        // kept σ below 10⁻⁴·σ₁) must agree with the full SVD: values, residuals ‖Mv − σu‖, orthogonality.
        var random = SeededRandom(seed: 11)
        let eps = Double.ulpOfOne
        for (rows, columns, r) in [(1, 1, 1), (2, 7, 1), (7, 2, 2), (63, 65, 21), (65, 63, 7), (384, 384, 128), (90, 384, 30)] {
            let m: Matrix<Double> = random.normalMatrix(rows, columns)
            let fast = try CanonicalCorrelation.leadingSingularTriplets(m, count: r)
            let svd = try singularValueDecomposition(m)
            let sigma1 = svd.singularValues[0]
            XCTAssertEqual(fast.values.count, r)
            for k in 0..<r {
                XCTAssertLessThan(abs(fast.values[k] - svd.singularValues[k]) / (sigma1 * eps), 1e3 * sigma1 / svd.singularValues[k],
                                  "\(rows)×\(columns) σ\(k)")
            }
            let mv = Matrix.multiply(m, .none, fast.v)
            var residual = 0.0
            for i in 0..<rows { for k in 0..<r { residual = max(residual, abs(mv[i, k] - fast.values[k] * fast.u[i, k])) } }
            XCTAssertLessThan(residual / (Double(max(rows, columns)) * sigma1 * eps), 100, "\(rows)×\(columns) residual")
            for q in [fast.u, fast.v] {
                let gram = Matrix.multiply(q, .transposed, q)
                var off = 0.0
                for i in 0..<r { for j in 0..<r { off = max(off, abs(gram[i, j] - (i == j ? 1 : 0))) } }
                XCTAssertLessThan(off / (Double(max(rows, columns)) * eps), 1e4, "\(rows)×\(columns) orthogonality")
            }
        }
        // Rank-deficient: 3 nonzero singular values of 60, asking for 10 → σ₄… are 0 < 10⁻⁴σ₁: the SVD is used.
        let a: Matrix<Double> = random.normalMatrix(60, 3), b: Matrix<Double> = random.normalMatrix(3, 60)
        let low = try CanonicalCorrelation.leadingSingularTriplets(Matrix.multiply(a, .none, b), count: 10)
        let reference = try singularValueDecomposition(Matrix.multiply(a, .none, b))
        for k in 0..<10 { XCTAssertEqual(low.values[k], reference.singularValues[k], accuracy: 1e-12 * reference.singularValues[0]) }
    }

    /// CCA from second moments: identical to CCA on the rows about the origin (`centred: false`), and moments
    /// of disjoint row sets add and subtract (what cross-fitted self-learning relies on), to rounding.
    func testCCAFromSecondMomentsAddsAndSubtracts() throws {
        var random = SeededRandom(seed: 31)
        let a: Matrix<Float> = random.normalMatrix(300, 9), b: Matrix<Float> = random.normalMatrix(300, 7)
        var shifted = a
        for i in 0..<shifted.rows { shifted[i, 0] += 3 }  // a mean the two centring choices treat differently
        let fromRows = try CanonicalCorrelation(a: shifted, b: b, maxComponents: 5, centred: false)
        let fromMoments = try CanonicalCorrelation(moments: .init(a: shifted, b: b), maxComponents: 5)
        XCTAssertEqual(fromRows.correlations, fromMoments.correlations)
        XCTAssertEqual(fromRows.directionsX, fromMoments.directionsX)
        let centred = try CanonicalCorrelation(a: shifted, b: b, maxComponents: 5)
        XCTAssertGreaterThan(zip(centred.correlations, fromRows.correlations).map { abs($0 - $1) }.max()!, 1e-3)

        // Rows 0..<200 from the moments of all rows minus those of rows 200..<300.
        let head = try CanonicalCorrelation(moments: .init(a: shifted.rows(0..<200), b: b.rows(0..<200)), maxComponents: 5)
        let all = try CanonicalCorrelation.SecondMoments(a: shifted, b: b)
        let tail = try CanonicalCorrelation.SecondMoments(a: shifted.rows(200..<300), b: b.rows(200..<300))
        let difference = try CanonicalCorrelation(moments: all - tail, maxComponents: 5)
        XCTAssertEqual((all - tail).samples, 200)
        XCTAssertEqual((all - tail).weight, 200)
        // The moments are Float block products summed in Double (relative error ≲ 256·2⁻²⁴ ≈ 1.5·10⁻⁵ of
        // Σ|x||y| ≤ 300·9, see `crossProductInDouble`), and a different split into blocks rounds differently.
        let tolerance = 1.5e-5 * 300 * 9
        let firstPart = try CanonicalCorrelation.SecondMoments(a: shifted.rows(0..<200), b: b.rows(0..<200))
        let sum = tail + firstPart
        for (p, q) in zip(sum.xy.elements + sum.xx.elements, all.xy.elements + all.xx.elements) {
            XCTAssertEqual(p, q, accuracy: tolerance)
        }
        for (p, q) in zip(head.correlations, difference.correlations) { XCTAssertEqual(p, q, accuracy: 1e-4) }
        for k in 0..<5 {  // directions agree up to a common sign per component
            let dot = (0..<9).reduce(0.0) { $0 + head.directionsX[$1, k] * difference.directionsX[$1, k] }
            let norms = (0..<9).reduce(0.0) { $0 + head.directionsX[$1, k] * head.directionsX[$1, k] }
            XCTAssertEqual(abs(dot) / norms, 1, accuracy: 1e-4, "component \(k)")
        }
        XCTAssertThrowsError(try CanonicalCorrelation(moments: all - all))
    }

    /// Cross-fitting settings: 0 parts is refused with a named error; more parts than unpaired rows falls back
    /// to matching all rows with one map; the result does not depend on the thread count (checked with the
    /// default 5 parts in `testSelfLearningIsThreadIndependent`).
    func testSelfLearningCrossFittingSettings() throws {
        let (x, y) = makeSyntheticPairs(rows: 300, seed: 5)
        let training = try AlignmentSplit(rows: 300, pairs: 10, test: 50, seed: 3).trainingData(x: x, y: y)
        var config = SelfLearning()
        config.crossFittingFolds = 0
        XCTAssertThrowsError(try config.fit(training, context: FitContext())) { error in
            guard case .invalidConfiguration? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
        config.crossFittingFolds = 10_000
        config.maxIterations = 3
        var single = config
        single.crossFittingFolds = 1
        // More parts than unpaired rows falls back to one part: the same maps (the reports differ in the setting).
        let many = try config.fit(training, context: FitContext()).alignment
        let one = try single.fit(training, context: FitContext()).alignment
        XCTAssertEqual(many.mapXY, one.mapXY)
        XCTAssertEqual(many.mapYX, one.mapYX)
    }

    /// A side of at least `wideColumns` columns with fewer samples is solved in its rows' span: the same
    /// correlations and directions (up to sign) as the d × d solve, directions C_xx-orthonormal, at odd sizes, with
    /// one side wide or both, weighted or not, and rows that repeat.
    func testCCAOnAWideSideSolvesInItsRowsSpan() throws {
        var random = SeededRandom(seed: 12)
        for (n, dx, dy, weighted) in [(13, 1031, 17, false), (9, 1025, 1037, true), (21, 40, 1029, false)] {
            var a: Matrix<Float> = random.normalMatrix(n, dx), b: Matrix<Float> = random.normalMatrix(n, dy)
            for j in 0..<dy { b[n - 1, j] = b[0, j] }  // a repeated Y row
            for j in 0..<min(dx, dy) { b[2, j] += 2 * a[2, j] }
            let weights: [Double]? = weighted ? (0..<n).map { 0.5 + Double($0 % 3) } : nil
            XCTAssertGreaterThanOrEqual(max(dx, dy), CanonicalCorrelation.wideColumns)  // the span path is taken
            let fast = try CanonicalCorrelation(a: a, b: b, weights: weights)

            // The d × d reference: the same centred, √w-scaled rows, through the moments.
            let w = weights ?? [Double](repeating: 1, count: n), total = w.reduce(0, +)
            func centred(_ m: Matrix<Float>) -> Matrix<Float> {
                let mean = (0..<m.columns).map { j in (0..<n).reduce(0.0) { $0 + w[$1] * Double(m[$1, j]) } / total }
                return Matrix(rows: n, columns: m.columns) { i, j in Float((Double(m[i, j]) - mean[j]) * w[i].squareRoot()) }
            }
            let (ac, bc) = (centred(a), centred(b))
            var moments = try CanonicalCorrelation.SecondMoments(a: ac, b: bc)
            moments.weight = total
            let reference = try CanonicalCorrelation(moments: moments)
            XCTAssertEqual(fast.shrinkageX, reference.shrinkageX, accuracy: 1e-15)
            XCTAssertEqual(fast.shrinkageY, reference.shrinkageY, accuracy: 1e-15)
            XCTAssertEqual(fast.correlations.count, reference.correlations.count)
            let compared = n - 2  // the last components have ρ ≈ 0 (centred rows have rank n − 1): their directions are arbitrary
            for k in 0..<compared {
                XCTAssertEqual(fast.correlations[k], reference.correlations[k], accuracy: 1e-6, "ρ\(k), n \(n)")
                for (f, r) in [(fast.directionsX, reference.directionsX), (fast.directionsY, reference.directionsY)] {
                    let dot = (0..<f.rows).reduce(0.0) { $0 + f[$1, k] * r[$1, k] }
                    let norm = (0..<f.rows).reduce(0.0) { $0 + r[$1, k] * r[$1, k] }
                    XCTAssertEqual(abs(dot) / norm, 1, accuracy: 1e-5, "direction \(k), n \(n)")
                }
            }
            // Wᵀ·C_xx·W = I with C_xx = AᵀA/total + ε·I, ε = γ·tr(AᵀA/total)/d.
            for (m, directions, gamma) in [(ac, fast.directionsX, fast.shrinkageX), (bc, fast.directionsY, fast.shrinkageY)] {
                let md = m.converted(to: Double.self)
                let trace = md.elements.reduce(0.0) { $0 + $1 * $1 } / total
                let epsilon = gamma * trace / Double(m.columns)
                let variates = Matrix.multiply(md, .none, directions)
                for k in 0..<compared {
                    for l in 0..<compared {
                        var value = (0..<n).reduce(0.0) { $0 + variates[$1, k] * variates[$1, l] } / total
                        value += epsilon * (0..<directions.rows).reduce(0.0) { $0 + directions[$1, k] * directions[$1, l] }
                        XCTAssertEqual(value, k == l ? 1 : 0, accuracy: 1e-8, "(\(k), \(l)), n \(n)")
                    }
                }
            }
        }
    }

    func testCCAWithFewerPairsThanDimensionsIsFinite() throws {
        var random = SeededRandom(seed: 4)
        for n in [1, 2, 5] {
            let a: Matrix<Float> = random.normalMatrix(n, 20), b: Matrix<Float> = random.normalMatrix(n, 13)
            let cca = try CanonicalCorrelation(a: a, b: b)
            XCTAssertLessThanOrEqual(cca.correlations.count, n)
            XCTAssertTrue(cca.correlations.allSatisfy { $0.isFinite && $0 >= 0 && $0 < 1 })
            XCTAssertTrue(cca.directionsX.elements.allSatisfy(\.isFinite))
            XCTAssertTrue(cca.directionsY.elements.allSatisfy(\.isFinite))
            let maps = cca.weightedMaps()
            XCTAssertTrue(maps.x.elements.allSatisfy(\.isFinite))
        }
        // Duplicated rows / rank-deficient inputs, narrow and wide (the rows' span path with nothing in it).
        for width in [3, CanonicalCorrelation.wideColumns + 1] {
            let a = Matrix<Float>(rows: 4, columns: width, repeating: 1), b = Matrix<Float>(rows: 4, columns: 2, repeating: 2)
            let cca = try CanonicalCorrelation(a: a, b: b)
            XCTAssertTrue(cca.correlations.allSatisfy(\.isFinite))
            XCTAssertTrue(cca.directionsX.elements.allSatisfy(\.isFinite), "width \(width)")
            XCTAssertEqual(cca.directionsX.rows, width)
        }
    }

    // MARK: self-learning and the automatic choice

    /// Synthetic data (1 500 rows, 10 known pairs): self-learning over the unpaired rows must clearly beat ridge.
    func testSelfLearningBeatsRidgeWithFewPairsOnSyntheticData() throws {
        let (x, y) = makeSyntheticPairs(rows: 1700, latent: 16, dx: 64, dy: 48, noise: 0.1, seed: 21)
        let split = try AlignmentSplit(rows: 1700, pairs: 10, test: 200, seed: 1)
        let training = split.trainingData(x: x, y: y)
        let test = split.testData(x: x, y: y)
        let ridge = try Ridge().fit(training, context: FitContext())
        let learned = try SelfLearning().fit(training, context: FitContext())
        let ridgeRecall = try retrievalRecall(try ridge.embedX(test.x), try ridge.embedY(test.y))
        let learnedRecall = try retrievalRecall(try learned.alignment.embedX(test.x), try learned.alignment.embedY(test.y))
        XCTAssertGreaterThan(learnedRecall.xToY.r10, ridgeRecall.xToY.r10 + 10,
                             "self-learning \(learnedRecall) vs ridge \(ridgeRecall); rounds \(learned.iterations)")
        XCTAssertGreaterThan(learnedRecall.xToY.r10, 60)
        XCTAssertFalse(learned.iterations.isEmpty)
        XCTAssertEqual(learned.pseudoPairs.count, learned.pseudoPairs.margin.count)

        let auto = try Automatic().fit(training, context: FitContext())
        let autoRecall = try retrievalRecall(try auto.embedX(test.x), try auto.embedY(test.y))
        XCTAssertGreaterThanOrEqual(autoRecall.xToY.r10, ridgeRecall.xToY.r10 - 5, "auto chose \(auto.choice): \(auto.reason)")
        // Self-learning beat ridge by more than 10 points above, so it found the correspondence: the lock-in
        // test must see that, and the cross-validation must then keep it.
        XCTAssertTrue(auto.reason.contains("locked in"), auto.reason)
        XCTAssertEqual(auto.choice, .selfLearning, auto.reason)
        // What `auto` keeps of the loop is what the loop returns (its dictionary under ridge maps both ways), and
        // it retrieves at least as well.
        XCTAssertEqual(auto.model.storedForm.kind, "two-way-linear-alignment")
        XCTAssertGreaterThanOrEqual(autoRecall.xToY.r10, learnedRecall.xToY.r10 - 1, auto.reason)
        XCTAssertGreaterThanOrEqual(autoRecall.yToX.r10, learnedRecall.yToX.r10 - 1, auto.reason)
    }

    /// Clustered views (a Gaussian mixture seen through tanh and through softplus, with noise): the loop locks in,
    /// and its dictionary of thousands of pseudo-pairs under ridge maps both ways — the model self-learning
    /// returns — must retrieve clearly better than CCA fitted on the same dictionary, whose whitened, truncated
    /// space blurs the neighbours within a cluster.
    func testSelfLearningKeepsItsDictionaryUnderRidgeMapsBothWays() throws {
        let (x, y) = makeClusteredViews(rows: 2000, seed: 7)
        let split = try AlignmentSplit(rows: 2000, pairs: 20, test: 300, seed: 2)
        let training = split.trainingData(x: x, y: y), test = split.testData(x: x, y: y)
        let learned = try SelfLearning().fit(training, context: FitContext(seed: 2))
        XCTAssertEqual(learned.storedForm.kind, "two-way-linear-alignment")
        XCTAssertGreaterThan(learned.pseudoPairs.count, 500, learned.stopReason)
        // Cross-fitting matches each part of the X rows on its own, so two parts may claim one Y row; CCA's
        // pairs must be one-to-one, so the first claim stands.
        var usedX = Set<Int>(), usedY = Set<Int>(), pairs = training.pairs
        for (i, j) in zip(learned.pseudoPairs.x, learned.pseudoPairs.y) where !usedX.contains(i) && !usedY.contains(j) {
            usedX.insert(i); usedY.insert(j); pairs.append(KnownPair(x: i, y: j))
        }
        let dictionary = WeaklyPairedData(x: training.x, y: training.y, pairs: pairs)
        let cca = try CCA().fit(dictionary, context: FitContext())
        let kept = try retrievalRecall(try learned.embedX(test.x), try learned.embedY(test.y))
        let canonical = try retrievalRecall(try cca.embedX(test.x), try cca.embedY(test.y))
        XCTAssertGreaterThan(kept.xToY.r1, canonical.xToY.r1 + 10, "kept \(kept), CCA on the dictionary \(canonical)")
        XCTAssertGreaterThan(kept.yToX.r1, canonical.yToX.r1 + 10, "kept \(kept), CCA on the dictionary \(canonical)")
        XCTAssertGreaterThan(kept.xToY.r10, 95, "\(kept)")
    }

    func testSelfLearningRoundsInLeadingComponentsOfWideSides() throws {
        // Both sides wider than the bound (128 and 64 columns against 48): the rounds work in each side's leading
        // principal components, the returned maps take every column, and the loop still finds the correspondence
        // it finds at full width.
        let (x, y) = makeClusteredViews(rows: 2000, seed: 7)
        let split = try AlignmentSplit(rows: 2000, pairs: 20, test: 300, seed: 2)
        let training = split.trainingData(x: x, y: y), test = split.testData(x: x, y: y)
        var narrow = SelfLearning()
        narrow.maxRoundColumns = 48
        let reduced = try narrow.fit(training, context: FitContext(seed: 2))
        var wide = SelfLearning()
        wide.maxRoundColumns = nil
        let full = try wide.fit(training, context: FitContext(seed: 2))
        XCTAssertTrue(reduced.inputColumns == (128, 64))
        XCTAssertEqual(reduced.dimension, 128 + 64)
        let reducedRecall = try retrievalRecall(try reduced.embedX(test.x), try reduced.embedY(test.y))
        let fullRecall = try retrievalRecall(try full.embedX(test.x), try full.embedY(test.y))
        XCTAssertGreaterThan(reduced.pseudoPairs.count, 500, reduced.stopReason)
        XCTAssertGreaterThan(reducedRecall.xToY.r10, 95, "\(reducedRecall)")
        XCTAssertGreaterThan(reducedRecall.yToX.r10, 95, "\(reducedRecall)")
        XCTAssertGreaterThan(reducedRecall.xToY.r1, fullRecall.xToY.r1 - 5, "leading components \(reducedRecall), all columns \(fullRecall)")
        XCTAssertGreaterThan(reducedRecall.yToX.r1, fullRecall.yToX.r1 - 5, "leading components \(reducedRecall), all columns \(fullRecall)")
        // The rounds did run in 48 columns; a bound no side exceeds leaves the fit as it is without one.
        XCTAssertNotEqual(reduced.pseudoPairs.x, full.pseudoPairs.x)
        var atWidth = SelfLearning()
        atWidth.maxRoundColumns = 128
        let same = try atWidth.fit(training, context: FitContext(seed: 2))
        XCTAssertEqual(same.pseudoPairs.x, full.pseudoPairs.x)
        XCTAssertEqual(same.pseudoPairs.y, full.pseudoPairs.y)
        var bad = SelfLearning()
        bad.maxRoundColumns = 0
        XCTAssertThrowsError(try bad.fit(training, context: FitContext(seed: 2))) { error in
            XCTAssertTrue("\(error)".contains("maxRoundColumns"), "\(error)")
        }
    }

    func testARunLockingInAtItsLastRoundGetsOvertime() throws {
        // Cap a run at the round where its share of new pseudo-pairs first falls by more than the overtime drop
        // (the lock-in under way): with overtime it goes on and settles, without it stops there unsettled.
        let (x, y) = makeClusteredViews(rows: 2000, seed: 7)
        let split = try AlignmentSplit(rows: 2000, pairs: 20, test: 300, seed: 2)
        let training = split.trainingData(x: x, y: y), test = split.testData(x: x, y: y)
        let free = try SelfLearning().fit(training, context: FitContext(seed: 2))
        let fractions = free.iterations.map(\.newFraction)
        let drop = try XCTUnwrap((2..<fractions.count).first { fractions[$0 - 1] - fractions[$0] >= SelfLearning().overtimeChurnDrop },
                                 "no lock-in in \(fractions)")
        var capped = SelfLearning()
        capped.maxIterations = drop + 1
        let extended = try capped.fit(training, context: FitContext(seed: 2))
        capped.overtimeRounds = 0
        let cut = try capped.fit(training, context: FitContext(seed: 2))
        XCTAssertEqual(cut.iterations.count, drop + 1)
        XCTAssertFalse(cut.converged, cut.stopReason)
        XCTAssertGreaterThan(extended.iterations.count, drop + 1)
        XCTAssertLessThanOrEqual(extended.iterations.count, drop + 1 + SelfLearning().overtimeRounds)
        XCTAssertTrue(extended.converged, extended.stopReason)
        // The rounds before the cap are the same run.
        XCTAssertEqual(Array(extended.iterations.prefix(drop + 1)), cut.iterations)
        // Settled, it passes the lock-in evidence `auto` asks of a run that a stopping rule ended.
        XCTAssertTrue(showsLockIn(scores: extended.iterations.map(\.meanScore), converged: extended.converged, margin: 0.25))
        let extendedRecall = try retrievalRecall(try extended.embedX(test.x), try extended.embedY(test.y))
        XCTAssertGreaterThan(extendedRecall.xToY.r10, 95, "\(extendedRecall)")
        var bad = SelfLearning()
        bad.overtimeRounds = -1
        XCTAssertThrowsError(try bad.fit(training, context: FitContext(seed: 2)))
        bad = SelfLearning()
        bad.overtimeChurnDrop = 1.5
        XCTAssertThrowsError(try bad.fit(training, context: FitContext(seed: 2)))
    }

    func testAutoDoesNotTrustSelfLearningWithoutACorrespondence() throws {
        // X and Y are unrelated: any mutual matches self-learning settles on are noise it has fitted, so the
        // null run from shuffled pairs must score as well, and auto must fall back to a map from the pairs.
        var random = SeededRandom(seed: 21)
        let x: Matrix<Float> = random.normalMatrix(900, 12)
        let y: Matrix<Float> = random.normalMatrix(900, 10)
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<12).map { KnownPair(x: $0, y: $0) })
        let auto = try Automatic().fit(data, context: FitContext())
        XCTAssertNotEqual(auto.choice, .selfLearning, auto.reason)
        XCTAssertTrue(auto.reason.contains("no correspondence found"), auto.reason)
        XCTAssertNotNil(auto.scores[.ridge]); XCTAssertNotNil(auto.scores[.cca]); XCTAssertNotNil(auto.scores[.ccaProfiles])
        XCTAssertNil(auto.scores[.selfLearning])
    }

    /// The other lock-in evidence for a run that used all its rounds: its share of new pseudo-pairs fell from over
    /// a half to at most the settled level within four rounds and stayed there. Shapes as measured on the relu
    /// stress view from 20 pairs (creeping, and locking in over four rounds), and the cases that must not count.
    func testALockInShowsAsAFastFallInNewPseudoPairs() {
        let creeping = (0..<20).map { 0.97 - 0.02 * Double($0) }
        let locking = [1, 0.967, 0.94, 0.915, 0.88, 0.853, 0.82, 0.79, 0.75, 0.72, 0.67, 0.615, 0.52, 0.416, 0.2, 0.084,
                       0.05, 0.037, 0.031, 0.027]
        XCTAssertFalse(settledAfterAFastFall(creeping, settled: 0.2))
        XCTAssertTrue(settledAfterAFastFall(locking, settled: 0.2))
        XCTAssertFalse(settledAfterAFastFall(locking, settled: 0.02), "not settled at that level")
        XCTAssertFalse(settledAfterAFastFall(locking + [0.35], settled: 0.2), "churning again")
        XCTAssertFalse(settledAfterAFastFall(Array(locking.prefix(14)), settled: 0.2), "not yet fallen")
        XCTAssertTrue(settledAfterAFastFall([1, 0.9, 0.6, 0.3, 0.1, 0.05], settled: 0.2), "a lock-in by round 4")
        XCTAssertFalse(settledAfterAFastFall([1, 0.1, 0.05], settled: 0.2), "too few rounds to tell")
        XCTAssertFalse(settledAfterAFastFall([], settled: 0.2))
    }

    /// The lock-in evidence for a run that used all its rounds, on trajectories measured on the text pairs
    /// (mean CSLS per round, cross-fitted): a creeping run from 5 pairs must not count, lock-ins from 10 and 20
    /// pairs must, a run ended by a stopping rule counts, and round 0 (the start's space) is never compared.
    func testLockInNeedsAJumpWhenTheRunUsedAllItsRounds() {
        let creeping5 = [0.052, 0.1131, 0.1310, 0.1584, 0.1827, 0.1995, 0.2107, 0.2183, 0.2252, 0.2288, 0.2311]
        let locking10 = [0.09, 0.1161, 0.1501, 0.1683, 0.2015, 0.2143, 0.2166, 0.2218, 0.3213, 0.5935]
        let locking20 = [0.17, 0.1266, 0.1633, 0.2755, 0.5369, 0.5929]
        XCTAssertFalse(showsLockIn(scores: creeping5, converged: false, margin: 0.25))
        XCTAssertTrue(showsLockIn(scores: locking10, converged: false, margin: 0.25))
        XCTAssertTrue(showsLockIn(scores: locking20, converged: false, margin: 0.25))
        XCTAssertTrue(showsLockIn(scores: creeping5, converged: true, margin: 0.25))
        XCTAssertFalse(showsLockIn(scores: [0.01, 0.5, 0.51], converged: false, margin: 0.25), "round 0 → 1 is not a jump")
        XCTAssertFalse(showsLockIn(scores: [0.1, 0.2], converged: false, margin: 0.25))
        // Demo data (2 000 rows), 20 pairs, profiles at weight 1 in the start: +25.2 % from round 1 to 2, then creep.
        let creepingDemo = [0.1791, 0.1768, 0.2213, 0.2358, 0.2520, 0.2583, 0.2709, 0.2760, 0.2817, 0.2846, 0.2884,
                            0.2901, 0.2961, 0.3000, 0.3040, 0.3028, 0.3054, 0.3080, 0.3085, 0.3123]
        XCTAssertFalse(showsLockIn(scores: creepingDemo, converged: false, margin: 0.25), "round 1 → 2 is still the start's transient")
    }

    func testDerangementsHaveNoFixedPoint() {
        var random = SeededRandom(seed: 4)
        for n in [2, 3, 7, 64, 1000] {
            for _ in 0..<20 {
                let p = random.derangement(n)
                XCTAssertEqual(Set(p), Set(0..<n))
                XCTAssertFalse(p.indices.contains { p[$0] == $0 }, "n = \(n): \(p)")
            }
        }
    }

    /// The similarity profiles join the start by default: round 0 then matches in a different space than CCA
    /// alone, the later rounds are CCA refits either way, and a negative weight is refused.
    func testSelfLearningStartUsesTheProfilesByDefault() throws {
        let (x, y) = makeSyntheticPairs(rows: 700, seed: 12)
        let split = try AlignmentSplit(rows: 700, pairs: 6, test: 50, seed: 3)
        let training = split.trainingData(x: x, y: y)
        var config = SelfLearning()
        config.maxIterations = 2
        XCTAssertEqual(config.profileWeight, 0.75)
        let withProfiles = try config.fit(training, context: FitContext())
        config.profileWeight = nil
        let ccaAlone = try config.fit(training, context: FitContext())
        XCTAssertNotEqual(withProfiles.iterations[0], ccaAlone.iterations[0], "round 0 must match in [CCA | profiles]")
        config.profileWeight = 0
        let zeroWeight = try config.fit(training, context: FitContext())
        XCTAssertEqual(zeroWeight.iterations, ccaAlone.iterations, "weight 0 is CCA alone")
        config.profileWeight = -1
        XCTAssertThrowsError(try config.fit(training, context: FitContext())) { error in
            XCTAssertTrue("\(error)".contains("profileWeight"), "\(error)")
        }
    }

    func testSelfLearningIsThreadIndependent() throws {
        let (x, y) = makeSyntheticPairs(rows: 600, seed: 3)
        let split = try AlignmentSplit(rows: 600, pairs: 8, test: 50, seed: 2)
        let training = split.trainingData(x: x, y: y)
        var config = SelfLearning()
        config.maxIterations = 3
        let one = try Parallel.withThreads(1) { try config.fit(training, context: FitContext()) }
        let two = try Parallel.withThreads(2) { try config.fit(training, context: FitContext()) }
        XCTAssertEqual(one.alignment, two.alignment)
        XCTAssertEqual(one.iterations, two.iterations)
    }

    func testBadInputsThrowNamedErrors() throws {
        let x = Matrix<Float>(rows: 5, columns: 3, repeating: 1), y = Matrix<Float>(rows: 4, columns: 2, repeating: 1)
        let bad = WeaklyPairedData(x: x, y: y, pairs: [KnownPair(x: 0, y: 9)])
        XCTAssertThrowsError(try Ridge().fit(bad, context: FitContext())) { error in
            XCTAssertEqual(error as? AlignmentError, .invalidPair(index: 0, "refers to Y row 9, but Y has 4 rows"))
        }
        let twice = WeaklyPairedData(x: x, y: y, pairs: [KnownPair(x: 0, y: 0), KnownPair(x: 0, y: 1)])
        XCTAssertThrowsError(try SelfLearning().fit(twice, context: FitContext())) { error in
            guard case .invalidPair(index: 1, _)? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Catalogue.entry(named: "no-such-method")) { error in
            XCTAssertEqual(error as? AlignmentError, .unknownMethod("no-such-method", available: Catalogue.names))
        }
        var nan = x
        nan[2, 1] = .nan
        XCTAssertThrowsError(try CCA().fit(WeaklyPairedData(x: nan, y: y, pairs: [KnownPair(x: 0, y: 0), KnownPair(x: 1, y: 1)]), context: FitContext())) { error in
            guard case .nonFinite(what: "X", row: 2, column: 1, _)? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
    }

    func testExperimentRunsEveryLinearAndPairFreeMethod() throws {
        let (x, y) = makeSyntheticPairs(rows: 500, seed: 8)
        let names = ["ridge", "procrustes", "cca", "components+cca", "cca+profiles", "self-learning", "similarity-profiles", "auto"]
        let results = try runAlignmentExperiment(x: x, y: y, pairs: 12, test: 60, seeds: 2,
                                                 methods: try names.map(Catalogue.entry(named:)))
        XCTAssertEqual(results.map(\.method), names)
        for r in results {
            XCTAssertEqual(r.perSeed.count, 2)
            XCTAssertTrue(r.recall.mean.xToY.r10 >= 0 && r.recall.mean.xToY.r10 <= 100)
        }
        XCTAssertEqual(results.first { $0.method == "auto" }?.choices.count, 2, "auto reports its choice on every seed")
    }

    // MARK: real data (skipped when absent)

    /// The package root's parent + /shared/data/textpairs (or one level higher, for a git worktree checked out
    /// under a sibling folder; or $SUE_TEXTPAIRS).
    private var textpairsFolder: URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var candidates = [root.deletingLastPathComponent().appendingPathComponent("shared/data/textpairs"),
                          root.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/textpairs")]
        if let custom = ProcessInfo.processInfo.environment["SUE_TEXTPAIRS"] {
            candidates.insert(URL(fileURLWithPath: custom), at: 0)
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("minilm.npy").path) }
            ?? candidates[0]
    }

    private func loadTextpairs(rows: Int?) throws -> (Matrix<Float>, Matrix<Float>) {
        let folder = textpairsFolder
        let fx = folder.appendingPathComponent("minilm.npy"), fy = folder.appendingPathComponent("e5small.npy")
        guard FileManager.default.fileExists(atPath: fx.path), FileManager.default.fileExists(atPath: fy.path) else {
            throw XCTSkip("textpairs data not found at \(folder.path)")
        }
        let x = try NPYFile.read(fx, as: Float.self), y = try NPYFile.read(fy, as: Float.self)
        guard let rows else { return (x, y) }
        return (x.rows(0..<rows), y.rows(0..<rows))
    }

    /// Cheap check on 3 000 real rows (MiniLM ↔ e5), one seed, 50 pairs: the default must not lose to ridge and
    /// must clear a conservative bound.
    func testTextpairsSubsetSelfLearning() throws {
        let (x, y) = try loadTextpairs(rows: 3000)
        let results = try runAlignmentExperiment(x: x, y: y, pairs: 50, test: 400, seeds: 1, methods: [try Catalogue.entry(named: "ridge"), try Catalogue.entry(named: "auto")])
        let ridge = results[0].recall.mean.xToY.r10, auto = results[1].recall.mean.xToY.r10
        XCTAssertGreaterThanOrEqual(auto, ridge - 2, "auto (\(results[1].choices)) \(auto) vs ridge \(ridge)")
        XCTAssertGreaterThan(auto, 80)
    }

}

/// The automatic choice's rule against ridge (`Automatic.select`): a candidate replaces ridge only when its
/// per-pair scores beat ridge's clearly, as a paired comparison, and not at the cost of one direction.
final class AutomaticSelectionTests: XCTestCase {
    func testACandidateLevelWithRidgeOrNoisilyAheadKeepsRidge() {
        let ridge = PairRecall(symmetric: [0.0, 1, 0, 1, 1, 0, 0, 1, 0, 1])
        // Ahead by one pair in ten: the mean is higher, the paired difference is not clear of its noise.
        let noisy = PairRecall(symmetric: [0.0, 1, 0, 1, 1, 0, 1, 1, 0, 1])
        XCTAssertEqual(Automatic.select([.ridge: ridge, .cca: noisy], lockedIn: false, significance: 2).choice, .ridge)
        // Behind ridge: never chosen, however the rest compares.
        let behind = PairRecall(symmetric: [0.0, 0, 0, 1, 0, 0, 0, 1, 0, 1])
        XCTAssertEqual(Automatic.select([.ridge: ridge, .cca: behind, .ccaProfiles: behind], lockedIn: false,
                                        significance: 2).choice, .ridge)
    }

    func testAClearWinnerReplacesRidgeAndTheBestClearWinnerIsChosen() {
        let ridge = PairRecall(symmetric: [0.0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
        let better = PairRecall(symmetric: [1.0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1])
        let best = PairRecall(symmetric: [1.0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(Automatic.select([.ridge: ridge, .cca: better], lockedIn: false, significance: 2).choice, .cca)
        XCTAssertEqual(Automatic.select([.ridge: ridge, .cca: better, .selfLearning: best], lockedIn: true,
                                        significance: 2).choice, .selfLearning)
        // A stricter significance keeps ridge for the smaller gain.
        XCTAssertEqual(Automatic.select([.ridge: ridge, .cca: better], lockedIn: false, significance: 50).choice, .ridge)
    }

    func testTheJudgedTwoWayRunNeedsOneStandardErrorOnlyOnALargeFold() {
        // Ridge finds none of the pairs; the loop finds 3 of 40 (1.78 standard errors) or 2 of 20 (1.45).
        func scores(hits: Int, of count: Int) -> PairRecall {
            PairRecall(symmetric: (0..<count).map { $0 < hits ? 1.0 : 0 })
        }
        func choice(hits: Int, of count: Int) -> AutomaticModel.Choice {
            Automatic.select([.ridge: scores(hits: 0, of: count), .twoWaySelfLearning: scores(hits: hits, of: count)],
                             lockedIn: false,
                             significance: Automatic.twoWaySignificance(heldOutPairs: count, default: 2)).choice
        }
        XCTAssertGreaterThanOrEqual(40, Automatic.largeHeldOutFold)
        XCTAssertLessThan(20, Automatic.largeHeldOutFold)
        XCTAssertEqual(choice(hits: 3, of: 40), .twoWaySelfLearning)
        XCTAssertEqual(choice(hits: 2, of: 20), .ridge)
        // Never stricter than the estimator's own setting.
        XCTAssertEqual(Automatic.twoWaySignificance(heldOutPairs: 100, default: 0.5), 0.5)
        XCTAssertEqual(Automatic.twoWaySignificance(heldOutPairs: Automatic.largeHeldOutFold, default: 2), 1)
        XCTAssertEqual(Automatic.twoWaySignificance(heldOutPairs: Automatic.largeHeldOutFold - 1, default: 2), 2)
    }

    func testACandidateBehindRidgeInOneDirectionKeepsRidge() {
        // Ridge retrieves far better from Y to X than from X to Y; the candidate is symmetric and clearly ahead on
        // the mean of both directions, but behind from Y to X.
        let ridge = PairRecall(xToY: [0.0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0], yToX: [1.0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1])
        let symmetric = PairRecall(symmetric: [1.0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1])
        XCTAssertGreaterThan(symmetric.both.reduce(0, +), ridge.both.reduce(0, +))
        let (choice, note) = Automatic.select([.ridge: ridge, .cca: symmetric], lockedIn: false, significance: 0)
        XCTAssertEqual(choice, .ridge)
        XCTAssertTrue(note.contains("y→x -"), note)
        // Level in one direction and ahead in the other: chosen.
        let ahead = PairRecall(xToY: [1.0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1], yToX: ridge.yToX)
        XCTAssertEqual(Automatic.select([.ridge: ridge, .cca: ahead], lockedIn: false, significance: 2).choice, .cca)
    }

    func testAnotherBaselineIsKeptUnlessBeatenClearly() {
        let kernel = PairRecall(symmetric: [0.0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0])
        let networks = PairRecall(symmetric: [1.0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1])
        let (choice, note) = Automatic.select([.kernelRidge: kernel, .contrastive: networks], lockedIn: false, significance: 2,
                                              baseline: .kernelRidge)
        XCTAssertEqual(choice, .contrastive)
        XCTAssertTrue(note.contains("against kernel-ridge"), note)
        XCTAssertEqual(Automatic.select([.kernelRidge: networks, .contrastive: kernel], lockedIn: false, significance: 2,
                                        baseline: .kernelRidge).choice, .kernelRidge)
    }

    func testWithoutScoresALockedInRunIsKeptElseRidge() {
        XCTAssertEqual(Automatic.select([:], lockedIn: true, significance: 2).choice, .selfLearning)
        XCTAssertEqual(Automatic.select([:], lockedIn: false, significance: 2).choice, .ridge)
    }
}

/// The bounded core of a fit (`WeaklyPairedData.core(rows:seed:)`, `FitContext.coreRows`).
final class CoreSampleTests: XCTestCase {
    func testCoreKeepsEveryPairBoundsTheRowsAndLeavesSmallDataAlone() {
        var random = SeededRandom(seed: 3)
        let data = WeaklyPairedData(x: random.normalMatrix(500, 4), y: random.normalMatrix(300, 3),
                                    pairs: [KnownPair(x: 499, y: 0), KnownPair(x: 7, y: 299), KnownPair(x: 250, y: 150)])
        let core = data.core(rows: 100, seed: 9)
        XCTAssertEqual(core.x.rows, 100)
        XCTAssertEqual(core.y.rows, 100)
        XCTAssertEqual(core.pairs.count, 3)
        for (p, q) in zip(data.pairs, core.pairs) {
            XCTAssertEqual(core.x.row(q.x), data.x.row(p.x), "the pair's X row is kept")
            XCTAssertEqual(core.y.row(q.y), data.y.row(p.y), "the pair's Y row is kept")
        }
        XCTAssertEqual(core.x, data.core(rows: 100, seed: 9).x, "seeded")
        XCTAssertNotEqual(core.x, data.core(rows: 100, seed: 10).x)
        let whole = data.core(rows: 500, seed: 9)
        XCTAssertEqual(whole.x, data.x)
        XCTAssertEqual(whole.y, data.y)
        XCTAssertEqual(whole.pairs, data.pairs)
    }

    func testAFitOnACoreEmbedsEveryRowAndRecordsItsRows() throws {
        let (x, y) = makeSyntheticPairs(rows: 1200, seed: 6)
        let data = WeaklyPairedData(x: x, y: y, pairs: (0..<40).map { KnownPair(x: $0, y: $0) })
        let model = try SelfLearning().fit(data, context: FitContext(seed: 1, coreRows: 600))
        XCTAssertEqual(model.report.xRows, 600)
        XCTAssertEqual(try model.embedX(x).rows, 1200)
        let whole = try SelfLearning().fit(data, context: FitContext(seed: 1, coreRows: nil))
        XCTAssertEqual(whole.report.xRows, 1200)
    }
}

/// Clustered views: latent points around 30 Gaussian centres in 20 dimensions, X = tanh(z·A) + noise (128
/// columns), Y = softplus(z·B) + noise (64 columns); row i of X belongs with row i of Y.
func makeClusteredViews(rows: Int, seed: UInt64) -> (x: Matrix<Float>, y: Matrix<Float>) {
    var random = SeededRandom(seed: seed)
    let latent = 20
    let centres: Matrix<Double> = random.normalMatrix(30, latent)
    let a: Matrix<Double> = random.normalMatrix(latent, 128, std: 1 / Double(latent).squareRoot())
    let b: Matrix<Double> = random.normalMatrix(latent, 64, std: 1 / Double(latent).squareRoot())
    var z = Matrix<Double>(rows: rows, columns: latent)
    for i in 0..<rows {
        let c = random.int(below: 30)
        for j in 0..<latent { z[i, j] = centres[c, j] + 0.5 * random.normal() }
    }
    let za = Matrix.multiply(z, .none, a, .none), zb = Matrix.multiply(z, .none, b, .none)
    var x = Matrix<Float>(rows: rows, columns: 128), y = Matrix<Float>(rows: rows, columns: 64)
    for i in 0..<rows {
        for j in 0..<128 { x[i, j] = Float(tanh(za[i, j]) + 0.3 * random.normal()) }
        for j in 0..<64 { y[i, j] = Float(log1p(exp(zb[i, j])) + 0.3 * random.normal()) }
    }
    return (x, y)
}
