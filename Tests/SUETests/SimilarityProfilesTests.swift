import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import XCTest

/// Tests of the pair-free aligner (`SimilarityProfileAlignment`): the profiles against a slow reference, the
/// invariances that make them pair-free, retrieval above chance with no pairs, the model file, bad input.
final class SimilarityProfilesTests: XCTestCase {

    /// Independent slow reference: Double throughout, full sort, the row's own copy dropped by identity.
    private func slowProfiles(_ rows: Matrix<Float>, reference: Matrix<Float>, centre: [Float], ranks: [Int],
                              selfIndex: (Int) -> Int?) -> [[Double]] {
        func unit(_ a: Matrix<Float>, _ i: Int) -> (v: [Double], norm: Double) {
            let c = (0..<a.columns).map { Double(a[i, $0]) - Double(centre[$0]) }
            let n = c.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return (c.map { $0 / n }, n)
        }
        let refs = (0..<reference.rows).map { unit(reference, $0).v }
        return (0..<rows.rows).map { i in
            let (u, norm) = unit(rows, i)
            var s = [Double]()
            for (k, r) in refs.enumerated() where k != selfIndex(i) { s.append(zip(u, r).reduce(0) { $0 + $1.0 * $1.1 }) }
            s.sort(by: >)
            return ranks.map { s[$0 - 1] } + [s.reduce(0, +) / Double(s.count), norm]
        }
    }

    func testProfilesMatchASlowReferenceOnOddSizes() throws {
        var random = SeededRandom(seed: 11)
        for n in [3, 7, 65, 300] {
            let reference: Matrix<Float> = random.normalMatrix(n, 9)
            let queries: Matrix<Float> = random.normalMatrix(5, 9)
            let centre = RowPreprocessing(fittedOn: reference).mean
            let ranks = SimilarityProfile.geometricRanks(otherRows: n - 1)
            let profile = try SimilarityProfile(centre: centre, referenceRows: reference, ranks: ranks)
            XCTAssertEqual(profile.ranks, ranks)
            XCTAssertEqual(ranks.first, 1)
            XCTAssertTrue(ranks.allSatisfy { $0 >= 1 && $0 <= n - 1 })
            XCTAssertEqual(ranks, ranks.sorted())
            XCTAssertEqual(Set(ranks).count, ranks.count)

            // New rows: every reference row counts. Reference rows: their own copy is skipped.
            for (rows, selfIndex) in [(queries, { (_: Int) -> Int? in nil }), (reference, { (i: Int) -> Int? in i })] {
                let expected = slowProfiles(rows, reference: reference, centre: centre, ranks: ranks, selfIndex: selfIndex)
                let got = try profile.embed(rows)
                XCTAssertEqual(got.columns, ranks.count + 2)
                for i in 0..<rows.rows {
                    for j in 0..<got.columns {
                        let standardised = (expected[i][j] - Double(profile.featureMean[j])) / Double(profile.featureScale[j])
                        // Float similarities of unit rows: error ≲ d·ε_Float; scaled by 1/sd of the coordinate.
                        let tolerance = 1e-4 / Double(profile.featureScale[j]) + 1e-4
                        XCTAssertEqual(Double(got[i, j]), standardised, accuracy: tolerance, "n \(n), row \(i), coordinate \(j)")
                    }
                }
            }
            // The reference rows' own standardised profiles have mean 0 and sd 1 in every varying coordinate.
            let own = try profile.embed(reference)
            for j in 0..<own.columns {
                let column = (0..<own.rows).map { Double(own[$0, j]) }
                let mean = column.reduce(0, +) / Double(n)
                let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
                XCTAssertEqual(mean, 0, accuracy: 1e-4, "n \(n), coordinate \(j)")
                if sd > 1e-3 { XCTAssertEqual(sd, 1, accuracy: 1e-3, "n \(n), coordinate \(j)") }
            }
        }
    }

