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
        guard k > 0 && k + 1 < v.count && v[k] > 0 else { return edge(v, at: k) }
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
        let p: (start: Double, height: Double)?
        if a >= 1 && v[a - 1] > Self.risingEdge * v[k] {
            p = twoSamples(v, a - 1, b + 1, x: 1e-3 * shape.peakNs...shape.peakNs)
        } else if b + 2 < v.count && v[b + 2] > 0 {
            p = twoSamples(v, b + 1, b + 2, x: shape.peakNs...Double(shape.values.count - 1) * shape.stepNs - sampleNs)
        } else {
            p = nil
        }
        return p.map { ($0.start, max($0.height, v[k])) }
    }

    /// A pulse whose largest sample is the first or the last of the window, where the peak may
    /// lie outside it: from that sample and the one beside it. A first sample counts as at
    /// most one period after the peak: what peaked earlier left only its tail in the window,
    /// and is measured as that (its height not guessed from the tail).
    func edge(_ v: UnsafeMutableBufferPointer<Double>, at k: Int) -> (start: Double, height: Double) {
        let plain = (Double(k) * sampleNs - shape.peakNs, v[k])
        guard v.count >= 2, v[k] > 0 else { return plain }
        if k == 0 {
            let latest = (shape.peakNs + sampleNs, v[0] / max(shape.value(at: shape.peakNs + sampleNs), 1e-9))
            guard v[1] > 0 else { return (-latest.0, latest.1) }
            return twoSamples(v, 0, 1, x: max(0, shape.peakNs - sampleNs)...shape.peakNs + sampleNs) ?? plain
        }
        guard v[k - 1] > 0 else { return plain }
        return twoSamples(v, k - 1, k, x: 1e-3 * shape.peakNs...shape.peakNs) ?? plain
    }

    /// The pulse through samples i < j of `v`: x, the time of sample i after the pulse's start,
    /// within `bracket`, where T(x + span) / T(x) (which falls as x grows there) is v[j] / v[i].
    func twoSamples(_ v: UnsafeMutableBufferPointer<Double>, _ i: Int, _ j: Int, x bracket: ClosedRange<Double>) -> (start: Double, height: Double)? {
        let span = Double(j - i) * sampleNs, target = v[j] / v[i]
        var lo = bracket.lowerBound, hi = bracket.upperBound
        for _ in 0..<24 {
            let x = (lo + hi) / 2
            if shape.value(at: x + span) > target * shape.value(at: x) { lo = x } else { hi = x }
        }
        let x = (lo + hi) / 2, at = shape.value(at: x)
        guard at > 0 else { return nil }
        return (Double(i) * sampleNs - x, v[i] / at)
    }

    /// A sample before a saturated run counts as on the rising edge above this share of the
    /// saturation level (below it, noise and the pedestal would decide the phase).
    static let risingEdge = 0.05
}

/// What the reconstruction takes from one MSADC waveform (Formats/RAW.md section 12): the
/// in-time pulse, and the out-of-time pulses (pile-up) separated from it by subtracting the
/// pulse shape.
public struct PulseFit: Sendable, Equatable {
    /// Height of the in-time pulse at its maximum over the pedestal (after subtracting the other
    /// pulses), ADC counts; 0 without one above the threshold.
    public var amplitude: Double = 0
    /// Half-maximum time of the in-time pulse (or, without one, of the largest), ns from the first sample.
    public var time: Double = 0
    /// The out-of-time pulses' heights, summed (pile-up); 0 below the threshold.
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

