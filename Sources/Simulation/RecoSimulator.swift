import Dispatch
import EventFormat

/// Generates NA64 invisible-mode events at the reconstructed level (the columns the converter
/// writes), with the beam, shower and detector numbers of `PhysicsConstants`. Events come in
/// blocks; block b is drawn from its own random stream, so output is the same for any number
/// of threads.
public struct RecoSimulator: Sendable {
    public enum Beam: String, Sendable, CaseIterable { case electron = "e-", positron = "e+", muon = "mu", pion = "pi" }
    public enum Kind: UInt8, Sendable { case electron = 0, hadron = 1, muon = 2, signal = 3, pileUp = 4 }

    public var run: UInt32
    public var seed: UInt64
    public var beam: Beam
    public var energy: Double
    public var signalRate: Double
    public var constants = PhysicsConstants()
    public static let blockSize = 16384

    public init(run: UInt32, seed: UInt64, beam: Beam = .electron, energy: Double = 100, signalRate: Double = 0) {
        self.run = run
        self.seed = seed
        self.beam = beam
        self.energy = energy
        self.signalRate = signalRate
    }

    /// Writes `events` events to `writer`, generating blocks on `threads` threads.
    /// `progress` is called with the events written so far.
    public func write(events: Int, to writer: EVCWriter, threads: Int, progress: ((Int) -> Void)? = nil) throws(EVCError) {
        let blocks = (events + Self.blockSize - 1) / Self.blockSize
        var next = 0
        while next < blocks {
            let group = min(max(threads, 1) * 2, blocks - next)
            let out = BatchSlots(group)
            let first = next
            DispatchQueue.concurrentPerform(iterations: group) { k in
                let b = first + k
                let n = min(Self.blockSize, events - b * Self.blockSize)
                out.slots[k] = self.block(b, count: n)
            }
            for k in 0..<group {
                try writer.write(out.slots[k]!)
                progress?(min(events, (first + k + 1) * Self.blockSize))
            }
            next += group
        }
    }

    final class BatchSlots: @unchecked Sendable {
        // Safe: each concurrent iteration writes only its own slot.
        var slots: [EventBatch?]
        init(_ n: Int) { slots = Array(repeating: nil, count: n) }
    }

    /// Block `b` of the run: events b*blockSize ..< b*blockSize + count.
    public func block(_ b: Int, count: Int) -> EventBatch {
        let schema = NA64Schema.make()
        var batch = EventBatch(schema: schema, capacity: count)
        var rng = SimRandom(seed: seed, stream: UInt64(b))
        let c = Columns(batch)
        for i in 0..<count {
            event(number: b * Self.blockSize + i, &rng, c)
        }
        // Safe: every column was filled for `count` events above.
        try! batch.commitEvents(count)
        return batch
    }

    /// The column buffers, looked up once per block.
    struct Columns {
        let run, spill, event, trigger, timeInSpill, ecalCells, ecalE, ecalPre, ecalMax, ecalX, ecalY, ecalChi2: ColumnBuffer
        let hcalCells, hcalModules, hcalE, vetoE, veto, srdE, srdSum, trackP, trackChi2, nTracks, missing: ColumnBuffer
        let hitOffsets, hitPlane, hitStrip, hitAmp, hitTime: ColumnBuffer
        init(_ b: EventBatch) {
            func c(_ p: String) -> ColumnBuffer { b.column(p)! }
            (run, spill, event, trigger, timeInSpill) = (c("run"), c("spill"), c("event"), c("trigger"), c("time_in_spill"))
            (ecalCells, ecalE, ecalPre, ecalMax, ecalX, ecalY, ecalChi2) =
                (c("ecal_cells"), c("ecal_e"), c("ecal_pre_e"), c("ecal_max_cell"), c("ecal_x"), c("ecal_y"), c("ecal_shower_chi2"))
            (hcalCells, hcalModules, hcalE, vetoE, veto) = (c("hcal_cells"), c("hcal_module_e"), c("hcal_e"), c("veto_e"), c("veto"))
            (srdE, srdSum, trackP, trackChi2, nTracks, missing) =
                (c("srd_e"), c("srd_e_sum"), c("track_p"), c("track_chi2"), c("n_tracks"), c("missing_energy"))
            (hitOffsets, hitPlane, hitStrip, hitAmp, hitTime) =
                (c("mm_hits#offsets"), c("mm_hits.plane"), c("mm_hits.strip"), c("mm_hits.amplitude"), c("mm_hits.time"))
        }
    }

