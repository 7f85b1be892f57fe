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
/// let model = try SUE.fit(data, configuration: .default, context: FitContext(seed: 1))
/// let shared = try model.embedY(queries)      // compare with model.embedX(items) by cosine similarity
/// ```
public enum SUE {
    /// What plays the role of the spectral embedding S.
    public enum EmbeddingMode: String, Sendable, CaseIterable {
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

    public struct Configuration {
        public var se: EmbeddingMode
        /// k of the SE (the paper uses 10).
        public var seDimensions: Int
        /// k of the kNN graph of the numeric SE (the paper uses 100).
        public var neighbors: Int
        public var metric: DistanceMetric
        public var cca: Bool
        /// r, the CCA components kept (the paper uses 8); capped by what the pairs support.
        public var ccaComponents: Int
        public var mmd: Bool
        public var spectralNet: SpectralNet.Configuration
        public var mmdNet: MMDNet.Configuration
        public var autoencoder: Autoencoder.Configuration
        /// How step 2 is learned when `cca` is true; nil means `SUE.canonicalCorrelation`.
        public var aligner: PairedAligner?

        public init(se: EmbeddingMode = .numeric, seDimensions: Int = 10, neighbors: Int = 100,
                    metric: DistanceMetric = .cosine, cca: Bool = true, ccaComponents: Int = 8, mmd: Bool = true,
                    spectralNet: SpectralNet.Configuration = .default, mmdNet: MMDNet.Configuration = .default,
                    autoencoder: Autoencoder.Configuration = .default, aligner: PairedAligner? = nil) {
            self.se = se; self.seDimensions = seDimensions; self.neighbors = neighbors; self.metric = metric
            self.cca = cca; self.ccaComponents = ccaComponents; self.mmd = mmd; self.spectralNet = spectralNet
            self.mmdNet = mmdNet; self.autoencoder = autoencoder; self.aligner = aligner
        }

        /// The recommended default: numeric SE (exact, and fast on 2 cores: about 5 s per modality for 13 000 rows of
        /// 384-d), the paper's k = 100 (on the text pairs R@10 was 22 % with k = 100 against 17 % with k = 15 or 50),
        /// CCA, and the MMD net with a shorter schedule (10 epochs of 256-row batches).
        public static var `default`: Configuration { Configuration() }

        /// The paper's hyper-parameters (Appendix D.8): parametric SE with the 4096-4096-1024 network, k = 100,
        /// 10 SE dimensions, 8 CCA components, MMD net 128-128-128 for 100 epochs.
        public static var paper: Configuration {
            Configuration(se: .parametric, seDimensions: 10, neighbors: 100, cca: true, ccaComponents: 8, mmd: true,
                          spectralNet: .paper, mmdNet: .paper, autoencoder: .paper)
        }
    }

    /// Fits the pipeline on weakly paired data. Progress goes to `context.progress` per stage and epoch.
    public static func fit(_ data: WeaklyPairedData, configuration c: Configuration = .default,
                           context: FitContext) throws -> FittedSUE {
        try requireFiniteInput(data.x, "X"); try requireFiniteInput(data.y, "Y")
        for (i, p) in data.pairs.enumerated() where p.x < 0 || p.x >= data.x.rows || p.y < 0 || p.y >= data.y.rows {
            throw PipelineError.invalidInput("pair \(i) is (\(p.x), \(p.y)), outside X rows 0..<\(data.x.rows) or Y rows 0..<\(data.y.rows)")
        }
        if c.cca && data.pairs.count < 2 {
            throw PipelineError.invalidInput("CCA needs at least 2 pairs, got \(data.pairs.count)")
        }
        var timings: [(stage: String, seconds: Double)] = []
        func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            context.report(stage, 0)
            let result = try body()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
            timings.append((stage, seconds))
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

        // 2. Linear alignment on the pairs (or per-side standardisation).
        let linear: PairedLinearMaps = try timed(c.cca ? "CCA on \(data.pairs.count) pairs" : "standardisation") {
            if c.cca {
                let px = sx.rows(data.pairs.map(\.x)), py = sy.rows(data.pairs.map(\.y))
                return try (c.aligner ?? SUE.canonicalCorrelation)(px, py, c.ccaComponents)
            }
            guard sx.columns == sy.columns else {
                throw PipelineError.invalidConfiguration("without CCA both embeddings need the same width; X has \(sx.columns), Y has \(sy.columns) (use se .pca/.numeric/.parametric or cca: true)")
            }
            return PairedLinearMaps.standardization(x: sx, y: sy)
        }

        // 3. MMD residual net from Y's aligned embedding to X's distribution.
        var mmdNet: FittedMMDNet? = nil
        if c.mmd {
            let ax = linear.applyX(sx).converted(to: Float.self), ay = linear.applyY(sy).converted(to: Float.self)
            mmdNet = try timed("MMD net") {
                try MMDNet(configuration: c.mmdNet).fit(source: ay, target: ax, seed: derivedSeed(context.seed, 3)) { r in
                    context.report("MMD net", Double(r.epoch) / Double(max(1, c.mmdNet.epochs)),
                                   String(format: "epoch %d validation MMD² %.5f", r.epoch, r.validationMMD))
                }
            }
        }
        return FittedSUE(configuration: c, mapX: mapX, mapY: mapY, linear: linear, mmdNet: mmdNet,
                         stageSeconds: timings)
    }

