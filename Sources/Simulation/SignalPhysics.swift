/// The signals of the three programmes (numbers in `PhysicsConstants`).
extension PhysicsGenerator {
    /// NA64e: where the A' taking `x` of the beam energy is emitted, and what the preshower then
    /// sees; returns the preshower's share of the energy left in the ECAL.
    ///
    /// The beam electron radiates as it enters the ECAL: −ln(E/E0) grows as a Gamma process of
    /// rate `bremRate` per X0 (hard photons drawn one by one, the soft ones as a steady loss).
    /// The A' needs an electron of at least x·E0, and its emission is equally likely anywhere
    /// along the path while the electron has that: the depth is uniform up to where the
    /// electron's energy falls below x·E0. The photons radiated before it, and the electron left
    /// with the rest after it, shower from where they start; the preshower holds the part of
    /// each shower's longitudinal profile in its first `preshowerDepthX0`.
    func aPrimeEmission(_ e0: Double, x: Double, into t: inout TrueEvent, _ rng: inout SimRandom) -> Double {
        let k = constants
        let level = -_log(max(x, 1e-12))
        let soft = k.bremRate * k.softPhotonCut  // steady −ln(E/E0) per X0 from photons below the cut
        let rate = k.bremRate * Self.expIntegral(k.softPhotonCut)  // hard photons per X0
        // One history of the electron: photon depths and −ln(E/E0) after each.
        var depths: [Double] = [], levels: [Double] = []
        var depth = 0.0, s = 0.0, end = k.ecalDepthX0
        while true {
            let step = rng.exponential(mean: 1 / rate)
            if s + soft * step >= level {
                end = depth + (level - s) / soft
                break
            }
            depth += step
            s += soft * step
            guard depth < k.ecalDepthX0 else { break }
            // A jump z with density ∝ e^(−z)/z above the cut: log-uniform proposal, accepted with e^(−(z − cut)).
            var z = 0.0
            repeat { z = k.softPhotonCut * _exp(_log(50) * rng.uniform()) } while rng.uniform() > _exp(k.softPhotonCut - z)
            depths.append(depth)
            levels.append(s + z)
            s += z
            if s >= level {
                end = depth
                break
            }
        }
        let emission = rng.uniform() * min(end, k.ecalDepthX0)
        t.signalDepth = emission
        // Energy left to the ECAL: the photons before the emission, then the electron's rest.
        var pre = 0.0, sAt = soft * emission
        for (i, d) in depths.enumerated() where d < emission {
            let previous = i == 0 ? soft * d : levels[i - 1] + soft * (d - depths[i - 1])
            let photon = e0 * (_exp(-previous) - _exp(-levels[i]))
            pre += photon * preshowerFraction(photon, from: d, photon: true)
            sAt = levels[i] + soft * (emission - d)
        }
        // The steady soft loss before the emission, as one photon half-way.
        let softLoss = e0 * (1 - _exp(-soft * emission))
        pre += softLoss * preshowerFraction(softLoss, from: emission / 2, photon: true)
        let rest = max(0, e0 * (_exp(-sAt) - x))
        pre += rest * preshowerFraction(rest, from: emission, photon: false)
        let left = (1 - x) * e0
        return left > 0 ? min(1, pre / left) : 0
    }

    /// Share of a shower of `energy` GeV starting at `depth` X0 that falls in the preshower.
    func preshowerFraction(_ energy: Double, from depth: Double, photon: Bool) -> Double {
        let k = constants
        guard energy > 0, depth < k.preshowerDepthX0 else { return 0 }
        let tMax = max(0, _log(energy / k.criticalEnergyGeV) - (photon ? 0.5 : 1))
        return Self.lowerGamma(k.profileSlope * tMax + 1, k.profileSlope * (k.preshowerDepthX0 - depth))
    }

    /// The regularized lower incomplete gamma function P(a, x), by its series.
    static func lowerGamma(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 0 }
        var term = 1 / a, sum = term, n = 1.0
        while term > 1e-12 * sum && n < 500 {
            term *= x / (a + n)
            sum += term
            n += 1
        }
        return min(1, sum * _exp(-x + a * _log(x) - _lgamma(a)))
    }

    /// E1(x) = ∫_x^∞ e^(−t)/t dt for small x (series).
    static func expIntegral(_ x: Double) -> Double {
        var sum = -0.577_215_664_901_532_9 - _log(x), term = 1.0
        for n in 1...30 {
            term *= -x / Double(n)
            sum -= term / Double(n)
        }
        return sum
    }

    /// NA64μ: the muon radiates a Z' taking `x` of its energy somewhere in the ECAL; the
    /// calorimeters see only its MIPs, the downstream spectrometer the softer muon.
    func muonSignal(_ e0: Double, into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        // The spectrum depends on the boson's mass against the lepton's [est]: a Z' of mass m
        // off a muon as an A' of m · m_e / m_μ off an electron (the lightest of the table).
        let (w, shape) = k.signalShape(massMeV: massMeV * 0.510_998_95 / 105.658_375)
        let x = rng.uniform() < w ? rng.uniform() : _exp(_log(rng.uniform()) / shape)
        t.aPrimeEnergy = x * e0
        t.signalDepth = rng.uniform() * k.ecalDepthX0
        t.trueEcal = k.ecalMIP
        shower(k.ecalMIP * (1 + 0.2 * rng.gauss()), into: &t, central: k.centralCellShare, falloff: k.electronFalloff, &rng)
        var left = (1 - x) * e0 - t.trueEcal
        for m in 0..<4 where left > 0 {
            let e = min(left, k.hcalMIPPerModule * (1 + 0.25 * rng.gauss()))
            left -= e
            hcalDeposit(e, module: m, into: &t, &rng)
        }
        for v in 0..<3 { t.veto[v] = k.vetoMIP * (1 + 0.3 * rng.gauss()) }
        for m in 0..<3 { t.srd[m] = max(0, k.srdNoise * rng.gauss()) }
        t.exit(left)
    }

    /// NA64h: the pion exchanges its charge on a nucleus deep in the ECAL, π⁻ p → η n, and the
    /// η decays invisibly: the ECAL keeps the pion's ionisation up to there and the nucleus's
    /// recoil; nothing reaches the VETO or the HCAL.
    func chargeExchangeSignal(_ e0: Double, into t: inout TrueEvent, _ rng: inout SimRandom) {
        let k = constants
        // The interaction depth, exponential in interaction lengths, within the ECAL.
        let lambda = k.ecalInteractionLengths
        let u = rng.uniform()
        let depth = -_log(1 - u * (1 - _exp(-lambda))) / lambda  // share of the ECAL crossed
        t.signalDepth = depth * k.ecalDepthX0
        let deposit = k.ecalMIP * depth + rng.exponential(mean: k.chargeExchangeRecoilGeV)
        t.trueEcal = deposit
        t.aPrimeEnergy = max(0, e0 - deposit)
        shower(deposit * (1 + 0.15 * rng.gauss()), into: &t, central: k.hadronCentralShare, falloff: k.hadronFalloff, &rng)
        for m in 0..<3 { t.srd[m] = max(0, k.srdNoise * rng.gauss()) }
    }
}
