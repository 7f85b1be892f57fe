import Foundation

/// A self-contained SVG picture of two modalities in a shared 2-D view, one panel per stage
/// (as in Fig. 13 of the SUE paper: spectral embedding, after CCA, after MMD), X in red and Y in blue.
///
/// Plain SVG 1.1 with no scripts or external resources, so it opens in any browser. Coordinates are
/// printed with one decimal, so the same points always give the same bytes. Each panel is scaled to its
/// own points (the 0.2–99.8th percentile range plus a margin, so that a few outliers do not shrink the
/// picture into a dot); points outside are clamped to the frame edge. Optional hover labels (`<title>`)
/// show e.g. the text of a point; optional links draw a grey line between the two sides of known pairs.
public struct SVGScatterPlot {
    /// One panel: the points of X and Y at one stage, under a title.
    public struct Panel {
        /// The caption under the panel.
        public var title: String
        /// The 2-D positions of the X points.
        public var x: [SIMD2<Double>]
        /// The 2-D positions of the Y points.
        public var y: [SIMD2<Double>]
        /// Pairs to connect with a line: (index into `x`, index into `y`).
        public var links: [(x: Int, y: Int)]

        /// A panel; without `links` no lines are drawn.
        public init(title: String, x: [SIMD2<Double>], y: [SIMD2<Double>], links: [(x: Int, y: Int)] = []) {
            self.title = title
            self.x = x
            self.y = y
            self.links = links
        }
    }

    /// The heading above the panels.
    public var title: String
    /// The panels, left to right.
    public var panels: [Panel]
    /// The legend name of the X points.
    public var xName: String
    /// The legend name of the Y points.
    public var yName: String
    /// A line of text under the panels (what the picture shows, how it was made).
    public var caption: String
    /// Hover labels for the points of X, in the same order (may be empty or shorter).
    public var xLabels: [String]
    /// Hover labels for the points of Y, in the same order (may be empty or shorter).
    public var yLabels: [String]

    /// Fill colour of the X points (matplotlib's `tab:red`).
    public static let xColour = "#d62728"
    /// Fill colour of the Y points (matplotlib's `tab:blue`).
    public static let yColour = "#1f77b4"

    /// A picture of `panels` under `title`; the legend names default to "X" and "Y", caption and labels to none.
    public init(title: String, panels: [Panel], xName: String = "X", yName: String = "Y", caption: String = "",
                xLabels: [String] = [], yLabels: [String] = []) {
        self.title = title
        self.panels = panels
        self.xName = xName
        self.yName = yName
        self.caption = caption
        self.xLabels = xLabels
        self.yLabels = yLabels
    }

    /// The SVG document.
    public func render(panelSize: Double = 360) -> String {
        let gap = 24.0, top = 56.0, bottom = caption.isEmpty ? 40.0 : 64.0
        let width = Double(max(1, panels.count)) * (panelSize + gap) + gap
        let height = top + panelSize + bottom
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(gap))" y="26" font-size="18" font-weight="bold">\(escape(title))</text>
            <g font-size="13"><circle cx="\(f(gap + 6))" cy="42" r="5" fill="\(Self.xColour)"/><text x="\(f(gap + 16))" y="46">\(escape(xName))</text>
            <circle cx="\(f(gap + 26 + Double(xName.count) * 7.5))" cy="42" r="5" fill="\(Self.yColour)"/><text x="\(f(gap + 36 + Double(xName.count) * 7.5))" y="46">\(escape(yName))</text></g>

            """
        for (k, panel) in panels.enumerated() {
            let left = gap + Double(k) * (panelSize + gap)
            s += renderPanel(panel, left: left, top: top, size: panelSize)
        }
        if !caption.isEmpty {
            s += "<text x=\"\(f(gap))\" y=\"\(f(height - 20))\" font-size=\"12\" fill=\"#444\">\(escape(caption))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Writes the picture atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(render().utf8), to: url)
    }

    private func renderPanel(_ panel: Panel, left: Double, top: Double, size: Double) -> String {
        let all = panel.x + panel.y
        let (xs, ys) = (all.map(\.x).filter(\.isFinite), all.map(\.y).filter(\.isFinite))
        let (x0, x1) = robustRange(xs), (y0, y1) = robustRange(ys)
        let inner = size - 16
        func px(_ p: SIMD2<Double>) -> (Double, Double) {
            let u = x1 > x0 ? (p.x - x0) / (x1 - x0) : 0.5
            let v = y1 > y0 ? (p.y - y0) / (y1 - y0) : 0.5
            let cu = min(max(u.isFinite ? u : 0.5, 0), 1), cv = min(max(v.isFinite ? v : 0.5, 0), 1)
            return (left + 8 + cu * inner, top + 8 + (1 - cv) * inner)  // SVG's y axis points down
        }
        var s = "<g>\n<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(size))\" height=\"\(f(size))\" fill=\"none\" stroke=\"#999\"/>\n"
        s += "<text x=\"\(f(left + size / 2))\" y=\"\(f(top + size + 18))\" font-size=\"14\" text-anchor=\"middle\">\(escape(panel.title))</text>\n"
        if !panel.links.isEmpty {
            s += "<g stroke=\"#888\" stroke-width=\"0.6\" stroke-opacity=\"0.6\">\n"
            for link in panel.links where panel.x.indices.contains(link.x) && panel.y.indices.contains(link.y) {
                let (a, b) = (px(panel.x[link.x]), px(panel.y[link.y]))
                s += "<line x1=\"\(f(a.0))\" y1=\"\(f(a.1))\" x2=\"\(f(b.0))\" y2=\"\(f(b.1))\"/>\n"
            }
            s += "</g>\n"
        }
        for (points, colour, labels) in [(panel.x, Self.xColour, xLabels), (panel.y, Self.yColour, yLabels)] {
            s += "<g fill=\"\(colour)\" fill-opacity=\"0.55\">\n"
            for (i, p) in points.enumerated() {
                let (cx, cy) = px(p)
                if i < labels.count {
                    s += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"2\"><title>\(escape(labels[i]))</title></circle>\n"
                } else {
                    s += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"2\"/>\n"
                }
            }
            s += "</g>\n"
        }
        return s + "</g>\n"
    }

    /// The 0.2–99.8th percentile range widened by 5 % on each side (the full range for fewer than 500 points).
    private func robustRange(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (0, 1) }
        let sorted = values.sorted()
        let cut = sorted.count / 500
        let lo = sorted[cut], hi = sorted[sorted.count - 1 - cut]
        let margin = (hi - lo) * 0.05
        return (lo - margin, hi + margin)
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private func escape(_ text: String) -> String { xmlEscaped(text) }
}
