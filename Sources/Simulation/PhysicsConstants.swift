/// Numbers the simulator draws from, with where they come from (../shared/NA64.md; [paper] from
/// NA64 publications, [est] our estimate). Kept here so that none hides in the code.
public struct PhysicsConstants: Sendable {
    /// Beam momentum spread sigma_p/p [paper].
    public var beamSpread = 0.01
    /// ECAL stochastic and constant terms: sigma/E = a/sqrt(E) (+) b [seed talk].
    public var ecalStochastic = 0.10
    public var ecalConstant = 0.03
    /// Fraction of electrons with a low-energy tail (upstream brems, electro-nuclear) [est],
    /// and the share of the energy they lose: from 5% (less is within the peak's resolution)
    /// to 50%, with the bremsstrahlung spectrum's shape [est].
    public var ecalTailFraction = 0.015
    public var tailLoss = 0.05...0.5
    /// Share of the low tail from electro-nuclear interactions in the ECAL (energy to HCAL); the
    /// rest is upstream bremsstrahlung (lower momentum at the tracker) [est].
    public var electroNuclearShareOfTail = 0.5
    /// Preshower share of an electron shower, uniform in this range [est].
    public var preshowerShare = 0.05...0.10
    /// Central main-cell share of the main ECAL energy [est].
    public var centralCellShare = 0.65...0.75
    /// Cell noise sigma in GeV (2 ADC at 30 ADC/GeV) [est].
    public var ecalNoise = 0.067
    public var hcalNoise = 0.05
    /// Beam composition in the e- mode: hadrons and muons per beam particle [paper, est].
    public var hadronFraction = 0.01
    public var muonFraction = 0.001
    /// Fraction of hadrons that interact in the ECAL [seed talk].
    public var hadronInteractFraction = 0.75
    /// HCAL stochastic term for hadrons [seed talk].
    public var hcalStochastic = 0.60
    /// MIP deposits in GeV: ECAL and per HCAL module [est]; VETO MIP in GeV [est].
    public var ecalMIP = 0.5
    public var hcalMIPPerModule = 2.0
    public var vetoMIP = 0.004
    /// VETO threshold: half a MIP [code].
    public var vetoThreshold = 0.002
    /// Pile-up: mean extra beam particles in the ECAL time window [est].
    public var pileUpMean = 0.05
    /// SRD: mean energy per module for electrons, MeV [est]; noise for others.
    public var srdMeanPerModule = 15.0
    public var srdNoise = 0.3
    /// A' signal: x = E_A'/E0 is uniform with probability w, else u^(1/k). w and k run
    /// log-linearly in the A' mass from (0.12, 4.5) at 2 MeV to (0.08, 30) at 100 MeV, giving a
    /// mean x of 0.78-0.93 and P(x > 0.5) of 0.90-0.96: the ranges NA64's Monte Carlo gives for
    /// m_A' = 2-100 MeV [code, est].
    public func signalShape(massMeV: Double) -> (w: Double, k: Double) {
        let t = min(max(_log(massMeV / 2) / _log(50), 0), 1)
        return (0.12 - 0.04 * t, _exp(_log(4.5) + t * (_log(30) - _log(4.5))))
    }
    /// Dimuon pairs (gamma -> mu+ mu-) per beam electron [est]; the pair takes 30-90% of E0.
    public var dimuonFraction = 1e-5
    /// Pile-up in the raw simulation: mean extra beam particles in the 400 ns digitizer window
    /// [est], arriving uniformly in it.
    public var pileUpWindowMean = 0.3
    public var pileUpWindowNs = 400.0
    /// Hadronic showers in the ECAL are wider: central-cell share and lateral fall-off [est].
    public var hadronCentralShare = 0.30...0.50
    public var hadronFalloff = 1.2
    public var electronFalloff = 2.2
    /// Micromegas: planes and mean hits per plane [est].
    public var mmPlanes = 12
    /// Events per spill [est] and spill length in seconds [paper].
    public var eventsPerSpill = 3000
    public var spillSeconds = 4.8
    /// ECAL cell pitch in mm [code].
    public var cellPitch = 38.2

    /// Where an A' is emitted: the electron's path in the ECAL, radiation lengths [paper]: the
    /// preshower's depth and the whole ECAL's.
    public var preshowerDepthX0 = 4.0
    public var ecalDepthX0 = 40.0
    /// Bremsstrahlung of the beam electron before it emits the A': −ln(E/E0) grows by a Gamma
    /// process of rate 4/3 per X0 (Bethe-Heitler), jumps below `softPhotonCut` taken as a
    /// steady loss.
    public var bremRate = 4.0 / 3.0
    public var softPhotonCut = 0.02
    /// Longitudinal shower profile dE/dt ∝ t^(a−1) e^(−b t), b = 0.5, t_max = ln(E/E_c) − 1 for
    /// an electron and − 0.5 for a photon (Longo); E_c = 24 MeV [est] makes a 100 GeV electron
    /// leave 7.5% in the preshower, the middle of `preshowerShare`.
    public var profileSlope = 0.5
    public var criticalEnergyGeV = 0.024

    /// The muon programme (`--beam mu`): hadrons in the muon beam [est]; a hard radiative loss
    /// (bremsstrahlung, pair production, photonuclear) of a share y of the muon's energy, y
    /// log-uniform in 0.05-1, in the ECAL or the HCAL, per muon [est: ~1e-3 for y > 0.5 over the
    /// ~300 X0 of the setup]; the fraction of it in the ECAL (40 of ~310 X0 and the start of the
    /// HCAL's showers seen there) [est].
    public var muonBeamHadronFraction = 1e-3
    public var muonHardLoss = 3e-3
    public var muonHardLossInEcal = 0.3
    /// Multiple scattering of muons through the calorimeters before the downstream spectrometer:
    /// θ0 = 13.6 MeV / p × sqrt(~313 X0) [PDG formula, est thickness].
    public var calorimeterScatteringGeV = 0.24

    /// The hadron programme (`--beam pi`): muons from pion decays in the beam [est]; the η/η′
    /// signal: a charge exchange π⁻ p → η n deep in the ECAL (interaction lengths: the ECAL is
    /// ~1.3 λ_I [est]) leaves the pion's ionisation before it and the nucleus's recoil and
    /// de-excitation (exponential, mean 0.3 GeV [est]); the η takes the rest.
    public var pionBeamMuonFraction = 0.02
    public var ecalInteractionLengths = 1.3
    public var chargeExchangeRecoilGeV = 0.3

    public init() {}
}
