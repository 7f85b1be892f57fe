import Foundation
import LinearAlgebra

/// A shared space that needs no pairs at all: each row is described by *where it sits in its own modality's
/// cloud*, and two encoders of the same item put it in a similar place.
///
/// For a row v of one modality, centred with that modality's mean μ, its profile is
///
///     ( s₍r₁₎, …, s₍r_m₎,  mean similarity,  ‖v − μ‖ ),
///
/// where s₍r₎ is the r-th largest cosine similarity between v and the modality's reference rows (its own
/// training rows), at ranks r spaced geometrically from 1 (the nearest neighbour) to 60 % of the cloud. Each
/// coordinate is standardised with the reference rows' own profiles, so both modalities' profiles live in the
/// same ℝ^(m+2) with the same meaning per coordinate, and retrieval is by cosine there.
///
/// Why it works at all: these quantities are invariant under any rotation or rescaling of an encoder's space,
/// and they describe the *item* (a near-duplicate has a near-duplicate in every encoder; a generic text sits
/// near the centre and in a dense region of both). Why it is weak: a handful of scalars cannot single out one
/// item in thousands. On the text pairs (MiniLM ↔ e5-small, 13 190 unpaired rows per side, 400 test pairs) the
/// profiles' coordinates correlate 0.74 (nearest-neighbour similarity) down to ≈ 0.2 (deep ranks) across the
/// encoders, and x→y R@10 is ≈ 10–11 % against 2.5 % by chance (numpy prototype, seeds 0–2; Swift figures in
/// the README). VecMap's unsupervised start (Artetxe et al., ACL 2018) uses sorted similarity rows the same
/// way, to *match* rows; as a matching it is at chance here (`Benchmarks/tools/selflearn_prototype.md`), as a
/// retrieval space it is not.
///
/// Cost: one GEMM of the rows against the reference (n·n_ref·d) and a bucketed selection of each row's
/// similarities for the ranks (`largest(at:)`). The reference is capped at `maxReferenceRows` (a
/// seeded random subset beyond that), which bounds both the fit (n_ref² work) and the model file (the
/// reference rows are stored).
public struct SimilarityProfile: Sendable, Equatable {
    /// The modality's mean, subtracted before anything else.
    public var centre: [Float]
    /// Centred, unit-length reference rows (n_ref × d).
    public var reference: Matrix<Float>
    /// 1-based ranks into the sorted similarities (a row's own copy in the reference skipped).
    public var ranks: [Int]
    /// Mean of each profile coordinate over the reference rows.
    public var featureMean: [Float]
    /// Standard deviation of each profile coordinate over the reference rows (1 for a constant coordinate).
    public var featureScale: [Float]

    /// Number of coordinates of a profile: one per rank, the mean similarity and the distance from the centre.
    public var dimension: Int { ranks.count + 2 }

    /// A similarity at least this close to 1 is taken to be the row's own copy in the reference and skipped, so
    /// a reference row gets the profile it was standardised with. (Two distinct rows with cosine above
    /// 1 − 10⁻⁵ are duplicates for every purpose here.)
    static let selfSimilarity: Float = 1 - 1e-5

    /// A profile fitted earlier (read back from a model file); `reference` holds centred unit rows.
    init(centre: [Float], reference: Matrix<Float>, ranks: [Int], featureMean: [Float], featureScale: [Float]) {
        self.centre = centre; self.reference = reference; self.ranks = ranks
        self.featureMean = featureMean; self.featureScale = featureScale
    }

    /// Profiles of `reference` against itself; `centre` is the mean to subtract first.
    public init(centre: [Float], referenceRows: Matrix<Float>, ranks: [Int]) throws {
        self = try Self.fitted(centre: centre, referenceRows: referenceRows, ranks: ranks).profile
    }

    /// The profile and the standardised profiles of the reference rows themselves (what `profiles(referenceRows)`
    /// gives, without computing them twice).
    static func fitted(centre: [Float], referenceRows: Matrix<Float>, ranks: [Int]) throws -> (profile: SimilarityProfile, own: Matrix<Float>) {
        var profile = SimilarityProfile(centre: centre, reference: referenceRows, ranks: ranks, featureMean: [], featureScale: [])
        let raw = try profile.fit(referenceRows)
        return (profile, profile.standardise(raw))
    }

