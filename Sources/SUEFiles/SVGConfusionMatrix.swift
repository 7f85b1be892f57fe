import Foundation

/// A confusion matrix drawn as an SVG heat map: one row per true class, one column per predicted class, each cell
/// shaded by the share of its row (so a class with few rows is as visible as a large one), the diagonal being the
/// right answers. Hovering a cell shows its counts; with at most 25 classes the counts are also printed in it.
///
/// Plain SVG 1.1 like `SVGScatterPlot`: no scripts, no external resources, numbers with one decimal, so the same
/// matrix always gives the same bytes.
public struct SVGConfusionMatrix {
    /// The heading.
    public var title: String
    /// The class names, in the order of the matrix's rows and columns.
    public var classes: [String]
    /// counts[t][p]: rows of true class t predicted as class p.
    public var counts: [[Int]]
    /// A line under the picture (e.g. the accuracy).
    public var caption: String

    /// A picture of `counts` (square, one row and column per class).
    public init(title: String, classes: [String], counts: [[Int]], caption: String = "") {
        precondition(counts.count == classes.count && counts.allSatisfy { $0.count == classes.count },
                     "a confusion matrix has one row and one column per class")
        self.title = title
        self.classes = classes
        self.counts = counts
        self.caption = caption
    }

    /// The SVG document.
    public func render() -> String {
        let n = max(1, classes.count)
        let cell = max(12.0, min(40.0, 640.0 / Double(n)))
        let fontSize = min(12.0, cell * 0.45)
        // About 0.6 em per character of Helvetica; long names are allowed to run into the margin.
        let labelWidth = min(220.0, 8 + 0.6 * fontSize * Double(classes.map(\.count).max() ?? 1))
        let left = 24 + labelWidth + 18, top = 56 + labelWidth + 18
        let size = cell * Double(n)
        let width = max(left + size + 24, 480)
        let captionLines = caption.isEmpty ? [] : wrapped(caption, characters: Int((width - 48) / 6.6))
        let height = top + size + 40 + 16 * Double(captionLines.count)
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="24" y="28" font-size="18" font-weight="bold">\(xmlEscaped(title))</text>
            <text x="\(f(left + size / 2))" y="50" font-size="13" text-anchor="middle">predicted class</text>
            <text x="16" y="\(f(top + size / 2))" font-size="13" text-anchor="middle" transform="rotate(-90 16 \(f(top + size / 2)))">true class</text>

            """
        s += "<g font-size=\"\(f(fontSize))\">\n"
        for (k, name) in classes.enumerated() {
            let middle = Double(k) * cell + cell / 2 + fontSize * 0.35
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(top + middle))\" text-anchor=\"end\">\(xmlEscaped(name))</text>\n"
            let x = left + middle, y = top - 6
            s += "<text x=\"\(f(x))\" y=\"\(f(y))\" transform=\"rotate(-90 \(f(x)) \(f(y)))\">\(xmlEscaped(name))</text>\n"
        }
        s += "</g>\n<g font-size=\"\(f(fontSize))\" text-anchor=\"middle\">\n"
        for (t, row) in counts.enumerated() {
            let total = row.reduce(0, +)
            for (p, count) in row.enumerated() {
                let share = total == 0 ? 0 : Double(count) / Double(total)
                let x = left + Double(p) * cell, y = top + Double(t) * cell
                let hover = "\(classes[t]) → \(classes[p]): \(count) of \(total) (\(String(format: "%.1f", 100 * share)) %)"
                s += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(shade(share, diagonal: t == p))\" stroke=\"#eee\"><title>\(xmlEscaped(hover))</title></rect>\n"
                if classes.count <= 25 && count > 0 {
                    s += "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + fontSize * 0.35))\" fill=\"\(share > 0.5 ? "white" : "black")\">\(count)</text>\n"
                }
            }
        }
        s += "</g>\n<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(size))\" height=\"\(f(size))\" fill=\"none\" stroke=\"#999\"/>\n"
        for (k, line) in captionLines.enumerated() {
            let y = top + size + 36 + 16 * Double(k)
            s += "<text x=\"24\" y=\"\(f(y))\" font-size=\"12\" fill=\"#444\">\(xmlEscaped(line))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Writes the picture atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(render().utf8), to: url)
    }

    /// White for 0 to full colour for 1: blue on the diagonal (right), red off it (mistakes).
    private func shade(_ share: Double, diagonal: Bool) -> String {
        let (r, g, b) = diagonal ? (31.0, 119.0, 180.0) : (214.0, 39.0, 40.0)   // matplotlib's tab:blue, tab:red
        func mix(_ c: Double) -> Int { Int((255 - (255 - c) * min(max(share, 0), 1)).rounded()) }
        return String(format: "#%02x%02x%02x", mix(r), mix(g), mix(b))
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// `text` cut at spaces into lines of at most `characters` characters (a longer word gets a line of its own).
    private func wrapped(_ text: String, characters: Int) -> [String] {
        var lines = [String](), line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > characters { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}

/// `text` with the characters XML text and double-quoted attributes reserve (& < > ") escaped and the control characters XML 1.0 forbids dropped.
func xmlEscaped(_ text: String) -> String {
    var out = ""
    for c in text.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case _ where c.value < 0x20 && c != "\t" && c != "\n": continue
        default: out.unicodeScalars.append(c)
        }
    }
    return out
}
