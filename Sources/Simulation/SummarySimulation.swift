import DAQ
import EventFormat

/// The summary profile: the scalar columns of `NA64Schema.summary()` from `PhysicsGenerator`
/// totals, with the cell-level quantities in closed form — noise summed over the cells it
/// would have hit, the shower's centre of gravity from a table over the impact offset — and
/// written straight into the column buffers. Same physics, ~1/10 of the bytes, no per-cell work.
extension RecoSimulator {
    func summaryBlock(_ b: Int, count n: Int) -> EventBatch {
        var batch = EventBatch(schema: NA64Schema.summary(), capacity: n)
        func col<T: EVCScalar>(_ name: String, _: T.Type) -> UnsafeMutablePointer<T> {
            let c = batch.column(name)!
            c.resize(n)
            return c.mutableRawBytes.baseAddress!.assumingMemoryBound(to: T.self)
        }
        let run = col("run", UInt32.self), spill = col("spill", UInt16.self), event = col("event", UInt64.self)
        let trigger = col("trigger", UInt8.self), time = col("time_in_spill", Float.self)
        let ecalE = col("ecal_e", Float.self), pre = col("ecal_pre_e", Float.self), maxCell = col("ecal_max_cell", UInt8.self)
        let x = col("ecal_x", Float.self), y = col("ecal_y", Float.self), showerChi2 = col("ecal_shower_chi2", Float.self)
        let hcalE = col("hcal_e", Float.self), veto = col("veto", UInt8.self), srd = col("srd_e_sum", Float.self)
        let trackP = col("track_p", Float.self), trackChi2 = col("track_chi2", Float.self), nTracks = col("n_tracks", UInt8.self)
        let missing = col("missing_energy", Float.self)

        let k = physics.constants
        // Noise summed over the cells: 36 preshower, 36 main, 27 HCAL cells of modules 0-2.
        let layerNoise = k.ecalNoise * 6, hcalNoise = k.hcalNoise * 27.0.squareRoot()
        var rng = SimRandom(seed: seed, stream: UInt64(b))
        var t = TrueEvent(cells: false)
        for i in 0..<n {
            let number = b * Self.blockSize + i
            physics.generate(&rng, into: &t)
            let preE = t.preTotal + layerNoise * rng.fastGauss()
            let ecal = preE + t.mainTotal + layerNoise * rng.fastGauss()
            let (cx, cy) = showers.centre(t.shape)
            run[i] = self.run
            spill[i] = UInt16(truncatingIfNeeded: number / k.eventsPerSpill + 1)
            event[i] = UInt64(number)
            trigger[i] = 1
            time[i] = Float(Double(number % k.eventsPerSpill) / Double(k.eventsPerSpill) * k.spillSeconds)
            ecalE[i] = Float(ecal)
            pre[i] = Float(preE)
            // The beam cell is the hottest unless the shower is lost in the noise.
            maxCell[i] = t.mainTotal > 3 * k.ecalNoise ? UInt8(PhysicsGenerator.beamCell) : UInt8(rng.next() % 36)
            x[i] = Float(cx)
            y[i] = Float(cy)
            // chi2 with 4 degrees of freedom is a Gamma(2, 2): one logarithm instead of four squares.
            showerChi2[i] = Float(t.kind == .hadron ? 3 + rng.exponential(mean: 8) : -0.5 * _log((1 - rng.uniform()) * (1 - rng.uniform())))
            hcalE[i] = Float(t.hcalModules[0] + t.hcalModules[1] + t.hcalModules[2] + hcalNoise * rng.fastGauss())
            var counters: UInt8 = 0
            for v in 0..<3 where t.veto[v] > k.vetoThreshold { counters += 1 }
            veto[i] = counters
            srd[i] = Float(t.srd[0] + t.srd[1] + t.srd[2])
            trackP[i] = Float(t.momentum * (1 + 0.01 * rng.fastGauss()))
            trackChi2[i] = Float(chiSquare(3, &rng) / 3)
            nTracks[i] = rng.uniform() < 0.05 ? 2 : 1
            missing[i] = Float(physics.energy - ecal)
        }
        batch.noteAppendedEvents(n)
        return batch
    }
}

/// Centre of gravity (mm) of a main-ECAL shower in the beam cell as a function of the impact
/// offset, for the electron and the hadron fall-off, tabulated once: the summary profile's
/// `ecal_x`/`ecal_y` without summing 36 cells per event.
struct ShowerCentres: Sendable {
    static let steps = 81, range = 1.5
    let electron: [(Double, Double)], hadron: [(Double, Double)]
    let electronFalloff: Double

    init(constants k: PhysicsConstants) {
        electronFalloff = k.electronFalloff
        electron = Self.table(falloff: k.electronFalloff)
        hadron = Self.table(falloff: k.hadronFalloff)
    }

    /// Weighted mean position of the neighbours of the beam cell for offsets on a grid.
    static func table(falloff: Double) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        let cell = PhysicsGenerator.beamCell, cx = cell / 6, cy = cell % 6
        for a in 0..<steps {
            for b in 0..<steps {
                let dx = -range + 2 * range * Double(a) / Double(steps - 1), dy = -range + 2 * range * Double(b) / Double(steps - 1)
                var sum = 0.0, sx = 0.0, sy = 0.0
                for j in 0..<36 where j != cell {
                    let ex = Double(j / 6 - cx) - dx, ey = Double(j % 6 - cy) - dy
                    let w = _exp(-falloff * (ex * ex + ey * ey).squareRoot())
                    sum += w
                    sx += w * (Double(j / 6) - 2.5) * Geometry.ecalPitch
                    sy += w * (Double(j % 6) - 2.5) * Geometry.ecalPitch
                }
                out.append((sx / sum, sy / sum))
            }
        }
        return out
    }

    func centre(_ s: (dx: Double, dy: Double, central: Double, falloff: Double)) -> (Double, Double) {
        guard s.falloff > 0 else { return (0, 0) }
        func index(_ d: Double) -> Int {
            Int(((min(max(d, -Self.range), Self.range) + Self.range) / (2 * Self.range) * Double(Self.steps - 1)).rounded())
        }
        let (nx, ny) = (s.falloff == electronFalloff ? electron : hadron)[index(s.dx) * Self.steps + index(s.dy)]
        let cell = PhysicsGenerator.beamCell
        let bx = (Double(cell / 6) - 2.5) * Geometry.ecalPitch, by = (Double(cell % 6) - 2.5) * Geometry.ecalPitch
        return (s.central * bx + (1 - s.central) * nx, s.central * by + (1 - s.central) * ny)
    }
}
