import EventFormat

/// Turns decoded physics events into the columns of `NA64Schema.make(converted: true)`:
/// waveforms to amplitudes and times, calibration to energies, timing against the master time,
/// calorimeter sums, VETO and SRD energies, and the Micromegas track (Formats/RAW.md section 12).
/// One per worker: it owns scratch buffers.
public struct Reconstructor {
    public let calibration: Calibration
    public let beamEnergy: Double
    /// Per detector group (`Cells.Group.allCases` order): the pulse shape prepared for the
    /// digitizer period (one model per distinct shape), threshold and in-time window.
    private let models: [PulseModel]
    private let thresholds: [Double], windows: [ClosedRange<Double>]
    private var energy = [Double](repeating: 0, count: Cells.count)
    private var scratch = [Double](repeating: 0, count: 72)
    private var clusters = TrackFinder()

    public init(calibration: Calibration, beamEnergy: Double) {
        self.calibration = calibration
        self.beamEnergy = beamEnergy
        var byShape: [(PulseShape, PulseModel)] = []
        models = Cells.Group.allCases.map { g in
            let shape = calibration.pulseShape(g)
            if let m = byShape.first(where: { $0.0 == shape }) { return m.1 }
            let m = PulseModel(shape: shape, sampleNs: calibration.sampleNs)
            byShape.append((shape, m))
            return m
        }
        thresholds = Cells.Group.allCases.map { calibration.threshold($0) }
        windows = Cells.Group.allCases.map { calibration.window($0) }
    }

    /// The fit of `cell`'s waveform with the settings of its group `g`; `inTime` is where
    /// in-time pulses' half-maximum times lie.
    private func fit(_ samples: UnsafeBufferPointer<UInt16>, _ ev: DecodedEvent, cell: Int, group g: Int, inTime: ClosedRange<Double>,
                     nearest: Double? = nil) -> PulseFit {
        let settings = PulseFit.Settings(pedestalSamples: calibration.pedestalSamples, inTime: inTime, threshold: thresholds[g],
                                         secondPulseFraction: calibration.secondPulseFraction, nearest: nearest)
        return PulseFit.fit(UnsafeBufferPointer(rebasing: samples[ev.sampleStart[cell]..<ev.sampleStart[cell] + ev.sampleCount[cell]]), model: models[g], settings)
    }

