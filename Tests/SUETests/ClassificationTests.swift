import XCTest
import Foundation
import LinearAlgebra
import SUE
import SUEFiles

/// Labelled synthetic data with a known answer: `classes` well separated centres in a latent space, seen through
/// two different random linear maps (X and Y, of different widths) with a little noise. Row i of X and row i of Y
/// are the same item, of class `labels[i]`.
struct LabelledViews {
    var x: Matrix<Float>
    var y: Matrix<Float>
    var labels: [String]

    init(rows: Int, classes: Int = 4, latent: Int = 6, dx: Int = 12, dy: Int = 9, spread: Double = 0.35,
         noise: Double = 0.05, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let centres: Matrix<Double> = random.normalMatrix(classes, latent, std: 1)
        let a: Matrix<Double> = random.normalMatrix(latent, dx, std: 1), b: Matrix<Double> = random.normalMatrix(latent, dy, std: 1)
        var z = Matrix<Double>(rows: rows, columns: latent)
        labels = []
        for i in 0..<rows {
            let k = i % classes
            labels.append("class \(k)")
            for j in 0..<latent { z[i, j] = centres[k, j] + spread * random.normal() }
        }
        func view(_ m: Matrix<Double>) -> Matrix<Float> {
            var v = Matrix.multiply(z, .none, m, .none).converted(to: Float.self)
            for k in v.elements.indices { v.elements[k] += Float(noise * random.normal()) }
            return v
        }
        x = view(a)
        y = view(b)
    }

    /// Rows `range` of one side with their labels.
    func labelled(_ side: Modality, _ range: Range<Int>) throws -> LabelledRows {
        try LabelledRows(rows: (side == .x ? x : y).rows(range), labels: Array(labels[range]))
    }
}

func accuracy(_ p: Predictions, _ truth: ArraySlice<String>) -> Double {
    Double(zip(p.labels, truth).filter { $0 == $1 }.count) / Double(truth.count)
}

/// Items whose class both sides see weakly through shared columns, and which Y alone sees clearly in columns of
/// its own. The model keeps the shared columns only (as a narrow shared space of two encoders does), so rows find
/// their counterparts there, while the class is best told apart in Y's own space.
struct ClassInOneSide {
    var x: Matrix<Float>
    var y: Matrix<Float>
    var labels: [String]
    var model: LinearAlignment

    init(rows: Int, classes: Int = 4, shared: Int = 6, own: Int = 3, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let weak: Matrix<Float> = random.normalMatrix(classes, shared, std: 0.6)
        let strong: Matrix<Float> = random.normalMatrix(classes, own, std: 3)
        x = Matrix(rows: rows, columns: shared)
        y = Matrix(rows: rows, columns: shared + own)
        labels = []
        for i in 0..<rows {
            let k = i % classes
            labels.append("class \(k)")
            for j in 0..<shared {
                let item = weak[k, j] + Float(random.normal())
                x[i, j] = item + Float(0.01 * random.normal())
                y[i, j] = item + Float(0.01 * random.normal())
            }
            for j in 0..<own { y[i, shared + j] = strong[k, j] + Float(0.3 * random.normal()) }
        }
        let identity = Matrix<Float>(rows: shared, columns: shared) { i, j in i == j ? 1 : 0 }
        let keepShared = Matrix<Float>(rows: shared + own, columns: shared) { i, j in i == j ? 1 : 0 }
        model = try LinearAlignment(preprocessX: RowPreprocessing(mean: [Float](repeating: 0, count: shared)),
                                    preprocessY: RowPreprocessing(mean: [Float](repeating: 0, count: shared + own)),
                                    mapX: identity, mapY: keepShared,
                                    report: FitReport(method: "test", pairs: 0, xRows: rows, yRows: rows, seed: 0))
    }

    /// X rows `range` with their labels.
    func labelled(_ range: Range<Int>) throws -> LabelledRows {
        try LabelledRows(rows: x.rows(range), labels: Array(labels[range]))
    }
}

final class ClassificationTests: XCTestCase {
    let context = FitContext(seed: 3)

