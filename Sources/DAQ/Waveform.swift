/// A pulse shape prepared for one digitizer period: the tables the fit reads per channel.
/// Immutable; shared by the fits of every cell whose detector has that shape.
public final class PulseModel: Sendable {
    public let shape: PulseShape
    public let sampleNs: Double
    /// Where the largest sample lies against the true peak as a function of the three samples
    /// around it: for ρ = (v[k+1] − v[k−1]) / v[k] on a uniform grid from `rhoLow` in steps of
    /// `rhoStep`, δ (ns, sample time − peak time, from −sampleNs to +sampleNs: an asymmetric
    /// pulse's largest sample can be more than half a period from its peak) and 1 / T(peak + δ).
    let rhoLow: Double, rhoStep: Double
    let deltaOfRho: [Double], scaleOfRho: [Double]
    /// The shape at every sample of a pulse starting `p / phases` of a period before a sample:
    /// row p, column j holds T((j + p / phases) · sampleNs); `phases` + 2 rows of `columns`.
    let phased: [Float]
    let columns: Int
    static let phases = 64, rhoBins = 512

    public init(shape: PulseShape, sampleNs: Double) {
        self.shape = shape
        self.sampleNs = sampleNs
        // ρ as a function of δ on a fine grid, made to fall everywhere (a shape with an
        // undershoot or a plateau gets the running minimum: a flat stretch maps to its first δ).
        let n = 1024
        var rho: [Double] = [], delta: [Double] = []
        for i in 0...n {
            let d = sampleNs * (2 * Double(i) / Double(n) - 1)
            let centre = shape.value(at: shape.peakNs + d)
            rho.append(centre > 0 ? (shape.value(at: shape.peakNs + d + sampleNs) - shape.value(at: shape.peakNs + d - sampleNs)) / centre : 0)
            delta.append(d)
        }
        for i in 1..<rho.count { rho[i] = min(rho[i], rho[i - 1]) }
        // Inverted onto a uniform grid of ρ.
        let low = rho.last!, high = rho.first!
        rhoLow = low
        rhoStep = max(high - low, 1e-9) / Double(Self.rhoBins)
        var deltas: [Double] = [], scales: [Double] = []
        var i = n
        for b in 0...Self.rhoBins {
            let r = low + Double(b) * rhoStep
            while i > 0 && rho[i - 1] <= r { i -= 1 }
            // rho[i] <= r < rho[i - 1]
            let d: Double
            if i == 0 { d = delta[0] } else {
                let span = rho[i - 1] - rho[i]
                d = span > 0 ? delta[i] + (rho[i] - r) / span * (delta[i - 1] - delta[i]) : delta[i]
            }
            deltas.append(d)
            let t = shape.value(at: shape.peakNs + d)
            scales.append(t > 0 ? 1 / t : 1)
        }
        deltaOfRho = deltas
        scaleOfRho = scales
        columns = Int((Double(shape.values.count - 1) * shape.stepNs / sampleNs).rounded(.up)) + 1
        var table = [Float](repeating: 0, count: (Self.phases + 2) * columns)
        for p in 0..<Self.phases + 2 {
            for j in 0..<columns { table[p * columns + j] = Float(shape.value(at: (Double(j) + Double(p) / Double(Self.phases)) * sampleNs)) }
        }
        phased = table
    }

    /// δ and 1 / T(peak + δ) for a measured ρ, clamped to the grid.
    @inline(__always) func offset(rho r: Double) -> (delta: Double, scale: Double) {
        let x = min(max((r - rhoLow) / rhoStep, 0), Double(Self.rhoBins) - 1e-9)
        let b = Int(x), w = x - Double(b)
        return deltaOfRho.withUnsafeBufferPointer { d in
            scaleOfRho.withUnsafeBufferPointer { s in
                // Safe: 0 <= b < rhoBins by the clamp, and the tables hold rhoBins + 1 entries.
                (d[b] + w * (d[b + 1] - d[b]), s[b] + w * (s[b + 1] - s[b]))
            }
        }
    }

