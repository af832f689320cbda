import DAQ
import Testing

/// The waveform fit (Formats/RAW.md section 12): pedestals, the in-time pulse, and a second,
/// out-of-time pulse separated from it by subtracting the pulse shape.
@Suite struct PulseFitTests {
    static let model = PulseModel(shape: .simulated, sampleNs: 12.5)
    static let shape = PulseShape.simulated

    /// 32 samples: even pedestal 200, odd 207, and pulses (amplitude at the maximum, half-maximum
    /// time in ns).
    func waveform(_ pulses: [(Double, Double)]) -> [UInt16] {
        (0..<32).map { k in
            var v = k & 1 == 0 ? 200.0 : 207.0
            for (a, t) in pulses { v += a * Self.shape.value(at: Double(k) * 12.5 - (t - Self.shape.halfRiseNs)) }
            return UInt16(min(v.rounded(), 4095))
        }
    }

    func fit(_ s: [UInt16], inTime: ClosedRange<Double> = 80...120, nearest: Double? = nil) -> PulseFit {
        s.withUnsafeBufferPointer {
            PulseFit.fit($0, model: Self.model, .init(pedestalSamples: 4, inTime: inTime, threshold: 8, secondPulseFraction: 0.1, nearest: nearest))
        }
    }


    @Test func theShapeKnowsItsPeakAndHalfMaximum() {
        #expect(Self.shape.peakNs == 25)
        // x² e^(2(1-x)) = 1/2 at x = 0.3808: 9.52 ns.
        #expect(abs(Self.shape.halfRiseNs - 9.52) < 0.05)
        #expect(Self.shape.value(at: -1) == 0 && Self.shape.value(at: 1000) == 0 && Self.shape.value(at: 25) == 1)
        if case .success = PulseShape.make(stepNs: 1, values: [0, 0, 0, 0]) { Issue.record("a shape without a maximum") }
    }

    @Test func aLonePulseAtAnyPhase() {
        for t in stride(from: 94.0, through: 106, by: 0.5) {
            let f = fit(waveform([(1000, t)]))
            #expect(abs(f.amplitude - 1000) <= 2, "t = \(t)")
            #expect(abs(f.time - t) < 0.6, "t = \(t): \(f.time)")
            #expect(f.pileUpAmplitude == 0 && !f.saturated)
        }
        // Below the threshold: nothing.
        #expect(fit(waveform([(5, 100)])).amplitude == 0)
        // Out of the window: pile-up only.
        let late = fit(waveform([(800, 230)]))
        #expect(late.amplitude == 0 && abs(late.pileUpAmplitude - 800) <= 1)
    }

    @Test func aSecondPulseIsSeparatedWhereverItFalls() {
        // A pile-up pulse before, after, larger or smaller than the in-time one, far or close.
        for dt in [-110.0, -90, -60, -40, -30, 35, 50, 80, 150] {
            for pile in [300.0, 1500, 3000] {
                let f = fit(waveform([(1000, 100), (pile, 100 + dt)]))
                let expected = 1000.0
                #expect(abs(f.amplitude - expected) < 0.04 * expected, "pile-up \(pile) at \(dt) ns: \(f.amplitude) for \(expected)")
                #expect(abs(f.time - 100) < 6, "pile-up \(pile) at \(dt) ns: time \(f.time)")
                #expect(abs(f.pileUpAmplitude - pile) < 0.06 * pile + 10, "pile-up \(pile) at \(dt) ns: \(f.pileUpAmplitude)")
            }
        }
    }

    @Test func pulsesInTimeTogetherAddUpUnlessOneIsWanted() {
        // 30 ns apart, both in a ±40 ns window: one energy for both.
        let s = waveform([(1000, 85), (700, 115)])
        let both = fit(s, inTime: 60...140)
        #expect(abs(both.amplitude - 1700) < 60, "\(both.amplitude)")
        #expect(both.pileUpAmplitude == 0)
        // Beam counters keep the pulse nearest the trigger.
        let counter = fit(s, inTime: 60...140, nearest: 115)
        #expect(abs(counter.time - 115) < 6 && abs(counter.amplitude - 700) < 60)
    }

    @Test func pedestalsAndSaturation() {
        // An earlier particle's tail over the first samples: the pedestal comes from the end.
        var s = waveform([(1000, 100)])
        for k in 0..<4 { s[k] += UInt16(300 - 70 * k) }
        #expect(abs(fit(s).amplitude - 1000) <= 2)
        // Saturated: the height comes from the samples either side of the saturated run.
        for a in [4500.0, 6000, 9000] {
            let big = fit(waveform([(a, 100)]))
            #expect(big.saturated && abs(big.amplitude - a) < 0.03 * a, "\(a): \(big.amplitude)")
            #expect(abs(big.time - 100) < 3)
        }
    }
}

extension PulseFitTests {
    @Test func threePulsesInOneWaveform() {
        // Two pile-up particles either side of the in-time one.
        for (before, after) in [(-70.0, 60.0), (-45.0, 90.0), (-100.0, 40.0)] {
            let f = fit(waveform([(900, 100), (1800, 100 + before), (1200, 100 + after)]))
            #expect(abs(f.amplitude - 900) < 0.05 * 900, "pile-up at \(before) and \(after): \(f.amplitude)")
            #expect(abs(f.pileUpAmplitude - 3000) < 0.06 * 3000, "pile-up at \(before) and \(after): \(f.pileUpAmplitude)")
        }
        // Without an in-time pulse, the in-time window is searched after the largest is taken away.
        let none = fit(waveform([(1500, 40), (800, 200)]))
        #expect(none.amplitude == 0 && abs(none.pileUpAmplitude - 2300) < 0.05 * 2300)
    }
}
