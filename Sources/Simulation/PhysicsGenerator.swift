import DAQ

/// What one triggered beam particle leaves in the detector, before any readout: the event
/// kind, the true energies, and per-cell deposits after the calorimeters' sampling resolution.
/// Reused event after event (no allocation per event).
public struct TrueEvent: Sendable {
    public var kind = PhysicsGenerator.Kind.electron
    /// Energy of the beam particle, GeV (beam energy with the beam spread).
    public var beamEnergy = 0.0
    /// Momentum at the upstream spectrometer, GeV/c (lower after upstream bremsstrahlung).
    public var momentum = 0.0
    /// Momenta of the charged particles that leave the HCAL towards the downstream
    /// spectrometer (muons), GeV/c; `outgoing` of them are set.
    public var outgoingMomenta = (0.0, 0.0)
    public var outgoing = 0
    /// Energy deposited in the ECAL and HCAL before resolution, GeV.
    public var trueEcal = 0.0
    public var trueHcal = 0.0
    /// Energy carried away by the invisible particle (A', Z' or η), GeV.
    public var aPrimeEnergy = 0.0
    /// Depth in the ECAL where it was emitted, radiation lengths (NaN for other events).
    public var signalDepth = Double.nan
    /// In-time deposits: ECAL 72 cells (preshower, main), HCAL 36, VETO 3 counters (GeV) and
    /// SRD 3 modules (MeV) in the first three lanes.
    public var ecal = [Double](repeating: 0, count: 72)
    public var hcal = [Double](repeating: 0, count: 36)
    public var veto = SIMD4<Double>()
    public var srd = SIMD4<Double>()
    /// Pile-up: the particles in the digitizer window (`pileUpCount`), each arriving at its own
    /// time (ns from the trigger); the first `maxPileUp` have their own ECAL (72 cells each) and
    /// HCAL (36) deposits, later ones are added to the last of those. `pileUpTime` is the first's.
    public var pileUpCount = 0
    public var pileUpTimes = [Double](repeating: 0, count: TrueEvent.maxPileUp)
    public var pileUpEcal = [Double](repeating: 0, count: 72 * TrueEvent.maxPileUp)
    public var pileUpHcal = [Double](repeating: 0, count: 36 * TrueEvent.maxPileUp)
    public var pileUpTime: Double { pileUpCount > 0 ? pileUpTimes[0] : 0 }
    public static let maxPileUp = 3
    /// Pile-up particles with deposits of their own.
    public var pileUpPulses: Int { min(pileUpCount, Self.maxPileUp) }
    /// Totals, kept in both modes: in-time preshower and main ECAL energy, HCAL module energies,
    /// and the shape of the first shower (impact offset in cells, central share, fall-off).
    public var preTotal = 0.0, mainTotal = 0.0
    public var hcalModules = SIMD4<Double>()
    public var shape = (dx: 0.0, dy: 0.0, central: 0.0, falloff: 0.0)
    /// False: only the totals are filled, not the cells (the summary profile, much faster).
    public var cells = true

    public init(cells: Bool = true) { self.cells = cells }

    mutating func clear() {
        if cells {
            for i in 0..<72 { ecal[i] = 0 }
            for i in 0..<36 { hcal[i] = 0 }
            for i in 0..<72 * pileUpPulses { pileUpEcal[i] = 0 }
            for i in 0..<36 * pileUpPulses { pileUpHcal[i] = 0 }
        }
        (hcalModules, veto, srd) = (.zero, .zero, .zero)
        (trueEcal, trueHcal, aPrimeEnergy, pileUpCount, preTotal, mainTotal) = (0, 0, 0, 0, 0, 0)
        (outgoing, signalDepth) = (0, .nan)
        shape.falloff = 0
    }

    /// Adds a particle leaving towards the downstream spectrometer (at most two are kept).
    mutating func exit(_ p: Double) {
        guard p > 0 else { return }
        if outgoing == 0 { outgoingMomenta.0 = p } else if outgoing == 1 { outgoingMomenta.1 = p } else { return }
        outgoing += 1
    }
}

