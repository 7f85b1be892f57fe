import Foundation
import LinearAlgebra
import SUE
import SUEFiles

/// What every command receives: its checked options, the progress reporter, the seed and the thread count.
struct RunContext {
    let options: ParsedOptions
    let progress: ProgressReporter
    let seed: UInt64
    let threads: Int

    /// The library's fit context for this command: its seed, threads and progress, and `--core-rows` for the
    /// commands that have it (others keep the library's default core).
    func fitContext(seed: UInt64? = nil) -> FitContext {
        let progress = self.progress
        var context = FitContext(seed: seed ?? self.seed, threads: threads) { progress.report($0.stage, $0.fraction, $0.detail) }
        if options.isSet("core-rows") { context.coreRows = options.integer("core-rows") }  // "all": nil, every row
        return context
    }
}

/// Exit statuses (documented in `sue --help`).
enum ExitStatus {
    static let success: Int32 = 0
    /// Bad input (missing file, NaN, out-of-range pair, …) or a failure while running.
    static let failure: Int32 = 1
    /// The command line itself is wrong (unknown option, missing value, bad number); `EX_USAGE` of sysexits.h.
    static let usage: Int32 = 64
}

enum CommandLineTool {
    static let version = SUEVersion.current

    static let commands: [Command] = [
        fitCommand, embedCommand, evaluateCommand, indexCommand, searchCommand, classifyCommand, demoCommand, experimentCommand, inspectCommand,
    ]

    static var overview: String {
        let width = commands.map(\.name.count).max()! + 2
        var lines = [
            "sue \(version) — Spectral Universal Embedding: one shared space for two embedding models,",
            "learned from each model's own data plus a few known pairs.",
            "",
            "usage: sue <command> [options]      sue <command> --help for its options",
            "",
            "commands:",
        ]
        for c in commands {
            lines.append("  \(c.name)\(String(repeating: " ", count: width - c.name.count))\(c.summary)")
        }
        lines += [
            "",
            "options of every command:",
        ]
        for o in commonOptions {
            let label = "--\(o.name)" + ({ if case .flag = o.kind { return "" } else { return " " + o.kind.placeholder } }())
            lines.append("  \(label.padding(toLength: 14, withPad: " ", startingAt: 0))\(o.help)" + (o.defaultValue.map { " (default: \($0))" } ?? ""))
        }
        lines += [
            "",
            "Start with `sue demo` (no files needed). Files: embeddings are .npy (float32/float64, rows = items),",
            "pairs are a CSV with the header x,y (0-based row indices), models are .safetensors.",
            "Results go to stdout, progress to stderr. Exit status: 0 success, 1 bad input or failure,",
            "64 wrong command line.",
        ]
        return lines.joined(separator: "\n")
    }

    /// Runs one command line and returns the exit status; all messages are printed here.
    static func run(_ arguments: [String]) -> Int32 {
        guard let name = arguments.first else {
            print(overview)
            return ExitStatus.success
        }
        if ["--help", "-h", "help"].contains(name) {
            if name == "help", arguments.count > 1, let c = commands.first(where: { $0.name == arguments[1] }) {
                print(c.helpText)
            } else {
                print(overview)
            }
            return ExitStatus.success
        }
        if name == "--version" {
            print("sue \(version)")
            return ExitStatus.success
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            let closest = commands.map { ($0.name, editDistance(name, $0.name)) }.min { $0.1 < $1.1 }
            let hint = closest.flatMap { $0.1 <= 2 ? " (did you mean '\($0.0)'?)" : nil } ?? ""
            return usageFailure(UsageError(message: "sue: unknown command '\(name)'\(hint)", hint: "see 'sue --help'"))
        }
        var progress: ProgressReporter?
        defer { progress?.cancel() }
        do {
            let options = try ParsedOptions.parse(Array(arguments.dropFirst()), for: command)
            if options.flag("help") {
                print(command.helpText)
                return ExitStatus.success
            }
            let threads = options.integer("threads")!
            progress = ProgressReporter.standardError(quiet: options.flag("quiet"))
            let context = RunContext(options: options, progress: progress!, seed: UInt64(options.integer("seed")!),
                                     threads: threads)
            return try Parallel.withThreads(threads) { try command.run(context) }
        } catch let error as UsageError {
            progress?.cancel()
            return usageFailure(error)
        } catch let error as FileError {
            progress?.cancel()
            printError("sue \(command.name): \(error.description)")
            return ExitStatus.failure
        } catch {
            progress?.cancel()
            printError("sue \(command.name): \(error)")
            return ExitStatus.failure
        }
    }

    private static func usageFailure(_ error: UsageError) -> Int32 {
        printError(error.message + (error.hint.map { " — \($0)" } ?? ""))
        return ExitStatus.usage
    }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
