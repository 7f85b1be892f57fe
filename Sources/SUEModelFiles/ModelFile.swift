import Foundation
import LinearAlgebra
import SUE
import SUEFiles

/// The model file: any fitted model in a safetensors file that Python's `safetensors` opens.
///
/// Layout (everything in one `SafetensorsFile`):
/// - tensors: the model's own tensors under their own names (`StoredModel.tensors`, e.g. `x.map`, `y.mean`),
///   stored as F32, and as F64 the values a model computes with in double precision
///   (`StoredModel.doubleTensors`);
/// - `__metadata__`, all strings:
///   - `format` = `"sue-model"`, `version` = the writing package's `SUEVersion.current`, `kind` = the model's
///     kind (`StoredModel.kind`);
///   - `x_columns`, `y_columns`, `dimension`: the input widths the model expects and the shared dimension;
///   - `report`: the fit's report (`FitReport`) as JSON: the method and why, the pairs and rows used, the seed,
///     and the estimator's configuration;
///   - the model's own metadata entries (names must not collide with the keys above).
///
/// The file holds nothing that depends on the run rather than on the inputs (no wall-clock times, no thread
/// count), so the same inputs and seed give the same bytes.
///
/// Loading trusts nothing: the safetensors layer checks the byte layout; here `format`, `version` and `kind` are
/// checked, every tensor must be finite, the model type checks its tensors' shapes (`StorableModel.init(stored:)`),
/// and finally a row of ones of each declared input width is mapped to see that the maps really take
/// `x_columns`/`y_columns` inputs to `dimension` outputs. Values beyond `maximumInputMagnitude` are refused too. Every refusal is a `FileError` naming the file.
public enum ModelFile {
    /// The value of the `format` metadata entry.
    public static let format = "sue-model"

    /// Metadata keys owned by the file format (a model's own metadata may not use them).
    public static let reservedKeys: Set<String> = ["format", "version", "kind", "x_columns", "y_columns", "dimension",
                                                   "report"]

    /// A model read back from a file, with what was recorded about it.
    public struct LoadedModel: Sendable {
        /// The model, ready to embed rows.
        public var model: any AlignmentModel
        /// Its kind (`StoredModel.kind`).
        public var kind: String
        /// The package version that wrote the file.
        public var version: String
        /// Columns of the X rows the model takes.
        public var xColumns: Int
        /// Columns of the Y rows the model takes.
        public var yColumns: Int
        /// The fit's report, when the file has one.
        public var report: FitReport?
    }

    // MARK: Writing

    /// The safetensors file for `model`.
    public static func file(for model: any AlignmentModel) throws -> SafetensorsFile {
        let stored = model.storedForm
        if let clash = Set(stored.metadata.keys).intersection(reservedKeys).sorted().first {
            throw FileError(.invalidValue, file: stored.kind, "the model's own metadata uses the reserved key '\(clash)'")
        }
        if let both = Set(stored.tensors.keys).intersection(stored.doubleTensors.keys).sorted().first {
            throw FileError(.invalidValue, file: stored.kind, "the model stores tensor '\(both)' in both precisions")
        }
        var metadata = stored.metadata
        metadata["format"] = format
        metadata["version"] = SUEVersion.current
        metadata["kind"] = stored.kind
        metadata["x_columns"] = String(model.inputColumns.x)
        metadata["y_columns"] = String(model.inputColumns.y)
        metadata["dimension"] = String(model.dimension)
        metadata["report"] = reportText(stored.report ?? model.report)
        return SafetensorsFile(tensors: stored.tensors, doubleTensors: stored.doubleTensors, metadata: metadata)
    }

    /// Writes `model` to `url` atomically (temporary file in the same folder, then rename).
    public static func save(_ model: any AlignmentModel, to url: URL) throws {
        try file(for: model).write(to: url)
    }

    // MARK: Reading

    /// Reads and rebuilds the model in the file at `url`.
    public static func load(_ url: URL) throws -> LoadedModel {
        try load(try SafetensorsFile.read(url), source: url.path)
    }

