import Foundation
import LinearAlgebra
import SUE
import SUEFiles
import SUEModelFiles

/// `sue classify`: label once, classify everywhere — in a fitted shared space (cross-domain, zero-shot), or with
/// the other modality's unpaired labelled rows as auxiliary training data.
let classifyCommand = Command(
    name: "classify",
    summary: "classify rows of one modality from labelled rows (or label prototypes) of either modality",
    usage: "sue classify [--model M.safetensors] [--train-x A.npy --labels-x A.txt] [--train-y B.npy --labels-y B.txt] (--test-x C.npy | --test-y C.npy) [--test-labels C.txt] [--prototypes-y P.npy --prototype-names N.txt] [--classifier centroid|logistic|knn] [--out predictions.csv] [--json] [--plot confusion.svg]",
    options: [
        OptionSpec("model", .path(placeholder: "M.safetensors"), "a shared space written by sue fit; without it, the test side's own space (and the other side's labelled rows train alongside, unpaired)"),
        OptionSpec("train-x", .path(placeholder: "A.npy"), "labelled rows of modality X"),
        OptionSpec("labels-x", .path(placeholder: "A.txt"), "the labels of --train-x, one per line"),
        OptionSpec("train-y", .path(placeholder: "B.npy"), "labelled rows of modality Y"),
        OptionSpec("labels-y", .path(placeholder: "B.txt"), "the labels of --train-y, one per line"),
        OptionSpec("test-x", .path(placeholder: "C.npy"), "rows of modality X to classify"),
        OptionSpec("test-y", .path(placeholder: "C.npy"), "rows of modality Y to classify"),
        OptionSpec("test-labels", .path(placeholder: "C.txt"), "the true labels of the test rows, one per line: accuracy, macro-F1 and the confusions are reported"),
        OptionSpec("unlabelled-x", .path(placeholder: "U.npy"), "with --model and test rows of X: rows of X without labels that hold the labelled Y items' counterparts (e.g. those the model was fitted on); the classifier learns from the counterparts in X's own space. In unpaired auxiliary training: rows of X without labels that place the Y rows carried into X's space (default: the test rows)"),
        OptionSpec("unlabelled-y", .path(placeholder: "U.npy"), "the same for test rows of Y"),
        OptionSpec("prototypes-x", .path(placeholder: "P.npy"), "zero-shot: each class's description embedded as a row of X"),
        OptionSpec("prototypes-y", .path(placeholder: "P.npy"), "zero-shot: each class's description embedded as a row of Y"),
        OptionSpec("prototype-names", .path(placeholder: "N.txt"), "the class of each prototype row, one per line (repeat a name to average several descriptions)"),
        OptionSpec("classifier", .choice(["centroid", "logistic", "knn"]), default: "logistic",
                   "in a shared space or one side's own space: logistic regression, nearest class mean, or k nearest neighbours (by cosine)"),
        OptionSpec("k", short: "k", .integer(minimum: 1), default: "10", "neighbours of --classifier knn"),
        OptionSpec("width", .integer(minimum: 1), default: String(UnpairedAuxiliaryTraining().width),
                   "unpaired auxiliary training: width of the common space both sides' input maps lead into"),
        OptionSpec("auxiliary-weight", .number(minimum: 0), default: "1",
                   "unpaired auxiliary training: weight of the other side's rows in the joint network's loss (0: no joint network)"),
        OptionSpec("transported-weight", .number(minimum: 0), default: String(UnpairedAuxiliaryTraining().transportedRowWeight),
                   "unpaired auxiliary training: what one of the other side's rows, carried into the test side's space, counts in test-side rows (0: not carried)"),
        OptionSpec("out", .path(placeholder: "predictions.csv"), "where to write the predictions: CSV with the header row,label,score (without --out and --test-labels they go to standard output)"),
        OptionSpec("plot", .path(placeholder: "confusion.svg"), "draw the confusion matrix as an SVG heat map (needs --test-labels)"),
        OptionSpec("json", .flag, "print one JSON object: accuracy and macro_f1 (in %), classes (per-class figures), rows, confusion"),
    ],
    details: """
        modes:
          --model, labelled rows of one side, test rows of the other: cross-domain classification in the
            shared space (labelled rows of both sides are pooled).
          --model, labelled rows of one side, test rows and --unlabelled-… rows of the other: cross-domain
            classification in the test side's own space: each labelled row is replaced by its nearest
            unlabelled row in the shared space (its counterpart, where the unlabelled rows hold it), so the
            classifier learns at the full width of that space. It does so only if at least half the labelled
            rows are mutual nearest neighbours of theirs (counterparts) and, cross-validated on the
            counterparts, that space classifies clearly better than the shared space; otherwise it learns in
            the shared space (the output says which, and why).
          --model, prototypes of one side, test rows of the other: zero-shot, the nearest prototype.
          no --model, labelled rows of both sides, test rows of one: unpaired auxiliary training, no pairs.
            Two ways to use the other side's rows are tried: a joint network (each side its own input map,
            one shared classifier head), and the other side's rows carried into the test side's space by a
            fused Gromov-Wasserstein plan (placed among the test side's unlabelled rows: --unlabelled-…, or
            else the test rows) and added to a logistic regression. One is kept only if it cross-validates
            better on the test side's labelled rows than a logistic regression trained on that side alone
            (the joint network by more than a standard error); the output says which was kept.
          no --model, labelled rows (or prototypes) of the test side only: a classifier in that side's space.
        example:
          sue classify --model m.safetensors --train-x a.npy --labels-x a.txt --test-y c.npy --test-labels c.txt
        The score is the predicted class's probability (logistic, auxiliary training), cosine (centroid,
        prototypes) or share of the neighbours' vote (knn).
        """,
    run: runClassify)