    func kind(_ rng: inout SimRandom) -> Kind {
        let u = rng.uniform()
        switch beam {
        case .muon: return .muon
        case .pion: return .hadron
        case .electron, .positron:
            if u < signalRate { return .signal }
            if u < signalRate + constants.hadronFraction { return .hadron }
            if u < signalRate + constants.hadronFraction + constants.muonFraction { return .muon }
            return .electron
        }
    }

    func event(number: Int, _ rng: inout SimRandom, _ c: Columns) {
        let k = constants
        let e0 = energy * (1 + k.beamSpread * rng.gauss())
        let kind = kind(&rng)
        var ecal = [Double](repeating: 0, count: 72)
        var hcal = [Double](repeating: 0, count: 36)
        var veto = [0.0, 0.0, 0.0]
        var srd = [0.0, 0.0, 0.0]
        let beamCell = 2 * 6 + 2
        var momentum = e0
        switch kind {
        case .electron, .signal, .pileUp:
            var deposit = e0
            if kind == .signal {
                let x = _exp(_log(rng.uniform()) / k.signalShapeK)
                deposit = (1 - x) * e0
            } else if rng.uniform() < k.ecalTailFraction {
                // The low tail: an electro-nuclear interaction in the ECAL sends the missing
                // energy into the HCAL (the E_ECAL + E_HCAL ~ E0 diagonal), or bremsstrahlung
                // upstream of the magnet leaves the electron with less momentum at the tracker.
                let lost = 0.5 * rng.uniform() * e0
                deposit -= lost
                if rng.uniform() < k.electroNuclearShareOfTail {
                    hcalDeposit(lost * (1 + k.hcalStochastic / max(lost, 1).squareRoot() * rng.gauss()), module: 0, into: &hcal, &rng)
                } else {
                    momentum -= lost
                }
            }
            let sigma = deposit * ((k.ecalStochastic * k.ecalStochastic / max(deposit, 0.1)) + k.ecalConstant * k.ecalConstant).squareRoot()
            shower(max(0, deposit + sigma * rng.gauss()), into: &ecal, cell: beamCell, &rng)
            if beam != .muon { for m in 0..<3 { srd[m] = rng.exponential(mean: k.srdMeanPerModule) } }
        case .hadron:
            let interacts = rng.uniform() < k.hadronInteractFraction
            let f = interacts ? rng.uniform() : 0
            let inEcal = interacts ? f * e0 : k.ecalMIP
            shower(inEcal * (1 + 0.15 * rng.gauss()), into: &ecal, cell: beamCell, &rng)
            let inHcal = max(0, e0 - inEcal)
            let sh = inHcal * (1 + k.hcalStochastic / max(inHcal, 1).squareRoot() * rng.gauss())
            hcalDeposit(max(0, sh), module: 0, into: &hcal, &rng)
            if rng.uniform() < 0.3 { for v in 0..<3 { veto[v] = k.vetoMIP * (1 + 0.3 * rng.gauss()) } }
            for m in 0..<3 { srd[m] = max(0, k.srdNoise * rng.gauss()) }
        case .muon:
            shower(k.ecalMIP * (1 + 0.2 * rng.gauss()), into: &ecal, cell: beamCell, &rng)
            for m in 0..<4 { hcalDeposit(k.hcalMIPPerModule * (1 + 0.25 * rng.gauss()), module: m, into: &hcal, &rng) }
            for v in 0..<3 { veto[v] = k.vetoMIP * (1 + 0.3 * rng.gauss()) }
            for m in 0..<3 { srd[m] = max(0, k.srdNoise * rng.gauss()) }
        }
        // Pile-up: another beam electron in the window adds a full shower.
        if rng.poisson(mean: k.pileUpMean) > 0 {
            shower(e0 * (1 + 0.05 * rng.gauss()), into: &ecal, cell: beamCell, &rng)
        }
        for i in 0..<72 { ecal[i] += k.ecalNoise * rng.gauss() }
        for i in 0..<36 { hcal[i] += k.hcalNoise * rng.gauss() }

        var ecalSum = 0.0, preSum = 0.0, maxCell = 0, xw = 0.0, yw = 0.0, mainSum = 0.0
        for i in 0..<72 {
            ecalSum += ecal[i]
            if i < 36 { preSum += ecal[i] } else {
                let j = i - 36
                if ecal[i] > ecal[36 + maxCell] { maxCell = j }
                let e = max(ecal[i], 0)
                mainSum += e
                xw += e * (Double(j / 6) - 2.5) * k.cellPitch
                yw += e * (Double(j % 6) - 2.5) * k.cellPitch
            }
        }
        var modules = [0.0, 0.0, 0.0, 0.0]
        for m in 0..<4 { for j in 0..<9 { modules[m] += hcal[m * 9 + j] } }
        let hcalE = modules[0] + modules[1] + modules[2]
        let chi2 = kind == .hadron ? 3 + rng.exponential(mean: 8) : chiSquare(4, &rng) / 4
        let spillNumber = number / k.eventsPerSpill + 1
        let inSpill = number % k.eventsPerSpill

        c.run.append(run)
        c.spill.append(UInt16(truncatingIfNeeded: spillNumber))
        c.event.append(UInt64(number))
        c.trigger.append(UInt8(1))
        c.timeInSpill.append(Float(Double(inSpill) / Double(k.eventsPerSpill) * k.spillSeconds))
        for v in ecal { c.ecalCells.append(Float(v)) }
        c.ecalE.append(Float(ecalSum))
        c.ecalPre.append(Float(preSum))
        c.ecalMax.append(UInt8(maxCell))
        c.ecalX.append(Float(mainSum > 0 ? xw / mainSum : 0))
        c.ecalY.append(Float(mainSum > 0 ? yw / mainSum : 0))
        c.ecalChi2.append(Float(chi2))
        for v in hcal { c.hcalCells.append(Float(v)) }
        for v in modules { c.hcalModules.append(Float(v)) }
        c.hcalE.append(Float(hcalE))
        var nVeto: UInt8 = 0
        for v in veto {
            c.vetoE.append(Float(v))
            if v > k.vetoThreshold { nVeto += 1 }
        }
        c.veto.append(nVeto)
        for v in srd { c.srdE.append(Float(v)) }
        c.srdSum.append(Float(srd.reduce(0, +)))
        c.trackP.append(Float(momentum * (1 + 0.01 * rng.gauss())))
        c.trackChi2.append(Float(chiSquare(3, &rng) / 3))
        c.nTracks.append(UInt8(1 + (rng.uniform() < 0.05 ? 1 : 0)))
        c.missing.append(Float(energy - ecalSum))
        // Micromegas hits near the beam spot, one cluster of strips per plane.
        var total = c.hitOffsets.count == 0 ? 0 : c.hitOffsets.buffer(UInt64.self)[c.hitOffsets.count - 1]
        for plane in 0..<k.mmPlanes where rng.uniform() < 0.95 {
            let centre = 160 + 3 * rng.gauss()
            for s in 0..<(1 + Int(rng.uniform() * 3)) {
                c.hitPlane.append(UInt8(plane))
                c.hitStrip.append(UInt16(max(0, min(319, centre + Double(s)))))
                c.hitAmp.append(Float(max(1, 80 + 40 * rng.gauss())))
                c.hitTime.append(Float(5 * rng.gauss()))
                total += 1
            }
        }
        c.hitOffsets.append(total)
    }

