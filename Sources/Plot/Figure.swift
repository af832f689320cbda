import Histograms

/// How a histogram is drawn.
public struct PlotOptions: Sendable {
    /// A logarithmic y axis (1D); 2D colours are logarithmic whatever this says, unless
    /// `linearColors`.
    public var log = false
    public var linearColors = false
    /// Scale to unit area (Σ over the drawn bins = 1, or ∫ = 1 with `perBinWidth`).
    public var normalize = false
    /// Divide each bin by its width: a density, needed to compare variable-width bins.
    public var perBinWidth = false
    /// The experiment label, top left: its first word bold, the rest italic.
    public var label = "NA64-like simulation"
    public var width = 800.0
    public var height = 600.0

    public init() {}
}

/// Pictures of histograms: 1D (one, or several overlaid) and 2D.
public enum Figure {
    /// Distinguishable line colours for overlays.
    static let palette: [RGB] = [0x1F5FA8, 0xD1495B, 0x2E8B57, 0xE0A100, 0x7B3FA0, 0x00A6A6, 0x8C564B, 0x555555].map { RGB(hex: $0) }

    /// Draws `histograms` to `path`: a 2D histogram alone, or 1D histograms overlaid (all on
    /// the same axis: the stages of one spec, for instance).
    public static func write(_ histograms: [Histogram], to path: String, format: ImageFormat, options: PlotOptions = PlotOptions()) throws(HistogramError) {
        precondition(!histograms.isEmpty)
        try Picture.render(path, format, width: options.width, height: options.height) { c in
            if histograms[0].axes.count == 2 { draw2D(histograms[0], c, options) } else { draw1D(histograms, c, options) }
        }
    }

    // MARK: - 1D

    /// The y values of the drawn bins (flow bins left out) and their errors, scaled as asked.
    static func series(_ h: Histogram, _ o: PlotOptions) -> (values: [Double], errors: [Double]) {
        let a = h.axes[0]
        let f = a.hasFlow ? 1 : 0
        var v = Array(h.values[f..<f + a.bins]), e = h.variances[f..<f + a.bins].map { $0.squareRoot() }
        if o.perBinWidth {
            for i in v.indices {
                let w = a.edge(i + 1) - a.edge(i)
                v[i] /= w
                e[i] /= w
            }
        }
        if o.normalize {
            let area = o.perBinWidth ? (0..<a.bins).reduce(0.0) { $0 + v[$1] * (a.edge($1 + 1) - a.edge($1)) } : v.reduce(0, +)
            if area != 0 { for i in v.indices { v[i] /= area; e[i] /= area } }
        }
        return (v, e)
    }

    /// "Events / 1 GeV", "Events / GeV", "Fraction of events / bin", …
    static func yTitle(_ h: Histogram, _ o: PlotOptions) -> String {
        let a = h.axes[0]
        let what = o.normalize ? "Fraction of events" : (h.storage.isWeighted ? "Weighted events" : "Events")
        let unit = a.unit.isEmpty ? "" : " \(a.unit)"
        if o.perBinWidth { return "\(what) / \(a.unit.isEmpty ? "unit" : a.unit)" }
        switch a.kind {
        case .regular(let n, let lo, let hi):
            return "\(what) / \(Ticks.value((hi - lo) / Double(n)))\(unit)"
        case .integer: return "\(what) / 1\(unit)"
        case .variable, .boolean: return "\(what) / bin"
        }
    }

