/// The version of this package, written into every model file (`ModelFormat`) and printed by `sue --version`.
///
/// Semantic versioning: a model file records the version that wrote it, and `ModelFormat.load` refuses files
/// from a newer *format* than it knows (see `ModelFormat.formatCompatible`).
public enum SUEVersion {
    public static let current = "0.2.0"
}