    /// Fits `samples` (Formats/RAW.md section 12): pedestals; the largest pulse; then, up to
    /// `maxPulses`, the largest pulse in what the shape of those found leaves — beside an
    /// in-time pulse anywhere two samples or more from the others and above
    /// `secondPulseFraction` of the largest, else an in-time one where in-time pulses peak;
    /// each pulse measured again with the others subtracted; the in-time ones chosen.
    public static func fit(_ samples: UnsafeBufferPointer<UInt16>, model: PulseModel, _ settings: Settings) -> PulseFit {
        let n = samples.count
        guard n > 0 else { return PulseFit() }
        var fit = PulseFit()
        let (pedEven, pedOdd) = pedestals(samples, settings.pedestalSamples)
        // Most channels hold no pulse: the largest even and odd samples decide that before any
        // other work.
        var maxEven: UInt16 = 0, maxOdd: UInt16 = 0
        var k = 0
        while k + 1 < n {
            maxEven = max(maxEven, samples[k])
            maxOdd = max(maxOdd, samples[k + 1])
            k += 2
        }
        if k < n { maxEven = max(maxEven, samples[k]) }
        fit.saturated = max(maxEven, maxOdd) >= MSADC.saturation
        let top = max(Double(maxEven) - pedEven, n > 1 ? Double(maxOdd) - pedOdd : -Double.infinity)
        guard top >= settings.threshold else { return fit }
        var k1 = 0
        for k in 0..<n where Double(samples[k]) - (k & 1 == 0 ? pedEven : pedOdd) == top {
            k1 = k
            break
        }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * n) { scratch in
            withUnsafeTemporaryAllocation(of: Pulse.self, capacity: maxPulses) { found in
                let v = UnsafeMutableBufferPointer(rebasing: scratch[0..<n]), r = UnsafeMutableBufferPointer(rebasing: scratch[n..<2 * n])
                var fit = fit
                for k in 0..<n { v[k] = Double(samples[k]) - (k & 1 == 0 ? pedEven : pedOdd) }
                let half = model.shape.halfRiseNs, dt = model.sampleNs
                func inTime(_ p: Pulse) -> Bool { settings.inTime.contains(p.start + half) }
                found[0] = Pulse(k: k1, model.pulse(v, at: k1, samples))
                var m = 1
                // Where in-time pulses peak (their largest sample), in samples.
                let lead = model.shape.peakNs - half
                let inTimeSamples = max(0, Int(((settings.inTime.lowerBound + lead) / dt - 0.5).rounded(.up)))
                    ..< min(n, Int(((settings.inTime.upperBound + lead) / dt + 0.5).rounded(.down)) + 1)
                model.subtract(found[0].shape, from: v, into: r)
                while m < maxPulses {
                    let anyInTime = (0..<m).contains { inTime(found[$0]) }
                    var largest = found[0].height
                    for j in 1..<m { largest = max(largest, found[j].height) }
                    // Without an in-time pulse yet, one is looked for where it would peak first.
                    let relative = max(settings.threshold, settings.secondPulseFraction * largest)
                    func largestPeak(_ search: Range<Int>, above floor: Double) -> Int {
                        var next = -1, best = floor
                        for k in search where r[k] >= best && (k == 0 || r[k] >= r[k - 1]) && (k == n - 1 || r[k] >= r[k + 1])
                            && samples[k] < MSADC.saturation && !(0..<m).contains(where: { abs(found[$0].k - k) < 2 }) {
                            (next, best) = (k, r[k])
                        }
                        return next
                    }
                    var next = anyInTime ? -1 : largestPeak(inTimeSamples, above: settings.threshold)
                    if next < 0 { next = largestPeak(0..<n, above: relative) }
                    guard next >= 0 else { break }
                    found[m] = Pulse(k: next, model.pulse(r, at: next, samples))
                    m += 1
                    // Each pulse measured with the others subtracted, until none moves.
                    for _ in 0..<rounds {
                        var moved = 0.0
                        for j in 0..<m {
                            let before = found[j].start
                            found[j] = isolate(v, r, samples, around: found[j].k, without: UnsafeBufferPointer(rebasing: found[0..<m]), but: j, model)
                            moved = max(moved, abs(found[j].start - before))
                        }
                        if moved < 0.05 { break }
                    }
                    guard m < maxPulses else { break }
                    model.subtract(found[0].shape, from: v, into: r)
                    for j in 1..<m { model.subtract(found[j].shape, from: r, into: r) }
                }
                // The in-time pulses, and the others: pile-up.
                var inTimeAmplitude = 0.0, pile = 0.0, nearestGap = Double.infinity
                var largestIn = -1.0, largestOut = -1.0
                for j in 0..<m {
                    let p = found[j], t = p.start + half
                    if inTime(p) {
                        if let target = settings.nearest {
                            if abs(t - target) < nearestGap { (nearestGap, fit.amplitude, fit.time) = (abs(t - target), p.height, t) }
                            continue
                        }
                        inTimeAmplitude += p.height
                        if p.height > largestIn { (largestIn, fit.time) = (p.height, t) }
                    } else {
                        pile += p.height
                        if p.height > largestOut { (largestOut, fit.pileUpTime) = (p.height, t) }
                    }
                }
                if settings.nearest == nil { fit.amplitude = inTimeAmplitude }
                if largestIn < 0 && nearestGap == .infinity { fit.time = fit.pileUpTime }
                fit.pileUpAmplitude = pile
                if fit.amplitude < settings.threshold { fit.amplitude = 0 }
                if fit.pileUpAmplitude < settings.threshold { fit.pileUpAmplitude = 0 }
                return fit
            }
        }
    }

    /// A pulse found in a waveform: where its largest sample is, its start (ns from the first
    /// sample) and its height.
    struct Pulse {
        var k: Int
        var start: Double, height: Double
        init(k: Int, _ p: (start: Double, height: Double)) { (self.k, start, height) = (k, p.start, p.height) }
        var shape: (start: Double, height: Double) { (start, height) }
    }

    /// Pulses one waveform is taken apart into, at most.
    static let maxPulses = 3
    /// Rounds of measuring each pulse with the others subtracted.
    static let rounds = 6

    /// Pulse `j` of `pulses` measured again with the others subtracted from `v` (`r` is
    /// scratch): its largest sample at `k` or beside it.
    @inline(__always) static func isolate(_ v: UnsafeMutableBufferPointer<Double>, _ r: UnsafeMutableBufferPointer<Double>,
                                          _ raw: UnsafeBufferPointer<UInt16>, around k: Int, without pulses: UnsafeBufferPointer<Pulse>, but j: Int,
                                          _ model: PulseModel) -> Pulse {
        let n = v.count
        for i in max(0, k - 2)...min(n - 1, k + 2) {
            var x = v[i]
            for o in pulses.indices where o != j { x -= model.value(pulses[o].shape, at: i) }
            r[i] = x
        }
        var m = k
        for i in max(0, k - 1)...min(n - 1, k + 1) where r[i] > r[m] { m = i }
        return Pulse(k: m, model.pulse(r, at: m, raw))
    }

    /// Even and odd pedestals: means over the first `np` samples, or over the last ones when
    /// those are lower and the waveform is long enough (an earlier particle's pulse then sits at
    /// the start of the window).
    static func pedestals(_ samples: UnsafeBufferPointer<UInt16>, _ pedestalSamples: Int) -> (Double, Double) {
        let n = samples.count
        let np = min(pedestalSamples, n)
        // Means of the even and the odd samples of `from..<from + np` (both parities when np is 1).
        @inline(__always) func means(from: Int) -> (Double, Double) {
            var sums = (0, 0), counts = (0, 0)
            for k in stride(from: from, to: from + np, by: 2) { sums.0 &+= Int(samples[k]); counts.0 &+= 1 }
            for k in stride(from: from + 1, to: from + np, by: 2) { sums.1 &+= Int(samples[k]); counts.1 &+= 1 }
            let first = Double(sums.0) / Double(max(counts.0, 1)), second = counts.1 > 0 ? Double(sums.1) / Double(counts.1) : first
            return from & 1 == 0 ? (first, second) : (second, first)
        }
        let head = means(from: 0)
        guard n >= 2 * np + 8 else { return head }
        let tail = means(from: n - np)
        return tail.0 + tail.1 < head.0 + head.1 ? tail : head
    }
}
