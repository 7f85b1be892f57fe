/// One method of the catalogue: a name for the command line and experiments, a one-line summary, and the
/// estimator with its default settings.
public struct CatalogueEntry: Sendable {
    /// The name `sue fit --method` and `sue experiment --methods` use.
    public let name: String
    /// What the method does, in one line.
    public let summary: String
    /// The estimator with its default configuration (a value: copy it and change its settings freely).
    public let estimator: any Aligner

    /// An entry of your own (for experiments with a changed configuration).
    public init(name: String, summary: String, estimator: any Aligner) {
        self.name = name; self.summary = summary; self.estimator = estimator
    }
}

/// Every method of this module by name: an immutable list, complete at compile time (nothing to register).
public enum Catalogue {
    /// The methods in display order: the default first, then the baselines, the pair-free views, self-learning,
    /// the paper's pipeline and its ablations, and the contrastive baseline.
    public static let entries: [CatalogueEntry] = [
        CatalogueEntry(name: "auto", summary: "the default: ridge unless a candidate beats it clearly, in both directions, on known pairs held out of its fit: self-learning (CCA) or two-way self-learning judged on a held-out fold, CCA, cca+profiles or kernel-ridge by cross-validation, and the contrastive networks where kernel-ridge wins; standardised columns where the columns' scales are decades apart and ridge gains from it; with no pairs the similarity profiles",
                       estimator: Automatic()),
        CatalogueEntry(name: "ridge", summary: "ridge regression X→Y on the known pairs, λ by exact leave-one-out (baseline)",
                       estimator: Ridge()),
        CatalogueEntry(name: "procrustes", summary: "orthogonal Procrustes X→Y on the known pairs (rank-truncated with few pairs)",
                       estimator: Procrustes()),
        CatalogueEntry(name: "cca", summary: "regularised CCA on the known pairs (shrinkage d/(n+d)), components weighted by √(correlation)",
                       estimator: CCA()),
        CatalogueEntry(name: "components+cca", summary: "CCA on the known pairs side by side with each side's 64 independent components, matched with the pairs",
                       estimator: IndependentComponentCCA()),
        CatalogueEntry(name: "kernel-ridge", summary: "kernel ridge regression X→Y and Y→X side by side on the known pairs (Gaussian kernel, Nyström features on 256 centres per side, bandwidth and λ by leave-one-out): for relations that are curved, not only noisy",
                       estimator: KernelRidge()),
        CatalogueEntry(name: "cca+profiles", summary: "CCA on the known pairs side by side with the pair-free similarity profiles (weight 0.75, as in self-learning's start)",
                       estimator: ProfiledCCA()),
        CatalogueEntry(name: "self-learning", summary: "CCA on known pairs beside the pair-free similarity profiles, then rounds of CSLS mutual-NN pseudo-pairs over the unpaired rows and CCA refits (cross-fitted in 5 parts)",
                       estimator: SelfLearning()),
        CatalogueEntry(name: "two-way-self-learning", summary: "ridge maps X→Y and Y→X side by side, refitted on a dictionary of the most confident CSLS mutual matches that grows each round (for representations far from linearly related)",
                       estimator: TwoWaySelfLearning()),
        CatalogueEntry(name: "similarity-profiles", summary: "no pairs needed: each row described by its sorted similarities to its own modality's rows and its distance from the centre",
                       estimator: SimilarityProfiles()),
        CatalogueEntry(name: "sue", summary: "SUE (Algorithm 1) with the recommended settings: numeric spectral embedding, CCA, MMD net",
                       estimator: SUEPipeline()),
        CatalogueEntry(name: "sue-parametric", summary: "SUE with the parametric spectral embedding (SpectralNet, small network)",
                       estimator: SUEPipeline(se: .parametric)),
        CatalogueEntry(name: "mmd", summary: "MMD net on PCA-reduced raw features (no SE, no CCA)",
                       estimator: SUEPipeline(se: .pca, cca: false, mmd: true)),
        CatalogueEntry(name: "ae", summary: "autoencoder per modality instead of SE, then CCA and MMD net",
                       estimator: SUEPipeline(se: .autoencoder, cca: true, mmd: true)),
        CatalogueEntry(name: "contrastive", summary: "two small networks with symmetric InfoNCE on the pairs only, tuned on held-out pairs",
                       estimator: Contrastive()),
    ]

    /// The names, in display order.
    public static var names: [String] { entries.map(\.name) }

    /// The entry called `name`, or `AlignmentError.unknownMethod` listing the names.
    public static func entry(named name: String) throws -> CatalogueEntry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw AlignmentError.unknownMethod(name, available: names)
        }
        return entry
    }
}