    /// The default step 2: regularised CCA on the pairs.
    public static func canonicalCorrelation(_ x: Matrix<Double>, _ y: Matrix<Double>, _ components: Int) throws -> PairedLinearMaps {
        try pairedCCA(x, y, components: components)
    }
}

/// One modality's fitted step 1.
enum EmbeddingMap {
    case identity(columns: Int)
    case pca(PrincipalComponents)
    /// The Nyström extension (what new rows need), and the full fit when it was made in this process.
    case numeric(NystromExtension, FittedNumericSpectralEmbedding?)
    case parametric(FittedSpectralNet)
    case autoencoder(FittedAutoencoder)

    /// Fits the map on `x` and returns it with the embedding of `x` itself.
    static func fit(_ x: Matrix<Float>, configuration c: SUE.Configuration, seed: UInt64, name: String,
                    context: FitContext) throws -> (EmbeddingMap, Matrix<Double>) {
        switch c.se {
        case .none:
            return (.identity(columns: x.columns), x.converted(to: Double.self))
        case .pca:
            let pca = try PrincipalComponents(fitting: x, dimensions: min(c.seDimensions, x.columns))
            return (.pca(pca), try pca.transform(x))
        case .numeric:
            // A graph on n points has n − 1 non-trivial eigenvectors, and the solver wants one spare: at most n − 2.
            guard x.rows >= 3 else {
                throw PipelineError.invalidInput("the numeric spectral embedding of \(name) needs at least 3 rows, got \(x.rows)")
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
                throw PipelineError.invalidInput("the spectral embedding of \(name) has no eigenvalue above \(NystromExtension.minimumEigenvalue) (found \(listed)), so none of its coordinates extends to new rows: \(name) has too few distinct rows for a graph embedding (\(x.rows) rows); use se none or pca, or more rows")
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
            let net = try SpectralNet(configuration: snc).fit(x, seed: seed) { r in
                context.report("SpectralNet \(name)", Double(r.epoch) / Double(max(1, epochs)),
                               String(format: "epoch %d loss %.5f validation %.5f lr %.1e%@", r.epoch, r.trainingLoss,
                                      r.validationLoss, r.learningRate,
                                      r.recoveries > 0 ? " (\(r.recoveries) rank-deficient batches recovered)" : ""))
            }
            return (.parametric(net), try net.transform(x))
        case .autoencoder:
            var aec = c.autoencoder
            aec.dimensions = c.seDimensions
            let epochs = aec.epochs
            let ae = try Autoencoder(configuration: aec).fit(x, seed: seed) { epoch, loss in
                context.report("autoencoder \(name)", Double(epoch) / Double(max(1, epochs)),
                               String(format: "epoch %d validation loss %.5f", epoch, loss))
            }
            return (.autoencoder(ae), try ae.transform(x))
        }
    }

    /// The numeric map cut to its first `width` columns (nil for the other modes, which are never cut).
    func keepingFirst(_ width: Int) throws -> EmbeddingMap? {
        guard case .numeric(let n, let fitted) = self, width < n.dimensions else { return nil }
        return .numeric(try n.keepingFirst(width), fitted)
    }

    func apply(_ x: Matrix<Float>) throws -> Matrix<Double> {
        switch self {
        case .identity(let columns):
            guard x.columns == columns else {
                throw PipelineError.invalidInput("input has \(x.columns) columns, the model was fitted on \(columns)")
            }
            return x.converted(to: Double.self)
        case .pca(let p): return try p.transform(x)
        case .numeric(let se, _):
            do { return try se.transform(x) } catch let error as SpectralError {
                throw PipelineError.invalidInput("spectral embedding of new points: \(error)")
            }
        case .parametric(let net): return try net.transform(x)
        case .autoencoder(let ae): return try ae.transform(x)
        }
    }
}

/// A fitted SUE pipeline: the two maps into the shared space.
public final class FittedSUE: SharedEmbedding {
    public let configuration: SUE.Configuration
    let mapX: EmbeddingMap
    let mapY: EmbeddingMap
    /// Step 2's maps (CCA or standardisation).
    public let linear: PairedLinearMaps
    /// Step 3's network, if enabled.
    public let mmdNet: FittedMMDNet?
    /// Wall-clock seconds per stage of the fit.
    public let stageSeconds: [(stage: String, seconds: Double)]
    /// For a model read from a file: its record of the training settings (metadata `sue.training`), written
    /// back unchanged, since the loaded `configuration` has only defaults for them.
    let storedTrainingRecord: String?

