import DAQ

/// What one triggered beam particle leaves in the detector, before any readout: the event
/// kind, the true energies, and per-cell deposits after the calorimeters' sampling resolution.
/// Reused event after event (no allocation per event).
public struct TrueEvent: Sendable {
    public var kind = PhysicsGenerator.Kind.electron
    /// Energy of the beam particle, GeV (beam energy with the beam spread).
    public var beamEnergy = 0.0
    /// Momentum at the spectrometer, GeV/c (lower after upstream bremsstrahlung).
    public var momentum = 0.0
    /// Energy deposited in the ECAL and HCAL before resolution, GeV.
    public var trueEcal = 0.0
    public var trueHcal = 0.0
    /// Energy carried away by the A' (signal events), GeV.
    public var aPrimeEnergy = 0.0
    /// In-time deposits: ECAL 72 cells (preshower, main), HCAL 36, VETO 3 counters (GeV) and
    /// SRD 3 modules (MeV) in the first three lanes.
    public var ecal = [Double](repeating: 0, count: 72)
    public var hcal = [Double](repeating: 0, count: 36)
    public var veto = SIMD4<Double>()
    public var srd = SIMD4<Double>()
    /// Pile-up particles and their ECAL deposits; `pileUpTime` (ns from the trigger) is that of
    /// the first, later ones are added to it.
    public var pileUpCount = 0
    public var pileUpTime = 0.0
    public var pileUpEcal = [Double](repeating: 0, count: 72)
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
            for i in 0..<72 { ecal[i] = 0; pileUpEcal[i] = 0 }
            for i in 0..<36 { hcal[i] = 0 }
        }
        (hcalModules, veto, srd) = (.zero, .zero, .zero)
        (trueEcal, trueHcal, aPrimeEnergy, pileUpCount, pileUpTime, preTotal, mainTotal) = (0, 0, 0, 0, 0, 0, 0)
        shape.falloff = 0
    }
}