    func testEachClassifierSeparatesSeparableClasses() throws {
        let data = LabelledViews(rows: 300, seed: 1)
        let train = try data.labelled(.x, 0..<200), test = data.x.rows(200..<300)
        let fitted: [any FittedClassifier] = [try CentroidClassifier().fit(train, context: context),
                                              try LogisticClassifier().fit(train, context: context),
                                              try NearestNeighbourClassifier(neighbours: 5).fit(train, context: context)]
        for classifier in fitted {
            let p = try classifier.predict(test)
            XCTAssertEqual(p.classes, ["class 0", "class 1", "class 2", "class 3"])
            XCTAssertGreaterThanOrEqual(accuracy(p, data.labels[200..<300]), 0.97, "\(type(of: classifier))")
            XCTAssertTrue(p.scores.allSatisfy { $0.isFinite })
        }
    }

    /// Labels of X, a shared space fitted from pairs, rows of Y: the classifier carries across.
    func testCrossDomainThroughAFittedSharedSpace() throws {
        let data = LabelledViews(rows: 400, seed: 2)
        let pairs = (0..<60).map { KnownPair(x: $0, y: $0) }
        let model = try Ridge().fit(WeaklyPairedData(x: data.x.rows(0..<300), y: data.y.rows(0..<300), pairs: pairs), context: context)
        for classifier in [AnyEstimator(CentroidClassifier()), AnyEstimator(LogisticClassifier())] {
            let fitted = try classifier.fitInSharedSpace(model, try data.labelled(.x, 0..<300), nil, context)
            let p = try fitted.predict(data.y.rows(300..<400), from: .y)
            XCTAssertGreaterThanOrEqual(accuracy(p, data.labels[300..<400]), 0.95)
        }
    }

    /// A two-way model's space is each side's own space side by side. Labels of one side train in that side's own
    /// block, on its real rows, and the other side's rows are classified as mapped into it; labels of both sides
    /// pool in the whole space.
    func testOneSidesLabelsTrainInItsOwnBlockOfATwoWaySpace() throws {
        let data = LabelledViews(rows: 400, seed: 4)
        let pairs = (0..<60).map { KnownPair(x: $0, y: $0) }
        let model = try TwoWaySelfLearning().fit(WeaklyPairedData(x: data.x.rows(0..<300), y: data.y.rows(0..<300), pairs: pairs),
                                                 context: context)
        let (dx, dy) = (data.x.columns, data.y.columns)
        XCTAssertEqual(model.ownSpaceColumns(of: .y), 0..<dy)
        XCTAssertEqual(model.ownSpaceColumns(of: .x), dy..<(dy + dx))
        XCTAssertNil(try Ridge().fit(WeaklyPairedData(x: data.x, y: data.y, pairs: pairs), context: context).ownSpaceColumns(of: .x))
        // X's block of an X row is X's own unit row (scaled by 1/√2), not a map of it.
        let unit = try model.alignment.preprocessX.embed(data.x.rows(0..<5))
        let block = try model.embedX(data.x.rows(0..<5)).columns(dy..<(dy + dx))
        for (u, b) in zip(unit.elements, block.elements) { XCTAssertEqual(b, u / Float(2).squareRoot(), accuracy: 1e-6) }

        let labelsX = try data.labelled(.x, 0..<300), labelsY = try data.labelled(.y, 0..<300)
        let classification = SharedSpaceClassification(classifier: LogisticClassifier())
        let fromX = try classification.fit(model: model, x: labelsX, y: nil, context: context)
        XCTAssertEqual(fromX.columns, dy..<(dy + dx))
        XCTAssertEqual(try classification.fit(model: model, x: nil, y: labelsY, context: context).columns, 0..<dy)
        XCTAssertNil(try classification.fit(model: model, x: labelsX, y: labelsY, context: context).columns)
        let test = data.y.rows(300..<400)
        let p = try fromX.predict(test, from: .y)
        XCTAssertEqual(p, try fromX.classifier.predict(try model.embedY(test).columns(dy..<(dy + dx))))
        XCTAssertGreaterThanOrEqual(accuracy(p, data.labels[300..<400]), 0.95)
        // Unlabelled Y rows that hold none of the labelled rows' counterparts: the classifier falls back to the
        // shared space, and there it is the same classifier, in the same block.
        let translated = try TranslatedClassification(classifier: LogisticClassifier())
            .fit(model: model, labelled: labelsX, from: .x, unlabelled: test, context: context)
        XCTAssertFalse(translated.inOwnSpace)
        XCTAssertEqual(translated.columns, dy..<(dy + dx))
        XCTAssertEqual(try translated.predict(test, from: .y), p)
    }