    init(configuration: SUE.Configuration, mapX: EmbeddingMap, mapY: EmbeddingMap, linear: PairedLinearMaps,
         mmdNet: FittedMMDNet?, stageSeconds: [(stage: String, seconds: Double)], storedTrainingRecord: String? = nil) {
        self.configuration = configuration; self.mapX = mapX; self.mapY = mapY; self.linear = linear
        self.mmdNet = mmdNet; self.stageSeconds = stageSeconds; self.storedTrainingRecord = storedTrainingRecord
    }

    public var dimension: Int { linear.dimension }

    /// The numeric SE of a side, when that mode was used (eigenvalues, solver report, components).
    /// (nil for a model loaded from a file: it keeps only the Nyström extension.)
    public var numericEmbeddingX: FittedNumericSpectralEmbedding? { if case .numeric(_, let s) = mapX { return s }; return nil }
    public var numericEmbeddingY: FittedNumericSpectralEmbedding? { if case .numeric(_, let s) = mapY { return s }; return nil }
    /// What embeds new rows of a side in the numeric mode.
    public var nystromX: NystromExtension? { if case .numeric(let n, _) = mapX { return n }; return nil }
    public var nystromY: NystromExtension? { if case .numeric(let n, _) = mapY { return n }; return nil }
    /// Width of each side's step-1 embedding: `seDimensions` unless the numeric SE had to drop dimensions
    /// whose eigenvalue is too small to extend (see `NystromExtension`), or the mode has its own width.
    public var embeddingWidths: (x: Int, y: Int) { (linear.meanX.count, linear.meanY.count) }
    /// The SpectralNet of a side, when the parametric mode was used.
    public var spectralNetX: FittedSpectralNet? { if case .parametric(let s) = mapX { return s }; return nil }
    public var spectralNetY: FittedSpectralNet? { if case .parametric(let s) = mapY { return s }; return nil }

    /// f_X(x) = Q_X(S_X(x)).
    public func embedX(_ x: Matrix<Float>) throws -> Matrix<Float> {
        try requireFiniteInput(x, "X")
        return linear.applyX(try mapX.apply(x)).converted(to: Float.self)
    }

    /// f_Y(y) = F_θ(Q_Y(S_Y(y))).
    public func embedY(_ y: Matrix<Float>) throws -> Matrix<Float> {
        try requireFiniteInput(y, "Y")
        let aligned = linear.applyY(try mapY.apply(y)).converted(to: Float.self)
        return try mmdNet?.apply(aligned) ?? aligned
    }
}
