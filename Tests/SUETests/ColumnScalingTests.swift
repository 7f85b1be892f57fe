import XCTest
import LinearAlgebra
import SUE

/// Columns on unequal scales: `ColumnScaling` against a slow reference, its edge cases and errors, the stored
/// `ColumnScaledModel`, and `Automatic`'s choice to standardise only where ridge gains clearly from it.
final class ColumnScalingTests: XCTestCase {
    /// Synthetic views with Y's columns multiplied by 10^u, u spread evenly over [-3, 3]: six decades, as when
    /// features in mixed units sit side by side.
    private static let mixedUnits: ViewSplits = {
        var (x, y) = makeSyntheticPairs(rows: 1500, seed: 21)
        for j in 0..<y.columns {
            let factor = Float(pow(10, -3 + 6 * Double(j) / Double(y.columns - 1)))
            for i in 0..<y.rows { y[i, j] *= factor }
        }
        return ViewSplits(views: (x, y))
    }()

    func testScalesAreTheColumnsStandardDeviationsAtOddSizes() throws {
        var random = SeededRandom(seed: 3)
        var a = Matrix<Float>(rows: 37, columns: 13)
        for i in 0..<a.rows { for j in 0..<a.columns { a[i, j] = Float(10 * Double(j) + pow(10, Double(j % 5) - 2) * random.normal()) } }
        let scaling = ColumnScaling(fittedOn: a)
        for j in 0..<a.columns {
            let column = (0..<a.rows).map { Double(a[$0, j]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let deviation = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)).squareRoot()
            XCTAssertEqual(Double(scaling.scale[j]), deviation, accuracy: 1e-6 * deviation, "column \(j)")
        }
        let scaled = try scaling.apply(a)
        for i in [0, 18, 36] { for j in 0..<a.columns { XCTAssertEqual(scaled[i, j], a[i, j] / scaling.scale[j]) } }
    }

    func testConstantColumnsAreNotBlownUp() throws {
        var a = Matrix<Float>(rows: 20, columns: 4)
        for i in 0..<a.rows { a[i, 0] = Float(i); a[i, 1] = 0; a[i, 2] = 5000; a[i, 3] = Float(i % 3) * 1e-33 }
        let scaling = ColumnScaling(fittedOn: a)
        let deviation = ColumnScaling(fittedOn: Matrix(rows: 20, columns: 1, elements: (0..<20).map { Float($0) })).scale[0]
        XCTAssertEqual(scaling.scale[0], deviation)
        XCTAssertEqual(Double(scaling.scale[1]), ColumnScaling.emptyColumnFraction * Double(deviation), accuracy: 1e-12,
                       "a column of zeros: the floor below the median column")
        XCTAssertEqual(Double(scaling.scale[2]), ColumnScaling.constantTolerance * 5000, accuracy: 1e-9,
                       "a constant column is divided by its rounding level, not by zero")
        XCTAssertEqual(scaling.scale[3], scaling.scale[1], "a dead dimension stays a millionth of the others")
        XCTAssertTrue(scaling.scale.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertEqual(ColumnScaling.spread(of: a), 1, "fewer than two varying columns")
        let probe = try scaling.apply(Matrix(rows: 1, columns: 4, elements: [1, 1, 1, 1]))
        XCTAssertTrue(probe.elements.allSatisfy { abs($0) < 1e9 }, "\(probe.elements)")
    }

    func testSpreadSeparatesMixedUnitsFromOneScale() throws {
        let (x, y) = makeSyntheticPairs(rows: 500, seed: 2)
        XCTAssertLessThan(ColumnScaling.spread(of: x), 3)
        XCTAssertLessThan(ColumnScaling.spread(of: y), 3)
        var withConstant = Matrix<Float>(rows: x.rows, columns: x.columns + 1)
        for i in 0..<x.rows { for j in 0..<x.columns { withConstant[i, j] = x[i, j] }; withConstant[i, x.columns] = 7 }
        XCTAssertEqual(ColumnScaling.spread(of: withConstant), ColumnScaling.spread(of: x), accuracy: 1e-12,
                       "a constant column does not count")
        XCTAssertGreaterThan(ColumnScaling.spread(of: Self.mixedUnits.views.y), 1e4)
    }

    func testBadScalesAndWidthsAreRefused() throws {
        for bad: Float in [0, -1, .nan, .infinity] {
            XCTAssertThrowsError(try ColumnScaling(scale: [1, bad])) { error in
                guard case .invalidInput(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
                XCTAssertTrue(problem.contains("column scale 1"), problem)
            }
        }
        let scaling = try ColumnScaling(scale: [1, 2])
        XCTAssertThrowsError(try scaling.apply(Matrix<Float>(rows: 2, columns: 3))) { error in
            guard case .shapeMismatch(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("3 columns") && problem.contains("fitted on 2"), problem)
        }
    }

    /// Six decades of column scales: `auto` standardises, the model takes rows in their original units, and it
    /// retrieves far better than ridge on the columns as given; its stored form rebuilds it exactly.
    func testAutoStandardisesColumnsInMixedUnitsAndStoresTheScaling() throws {
        let (training, test) = try Self.mixedUnits.problem(pairs: 60, seed: 1)
        let model = try Automatic().fit(training, context: FitContext(seed: 4))
        XCTAssertTrue(model.reason.contains("every candidate fitted on standardised columns"), model.reason)
        XCTAssertEqual(model.report.method, model.choice.rawValue + " on standardised columns")
        let scaled = try XCTUnwrap(model.model as? ColumnScaledModel, "\(type(of: model.model))")
        let chosen = try testRecall(model, test)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext(seed: 4)), test)
        XCTAssertGreaterThan(chosen.xToY.r10, ridge.xToY.r10 + 10, "\(chosen) vs ridge \(ridge)")
        XCTAssertGreaterThan(chosen.yToX.r10, ridge.yToX.r10 + 10, "\(chosen) vs ridge \(ridge)")

        let rebuilt = try XCTUnwrap(try StoredModels.rebuild(model.storedForm) as? ColumnScaledModel)
        XCTAssertEqual(rebuilt.scalingX, scaled.scalingX)
        XCTAssertEqual(rebuilt.scalingY, scaled.scalingY)
        XCTAssertEqual(try rebuilt.embedX(test.x), try model.embedX(test.x))
        XCTAssertEqual(try rebuilt.embedY(test.y), try model.embedY(test.y))
        XCTAssertEqual(rebuilt.report.reason, model.reason)
    }