    /// Labels of X carried into Y's own space through the nearest unlabelled Y rows: where the unlabelled rows hold
    /// the labelled items' counterparts (shuffled), the nearest one is mostly the counterpart and the classifier
    /// learns from Y's own rows; where they do not, it falls back to the shared space.
    func testCounterpartsTrainInTheTestSidesOwnSpaceAndTheirAbsenceFallsBackToTheSharedSpace() throws {
        // Through a fitted ridge model, most labelled rows find their counterpart among shuffled unlabelled rows.
        let data = LabelledViews(rows: 500, noise: 0.005, seed: 7)
        let pairs = (0..<60).map { KnownPair(x: $0, y: $0) }
        let model = try Ridge().fit(WeaklyPairedData(x: data.x.rows(0..<300), y: data.y.rows(0..<300), pairs: pairs), context: context)
        var random = SeededRandom(seed: 1)
        let order = random.permutation(300)                // unlabelled row j is item order[j]
        let unlabelled = data.y.rows(order)
        let translation = TranslatedClassification(classifier: LogisticClassifier())
        let (nearest, mutual) = try translation.nearestRows(of: data.x.rows(0..<300), from: .x, through: model, among: unlabelled)
        // Ridge between unit rows of two linear views is close but not exact (normalising a row is not linear), so
        // the nearest unlabelled row is the counterpart for most rows, not all.
        let counterparts = (0..<300).filter { order[nearest[$0]] == $0 }.count
        XCTAssertGreaterThanOrEqual(counterparts, 240)
        XCTAssertGreaterThanOrEqual(mutual.filter { $0 }.count, 200)

        // Y holds the class in columns the shared space leaves out (as a wide encoder does beside a narrow shared
        // space): its own space is the better place to classify, and the validation finds that.
        let wide = try ClassInOneSide(rows: 600, seed: 5)
        let shuffled = random.permutation(300)
        let fitted = try translation.fit(model: wide.model, labelled: try wide.labelled(0..<300), from: .x,
                                         unlabelled: wide.y.rows(shuffled), context: context)
        XCTAssertGreaterThanOrEqual(fitted.counterpartFraction, 0.9)
        let validation = try XCTUnwrap(fitted.validation, "enough counterparts: both spaces are cross-validated")
        XCTAssertGreaterThan(validation.ownSpace, validation.sharedSpace, "\(validation)")
        XCTAssertTrue(fitted.inOwnSpace)
        XCTAssertEqual(fitted.fitted.inputColumns, wide.y.columns, "the classifier works in Y's own space")
        let ownAccuracy = accuracy(try fitted.predict(wide.y.rows(300..<600), from: .y), wide.labels[300..<600])
        XCTAssertGreaterThanOrEqual(ownAccuracy, 0.95)

        // Unlabelled rows of other items (a handful): few mutual matches, the shared space, which is worse here.
        let others = wide.y.rows(Array(stride(from: 300, to: 340, by: 4)))
        let fallback = try translation.fit(model: wide.model, labelled: try wide.labelled(0..<300), from: .x,
                                           unlabelled: others, context: context)
        XCTAssertFalse(fallback.inOwnSpace)
        XCTAssertNil(fallback.validation, "too few counterparts: the test side's own space is not considered")
        XCTAssertLessThan(fallback.counterpartFraction, translation.minimumCounterpartFraction)
        XCTAssertEqual(fallback.fitted.inputColumns, wide.model.dimension)
        let sharedAccuracy = accuracy(try fallback.predict(wide.y.rows(300..<600), from: .y), wide.labels[300..<600])
        XCTAssertGreaterThan(sharedAccuracy, 0.4, "the shared space still carries some of the class")
        XCTAssertGreaterThan(ownAccuracy, sharedAccuracy + 0.1)

        // Labelled rows of the test side join the counterparts; the same bits for 1 and 2 threads.
        func run(_ threads: Int) throws -> Predictions {
            try Parallel.withThreads(threads) {
                try translation.fit(model: model, labelled: try data.labelled(.x, 0..<200), from: .x, unlabelled: unlabelled,
                                    ownLabelled: try data.labelled(.y, 200..<300), context: FitContext(seed: 2, threads: threads))
                    .predict(data.y.rows(300..<500), from: .y)
            }
        }
        XCTAssertEqual(try run(1), try run(2))

        func expect(_ fragment: String, _ body: () throws -> Void, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { XCTAssertTrue("\($0)".contains(fragment), "'\($0)' lacks '\(fragment)'", line: line) }
        }
        let labelled = try data.labelled(.x, 0..<300)
        expect("minimumCounterpartFraction") {
            _ = try TranslatedClassification(classifier: LogisticClassifier(), minimumCounterpartFraction: 0)
                .fit(model: model, labelled: labelled, from: .x, unlabelled: unlabelled, context: self.context)
        }
        expect("validationFolds") {
            _ = try TranslatedClassification(classifier: LogisticClassifier(), validationFolds: 1)
                .fit(model: model, labelled: labelled, from: .x, unlabelled: unlabelled, context: self.context)
        }
        expect("takes 9 columns") { _ = try translation.fit(model: model, labelled: labelled, from: .x, unlabelled: data.x, context: self.context) }
        expect("at least one row") {
            _ = try translation.fit(model: model, labelled: labelled, from: .x, unlabelled: unlabelled.rows(0..<0), context: self.context)
        }
        expect("labelled rows of Y have 12 columns") {
            _ = try translation.fit(model: model, labelled: labelled, from: .x, unlabelled: unlabelled,
                                    ownLabelled: try data.labelled(.x, 0..<10), context: self.context)
        }
        var broken = unlabelled
        broken[4, 1] = .nan
        expect("row 4") { _ = try translation.fit(model: model, labelled: labelled, from: .x, unlabelled: broken, context: self.context) }
    }