    /// Sets the reference and the standardisation; returns the reference rows' raw profiles.
    private mutating func fit(_ referenceRows: Matrix<Float>) throws -> Matrix<Double> {
        guard referenceRows.rows >= 3 else {
            throw AlignmentError.insufficientData("similarity profiles need at least 3 reference rows, got \(referenceRows.rows)")
        }
        guard let top = ranks.max(), ranks.allSatisfy({ $0 >= 1 }), top <= referenceRows.rows - 1 else {
            throw AlignmentError.invalidConfiguration("similarity profiles: ranks must lie in 1...\(referenceRows.rows - 1) (the reference rows other than the row itself), got \(ranks)")
        }
        self.reference = try RowPreprocessing(mean: centre).embed(referenceRows)
        let raw = try rawProfiles(referenceRows)
        // Standardise with the reference rows' own profiles (Double sums in row order: deterministic).
        let m = raw.columns
        var mean = [Double](repeating: 0, count: m), square = [Double](repeating: 0, count: m)
        for i in 0..<raw.rows { for j in 0..<m { mean[j] += raw[i, j]; square[j] += raw[i, j] * raw[i, j] } }
        let n = Double(raw.rows)
        featureMean = mean.map { Float($0 / n) }
        // A constant coordinate (e.g. every row at the same distance) carries nothing; scale 1 leaves it at 0.
        featureScale = (0..<m).map { j in
            let variance = max(square[j] / n - (mean[j] / n) * (mean[j] / n), 0)
            return variance > 1e-24 ? Float(variance.squareRoot()) : 1
        }
        return raw
    }

    /// Unstandardised profiles of `rows` (raw features, same columns as the reference): rows × dimension.
    func rawProfiles(_ rows: Matrix<Float>) throws -> Matrix<Double> {
        guard rows.columns == centre.count else {
            throw AlignmentError.shapeMismatch("similarity profiles: input has \(rows.columns) columns, the model was fitted on \(centre.count)")
        }
        try requireFinite(rows, "similarity profiles: input")
        let nRef = reference.rows, d = centre.count
        var out = Matrix<Double>(rows: rows.rows, columns: dimension)
        // Blocks of 1 024 rows: a 1 024 × n_ref similarity block (53 MB at n_ref = 13 000) per GEMM.
        let block = 1024
        for start in stride(from: 0, to: rows.rows, by: block) {
            let end = min(rows.rows, start + block)
            let chunk = rows.rows(start..<end)
            // Distances from the centre, in Double.
            var distance = [Double](repeating: 0, count: chunk.rows)
            for i in 0..<chunk.rows {
                var s = 0.0
                for j in 0..<d { let c = Double(chunk[i, j]) - Double(centre[j]); s += c * c }
                distance[i] = s.squareRoot()
            }
            let unit = try RowPreprocessing(mean: centre).embed(chunk)  // centred unit rows, as the reference
            let similarity = Matrix.multiply(unit, .none, reference, .transposed)
            var rowsOut = [[Double]](repeating: [], count: chunk.rows)
            rowsOut.withUnsafeMutableBufferPointer { slots in
                Parallel.forEach(chunk.rows) { i in
                    let s = similarity.elements[(i * nRef)..<((i + 1) * nRef)]
                    var total = 0.0, largest = -Float.infinity
                    for v in s { total += Double(v); largest = max(largest, v) }
                    // Skip the row's own copy (at most one), so that ranks count the *other* rows.
                    let skip = largest >= SimilarityProfile.selfSimilarity ? 1 : 0
                    if skip == 1 { total -= Double(largest) }
                    let positions = ranks.map { min(s.count - 1, $0 - 1 + skip) }
                    var features = s.largest(at: positions).map(Double.init)
                    features.append(total / Double(max(s.count - skip, 1)))
                    features.append(distance[i])
                    slots[i] = features
                }
            }
            for i in 0..<chunk.rows { for j in 0..<dimension { out[start + i, j] = rowsOut[i][j] } }
        }
        return out
    }

