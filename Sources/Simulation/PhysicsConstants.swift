/// Numbers the simulator draws from, with where they come from (../shared/NA64.md; [paper] from
/// NA64 publications, [est] our estimate). Kept here so that none hides in the code.
public struct PhysicsConstants: Sendable {
    /// Beam momentum spread sigma_p/p [paper].
    public var beamSpread = 0.01
    /// ECAL stochastic and constant terms: sigma/E = a/sqrt(E) (+) b [seed talk].
    public var ecalStochastic = 0.10
    public var ecalConstant = 0.03
    /// Fraction of electrons with a low-energy tail (upstream brems, electro-nuclear) [est].
    public var ecalTailFraction = 0.015
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

    public init() {}
}
