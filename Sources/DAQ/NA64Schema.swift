import EventFormat

/// The reconstructed-event schema of NA64 invisible-mode data: what `RecoSimulator` generates
/// and, with `converted: true`, what `darkscan convert` writes (the same fields plus pile-up,
/// saturation, straw hits and where each event sits in its raw file). Units and descriptions
/// travel with the file.
public enum NA64Schema {
    public static let ecalShape = [2, 6, 6]
    public static let hcalShape = [4, 3, 3]

    /// The scalar fields of `make()`: the summary profile benchmarks generate in bulk (61 bytes
    /// an event instead of ~640), enough for the standard NA64 cuts.
    public static let summaryFields = ["run", "spill", "event", "trigger", "time_in_spill", "ecal_e", "ecal_pre_e", "ecal_max_cell",
                                       "ecal_x", "ecal_y", "ecal_shower_chi2", "hcal_e", "veto", "srd_e_sum", "track_p", "track_chi2",
                                       "n_tracks", "missing_energy"]

    public static func summary() -> Schema {
        // Safe: a subset of a valid schema.
        try! Schema(make().fields.filter { summaryFields.contains($0.name) })
    }

    /// Samples kept per cell by `--keep-waveforms`.
    public static let waveformSamples = 32

    public static func make(converted: Bool = false, waveforms: Bool = false) -> Schema {
        var id: UInt32 = 0
        func f(_ name: String, _ kind: FieldKind, _ unit: String, _ description: String) -> Field {
            id += 1
            return Field(id: id, name: name, kind: kind, unit: Unit(unit), description: description)
        }
        let fields = [
            f("run", .scalar(.uint32), "", "run number"),
            f("spill", .scalar(.uint16), "", "spill (burst) number in the run"),
            f("event", .scalar(.uint64), "", "event number in the run"),
            f("trigger", .scalar(.uint8), "", "trigger pattern bits (1: physics)"),
            f("time_in_spill", .scalar(.float32), "s", "time since the start of the spill"),
            f("ecal_cells", .array(.float32, shape: ecalShape), "GeV", "ECAL cell energies [preshower, main][x][y]"),
            f("ecal_e", .scalar(.float32), "GeV", "ECAL energy: preshower + main, in time"),
            f("ecal_pre_e", .scalar(.float32), "GeV", "ECAL preshower energy"),
            f("ecal_max_cell", .scalar(.uint8), "", "hottest main ECAL cell, x*6+y"),
            f("ecal_x", .scalar(.float32), "mm", "ECAL shower centre of gravity, x"),
            f("ecal_y", .scalar(.float32), "mm", "ECAL shower centre of gravity, y"),
            f("ecal_shower_chi2", .scalar(.float32), "", "lateral shower profile vs electron template, chi2/ndf"),
            f("hcal_cells", .array(.float32, shape: hcalShape), "GeV", "HCAL cell energies [module][x][y]"),
            f("hcal_module_e", .array(.float32, shape: [4]), "GeV", "HCAL module energies"),
            f("hcal_e", .scalar(.float32), "GeV", "HCAL energy, modules 0-2"),
            f("veto_e", .array(.float32, shape: [3]), "GeV", "VETO counter energies"),
            f("veto", .scalar(.uint8), "", "VETO counters above 0.5 MIP"),
            f("srd_e", .array(.float32, shape: [3]), "MeV", "SRD module energies"),
            f("srd_e_sum", .scalar(.float32), "MeV", "SRD energy sum"),
            f("track_p", .scalar(.float32), "GeV/c", "spectrometer momentum"),
            f("track_chi2", .scalar(.float32), "", "track fit chi2/ndf"),
            f("n_tracks", .scalar(.uint8), "", "reconstructed upstream tracks"),
            f("missing_energy", .scalar(.float32), "GeV", "beam energy - ecal_e"),
            Field(id: 30, name: "track_p_out", kind: .scalar(.float32), unit: Unit("GeV/c"),
                  description: "momentum leaving the HCAL, from the downstream spectrometer (NaN without a track there)"),
            Field(id: 100, name: "mm_hits", kind: .recordList([
                Field(id: 101, name: "plane", kind: .scalar(.uint8), description: "Micromegas plane (MM1X=0 ... MM6Y=11; downstream MM7X=12 ... MM10Y=19)"),
                Field(id: 102, name: "strip", kind: .scalar(.uint16), description: "strip number"),
                Field(id: 103, name: "amplitude", kind: .scalar(.float32), unit: Unit("ADC"), description: "strip amplitude"),
                Field(id: 104, name: "time", kind: .scalar(.float32), unit: Unit("ns"), description: "hit time vs the master time"),
            ]), description: "Micromegas strip hits"),
        ]
        let convertedFields = !converted ? [] : [
            Field(id: 24, name: "ecal_pileup_e", kind: .scalar(.float32), unit: Unit("GeV"), description: "ECAL energy in cells out of time (pile-up)"),
            Field(id: 25, name: "pileup", kind: .scalar(.uint8), description: "1 when ecal_pileup_e passes the calibration's pile-up limit"),
            Field(id: 26, name: "n_saturated", kind: .scalar(.uint8), description: "MSADC channels with a saturated sample (4095)"),
            Field(id: 27, name: "raw_file", kind: .scalar(.uint16), description: "index of the raw file in the 'inputs' metadata"),
            Field(id: 28, name: "raw_offset", kind: .scalar(.uint64), description: "byte offset of the event in its raw file"),
            Field(id: 110, name: "straw_hits", kind: .recordList([
                Field(id: 111, name: "plane", kind: .scalar(.uint8), description: "straw plane (ST1X=0, ST1Y, ST2X, ST2Y)"),
                Field(id: 112, name: "wire", kind: .scalar(.uint8), description: "wire number"),
                Field(id: 113, name: "time", kind: .scalar(.float32), unit: Unit("ns"), description: "hit time from the start of the in-time window"),
            ]), description: "straw tube hits"),
        ]
        // Safe: a fixed, valid schema.
        let waveformField = !waveforms ? [] : [
            Field(id: 29, name: "waveforms", kind: .array(.uint16, shape: [Cells.count, waveformSamples]), unit: Unit("ADC"),
                  description: "raw MSADC samples per cell (ECAL 0-71, HCAL 72-107, VETO 108-113, SRD 114-117, S0-S2 118-120), 0 where not read"),
        ]
        return try! Schema(fields + convertedFields + waveformField)
    }
}