    /// Every labelled row finds its counterpart, but the test side's own space separates the classes worse than the
    /// shared space: the validation keeps the shared space.
    func testValidationKeepsTheSharedSpaceWhereTheTestSidesOwnSpaceIsWorse() throws {
        // X: four informative columns. Y: the same four beside 400 columns of loud class-free noise. The model maps
        // X as it is and Y onto its first four columns, so the shared space holds the signal without the noise.
        var random = SeededRandom(seed: 11)
        let n = 600, noise = 400
        let centres: Matrix<Float> = random.normalMatrix(4, 4, std: 3)
        var x = Matrix<Float>(rows: n, columns: 4), y = Matrix<Float>(rows: n, columns: 4 + noise), labels = [String]()
        for i in 0..<n {
            labels.append("class \(i % 4)")
            for j in 0..<4 { let v = centres[i % 4, j] + Float(random.normal()); x[i, j] = v; y[i, j] = v }
            for j in 4..<(4 + noise) { y[i, j] = Float(2 * random.normal()) }
        }
        let selectFirstFour = Matrix<Float>(rows: 4 + noise, columns: 4) { i, j in i == j ? 1 : 0 }
        let identity = Matrix<Float>(rows: 4, columns: 4) { i, j in i == j ? 1 : 0 }
        let model = try LinearAlignment(preprocessX: RowPreprocessing(mean: [0, 0, 0, 0]),
                                        preprocessY: RowPreprocessing(mean: [Float](repeating: 0, count: 4 + noise)),
                                        mapX: identity, mapY: selectFirstFour,
                                        report: FitReport(method: "test", pairs: 0, xRows: n, yRows: n, seed: 0))
        let labelled = try LabelledRows(rows: x.rows(0..<300), labels: Array(labels[0..<300]))
        let fitted = try TranslatedClassification(classifier: LogisticClassifier())
            .fit(model: model, labelled: labelled, from: .x, unlabelled: y.rows(0..<300), context: context)
        XCTAssertGreaterThanOrEqual(fitted.counterpartFraction, 0.9)
        let validation = try XCTUnwrap(fitted.validation)
        XCTAssertLessThan(validation.ownSpace, validation.sharedSpace, "\(validation)")
        XCTAssertFalse(fitted.inOwnSpace)
        XCTAssertEqual(fitted.fitted.inputColumns, 4, "the classifier works in the shared space")
        let accuracyShared = accuracy(try fitted.predict(y.rows(300..<600), from: .y), labels[300..<600])
        let own = try LogisticClassifier().fit(try LabelledRows(rows: y.rows(0..<300), labels: Array(labels[0..<300])), context: context)
        XCTAssertGreaterThan(accuracyShared, accuracy(try own.predict(y.rows(300..<600)), labels[300..<600]),
                             "the shared space is the better choice here, measured on the test rows")
    }