    /// Standardised profiles of `rows` (rows × dimension, Float).
    public func embed(_ rows: Matrix<Float>) throws -> Matrix<Float> {
        standardise(try rawProfiles(rows))
    }

    private func standardise(_ raw: Matrix<Double>) -> Matrix<Float> {
        Matrix(rows: raw.rows, columns: dimension) { i, j in
            Float((raw[i, j] - Double(featureMean[j])) / Double(featureScale[j]))
        }
    }

    /// Ranks spaced geometrically from 1 to 60 % of `count` other rows, at most `steps` of them (fewer when
    /// rounding makes neighbours equal).
    public static func geometricRanks(otherRows count: Int, steps: Int = 23) -> [Int] {
        guard count >= 1 else { return [] }
        let top = max(1.0, 0.6 * Double(count))
        let values = (0..<max(steps, 1)).map { k -> Int in
            steps <= 1 ? 1 : Int((exp(log(top) * Double(k) / Double(steps - 1))).rounded())
        }
        var seen = Set<Int>()
        return values.map { min(max($0, 1), count) }.filter { seen.insert($0).inserted }
    }
}

/// The pair-free model: one `SimilarityProfile` per modality, with ranks that mean the same quantile of each
/// cloud (a rank on the larger side is scaled by the ratio of the clouds' sizes).
///
/// Stored as kind `similarity-profiles`. Per side s ∈ {x, y}: `s.mean` (1 × d), `s.reference` (n_ref × d, centred
/// unit rows), `s.feature_mean` and `s.feature_scale` (1 × m); the ranks are metadata (`x_ranks`, `y_ranks`,
/// comma-separated), since they are integers.
public struct SimilarityProfileAlignment: StorableModel, Equatable {
    /// The profile of X rows.
    public var x: SimilarityProfile
    /// The profile of Y rows.
    public var y: SimilarityProfile
    /// What was fitted and why.
    public var report: FitReport

    /// Largest reference per modality; beyond it a seeded random subset of the rows is the reference. 16 384
    /// rows of 384 columns are 25 MB per side in the model file and ≈ 200 GFLOP to fit.
    public static let maxReferenceRows = 16_384

    public var dimension: Int { x.dimension }
    public var inputColumns: (x: Int, y: Int) { (x.centre.count, y.centre.count) }
    public func embedX(_ rows: Matrix<Float>) throws -> Matrix<Float> { try checkedEmbedding(rows, .x) { try x.embed($0) } }
    public func embedY(_ rows: Matrix<Float>) throws -> Matrix<Float> { try checkedEmbedding(rows, .y) { try y.embed($0) } }

    /// A model from two profiles with the same number of coordinates.
    public init(x: SimilarityProfile, y: SimilarityProfile, report: FitReport) throws {
        guard x.dimension == y.dimension else {
            throw AlignmentError.shapeMismatch("similarity profiles: X has \(x.dimension) coordinates, Y \(y.dimension)")
        }
        self.x = x; self.y = y; self.report = report
    }

    /// The fit and the standardised profiles of every row of `data.x` and `data.y` (in their order), computed
    /// once: when a side has no more rows than `maxReferenceRows` its rows are the reference.
    static func fittedWithProfiles(_ data: WeaklyPairedData, report: FitReport, seed: UInt64) throws -> FittedProfiles {
        try data.validate()
        var random = SeededRandom(seed: seed ^ 0x9f0f_11e5)
        func referenceRows(_ a: Matrix<Float>) -> Matrix<Float> {
            guard a.rows > SimilarityProfileAlignment.maxReferenceRows else { return a }
            return a.rows(random.permutation(a.rows).prefix(SimilarityProfileAlignment.maxReferenceRows).sorted())
        }
        let refX = referenceRows(data.x), refY = referenceRows(data.y)
        guard min(refX.rows, refY.rows) >= 3 else {
            throw AlignmentError.insufficientData("similarity profiles need at least 3 rows per modality (X: \(data.x.rows), Y: \(data.y.rows))")
        }
        let smaller = min(refX.rows, refY.rows) - 1
        let base = SimilarityProfile.geometricRanks(otherRows: smaller)
        func scaled(_ others: Int) -> [Int] {
            base.map { min(others, max(1, Int((Double($0) * Double(others) / Double(smaller)).rounded()))) }
        }
        let centreX = RowPreprocessing(fittedOn: data.x).mean, centreY = RowPreprocessing(fittedOn: data.y).mean
        let fx = try SimilarityProfile.fitted(centre: centreX, referenceRows: refX, ranks: scaled(refX.rows - 1))
        let fy = try SimilarityProfile.fitted(centre: centreY, referenceRows: refY, ranks: scaled(refY.rows - 1))
        let alignment = try SimilarityProfileAlignment(x: fx.profile, y: fy.profile, report: report)
        let px = refX.rows == data.x.rows ? fx.own : try alignment.embedX(data.x)
        let py = refY.rows == data.y.rows ? fy.own : try alignment.embedY(data.y)
        return FittedProfiles(alignment: alignment, x: px, y: py)
    }

