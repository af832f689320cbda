import Histograms

/// NA64's central picture (Formats/HIST.md, section 7): events in the E_ECAL–E_HCAL plane of an
/// electron run, with the signal box, shown in a zoomed band under the main panel (on a linear
/// 0–1.5 E₀ axis a 1 GeV band is invisible), and the regions of the standard-model
/// backgrounds: I, the μ⁺μ⁻ reference; II, events along E_ECAL + E_HCAL ≈ E₀; III, pile-up.
public enum ECalHCal {
    public static let preset = "ecal-hcal"
    public static let main = "ecal_hcal", zoom = "ecal_hcal_zoom"
    public static let zones = ["signal_box", "zone_I", "zone_II", "zone_III"]
    /// Metadata key of the beam energy the zones were drawn for.
    public static let beamKey = "darkscan.beam_energy_gev"

    /// The zones as conditions, for beam energy `e0` in GeV.
    public static func conditions(_ e0: Double) -> [String] {
        let box = Ticks.value(0.5 * e0), lo = Ticks.value(0.8 * e0), hi = Ticks.value(1.2 * e0)
        return [
            "ecal_e < \(box) GeV and hcal_e < 1 GeV",
            "hcal_e >= 1 GeV and hcal_e < 20 GeV and ecal_e + hcal_e < \(lo) GeV",
            "hcal_e >= 1 GeV and ecal_e + hcal_e >= \(lo) GeV and ecal_e + hcal_e <= \(hi) GeV",
            "ecal_e + hcal_e > \(hi) GeV",
        ]
    }

    /// The histograms the picture needs, as specs for `darkscan hist`.
    public static func specs(beamEnergy e0: Double) -> [String] {
        let top = Ticks.value(1.5 * e0)
        return ["\(main) = ecal_e vs hcal_e: 150 bins 0 GeV .. \(top) GeV, 150 bins 0 GeV .. \(top) GeV",
                "\(zoom) = ecal_e vs hcal_e: 75 bins 0 GeV .. \(top) GeV, 50 bins -1 GeV .. 4 GeV"]
            + zip(zones, conditions(e0)).map { "\($0) = \($1): bool" }
    }

    /// Draws the picture from the preset's histograms (found by name in `hs`).
    public static func write(_ hs: [Histogram], to path: String, format: ImageFormat, options: PlotOptions = PlotOptions()) throws(HistogramError) {
        guard let m = hs.first(where: { $0.name == main }), m.axes.count == 2, let z = hs.first(where: { $0.name == zoom }), z.axes.count == 2 else {
            throw HistogramError("the ecal-hcal picture needs the 2D histograms '\(main)' and '\(zoom)' (make them with darkscan hist --preset ecal-hcal)")
        }
        let e0 = m.metadata[beamKey]?.number ?? 100
        let counts = zones.map { name in hs.first { $0.name == name && $0.axes.count == 1 && $0.axes[0].kind == .boolean }.map { $0.values[1] } }
        var o = options
        o.width = 900
        o.height = 980
        try Picture.render(path, format, width: o.width, height: o.height) { c in draw(m, z, e0: e0, counts: counts, c, o) }
    }