    /// No labelled rows at all: each class's mean Y row stands for its description; X rows get the nearest.
    func testZeroShotByTheNearestPrototype() throws {
        let data = LabelledViews(rows: 400, seed: 4)
        let model = try Ridge().fit(WeaklyPairedData(x: data.x.rows(0..<300), y: data.y.rows(0..<300),
                                                     pairs: (0..<60).map { KnownPair(x: $0, y: $0) }), context: context)
        let names = (0..<4).map { "class \($0)" }
        let means = try CentroidClassifier().fit(try data.labelled(.y, 0..<300), context: context)  // class directions in Y
        let meanRows = Matrix(rows: 4, columns: data.y.columns) { k, j in
            let members = (0..<300).filter { data.labels[$0] == names[k] }
            return members.reduce(Float(0)) { $0 + data.y[$1, j] } / Float(members.count)
        }
        XCTAssertEqual(means.classes, names)
        let acrossSpace = try ZeroShot.classifier(model: model, prototypes: meanRows, from: .y, names: names)
        XCTAssertGreaterThanOrEqual(accuracy(try acrossSpace.predict(data.x.rows(300..<400), from: .x), data.labels[300..<400]), 0.95)
        let ownSpace = try ZeroShot.classifier(prototypes: meanRows, names: names)
        XCTAssertGreaterThanOrEqual(accuracy(try ownSpace.predict(data.y.rows(300..<400)), data.labels[300..<400]), 0.95)
        // Two prototypes of one class are averaged (prompt ensembling): still four classes.
        let doubled = Matrix(rows: 8, columns: meanRows.columns, elements: meanRows.elements + meanRows.elements)
        XCTAssertEqual(try ZeroShot.classifier(prototypes: doubled, names: names + names).classes, names)
    }

    /// Few labelled X rows, many unpaired labelled Y rows: the kept network is at least as good as X alone, on
    /// held-out rows as in the cross-validation, and the run says which one it kept.
    func testUnpairedAuxiliaryTrainingIsNeverWorseThanPrimaryOnly() throws {
        let data = LabelledViews(rows: 600, classes: 6, spread: 0.9, noise: 0.3, seed: 5)
        let primary = try data.labelled(.x, 0..<12)            // 2 labelled X rows per class
        let auxiliary = try data.labelled(.y, 12..<400)         // Y rows of other items: no pairs
        let settings = UnpairedAuxiliaryTraining(width: 32, steps: 150)
        let joint = try settings.fit(primary: primary, auxiliary: auxiliary, context: context)
        var alone = settings
        alone.auxiliaryWeight = 0
        alone.transportedRowWeight = 0
        let primaryOnly = try alone.fit(primary: primary, auxiliary: auxiliary, context: context)
        XCTAssertEqual(primaryOnly.kept, .primaryOnly)
        let validated = try XCTUnwrap(joint.validationAccuracy[joint.kept])
        XCTAssertGreaterThanOrEqual(validated, try XCTUnwrap(joint.validationAccuracy[.primaryOnly]))
        let test = data.x.rows(400..<600), truth = data.labels[400..<600]
        let (a, b) = (accuracy(try joint.predict(test), truth), accuracy(try primaryOnly.predict(test), truth))
        XCTAssertGreaterThanOrEqual(a, b - 0.02, "kept \(joint.kept): \(a) against X alone \(b)")
        XCTAssertGreaterThan(b, 0.5, "the task is learnable from X alone")
        XCTAssertEqual(joint.classes.count, 6)
    }

