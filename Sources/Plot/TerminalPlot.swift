import Histograms

/// How to draw in a terminal: decided once from the environment.
public struct TerminalStyle: Sendable {
    public enum Color: Sendable { case palette256, truecolor }
    /// Numbers only: no block characters, no escape codes (output not a terminal, `TERM=dumb`
    /// or `NO_COLOR` set).
    public var plain: Bool
    public var color: Color
    /// Columns available.
    public var width: Int
    /// Logarithmic bar lengths (1D); 2D colours are always logarithmic.
    public var log = false

    public init(plain: Bool, color: Color, width: Int) {
        self.plain = plain
        self.color = color
        self.width = max(40, width)
    }

    /// `isTerminal`: whether the output is a terminal; `columns` its width when known.
    public static func detect(isTerminal: Bool, environment env: [String: String], columns: Int?) -> TerminalStyle {
        let plain = !isTerminal || !(env["NO_COLOR"] ?? "").isEmpty || env["TERM"] == "dumb"
        let truecolor = ["truecolor", "24bit"].contains(env["COLORTERM"]?.lowercased() ?? "")
        return TerminalStyle(plain: plain, color: truecolor ? .truecolor : .palette256, width: columns ?? Int(env["COLUMNS"] ?? "") ?? 80)
    }
}

/// Histograms as text: 1D as horizontal bars with the numbers beside them, 2D as a heat map of
/// half blocks (two rows of cells per line); plain numbers when the style says so.
public enum TerminalPlot {
    public static func render(_ h: Histogram, _ style: TerminalStyle) -> String {
        if style.plain { return h.axes.count == 1 ? plain1D(h) : plain2D(h) }
        return h.axes.count == 1 ? bars(h, style) : heatMap(h, style)
    }

    static func header(_ h: Histogram) -> String {
        var s = h.name
        if let stage = stageNote(h) { s += "  (\(stage))" }
        return s + "  — \(Ticks.value(h.total)) \(h.storage.isWeighted ? "Σw" : "entries")"
    }

    /// Text for the bin edges lo…hi of an axis.
    static func binLabel(_ a: Axis, _ from: Int, _ to: Int) -> String {
        switch a.kind {
        case .boolean: return from == to ? (from == 0 ? "false" : "true") : "false, true"
        case .integer:
            let lo = Int(a.edge(from)), hi = Int(a.edge(to + 1)) - 1
            return lo == hi ? String(lo) : "\(lo)…\(hi)"
        default:
            let step = width(a)
            return "\(Ticks.label(a.edge(from), step: step)) – \(Ticks.label(a.edge(to + 1), step: step))"
        }
    }

    /// The narrowest bin width, which sets how many decimals edge labels need.
    static func width(_ a: Axis) -> Double {
        (0..<min(a.bins, 1000)).map { a.edge($0 + 1) - a.edge($0) }.min() ?? 1
    }

    // MARK: - 1D

    static let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    static func bars(_ h: Histogram, _ style: TerminalStyle) -> String {
        let a = h.axes[0]
        let v = h.values, e = h.variances
        let flow = a.hasFlow ? 1 : 0
        // At most 50 rows: neighbouring bins are merged in groups.
        let group = max(1, (a.bins + 49) / 50)
        var rows: [(label: String, value: Double, variance: Double)] = []
        if flow == 1 && v[0] != 0 { rows.append(("< \(Ticks.label(a.edge(0), step: width(a)))", v[0], e[0])) }
        var b = 0
        while b < a.bins {
            let last = min(a.bins, b + group) - 1
            rows.append((binLabel(a, b, last), v[flow + b...flow + last].reduce(0, +), e[flow + b...flow + last].reduce(0, +)))
            b = last + 1
        }
        if flow == 1 && v[a.bins + 1] != 0 { rows.append(("≥ \(Ticks.label(a.edge(a.bins), step: width(a))) or NaN", v[a.bins + 1], e[a.bins + 1])) }
        let weighted = h.storage.isWeighted
        let numbers = rows.map { Ticks.value($0.value) + (weighted ? " ± " + Ticks.value($0.variance.squareRoot()) : "") }
        let labelWidth = rows.map(\.label.count).max() ?? 0
        let numberWidth = numbers.map(\.count).max() ?? 0
        let barWidth = max(10, style.width - labelWidth - numberWidth - 4)
        let top = rows.map(\.value).max() ?? 0
        var out = [header(h) + (group > 1 ? "  [\(group) bins a row]" : ""), "  " + a.label]
        for (r, n) in zip(rows, numbers) {
            var frac = top > 0 ? max(0, r.value) / top : 0
            if style.log, r.value > 0 { frac = top > 1 ? max(0, _log10(r.value) + 1) / (_log10(top) + 1) : 1 }
            let eighthsLong = Int((frac * Double(barWidth * 8)).rounded())
            let bar = String(repeating: "█", count: eighthsLong / 8) + eighths[eighthsLong % 8]
            let pad = String(repeating: " ", count: labelWidth - r.label.count)
            out.append(pad + r.label + " │" + bar + String(repeating: " ", count: max(0, barWidth - bar.count)) + " " + String(repeating: " ", count: numberWidth - n.count) + n)
        }
        if style.log { out.append("  (bar lengths logarithmic)") }
        return out.joined(separator: "\n")
    }

