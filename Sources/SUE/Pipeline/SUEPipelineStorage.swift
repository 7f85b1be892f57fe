import Foundation
import LinearAlgebra
import Autodiff
import Spectral

/// `SUEPipelineModel` as stored parameters, kind `sue-pipeline`: everything needed to embed new rows, nothing
/// that depends on the run (no timings), so the same fit gives the same bytes.
///
/// Layout, with `s` the side (`x` or `y`); F64 marks the values the pipeline computes with in Double, so that a
/// rebuilt model gives the same bits as the fitted one:
///
/// | step 1, `sue.se` =  | tensors of side s                                                              |
/// |---------------------|--------------------------------------------------------------------------------|
/// | `none`              | — (the raw features; their width is that of `linear.s.mean`)                   |
/// | `pca`               | `s.pca.mean` 1×d, `s.pca.components` d×k, `s.pca.variances` 1×k (F64)          |
/// | `numeric`           | `s.nystrom.training_rows` n×d (F32), `s.nystrom.embedding` n×k, `s.nystrom.eigenvalues` 1×k (F64); metadata `s.nystrom.neighbors` |
/// | `parametric`        | `s.spectralnet.standardizer.{mean,scale}` 1×d (F64), `s.spectralnet.network.layers.i.{weight,bias}` (F32), `s.spectralnet.projection` K×k (F32), `s.spectralnet.eigenvalues` 1×k (F64) |
/// | `autoencoder`       | `s.autoencoder.standardizer.{mean,scale}` (F64), `s.autoencoder.encoder.layers.i.{weight,bias}` (F32) |
///
/// Step 2: `linear.s.mean` 1×k_s and `linear.s.projection` k_s×r (F64), `linear.correlations` 1×r when CCA gave
/// them. Step 3, when `sue.mmd` is true: `mmd.network.layers.i.{weight,bias}` (F32) and `mmd.bandwidths` (F64).
/// Networks carry their activations in the metadata entry `<prefix>.activations`.
///
/// Metadata: `sue.se`, `sue.se_dimensions`, `sue.neighbors`, `sue.metric`, `sue.cca`, `sue.cca_components`,
/// `sue.mmd` (the configuration that shapes the maps). The training settings are in the report's configuration.
/// A rebuilt model's `configuration` has the stored values and, for training-only settings that cannot affect
/// embedding (epochs, learning rates, …), the defaults; `numericEmbeddingX/Y` are nil (the graph is not stored).
///
/// Rebuilding checks every tensor's shape against the others (naming the tensor), refuses tensors the layout
/// does not explain, and rebuilds the Nyström extension's neighbour index from the training rows.
extension SUEPipelineModel {
    public static var kind: String { "sue-pipeline" }

    public var storedForm: StoredModel {
        var parts = StoredModel(kind: Self.kind, report: report)
        let c = configuration
        parts.metadata["sue.se"] = c.se.rawValue
        parts.metadata["sue.se_dimensions"] = String(c.seDimensions)
        parts.metadata["sue.neighbors"] = String(c.neighbors)
        parts.metadata["sue.metric"] = c.metric.rawValue
        parts.metadata["sue.cca"] = String(c.cca)
        parts.metadata["sue.cca_components"] = String(c.ccaComponents)
        parts.metadata["sue.mmd"] = String(mmdNet != nil)
        mapX.store(side: "x", into: &parts)
        mapY.store(side: "y", into: &parts)
        parts.storeRow(linear.meanX, "linear.x.mean")
        parts.doubleTensors["linear.x.projection"] = linear.projectionX
        parts.storeRow(linear.meanY, "linear.y.mean")
        parts.doubleTensors["linear.y.projection"] = linear.projectionY
        if !linear.correlations.isEmpty { parts.storeRow(linear.correlations, "linear.correlations") }
        if let net = mmdNet {
            parts.storeNetwork(net.network, "mmd.network")
            parts.storeRow(net.bandwidths, "mmd.bandwidths")
            parts.metadata["mmd.best_epoch"] = String(net.bestEpoch)
        }
        return parts
    }

