import Foundation
import LinearAlgebra
import SUE

// Which methods `sue` can run, by name: the SUE module's registry (`AlignmentMethods`), listed in a fixed
// order (the built-in ones first, in their own order, then any registered ones by name).

/// The methods `sue fit --method`, `sue experiment --methods` and `sue demo` can use, in display order.
var methodRegistry: [AlignmentMethod] {
    let builtIn = AlignmentMethods.builtIn
    let builtInNames = Set(builtIn.map(\.name))
    let all = AlignmentMethods.all
    return builtIn.map { all[$0.name] ?? $0 } + all.keys.filter { !builtInNames.contains($0) }.sorted().map { all[$0]! }
}

/// Looks a method up by name, with a clear error for unknown names.
func lookUpMethod(named name: String) throws -> AlignmentMethod {
    guard let m = AlignmentMethods.all[name] else { throw MethodUnavailable(name: name) }
    return m
}

/// A method name that is not (or not yet) in this build.
struct MethodUnavailable: Error, CustomStringConvertible {
    let name: String
    var description: String {
        "method '\(name)' is not available in this build (available: \(methodRegistry.map(\.name).joined(separator: ", ")))"
    }
}