/// Draws `TrueEvent`s with the physics of ../shared/NA64.md (numbers in `PhysicsConstants`) for
/// the three programmes. Electron and positron beams (NA64e): beam spread; ECAL showers shared
/// between preshower and main cells with resolution a/sqrt(E) (+) b and a low tail
/// (electro-nuclear or upstream bremsstrahlung); hadrons sharing energy between ECAL and HCAL
/// with wider showers; muons as MIPs; dimuon pairs; the A' signal with the mass-dependent
/// energy spectrum, emitted at a depth drawn from the electron's bremsstrahlung; SRD photons for
/// electrons and positrons only. Muon beam (NA64μ): MIPs, hard radiative losses, the Z'
/// signal taking momentum from the outgoing muon. Pion beam (NA64h): hadron showers, beam
/// muons, the η → invisible signal after charge exchange. Pile-up of beam particles for all.
public struct PhysicsGenerator: Sendable {
    public enum Beam: String, Sendable, CaseIterable { case electron = "e-", positron = "e+", muon = "mu", pion = "pi" }
    /// Truth kinds; `signal` is the programme's invisible decay (A', Z' or η).
    public enum Kind: UInt8, Sendable { case electron = 0, hadron = 1, muon = 2, signal = 3, dimuon = 5 }
    /// How pile-up is drawn: in time with the trigger (reconstructed-level events), or spread
    /// over the digitizer window (raw events, where the reconstruction must find it).
    public enum PileUp: Sendable { case inTime, window }

    public var beam: Beam
    public var energy: Double
    public var signalRate: Double
    public var massMeV: Double
    public var constants: PhysicsConstants
    public var pileUp: PileUp
    /// exp(-mean) of the pile-up Poisson draws.
    let pileUpLimit: (inTime: Double, window: Double)
    /// The beam cell: main ECAL (2, 2).
    public static let beamCell = 2 * 6 + 2

    public init(beam: Beam, energy: Double, signalRate: Double, massMeV: Double = 10, pileUp: PileUp, constants: PhysicsConstants = PhysicsConstants()) {
        (self.beam, self.energy, self.signalRate, self.massMeV, self.pileUp, self.constants) = (beam, energy, signalRate, massMeV, pileUp, constants)
        pileUpLimit = (_exp(-constants.pileUpMean), _exp(-constants.pileUpWindowMean))
    }

    func kind(_ rng: inout SimRandom) -> Kind {
        let u = rng.uniform()
        let k = constants
        var edge = signalRate
        if u < edge { return .signal }
        switch beam {
        case .muon:
            return u < edge + k.muonBeamHadronFraction ? .hadron : .muon
        case .pion:
            return u < edge + k.pionBeamMuonFraction ? .muon : .hadron
        case .electron, .positron:
            edge += k.hadronFraction
            if u < edge { return .hadron }
            edge += k.muonFraction
            if u < edge { return .muon }
            edge += k.dimuonFraction
            if u < edge { return .dimuon }
            return .electron
        }
    }

    public func generate(_ rng: inout SimRandom, into t: inout TrueEvent) {
        let k = constants
        t.clear()
        let e0 = energy * (1 + k.beamSpread * rng.gauss())
        t.beamEnergy = e0
        t.momentum = e0
        t.kind = kind(&rng)
        switch (t.kind, beam) {
        case (.signal, .muon): muonSignal(e0, into: &t, &rng)
        case (.signal, .pion): chargeExchangeSignal(e0, into: &t, &rng)
        case (.electron, _), (.signal, _), (.dimuon, _): electron(e0, into: &t, &rng)
        case (.hadron, _): hadron(e0, into: &t, &rng)
        case (.muon, _): muon(e0, into: &t, &rng)
        }
        pile(into: &t, &rng)
    }