    /// A pulse whose largest sample is sample `k` of `v`: its start (ns from the first sample)
    /// and its height at the true maximum, from sample k and its neighbours; or, when the raw
    /// sample k is saturated, from the samples either side of the saturated run.
    @inline(__always) func pulse(_ v: UnsafeMutableBufferPointer<Double>, at k: Int, _ raw: UnsafeBufferPointer<UInt16>) -> (start: Double, height: Double) {
        if raw[k] >= MSADC.saturation, let p = clipped(v, at: k, raw) { return p }
        guard k > 0 && k + 1 < v.count && v[k] > 0 else { return (Double(k) * sampleNs - shape.peakNs, v[k]) }
        let (d, scale) = offset(rho: (v[k + 1] - v[k - 1]) / v[k])
        return (Double(k) * sampleNs - shape.peakNs - d, v[k] * scale)
    }

    /// r[k] = v[k] − height · T(k · sampleNs − start) for every sample.
    @inline(__always) func subtract(_ p: (start: Double, height: Double), from v: UnsafeMutableBufferPointer<Double>, into r: UnsafeMutableBufferPointer<Double>) {
        let n = v.count
        // Sample k lies (k − σ) periods after the start, σ = start / period = c + f, f in [0, 1):
        // that is column k − c − 1 of the row for 1 − f.
        let sigma = p.start / sampleNs
        let c = sigma.rounded(.down)
        let phase = (1 - (sigma - c)) * Double(Self.phases)
        let row = min(Int(phase), Self.phases), w = Float(phase - Double(row))
        let first = Int(c) + 1
        let lo = min(max(first, 0), n), hi = min(max(first + columns, lo), n)
        for k in 0..<lo { r[k] = v[k] }
        for k in hi..<n { r[k] = v[k] }
        let h = Float(p.height)
        phased.withUnsafeBufferPointer { t in
            // Safe: row + 1 <= phases + 1 < phases + 2 rows, and k − first is in 0..<columns.
            let a = t.baseAddress! + row * columns - first, b = a + columns
            for k in lo..<hi { r[k] = v[k] - Double(h * (a[k] + w * (b[k] - a[k]))) }
        }
    }

    /// The shape's value at `k` samples from a pulse's start (the ones `subtract` uses).
    func value(_ p: (start: Double, height: Double), at k: Int) -> Double { p.height * shape.value(at: Double(k) * sampleNs - p.start) }

    /// A pulse through the saturated run around sample k, from the shape's ratio at two samples
    /// outside the run: the ones just before (a − 1) and just after (b + 1) it, on the rising
    /// and the falling edge, or — when the rise is too steep to leave a sample on it — the two
    /// just after it, both on the falling edge. Nil when the run leaves neither pair.
    func clipped(_ v: UnsafeMutableBufferPointer<Double>, at k: Int, _ raw: UnsafeBufferPointer<UInt16>) -> (start: Double, height: Double)? {
        var a = k, b = k
        while a > 0 && raw[a - 1] >= MSADC.saturation { a -= 1 }
        while b + 1 < v.count && raw[b + 1] >= MSADC.saturation { b += 1 }
        guard b + 1 < v.count, v[b + 1] > 0 else { return nil }
        // The first sample `i`, the second `span` ns later; x (of sample i after the start) in lo...hi.
        let i: Int, span: Double, lo0: Double, hi0: Double
        if a >= 1 && v[a - 1] > Self.risingEdge * v[k] {
            (i, span, lo0, hi0) = (a - 1, Double(b - a + 2) * sampleNs, 1e-3 * shape.peakNs, shape.peakNs)
        } else if b + 2 < v.count && v[b + 2] > 0 {
            (i, span, lo0, hi0) = (b + 1, sampleNs, shape.peakNs, Double(shape.values.count - 1) * shape.stepNs - sampleNs)
        } else {
            return nil
        }
        // T(x + span) / T(x) falls as x grows over the bracket.
        let target = v[i + (i == a - 1 ? b - a + 2 : 1)] / v[i]
        var lo = lo0, hi = hi0
        for _ in 0..<40 {
            let x = (lo + hi) / 2
            if shape.value(at: x + span) > target * shape.value(at: x) { lo = x } else { hi = x }
        }
        let x = (lo + hi) / 2, at = shape.value(at: x)
        guard at > 0 else { return nil }
        return (Double(i) * sampleNs - x, max(v[i] / at, v[k]))
    }

    /// A sample before a saturated run counts as on the rising edge above this share of the
    /// saturation level (below it, noise and the pedestal would decide the phase).
    static let risingEdge = 0.05
}