/// One side's labelled rows as given on the command line.
private struct LabelledInput {
    let modality: Modality
    let rowsFile: String
    let data: LabelledRows
}

func runClassify(_ context: RunContext) throws -> Int32 {
    let o = context.options
    let hint = "see 'sue classify --help'"
    func usage(_ message: String) -> UsageError { UsageError(message: "sue classify: " + message, hint: hint) }
    let testModality: Modality
    switch (o.isSet("test-x"), o.isSet("test-y")) {
    case (true, false): testModality = .x
    case (false, true): testModality = .y
    case (true, true): throw usage("give either --test-x or --test-y, not both")
    case (false, false): throw usage("missing the rows to classify: --test-x C.npy or --test-y C.npy")
    }
    for side in ["x", "y"] where o.isSet("train-\(side)") != o.isSet("labels-\(side)") {
        throw usage("--train-\(side) and --labels-\(side) go together (the rows and their labels)")
    }
    if o.isSet("prototypes-x") && o.isSet("prototypes-y") { throw usage("give prototypes of one side only") }
    let prototypeSide: Modality? = o.isSet("prototypes-x") ? .x : o.isSet("prototypes-y") ? .y : nil
    if (prototypeSide != nil) != o.isSet("prototype-names") {
        throw usage("--prototypes-x/--prototypes-y and --prototype-names go together (the rows and their class names)")
    }
    let trainSides = Modality.allCases.filter { o.isSet("train-\($0.rawValue)") }
    if prototypeSide != nil && !trainSides.isEmpty { throw usage("give labelled rows (--train-…) or prototypes, not both") }
    if prototypeSide == nil && trainSides.isEmpty {
        throw usage("nothing to learn from: give labelled rows (--train-x/--labels-x, --train-y/--labels-y) or prototypes")
    }
    if o.isSet("plot") && !o.isSet("test-labels") { throw usage("--plot draws the confusion matrix, which needs --test-labels") }
    // Options that the chosen mode would ignore are refused, as sue fit refuses pipeline options for other methods.
    let auxiliaryMode = !o.isSet("model") && trainSides.count == 2
    let classifierOptions = ["classifier", "k"].filter(o.wasGiven), auxiliaryOptions = ["width", "auxiliary-weight", "transported-weight"].filter(o.wasGiven)
    if let name = classifierOptions.first, prototypeSide != nil || auxiliaryMode {
        throw usage("--\(name) chooses the classifier of labelled rows; " + (prototypeSide != nil ? "prototypes are matched by cosine" : "unpaired auxiliary training (no --model, labelled rows of both sides) has its own"))
    }
    if let name = auxiliaryOptions.first, !auxiliaryMode {
        throw usage("--\(name) applies to unpaired auxiliary training only (no --model, labelled rows of both sides)")
    }
    if o.wasGiven("k") && o.string("classifier") != "knn" { throw usage("-k applies to --classifier knn only") }
    let unlabelledSide: Modality? = o.isSet("unlabelled-x") ? .x : o.isSet("unlabelled-y") ? .y : nil
    if let side = unlabelledSide {
        let name = "--unlabelled-\(side.rawValue)"
        if o.isSet("unlabelled-x") && o.isSet("unlabelled-y") { throw usage("give unlabelled rows of one side only (the test side)") }
        guard o.isSet("model") || auxiliaryMode else {
            throw usage("\(name) translates labelled rows through a shared space (give --model) or places the other side's rows in unpaired auxiliary training (give labelled rows of both sides)")
        }
        guard side == testModality else {
            throw usage("\(name) must be rows of the test side (\(testModality.rawValue.uppercased())): the classifier learns in that side's own space")
        }
        guard o.isSet("model") || !o.isSet("transported-weight") || o.number("transported-weight")! > 0 else {
            throw usage("\(name) places the carried rows of unpaired auxiliary training, which --transported-weight 0 turns off")
        }
        guard prototypeSide == nil, trainSides.contains(where: { $0 != testModality }) else {
            throw usage("\(name) needs labelled rows of the other side (--train-\(side == .x ? "y" : "x")) to translate")
        }
    }
    let outputs = ["out", "plot"].compactMap { o.url($0) }
    let inputs = ["model", "train-x", "labels-x", "train-y", "labels-y", "test-x", "test-y", "test-labels", "unlabelled-x", "unlabelled-y",
                  "prototypes-x", "prototypes-y", "prototype-names"].compactMap { o.url($0) }
    for output in outputs { try checkOutputFolder(output, inputs: inputs) }

    let modelFile = o.string("model")
    let loaded = try modelFile.map { try ModelFile.load(try SafetensorsFile.read(URL(fileURLWithPath: $0)), source: $0) }
    let testFile = o.string("test-\(testModality.rawValue)")!
    let test = try InputValidation.loadEmbeddings(URL(fileURLWithPath: testFile), as: Float.self)
    /// The model's columns for `side`, or (without a model) the test rows' columns for the test side.
    func expectedColumns(_ side: Modality, file: String) throws -> (Int, String)? {
        if let loaded, let modelFile {
            return (side == .x ? loaded.xColumns : loaded.yColumns, "the model \(modelFile) (its \(side.rawValue.uppercased()) side)")
        }
        return side == testModality && file != testFile ? (test.columns, "the test rows \(testFile)") : nil
    }
    if let (columns, purpose) = try expectedColumns(testModality, file: testFile) {
        try InputValidation.columnCheck(test, expected: columns, file: testFile, purpose: purpose)
    }
    /// `--unlabelled-…` rows of `side`, checked against the width that side needs.
    func unlabelledRows(_ side: Modality, file: String) throws -> Matrix<Float> {
        let rows = try InputValidation.loadEmbeddings(URL(fileURLWithPath: file), as: Float.self)
        if let (columns, purpose) = try expectedColumns(side, file: file) {
            try InputValidation.columnCheck(rows, expected: columns, file: file, purpose: purpose)
        }
        return rows
    }
    func labelled(_ side: Modality, rows option: String, labels labelsOption: String) throws -> LabelledInput {
        let rowsFile = o.string(option)!, labelsFile = o.string(labelsOption)!
        let rows = try InputValidation.loadEmbeddings(URL(fileURLWithPath: rowsFile), as: Float.self)
        if let (columns, purpose) = try expectedColumns(side, file: rowsFile) {
            try InputValidation.columnCheck(rows, expected: columns, file: rowsFile, purpose: purpose)
        }
        let labels = try LabelsFile.read(URL(fileURLWithPath: labelsFile), rows: rows.rows, rowsFile: rowsFile)
        return LabelledInput(modality: side, rowsFile: rowsFile, data: try LabelledRows(rows: rows, labels: labels))
    }

    let fitContext = context.fitContext()
    var description: String
    var auxiliary: UnpairedAuxiliaryModel?
    let predict: () throws -> Predictions
    if let side = prototypeSide {
        let input = try labelled(side, rows: "prototypes-\(side.rawValue)", labels: "prototype-names")
        if let loaded {
            let fitted = try ZeroShot.classifier(model: loaded.model, prototypes: input.data.rows, from: side, names: input.data.labels)
            predict = { try fitted.predict(test, from: testModality) }
            description = "zero-shot: nearest of \(input.data.classes.count) class prototypes (\(side.rawValue.uppercased())) in the shared space"
        } else {
            guard side == testModality else {
                throw usage("prototypes of \(side.rawValue.uppercased()) and test rows of \(testModality.rawValue.uppercased()) can only meet in a shared space: give --model")
            }
            let fitted = try ZeroShot.classifier(prototypes: input.data.rows, names: input.data.labels)
            predict = { try fitted.predict(test) }
            description = "zero-shot: nearest of \(input.data.classes.count) class prototypes in \(testModality.rawValue.uppercased())'s own space"
        }
    } else {
        let sides = try trainSides.map { try labelled($0, rows: "train-\($0.rawValue)", labels: "labels-\($0.rawValue)") }
        let counts = sides.map { "\($0.data.rows.rows) \($0.modality.rawValue.uppercased()) rows" }.joined(separator: " and ")
        let classifier = try chosenClassifier(o)
        if let loaded, let side = unlabelledSide {
            let unlabelled = try unlabelledRows(side, file: o.string("unlabelled-\(side.rawValue)")!)
            let source = sides.first { $0.modality != side }!
            let fitted = try context.progress.step("finding counterparts of \(source.data.rows.rows) labelled rows") {
                try classifier.fitTranslated(loaded.model, source.data, source.modality, unlabelled,
                                             sides.first { $0.modality == side }?.data, fitContext)
            }
            predict = { try fitted.predict(test, from: side) }
            let found = String(format: "%.0f%% of the %@ rows found a counterpart among %d unlabelled rows", 100 * fitted.counterpartFraction,
                               source.modality.rawValue.uppercased(), unlabelled.rows)
            let own = "\(side.rawValue.uppercased())'s own space"
            if let v = fitted.validation {
                let scores = String(format: "cross-validated on the counterparts: %@ %.1f %%, the shared space %.1f %%", own, 100 * v.ownSpace, 100 * v.sharedSpace)
                description = fitted.inOwnSpace
                    ? "\(o.string("classifier")!) in \(own), trained on the counterparts of \(counts) (\(found) through \(modelFile!); \(scores))"
                    : "\(o.string("classifier")!) in the shared space of \(modelFile!), trained on \(counts): \(found), but \(own) was not clearly better (\(scores))"
            } else {
                description = "\(o.string("classifier")!) in the shared space of \(modelFile!), trained on \(counts): only \(found), too few to train on counterparts"
            }
        } else if let loaded {
            let fitted = try classifier.fitInSharedSpace(loaded.model, x: sides.first { $0.modality == .x }?.data,
                                                         y: sides.first { $0.modality == .y }?.data, context: fitContext)
            predict = { try fitted.predict(test, from: testModality) }
            let block = fitted.columns == nil ? "" : ", in the labelled side's own block of it"
            description = "\(o.string("classifier")!) in the shared space of \(modelFile!) (\(loaded.report?.method ?? loaded.kind))\(block), trained on \(counts)"
        } else if let primary = sides.first(where: { $0.modality == testModality }) {
            if let other = sides.first(where: { $0.modality != testModality }) {
                let unlabelledFile = o.string("unlabelled-\(testModality.rawValue)")
                let unlabelled = try unlabelledFile.map { try unlabelledRows(testModality, file: $0) } ?? test
                context.progress.report("unpaired auxiliary training", nil, "\(counts), no pairs")
                let settings = UnpairedAuxiliaryTraining(width: o.integer("width")!, auxiliaryWeight: o.number("auxiliary-weight")!,
                                                         transportedRowWeight: o.number("transported-weight")!)
                let fitted = try settings.fit(primary: primary.data, auxiliary: other.data, unlabelled: unlabelled, context: fitContext)
                auxiliary = fitted
                predict = { try fitted.predict(test) }
                description = "unpaired auxiliary training on \(counts) (no pairs; \(unlabelled.rows) unlabelled \(testModality.rawValue.uppercased()) rows from \(unlabelledFile ?? testFile))"
            } else {
                let fitted = try classifier.fit(primary.data, context: fitContext)
                predict = { try fitted.predict(test) }
                description = "\(o.string("classifier")!) in \(testModality.rawValue.uppercased())'s own space, trained on \(counts)"
            }
        } else {
            throw usage("labelled rows of \(trainSides[0].rawValue.uppercased()) cannot classify rows of \(testModality.rawValue.uppercased()) without a shared space: give --model (or labelled rows of \(testModality.rawValue.uppercased()))")
        }
    }
    let predictions = try context.progress.step("classifying \(test.rows) rows") { try predict() }
    context.progress.end()
    let metrics = try o.string("test-labels").map { file in
        try scoredPredictions(predictions, labelsFile: file, rows: test.rows, testFile: testFile)
    }
    if let out = o.url("out") ?? (metrics == nil && !o.flag("json") ? URL(fileURLWithPath: "-") : nil) {
        try writePredictions(predictions, to: out)
    }
    if let plot = o.url("plot"), let metrics {
        try SVGConfusionMatrix(title: "sue classify: confusion matrix", classes: metrics.classes, counts: metrics.confusion,
                               caption: description + String(format: "; accuracy %.1f\u{00A0}%%, macro-F1 %.1f\u{00A0}%% on %d rows; each row shaded by its share of the true class",
                                                             100 * metrics.accuracy, 100 * metrics.macroF1, metrics.rows))
            .write(to: plot)
    }
    printClassification(description: description, predictions: predictions, metrics: metrics, auxiliary: auxiliary,
                        json: o.flag("json"), wrote: o.string("out"), plot: o.string("plot"))
    return ExitStatus.success
}

