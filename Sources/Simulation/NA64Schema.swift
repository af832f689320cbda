import EventFormat

/// The reconstructed-event schema of NA64 invisible-mode data: what the converter writes and
/// what `RecoSimulator` generates. Units and descriptions travel with the file.
public enum NA64Schema {
    public static let ecalShape = [2, 6, 6]
    public static let hcalShape = [4, 3, 3]

    public static func make() -> Schema {
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
            Field(id: 100, name: "mm_hits", kind: .recordList([
                Field(id: 101, name: "plane", kind: .scalar(.uint8), description: "Micromegas plane (MM1X=0 ... MM6Y=11)"),
                Field(id: 102, name: "strip", kind: .scalar(.uint16), description: "strip number"),
                Field(id: 103, name: "amplitude", kind: .scalar(.float32), unit: Unit("ADC"), description: "strip amplitude"),
                Field(id: 104, name: "time", kind: .scalar(.float32), unit: Unit("ns"), description: "hit time vs the master time"),
            ]), description: "Micromegas strip hits"),
        ]
        // Safe: a fixed, valid schema.
        return try! Schema(fields)
    }
}