    static func plain1D(_ h: Histogram) -> String {
        let a = h.axes[0]
        let v = h.values, e = h.variances
        var out = ["# " + header(h), "# \(a.label)", "lower\tupper\tvalue" + (h.storage.isWeighted ? "\terror" : "")]
        for c in 0..<a.extent {
            let (lo, hi) = edges(a, c)
            out.append("\(lo)\t\(hi)\t\(number(v[c]))" + (h.storage.isWeighted ? "\t\(number(e[c].squareRoot()))" : ""))
        }
        return out.joined(separator: "\n")
    }

    /// Stored cell c of an axis as edge texts (flow cells reach to ∓inf; the overflow holds NaN).
    static func edges(_ a: Axis, _ c: Int) -> (String, String) {
        guard a.hasFlow else { return (c == 0 ? "false" : "true", "") }
        if c == 0 { return ("-inf", edge(a.edge(0))) }
        if c == a.bins + 1 { return (edge(a.edge(a.bins)), "inf") }
        return (edge(a.edge(c - 1)), edge(a.edge(c)))
    }

    /// An edge as a person wrote it: rounded to 12 significant digits, which takes away what
    /// computing `lower + i × width` in binary adds (3.4000000000000004 is printed 3.4).
    static func edge(_ x: Double) -> String {
        guard x.isFinite, x != 0 else { return number(x) }
        var e = 0, m = x.magnitude  // e = ⌊log10 |x|⌋
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        let digits = 11 - e
        guard (-22...22).contains(digits) else { return number(x) }
        let scale = power10(abs(digits))
        let r = digits >= 0 ? (x * scale).rounded() / scale : (x / scale).rounded() * scale
        return number(r)
    }

    /// 10^n, exact for n ≤ 22.
    static func power10(_ n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return p
    }