/// What the reconstruction takes from one MSADC waveform (Formats/RAW.md section 12): the
/// in-time pulse, and a second, out-of-time pulse separated from it by subtracting the pulse
/// shape.
public struct PulseFit: Sendable, Equatable {
    /// Height of the in-time pulse at its maximum over the pedestal (after subtracting the other
    /// pulse), ADC counts; 0 without one above the threshold.
    public var amplitude: Double = 0
    /// Half-maximum time of the in-time pulse (or, without one, of the largest), ns from the first sample.
    public var time: Double = 0
    /// The out-of-time pulse's amplitude (pile-up), 0 without one above the threshold.
    public var pileUpAmplitude: Double = 0
    public var pileUpTime: Double = 0
    /// A sample of the waveform is 4095.
    public var saturated = false

    public init(amplitude: Double = 0, time: Double = 0, pileUpAmplitude: Double = 0, pileUpTime: Double = 0, saturated: Bool = false) {
        (self.amplitude, self.time, self.pileUpAmplitude, self.pileUpTime, self.saturated) = (amplitude, time, pileUpAmplitude, pileUpTime, saturated)
    }

    /// How a waveform is fitted.
    public struct Settings: Sendable {
        public var pedestalSamples: Int
        /// Half-maximum times (ns from the first sample) of in-time pulses.
        public var inTime: ClosedRange<Double>
        /// Amplitudes below this (ADC) are no pulse.
        public var threshold: Double
        /// A second pulse beside an in-time one counts from this share of its amplitude.
        public var secondPulseFraction: Double
        /// When two pulses are both in time: nil adds them (they cannot be told from the
        /// trigger particle's); a time keeps only the one nearest to it (beam counters).
        public var nearest: Double?

        public init(pedestalSamples: Int, inTime: ClosedRange<Double>, threshold: Double, secondPulseFraction: Double, nearest: Double? = nil) {
            (self.pedestalSamples, self.inTime, self.threshold, self.secondPulseFraction, self.nearest) =
                (pedestalSamples, inTime, threshold, secondPulseFraction, nearest)
        }
    }