/// Draws `TrueEvent`s with the physics of ../shared/NA64.md (numbers in `PhysicsConstants`):
/// beam spread; electron showers shared between preshower and main cells with resolution
/// a/sqrt(E) (+) b and a low tail (electro-nuclear or upstream bremsstrahlung); hadrons sharing
/// energy between ECAL and HCAL with wider showers; muons as MIPs; dimuon pairs; A' signal with
/// the mass-dependent energy spectrum; SRD photons for electrons and positrons only; pile-up.
public struct PhysicsGenerator: Sendable {
    public enum Beam: String, Sendable, CaseIterable { case electron = "e-", positron = "e+", muon = "mu", pion = "pi" }
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
        switch beam {
        case .muon: return .muon
        case .pion: return .hadron
        case .electron, .positron:
            let k = constants
            var edge = signalRate
            if u < edge { return .signal }
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
        switch t.kind {
        case .electron, .signal, .dimuon:
            var deposit = e0
            if t.kind == .signal {
                let (w, shape) = k.signalShape(massMeV: massMeV)
                let x = rng.uniform() < w ? rng.uniform() : _exp(_log(rng.uniform()) / shape)
                t.aPrimeEnergy = x * e0
                deposit = (1 - x) * e0
            } else if t.kind == .dimuon {
                // The muon pair leaves the ECAL with 30-90% of the energy, as MIPs downstream.
                let pair = (0.3 + 0.6 * rng.uniform()) * e0
                deposit -= pair
                for m in 0..<4 { hcalDeposit(2 * k.hcalMIPPerModule * (1 + 0.25 * rng.gauss()), module: m, into: &t, &rng) }
                for v in 0..<3 { t.veto[v] = 2 * k.vetoMIP * (1 + 0.3 * rng.gauss()) }
            } else if rng.uniform() < k.ecalTailFraction {
                // The low tail: an electro-nuclear interaction in the ECAL sends the missing
                // energy into the HCAL (the E_ECAL + E_HCAL ~ E0 diagonal), or bremsstrahlung
                // upstream of the magnet leaves the electron with less momentum at the tracker.
                let lost = 0.5 * rng.uniform() * e0
                deposit -= lost
                if rng.uniform() < k.electroNuclearShareOfTail {
                    hcalDeposit(lost * (1 + k.hcalStochastic / max(lost, 1).squareRoot() * rng.gauss()), module: 0, into: &t, &rng)
                } else {
                    t.momentum -= lost
                }
            }
            t.trueEcal = deposit
            let sigma = deposit * ((k.ecalStochastic * k.ecalStochastic / max(deposit, 0.1)) + k.ecalConstant * k.ecalConstant).squareRoot()
            shower(max(0, deposit + sigma * rng.gauss()), into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
            if beam != .muon {
                if t.cells {
                    for m in 0..<3 { t.srd[m] = rng.exponential(mean: k.srdMeanPerModule) }
                } else {
                    // Totals only: the sum of the three modules' exponentials, a Gamma(3) draw, in module 0.
                    t.srd[0] = -k.srdMeanPerModule * _log((1 - rng.uniform()) * (1 - rng.uniform()) * (1 - rng.uniform()))
                }
            }
        case .hadron:
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
        case .muon:
            t.trueEcal = k.ecalMIP
            shower(k.ecalMIP * (1 + 0.2 * rng.gauss()), into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
            for m in 0..<4 { hcalDeposit(k.hcalMIPPerModule * (1 + 0.25 * rng.gauss()), module: m, into: &t, &rng) }
            for v in 0..<3 { t.veto[v] = k.vetoMIP * (1 + 0.3 * rng.gauss()) }
            for m in 0..<3 { t.srd[m] = max(0, k.srdNoise * rng.gauss()) }
        }
        // Pile-up: other beam electrons add full showers.
        switch pileUp {
        case .inTime:
            if rng.poisson(expMinusMean: pileUpLimit.inTime) > 0 {
                t.pileUpCount = 1
                shower(e0 * (1 + 0.05 * rng.gauss()), into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
            }
        case .window:
            let n = rng.poisson(expMinusMean: pileUpLimit.window)
            if n > 0 {
                t.pileUpCount = n
                t.pileUpTime = (rng.uniform() - 0.5) * k.pileUpWindowNs
                for _ in 0..<n {
                    shower(energy * (1 + k.beamSpread * rng.gauss()), into: &t, pileUp: true, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
                }
            }
        }
    }

    /// Shares `energy` between the preshower and main ECAL cells around the beam cell (`cells`
    /// nil: only the totals of `t`).
    func shower(_ energy: Double, into t: inout TrueEvent, pileUp: Bool = false, central share: ClosedRange<Double>, falloff: Double,
                _ rng: inout SimRandom) {
        let k = constants
        let cell = Self.beamCell
        let pre = energy * (k.preshowerShare.lowerBound + (k.preshowerShare.upperBound - k.preshowerShare.lowerBound) * rng.uniform())
        let main = energy - pre
        let central = share.lowerBound + (share.upperBound - share.lowerBound) * rng.uniform()
        // Neighbours share the rest with weights falling with distance, skewed by the impact point.
        let dx = 0.3 * rng.gauss(), dy = 0.3 * rng.gauss()
        if !pileUp {
            t.preTotal += pre
            t.mainTotal += main
            if t.shape.falloff == 0 { t.shape = (dx, dy, central, falloff) }
        }
        guard t.cells else { return }
        let cx = cell / 6, cy = cell % 6
        func deposit(_ ecal: inout [Double]) {
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 36) { weights in
                var sum = 0.0
                for j in 0..<36 {
                    let ex = Double(j / 6 - cx) - dx, ey = Double(j % 6 - cy) - dy
                    weights[j] = j == cell ? 0 : _exp(-falloff * (ex * ex + ey * ey).squareRoot())
                    sum += weights[j]
                }
                ecal[36 + cell] += main * central
                // The preshower sees a narrower shower: 80% in the central cell.
                ecal[cell] += pre * 0.8
                for j in 0..<36 where j != cell {
                    ecal[36 + j] += main * (1 - central) * weights[j] / sum
                    ecal[j] += pre * 0.2 * weights[j] / sum
                }
            }
        }
        if pileUp { deposit(&t.pileUpEcal) } else { deposit(&t.ecal) }
    }

    func hcalDeposit(_ energy: Double, module: Int, into t: inout TrueEvent, _ rng: inout SimRandom) {
        t.hcalModules[module] += energy
        t.trueHcal += energy
        guard t.cells else { return }
        let centre = 0.6 + 0.1 * rng.uniform()
        t.hcal[module * 9 + 4] += energy * centre
        for j in 0..<9 where j != 4 { t.hcal[module * 9 + j] += energy * (1 - centre) / 8 }
    }
}