/// The classifier `--classifier` (and `-k`) ask for, as an erased estimator.
private func chosenClassifier(_ o: ParsedOptions) throws -> AnyClassifier {
    switch o.string("classifier")! {
    case "centroid": return AnyClassifier(CentroidClassifier())
    case "knn": return AnyClassifier(NearestNeighbourClassifier(neighbours: o.integer("k")!))
    default: return AnyClassifier(LogisticClassifier())
    }
}

/// A classifier estimator of any type, so that one code path fits whichever the command line chose.
private struct AnyClassifier {
    let fit: (LabelledRows, FitContext) throws -> any FittedClassifier
    let fitInSharedSpace: (any AlignmentModel, LabelledRows?, LabelledRows?, FitContext) throws -> SharedSpaceClassifier
    let fitTranslated: (any AlignmentModel, LabelledRows, Modality, Matrix<Float>, LabelledRows?, FitContext) throws -> TranslatedClassifier

    init<C: Classifier>(_ classifier: C) {
        fit = { try classifier.fit($0, context: $1) }
        fitInSharedSpace = { try SharedSpaceClassification(classifier: classifier).fit(model: $0, x: $1, y: $2, context: $3) }
        fitTranslated = { model, labelled, side, unlabelled, own, context in
            try TranslatedClassification(classifier: classifier)
                .fit(model: model, labelled: labelled, from: side, unlabelled: unlabelled, ownLabelled: own, context: context)
        }
    }