    static func draw1D(_ hs: [Histogram], _ c: Canvas, _ o: PlotOptions) {
        let a = hs[0].axes[0]
        let data = hs.map { series($0, o) }
        let top = data.flatMap { zip($0.values, $0.errors).map { $0 + $1 } }.max() ?? 1
        let positive = data.flatMap(\.values).filter { $0 > 0 }
        var ys: Scale
        if o.log {
            let low = (positive.min() ?? 1) / 3, high = max(top, low * 10)
            ys = Scale(lower: low, upper: high * _pow10((_log10(high) - _log10(low)) * 0.45), log: true)
        } else {
            let low = min(0, data.flatMap(\.values).min() ?? 0)
            ys = Scale(lower: low, upper: top > 0 ? top * 1.45 : 1, log: false)
        }
        let panel = Panel(x: 100, y: 40, w: c.width - 130, h: c.height - 120, xs: Scale(lower: a.edge(0), upper: a.edge(a.bins), log: false), ys: ys)
        c.clip(panel.x, panel.y, panel.w, panel.h)
        for (k, d) in data.enumerated() {
            let col = palette[k % palette.count]
            c.color(col)
            var step: [(Double, Double)] = []
            let floor = o.log ? ys.lower : max(ys.lower, 0)
            step.append((panel.px(a.edge(0)), panel.py(floor)))
            for i in 0..<a.bins {
                let y = panel.py(max(d.values[i], floor))
                step.append((panel.px(a.edge(i)), y))
                step.append((panel.px(a.edge(i + 1)), y))
            }
            step.append((panel.px(a.edge(a.bins)), panel.py(floor)))
            if hs.count == 1 {
                c.color(col, alpha: 0.18)
                c.fillPolygon(step)
                c.color(col)
            }
            c.line(step, width: 1.8)
            // Error bars: ±√Σw² at the bin centres.
            for i in 0..<a.bins where d.errors[i] > 0 {
                let x = panel.px((a.edge(i) + a.edge(i + 1)) / 2)
                c.line([(x, panel.py(max(d.values[i] - d.errors[i], floor))), (x, panel.py(d.values[i] + d.errors[i]))], width: 1.2)
            }
        }
        c.unclip()
        let names: [String]? = a.kind == .boolean ? ["false", "true"] : nil
        panel.drawAxes(c, xTitle: a.label, yTitle: yTitle(hs[0], o), xNames: names)
        // Flow bins are not drawn; they are counted in the corner, as are entries dropped.
        var notes: [String] = []
        if hs.count == 1 {
            let v = hs[0].values
            if a.hasFlow && (v[0] != 0 || v[a.bins + 1] != 0) {
                notes.append("underflow \(Ticks.value(v[0])), overflow \(Ticks.value(v[a.bins + 1]))")
            }
            if let stage = stageNote(hs[0]) { notes.append(stage) }
        }
        panel.drawLabel(c, o.label, notes: notes)
        c.font(13)
        c.color(RGB(0, 0, 0))
        c.text(dataNote(hs[0]), panel.x + panel.w, panel.y - 10, align: 1)
        if hs.count > 1 { legend(hs, c, panel) }
    }

    static func legend(_ hs: [Histogram], _ c: Canvas, _ p: Panel) {
        c.font(13)
        let texts = hs.map { h -> String in
            var s: String
            if case .string(let stage)? = h.metadata["darkscan.stage"] { s = stage } else { s = h.name }
            let v = h.values, a = h.axes[0]
            if a.hasFlow && (v[0] != 0 || v[a.bins + 1] != 0) { s += " (uf \(Ticks.value(v[0])), of \(Ticks.value(v[a.bins + 1])))" }
            return s
        }
        let w = (texts.map { c.textWidth($0) }.max() ?? 0) + 40
        for (k, t) in texts.enumerated() {
            let y = p.y + 24 + 19 * Double(k)
            c.color(palette[k % palette.count])
            c.line([(p.x + p.w - w, y - 4), (p.x + p.w - w + 26, y - 4)], width: 2.5)
            c.color(RGB(0, 0, 0))
            c.text(t, p.x + p.w - w + 32, y)
        }
    }

    // MARK: - 2D

    /// Colours of the drawn cells of a 2D histogram, top row first (nil: empty, left white).
    static func cellColors(_ h: Histogram, _ scale: ColorScale) -> (colors: [RGB?], columns: Int, rows: Int) {
        let (a, b) = (h.axes[0], h.axes[1])
        let fa = a.hasFlow ? 1 : 0, fb = b.hasFlow ? 1 : 0
        let v = h.values
        var out = [RGB?](repeating: nil, count: a.bins * b.bins)
        for i in 0..<a.bins {
            for j in 0..<b.bins {
                out[(b.bins - 1 - j) * a.bins + i] = scale.position(v[(i + fa) * b.extent + j + fb]).map(Viridis.color)
            }
        }
        return (out, a.bins, b.bins)
    }

    /// The cells of the drawn area only (flow bins excluded).
    static func drawnValues(_ h: Histogram) -> [Double] {
        let (a, b) = (h.axes[0], h.axes[1])
        let fa = a.hasFlow ? 1 : 0, fb = b.hasFlow ? 1 : 0
        let v = h.values
        return (0..<a.bins).flatMap { i in (0..<b.bins).map { j in v[(i + fa) * b.extent + j + fb] } }
    }