    public init(stored: StoredModel) throws {
        let r = StoredModelReader(stored)
        var c = SUEPipeline(se: try r.choice("sue.se", SUEPipeline.EmbeddingMode.self),
                            seDimensions: try r.integer("sue.se_dimensions", minimum: 1),
                            neighbors: try r.integer("sue.neighbors", minimum: 1),
                            metric: try r.choice("sue.metric", DistanceMetric.self), cca: try r.flag("sue.cca"),
                            ccaComponents: try r.integer("sue.cca_components", minimum: 1),
                            mmd: try r.flag("sue.mmd"))

        // Step 2 first: its input widths are what step 1 must produce.
        let meanX = try r.row("linear.x.mean"), meanY = try r.row("linear.y.mean")
        let projectionX = try r.doubles("linear.x.projection", rows: meanX.count, "one row per column of linear.x.mean")
        let projectionY = try r.doubles("linear.y.projection", rows: meanY.count, columns: projectionX.columns,
                                        "one row per column of linear.y.mean, as many columns as linear.x.projection")
        let correlations = r.has("linear.correlations")
            ? try r.row("linear.correlations", count: projectionX.columns, "one per shared dimension") : []
        let linear = try PairedLinearMaps(meanX: meanX, projectionX: projectionX, meanY: meanY, projectionY: projectionY,
                                      correlations: correlations)

        // Step 1, each side giving exactly the width step 2 takes.
        let mapX = try EmbeddingMap.load(side: "x", mode: c.se, metric: c.metric, width: meanX.count, from: r)
        let mapY = try EmbeddingMap.load(side: "y", mode: c.se, metric: c.metric, width: meanY.count, from: r)
        for map in [mapX, mapY] { map.describe(into: &c) }

        // Step 3.
        var mmd: FittedMMDNet? = nil
        if c.mmd {
            let network = try r.network("mmd.network")
            let r0 = linear.dimension
            guard network.inputs == r0, network.outputs == r0 else {
                throw StoredModelReader.failure("tensor 'mmd.network.layers.0.weight' maps \(network.inputs) → … → \(network.outputs) columns; the MMD net must map the shared dimension \(r0) to itself")
            }
            c.mmdNet.hidden = network.hidden
            mmd = FittedMMDNet(network: network, bandwidths: try r.row("mmd.bandwidths"), history: [],
                               bestEpoch: try r.integer("mmd.best_epoch"))
        }
        try r.requireEverythingUsed("a sue-pipeline model with se \(c.se.rawValue), cca \(c.cca), mmd \(c.mmd)")
        self.init(configuration: c, mapX: mapX, mapY: mapY, linear: linear, mmdNet: mmd,
                  report: stored.report ?? .unrecorded(method: c.methodName))
    }
}

extension EmbeddingMap {
    /// Adds this side's step-1 tensors (see the layout in `SUEPipelineModel`'s storage) to `parts`.
    func store(side s: String, into parts: inout StoredModel) {
        switch self {
        case .identity:
            break
        case .pca(let p):
            parts.storeRow(p.mean, "\(s).pca.mean")
            parts.doubleTensors["\(s).pca.components"] = p.components
            parts.storeRow(p.variances, "\(s).pca.variances")
        case .numeric(let n, _):
            parts.tensors["\(s).nystrom.training_rows"] = n.trainingRows
            parts.doubleTensors["\(s).nystrom.embedding"] = n.embedding
            parts.storeRow(n.eigenvalues, "\(s).nystrom.eigenvalues")
            parts.metadata["\(s).nystrom.neighbors"] = String(n.neighbors)
        case .parametric(let net):
            parts.storeStandardizer(net.standardizer, "\(s).spectralnet.standardizer")
            parts.storeNetwork(net.network, "\(s).spectralnet.network")
            parts.tensors["\(s).spectralnet.projection"] = net.projection
            parts.storeRow(net.eigenvalues, "\(s).spectralnet.eigenvalues")
            parts.metadata["\(s).spectralnet.best_epoch"] = String(net.bestEpoch)
            parts.metadata["\(s).spectralnet.recoveries"] = String(net.recoveries)
        case .autoencoder(let ae):
            parts.storeStandardizer(ae.standardizer, "\(s).autoencoder.standardizer")
            parts.storeNetwork(ae.encoder, "\(s).autoencoder.encoder")
            parts.metadata["\(s).autoencoder.best_epoch"] = String(ae.bestEpoch)
        }
    }

