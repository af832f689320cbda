/// What the reconstruction takes from one MSADC waveform (Formats/RAW.md section 12).
public struct PulseFit: Sendable, Equatable {
    /// Largest sample minus the pedestal of its parity, ADC counts.
    public var amplitude: Double
    /// Half-maximum crossing on the rising edge, ns from the first sample.
    public var time: Double
    public var saturated: Bool

    /// Fits `samples`: even and odd pedestals from the first `pedestalSamples`, the peak searched
    /// in samples `search` (all when nil).
    public static func fit(_ samples: UnsafeBufferPointer<UInt16>, pedestalSamples: Int, sampleNs: Double,
                           search: Range<Int>? = nil) -> PulseFit {
        let n = samples.count
        let np = min(pedestalSamples, n)
        // Pedestals from the first samples, or from the last ones when those are lower: a pulse
        // of an earlier particle then sits at the start of the window.
        func means(_ range: Range<Int>) -> (Double, Double) {
            var even = 0.0, odd = 0.0, ne = 0, no = 0
            for k in range {
                if k & 1 == 0 { even += Double(samples[k]); ne += 1 } else { odd += Double(samples[k]); no += 1 }
            }
            let e = ne > 0 ? even / Double(ne) : 0
            return (e, no > 0 ? odd / Double(no) : e)
        }
        var (pedEven, pedOdd) = means(0..<np)
        if n >= 2 * np + 8 {
            let tail = means(n - np..<n)
            if tail.0 + tail.1 < pedEven + pedOdd { (pedEven, pedOdd) = tail }
        }
        @inline(__always) func value(_ k: Int) -> Double { Double(samples[k]) - (k & 1 == 0 ? pedEven : pedOdd) }
        let range = search.map { max($0.lowerBound, 0)..<min($0.upperBound, n) } ?? 0..<n
        guard !range.isEmpty else { return PulseFit(amplitude: 0, time: 0, saturated: false) }
        var peak = range.lowerBound
        var best = value(peak)
        var saturated = false
        for k in range {
            let v = value(k)
            if v > best { (best, peak) = (v, k) }
            if samples[k] >= MSADC.saturation { saturated = true }
        }
        // Walk back from the peak to the last sample under half the amplitude.
        let half = best / 2
        var k = peak
        while k > 0 && value(k - 1) >= half { k -= 1 }
        var t = Double(k)
        if k > 0 {
            let lo = value(k - 1), hi = value(k)
            t = Double(k - 1) + (hi > lo ? (half - lo) / (hi - lo) : 0)
        }
        return PulseFit(amplitude: best, time: t * sampleNs, saturated: saturated)
    }
}