    /// What makes the profiles pair-free: a modality can be rotated, rescaled and shifted (a different encoder
    /// of the same items, to first order) without changing them.
    func testProfilesAreInvariantToRotationScaleAndShift() throws {
        var random = SeededRandom(seed: 5)
        let x: Matrix<Float> = random.normalMatrix(200, 12)
        let gaussian: Matrix<Double> = random.normalMatrix(12, 12)
        let q = qrDecomposition(gaussian).q
        let shift: [Float] = (0..<12).map { _ in Float(random.normal()) * 3 }
        let moved = Matrix(rows: 200, columns: 12) { i, j -> Float in
            var s = 0.0
            for k in 0..<12 { s += Double(x[i, k]) * q[k, j] }
            return Float(2.5 * s) + shift[j]
        }
        let a = try SimilarityProfiles().fit(WeaklyPairedData(x: x, y: moved, pairs: []), context: FitContext())
        let px = try a.embedX(x), py = try a.embedY(moved)
        for i in 0..<px.rows { for j in 0..<px.columns { XCTAssertEqual(px[i, j], py[i, j], accuracy: 2e-3, "row \(i), coordinate \(j)") } }
        let recall = try retrievalRecall(px, py)
        XCTAssertGreaterThan(recall.xToY.r1, 95, "identical clouds must retrieve themselves: \(recall)")
    }

    /// Two different non-linear views of the same latent points, no pairs at all: retrieval must be clearly
    /// above chance (R@10 = 5 % among 200 test pairs), and `auto` must use the profiles when it has no pairs.
    func testZeroPairsRetrieveAboveChanceOnSyntheticPairs() throws {
        let (x, y) = makeSyntheticPairs(rows: 2200, latent: 8, dx: 32, dy: 24, noise: 0.05, seed: 7)
        let split = try AlignmentSplit(rows: 2200, pairs: 0, test: 200, seed: 1)
        let training = split.trainingData(x: x, y: y)
        XCTAssertTrue(training.pairs.isEmpty)
        let test = split.testData(x: x, y: y)
        let model = try SimilarityProfiles().fit(training, context: FitContext(seed: 1))
        let recall = try retrievalRecall(try model.embedX(test.x), try model.embedY(test.y))
        print("similarity profiles, synthetic, 0 pairs: R@10 x→y \(recall.xToY.r10) %, y→x \(recall.yToX.r10) % (chance 5 %)")
        XCTAssertGreaterThan(recall.xToY.r10, 10, "\(recall)")
        XCTAssertGreaterThan(recall.yToX.r10, 10, "\(recall)")

        let auto = try Automatic().fit(training, context: FitContext(seed: 1))
        XCTAssertEqual(auto.choice, .similarityProfiles, auto.reason)
        XCTAssertEqual(try auto.model.embedX(test.x), try model.embedX(test.x))
    }

    func testSameSeedSameProfilesWhateverTheThreadCount() throws {
        var random = SeededRandom(seed: 8)
        let data = WeaklyPairedData(x: random.normalMatrix(700, 6), y: random.normalMatrix(650, 5), pairs: [])
        let one = try Parallel.withThreads(1) { try SimilarityProfiles().fit(data, context: FitContext(seed: 3)) }
        let two = try Parallel.withThreads(2) { try SimilarityProfiles().fit(data, context: FitContext(seed: 3)) }
        XCTAssertEqual(one, two)
        // Different cloud sizes: ranks mean the same quantile on both sides, so the smaller side's list is the base.
        XCTAssertEqual(one.x.ranks.count, one.y.ranks.count)
        XCTAssertEqual(one.y.ranks, SimilarityProfile.geometricRanks(otherRows: 649))
        XCTAssertEqual(one.x.ranks.last!, Int((Double(one.y.ranks.last!) * 699 / 649).rounded()))
    }

    func testStoredFormRoundTripAndRefusals() throws {
        var random = SeededRandom(seed: 9)
        let data = WeaklyPairedData(x: random.normalMatrix(60, 7), y: random.normalMatrix(50, 4), pairs: [])
        let model = try SimilarityProfiles().fit(data, context: FitContext())
        let stored = model.storedForm
        XCTAssertEqual(stored.kind, "similarity-profiles")
        let back = try XCTUnwrap(try StoredModels.rebuild(stored) as? SimilarityProfileAlignment)
        XCTAssertEqual(back, model)
        let fresh: Matrix<Float> = random.normalMatrix(3, 7)
        XCTAssertEqual(try back.embedX(fresh), try model.embedX(fresh))

        var badRanks = stored
        badRanks.metadata["x_ranks"] = "1,2,500"
        XCTAssertThrowsError(try StoredModels.rebuild(badRanks)) { error in
            guard case .invalidModel(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("'x_ranks'"), problem)
        }
        var missing = stored
        missing.tensors["y.reference"] = nil
        XCTAssertThrowsError(try StoredModels.rebuild(missing)) { error in
            guard case .invalidModel(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("'y.reference'"), problem)
        }
    }