    /// Five labelled X rows per class, many labelled Y rows of other items, unlabelled X rows: the Y rows carried
    /// into X's space by the fused Gromov–Wasserstein plan teach the X classifier what five rows per class cannot.
    /// The two sides see overlapping classes through different rotations into spaces of different widths, so the
    /// items' similarities agree across the sides, as they roughly do for two encoders of the same texts.
    func testCarriedAuxiliaryRowsTeachAClassifierOfFewLabelledRows() throws {
        var rng = SeededRandom(seed: 11)
        let classes = 6, latent = 8, rows = 1600
        let centres: Matrix<Double> = rng.normalMatrix(classes, latent)
        let z = Matrix<Double>(rows: rows, columns: latent) { i, j in centres[i % classes, j] + 0.9 * rng.normal() }
        func view(_ width: Int) -> Matrix<Float> {
            let rotation = qrDecomposition(rng.normalMatrix(width, latent, as: Double.self)).q   // width × latent
            var v = Matrix.multiply(z, .none, rotation, .transposed).converted(to: Float.self)
            for k in v.elements.indices { v.elements[k] += Float(0.1 * rng.normal()) }
            return v
        }
        let x = view(12), y = view(10)
        let labels = (0..<rows).map { "class \($0 % classes)" }
        let primary = try LabelledRows(rows: x.rows(0..<30), labels: Array(labels[0..<30]))
        let auxiliary = try LabelledRows(rows: y.rows(400..<1000), labels: Array(labels[400..<1000]))
        let unlabelled = x.rows(1000..<1400)
        let test = x.rows(1400..<1600), truth = labels[1400..<1600]
        let carried = try UnpairedAuxiliaryTraining(auxiliaryWeight: 0)
            .fit(primary: primary, auxiliary: auxiliary, unlabelled: unlabelled, context: context)
        let alone = try UnpairedAuxiliaryTraining(auxiliaryWeight: 0, transportedRowWeight: 0)
            .fit(primary: primary, auxiliary: auxiliary, unlabelled: unlabelled, context: context)
        XCTAssertEqual(carried.kept, .transported, "validation \(carried.validationAccuracy)")
        XCTAssertEqual(alone.kept, .primaryOnly)
        let (a, b) = (accuracy(try carried.predict(test), truth), accuracy(try alone.predict(test), truth))
        XCTAssertGreaterThan(a, b + 0.08, "carried rows \(a) against X alone \(b)")
    }

    /// Auxiliary labels that say nothing (shuffled): whatever is kept is no worse than X alone.
    func testCarriedRowsOfMeaninglessLabelsAreNotKept() throws {
        let data = LabelledViews(rows: 1600, classes: 6, spread: 1.2, noise: 0.3, seed: 12)
        let primary = try data.labelled(.x, 0..<60)
        var rng = SeededRandom(seed: 1)
        var labels = Array(data.labels[400..<1000])
        rng.shuffle(&labels)
        let auxiliary = try LabelledRows(rows: data.y.rows(400..<1000), labels: labels)
        let settings = UnpairedAuxiliaryTraining(auxiliaryWeight: 0)
        let fitted = try settings.fit(primary: primary, auxiliary: auxiliary, unlabelled: data.x.rows(1000..<1400), context: context)
        var none = settings
        none.transportedRowWeight = 0
        let alone = try none.fit(primary: primary, auxiliary: auxiliary, context: context)
        let test = data.x.rows(1400..<1600), truth = data.labels[1400..<1600]
        XCTAssertEqual(fitted.kept, .primaryOnly, "validation \(fitted.validationAccuracy)")
        XCTAssertGreaterThanOrEqual(accuracy(try fitted.predict(test), truth), accuracy(try alone.predict(test), truth) - 0.02)
    }

    /// Extra rows at weight 0 leave a full-batch logistic regression exactly as it was; at a positive weight they
    /// move its decisions towards their labels.
    func testExtraRowsOfALogisticRegressionCountByTheirWeight() throws {
        let data = LabelledViews(rows: 300, classes: 3, seed: 13)
        let train = try data.labelled(.x, 0..<60)
        // The extra rows are X rows of class 0 labelled as class 1 (and one row of each other class, correctly).
        let classZero = (100..<300).filter { data.labels[$0] == "class 0" }
        let extra = try LabelledRows(rows: concatenated(data.x.rows(classZero), data.x.rows(0..<3)),
                                     labels: classZero.map { _ in "class 1" } + Array(data.labels[0..<3]), classes: train.classes)
        let settings = LogisticClassifier(batchSize: 1000)
        let plain = try settings.fit(train, context: context)
        XCTAssertEqual(try settings.fit(train, extra: extra, extraRowWeight: 0, context: context), plain)
        let pulled = try settings.fit(train, extra: extra, extraRowWeight: 1, context: context)
        let rows = data.x.rows(classZero)
        let before = try plain.predict(rows).labels.filter { $0 == "class 1" }.count
        let after = try pulled.predict(rows).labels.filter { $0 == "class 1" }.count
        XCTAssertGreaterThan(after, before + classZero.count / 2)
        XCTAssertThrowsError(try settings.fit(train, extra: extra, extraRowWeight: -1, context: context))
    }

    func concatenated(_ a: Matrix<Float>, _ b: Matrix<Float>) -> Matrix<Float> {
        Matrix(rows: a.rows + b.rows, columns: a.columns, elements: a.elements + b.elements)
    }