    func fit(_ data: LabelledRows, context: FitContext) throws -> any FittedClassifier { try fit(data, context) }

    func fitInSharedSpace(_ model: any AlignmentModel, x: LabelledRows?, y: LabelledRows?,
                          context: FitContext) throws -> SharedSpaceClassifier {
        try fitInSharedSpace(model, x, y, context)
    }
}

/// The metrics of `predictions` against the labels in `labelsFile` (one per test row, each a class the classifier
/// knows; an unknown one is an error naming its line).
private func scoredPredictions(_ predictions: Predictions, labelsFile: String, rows: Int,
                               testFile: String) throws -> ClassificationMetrics {
    let labels = try LabelsFile.read(URL(fileURLWithPath: labelsFile), rows: rows, rowsFile: testFile)
    let index = Dictionary(predictions.classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var truth = [Int]()
    for (line, label) in labels.enumerated() {
        guard let t = index[label] else {
            let known = predictions.classes.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
                + (predictions.classes.count > 8 ? ", …" : "")
            throw FileError(.invalidValue, file: labelsFile, line: line + 1,
                            "the label '\(label)' is not one of the \(predictions.classes.count) classes learnt (\(known)); a classifier cannot predict a class it never saw")
        }
        truth.append(t)
    }
    return ClassificationMetrics(classes: predictions.classes, truth: truth, predicted: predictions.classIndices)
}

/// The predictions as CSV (header row,label,score; labels quoted when they hold a comma, quote or line break),
/// written atomically.
private func writePredictions(_ predictions: Predictions, to url: URL) throws {
    func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    var text = "row,label,score\n"
    for (row, (label, score)) in zip(predictions.labels, predictions.scores).enumerated() {
        text += "\(row),\(field(label)),\(String(format: "%.6f", score))\n"
    }
    try AtomicFile.write(Data(text.utf8), to: url)
}

private func printClassification(description: String, predictions: Predictions, metrics: ClassificationMetrics?,
                                 auxiliary: UnpairedAuxiliaryModel?, json: Bool, wrote: String?, plot: String?) {
    /// Each variant the fit validated, with its cross-validated accuracy in %.
    let validated = auxiliary.map { a in
        UnpairedAuxiliaryTraining.Variant.allCases.compactMap { v in a.validationAccuracy[v].map { (v, 100 * $0) } }
    } ?? []
    if json {
        var fields: [JSONValue.Field] = [.init("mode", .string(description)), .init("rows", .integer(predictions.classIndices.count))]
        if let metrics {
            fields += [
                .init("accuracy", .fixed(100 * metrics.accuracy, decimals: 2)),
                .init("macro_f1", .fixed(100 * metrics.macroF1, decimals: 2)),
                .init("classes", .array(metrics.perClass.map { c in
                    .object(["label": .string(c.label), "support": .integer(c.support), "precision": .fixed(100 * c.precision, decimals: 2),
                             "recall": .fixed(100 * c.recall, decimals: 2), "f1": .fixed(100 * c.f1, decimals: 2)])
                })),
                .init("confusion", .array(metrics.confusion.map { .array($0.map { .integer($0) }) })),
            ]
        }
        if let auxiliary {
            fields += [.init("kept", .string(auxiliary.kept.rawValue)),
                       .init("validation", .object(validated.map { JSONValue.Field($0.0.rawValue.replacingOccurrences(of: "-", with: "_"), .fixed($0.1, decimals: 2)) }))]
        }
        print(JSONValue.object(fields).text)
        return
    }
    guard let metrics else {
        if let wrote { print("classified \(predictions.classIndices.count) rows (\(description)); predictions: \(wrote)") }
        return
    }
    print("classifier: " + wrap(description, width: 88, indent: 12))
    if let auxiliary {
        let names: [UnpairedAuxiliaryTraining.Variant: String] = [.primaryOnly: "alone", .joint: "joint network", .transported: "transported rows"]
        let scores = validated.map { String(format: "%@ %.1f %%", names[$0.0]!, $0.1) }.joined(separator: ", ")
        print("kept:       \(auxiliary.kept.rawValue) " + wrap("(cross-validated accuracy on the test side's labelled rows: \(scores))", width: 88, indent: 12))
    }
    print(String(format: "accuracy:   %.1f %%   macro-F1: %.1f %%   on %d rows, %d classes", 100 * metrics.accuracy,
                 100 * metrics.macroF1, metrics.rows, metrics.classes.count))
    let confused = metrics.mostConfused(limit: 5)
    if !confused.isEmpty {
        print("confused:   " + wrap(confused.map { "\($0.truth) → \($0.predicted) (\($0.rows))" }.joined(separator: ", "), width: 88, indent: 12))
    }
    let weakest = metrics.perClass.enumerated().filter { $0.element.support > 0 }
        .sorted { ($0.element.recall, $0.offset) < ($1.element.recall, $1.offset) }.prefix(5).map(\.element)
    print("weakest:    " + wrap(weakest.map { "\($0.label) " + String(format: "%.0f %% of %d", 100 * $0.recall, $0.support) }.joined(separator: ", "),
                                width: 88, indent: 12))
    if let wrote { print("predictions: \(wrote)") }
    if let plot { print("picture:    \(plot)") }
}