    public static var kind: String { "similarity-profiles" }

    public var storedForm: StoredModel {
        var stored = StoredModel(kind: Self.kind, report: report)
        for (side, p) in [("x", x), ("y", y)] {
            stored.storeRow(p.centre, "\(side).mean")
            stored.tensors["\(side).reference"] = p.reference
            stored.storeRow(p.featureMean, "\(side).feature_mean")
            stored.storeRow(p.featureScale, "\(side).feature_scale")
            stored.metadata["\(side)_ranks"] = p.ranks.map(String.init).joined(separator: ",")
        }
        return stored
    }

    public init(stored: StoredModel) throws {
        let r = StoredModelReader(stored)
        func side(_ s: String) throws -> SimilarityProfile {
            let mean = try r.floatRow("\(s).mean")
            let reference = try r.floats("\(s).reference", columns: mean.count, "one column per column of \(s).mean")
            let text = r.metadata["\(s)_ranks"] ?? ""
            let ranks = text.split(separator: ",").compactMap { Int($0) }
            guard !ranks.isEmpty, ranks.count == text.split(separator: ",").count, reference.rows >= 3,
                  ranks.allSatisfy({ $0 >= 1 && $0 < reference.rows }) else {
                throw StoredModelReader.failure("metadata '\(s)_ranks' must list ranks in 1..<\(reference.rows) for a reference of at least 3 rows, got '\(text)'")
            }
            let featureMean = try r.floatRow("\(s).feature_mean", count: ranks.count + 2, "one per rank, plus two")
            let featureScale = try r.floatRow("\(s).feature_scale", count: ranks.count + 2, "one per rank, plus two")
            guard featureScale.allSatisfy({ $0 > 0 }) else {
                throw StoredModelReader.failure("tensor '\(s).feature_scale' must be positive")
            }
            return SimilarityProfile(centre: mean, reference: reference, ranks: ranks,
                                     featureMean: featureMean, featureScale: featureScale)
        }
        let x = try side("x"), y = try side("y")
        try r.requireEverythingUsed("similarity profiles (mean, reference, feature_mean, feature_scale per side)")
        try self.init(x: x, y: y, report: stored.report ?? .unrecorded(method: Self.kind))
    }
}

/// A fitted `SimilarityProfileAlignment` with the profiles of the rows it was fitted on (X and Y rows in the
/// data's order), so that runs on the same rows need not compute them again.
struct FittedProfiles: Sendable {
    var alignment: SimilarityProfileAlignment
    var x: Matrix<Float>
    var y: Matrix<Float>
}

/// The pair-free estimator: a shared space from the two sets of rows alone (`SimilarityProfileAlignment`). Known
/// pairs are allowed and ignored.
public struct SimilarityProfiles: Aligner, Equatable {
    /// The estimator (its settings are the model's constants).
    public init() {}

    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> SimilarityProfileAlignment {
        try context.run(on: data) { data in
            try SimilarityProfileAlignment.fittedWithProfiles(
                data, report: FitReport(method: "similarity-profiles", estimator: self, data: data, context: context),
                seed: context.seed).alignment
        }
    }
}