    /// Reads side `s`'s map of `mode`, which must output `width` columns (step 2's input width).
    static func load(side s: String, mode: SUEPipeline.EmbeddingMode, metric: DistanceMetric, width: Int,
                     from r: StoredModelReader) throws -> EmbeddingMap {
        let feeds = "its columns feed linear.\(s).mean, which has \(width)"
        switch mode {
        case .none:
            return .identity(columns: width)
        case .pca:
            let mean = try r.row("\(s).pca.mean")
            let components = try r.doubles("\(s).pca.components", rows: mean.count, columns: width,
                                           "one row per column of \(s).pca.mean; \(feeds)")
            let variances = try r.row("\(s).pca.variances", count: width, "one per component")
            return .pca(PrincipalComponents(mean: mean, components: components, variances: variances))
        case .numeric:
            let rows = try r.floats("\(s).nystrom.training_rows")
            let embedding = try r.doubles("\(s).nystrom.embedding", rows: rows.rows, columns: width,
                                          "one row per row of \(s).nystrom.training_rows; \(feeds)")
            let eigenvalues = try r.row("\(s).nystrom.eigenvalues", count: width, "one per embedding column")
            let k = try r.integer("\(s).nystrom.neighbors", minimum: 1)
            do {
                return .numeric(try NystromExtension(trainingRows: rows, embedding: embedding, eigenvalues: eigenvalues,
                                                     neighbors: k, metric: metric), nil)
            } catch let e as SpectralError {
                throw StoredModelReader.failure("the Nyström extension of side \(s) (tensors '\(s).nystrom.*') is unusable: \(e)")
            }
        case .parametric:
            let standardizer = try r.standardizer("\(s).spectralnet.standardizer")
            let network = try r.network("\(s).spectralnet.network")
            try requireInputs(network, standardizer, "\(s).spectralnet")
            let projection = try r.floats("\(s).spectralnet.projection", rows: network.outputs, columns: width,
                                          "one row per network output; \(feeds)")
            let eigenvalues = try r.row("\(s).spectralnet.eigenvalues", count: width, "one per embedding column")
            var configuration = SpectralNet.Configuration.default
            configuration.hidden = network.hidden
            configuration.dimensions = width
            configuration.metric = metric
            return .parametric(FittedSpectralNet(
                configuration: configuration, standardizer: standardizer, network: network, projection: projection,
                eigenvalues: eigenvalues, history: [], bestEpoch: try r.integer("\(s).spectralnet.best_epoch"),
                recoveries: try r.integer("\(s).spectralnet.recoveries")))
        case .autoencoder:
            let standardizer = try r.standardizer("\(s).autoencoder.standardizer")
            let encoder = try r.network("\(s).autoencoder.encoder")
            try requireInputs(encoder, standardizer, "\(s).autoencoder")
            guard encoder.outputs == width else {
                throw StoredModelReader.failure("tensor '\(s).autoencoder.encoder.layers.\(encoder.activations.count - 1).weight' gives \(encoder.outputs) outputs; \(feeds)")
            }
            return .autoencoder(FittedAutoencoder(standardizer: standardizer, encoder: encoder,
                                                  bestEpoch: try r.integer("\(s).autoencoder.best_epoch")))
        }
    }

    /// The network's first layer must take the standardiser's columns.
    private static func requireInputs(_ network: NetworkWeights, _ standardizer: ColumnStandardizer, _ prefix: String) throws {
        let d = standardizer.means.count
        guard network.inputs == d else {
            throw StoredModelReader.failure("tensor '\(prefix).\(prefix.hasSuffix("autoencoder") ? "encoder" : "network").layers.0.weight' takes \(network.inputs) inputs, but '\(prefix).standardizer.mean' has \(d) columns")
        }
    }

    /// Records in `c` what the loaded map says about the configuration (the network widths).
    func describe(into c: inout SUEPipeline) {
        switch self {
        case .parametric(let net): c.spectralNet.hidden = net.configuration.hidden
        case .autoencoder(let ae): c.autoencoder.hidden = ae.encoder.hidden
        default: break
        }
    }
}