    /// CCA beside the profiles: the shared space is [unit(CCA) | w·unit(profiles)], so its cosine is the
    /// weighted vote (cos_CCA + w²·cos_profiles)/(1 + w²); it survives the model file; bad weights are refused.
    func testProfiledAlignmentIsAWeightedVoteAndRoundTrips() throws {
        let (x, y) = makeSyntheticPairs(rows: 400, seed: 4)
        let split = try AlignmentSplit(rows: 400, pairs: 12, test: 30, seed: 2)
        let training = split.trainingData(x: x, y: y), test = split.testData(x: x, y: y)
        let cca = try CCA().fit(training, context: FitContext())
        let profiles = try SimilarityProfiles().fit(training, context: FitContext())
        let model = try ProfiledAlignment(linear: cca, profiles: profiles, weight: 0.5, report: cca.report)
        XCTAssertEqual(model.dimension, cca.dimension + profiles.dimension)
        let ex = try model.embedX(test.x), ey = try model.embedY(test.y)
        let lx = try cca.embedX(test.x).normalizedRows(), ly = try cca.embedY(test.y).normalizedRows()
        let px = try profiles.embedX(test.x).normalizedRows(), py = try profiles.embedY(test.y).normalizedRows()
        func cosine(_ a: Matrix<Float>, _ i: Int, _ b: Matrix<Float>, _ j: Int) -> Double {
            var dot = 0.0, na = 0.0, nb = 0.0
            for k in 0..<a.columns { dot += Double(a[i, k] * b[j, k]); na += Double(a[i, k] * a[i, k]); nb += Double(b[j, k] * b[j, k]) }
            return dot / (na * nb).squareRoot()
        }
        for (i, j) in [(0, 0), (3, 7), (29, 1)] {
            let expected = (cosine(lx, i, ly, j) + 0.25 * cosine(px, i, py, j)) / 1.25
            XCTAssertEqual(cosine(ex, i, ey, j), expected, accuracy: 1e-5)
        }

        let stored = model.storedForm
        XCTAssertEqual(stored.kind, "profiled-linear-alignment")
        XCTAssertEqual(try XCTUnwrap(try StoredModels.rebuild(stored) as? ProfiledAlignment), model)
        var bad = stored
        bad.metadata["profile_weight"] = "-1"
        XCTAssertThrowsError(try StoredModels.rebuild(bad)) { error in
            guard case .invalidModel(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("'profile_weight'"), problem)
        }
        XCTAssertThrowsError(try ProfiledAlignment(linear: cca, profiles: profiles, weight: .nan, report: cca.report)) { error in
            guard case .invalidConfiguration? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
    }

    func testBadInputsThrowNamedErrors() throws {
        var random = SeededRandom(seed: 2)
        let tiny = WeaklyPairedData(x: random.normalMatrix(2, 3), y: random.normalMatrix(10, 3), pairs: [])
        XCTAssertThrowsError(try SimilarityProfiles().fit(tiny, context: FitContext())) { error in
            guard case .insufficientData? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
        let model = try SimilarityProfiles().fit(WeaklyPairedData(x: random.normalMatrix(20, 3), y: random.normalMatrix(20, 2), pairs: []), context: FitContext())
        XCTAssertThrowsError(try model.embedX(random.normalMatrix(2, 4))) { error in
            guard case .shapeMismatch? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
        var nan: Matrix<Float> = random.normalMatrix(2, 3)
        nan[1, 2] = .nan
        XCTAssertThrowsError(try model.embedX(nan)) { error in
            guard case .nonFinite(_, row: 1, column: 2, _)? = error as? AlignmentError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SimilarityProfile(centre: [0, 0, 0], referenceRows: random.normalMatrix(5, 3), ranks: [1, 5]))
    }
}
