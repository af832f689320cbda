import EventFormat

/// The column buffers of an `NA64Schema` batch, looked up once, with the calorimeter summaries
/// both the converter and the reconstructed-level simulator derive from cell energies.
public struct NA64Columns {
    public let run, spill, event, trigger, timeInSpill, ecalCells, ecalE, ecalPre, ecalMax, ecalX, ecalY, ecalChi2: ColumnBuffer
    public let hcalCells, hcalModules, hcalE, vetoE, veto, srdE, srdSum, trackP, trackChi2, nTracks, missing, trackPOut: ColumnBuffer
    public let hitOffsets, hitPlane, hitStrip, hitAmp, hitTime: ColumnBuffer
    /// Present in converted batches only.
    public let pileUpE, pileUp, saturated, rawFile, rawOffset, strawOffsets, strawPlane, strawWire, strawTime: ColumnBuffer?

    public init(_ b: EventBatch) {
        func c(_ p: String) -> ColumnBuffer { b.column(p)! }
        (run, spill, event, trigger, timeInSpill) = (c("run"), c("spill"), c("event"), c("trigger"), c("time_in_spill"))
        (ecalCells, ecalE, ecalPre, ecalMax, ecalX, ecalY, ecalChi2) =
            (c("ecal_cells"), c("ecal_e"), c("ecal_pre_e"), c("ecal_max_cell"), c("ecal_x"), c("ecal_y"), c("ecal_shower_chi2"))
        (hcalCells, hcalModules, hcalE, vetoE, veto) = (c("hcal_cells"), c("hcal_module_e"), c("hcal_e"), c("veto_e"), c("veto"))
        (srdE, srdSum, trackP, trackChi2, nTracks, missing, trackPOut) =
            (c("srd_e"), c("srd_e_sum"), c("track_p"), c("track_chi2"), c("n_tracks"), c("missing_energy"), c("track_p_out"))
        (hitOffsets, hitPlane, hitStrip, hitAmp, hitTime) =
            (c("mm_hits#offsets"), c("mm_hits.plane"), c("mm_hits.strip"), c("mm_hits.amplitude"), c("mm_hits.time"))
        (pileUpE, pileUp, saturated, rawFile, rawOffset) =
            (b.column("ecal_pileup_e"), b.column("pileup"), b.column("n_saturated"), b.column("raw_file"), b.column("raw_offset"))
        (strawOffsets, strawPlane, strawWire, strawTime) =
            (b.column("straw_hits#offsets"), b.column("straw_hits.plane"), b.column("straw_hits.wire"), b.column("straw_hits.time"))
    }

    /// Appends `ecal_cells` and the quantities derived from them; returns the ECAL energy.
    /// `cells` holds 72 energies in GeV: preshower then main, x*6+y.
    @discardableResult
    public func appendECAL(_ cells: UnsafeBufferPointer<Double>) -> Double {
        var sum = 0.0, pre = 0.0, mainSum = 0.0, xw = 0.0, yw = 0.0, maxCell = 0
        for i in 0..<36 {
            pre += cells[i]
            let e = cells[36 + i]
            if e > cells[36 + maxCell] { maxCell = i }
            let positive = max(e, 0)
            mainSum += positive
            xw += positive * (Double(i / 6) - 2.5) * Geometry.ecalPitch
            yw += positive * (Double(i % 6) - 2.5) * Geometry.ecalPitch
        }
        for i in 0..<72 {
            sum += cells[i]
            ecalCells.append(Float(cells[i]))
        }
        ecalE.append(Float(sum))
        ecalPre.append(Float(pre))
        ecalMax.append(UInt8(maxCell))
        ecalX.append(Float(mainSum > 0 ? xw / mainSum : 0))
        ecalY.append(Float(mainSum > 0 ? yw / mainSum : 0))
        return sum
    }

    /// Appends `hcal_cells`, `hcal_module_e` and `hcal_e` (modules 0-2) from 36 cell energies.
    public func appendHCAL(_ cells: UnsafeBufferPointer<Double>) {
        var total = 0.0
        for m in 0..<4 {
            var e = 0.0
            for j in 0..<9 {
                e += cells[m * 9 + j]
                hcalCells.append(Float(cells[m * 9 + j]))
            }
            hcalModules.append(Float(e))
            if m < 3 { total += e }
        }
        hcalE.append(Float(total))
    }

    /// Appends `veto_e` and `veto` (counters above `countThreshold` GeV) from 3 counter energies.
    public func appendVeto(_ counters: UnsafeBufferPointer<Double>, countThreshold: Double) {
        var n: UInt8 = 0
        for v in counters {
            vetoE.append(Float(v))
            if v > countThreshold { n += 1 }
        }
        veto.append(n)
    }

    /// Appends `srd_e` and `srd_e_sum` from 3 module energies in MeV.
    public func appendSRD(_ modules: UnsafeBufferPointer<Double>) {
        var sum = 0.0
        for v in modules {
            srdE.append(Float(v))
            sum += v
        }
        srdSum.append(Float(sum))
    }

    /// The last end offset of a list column (0 when empty).
    public static func lastOffset(_ c: ColumnBuffer) -> UInt64 { c.count == 0 ? 0 : c.buffer(UInt64.self)[c.count - 1] }
}