    func testSameSeedSamePredictionsWhateverTheThreadCount() throws {
        let data = LabelledViews(rows: 700, classes: 5, seed: 6)
        let train = try data.labelled(.x, 0..<600), aux = try data.labelled(.y, 100..<700)
        func run(_ threads: Int) throws -> [Predictions] {
            let c = FitContext(seed: 9, threads: threads)
            return try Parallel.withThreads(threads) {
                [try LogisticClassifier(steps: 60, batchSize: 128).fit(train, context: c).predict(data.x),
                 try NearestNeighbourClassifier().fit(train, context: c).predict(data.x),
                 try CentroidClassifier().fit(train, context: c).predict(data.x),
                 try UnpairedAuxiliaryTraining(width: 16, steps: 40, batchSize: 64, transportRows: 300)
                    .fit(primary: train, auxiliary: aux, context: c).predict(data.x),
                 try UnpairedAuxiliaryTraining(auxiliaryWeight: 0, steps: 40, transportRows: 300)
                    .fit(primary: try data.labelled(.x, 0..<40), auxiliary: aux, unlabelled: data.x.rows(40..<400), context: c).predict(data.x)]
            }
        }
        XCTAssertEqual(try run(1), try run(2))
    }

    func testMetricsOfAKnownConfusion() {
        // truth: a a a b b c; predicted: a a b b b a
        let m = ClassificationMetrics(classes: ["a", "b", "c"], truth: [0, 0, 0, 1, 1, 2], predicted: [0, 0, 1, 1, 1, 0])
        XCTAssertEqual(m.confusion, [[2, 1, 0], [0, 2, 0], [1, 0, 0]])
        XCTAssertEqual(m.accuracy, 4.0 / 6.0, accuracy: 1e-12)
        // F1: a: p 2/3 r 2/3 → 2/3; b: p 2/3 r 1 → 0.8; c: 0.
        XCTAssertEqual(m.macroF1, (2.0 / 3.0 + 0.8 + 0) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.mostConfused(limit: 1).first?.truth, "a")
        XCTAssertEqual(ClassificationMetrics(classes: ["a"], truth: [], predicted: []).accuracy, 0)
    }

    func testBadInputsAreErrorsNotCrashes() throws {
        let rows = Matrix<Float>(rows: 3, columns: 2, elements: [1, 0, 0, 1, 1, 1])
        XCTAssertThrowsError(try LabelledRows(rows: rows, labels: ["a", "b"])) { error in
            XCTAssertTrue("\(error)".contains("2 labels for 3 rows"), "\(error)")
        }
        XCTAssertThrowsError(try LabelledRows(rows: rows, labels: ["a", "", "b"])) { XCTAssertTrue("\($0)".contains("row 1")) }
        XCTAssertThrowsError(try LabelledRows(rows: rows, labels: ["a", "a", "b"], classes: ["a", "b", "c"])) { error in
            XCTAssertTrue("\(error)".contains("'c' has no rows"), "\(error)")
        }
        var bad = rows
        bad[1, 1] = .nan
        XCTAssertThrowsError(try LabelledRows(rows: bad, labels: ["a", "b", "c"]))
        let fitted = try LogisticClassifier(steps: 5).fit(try LabelledRows(rows: rows, labels: ["a", "b", "b"]), context: context)
        XCTAssertThrowsError(try fitted.predict(Matrix<Float>(rows: 1, columns: 3))) { error in
            XCTAssertTrue("\(error)".contains("3 columns"), "\(error)")
        }
        XCTAssertThrowsError(try fitted.predict(bad))
        // Zero rows and a class whose rows cancel out classify without NaN.
        let cancelling = try CentroidClassifier().fit(try LabelledRows(rows: Matrix(rows: 3, columns: 2, elements: [1, 0, -1, 0, 0, 1]),
                                                                       labels: ["a", "a", "b"]), context: context)
        let p = try cancelling.predict(Matrix(rows: 2, columns: 2, elements: [0, 0, 0, 1]))
        XCTAssertEqual(p.labels, ["a", "b"])   // a zero row: every cosine 0, the first class
        XCTAssertTrue(p.scores.allSatisfy { $0.isFinite })
        XCTAssertThrowsError(try UnpairedAuxiliaryTraining().fit(primary: try LabelledRows(rows: rows.rows(0..<1), labels: ["a"]),
                                                                 auxiliary: try LabelledRows(rows: rows, labels: ["a", "b", "b"]), context: context))
        // Unpaired auxiliary training: no auxiliary rows, unlabelled rows of the wrong width or not finite.
        let two = try LabelledRows(rows: rows.rows(0..<2), labels: ["a", "b"]), aux = try LabelledRows(rows: rows, labels: ["a", "b", "b"])
        XCTAssertThrowsError(try UnpairedAuxiliaryTraining().fit(primary: two, auxiliary: try LabelledRows(rows: Matrix(rows: 0, columns: 2), labels: []),
                                                                 context: context)) { XCTAssertTrue("\($0)".contains("other side"), "\($0)") }
        XCTAssertThrowsError(try UnpairedAuxiliaryTraining().fit(primary: two, auxiliary: aux, unlabelled: Matrix(rows: 4, columns: 3),
                                                                 context: context)) { XCTAssertTrue("\($0)".contains("3 columns"), "\($0)") }
        XCTAssertThrowsError(try UnpairedAuxiliaryTraining().fit(primary: two, auxiliary: aux, unlabelled: bad, context: context)) {
            XCTAssertTrue("\($0)".contains("unlabelled rows"), "\($0)")
        }
        XCTAssertThrowsError(try UnpairedAuxiliaryTraining(transportedRowWeight: .nan).fit(primary: two, auxiliary: aux, context: context))
        // Degenerate but valid: every auxiliary and unlabelled row the same point. The fit runs and predicts finitely.
        let same = try LabelledRows(rows: Matrix(rows: 3, columns: 2, repeating: 1), labels: ["a", "b", "b"])
        let degenerate = try UnpairedAuxiliaryTraining(steps: 20).fit(primary: two, auxiliary: same, unlabelled: Matrix(rows: 5, columns: 2, repeating: 1),
                                                                      context: context)
        XCTAssertTrue(try degenerate.predict(rows).scores.allSatisfy { $0.isFinite })
    }

