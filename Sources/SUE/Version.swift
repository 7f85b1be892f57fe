/// The version of this package, written into every model file and printed by `sue --version`.
///
/// Semantic versioning: a model file records the version that wrote it, and `ModelFile.load` (module
/// `SUEModelFiles`) refuses files of a format it does not know (`ModelFile.formatCompatible`).
public enum SUEVersion {
    /// MAJOR.MINOR.PATCH.
    public static let current = "0.2.0"
}
