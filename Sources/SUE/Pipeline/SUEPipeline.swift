import Foundation
import LinearAlgebra
import Spectral

/// Spectral Universal Embedding (Algorithm 1 of the paper) with a switch for every step, so that the ablations of
/// Tables 2, 8 and 9 are configurations of one pipeline:
///
///     f_X = Q_X ∘ S_X,    f_Y = F_θ ∘ Q_Y ∘ S_Y
///
/// 1. S_X, S_Y — a per-modality embedding learned from that modality alone: the spectral embedding (`.numeric`,
///    exact eigenvectors with Nyström extension; `.parametric`, SpectralNet), or an ablation (`.none`: raw features;
///    `.pca`; `.autoencoder`).
/// 2. Q_X, Q_Y — CCA on the few pairs (`cca: true`), or per-side standardisation (`cca: false`).
/// 3. F_θ — the MMD residual net moving Y's aligned embedding onto X's, trained on all unpaired rows (`mmd: true`).
///
/// ```swift
/// let model = try SUEPipeline().fit(data, context: FitContext(seed: 1))
/// let shared = try model.embedY(queries)      // compare with model.embedX(items) by cosine similarity
/// ```
///
/// The estimator is its configuration (the stored properties below); `fit` returns a `SUEPipelineModel`.
public struct SUEPipeline: Aligner, Equatable {
    /// What plays the role of the spectral embedding S.
    public enum EmbeddingMode: String, Sendable, Codable, CaseIterable {
        /// The raw features (the "−SE" ablation of Table 2).
        case none
        /// Principal components, as many as `seDimensions`.
        case pca
        /// The exact SE: eigenvectors of the random walk on the D.5 kNN graph; Nyström for new points.
        case numeric
        /// SpectralNet.
        case parametric
        /// An autoencoder's code (Table 9).
        case autoencoder
    }

    /// Step 1.
    public var se: EmbeddingMode
    /// k of the SE (the paper uses 10).
    public var seDimensions: Int
    /// k of the kNN graph of the numeric SE (the paper uses 100).
    public var neighbors: Int
    /// The graph's distance.
    public var metric: DistanceMetric
    /// Step 2: CCA on the pairs (true) or per-side standardisation (false).
    public var cca: Bool
    /// r, the CCA components kept (the paper uses 8); capped by what the pairs support.
    public var ccaComponents: Int
    /// Step 3: the MMD residual net.
    public var mmd: Bool
    /// Settings of the parametric SE.
    public var spectralNet: SpectralNet.Configuration
    /// Settings of the MMD net.
    public var mmdNet: MMDNet.Configuration
    /// Settings of the autoencoder.
    public var autoencoder: Autoencoder.Configuration

    /// The recommended default: numeric SE (exact, and fast on 2 cores: about 5 s per modality for 13 000 rows
    /// of 384-d), the paper's k = 100 (on the text pairs R@10 was 22 % with k = 100 against 17 % with k = 15 or
    /// 50), CCA, and the MMD net with a shorter schedule (10 epochs of 256-row batches).
    public init(se: EmbeddingMode = .numeric, seDimensions: Int = 10, neighbors: Int = 100,
                metric: DistanceMetric = .cosine, cca: Bool = true, ccaComponents: Int = 8, mmd: Bool = true,
                spectralNet: SpectralNet.Configuration = .default, mmdNet: MMDNet.Configuration = .default,
                autoencoder: Autoencoder.Configuration = .default) {
        self.se = se; self.seDimensions = seDimensions; self.neighbors = neighbors; self.metric = metric
        self.cca = cca; self.ccaComponents = ccaComponents; self.mmd = mmd; self.spectralNet = spectralNet
        self.mmdNet = mmdNet; self.autoencoder = autoencoder
    }

    /// The paper's hyper-parameters (Appendix D.8): parametric SE with the 4096-4096-1024 network, k = 100,
    /// 10 SE dimensions, 8 CCA components, MMD net 128-128-128 for 100 epochs.
    public static var paper: SUEPipeline {
        SUEPipeline(se: .parametric, seDimensions: 10, neighbors: 100, cca: true, ccaComponents: 8, mmd: true,
                    spectralNet: .paper, mmdNet: .paper, autoencoder: .paper)
    }

