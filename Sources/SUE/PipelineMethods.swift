import Foundation

/// The methods of this part of the package, by the names `sue experiment --methods` uses:
/// `sue` (the recommended pipeline), `sue-numeric`, `sue-parametric`, `contrastive`, `mmd` (PCA + MMD net, no SE
/// and no CCA: Table 8's "MMD" ablation on raw features), `ae` (autoencoder + CCA + MMD: Table 9).
/// CCA on raw features (`cca`) and ridge (`ridge`) are registered with the CCA and ridge code.
public let pipelineMethods: [AlignmentMethod] = [
    suePipelineMethod("sue", "SUE (Algorithm 1) with the recommended settings: numeric SE, CCA, MMD net"),
    suePipelineMethod("sue-numeric", "SUE with the numeric spectral embedding (eigenvectors + Nyström)"),
    suePipelineMethod("sue-parametric", "SUE with the parametric spectral embedding (SpectralNet, small network)"),
    AlignmentMethod(name: "contrastive",
                    summary: "two small networks with symmetric InfoNCE on the pairs only, tuned on held-out pairs") { data, context in
        try ContrastiveAlignment().fit(data, seed: context.seed) { context.report("contrastive", nil, $0) }
    },
    suePipelineMethod("mmd", "MMD net on PCA-reduced raw features (no SE, no CCA)"),
    suePipelineMethod("ae", "autoencoder per modality instead of SE, then CCA and MMD net"),
    AlignmentMethod(name: "sue+self-learning",
                    summary: "SUE's shared space as the start of self-learning over the unpaired raw features") { data, context in
        // SUE needs no pairs beyond its CCA, so its output is a start that uses the graphs of both modalities;
        // self-learning then refines it on the raw features, where the fine structure lives.
        let start = try SUE.fit(data, configuration: .default, context: context)
        return try selfLearningAlignment(data, initial: start, context: context).alignment
    },
]

/// The configuration the SUE pipeline method `name` fits with, or nil when `name` is not one of them: what
/// `sue fit` starts from before applying `--se`, `--dims`, `--cca`, `--knn` and `--mmd`.
public func suePipelineConfiguration(method name: String) -> SUE.Configuration? {
    switch name {
    case "sue": return .default
    case "sue-numeric": return SUE.Configuration(se: .numeric)
    case "sue-parametric": return SUE.Configuration(se: .parametric)
    case "mmd": return SUE.Configuration(se: .pca, cca: false, mmd: true)
    case "ae": return SUE.Configuration(se: .autoencoder, cca: true, mmd: true)
    default: return nil
    }
}

/// An `AlignmentMethod` that fits the SUE pipeline with the configuration of `suePipelineConfiguration`.
func suePipelineMethod(_ name: String, _ summary: String) -> AlignmentMethod {
    let configuration = suePipelineConfiguration(method: name)!
    return AlignmentMethod(name: name, summary: summary) { data, context in
        try SUE.fit(data, configuration: configuration, context: context)
    }
}

/// Adds `pipelineMethods` to `AlignmentMethods` (idempotent), so that `AlignmentMethods.named("sue")` and the
/// experiment runner find them next to ridge, CCA and the others.
public func registerPipelineMethods() {
    for method in pipelineMethods { AlignmentMethods.register(method) }
}