    /// Electrons and positrons: the shower, with the A' (signal), the dimuon pair or the low tail.
    func electron(_ e0: Double, into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        var deposit = e0
        var preShare: Double? = nil
        if t.kind == .signal {
            let (w, shape) = k.signalShape(massMeV: massMeV)
            let x = rng.uniform() < w ? rng.uniform() : _exp(_log(rng.uniform()) / shape)
            t.aPrimeEnergy = x * e0
            deposit = (1 - x) * e0
            preShare = aPrimeEmission(e0, x: x, into: &t, &rng)
        } else if t.kind == .dimuon {
            // The muon pair leaves the ECAL with 30-90% of the energy, as MIPs downstream.
            let pair = (0.3 + 0.6 * rng.uniform()) * e0
            deposit -= pair
            for m in 0..<4 { hcalDeposit(2 * k.hcalMIPPerModule * (1 + 0.25 * rng.gauss()), module: m, into: &t, &rng) }
            for v in 0..<3 { t.veto[v] = 2 * k.vetoMIP * (1 + 0.3 * rng.gauss()) }
            let split = 0.2 + 0.6 * rng.uniform()
            t.exit(split * pair - k.ecalMIP - 4 * k.hcalMIPPerModule)
            t.exit((1 - split) * pair - k.ecalMIP - 4 * k.hcalMIPPerModule)
        } else if rng.uniform() < k.ecalTailFraction {
            // The low tail: an electro-nuclear interaction in the ECAL sends the missing
            // energy into the HCAL (the E_ECAL + E_HCAL ~ E0 diagonal), or bremsstrahlung
            // upstream of the magnet leaves the electron with less momentum at the tracker.
            let lost = tailLoss(&rng) * e0
            deposit -= lost
            if rng.uniform() < k.electroNuclearShareOfTail {
                hcalDeposit(lost * (1 + k.hcalStochastic / max(lost, 1).squareRoot() * rng.gauss()), module: 0, into: &t, &rng)
            } else {
                t.momentum -= lost
            }
        }
        t.trueEcal = deposit
        let sigma = deposit * ((k.ecalStochastic * k.ecalStochastic / max(deposit, 0.1)) + k.ecalConstant * k.ecalConstant).squareRoot()
        shower(max(0, deposit + sigma * rng.gauss()), preShare: preShare, into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
        if t.cells {
            for m in 0..<3 { t.srd[m] = rng.exponential(mean: k.srdMeanPerModule) }
        } else {
            // Totals only: the sum of the three modules' exponentials, a Gamma(3) draw, in module 0.
            t.srd[0] = -k.srdMeanPerModule * _log((1 - rng.uniform()) * (1 - rng.uniform()) * (1 - rng.uniform()))
        }
    }

    /// The share of the energy an electron of the low tail loses: a bremsstrahlung photon's
    /// (lost upstream, or sent into the HCAL by a photonuclear reaction), with the
    /// Bethe-Heitler spectrum dN/dy ∝ (4/3 − 4/3 y + y²) / y between `tailLoss` bounds.
    func tailLoss(_ rng: inout SimRandom) -> Double {
        let (lo, hi) = (constants.tailLoss.lowerBound, constants.tailLoss.upperBound)
        while true {
            let y = lo * _exp(_log(hi / lo) * rng.uniform())
            if rng.uniform() < 1 - y + 0.75 * y * y { return y }
        }
    }

    /// Hadrons: ~75% interact in the ECAL and share the energy with the HCAL, the others cross
    /// it as MIPs and shower in the HCAL.
    func hadron(_ e0: Double, into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        let interacts = rng.uniform() < k.hadronInteractFraction
        let f = interacts ? rng.uniform() : 0
        let inEcal = interacts ? f * e0 : k.ecalMIP
        t.trueEcal = inEcal
        shower(inEcal * (1 + 0.15 * rng.gauss()), into: &t, central: k.hadronCentralShare, falloff: k.hadronFalloff, &rng)
        let inHcal = max(0, e0 - inEcal)
        let sh = inHcal * (1 + k.hcalStochastic / max(inHcal, 1).squareRoot() * rng.gauss())
        hcalDeposit(max(0, sh), module: 0, into: &t, &rng)
        if rng.uniform() < 0.3 { for v in 0..<3 { t.veto[v] = k.vetoMIP * (1 + 0.3 * rng.gauss()) } }
        for m in 0..<3 { t.srd[m] = max(0, k.srdNoise * rng.gauss()) }
    }

    /// Muons: MIPs through the ECAL, the VETO and the four HCAL modules, now and then a hard
    /// radiative loss; the muon leaves towards the downstream spectrometer.
    func muon(_ e0: Double, into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        var p = e0
        var ecalLoss = 0.0, hcalLoss = 0.0
        if rng.uniform() < k.muonHardLoss {
            let lost = _exp(_log(0.05) * rng.uniform()) * e0
            if rng.uniform() < k.muonHardLossInEcal { ecalLoss = lost } else { hcalLoss = lost }
            p -= lost
        }
        t.trueEcal = k.ecalMIP + ecalLoss
        shower(k.ecalMIP * (1 + 0.2 * rng.gauss()) + ecalLoss, into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
        var mip = 0.0
        for m in 0..<4 {
            let e = k.hcalMIPPerModule * (1 + 0.25 * rng.gauss())
            mip += e
            hcalDeposit(e, module: m, into: &t, &rng)
        }
        if hcalLoss > 0 { hcalDeposit(hcalLoss * (1 + k.hcalStochastic / max(hcalLoss, 1).squareRoot() * rng.gauss()), module: 0, into: &t, &rng) }
        for v in 0..<3 { t.veto[v] = k.vetoMIP * (1 + 0.3 * rng.gauss()) }
        for m in 0..<3 { t.srd[m] = max(0, k.srdNoise * rng.gauss()) }
        t.exit(p - k.ecalMIP - mip)
    }

    /// Pile-up: other beam particles in the window, each at its own time.
    func pile(into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        switch pileUp {
        case .inTime:
            if rng.poisson(expMinusMean: pileUpLimit.inTime) > 0 {
                t.pileUpCount = 1
                beamParticle(energy * (1 + 0.05 * rng.gauss()), slot: nil, into: &t, &rng)
            }
        case .window:
            let n = rng.poisson(expMinusMean: pileUpLimit.window)
            t.pileUpCount = n
            for i in 0..<n {
                if i < TrueEvent.maxPileUp { t.pileUpTimes[i] = (rng.uniform() - 0.5) * k.pileUpWindowNs }
                beamParticle(energy * (1 + k.beamSpread * rng.gauss()), slot: min(i, TrueEvent.maxPileUp - 1), into: &t, &rng)
            }
        }
    }

    /// What a pile-up beam particle leaves: an electron shower, a muon's MIPs or a pion's
    /// shower shared with the HCAL; in time (`slot` nil) or in its pile-up slot.
    func beamParticle(_ e: Double, slot: Int?, into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        switch beam {
        case .electron, .positron:
            shower(e, pileUp: slot, into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
        case .muon:
            shower(k.ecalMIP, pileUp: slot, into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
            for m in 0..<4 { hcalDeposit(k.hcalMIPPerModule, module: m, pileUp: slot, into: &t, &rng) }
        case .pion:
            let inEcal = rng.uniform() < k.hadronInteractFraction ? rng.uniform() * e : k.ecalMIP
            shower(inEcal, pileUp: slot, into: &t, central: k.hadronCentralShare, falloff: k.hadronFalloff, &rng)
            hcalDeposit(e - inEcal, module: 0, pileUp: slot, into: &t, &rng)
        }
    }

    /// Shares `energy` between the preshower (`preShare` of it, or a share drawn from
    /// `preshowerShare`) and main ECAL cells around the beam cell, in time or into pile-up
    /// slot `pileUp` (`cells` false: only the totals of `t`).
    func shower(_ energy: Double, preShare: Double? = nil, pileUp slot: Int? = nil, into t: inout TrueEvent, central share: ClosedRange<Double>,
                falloff: Double, _ rng: inout SimRandom) {
        let k = constants
        let cell = Self.beamCell
        let drawn = k.preshowerShare.lowerBound + (k.preshowerShare.upperBound - k.preshowerShare.lowerBound) * rng.uniform()
        let pre = energy * (preShare ?? drawn)
        let main = energy - pre
        let central = share.lowerBound + (share.upperBound - share.lowerBound) * rng.uniform()
        // Neighbours share the rest with weights falling with distance, skewed by the impact point.
        let dx = 0.3 * rng.gauss(), dy = 0.3 * rng.gauss()
        if slot == nil {
            t.preTotal += pre
            t.mainTotal += main
            if t.shape.falloff == 0 { t.shape = (dx, dy, central, falloff) }
        }
        guard t.cells else { return }
        let cx = cell / 6, cy = cell % 6
        func deposit(_ ecal: inout [Double], at base: Int) {
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 36) { weights in
                var sum = 0.0
                for j in 0..<36 {
                    let ex = Double(j / 6 - cx) - dx, ey = Double(j % 6 - cy) - dy
                    weights[j] = j == cell ? 0 : _exp(-falloff * (ex * ex + ey * ey).squareRoot())
                    sum += weights[j]
                }
                ecal[base + 36 + cell] += main * central
                // The preshower sees a narrower shower: 80% in the central cell.
                ecal[base + cell] += pre * 0.8
                for j in 0..<36 where j != cell {
                    ecal[base + 36 + j] += main * (1 - central) * weights[j] / sum
                    ecal[base + j] += pre * 0.2 * weights[j] / sum
                }
            }
        }
        if let slot { deposit(&t.pileUpEcal, at: 72 * slot) } else { deposit(&t.ecal, at: 0) }
    }

    func hcalDeposit(_ energy: Double, module: Int, pileUp slot: Int? = nil, into t: inout TrueEvent, _ rng: inout SimRandom) {
        if slot == nil {
            t.hcalModules[module] += energy
            t.trueHcal += energy
        }
        guard t.cells else { return }
        let centre = 0.6 + 0.1 * rng.uniform()
        let base = slot.map { 36 * $0 } ?? 0
        func add(_ h: inout [Double]) {
            h[base + module * 9 + 4] += energy * centre
            for j in 0..<9 where j != 4 { h[base + module * 9 + j] += energy * (1 - centre) / 8 }
        }
        if slot != nil { add(&t.pileUpHcal) } else { add(&t.hcal) }
    }
}