    /// Shares `energy` between the preshower and main ECAL cells around `cell`.
    func shower(_ energy: Double, into ecal: inout [Double], cell: Int, _ rng: inout SimRandom) {
        let k = constants
        let pre = energy * (k.preshowerShare.lowerBound + (k.preshowerShare.upperBound - k.preshowerShare.lowerBound) * rng.uniform())
        let main = energy - pre
        let central = k.centralCellShare.lowerBound + (k.centralCellShare.upperBound - k.centralCellShare.lowerBound) * rng.uniform()
        let cx = cell / 6, cy = cell % 6
        // Neighbours share the rest with weights falling with distance, skewed by the impact point.
        let dx = 0.3 * rng.gauss(), dy = 0.3 * rng.gauss()
        var weights = [Double](repeating: 0, count: 36)
        var sum = 0.0
        for j in 0..<36 where j != cell {
            let d = ((Double(j / 6 - cx) - dx) * (Double(j / 6 - cx) - dx) + (Double(j % 6 - cy) - dy) * (Double(j % 6 - cy) - dy)).squareRoot()
            weights[j] = _exp(-2.2 * d)
            sum += weights[j]
        }
        ecal[36 + cell] += main * central
        for j in 0..<36 where j != cell { ecal[36 + j] += main * (1 - central) * weights[j] / sum }
        // The preshower sees a narrower shower: 80% in the central cell.
        ecal[cell] += pre * 0.8
        for j in 0..<36 where j != cell { ecal[j] += pre * 0.2 * weights[j] / sum }
    }

    func hcalDeposit(_ energy: Double, module: Int, into hcal: inout [Double], _ rng: inout SimRandom) {
        let centre = 0.6 + 0.1 * rng.uniform()
        hcal[module * 9 + 4] += energy * centre
        for j in 0..<9 where j != 4 { hcal[module * 9 + j] += energy * (1 - centre) / 8 }
    }

    func chiSquare(_ dof: Int, _ rng: inout SimRandom) -> Double {
        var s = 0.0
        for _ in 0..<dof {
            let g = rng.gauss()
            s += g * g
        }
        return s
    }
}
