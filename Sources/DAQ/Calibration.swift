/// Calibration constants for one run range (Formats/RAW.md section 11): digitizer timing, gains
/// per cell, thresholds and time windows per detector group, pile-up and straw settings.
public struct Calibration: Sendable {
    public var sampleNs = 12.5
    public var pedestalSamples = 4
    public var triggerNs = 100.0
    /// ADC counts per GeV (SRD: per MeV) for each cell; 0 where none is given (beam counters).
    public var gains = [Double](repeating: 0, count: Cells.count)
    /// Amplitude thresholds in ADC counts, per group.
    public var thresholds: [Cells.Group: Double] = [:]
    /// In-time windows in ns relative to the master time, per group.
    public var windows: [Cells.Group: ClosedRange<Double>] = [:]
    /// The pulse shape per group (the simulated detector's unless the file gives one).
    public var pulseShapes: [Cells.Group: PulseShape] = [:]
    /// A second pulse beside an in-time one counts from this share of its amplitude [est]:
    /// above what a pulse that differs a little from the shape leaves when subtracted.
    public var secondPulseFraction = 0.1
    public var pileUpEcalGeV = 30.0
    /// A VETO counter counts when its energy passes this (half a MIP), GeV.
    public var vetoCountGeV = 0.002
    public var strawNsPerUnit = 1.0
    public var strawWindow: ClosedRange<Double> = 840...920

    public init() {}

    public func threshold(_ g: Cells.Group) -> Double { thresholds[g] ?? 0 }
    public func window(_ g: Cells.Group) -> ClosedRange<Double> { windows[g] ?? -Double.infinity...Double.infinity }
    public func pulseShape(_ g: Cells.Group) -> PulseShape { pulseShapes[g] ?? .simulated }
}

/// A calibration file: `Calibration`s by run range.
public struct CalibrationFile: Sendable {
    public var ranges: [(runs: ClosedRange<UInt32>, calibration: Calibration)]
    public var path: String

    public init(text: String, path: String) throws(DAQError) {
        self.path = path
        ranges = []
        for section in try TextConfig.sections(text, path: path, code: .badCalibration) {
            var c = Calibration()
            for line in section.lines {
                try Self.apply(line, to: &c, path: path)
            }
            ranges.append((section.runs, c))
        }
        guard !ranges.isEmpty else { throw DAQError(.badCalibration, "no calibration lines", path: path) }
    }