    /// Appends one event to `c`. `rawFile` and `rawOffset` say where it came from.
    public mutating func append(_ ev: DecodedEvent, to c: NA64Columns, rawFile: Int, rawOffset: Int) {
        let cal = calibration
        var saturated = 0
        var pileUpE = 0.0
        ev.samples.withUnsafeBufferPointer { samples in
            // Beam counters first: the master time, from each counter's pulse nearest the
            // trigger within the S window around trigger_ns (a pile-up particle elsewhere does
            // not move it).
            var master = 0.0, counters = 0
            let beam = Cells.Group.allCases.firstIndex(of: .beam)!
            let counterWindow = cal.triggerNs + windows[beam].lowerBound...cal.triggerNs + windows[beam].upperBound
            for cell in Cells.beam..<Cells.count where ev.sampleCount[cell] > 0 {
                let f = fit(samples, ev, cell: cell, group: beam, inTime: counterWindow, nearest: cal.triggerNs)
                if f.saturated { saturated += 1 }
                if f.amplitude > 0 {
                    master += f.time
                    counters += 1
                }
            }
            master = counters > 0 ? master / Double(counters) : cal.triggerNs
            for cell in 0..<Cells.beam {
                energy[cell] = 0
                guard ev.sampleCount[cell] > 0 else { continue }
                let g = DetectorTally.groupOfCell[cell]
                let f = fit(samples, ev, cell: cell, group: g, inTime: master + windows[g].lowerBound...master + windows[g].upperBound)
                if f.saturated { saturated += 1 }
                let gain = cal.gains[cell]
                guard gain > 0 else { continue }
                energy[cell] = f.amplitude / gain
                if cell < Cells.hcal { pileUpE += f.pileUpAmplitude / gain }
            }
        }

        c.run.append(ev.header.run)
        c.spill.append(UInt16(truncatingIfNeeded: ev.header.spill))
        c.event.append(UInt64(ev.header.eventNumber))
        c.trigger.append(UInt8(truncatingIfNeeded: ev.header.trigger))
        c.timeInSpill.append(Float(Double(ev.timeInSpillMicroseconds) * 1e-6))
        let ecalE = energy.withUnsafeBufferPointer { c.appendECAL(UnsafeBufferPointer(rebasing: $0[Cells.ecal..<Cells.ecal + 72])) }
        c.ecalChi2.append(Float(showerChi2()))
        energy.withUnsafeBufferPointer { c.appendHCAL(UnsafeBufferPointer(rebasing: $0[Cells.hcal..<Cells.hcal + 36])) }
        for k in 0..<3 {
            let a = energy[Cells.veto + 2 * k], b = energy[Cells.veto + 2 * k + 1]
            let (lo, hi) = (min(a, b), max(a, b))
            scratch[k] = lo < 0.3 * hi ? hi : (a * b).squareRoot()
        }
        scratch.withUnsafeBufferPointer { c.appendVeto(UnsafeBufferPointer(rebasing: $0[0..<3]), countThreshold: cal.vetoCountGeV) }
        energy.withUnsafeBufferPointer { c.appendSRD(UnsafeBufferPointer(rebasing: $0[Cells.srd..<Cells.srd + Cells.srdModules])) }
        let track = clusters.find(ev, nominal: beamEnergy)
        c.trackP.append(Float(track.momentum))
        c.trackChi2.append(Float(track.chi2))
        c.nTracks.append(UInt8(min(track.count, 255)))
        c.missing.append(Float(beamEnergy - ecalE))
        c.trackPOut.append(Float(track.momentumOut))
        c.pileUpE?.append(Float(pileUpE))
        c.pileUp?.append(UInt8(pileUpE > cal.pileUpEcalGeV ? 1 : 0))
        c.saturated?.append(UInt8(min(saturated, 255)))
        c.rawFile?.append(UInt16(truncatingIfNeeded: rawFile))
        c.rawOffset?.append(UInt64(rawOffset))

        var hits = NA64Columns.lastOffset(c.hitOffsets)
        for i in ev.stripPlane.indices {
            let (a0, a1, a2) = ev.stripFrames[i]
            let (f0, f1, f2) = (Double(a0), Double(a1), Double(a2))
            c.hitPlane.append(ev.stripPlane[i])
            c.hitStrip.append(ev.stripNumber[i])
            c.hitAmp.append(Float(max(f0, f1, f2)))
            c.hitTime.append(Float(f0 + f1 + f2 > 0 ? 25 * (f2 - f0) / (f0 + f1 + f2) : 0))
            hits += 1
        }
        c.hitOffsets.append(hits)
        if let offsets = c.strawOffsets, let plane = c.strawPlane, let wire = c.strawWire, let time = c.strawTime {
            var straws = NA64Columns.lastOffset(offsets)
            for i in ev.strawPlane.indices {
                plane.append(ev.strawPlane[i])
                wire.append(ev.strawWire[i])
                time.append(Float((Double(ev.strawTime[i]) - cal.strawWindow.lowerBound) * cal.strawNsPerUnit))
                straws += 1
            }
            offsets.append(straws)
        }
    }

    /// chi2/ndf of the 3x3 main-ECAL cells around the hottest one against the electron template.
    func showerChi2() -> Double {
        var hottest = 0
        for i in 0..<36 where energy[36 + i] > energy[36 + hottest] { hottest = i }
        let hx = hottest / 6, hy = hottest % 6
        var total = 0.0
        for dx in -1...1 {
            for dy in -1...1 where (0..<6).contains(hx + dx) && (0..<6).contains(hy + dy) {
                total += max(energy[36 + (hx + dx) * 6 + hy + dy], 0)
            }
        }
        guard total > 0 else { return 0 }
        var chi2 = 0.0
        for dx in -1...1 {
            for dy in -1...1 {
                let x = hx + dx, y = hy + dy
                let f = (0..<6).contains(x) && (0..<6).contains(y) ? max(energy[36 + x * 6 + y], 0) / total : 0
                let expected = Geometry.showerTemplate[(dx + 1) * 3 + dy + 1]
                let sigma = 0.1 * expected + 0.02
                chi2 += (f - expected) * (f - expected) / (sigma * sigma)
            }
        }
        return chi2 / 8
    }
}
