import Foundation
import LinearAlgebra
import SUEFiles

/// The model file: a fitted `StorableEmbedding` in a safetensors file that Python's `safetensors` opens.
///
/// Layout (everything in one `SafetensorsFile`):
/// - tensors: the embedding's own tensors under their own names (`storedTensors()`, e.g. `x.map`,
///   `y.mean`), each name carrying its component prefix, stored as F32 — or as F64 for the values a model
///   computes with in double precision (`storedDoubleTensors()`);
/// - `__metadata__`, all strings:
///   - `format` = `"sue-model"`, `version` = the writing package's `SUEVersion.current`, `kind` = the type's
///     `kind`;
///   - `x_columns`, `y_columns`, `dimension`: the input widths the model expects and the shared dimension;
///   - `config`: the configuration as JSON text (what was asked for); `report`: the training report as JSON
///     text (method chosen and why, pairs used, seed, diagnostics);
///   - the embedding's own `storedMetadata()` entries (names must not collide with the keys above).
///
/// The file holds nothing that depends on the run rather than on the inputs (no wall-clock times, no thread
/// count), so the same inputs and seed give the same bytes.
///
/// Loading trusts nothing: the safetensors layer checks the byte layout; here `format`, `version`, `kind`
/// are checked, every tensor must be finite, the type's own loader checks its tensors' shapes, and finally a
/// row of ones of each declared input width is mapped to see that the maps really take `x_columns`/`y_columns`
/// inputs to `dimension` outputs. Every refusal is a `FileError` naming the file and the problem.
public enum ModelFormat {
    public static let format = "sue-model"

    /// Metadata keys owned by the format (an embedding's own metadata may not use them).
    public static let reservedKeys: Set<String> = ["format", "version", "kind", "x_columns", "y_columns", "dimension",
                                                   "config", "report"]

    /// A model read back from a file, with what was recorded about it.
    public struct LoadedModel {
        public var embedding: StorableEmbedding
        public var kind: String
        /// The package version that wrote the file.
        public var version: String
        public var xColumns: Int
        public var yColumns: Int
        public var configuration: JSONValue
        public var report: JSONValue
    }

    // MARK: Registry of loaders