    func testLabelsFileNamesTheLine() throws {
        XCTAssertEqual(try LabelsFile.parse(Data("\u{FEFF}cats\r\n dogs \nbig, small\n\n".utf8), file: "l.txt", rows: 3),
                       ["cats", "dogs", "big, small"])
        func problem(_ text: String, rows: Int? = nil) -> FileError? {
            do { _ = try LabelsFile.parse(Data(text.utf8), file: "l.txt", rows: rows, rowsFile: "a.npy"); return nil } catch { return error as? FileError }
        }
        XCTAssertEqual(problem("a\n\nb\n")?.line, 2)
        XCTAssertTrue(problem("a\n\nb\n")?.description.hasPrefix("l.txt:2: empty label") ?? false)
        let short = problem("a\nb\n", rows: 3)
        XCTAssertEqual(short?.line, 3)
        XCTAssertTrue(short?.problem.contains("a.npy has 3 rows") ?? false, "\(String(describing: short))")
        XCTAssertEqual(problem("a\nb\nc\n", rows: 2)?.line, 3)
        XCTAssertEqual(problem("a\u{7}b\n")?.line, 1)
        XCTAssertThrowsError(try LabelsFile.parse(Data([0xFF, 0xFE, 0x0A]), file: "l.txt")) { error in
            XCTAssertEqual((error as? FileError)?.kind, .malformed)
        }
    }

    func testConfusionMatrixPicture() {
        let picture = SVGConfusionMatrix(title: "t <&>", classes: ["a", "b\"c"], counts: [[3, 1], [0, 4]], caption: "acc")
        let svg = picture.render()
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        XCTAssertTrue(svg.contains("t &lt;&amp;&gt;") && svg.contains("b&quot;c"))
        XCTAssertEqual(svg.components(separatedBy: "<rect").count - 1, 4 + 2)   // 4 cells, background, frame
        XCTAssertEqual(svg, picture.render())
    }
}

/// A classifier estimator of any type (tests loop over several).
struct AnyEstimator {
    let fitInSharedSpace: (any AlignmentModel, LabelledRows?, LabelledRows?, FitContext) throws -> SharedSpaceClassifier
    init<C: Classifier>(_ c: C) {
        fitInSharedSpace = { try SharedSpaceClassification(classifier: c).fit(model: $0, x: $1, y: $2, context: $3) }
    }
}
