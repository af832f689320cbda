import DAQ
import EventFormat
import Foundation
import Simulation
import Testing

/// Reconstruction against the truth where it matters most for the search: pile-up must add
/// energy, never take the in-time electron's away into the signal box; the A' signal's
/// preshower follows from where it is emitted, and the standard selection keeps NA64's share
/// of it.
@Suite struct PileUpAndSignalTests {
    /// Converted columns and truth of a simulated run, matched by event number.
    struct Matched {
        var reco: [String: [Double]] = [:]
        var truth: [String: [Double]] = [:]
        var count: Int { truth["event"]!.count }

        init(_ run: SampleRuns.Run, reco names: [String], truth truthNames: [String]) throws {
            let (report, out) = try convert([run.raw])
            #expect(report.badEvents == 0 && report.eventsWritten == run.events)
            for n in names + ["event"] { reco[n] = try column(out, n) }
            for n in truthNames + ["event"] { truth[n] = try column(run.truth, n) }
            #expect(reco["event"]! == truth["event"]!)
        }

        func inBox(_ i: Int) -> Bool { reco["ecal_e"]![i] < 50 && reco["hcal_e"]![i] < 1 && reco["veto"]![i] == 0 }
    }

    @Test func pileUpAddsEnergyAndStaysOutOfTheSignalBox() throws {
        // Five times NA64's pile-up: three events in four have other beam electrons in the window.
        var constants = PhysicsConstants()
        constants.pileUpWindowMean = 1.5
        let physics = PhysicsGenerator(beam: .electron, energy: 100, signalRate: 0, pileUp: .window, constants: constants)
        let m = try Matched(try SampleRuns.make(events: 1500, seed: 21, physics: physics), reco: ["ecal_e", "hcal_e", "veto", "ecal_pileup_e", "pileup"],
                            truth: ["kind", "beam_e", "ecal_true_e", "ecal_smeared_e", "pileup_n", "pileup_time"])
        let electrons = (0..<m.count).filter { m.truth["kind"]![$0] == 0 }
        let piled = electrons.filter { m.truth["pileup_n"]![$0] > 0 }
        #expect(piled.count > 1000)
        // No electron whose own shower is well above 50 GeV reconstructs in the box when up to
        // two other particles share its window (the fit separates three pulses); with more,
        // pulses pile onto one another and saturate, and one event in a few hundred is lost.
        let lost = electrons.filter { m.truth["ecal_true_e"]![$0] > 55 && m.inBox($0) }
        let crowded = electrons.filter { m.truth["pileup_n"]![$0] > 2 }
        #expect(lost.allSatisfy { m.truth["pileup_n"]![$0] > 2 }, "electrons in the box, events \(lost.prefix(5).map { m.truth["event"]![$0] })")
        #expect(lost.count * 100 <= crowded.count, "\(lost.count) of \(crowded.count) electrons with 3 or more pile-up particles in the box")
        // A pile-up particle in time with the trigger adds its energy: above the diagonal.
        let inTime = piled.filter { m.truth["pileup_n"]![$0] == 1 && abs(m.truth["pileup_time"]![$0]) < 10 && m.truth["ecal_true_e"]![$0] > 90 }
        let above = inTime.filter { m.reco["ecal_e"]![$0] + m.reco["hcal_e"]![$0] > 1.5 * m.truth["beam_e"]![$0] }
        #expect(inTime.count >= 10 && above.count == inTime.count, "\(above.count) of \(inTime.count) above the diagonal")
        // One out of time, its maximum inside the window: measured as pile-up, flagged, the
        // electron's energy kept. (Earlier than ~110 ns before the trigger only its tail is in
        // the window, and is counted as what it is there.)
        let outOfTime = piled.filter {
            let t = m.truth["pileup_time"]![$0]
            return m.truth["pileup_n"]![$0] == 1 && abs(t) > 60 && t > -110 && t < 180
        }
        #expect(outOfTime.count > 80)
        let flagged = outOfTime.filter { m.reco["pileup"]![$0] == 1 && m.reco["ecal_pileup_e"]![$0] > 80 }
        #expect(flagged.count >= outOfTime.count * 97 / 100, "\(flagged.count) of \(outOfTime.count) flagged")
        let ratios = outOfTime.map { m.reco["ecal_e"]![$0] / m.truth["ecal_smeared_e"]![$0] - 1 }
        let rms = (ratios.map { $0 * $0 }.reduce(0, +) / Double(ratios.count)).squareRoot()
        #expect(rms < 0.02, "electron energy with an out-of-time pile-up: \(rms) rms against the truth")
    }

    @Test func theSignalsPreshowerFollowsItsEmissionDepthAndTheSelectionKeepsNA64sShare() throws {
        let physics = PhysicsGenerator(beam: .electron, energy: 100, signalRate: 0.25, massMeV: 16.7, pileUp: .window)
        let m = try Matched(try SampleRuns.make(events: 2400, seed: 22, physics: physics),
                            reco: ["ecal_e", "ecal_pre_e", "hcal_e", "veto", "srd_e_sum", "track_p", "pileup", "missing_energy"],
                            truth: ["kind", "signal_depth", "a_prime_e"])
        let signal = (0..<m.count).filter { m.truth["kind"]![$0] == 3 }
        let electrons = (0..<m.count).filter { m.truth["kind"]![$0] == 0 }
        #expect(signal.count > 500)
        // Emitted early in the ECAL: the electron must still hold the A' energy.
        let depths = signal.map { m.truth["signal_depth"]![$0] }.sorted()
        #expect(depths[depths.count / 2] < 0.3 && depths[depths.count * 9 / 10] < 1.5)
        #expect(electrons.allSatisfy { m.truth["signal_depth"]![$0].isNaN })
        // The preshower holds the photons radiated before and the start of the electron's
        // shower after: a larger share of what the ECAL keeps than for a whole electron shower.
        func medianShare(_ events: [Int]) -> Double {
            let s = events.filter { m.reco["ecal_e"]![$0] > 2 }.map { m.reco["ecal_pre_e"]![$0] / m.reco["ecal_e"]![$0] }.sorted()
            return s[s.count / 2]
        }
        #expect(medianShare(signal) > 0.18 && medianShare(electrons) > 0.06 && medianShare(electrons) < 0.09)
        // The standard NA64 selection (Formats/selections/NA64e.aliases).
        let selected = signal.filter { i in
            m.reco["srd_e_sum"]![i] > 1 && m.reco["ecal_pre_e"]![i] > 0.5 && (97...103).contains(m.reco["track_p"]![i])
                && m.reco["pileup"]![i] == 0 && m.reco["missing_energy"]![i] > 50 && m.reco["hcal_e"]![i] < 1 && m.reco["veto"]![i] == 0
        }
        let efficiency = Double(selected.count) / Double(signal.count)
        #expect(efficiency > 0.5 && efficiency < 0.7, "signal efficiency \(efficiency)")
    }
}