    static func number(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x) }

    // MARK: - 2D

    static func plain2D(_ h: Histogram) -> String {
        let (a, b) = (h.axes[0], h.axes[1])
        let v = h.values, e = h.variances
        var out = ["# " + header(h), "# x: \(a.label); y: \(b.label); cells with entries, flow cells reaching to ±inf",
                   "x_lower\tx_upper\ty_lower\ty_upper\tvalue" + (h.storage.isWeighted ? "\terror" : "")]
        for i in 0..<a.extent {
            for j in 0..<b.extent where v[i * b.extent + j] != 0 {
                let (x0, x1) = edges(a, i), (y0, y1) = edges(b, j)
                let c = i * b.extent + j
                out.append("\(x0)\t\(x1)\t\(y0)\t\(y1)\t\(number(v[c]))" + (h.storage.isWeighted ? "\t\(number(e[c].squareRoot()))" : ""))
            }
        }
        return out.joined(separator: "\n")
    }

    static func heatMap(_ h: Histogram, _ style: TerminalStyle) -> String {
        let (a, b) = (h.axes[0], h.axes[1])
        let v = h.values
        let fa = a.hasFlow ? 1 : 0, fb = b.hasFlow ? 1 : 0
        let margin = 9
        // Merge neighbouring bins so that the map fits: columns in the width, at most 48 rows
        // of cells (24 lines).
        let kx = max(1, (a.bins + style.width - margin - 2) / (style.width - margin - 1))
        let ky = max(1, (b.bins + 47) / 48)
        let nx = (a.bins + kx - 1) / kx, ny = (b.bins + ky - 1) / ky
        var cells = [Double](repeating: 0, count: nx * ny)
        for i in 0..<a.bins {
            for j in 0..<b.bins { cells[(i / kx) * ny + j / ky] += v[(i + fa) * b.extent + j + fb] }
        }
        let scale = ColorScale(values: cells, log: true)
        func code(_ c: RGB, background: Bool) -> String {
            let (r, g, bl) = c.bytes
            switch style.color {
            case .truecolor: return "\u{1B}[\(background ? 48 : 38);2;\(r);\(g);\(bl)m"
            case .palette256:
                let q = { (x: UInt8) in Int((Double(x) / 255 * 5).rounded()) }
                return "\u{1B}[\(background ? 48 : 38);5;\(16 + 36 * q(r) + 6 * q(g) + q(bl))m"
            }
        }
        func color(_ x: Double) -> RGB? { scale.position(x).map(Viridis.color) }
        var lines = [header(h) + (kx > 1 || ky > 1 ? "  [\(kx)×\(ky) bins a cell]" : ""), "  \(b.label) ↑"]
        let yStep = (b.edge(b.bins) - b.edge(0)) / Double(b.bins)
        var line = 0
        var row = ny - 1
        while row >= 0 {
            // The top cell of this line is `row`, the bottom one `row - 1` (none below 0).
            let yLabel = line % 4 == 0 ? Ticks.label(b.edge(min(b.bins, (row + 1) * ky)), step: yStep * Double(ky)) : ""
            var s = String(repeating: " ", count: max(0, margin - 2 - yLabel.count)) + yLabel + " ┤"
            for col in 0..<nx {
                let top = color(cells[col * ny + row])
                let bottom = row >= 1 ? color(cells[col * ny + row - 1]) : nil
                switch (top, bottom) {
                case (nil, nil): s += " "
                case (let t?, nil): s += code(t, background: false) + "▀\u{1B}[0m"
                case (nil, let bt?): s += code(bt, background: false) + "▄\u{1B}[0m"
                case (let t?, let bt?): s += code(t, background: false) + code(bt, background: true) + "▀\u{1B}[0m"
                }
            }
            lines.append(s)
            row -= 2
            line += 1
        }
        // The x axis: a tick every ~10 columns.
        let xStep = (a.edge(a.bins) - a.edge(0)) / Double(a.bins) * Double(kx)
        let axis = String(repeating: " ", count: margin - 1) + "└" + String(repeating: "─", count: nx)
        var labels = [Character](repeating: " ", count: margin + nx + 12)
        var col = 0
        while col <= nx {
            let text = Ticks.label(a.edge(min(a.bins, col * kx)), step: xStep)
            let at = margin + col - text.count / 2
            if at >= 0 && at + text.count <= labels.count && labels[max(0, at - 1)..<min(labels.count, at + text.count + 1)].allSatisfy({ $0 == " " }) {
                for (k, ch) in text.enumerated() { labels[at + k] = ch }
            }
            col += 10
        }
        lines.append(axis)
        lines.append(String(labels.prefix(style.width)).replacing(/\s+$/, with: ""))
        // The x title at the right end, as in pictures.
        let title = String((a.label + " →").suffix(style.width))
        lines.append(String(repeating: " ", count: max(0, margin + nx - title.count)) + title)
        // The colour scale.
        if scale.high > 0 {
            let low = "  log scale: \(Ticks.value(scale.low)) ", high = " \(Ticks.value(scale.high))"
            let steps = max(4, min(24, style.width - low.count - high.count))
            var bar = ""
            for k in 0..<steps { bar += code(Viridis.color(Double(k) / Double(steps - 1)), background: false) + "█" }
            lines.append(low + bar + "\u{1B}[0m" + high)
        }
        let outside = h.total - cells.reduce(0, +)
        if outside != 0 { lines.append("  \(Ticks.value(outside)) outside the axes (underflow, overflow, NaN)") }
        return lines.joined(separator: "\n")
    }
}
