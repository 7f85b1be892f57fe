import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress of long steps on standard error, results on standard output.
///
/// A step is announced only once it has run for `minimumDuration` (about a second): short steps stay
/// silent, so a fast run prints nothing but its results. On a terminal the status line is redrawn in place
/// (`\r` + erase-line) at most ten times a second; when standard error is a file or a pipe (a log, CI),
/// plain lines are written instead, at most one per `lineInterval` seconds, so logs stay readable.
/// `--quiet` selects the silent style. All methods are thread-safe.
///
/// Library code reports through this class (`begin`, `update`, `end`, or `step { }`); it never prints.
public final class ProgressReporter: @unchecked Sendable {
    /// How progress is shown: `terminal` redraws one status line in place, `lines` writes plain lines at most
    /// once per `lineInterval`, `silent` writes nothing.
    public enum Style: Sendable { case terminal, lines, silent }

    /// How this reporter shows progress.
    public let style: Style
    private let output: (String) -> Void
    private let clock: () -> Double
    private let minimumDuration: Double
    private let lineInterval: Double
    private let lock = NSLock()

    private var stepName: String?
    private var stepStart = 0.0
    private var lastShown = -Double.infinity
    private var shownAnything = false

    /// A reporter of the given style. A step is shown only once it has run `minimumDuration` seconds, and in
    /// the `lines` style at most once per `lineInterval` seconds.
    ///
    /// - Parameters:
    ///   - output: where text goes (standard error by default).
    ///   - clock: seconds from any fixed origin (injectable for tests).
    public init(style: Style, minimumDuration: Double = 1.0, lineInterval: Double = 1.0,
                output: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }) {
        self.style = style
        self.output = output
        self.clock = clock
        self.minimumDuration = minimumDuration
        self.lineInterval = lineInterval
    }

    /// Terminal style if standard error is a terminal, plain lines otherwise, nothing when `quiet`.
    public static func standardError(quiet: Bool) -> ProgressReporter {
        ProgressReporter(style: quiet ? .silent : (isatty(2) != 0 ? .terminal : .lines))
    }

    /// A reporter that discards everything (the default for library calls).
    public static let silent = ProgressReporter(style: .silent)

    /// Starts a step (ending the previous one if it is still open).
    public func begin(_ step: String) {
        lock.lock(); defer { lock.unlock() }
        finishLocked(summary: nil)
        stepName = step
        stepStart = clock()
        lastShown = -Double.infinity
        shownAnything = false
    }

    /// Reports progress within the current step, e.g. `update("epoch 3/50, loss 0.1234", fraction: 0.06)`.
    public func update(_ detail: String, fraction: Double? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard style != .silent, let name = stepName else { return }
        let now = clock()
        let elapsed = now - stepStart
        guard elapsed >= minimumDuration else { return }
        let interval = style == .terminal ? 0.1 : lineInterval
        guard now - lastShown >= interval else { return }
        lastShown = now
        shownAnything = true
        var text = "\(name): \(detail)"
        if let fraction { text += String(format: " [%3.0f%%]", min(max(fraction, 0), 1) * 100) }
        text += String(format: " %.1f s", elapsed)
        output(style == .terminal ? "\r\u{1B}[K" + text : text + "\n")
    }

    /// Callback style for library code that names its stage on every call, e.g.
    /// `report("spectral embedding X", 0.4, "eigen-solve")`: a new stage name ends the previous step and
    /// begins a new one, the same name updates it. Its signature fits a `(String, Double?, String) -> Void`
    /// progress closure directly (`progress: reporter.report`). Call `end()` after the last stage.
    public func report(_ stage: String, _ fraction: Double?, _ detail: String) {
        lock.lock()
        let isNewStage = stepName != stage
        lock.unlock()
        if isNewStage { begin(stage) }
        update(detail, fraction: fraction)
    }

    /// Ends the current step; prints its duration if it was long enough to be worth mentioning.
    public func end(_ summary: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        finishLocked(summary: summary)
    }

    /// Abandons the current step without a summary (on failure), erasing a status line left on a terminal
    /// so that the error message that follows starts on a clean line.
    public func cancel() {
        lock.lock(); defer { lock.unlock() }
        if stepName != nil && shownAnything && style == .terminal { output("\r\u{1B}[K") }
        stepName = nil
    }

    /// Runs `body` as a step named `name`.
    public func step<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        begin(name)
        defer { end() }
        return try body()
    }

    private func finishLocked(summary: String?) {
        guard let name = stepName else { return }
        stepName = nil
        guard style != .silent else { return }
        let elapsed = clock() - stepStart
        guard elapsed >= minimumDuration || shownAnything else { return }
        let text = "\(name): \(summary ?? "done")" + String(format: " in %.1f s", elapsed)
        output(style == .terminal ? "\r\u{1B}[K" + text + "\n" : text + "\n")
    }
}