    /// A 2D histogram in `panel`, cells by colour; variable axes draw cells at their edges.
    static func drawCells(_ h: Histogram, _ c: Canvas, _ panel: Panel, _ scale: ColorScale) {
        let (a, b) = (h.axes[0], h.axes[1])
        if case .variable = a.kind {} else if case .variable = b.kind {} else {
            let (colors, columns, rows) = cellColors(h, scale)
            c.cells(colors, columns: columns, rows: rows, x: panel.x, y: panel.y, w: panel.w, h: panel.h)
            return
        }
        let fa = a.hasFlow ? 1 : 0, fb = b.hasFlow ? 1 : 0
        let v = h.values
        for i in 0..<a.bins {
            for j in 0..<b.bins {
                guard let t = scale.position(v[(i + fa) * b.extent + j + fb]) else { continue }
                c.color(Viridis.color(t))
                let x0 = panel.px(a.edge(i)), x1 = panel.px(a.edge(i + 1)), y0 = panel.py(b.edge(j + 1)), y1 = panel.py(b.edge(j))
                c.fillRect(x0, y0, x1 - x0 + 0.5, y1 - y0 + 0.5)
            }
        }
    }

    /// A colour bar beside a panel, with its ticks and title.
    static func colorBar(_ c: Canvas, _ scale: ColorScale, x: Double, y: Double, h: Double, title: String) {
        let steps = 128
        c.cells((0..<steps).map { Viridis.color(1 - (Double($0) + 0.5) / Double(steps)) }, columns: 1, rows: steps, x: x, y: y, w: 18, h: h)
        c.color(RGB(0, 0, 0))
        c.strokeRect(x, y, 18, h, width: 1)
        let s = Scale(lower: scale.low, upper: scale.high, log: scale.log)
        var (major, _, step) = Panel.ticks(s, target: 5)
        if major.isEmpty { major = [scale.low, scale.high] }
        c.font(13)
        for v in major where (0...1).contains(s.position(v)) {
            let ty = y + h * (1 - s.position(v))
            c.line([(x + 18, ty), (x + 12, ty)], width: 1)
            c.text(Panel.label(v, s, step: step), x + 22, ty + 4)
        }
        c.font(Panel.titleFont)
        c.text(title, x + 70, y, align: 0, angle: Double.pi / 2)
    }

    static func panel2D(_ h: Histogram, width: Double, height: Double) -> Panel {
        let (a, b) = (h.axes[0], h.axes[1])
        return Panel(x: 100, y: 40, w: width - 230, h: height - 120,
                     xs: Scale(lower: a.edge(0), upper: a.edge(a.bins), log: false), ys: Scale(lower: b.edge(0), upper: b.edge(b.bins), log: false))
    }

    /// Where the centre of bin (i, j) (0-based, flow bins not counted) of a 2D histogram lands
    /// in its picture, in pixels.
    public static func center(ofBin i: Int, _ j: Int, of h: Histogram, options: PlotOptions = PlotOptions()) -> (x: Double, y: Double) {
        let p = panel2D(h, width: options.width, height: options.height)
        let (a, b) = (h.axes[0], h.axes[1])
        return (p.px((a.edge(i) + a.edge(i + 1)) / 2), p.py((b.edge(j) + b.edge(j + 1)) / 2))
    }

    static func draw2D(_ h: Histogram, _ c: Canvas, _ o: PlotOptions) {
        let (a, b) = (h.axes[0], h.axes[1])
        let panel = panel2D(h, width: c.width, height: c.height)
        let scale = ColorScale(values: drawnValues(h), log: !o.linearColors)
        drawCells(h, c, panel, scale)
        panel.drawAxes(c, xTitle: a.label, yTitle: b.label, xNames: a.kind == .boolean ? ["false", "true"] : nil)
        colorBar(c, scale, x: panel.x + panel.w + 14, y: panel.y, h: panel.h, title: h.storage.isWeighted ? "Weighted events / cell" : "Events / cell")
        let outside = h.total - drawnValues(h).reduce(0, +)
        var notes: [String] = []
        if outside != 0 { notes.append("\(Ticks.value(outside)) outside the axes") }
        if let stage = stageNote(h) { notes.append(stage) }
        panel.drawLabel(c, o.label, notes: notes)
        c.font(13)
        c.text(dataNote(h), panel.x + panel.w, panel.y - 10, align: 1)
    }
}
