import Foundation
import LinearAlgebra
import SUE
import SUEFiles

/// The search-index file: an `InvertedFileIndex` of one modality's rows in the shared space of one model, built
/// once by `sue index` and searched by `sue search --index` as often as needed.
///
/// Layout (one `SafetensorsFile`, which Python's `safetensors` opens):
/// - tensors: `rows` (F32, n × d: the embedded rows normalised to unit length, in file order), `centroids` (F32,
///   cells × d, unit rows) and `cells` (F64, n × 1: each row's cell; F64 holds any row count's cell exactly);
/// - `__metadata__`, all strings: `format` = `"sue-index"`, `version` (the writing package's `SUEVersion.current`),
///   `modality` (`x` or `y`: which side of the model the rows came from), `row_offset` (the file row of index
///   row 0, for an index of a shard) and `model` (the fingerprint of the model file that embedded the rows).
///
/// Loading trusts nothing: the safetensors layer checks the byte layout, then the metadata, the cell numbers
/// (whole numbers in range) and the unit length of every row are checked (`InvertedFileIndex.init(unitRows:…)`).
/// Searching with queries embedded by another model would give well-formed nonsense, so the fingerprint lets the
/// caller refuse that.
public enum IndexFile {
    /// The value of the `format` metadata entry.
    public static let format = "sue-index"

    /// An index read back from a file, with what was recorded about it.
    public struct LoadedIndex: Sendable {
        /// The index, ready to search.
        public var index: InvertedFileIndex
        /// The side of the model its rows came from.
        public var modality: Modality
        /// The input-file row of index row 0 (non-zero for an index of a shard).
        public var rowOffset: Int
        /// `modelFingerprint(of:)` of the model file that embedded the rows.
        public var modelFingerprint: String
    }

    /// Writes `index` to `url` atomically (temporary file in the same folder, then rename).
    public static func save(_ index: InvertedFileIndex, modality: Modality, rowOffset: Int, modelFingerprint: String,
                            to url: URL) throws {
        let cells = Matrix<Double>(rows: index.count, columns: 1, elements: index.cellOfRow.map(Double.init))
        let file = SafetensorsFile(
            tensors: ["rows": index.unitRows, "centroids": index.cellCentroids], doubleTensors: ["cells": cells],
            metadata: ["format": format, "version": SUEVersion.current, "modality": modality.rawValue,
                       "row_offset": String(rowOffset), "model": modelFingerprint])
        try file.write(to: url)
    }

    /// Reads and checks the index in the file at `url`.
    public static func load(_ url: URL) throws -> LoadedIndex {
        let source = url.path
        func refuse(_ kind: FileError.Kind, _ problem: String) -> FileError { FileError(kind, file: source, problem) }
        let file = try SafetensorsFile.read(url)
        let m = file.metadata
        guard m["format"] == format else {
            throw refuse(.unsupported, "not a sue index: metadata format is \(m["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\" (write one with sue index)")
        }
        guard let version = m["version"], let written = ModelFile.parseVersion(version) else {
            throw refuse(.malformed, "the index's 'version' entry is missing or not of the form MAJOR.MINOR.PATCH")
        }
        guard ModelFile.formatCompatible(written: written, reader: ModelFile.parseVersion(SUEVersion.current)!) else {
            throw refuse(.unsupported, "the index was written by sue \(version), a format this sue \(SUEVersion.current) does not read; rebuild it with sue index")
        }
        guard let side = m["modality"], let modality = Modality(rawValue: side) else {
            throw refuse(.malformed, "metadata 'modality' is \(m["modality"].map { "\"\($0)\"" } ?? "missing"), expected \"x\" or \"y\"")
        }
        guard let offsetText = m["row_offset"], let rowOffset = Int(offsetText), rowOffset >= 0 else {
            throw refuse(.malformed, "metadata 'row_offset' is \(m["row_offset"].map { "\"\($0)\"" } ?? "missing"), expected a whole number ≥ 0")
        }
        guard let fingerprint = m["model"], !fingerprint.isEmpty else {
            throw refuse(.malformed, "the index has no 'model' entry (the fingerprint of the model that embedded its rows)")
        }
        let rows: Matrix<Float> = try file.matrix("rows", file: source)
        let centroids: Matrix<Float> = try file.matrix("centroids", columns: rows.columns, file: source)
        let cellValues: Matrix<Double> = try file.matrix("cells", rows: rows.rows, columns: 1, file: source)
        var cellOfRow = [Int](repeating: 0, count: rows.rows)
        for (i, value) in cellValues.elements.enumerated() {
            guard value.isFinite, value == value.rounded(), value >= 0, value < Double(centroids.rows) else {
                throw refuse(.invalidValue, "tensor 'cells' row \(i) is \(value), expected a whole number in 0..<\(centroids.rows) (the cells)")
            }
            cellOfRow[i] = Int(value)
        }
        do {
            let index = try InvertedFileIndex(unitRows: rows, centroids: centroids, cellOfRow: cellOfRow)
            return LoadedIndex(index: index, modality: modality, rowOffset: rowOffset, modelFingerprint: fingerprint)
        } catch let error as AlignmentError {
            throw refuse(.invalidValue, "\(error)")
        }
    }

    /// A fingerprint of a model file's bytes (64-bit FNV-1a, in hex): equal files give equal fingerprints, and a
    /// different model almost surely a different one. Not a cryptographic hash: it catches mix-ups, not forgery.
    public static func modelFingerprint(of url: URL) throws -> String {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw FileError(.io, url: url, "cannot be read: \(error.localizedDescription)")
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { bytes in
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return "fnv1a64:" + String(hash, radix: 16)
    }
}
