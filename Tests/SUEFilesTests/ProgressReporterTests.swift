import Foundation
import XCTest
import SUEFiles

final class ProgressReporterTests: XCTestCase {
    /// A reporter on a fake clock that records what it prints.
    private final class Recorder {
        var now = 0.0
        var text = ""
        func reporter(_ style: ProgressReporter.Style) -> ProgressReporter {
            ProgressReporter(style: style, output: { self.text += $0 }, clock: { self.now })
        }
    }

    func testShortStepsAreSilent() {
        let r = Recorder()
        let p = r.reporter(.lines)
        p.begin("k-nearest neighbours")
        r.now = 0.5
        p.update("half", fraction: 0.5)
        r.now = 0.9
        p.end()
        XCTAssertEqual(r.text, "")
    }

    func testPlainLinesWhenNotATerminal() {
        let r = Recorder()
        let p = r.reporter(.lines)
        p.begin("training")
        for epoch in 1...30 {
            r.now = Double(epoch) * 0.25
            p.update("epoch \(epoch)/30, loss 0.5", fraction: Double(epoch) / 30)
        }
        p.end()
        let lines = r.text.split(separator: "\n")
        XCTAssertFalse(r.text.contains("\r"))
        XCTAssertEqual(lines.first, "training: epoch 4/30, loss 0.5 [ 13%] 1.0 s")
        XCTAssertEqual(lines.count, 8, r.text)  // one line per second over 7.5 s, plus the summary
        XCTAssertEqual(lines.last, "training: done in 7.5 s")
    }

    func testTerminalRedrawsInPlace() {
        let r = Recorder()
        let p = r.reporter(.terminal)
        p.step("eigen-solve") {
            r.now = 1.0
            p.update("iteration 3")
            r.now = 1.05
            p.update("iteration 4")  // within 0.1 s: not redrawn
            r.now = 1.2
            p.update("iteration 5")
        }
        XCTAssertEqual(r.text, "\r\u{1B}[Keigen-solve: iteration 3 1.0 s\r\u{1B}[Keigen-solve: iteration 5 1.2 s\r\u{1B}[Keigen-solve: done in 1.2 s\n")
    }

    func testStageCallbackStartsAndEndsSteps() {
        let r = Recorder()
        let p = r.reporter(.lines)
        let callback: (String, Double?, String) -> Void = p.report
        callback("kNN graph", 0, "start")
        r.now = 1.5
        callback("kNN graph", 0.5, "half")
        r.now = 2.0
        callback("eigen-solve", nil, "iteration 1")  // ends "kNN graph" (2.0 s), begins the next stage
        r.now = 2.3
        p.end()                                         // 0.3 s: too short to mention
        XCTAssertEqual(r.text, "kNN graph: half [ 50%] 1.5 s\nkNN graph: done in 2.0 s\n")
    }

    func testCancelErasesTheStatusLine() {
        let r = Recorder()
        let p = r.reporter(.terminal)
        p.begin("training")
        r.now = 2
        p.update("epoch 1")
        p.cancel()
        p.end()  // nothing left to end
        XCTAssertEqual(r.text, "\r\u{1B}[Ktraining: epoch 1 2.0 s\r\u{1B}[K")
    }

    func testQuietPrintsNothing() {
        let r = Recorder()
        let p = r.reporter(.silent)
        p.begin("x")
        r.now = 10
        p.update("y")
        p.end()
        XCTAssertEqual(r.text, "")
    }
}
