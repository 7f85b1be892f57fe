import Foundation

/// The methods of this part of the package, by the names `sue experiment --methods` uses:
/// `sue` (the recommended pipeline), `sue-numeric`, `sue-parametric`, `contrastive`, `mmd` (PCA + MMD net, no SE
/// and no CCA: Table 8's "MMD" ablation on raw features), `ae` (autoencoder + CCA + MMD: Table 9).
/// CCA on raw features (`cca`) and ridge (`ridge`) are registered with the CCA and ridge code.
public let pipelineMethods: [AlignmentMethod] = [
    suePipelineMethod("sue", "SUE (Algorithm 1) with the recommended settings: numeric SE, CCA, MMD net",
                      SUE.Configuration.default),
    suePipelineMethod("sue-numeric", "SUE with the numeric spectral embedding (eigenvectors + Nyström)",
                      SUE.Configuration(se: .numeric)),
    suePipelineMethod("sue-parametric", "SUE with the parametric spectral embedding (SpectralNet, small network)",
                      SUE.Configuration(se: .parametric)),
    AlignmentMethod(name: "contrastive",
                    summary: "two small networks with symmetric InfoNCE on the pairs only, tuned on held-out pairs") { data, context in
        try ContrastiveAlignment().fit(data, seed: context.seed) { context.report("contrastive", nil, $0) }
    },
    suePipelineMethod("mmd", "MMD net on PCA-reduced raw features (no SE, no CCA)",
                      SUE.Configuration(se: .pca, cca: false, mmd: true)),
    suePipelineMethod("ae", "autoencoder per modality instead of SE, then CCA and MMD net",
                      SUE.Configuration(se: .autoencoder, cca: true, mmd: true)),
]

/// An `AlignmentMethod` that fits the SUE pipeline with a fixed configuration.
func suePipelineMethod(_ name: String, _ summary: String, _ configuration: SUE.Configuration) -> AlignmentMethod {
    AlignmentMethod(name: name, summary: summary) { data, context in
        try SUE.fit(data, configuration: configuration, context: context)
    }
}

/// Adds `pipelineMethods` to `AlignmentMethods` (idempotent), so that `AlignmentMethods.named("sue")` and the
/// experiment runner find them next to ridge, CCA and the others.
public func registerPipelineMethods() {
    for method in pipelineMethods { AlignmentMethods.register(method) }
}
