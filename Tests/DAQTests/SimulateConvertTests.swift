import DAQ
import EventFormat
import Foundation
import Simulation
import Testing

/// simulate -> convert: the reconstruction against the simulator's truth file.
@Suite struct SimulateConvertTests {
    struct Sample {
        var report: ConvertReport
        var reco: [String: [Double]] = [:]
        var truth: [String: [Double]] = [:]
        var events: Int
    }

    static let sample: Sample = {
        let run = try! SampleRuns.make(events: 3000, signalRate: 0.05)
        let (report, out) = try! convert([run.raw])
        var s = Sample(report: report, events: run.events)
        for name in ["event", "ecal_e", "hcal_e", "veto", "srd_e_sum", "track_p", "pileup", "missing_energy", "ecal_pre_e", "spill"] {
            s.reco[name] = try! column(out, name)
        }
        for name in ["event", "kind", "beam_e", "momentum", "ecal_true_e", "hcal_true_e", "a_prime_e", "pileup_n"] {
            s.truth[name] = try! column(run.truth, name)
        }
        return s
    }()

    func indices(_ s: Sample, kind: Int, cleanOnly: Bool = true) -> [Int] {
        (0..<s.events).filter { Int(s.truth["kind"]![$0]) == kind && (!cleanOnly || s.truth["pileup_n"]![$0] == 0) }
    }

    @Test func eventCountsAddUp() throws {
        let s = Self.sample
        #expect(s.report.physicsEvents == 3000)
        #expect(s.report.eventsWritten == 3000)
        #expect(s.report.badEvents == 0)
        // 3000 events per spill: one spill; start/end of run, start/end of burst.
        #expect(s.report.spills == 1)
        #expect(s.report.otherEvents == 4)
        #expect(s.report.scalers[.triggersAccepted] == 3000)
        #expect(s.report.scalers[.beam]! > 3_000_000 && s.report.scalers[.beam]! < 3_600_000)
        #expect(s.reco["event"]! == s.truth["event"]!)
        #expect(s.reco["event"]! == (1...3000).map(Double.init))
        #expect(s.reco["spill"]!.allSatisfy { $0 == 1 })
    }

    @Test func electronEnergiesAgreeWithTruthWithinTheResolution() {
        let s = Self.sample
        let electrons = indices(s, kind: 0)
        #expect(electrons.count > 2000)
        var pulls: [Double] = []
        for i in electrons where s.truth["momentum"]![i] == s.truth["beam_e"]![i] {
            let e = s.truth["ecal_true_e"]![i]
            let sigma = e * (0.01 / e + 0.0009).squareRoot()  // 10%/sqrt(E) (+) 3%
            pulls.append((s.reco["ecal_e"]![i] - e) / sigma)
        }
        let mean = pulls.reduce(0, +) / Double(pulls.count)
        let rms = (pulls.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(pulls.count)).squareRoot()
        // The digitizer adds noise and the trigger phase: a little wider than the physics alone.
        #expect(abs(mean) < 0.15, "mean pull \(mean)")
        #expect(rms > 0.9 && rms < 1.4, "pull rms \(rms)")
        let hcal = electrons.map { s.reco["hcal_e"]![$0] }.sorted()
        #expect(hcal[hcal.count / 2] < 0.3)
        #expect(electrons.filter { s.reco["veto"]![$0] > 0 }.count < electrons.count / 100)
        // SRD photons for electrons, tens of MeV over the modules.
        let srd = electrons.map { s.reco["srd_e_sum"]![$0] }.sorted()
        #expect(srd[srd.count / 2] > 20 && srd[srd.count / 2] < 80)
        let pre = electrons.map { s.reco["ecal_pre_e"]![$0] }.sorted()
        #expect(pre[pre.count / 10] > 3)
    }

    @Test func trackMomentumWithinOnePercent() {
        let s = Self.sample
        let electrons = indices(s, kind: 0).filter { s.truth["momentum"]![$0] == s.truth["beam_e"]![$0] }
        let measured = electrons.filter { !s.reco["track_p"]![$0].isNaN }
        #expect(measured.count > electrons.count * 9 / 10)
        let good = measured.filter { abs(s.reco["track_p"]![$0] / s.truth["momentum"]![$0] - 1) < 0.03 }
        #expect(good.count > measured.count * 95 / 100)
    }

    @Test func hadronsShareEnergyBetweenEcalAndHcal() {
        let s = Self.sample
        let hadrons = indices(s, kind: 1)
        #expect(!hadrons.isEmpty)
        let sums = hadrons.map { (s.reco["ecal_e"]![$0] + s.reco["hcal_e"]![$0]) / s.truth["beam_e"]![$0] }.sorted()
        #expect(sums[sums.count / 2] > 0.8 && sums[sums.count / 2] < 1.2)
        let srd = hadrons.map { s.reco["srd_e_sum"]![$0] }.sorted()
        #expect(srd[srd.count / 2] < 2)
    }

    @Test func signalLandsInTheSignalBoxAtTheInjectedRate() {
        let s = Self.sample
        let all = (0..<s.events).filter { Int(s.truth["kind"]![$0]) == 3 }
        // 5% of 3000: 150 +- 12.
        #expect(abs(all.count - 150) < 50, "\(all.count) signal events")
        let signal = indices(s, kind: 3)
        let inBox = signal.filter { s.reco["ecal_e"]![$0] < 50 && s.reco["hcal_e"]![$0] < 1 && s.reco["veto"]![$0] == 0 }
        let expected = signal.filter { s.truth["ecal_true_e"]![$0] < 45 }.count
        #expect(Double(inBox.count) / Double(signal.count) > 0.8)
        #expect(abs(inBox.count - expected) <= 3 + signal.count / 20, "\(inBox.count) in the box, \(expected) expected from the truth")
        // Clean electrons stay out of it.
        let electrons = indices(s, kind: 0)
        let fake = electrons.filter { s.reco["ecal_e"]![$0] < 50 && s.reco["hcal_e"]![$0] < 1 && s.reco["pileup"]![$0] == 0 }
        #expect(fake.count <= electrons.count / 200)
    }

    @Test func rawBytesDoNotDependOnTheThreadCount() throws {
        let physics = PhysicsGenerator(beam: .electron, energy: 100, signalRate: 0.01, pileUp: .window)
        var sim = try RawSimulator(run: 77, seed: 3, physics: physics)
        sim.blockSize = 64
        var files: [[UInt8]] = []
        for threads in [1, 2, 3] {
            let raw = Scratch.path("t\(threads).dat")
            try sim.write(events: 300, to: raw, truthPath: raw + ".truth.evc", threads: threads)
            files.append(Scratch.read(raw))
            #expect(try EVCFile(path: raw + ".truth.evc").eventCount == 300)
        }
        #expect(files[0] == files[1] && files[1] == files[2])
        #expect(files[0].count > 300 * 5000)
    }
}
