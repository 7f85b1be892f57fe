import Foundation
import SUE

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// `--key value` options and bare `--flag`s.
struct BenchArguments {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    init(_ argv: [String]) throws {
        var i = 0
        while i < argv.count {
            let a = argv[i]
            guard a.hasPrefix("--") else { throw BenchError("unexpected argument '\(a)'") }
            let key = String(a.dropFirst(2))
            if i + 1 < argv.count, !argv[i + 1].hasPrefix("--") {
                values[key] = argv[i + 1]
                i += 2
            } else {
                flags.insert(key)
                i += 1
            }
        }
    }

    var json: Bool { flags.contains("json") }
    func string(_ k: String) -> String? { values[k] }
    func int(_ k: String) -> Int? { values[k].flatMap { Int($0) } }
    func double(_ k: String) -> Double? { values[k].flatMap { Double($0) } }
    func has(_ k: String) -> Bool { flags.contains(k) || values[k] != nil }
    func ints(_ k: String) -> [Int]? { values[k].map { $0.split(separator: ",").compactMap { Int($0) } } }
}

/// Wall-clock seconds of `repeats` runs of `body` after `warmup` untimed runs.
func measure(repeats: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> [Double] {
    for _ in 0..<warmup { try body() }
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    }
    return times
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : (s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2]))
}

/// Prints one JSON object per line (keys sorted for stable output) or a readable `key=value` line.
func emit(_ fields: [String: Any], json: Bool) {
    if json {
        let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        print(fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: "  "))
    }
    fflush(nil)  // every output stream: stdout is a global C variable, which Swift 6 will not touch directly
}

/// Build flavour, reported with every figure so portable and native numbers are never mixed up.
var buildFlavour: String {
    #if SUE_FMA
    return "native"
    #else
    return "portable"
    #endif
}

/// The times (`monotonicSeconds()`) at which a fit reported progress, recorded from its progress callback (which may run on
/// any thread, hence the lock).
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [Double] = []

    /// Notes the time of `event`.
    func record(_ event: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        recorded.append(monotonicSeconds())
    }

    /// Every recorded time, in order.
    var times: [Double] {
        lock.lock(); defer { lock.unlock() }
        return recorded
    }
}

/// Seconds on the monotonic clock.
@Sendable func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