    /// Rebuilds the model in `file`; `source` names the file in errors.
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
            throw refuse(.unsupported, "the model was written by sue \(version), a format this sue \(SUEVersion.current) does not read; use the sue that wrote it")
        }
        guard let kind = m["kind"] else { throw refuse(.malformed, "the model has no 'kind' entry") }
        guard StoredModels.kinds.contains(kind) else {
            throw refuse(.unsupported, "unknown model kind \"\(kind)\" (this build reads: \(StoredModels.kinds.joined(separator: ", ")))")
        }
        func count(_ key: String) throws -> Int {
            guard let text = m[key] else { throw refuse(.malformed, "the model has no '\(key)' entry") }
            guard let n = Int(text), n > 0 else { throw refuse(.malformed, "metadata '\(key)' is \"\(text)\", expected a positive integer") }
            return n
        }
        let xColumns = try count("x_columns"), yColumns = try count("y_columns"), dimension = try count("dimension")
        var report: FitReport? = nil
        if let text = m["report"] {
            do {
                report = try JSONDecoder().decode(FitReport.self, from: Data(text.utf8))
            } catch {
                throw refuse(.malformed, "metadata 'report' is not a fit report: \(error)")
            }
        }

        // Each tensor keeps the precision it was stored in (F16 arrives widened to Float). Every value must be
        // finite and within the magnitude inputs may have: a larger one (a tampered mean, a corrupted weight)
        // would overflow once squared and summed, and the model would give NaN for every row.
        func requireUsable<S: MatrixScalar>(_ name: String, _ m: Matrix<S>) throws {
            if let bad = m.firstNonFinite() {
                throw refuse("tensor '\(name)' contains \(bad.value) at row \(bad.row), column \(bad.column)")
            }
            if let k = m.elements.firstIndex(where: { abs(Double($0)) > Double(maximumInputMagnitude) }) {
                throw refuse("tensor '\(name)' holds \(m.elements[k]) at row \(k / max(m.columns, 1)), column \(k % max(m.columns, 1)), beyond the magnitude a model's values may have (\(maximumInputMagnitude))")
            }
        }
        for name in file.tensors.keys.sorted() { try requireUsable(name, file.tensors[name]!) }
        for name in file.doubleTensors.keys.sorted() { try requireUsable(name, file.doubleTensors[name]!) }
        var own = m
        for key in reservedKeys { own[key] = nil }
        let model: any AlignmentModel
        do {
            model = try StoredModels.rebuild(StoredModel(kind: kind, tensors: file.tensors, doubleTensors: file.doubleTensors,
                                                         metadata: own, report: report))
        } catch let error as AlignmentError {
            throw refuse("cannot rebuild the \(kind) model: \(error)")
        }
        guard model.dimension == dimension else {
            throw refuse("metadata says the shared dimension is \(dimension), the tensors give \(model.dimension)")
        }
        guard model.inputColumns == (xColumns, yColumns) else {
            throw refuse("metadata says the model takes \(xColumns) (X) and \(yColumns) (Y) columns, the tensors give \(model.inputColumns.x) and \(model.inputColumns.y)")
        }
        // The maps must accept the declared widths and give `dimension` columns.
        for (side, columns) in [(Modality.x, xColumns), (.y, yColumns)] {
            // A row of ones, not zeros: a zero row has no cosine direction, which a cosine kNN search refuses.
            let probe = Matrix<Float>(rows: 1, columns: columns, repeating: 1)
            let out: Matrix<Float>
            do {
                out = try model.embed(probe, from: side)
            } catch {
                throw refuse("the \(side.rawValue.uppercased()) map does not accept the declared \(columns) input columns: \(error)")
            }
            // Only the shape is checked: the probe may legitimately be far from everything a non-linear map
            // was fitted on (e.g. a Nyström extension), so its values prove nothing.
            guard out.rows == 1, out.columns == dimension else {
                throw refuse("the \(side.rawValue.uppercased()) map gives \(out.rows)×\(out.columns) output for one row, expected 1×\(dimension)")
            }
        }
        return LoadedModel(model: model, kind: kind, version: version, xColumns: xColumns, yColumns: yColumns,
                           report: report)
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

    /// The report as JSON with sorted keys (the same report always gives the same text).
    static func reportText(_ report: FitReport) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(report), let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}