    /// Every `StorableEmbedding` type a model file may name. Types of the SUE module are listed in
    /// `builtInTypes`; other modules (or tests) add theirs with `register(_:)`.
    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var types: [String: StorableEmbedding.Type] = [:]
    }
    private static let registry: Registry = {
        let r = Registry()
        for type in builtInTypes { r.types[type.kind] = type }
        return r
    }()

    /// The storable types of this module, known without registration.
    static var builtInTypes: [StorableEmbedding.Type] { [LinearAlignment.self, FittedSUE.self, SimilarityProfileAlignment.self,
                                                              ProfiledAlignment.self] }

    /// Makes files of `type.kind` loadable. Registering the same kind twice keeps the last type.
    public static func register(_ type: StorableEmbedding.Type) {
        registry.lock.lock(); defer { registry.lock.unlock() }
        registry.types[type.kind] = type
    }

    /// The kinds this build can load, sorted.
    public static var registeredKinds: [String] {
        registry.lock.lock(); defer { registry.lock.unlock() }
        return registry.types.keys.sorted()
    }

    private static func type(ofKind kind: String) -> StorableEmbedding.Type? {
        registry.lock.lock(); defer { registry.lock.unlock() }
        return registry.types[kind]
    }

    // MARK: Writing

    /// The safetensors file for `embedding`, fitted on inputs of `xColumns` and `yColumns` columns.
    public static func file(for embedding: StorableEmbedding, xColumns: Int, yColumns: Int,
                            configuration: JSONValue, report: JSONValue) -> SafetensorsFile {
        let own = embedding.storedMetadata()
        let clash = Set(own.keys).intersection(reservedKeys)
        precondition(clash.isEmpty, "\(Swift.type(of: embedding)).storedMetadata() uses reserved keys \(clash.sorted())")
        var metadata = own
        metadata["format"] = format
        metadata["version"] = SUEVersion.current
        metadata["kind"] = Swift.type(of: embedding).kind
        metadata["x_columns"] = String(xColumns)
        metadata["y_columns"] = String(yColumns)
        metadata["dimension"] = String(embedding.dimension)
        metadata["config"] = configuration.text
        metadata["report"] = report.text
        let single = embedding.storedTensors(), double = embedding.storedDoubleTensors()
        let both = Set(single.keys).intersection(double.keys)
        precondition(both.isEmpty, "\(Swift.type(of: embedding)) stores \(both.sorted()) in both precisions")
        return SafetensorsFile(tensors: single, doubleTensors: double, metadata: metadata)
    }

    /// Writes the model file atomically (temporary file, then rename).
    public static func save(_ embedding: StorableEmbedding, xColumns: Int, yColumns: Int,
                            configuration: JSONValue, report: JSONValue, to url: URL) throws {
        try file(for: embedding, xColumns: xColumns, yColumns: yColumns, configuration: configuration, report: report)
            .write(to: url)
    }

    // MARK: Reading

    public static func load(_ url: URL) throws -> LoadedModel {
        try load(try SafetensorsFile.read(url), source: url.path)
    }

    /// Rebuilds the embedding in `file`; `source` names the file in errors.
    public static func load(_ file: SafetensorsFile, source: String) throws -> LoadedModel {
        func refuse(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, file: source, problem) }
        func refuse(_ problem: String) -> FileError { FileError(.invalidValue, file: source, problem) }
        let m = file.metadata
        guard let fileFormat = m["format"] else {
            throw refuse(.unsupported, "not a sue model: the safetensors metadata has no 'format' entry (expected \"\(format)\")")
        }
        guard fileFormat == format else {
            throw refuse(.unsupported, "not a sue model: metadata format is \"\(fileFormat)\", expected \"\(format)\"")
        }
        guard let version = m["version"] else { throw refuse(.malformed, "the model has no 'version' entry") }
        guard let written = parseVersion(version) else {
            throw refuse(.malformed, "the model's version \"\(version)\" is not of the form MAJOR.MINOR.PATCH")
        }
        let ours = parseVersion(SUEVersion.current)!
        guard formatCompatible(written: written, reader: ours) else {
            throw refuse(.unsupported, "the model was written by sue \(version), a newer format than this sue \(SUEVersion.current) reads; update sue")
        }
        guard let kind = m["kind"] else { throw refuse(.malformed, "the model has no 'kind' entry") }
        guard let type = type(ofKind: kind) else {
            let known = registeredKinds
            throw refuse(.unsupported, "unknown model kind \"\(kind)\" (this build reads: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        func count(_ key: String) throws -> Int {
            guard let text = m[key] else { throw refuse(.malformed, "the model has no '\(key)' entry") }
            guard let n = Int(text), n > 0 else { throw refuse(.malformed, "metadata '\(key)' is \"\(text)\", expected a positive integer") }
            return n
        }
        let xColumns = try count("x_columns"), yColumns = try count("y_columns"), dimension = try count("dimension")
        let configuration = try m["config"].map { try JSONValue.parse($0, source: source + " (metadata 'config')") } ?? .null
        let report = try m["report"].map { try JSONValue.parse($0, source: source + " (metadata 'report')") } ?? .null

        // Each tensor keeps the precision it was stored in (F16 arrives widened to Float).
        func requireFinite<S: MatrixScalar>(_ tensors: [String: Matrix<S>]) throws {
            for name in tensors.keys.sorted() {
                if let bad = InputValidation.firstNonFinite(tensors[name]!) {
                    throw refuse("tensor '\(name)' contains \(bad.value) at row \(bad.row), column \(bad.column)")
                }
            }
        }
        try requireFinite(file.tensors)
        try requireFinite(file.doubleTensors)
        var own = m
        for key in reservedKeys { own[key] = nil }
        let embedding: StorableEmbedding
        do {
            embedding = try type.init(storedTensors: file.tensors, doubleTensors: file.doubleTensors, metadata: own)
        } catch let error as FileError {
            throw refuse(error.kind, "cannot rebuild the \(kind) model: \(error.problem)")
        } catch {
            throw refuse("cannot rebuild the \(kind) model: \(error)")
        }
        guard embedding.dimension == dimension else {
            throw refuse("metadata says the shared dimension is \(dimension), the tensors give \(embedding.dimension)")
        }
        // The maps must accept the declared widths and give `dimension` finite columns.
        for (side, columns) in [("X", xColumns), ("Y", yColumns)] {
            // A row of ones, not zeros: a zero row has no cosine direction, which a cosine kNN search refuses.
            let probe = Matrix<Float>(rows: 1, columns: columns, repeating: 1)
            let out: Matrix<Float>
            do {
                out = side == "X" ? try embedding.embedX(probe) : try embedding.embedY(probe)
            } catch {
                throw refuse("the \(side) map does not accept the declared \(columns) input columns: \(error)")
            }
            // Only the shape is checked: the probe may legitimately be far from everything a non-linear map
            // was fitted on (e.g. a Nyström extension), so its values prove nothing.
            guard out.rows == 1, out.columns == dimension else {
                throw refuse("the \(side) map gives \(out.rows)×\(out.columns) output for one row, expected 1×\(dimension)")
            }
        }
        return LoadedModel(embedding: embedding, kind: kind, version: version, xColumns: xColumns, yColumns: yColumns,
                           configuration: configuration, report: report)
    }

    /// `MAJOR.MINOR.PATCH` (digits only) as three integers, or `nil`.
    public static func parseVersion(_ text: String) -> (major: Int, minor: Int, patch: Int)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) else { return nil }
        return (a, b, c)
    }

    /// Semantic versioning: a reader accepts files of its own major version and at most its own minor version
    /// (a newer minor may add fields it would ignore, so it is refused rather than half-read). Before 1.0 every
    /// minor version is a major one, so 0.x reads only 0.x with the same x.
    public static func formatCompatible(written: (major: Int, minor: Int, patch: Int),
                                        reader: (major: Int, minor: Int, patch: Int)) -> Bool {
        if reader.major == 0 { return written.major == 0 && written.minor == reader.minor }
        return written.major == reader.major && written.minor <= reader.minor
    }
}
