import DAQ
import Darkscan
import Foundation
import Simulation
import Testing

/// The simulator's truth joined to the converted events as a friend: the efficiency of the A'
/// selection, counted through the join and by a join of the test's own.
@Suite struct TruthEfficiencyTests {
    @Test func aPrimeSelectionEfficiencyFromTheTruth() throws {
        let raw = CLI.scratch("cdr01001-004250.dat")
        let truth = CLI.scratch("cdr01001-004250.truth.evc")
        let physics = PhysicsGenerator(beam: .electron, energy: 100, signalRate: 0.2, massMeV: 16.7, pileUp: .window)
        try RawSimulator(run: 4250, seed: 21, physics: physics).write(events: 2000, to: raw, truthPath: truth, threads: 2)
        let reco = CLI.scratch("run4250.evc")
        var o = ConvertOptions()
        o.threads = 2
        _ = try Converter(inputs: [raw], output: reco, options: o).run()

        let cuts = "missing energy > 50 GeV, hcal_e < 1 GeV, veto == 0, 97 GeV/c < track_p < 103 GeV/c"
        var options = QueryOptions()
        options.threads = 2
        options.friends = [try Friend(parsing: truth)]
        let flow = try EVCDataset(paths: [reco]).count("truth.kind == 3, " + cuts, options: options)
        let signal = flow.lines[0].events, passed = flow.selected
        let efficiency = Double(passed) / Double(signal)

        // The test's own join: truth kind by event number, the cuts evaluated in Swift.
        var kind: [UInt64: UInt8] = [:]
        try EVCFile(path: truth).batches(fields: ["event", "kind"]).forEach { b in
            for (e, k) in zip(b.values("event")!.values(UInt64.self), b.values("kind")!.values(UInt8.self)) { kind[e] = k }
        }
        var refSignal = 0, refPassed = 0
        try EVCFile(path: reco).batches(fields: ["event", "missing_energy", "hcal_e", "veto", "track_p"]).forEach { b in
            let ev = b.values("event")!.values(UInt64.self), miss = b.values("missing_energy")!.values(Float.self)
            let hcal = b.values("hcal_e")!.values(Float.self), veto = b.values("veto")!.values(UInt8.self), p = b.values("track_p")!.values(Float.self)
            for i in ev.indices where kind[ev[i]] == 3 {
                refSignal += 1
                if miss[i] > 50 && hcal[i] < 1 && veto[i] == 0 && p[i] > 97 && p[i] < 103 { refPassed += 1 }
            }
        }
        #expect(signal == refSignal && passed == refPassed)
        #expect(signal > 300, "\(signal) A' events of 2000 at a 20% rate")
        // Most A' events carry away more than half the beam (P(x > 0.5) ~ 0.9); the momentum
        // window and the vetoes lose some.
        #expect(efficiency > 0.5 && efficiency < 1, "A' efficiency \(efficiency)")
        #expect(flow.joins.first?.mode == "positional")
    }
}
