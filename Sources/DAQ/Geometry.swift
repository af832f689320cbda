/// Where the trackers and the magnet sit, as the simulator places them and the reconstruction
/// assumes [est: NA64 layouts vary by period; these follow the 2018 invisible-mode setup's
/// proportions]. z in metres along the beam from MM1; x in mm.
public enum Geometry {
    /// Micromegas stations MM1-MM6; each has an X and a Y plane (planes 2i and 2i+1).
    public static let mmZ: [Double] = [0, 1.5, 8, 9.5, 16, 17.5]
    /// Stations before the magnet.
    public static let upstreamStations = 2
    public static let magnetZ = 4.0
    /// Field integral of the spectrometer magnets, T·m [../shared/NA64.md section 1].
    public static let bendingPower = 7.0
    public static let stripPitch = 0.25
    public static let centreStrip = 160.0
    /// Strip clusters with less charge (sum of the strips' largest frames, ADC) are noise, not
    /// tracks [est].
    public static let minClusterCharge = 60.0
    /// Position resolution of a strip cluster (with scattering and alignment), mm.
    public static let stripResolution = 0.2
    /// Straw stations ST1, ST2 (X and Y planes each), 6 mm pitch, wire 32 on the line.
    public static let strawZ: [Double] = [12, 13]
    public static let strawPitch = 6.0
    public static let centreWire = 32.0

    /// The downstream spectrometer behind the HCAL, which measures the momentum of what leaves
    /// it (the muon programme's outgoing muon): stations MM7-MM10 (planes 12-19), MM7 and MM8
    /// before its magnet, MM9 and MM10 after [est: NA64μ's MS2 layout, proportions only].
    public static let downstreamZ: [Double] = [25, 27, 29.5, 31.5]
    public static let downstreamMagnetZ = 28.25
    /// Its field integral, T·m [est], and strip pitch, mm [est: large planes, 320 strips of
    /// 1 mm]: muons down to ~9 GeV/c stay on its planes, and 150 GeV/c is measured to ~10%.
    public static let downstreamBendingPower = 1.4
    public static let downstreamStripPitch = 1.0
    /// Stations of the upstream spectrometer, then of the downstream one.
    public static var stationZ: [Double] { mmZ + downstreamZ }

    /// Strip pitch of station `s` (0-9), mm.
    public static func pitch(station s: Int) -> Double { s < mmZ.count ? stripPitch : downstreamStripPitch }

    /// Deflection angle in rad of a particle of momentum `p` GeV/c: 0.2998 · ∫B dl / p.
    public static func kick(_ p: Double) -> Double { 0.299_792_458 * bendingPower / p }
    public static func downstreamKick(_ p: Double) -> Double { 0.299_792_458 * downstreamBendingPower / p }

    /// x offset (mm) of the detector centre at `z` (m): detectors behind a magnet sit on the line
    /// a particle of the nominal beam momentum (GeV/c) is deflected to.
    public static func centreOffset(z: Double, nominal: Double) -> Double {
        var x = z <= magnetZ ? 0 : kick(nominal) * (z - magnetZ) * 1000
        if z > downstreamMagnetZ { x += downstreamKick(nominal) * (z - downstreamMagnetZ) * 1000 }
        return x
    }

    /// ECAL cell pitch, mm [code].
    public static let ecalPitch = 38.2

    /// Mean share of an electron shower's 3x3 main-ECAL energy per cell (row-major, hottest cell
    /// in the middle): the template `ecal_shower_chi2` compares with. From the shower model the
    /// simulator uses (centre 70% of the main energy, neighbours falling as exp(-2.2 d)).
    public static let showerTemplate: [Double] = [0.0189, 0.0470, 0.0189, 0.0470, 0.7366, 0.0470, 0.0189, 0.0470, 0.0189]
}
