import Histograms

/// A value range mapped onto a length, linearly or logarithmically.
struct Scale {
    var lower: Double
    var upper: Double
    var log: Bool

    /// 0 at `lower`, 1 at `upper` (values ≤ 0 on a log scale clamp below the range).
    func position(_ v: Double) -> Double {
        if log {
            let a = _log10(lower), b = _log10(upper)
            return v > 0 ? (_log10(v) - a) / (b - a) : -1
        }
        return (v - lower) / (upper - lower)
    }
}

/// A plotting frame: the rectangle on the canvas, its scales, and the HEP-style axes drawn
/// around it (ticks pointing inwards on all four sides, minor ticks, the x title at the right
/// end, the y title at the top).
struct Panel {
    let x, y, w, h: Double
    var xs: Scale
    var ys: Scale

    func px(_ v: Double) -> Double { x + w * xs.position(v) }
    func py(_ v: Double) -> Double { y + h * (1 - ys.position(v)) }

    static let tickFont = 15.0, titleFont = 17.0

    /// Major and minor tick values of a scale, and the step that sets label decimals.
    static func ticks(_ s: Scale, target: Int) -> (major: [Double], minor: [Double], step: Double) {
        if s.log {
            var decades = Ticks.decades(s.lower, s.upper)
            // Less than a decade or two: round numbers between.
            if decades.count < 2 { decades = Ticks.linear(s.lower, s.upper, target: 4).ticks.filter { $0 > 0 } }
            var minor: [Double] = []
            let a = Int(_log10(s.lower).rounded(.down)), b = Int(_log10(s.upper).rounded(.up))
            if b - a < 12 {
                for e in a...b { for m in 2...9 { let v = Double(m) * _pow10(Double(e)); if v >= s.lower && v <= s.upper { minor.append(v) } } }
            }
            return (decades, minor, 1)
        }
        let (major, step) = Ticks.linear(s.lower, s.upper, target: target)
        let mantissa = (step / _pow10(_log10(step).rounded(.down))).rounded()
        let minorStep = step / (mantissa == 2 ? 4 : 5)
        var minor: [Double] = []
        var k = (s.lower / minorStep).rounded(.up)
        while k * minorStep <= s.upper + minorStep * 1e-9 && minor.count < 2000 {
            minor.append(k * minorStep)
            k += 1
        }
        return (major, minor, step)
    }

    static func label(_ v: Double, _ s: Scale, step: Double) -> String {
        guard s.log else { return Ticks.label(v, step: step) }
        let e = _log10(v)
        guard e == e.rounded(), !(0...3).contains(Int(e)) else { return Ticks.label(v, step: v >= 1 ? 1 : v) }
        let digits = Array("⁰¹²³⁴⁵⁶⁷⁸⁹")
        return "10" + (e < 0 ? "⁻" : "") + String(String(abs(Int(e))).map { digits[Int(String($0))!] })
    }

    /// The frame, ticks, tick labels (x labels only if `xLabels`, or the given names at bin
    /// centres) and titles.
    func drawAxes(_ c: Canvas, xTitle: String, yTitle: String, xLabels: Bool = true, xNames: [String]? = nil) {
        c.color(RGB(0, 0, 0))
        c.strokeRect(x, y, w, h, width: 1.2)
        let (xmaj, xmin, xstep) = Panel.ticks(xs, target: max(3, Int(w / 110)))
        let (ymaj, ymin, ystep) = Panel.ticks(ys, target: max(3, Int(h / 70)))
        for v in xmin where (0...1).contains(xs.position(v)) {
            c.line([(px(v), y + h), (px(v), y + h - 5)], width: 1)
            c.line([(px(v), y), (px(v), y + 5)], width: 1)
        }
        for v in ymin where (0...1).contains(ys.position(v)) {
            c.line([(x, py(v)), (x + 5, py(v))], width: 1)
            c.line([(x + w, py(v)), (x + w - 5, py(v))], width: 1)
        }
        c.font(Panel.tickFont)
        if let xNames {
            for (i, name) in xNames.enumerated() {
                let v = xs.lower + (Double(i) + 0.5) * (xs.upper - xs.lower) / Double(xNames.count)
                c.text(name, px(v), y + h + 20, align: 0.5)
            }
        }
        for v in xmaj where (0...1).contains(xs.position(v)) && xNames == nil {
            c.line([(px(v), y + h), (px(v), y + h - 10)], width: 1.2)
            c.line([(px(v), y), (px(v), y + 10)], width: 1.2)
            if xLabels { c.text(Panel.label(v, xs, step: xstep), px(v), y + h + 20, align: 0.5) }
        }
        var widest = 0.0
        for v in ymaj where (0...1).contains(ys.position(v)) {
            c.line([(x, py(v)), (x + 10, py(v))], width: 1.2)
            c.line([(x + w, py(v)), (x + w - 10, py(v))], width: 1.2)
            let s = Panel.label(v, ys, step: ystep)
            widest = max(widest, c.textWidth(s))
            c.text(s, x - 6, py(v) + 5, align: 1)
        }
        if xLabels { c.runs(Canvas.parse(xTitle), x + w, y + h + 44, size: Panel.titleFont, align: 1) }
        c.runs(Canvas.parse(yTitle), x - widest - 16, y, size: Panel.titleFont, align: 1, angle: -Double.pi / 2)
    }

    /// The experiment label inside the top left corner: its first word bold, the rest italic;
    /// then smaller notes below it.
    func drawLabel(_ c: Canvas, _ label: String, notes: [String] = []) {
        let words = label.split(separator: " ", maxSplits: 1).map(String.init)
        c.color(RGB(0, 0, 0))
        c.runs([(words.first ?? "", .bold)] + (words.count > 1 ? [(" " + words[1], .italic)] : []), x + 14, y + 30, size: 20)
        c.color(RGB(0.25, 0.25, 0.25))
        c.font(13)
        for (i, n) in notes.enumerated() { c.text(n, x + 14, y + 52 + 17 * Double(i)) }
    }
}

/// Which events a histogram holds: "all events", or "after: <the last cut applied>".
func stageNote(_ h: Histogram) -> String? {
    guard case .string(let stage)? = h.metadata["darkscan.stage"] else { return nil }
    return h.metadata["darkscan.stage_index"] == .int(0) ? stage : "after: \(stage)"
}

/// A short summary of the data behind a histogram, for the corner above the frame.
func dataNote(_ h: Histogram) -> String {
    var parts: [String] = []
    if let n = h.metadata["darkscan.events"]?.number { parts.append("\(Ticks.value(n)) events read") }
    if let eot = h.metadata["darkscan.eot"]?.number { parts.append("\(Ticks.value(eot)) EOT") }
    if case .string(let runs)? = h.metadata["darkscan.runs"] {
        let list = runs.split(separator: ",")
        parts.append(list.count <= 3 ? "run \(list.joined(separator: ", "))" : "\(list.count) runs")
    }
    return parts.joined(separator: ", ")
}