    /// The catalogue name of this configuration's family: `sue-parametric`, `mmd` (PCA, no CCA), `ae`
    /// (autoencoder) or `sue`.
    public var methodName: String {
        switch se {
        case .parametric: return "sue-parametric"
        case .pca where !cca: return "mmd"
        case .autoencoder: return "ae"
        default: return "sue"
        }
    }

    /// Fits the pipeline on weakly paired data. Progress goes to `context.progress` per stage and epoch.
    public func fit(_ data: WeaklyPairedData, context: FitContext) throws -> SUEPipelineModel {
        try context.run(on: data) { data in try fitPipeline(data, context: context) }
    }

    private func fitPipeline(_ data: WeaklyPairedData, context: FitContext) throws -> SUEPipelineModel {
        let c = self
        guard seDimensions >= 1, neighbors >= 1, ccaComponents >= 1 else {
            throw AlignmentError.invalidConfiguration("SUE pipeline: seDimensions, neighbors and ccaComponents must be ≥ 1")
        }
        try data.validate()
        if c.cca && data.pairs.count < 2 {
            throw AlignmentError.insufficientData("CCA needs at least 2 pairs, got \(data.pairs.count)")
        }
        var notes = [String]()
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            context.report(stage, 0)
            let result = try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            context.report(stage, 1, String(format: "%.2f s", seconds))
            return result
        }

        // 1. Per-modality embeddings, and the embedding of every training row.
        var (mapX, sx) = try timed("embedding X (\(c.se.rawValue))") {
            try EmbeddingMap.fit(data.x, configuration: c, seed: derivedSeed(context.seed, 1), name: "X", context: context)
        }
        var (mapY, sy) = try timed("embedding Y (\(c.se.rawValue))") {
            try EmbeddingMap.fit(data.y, configuration: c, seed: derivedSeed(context.seed, 2), name: "Y", context: context)
        }
        // Without CCA both sides share coordinate indices, so a numeric SE that had to drop dimensions on one side
        // (see `EmbeddingMap.fit`) is cut to the same leading dimensions on the other.
        if !c.cca, sx.columns != sy.columns {
            let width = min(sx.columns, sy.columns)
            if let cut = try mapX.keepingFirst(width) { mapX = cut; sx = sx.columns(0..<width) }
            if let cut = try mapY.keepingFirst(width) { mapY = cut; sy = sy.columns(0..<width) }
        }
        if c.se == .numeric, max(sx.columns, sy.columns) < c.seDimensions {
            notes.append("the numeric spectral embedding kept \(sx.columns) (X) and \(sy.columns) (Y) of \(c.seDimensions) dimensions: the data have fewer smooth directions than that (few rows, duplicates or low rank), and coordinates whose eigenvalue is ≤ \(NystromExtension.minimumEigenvalue) cannot be extended to new rows")
        }

        // 2. Linear alignment on the pairs (or per-side standardisation).
        let linear: PairedLinearMaps = try timed(c.cca ? "CCA on \(data.pairs.count) pairs" : "standardisation") {
            if c.cca {
                let px = sx.rows(data.pairs.map(\.x)), py = sy.rows(data.pairs.map(\.y))
                return try pairedCCA(px, py, components: c.ccaComponents)
            }
            guard sx.columns == sy.columns else {
                throw AlignmentError.invalidConfiguration("without CCA both embeddings need the same width; X has \(sx.columns), Y has \(sy.columns) (use se .pca/.numeric/.parametric or cca: true)")
            }
            return try PairedLinearMaps.standardization(x: sx, y: sy)
        }

        // 3. MMD residual net from Y's aligned embedding to X's distribution.
        var mmdNet: FittedMMDNet? = nil
        if c.mmd {
            let ax = linear.embedX(sx).converted(to: Float.self), ay = linear.embedY(sy).converted(to: Float.self)
            mmdNet = try timed("MMD net") {
                try MMDNet(configuration: c.mmdNet).fit(source: ay, target: ax, context: context.with(seed: derivedSeed(context.seed, 3)))
            }
        }
        var report = FitReport(method: methodName, estimator: self, data: data, context: context)
        report.notes = notes
        return SUEPipelineModel(configuration: c, mapX: mapX, mapY: mapY, linear: linear, mmdNet: mmdNet, report: report)
    }
}

