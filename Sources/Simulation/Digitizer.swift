import DAQ

/// Turns a `TrueEvent`'s cell energies into MSADC waveforms: the gain of the calibration, the
/// calibration's pulse shape of the cell's detector with its half maximum at the trigger time
/// (plus the trigger's phase against the digitizer clock), pile-up pulses at their own time,
/// per-channel pedestals that differ between even and odd samples, Gaussian noise, 12-bit
/// rounding and saturation.
struct Digitizer {
    struct Chip {
        var port: Int
        var chip: Int
        var channels: [(chan: Int, cell: Int)]
    }

    let calibration: Calibration
    /// MSADC equipments: source ID and its chips, in address order.
    let layout: [(source: UInt32, chips: [Chip])]
    /// Per cell: even and odd pedestals and noise sigma, ADC counts (fixed for the run).
    let pedEven: [Double], pedOdd: [Double], noise: [Double]
    /// Per detector group: the pulse shape sampled every 0.1 ns from its start, and where it
    /// crosses half its maximum, ns after its start.
    let pulses: [[Double]], halfRise: [Double]
    /// Per cell: its group's index.
    let groupOf: [Int]
    /// Pulse height per unit of energy for each cell: the calibration's gain (ADC counts of the
    /// pulse's maximum per GeV, as the reconstruction measures them).
    let pulseGains: [Double]
    static let samples = 32

    private var amp = [Double](repeating: 0, count: Cells.count)
    /// Pile-up pulse heights per pile-up particle and cell.
    private var pileAmp = [Double](repeating: 0, count: Cells.count * TrueEvent.maxPileUp)
    private var waveform = [UInt16](repeating: 0, count: samples)

    init(simulator s: RawSimulator) {
        calibration = s.calibration
        var bySource: [UInt32: [Int: Chip]] = [:]
        for cell in 0..<Cells.count {
            guard let a = s.table.addresses[cell] else { continue }
            bySource[UInt32(a.sourceID), default: [:]][a.port << 2 | a.chip, default: Chip(port: a.port, chip: a.chip, channels: [])]
                .channels.append((a.channel, cell))
        }
        layout = bySource.keys.sorted().map { src in
            (src, bySource[src]!.keys.sorted().map { key in
                var chip = bySource[src]![key]!
                chip.channels.sort { $0.chan < $1.chan }
                return chip
            })
        }
        // Pedestals ~150-250 ADC, odd samples 2-10 ADC higher, noise 1-3 ADC [../shared/NA64.md 4].
        var rng = SimRandom(seed: UInt64(s.run), stream: 0xDE7EC7)
        var even: [Double] = [], odd: [Double] = [], sigma: [Double] = []
        for _ in 0..<Cells.count {
            let p = 150 + 100 * rng.uniform()
            even.append(p)
            odd.append(p + 2 + 8 * rng.uniform())
            sigma.append(1 + 2 * rng.uniform())
        }
        (pedEven, pedOdd, noise) = (even, odd, sigma)
        let shapes = Cells.Group.allCases.map { s.calibration.pulseShape($0) }
        pulses = shapes.map { shape in (0..<Int(Double(shape.values.count) * shape.stepNs * 10)).map { shape.value(at: Double($0) * 0.1) } }
        halfRise = shapes.map(\.halfRiseNs)
        groupOf = (0..<Cells.count).map { Cells.Group.allCases.firstIndex(of: Cells.group(of: $0))! }
        pulseGains = s.calibration.gains
    }

    @inline(__always) func shape(_ pulse: UnsafeBufferPointer<Double>, _ dt: Double) -> Double {
        guard dt > 0 else { return 0 }
        let i = Int(dt * 10)
        return i < pulse.count ? pulse[i] : 0
    }

    /// Appends the MSADC equipments of one physics event. Returns the in-time ECAL energy the
    /// cells were given (after the sampling resolution), for the truth file.
    mutating func digitize(_ t: TrueEvent, eventInSpill: UInt32, into builder: inout RawEventBuilder, _ rng: inout SimRandom) -> Double {
        let gains = pulseGains
        let slots = t.pileUpPulses
        var ecal = 0.0
        for i in 0..<72 {
            amp[Cells.ecal + i] = max(t.ecal[i], 0) * gains[Cells.ecal + i]
            for p in 0..<slots { pileAmp[p * Cells.count + Cells.ecal + i] = t.pileUpEcal[72 * p + i] * gains[Cells.ecal + i] }
            ecal += t.ecal[i]
        }
        for i in 0..<36 {
            amp[Cells.hcal + i] = max(t.hcal[i], 0) * gains[Cells.hcal + i]
            for p in 0..<slots { pileAmp[p * Cells.count + Cells.hcal + i] = t.pileUpHcal[36 * p + i] * gains[Cells.hcal + i] }
        }
        for k in 0..<3 {
            for pmt in 0..<2 {
                let c = Cells.veto + 2 * k + pmt
                amp[c] = max(0, t.veto[k] * gains[c] * (1 + 0.1 * rng.gauss()))
            }
        }
        for m in 0..<Cells.srdModules { amp[Cells.srd + m] = max(t.srd[m], 0) * gains[Cells.srd + m] }
        for c in Cells.beam..<Cells.count {
            amp[c] = RawSimulator.counterMIP * max(0.3, 1 + 0.15 * rng.gauss())
            for p in 0..<slots { pileAmp[p * Cells.count + c] = RawSimulator.counterMIP * max(0.3, 1 + 0.15 * rng.gauss()) }
        }
        // The trigger's phase against the 80 MHz digitizer clock: where half maxima fall.
        let start = calibration.triggerNs + calibration.sampleNs * (rng.uniform() - 0.5)
        let dt = calibration.sampleNs
        for (source, chips) in layout {
            builder.beginEquipment(.msadc, sourceID: source)
            for chip in chips {
                builder.beginChip(port: chip.port, chip: chip.chip, eventInSpill: eventInSpill)
                for (chan, cell) in chip.channels {
                    let g = groupOf[cell]
                    let t0 = start - halfRise[g] + 0.5 * rng.gauss()
                    let a = amp[cell]
                    pulses[g].withUnsafeBufferPointer { pulse in
                        for k in 0..<Self.samples {
                            let tk = Double(k) * dt
                            var v = (k & 1 == 0 ? pedEven[cell] : pedOdd[cell]) + noise[cell] * rng.fastGauss()
                            if a > 0 { v += a * shape(pulse, tk - t0) }
                            for p in 0..<slots where pileAmp[p * Cells.count + cell] > 0 {
                                v += pileAmp[p * Cells.count + cell] * shape(pulse, tk - (start - halfRise[g] + t.pileUpTimes[p]))
                            }
                            waveform[k] = UInt16(min(max(v.rounded(), 0), Double(MSADC.saturation)))
                        }
                    }
                    waveform.withUnsafeBufferPointer { builder.channel(chan, samples: $0) }
                }
                builder.endChip()
            }
            builder.endEquipment()
        }
        return ecal
    }
}
