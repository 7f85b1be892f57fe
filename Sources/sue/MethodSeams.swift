import Foundation
import LinearAlgebra
import SUE
import SUEFiles

// THE SEAMS between the command line and the SUE method.
//
// Every command parses its options, loads and checks its inputs (see the *Command.swift files and
// `InputValidation`), and then calls exactly one function below with checked, typed arguments. To connect
// the method, replace the bodies here — nothing else in the command layer needs to change:
//   fit        → SUE.fit(...), then write the model with `SafetensorsFile(...).write(to: settings.output)`
//                (configuration, version and training report go in `metadata`)
//   embed      → load the model from `model`, check `input.columns`, map, `NPYFile.write(_, to: output)`
//   evaluate   → map both sides, Recall@1/5/10 both ways, print a table or one JSON object
//   search     → map queries and index, top-k by cosine similarity, print results
//   demo       → fit SUE and the baselines, print the table, write the SVG, print where it is
//   experiment → the protocol of issue 5
// Progress: `context.progress.begin/update/end` (or `.step`) for anything that may exceed a second; the
// same `ProgressReporter` (SUEFiles) can be passed into library code.
// Outputs: every file through `AtomicFile`, `NPYFile.write`, `SafetensorsFile.write` or `SVGScatterPlot.write`.
// Model metadata: suggested keys "format" ("sue-model"), "version" (CommandLineTool.version), "config" and
// "report" as JSON text built with `JSONValue(...).text` and read back with `JSONValue.parse`.
// Results on stdout: `TextTable` for people, `JSONValue.object([...]).text` (one line each) for --json.
// The SVG: `PlanarProjection.principalPlane(xShared, yShared)` gives 2-D points for each stage's panel.

func fitAndWriteModel(_ inputs: InputValidation.FitInputs<Float>, _ settings: FitSettings,
                      _ context: RunContext) throws -> Int32 {
    throw NotImplementedYet(command: "fit", checked:
        "inputs are valid: X \(inputs.x.rows)×\(inputs.x.columns), Y \(inputs.y.rows)×\(inputs.y.columns), \(inputs.pairs.count) pairs")
}

func embedWithModel(_ model: SafetensorsFile, modelFile: String, modality: String, input: Matrix<Float>,
                    inputFile: String, output: URL, _ context: RunContext) throws -> Int32 {
    throw NotImplementedYet(command: "embed", checked:
        "inputs are valid: model with \(model.names.count) tensors, \(inputFile) \(input.rows)×\(input.columns)")
}

func evaluateModel(_ model: SafetensorsFile, modelFile: String, x: Matrix<Float>, y: Matrix<Float>, json: Bool,
                   _ context: RunContext) throws -> Int32 {
    throw NotImplementedYet(command: "evaluate", checked:
        "inputs are valid: \(x.rows) test pairs, X \(x.columns) columns, Y \(y.columns) columns")
}

func searchWithModel(_ model: SafetensorsFile, modelFile: String, queryModality: String, queries: Matrix<Float>,
                     index: Matrix<Float>, k: Int, json: Bool, _ context: RunContext) throws -> Int32 {
    throw NotImplementedYet(command: "search", checked:
        "inputs are valid: \(queries.rows) queries of modality \(queryModality), \(index.rows) index rows, k = \(k)")
}

func runDemoMethods(x: Matrix<Float>, y: Matrix<Float>, texts: [String], categories: [String], pairs: Int, test: Int,
                    svg: URL, json: Bool, _ context: RunContext) throws -> Int32 {
    throw NotImplementedYet(command: "demo", checked:
        "demo data loaded: \(x.rows) texts, X \(x.columns)-d, Y \(y.columns)-d, \(Set(categories).count) categories")
}

func runExperimentMethods(x: Matrix<Float>, y: Matrix<Float>, _ settings: ExperimentSettings,
                          _ context: RunContext) throws -> Int32 {
    throw NotImplementedYet(command: "experiment", checked:
        "inputs are valid: \(x.rows) paired rows; methods \(settings.methods.joined(separator: ","))")
}
