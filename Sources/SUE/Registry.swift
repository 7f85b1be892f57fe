import Foundation
import LinearAlgebra

/// The registry of alignment methods by name: what `sue experiment --methods` and the automatic choice look
/// up. Methods defined in this module register themselves in `builtIn`; other layers (the SUE pipeline,
/// contrastive, MMD, ...) add theirs with `register(_:)` before running experiments, without editing this file.
public enum AlignmentMethods {
    /// Methods of the alignment layer, in the order they are listed.
    public static var builtIn: [AlignmentMethod] { [ridge, procrustes, cca, componentsCCA, ccaProfiles, selfLearning, similarityProfiles, auto] }

    nonisolated(unsafe) private static var registered: [String: AlignmentMethod] = [:]
    private static let lock = NSLock()

    /// Adds (or replaces) a method under its name.
    public static func register(_ method: AlignmentMethod) {
        lock.lock()
        defer { lock.unlock() }
        registered[method.name] = method
    }

    /// Every method by name: the built-in ones plus the registered ones (a registered method replaces a
    /// built-in one of the same name).
    public static var all: [String: AlignmentMethod] {
        lock.lock()
        defer { lock.unlock() }
        var out = [String: AlignmentMethod]()
        for m in builtIn { out[m.name] = m }
        for (k, m) in registered { out[k] = m }
        return out
    }

    /// The method called `name`, or `AlignmentError.unknownMethod` listing the available names.
    public static func named(_ name: String) throws -> AlignmentMethod {
        let table = all
        guard let m = table[name] else { throw AlignmentError.unknownMethod(name, available: Array(table.keys)) }
        return m
    }
}