    func testTamperedColumnScaledModelsAreRefused() throws {
        let (training, _) = try Self.mixedUnits.problem(pairs: 30, seed: 0)
        let inner = try Ridge().fit(training, context: FitContext(seed: 0))
        let model = try ColumnScaledModel(scalingX: ColumnScaling(fittedOn: training.x), scalingY: ColumnScaling(fittedOn: training.y), model: inner)
        var cases = [(String, StoredModel)]()
        var zero = model.storedForm
        zero.tensors["y.column_scale"]!.elements[2] = 0
        cases.append(("column scale 2", zero))
        var short = model.storedForm
        short.tensors["x.column_scale"] = Matrix(rows: 1, columns: 3, elements: [1, 1, 1])
        cases.append(("column scalings of 3", short))
        var extra = model.storedForm
        extra.tensors["x.other"] = Matrix(rows: 1, columns: 1, elements: [1])
        cases.append(("tensor 'x.other'", extra))
        var noKind = model.storedForm
        noKind.metadata["model_kind"] = nil
        cases.append(("'model_kind' is missing", noKind))
        var nested = model.storedForm
        nested.metadata["model_kind"] = ColumnScaledModel.kind
        cases.append(("inside another", nested))
        var missing = model.storedForm
        missing.tensors["model.x.mean"] = nil
        cases.append(("x.mean", missing))
        for (expected, stored) in cases {
            XCTAssertThrowsError(try StoredModels.rebuild(stored)) { error in
                guard case .invalidModel(let problem)? = error as? AlignmentError else { return XCTFail("\(expected): \(error)") }
                XCTAssertTrue(problem.contains(expected), "expected '\(expected)' in: \(problem)")
            }
        }
        XCTAssertThrowsError(try ColumnScaledModel(scalingX: try ColumnScaling(scale: [1]), scalingY: model.scalingY, model: inner))
        XCTAssertThrowsError(try ColumnScaledModel(scalingX: model.scalingX, scalingY: model.scalingY, model: model))
    }

    /// Where the scales differ because the columns differ in importance — a few columns of signal beside many
    /// small columns of noise, as in principal components — standardising would give the noise the signal's
    /// weight. Ridge shows it, and `auto` keeps the columns as given.
    func testAutoKeepsColumnsWhoseScalesCarryTheirImportance() throws {
        let (x, signal) = makeSyntheticPairs(rows: 1500, seed: 22)
        var random = SeededRandom(seed: 9)
        var y = Matrix<Float>(rows: signal.rows, columns: 8 + 40)
        for i in 0..<y.rows {
            for j in 0..<8 { y[i, j] = signal[i, j] }
            for j in 8..<y.columns { y[i, j] = Float(0.003 * random.normal()) }
        }
        XCTAssertGreaterThan(ColumnScaling.spread(of: y), Automatic().columnScaleSpread)
        let (training, test) = try ViewSplits(views: (x, y)).problem(pairs: 60, seed: 2)
        let model = try Automatic().fit(training, context: FitContext(seed: 4))
        XCTAssertTrue(model.reason.contains("columns kept as given"), model.reason)
        XCTAssertFalse(model.model is ColumnScaledModel)
        let ridge = try testRecall(try Ridge().fit(training, context: FitContext(seed: 4)), test)
        let chosen = try testRecall(model, test)
        XCTAssertGreaterThanOrEqual(chosen.xToY.r10, ridge.xToY.r10 - 1, "\(chosen) vs ridge \(ridge)")
        XCTAssertGreaterThanOrEqual(chosen.yToX.r10, ridge.yToX.r10 - 1, "\(chosen) vs ridge \(ridge)")
    }

    func testOneScaleIsNotExaminedAndBadSettingIsRefused() throws {
        let (training, _) = try ViewSplits(views: makeSyntheticPairs(rows: 800, seed: 23)).problem(pairs: 20, seed: 0)
        let model = try Automatic().fit(training, context: FitContext(seed: 1))
        XCTAssertFalse(model.reason.contains("columns' scales"), model.reason)
        var settings = Automatic()
        settings.columnScaleSpread = 0.5
        XCTAssertThrowsError(try settings.fit(training, context: FitContext(seed: 1))) { error in
            guard case .invalidConfiguration(let problem)? = error as? AlignmentError else { return XCTFail("\(error)") }
            XCTAssertTrue(problem.contains("columnScaleSpread"), problem)
        }
    }
}