    static func draw(_ m: Histogram, _ z: Histogram, e0: Double, counts: [Double?], _ c: Canvas, _ o: PlotOptions) {
        let x = 110.0, w = c.width - 250
        let xs = Scale(lower: m.axes[0].edge(0), upper: m.axes[0].edge(m.axes[0].bins), log: false)
        let top = Panel(x: x, y: 40, w: w, h: 600, xs: xs, ys: Scale(lower: m.axes[1].edge(0), upper: m.axes[1].edge(m.axes[1].bins), log: false))
        let band = Panel(x: x, y: 700, w: w, h: 190, xs: xs, ys: Scale(lower: z.axes[1].edge(0), upper: z.axes[1].edge(z.axes[1].bins), log: false))
        let xTitle = "E_{ECAL} [GeV]", yTitle = "E_{HCAL} [GeV]"
        for (h, p) in [(m, top), (z, band)] {
            let scale = ColorScale(values: Figure.drawnValues(h), log: !o.linearColors)
            Figure.drawCells(h, c, p, scale)
            Figure.colorBar(c, scale, x: p.x + p.w + 14, y: p.y, h: p.h, title: "Events / cell")
        }
        // Zone boundaries (dashed) and the signal box (red), clipped to each panel.
        let white = RGB(1, 1, 1), black = RGB(0, 0, 0), red = RGB(hex: 0xD62728)
        for p in [top, band] {
            c.clip(p.x, p.y, p.w, p.h)
            c.color(RGB(0.15, 0.15, 0.15))
            for s in [0.8 * e0, 1.2 * e0] {
                c.line([(p.px(max(0, s - 1)), p.py(min(s, 1))), (p.px(0), p.py(s))], width: 1.4, dash: [7, 4])
            }
            // Zone I: 1 ≤ E_HCAL < 20 GeV below the lower diagonal; E_HCAL = 1 GeV bounds I and II.
            c.line([(p.px(0), p.py(20)), (p.px(0.8 * e0 - 20), p.py(20))], width: 1.4, dash: [7, 4])
            c.line([(p.px(0), p.py(1)), (p.px(1.5 * e0), p.py(1))], width: 1.4, dash: [7, 4])
            c.color(red)
            let bx0 = p.px(0), bx1 = p.px(0.5 * e0), by0 = p.py(max(p.ys.lower, -1e9)), by1 = p.py(1)
            c.strokeRect(bx0, by1, bx1 - bx0, by0 - by1, width: 2.5)
            c.unclip()
        }
        top.drawAxes(c, xTitle: xTitle, yTitle: yTitle, xLabels: false)
        band.drawAxes(c, xTitle: xTitle, yTitle: "E_{HCAL}")
        // Zone labels.
        func tag(_ s: String, _ vx: Double, _ vy: Double, _ p: Panel) {
            c.font(24, .bold)
            let tw = c.textWidth(s)
            c.color(white, alpha: 0.8)
            c.fillRect(p.px(vx) - tw / 2 - 6, p.py(vy) - 24, tw + 12, 32)
            c.color(black)
            c.text(s, p.px(vx), p.py(vy), align: 0.5)
        }
        tag("I", 0.3 * e0, 10.5, top)
        tag("II", 0.5 * e0, 0.5 * e0, top)
        tag("III", 0.95 * e0, 0.9 * e0, top)
        c.font(14, .bold)
        c.color(red)
        c.text("signal box", band.px(0.25 * e0), band.py(2.2), align: 0.5)
        c.text("(zoom below)", top.px(0.25 * e0), top.py(4), align: 0.5)
        // The legend: what each region is, with its events (exact, from the scan).
        let n = counts.map { $0.map { " — " + Ticks.value($0) + " events" } ?? "" }
        let lines: [(String, RGB)] = [
            ("S: E_{ECAL} < \(Ticks.value(0.5 * e0)) GeV, E_{HCAL} < 1 GeV\(n[0])", red),
            ("I: μ⁺μ⁻ pairs, MIPs in the HCAL\(n[1])", black),
            ("II: E_{ECAL} + E_{HCAL} ≈ E₀ = \(Ticks.value(e0)) GeV\(n[2])", black),
            ("III: pile-up, E_{ECAL} + E_{HCAL} > \(Ticks.value(1.2 * e0)) GeV\(n[3])", black),
        ]
        let lx = top.x + top.w * 0.36, ly = top.y + 70
        c.color(white, alpha: 0.85)
        c.fillRect(lx - 8, ly - 18, top.x + top.w - lx, 22 * Double(lines.count) + 10)
        for (i, (s, col)) in lines.enumerated() {
            c.color(col)
            c.runs(Canvas.parse(s), lx, ly + 22 * Double(i), size: 14)
        }
        top.drawLabel(c, o.label)
        c.font(13)
        c.color(black)
        c.text(dataNote(m), top.x + top.w, top.y - 10, align: 1)
    }
}