    static func apply(_ line: TextConfig.Line, to c: inout Calibration, path: String) throws(DAQError) {
        let f = line.fields
        func fail(_ why: String) -> DAQError { DAQError(.badCalibration, why, path: path, line: line.number) }
        func number(_ i: Int) throws(DAQError) -> Double {
            guard i < f.count, let v = Double(f[i]), v.isFinite else { throw fail("'\(f[0])' needs a number in field \(i + 1)") }
            return v
        }
        func group(_ i: Int) throws(DAQError) -> Cells.Group {
            guard i < f.count, let g = Cells.Group(rawValue: String(f[i])) else {
                throw fail("unknown detector group; expected one of \(Cells.Group.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return g
        }
        func count(_ n: Int) throws(DAQError) {
            guard f.count == n else { throw fail("'\(f[0])' takes \(n - 1) values, found \(f.count - 1)") }
        }
        switch f[0] {
        case "sample_ns":
            try count(2)
            c.sampleNs = try number(1)
            guard c.sampleNs > 0 else { throw fail("sample_ns must be positive") }
        case "pedestal_samples":
            try count(2)
            guard let n = Int(f[1]), (2...32).contains(n) else { throw fail("pedestal_samples must be 2 to 32") }
            c.pedestalSamples = n
        case "trigger_ns":
            try count(2)
            c.triggerNs = try number(1)
        case "gain":
            try count(5)
            guard let x = Int(f[2]), let y = Int(f[3]) else { throw fail("gain NAME x y VALUE: x and y must be integers") }
            let cell: Int
            switch Cells.cell(name: String(f[1]), x: x, y: y) {
            case .success(let v): cell = v
            case .failure(let e): throw fail(e.message)
            }
            let g = try number(4)
            guard g > 0 else { throw fail("a gain must be positive") }
            c.gains[cell] = g
        case "threshold":
            try count(3)
            c.thresholds[try group(1)] = try number(2)
        case "window":
            try count(4)
            let (lo, hi) = (try number(2), try number(3))
            guard lo <= hi else { throw fail("window LOW must not exceed HIGH") }
            c.windows[try group(1)] = lo...hi
        case "pulse_shape":
            guard f.count >= 3 else { throw fail("pulse_shape DETECTOR STEP_NS V0 V1 ... (DETECTOR may be *)") }
            let groups = f[1] == "*" ? Cells.Group.allCases : [try group(1)]
            let values = try (3..<f.count).map { i throws(DAQError) in try number(i) }
            switch PulseShape.make(stepNs: try number(2), values: values) {
            case .success(let shape): for g in groups { c.pulseShapes[g] = shape }
            case .failure(let e): throw fail(e.message)
            }
        case "second_pulse_fraction":
            try count(2)
            c.secondPulseFraction = try number(1)
            guard c.secondPulseFraction > 0 && c.secondPulseFraction < 1 else { throw fail("second_pulse_fraction must be between 0 and 1") }
        case "pileup_ecal_gev":
            try count(2)
            c.pileUpEcalGeV = try number(1)
        case "veto_count_gev":
            try count(2)
            c.vetoCountGeV = try number(1)
        case "straw_ns_per_unit":
            try count(2)
            c.strawNsPerUnit = try number(1)
        case "straw_window":
            try count(3)
            let (lo, hi) = (try number(1), try number(2))
            guard lo <= hi else { throw fail("straw_window LOW must not exceed HIGH") }
            c.strawWindow = lo...hi
        default:
            throw fail("unknown keyword '\(f[0])'")
        }
    }

    /// The calibration for `run`, checked against the channel map: every mapped cell other than
    /// the beam counters needs a gain.
    public func calibration(run: UInt32, map: ChannelTable) throws(DAQError) -> Calibration {
        guard let r = ranges.first(where: { $0.runs.contains(run) }) else {
            throw DAQError(.badCalibration, "no run range of the calibration holds run \(run)", path: path)
        }
        for cell in 0..<Cells.count where map.addresses[cell] != nil && Cells.group(of: cell) != .beam && r.calibration.gains[cell] <= 0 {
            let (n, x, y) = Cells.name(of: cell)
            throw DAQError(.badCalibration, "no gain for mapped cell \(n) \(x) \(y) (run \(run))", path: path)
        }
        return r.calibration
    }

    /// Nominal gains of the simulated detector [est, ../shared/NA64.md section 4].
    public enum Nominal {
        public static let ecalMain = 30.0
        public static let preshower = 200.0
        public static let hcal = 40.0
        public static let srdPerMeV = 15.0
        public static let vetoPerGeV = 50_000.0
    }

    /// The calibration of the simulated detector (Formats/maps/na64-sim.calib).
    public static func defaultText() -> String {
        var s = """
            # Darkscan default calibration: the detector `darkscan simulate` writes (Formats/RAW.md 11).
            runs 0 -
            sample_ns 12.5
            pedestal_samples 4
            trigger_ns 100
            threshold ECAL 8
            threshold HCAL 12
            threshold VETO 12
            threshold SRD 12
            threshold S 30
            window ECAL -20 20
            window HCAL -25 25
            window VETO -20 20
            window SRD -20 20
            window S -50 50
            second_pulse_fraction 0.1
            pileup_ecal_gev 30
            veto_count_gev 0.002
            straw_ns_per_unit 1
            straw_window 840 920
            pulse_shape * \(PulseShape.simulated.text)

            """
        for cell in 0..<Cells.beam {
            let (name, x, y) = Cells.name(of: cell)
            let gain: Double
            switch Cells.group(of: cell) {
            case .ecal: gain = cell < 36 ? Nominal.preshower : Nominal.ecalMain
            case .hcal: gain = Nominal.hcal
            case .veto: gain = Nominal.vetoPerGeV
            case .srd: if cell - Cells.srd >= Cells.srdModules { continue }; gain = Nominal.srdPerMeV
            case .beam: continue
            }
            s += "gain \(name) \(x) \(y) \(gain)\n"
        }
        return s
    }

    public static func defaultFile() -> CalibrationFile {
        // Safe: the default text is generated above and parses (tested).
        try! CalibrationFile(text: defaultText(), path: "<default calibration>")
    }
}