    /// Fits `samples` (Formats/RAW.md section 12): pedestals, the largest pulse, the shape
    /// subtracted, a second pulse searched in what is left, each pulse's amplitude measured with
    /// the other subtracted, and the in-time one chosen.
    public static func fit(_ samples: UnsafeBufferPointer<UInt16>, model: PulseModel, _ settings: Settings) -> PulseFit {
        let n = samples.count
        guard n > 0 else { return PulseFit() }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n) { scratch in
            let v = UnsafeMutableBufferPointer(rebasing: scratch[0..<n]), r = UnsafeMutableBufferPointer(rebasing: scratch[n..<2 * n])
            var fit = PulseFit()
            let (pedEven, pedOdd) = pedestals(samples, settings.pedestalSamples)
            var k1 = 0, saturated = false
            for k in 0..<n {
                let s = samples[k]
                v[k] = Double(s) - (k & 1 == 0 ? pedEven : pedOdd)
                saturated = saturated || s >= MSADC.saturation
                if v[k] > v[k1] { k1 = k }
            }
            fit.saturated = saturated
            guard v[k1] >= settings.threshold else { return fit }
            let dt = model.sampleNs, shape = model.shape
            // Pulse 1: the largest.
            var p1 = model.pulse(v, at: k1, samples)
            var a1 = p1.height
            let in1 = settings.inTime.contains(p1.start + shape.halfRiseNs)
            // Pulse 2: the largest of what is left, beside an in-time pulse 1 anywhere from two
            // samples away; else an in-time one, where in-time pulses peak.
            model.subtract(p1, from: v, into: r)
            let lead = shape.peakNs - shape.halfRiseNs
            let search = in1 ? 0..<n : max(0, Int(((settings.inTime.lowerBound + lead) / dt - 0.5).rounded(.up)))..<min(n, Int(((settings.inTime.upperBound + lead) / dt + 0.5).rounded(.down)) + 1)
            let floor = in1 ? max(settings.threshold, settings.secondPulseFraction * a1) : settings.threshold
            var k2 = -1
            var best = floor
            for k in search where (k < k1 - 1 || k > k1 + 1) && r[k] >= best && (k == 0 || r[k] >= r[k - 1]) && (k == n - 1 || r[k] >= r[k + 1])
                && samples[k] < MSADC.saturation {
                (k2, best) = (k, r[k])
            }
            guard k2 >= 0 else {
                if in1 { (fit.amplitude, fit.time) = (a1, p1.start + shape.halfRiseNs) } else { (fit.pileUpAmplitude, fit.pileUpTime, fit.time) = (a1, p1.start + shape.halfRiseNs, p1.start + shape.halfRiseNs) }
                return fit
            }
            // Each pulse measured with the other subtracted, until neither moves (a few rounds).
            var p2 = model.pulse(r, at: k2, samples)
            var a2 = p2.height
            for _ in 0..<Self.rounds {
                let before = (p1.start, p2.start)
                (k1, p1, a1) = isolate(v, r, samples, around: k1, without: p2, model)
                (k2, p2, a2) = isolate(v, r, samples, around: k2, without: p1, model)
                if abs(p1.start - before.0) < 0.05 && abs(p2.start - before.1) < 0.05 { break }
            }
            let t1 = p1.start + shape.halfRiseNs, t2 = p2.start + shape.halfRiseNs
            switch (settings.inTime.contains(t1), settings.inTime.contains(t2)) {
            case (true, true):
                if let t = settings.nearest {
                    let first = abs(t1 - t) <= abs(t2 - t)
                    (fit.amplitude, fit.time) = first ? (a1, t1) : (a2, t2)
                } else {
                    (fit.amplitude, fit.time) = (a1 + a2, a1 >= a2 ? t1 : t2)
                }
            case (true, false): (fit.amplitude, fit.time, fit.pileUpAmplitude, fit.pileUpTime) = (a1, t1, a2, t2)
            case (false, true): (fit.amplitude, fit.time, fit.pileUpAmplitude, fit.pileUpTime) = (a2, t2, a1, t1)
            case (false, false): (fit.pileUpAmplitude, fit.pileUpTime, fit.time) = (a1 + a2, a1 >= a2 ? t1 : t2, t1)
            }
            if fit.amplitude < settings.threshold { fit.amplitude = 0 }
            if fit.pileUpAmplitude < settings.threshold { fit.pileUpAmplitude = 0 }
            return fit
        }
    }

    /// Rounds of measuring each of two pulses with the other subtracted.
    static let rounds = 6

    /// The pulse whose largest sample is at `k` or beside it once `other` is subtracted from `v`
    /// (`r` is scratch): where its largest sample is, its start, and its height.
    @inline(__always) static func isolate(_ v: UnsafeMutableBufferPointer<Double>, _ r: UnsafeMutableBufferPointer<Double>,
                                          _ raw: UnsafeBufferPointer<UInt16>, around k: Int, without other: (start: Double, height: Double),
                                          _ model: PulseModel)
        -> (Int, (start: Double, height: Double), Double) {
        let n = v.count
        for j in max(0, k - 2)...min(n - 1, k + 2) { r[j] = v[j] - model.value(other, at: j) }
        var m = k
        for j in max(0, k - 1)...min(n - 1, k + 1) where r[j] > r[m] { m = j }
        let p = model.pulse(r, at: m, raw)
        return (m, p, p.height)
    }

    /// Even and odd pedestals: means over the first `np` samples, or over the last ones when
    /// those are lower and the waveform is long enough (an earlier particle's pulse then sits at
    /// the start of the window).
    static func pedestals(_ samples: UnsafeBufferPointer<UInt16>, _ pedestalSamples: Int) -> (Double, Double) {
        let n = samples.count
        let np = min(pedestalSamples, n)
        func means(_ range: Range<Int>) -> (Double, Double) {
            var even = 0, odd = 0, ne = 0, no = 0
            for k in range {
                if k & 1 == 0 { even &+= Int(samples[k]); ne &+= 1 } else { odd &+= Int(samples[k]); no &+= 1 }
            }
            let e = ne > 0 ? Double(even) / Double(ne) : 0
            return (e, no > 0 ? Double(odd) / Double(no) : e)
        }
        let head = means(0..<np)
        guard n >= 2 * np + 8 else { return head }
        let tail = means(n - np..<n)
        return tail.0 + tail.1 < head.0 + head.1 ? tail : head
    }
}