/// One modality's fitted step 1.
enum EmbeddingMap: Sendable {
    case identity(columns: Int)
    case pca(PrincipalComponents)
    /// The Nyström extension (what new rows need), and the full fit when it was made in this process.
    case numeric(NystromExtension, FittedNumericSpectralEmbedding?)
    case parametric(FittedSpectralNet)
    case autoencoder(FittedAutoencoder)

    /// Fits the map on `x` and returns it with the embedding of `x` itself.
    static func fit(_ x: Matrix<Float>, configuration c: SUEPipeline, seed: UInt64, name: String,
                    context: FitContext) throws -> (EmbeddingMap, Matrix<Double>) {
        switch c.se {
        case .none:
            return (.identity(columns: x.columns), x.converted(to: Double.self))
        case .pca:
            let pca = try PrincipalComponents(fitting: x, dimensions: min(c.seDimensions, x.columns))
            return (.pca(pca), try pca.embed(x))
        case .numeric:
            // A graph on n points has n − 1 non-trivial eigenvectors, and the solver wants one spare: at most n − 2.
            guard x.rows >= 3 else {
                throw AlignmentError.invalidInput("the numeric spectral embedding of \(name) needs at least 3 rows, got \(x.rows)")
            }
            guard x.columns >= 2 || c.metric != .cosine else {
                // One column leaves only each row's sign to a cosine: every distance is 0 or 2, and the graph
                // is a pair of cliques with nothing spectral to find.
                throw AlignmentError.invalidInput("the numeric spectral embedding of \(name) by cosine needs at least 2 columns, \(name) has 1; use se none or pca, or the euclidean metric")
            }
            var eigensolver = EigensolverConfiguration(tolerance: 1e-6)
            eigensolver.seed = seed
            let se = NumericSpectralEmbedding(configuration: .init(
                neighbors: min(c.neighbors, x.rows - 1), dimensions: min(c.seDimensions, x.rows - 2), metric: c.metric,
                eigensolver: eigensolver, allowUnconverged: true))
            let fitted = try se.fit(x)
            if !fitted.solverReport.isEmpty { context.report("spectral embedding \(name)", nil, fitted.solverReport) }
            // Only eigenvalues above NystromExtension.minimumEigenvalue can be extended to new rows (it divides by
            // them); tiny or low-rank data has fewer such directions than asked for, and the rest are dropped.
            let values = fitted.eigenvalues
            let kept = NystromExtension.extendableCount(of: values)
            let listed = values.map { String(format: "%.3g", $0) }.joined(separator: ", ")
            guard kept > 0 else {
                throw AlignmentError.invalidInput("the spectral embedding of \(name) has no eigenvalue above \(NystromExtension.minimumEigenvalue) (found \(listed)), so none of its coordinates extends to new rows: \(name) has too few distinct rows for a graph embedding (\(x.rows) rows); use se none or pca, or more rows")
            }
            if kept < values.count {
                context.report("spectral embedding \(name)", nil,
                               "kept \(kept) of \(values.count) dimensions: eigenvalues \(listed); those ≤ \(NystromExtension.minimumEigenvalue) cannot be extended to new rows")
            }
            let nystrom = try NystromExtension(trainingRows: x, embedding: fitted.embedding.columns(0..<kept),
                                               eigenvalues: Array(values[0..<kept]), neighbors: se.configuration.neighbors,
                                               metric: c.metric)
            return (.numeric(nystrom, fitted), nystrom.embedding)
        case .parametric:
            var snc = c.spectralNet
            snc.dimensions = c.seDimensions
            snc.metric = c.metric
            snc.neighbors = c.neighbors
            let epochs = snc.epochs
            _ = epochs
            let net = try SpectralNet(configuration: snc).fit(x, context: context.with(seed: seed), name: "SpectralNet \(name)")
            return (.parametric(net), try net.embed(x))
        case .autoencoder:
            var aec = c.autoencoder
            aec.dimensions = c.seDimensions
            let epochs = aec.epochs
            _ = epochs
            let ae = try Autoencoder(configuration: aec).fit(x, context: context.with(seed: seed), name: "autoencoder \(name)")
            return (.autoencoder(ae), try ae.embed(x))
        }
    }

    /// Columns of the rows the map takes.
    var inputColumns: Int {
        switch self {
        case .identity(let columns): return columns
        case .pca(let p): return p.mean.count
        case .numeric(let n, _): return n.trainingRows.columns
        case .parametric(let net): return net.standardizer.means.count
        case .autoencoder(let ae): return ae.standardizer.means.count
        }
    }

