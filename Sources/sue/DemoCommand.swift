import Foundation
import LinearAlgebra
import SUE
import SUEDemoData
import SUEFiles

/// `sue demo`: the first command of the README; needs no files and no network.
let demoCommand = Command(
    name: "demo",
    summary: "fit SUE and the baselines on the embedded demo data and show what they achieve",
    usage: "sue demo [--pairs 20,50] [--svg sue-demo.svg]",
    options: [
        OptionSpec("pairs", .text(placeholder: "N,N,…"), default: "20,50", "numbers of known pairs given to the methods"),
        OptionSpec("test", .integer(minimum: 10), default: "500", "held-out pairs used to measure retrieval"),
        OptionSpec("svg", .path(placeholder: "FILE.svg"), default: "sue-demo.svg", "where to draw the shared space"),
        OptionSpec("json", .flag, "print the results as JSON lines instead of a table"),
    ],
    details: """
        The demo data ships inside the package: 2 500 short English texts (fortune cookies) embedded by two
        different sentence encoders, MiniLM-L6 (X) and e5-small (Y). Each method sees --pairs known pairs
        and all the unpaired rows, then must find, for each held-out text embedded by one encoder, the same
        text embedded by the other.
        """,
    run: runDemo)

func runDemo(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let data = try context.progress.step("loading the demo data") { try DemoData.load() }
    let test = o.integer("test")!
    let pairs = o.list("pairs").compactMap { Int($0) }
    guard !pairs.isEmpty, pairs.count == o.list("pairs").count, pairs.allSatisfy({ $0 >= 2 }) else {
        throw UsageError(message: "sue demo: --pairs expects comma-separated integers ≥ 2, found '\(o.string("pairs")!)'",
                         hint: "see 'sue demo --help'")
    }
    if pairs.max()! + test >= data.x.rows {
        throw UsageError(message: "sue demo: --pairs \(pairs.max()!) + --test \(test) leaves no unpaired rows of the \(data.x.rows) demo rows",
                         hint: "use smaller numbers")
    }
    let svg = o.url("svg")!
    try checkOutputFolder(svg)
    return try runDemoMethods(x: data.x, y: data.y, texts: data.texts, categories: data.categories,
                              pairs: pairs, test: test, svg: svg, json: o.flag("json"), context)
}
