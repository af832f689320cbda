/// The calorimeter and counter cells of the NA64 setup read by MSADCs, numbered in one flat
/// range so that per-cell tables (gains, thresholds, samples) are plain arrays.
public enum Cells {
    /// ECAL: preshower (layer 0) and main (layer 1), 6x6 each: cell = layer*36 + x*6 + y.
    public static let ecal = 0
    /// HCAL: 4 modules of 3x3: cell = 72 + module*9 + x*3 + y.
    public static let hcal = 72
    /// VETO: 3 counters of 2 PMTs: cell = 108 + counter*2 + pmt.
    public static let veto = 108
    /// SRD: up to 4 modules: cell = 114 + module.
    public static let srd = 114
    /// Beam counters S0, S1, S2: cell = 118 + i.
    public static let beam = 118
    public static let count = 121
    public static let srdModules = 3

    /// Detector groups: what thresholds and time windows apply to.
    public enum Group: String, Sendable, CaseIterable {
        case ecal = "ECAL", hcal = "HCAL", veto = "VETO", srd = "SRD", beam = "S"
    }

    public static func group(of cell: Int) -> Group {
        switch cell {
        case ..<hcal: .ecal
        case ..<veto: .hcal
        case ..<srd: .veto
        case ..<beam: .srd
        default: .beam
        }
    }

    /// The cell a map name and coordinates denote, or a reason why there is none.
    public static func cell(name: String, x: Int, y: Int) -> Result<Int, DAQError> {
        func check(_ nx: Int, _ ny: Int, _ base: Int, _ stride: Int) -> Result<Int, DAQError> {
            guard (0..<nx).contains(x), (0..<ny).contains(y) else {
                return .failure(DAQError(.badMap, "\(name) has cells x 0-\(nx - 1), y 0-\(ny - 1); (\(x), \(y)) is outside"))
            }
            return .success(base + x * stride + y)
        }
        switch name {
        case "ECAL0": return check(6, 6, ecal, 6)
        case "ECAL1": return check(6, 6, ecal + 36, 6)
        case "HCAL0", "HCAL1", "HCAL2", "HCAL3":
            return check(3, 3, hcal + 9 * Int(String(name.last!))!, 3)
        case "VETO": return check(3, 2, veto, 2)
        case "SRD": return check(4, 1, srd, 1)
        case "S0", "S1", "S2": return check(1, 1, beam + Int(String(name.last!))!, 1)
        default:
            return .failure(DAQError(.badMap, "unknown detector '\(name)' (known: ECAL0, ECAL1, HCAL0-3, VETO, SRD, S0-S2)"))
        }
    }

    /// Map name and coordinates of a cell (the inverse of `cell(name:x:y:)`).
    public static func name(of cell: Int) -> (name: String, x: Int, y: Int) {
        switch group(of: cell) {
        case .ecal: return ("ECAL\(cell / 36)", (cell % 36) / 6, cell % 6)
        case .hcal: let c = cell - hcal; return ("HCAL\(c / 9)", (c % 9) / 3, c % 3)
        case .veto: let c = cell - veto; return ("VETO", c / 2, c % 2)
        case .srd: return ("SRD", cell - srd, 0)
        case .beam: return ("S\(cell - beam)", 0, 0)
        }
    }
}