    /// The numeric map cut to its first `width` columns (nil for the other modes, which are never cut).
    func keepingFirst(_ width: Int) throws -> EmbeddingMap? {
        guard case .numeric(let n, let fitted) = self, width < n.dimensions else { return nil }
        return .numeric(try n.keepingFirst(width), fitted)
    }

    func embed(_ x: Matrix<Float>) throws -> Matrix<Double> {
        switch self {
        case .identity(let columns):
            guard x.columns == columns else {
                throw AlignmentError.invalidInput("input has \(x.columns) columns, the model was fitted on \(columns)")
            }
            return x.converted(to: Double.self)
        case .pca(let p): return try p.embed(x)
        case .numeric(let se, _):
            do { return try se.transform(x) } catch let error as SpectralError {
                throw AlignmentError.invalidInput("spectral embedding of new points: \(error)")
            }
        case .parametric(let net): return try net.embed(x)
        case .autoencoder(let ae): return try ae.embed(x)
        }
    }
}

/// A fitted SUE pipeline: the two maps into the shared space.
///
/// Stored as kind `sue-pipeline` (layout in `SUEPipelineStorage.swift`).
public struct SUEPipelineModel: StorableModel {
    /// The configuration it was fitted with (for a stored model: the stored values that shape the maps, with
    /// defaults for training-only settings).
    public let configuration: SUEPipeline
    let mapX: EmbeddingMap
    let mapY: EmbeddingMap
    /// Step 2's maps (CCA or standardisation).
    public let linear: PairedLinearMaps
    /// Step 3's network, if enabled.
    public let mmdNet: FittedMMDNet?
    /// What was fitted and why.
    public let report: FitReport

    init(configuration: SUEPipeline, mapX: EmbeddingMap, mapY: EmbeddingMap, linear: PairedLinearMaps,
         mmdNet: FittedMMDNet?, report: FitReport) {
        self.configuration = configuration; self.mapX = mapX; self.mapY = mapY; self.linear = linear
        self.mmdNet = mmdNet; self.report = report
    }

    public var dimension: Int { linear.dimension }
    public var inputColumns: (x: Int, y: Int) { (mapX.inputColumns, mapY.inputColumns) }

    /// The numeric SE of a side, when that mode was used (eigenvalues, solver report, components).
    /// (nil for a stored model: it keeps only the Nyström extension.)
    public var numericEmbeddingX: FittedNumericSpectralEmbedding? { if case .numeric(_, let s) = mapX { return s }; return nil }
    /// The numeric SE of the Y side (see `numericEmbeddingX`).
    public var numericEmbeddingY: FittedNumericSpectralEmbedding? { if case .numeric(_, let s) = mapY { return s }; return nil }
    /// What embeds new X rows in the numeric mode.
    public var nystromX: NystromExtension? { if case .numeric(let n, _) = mapX { return n }; return nil }
    /// What embeds new Y rows in the numeric mode.
    public var nystromY: NystromExtension? { if case .numeric(let n, _) = mapY { return n }; return nil }
    /// Width of each side's step-1 embedding: `seDimensions` unless the numeric SE had to drop dimensions
    /// whose eigenvalue is too small to extend (see `NystromExtension`), or the mode has its own width.
    public var embeddingWidths: (x: Int, y: Int) { (linear.meanX.count, linear.meanY.count) }
    /// The SpectralNet of the X side, when the parametric mode was used.
    public var spectralNetX: FittedSpectralNet? { if case .parametric(let s) = mapX { return s }; return nil }
    /// The SpectralNet of the Y side, when the parametric mode was used.
    public var spectralNetY: FittedSpectralNet? { if case .parametric(let s) = mapY { return s }; return nil }

    /// f_X(x) = Q_X(S_X(x)).
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(x, .x) { linear.embedX(try mapX.embed($0)).converted(to: Float.self) }
    }

    /// f_Y(y) = F_θ(Q_Y(S_Y(y))).
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        try checkedEmbedding(y, .y) {
            let aligned = linear.embedY(try mapY.embed($0)).converted(to: Float.self)
            return try mmdNet?.embed(aligned) ?? aligned
        }
    }
}
