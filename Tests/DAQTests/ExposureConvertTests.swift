import DAQ
import EventFormat
import Foundation
import Simulation
import Testing

/// The exposure table of a converted run against the end-of-burst scalers, read from the raw
/// bytes by a reader of this test's own (Formats/RAW.md sections 2, 3 and 8).
@Suite struct ExposureConvertTests {
    /// Per spill, the scalers of each end-of-burst event of a raw file.
    static func scalers(_ raw: String) throws -> [SpillKey: [UInt32: UInt64]] {
        let bytes = Scratch.read(raw)
        var out: [SpillKey: [UInt32: UInt64]] = [:]
        for e in try eventOffsets(raw) where e.type == 6 {
            let key = SpillKey(run: word(bytes, e.offset + 20), spill: word(bytes, e.offset + 28) >> 20)
            var p = e.offset + 68
            while p < e.offset + e.size {
                let size = Int(word(bytes, p))
                if word(bytes, p + 4) == 257 {
                    let n = Int(word(bytes, p + 40))
                    for k in 0..<n {
                        let q = p + 44 + 12 * k
                        out[key, default: [:]][word(bytes, q)] = UInt64(word(bytes, q + 4)) | UInt64(word(bytes, q + 8)) << 32
                    }
                }
                p += size
            }
        }
        return out
    }

    /// A raw run of `events` events in spills of 300.
    static func makeRun(events: Int, seed: UInt64) throws -> String {
        let raw = Scratch.path("cdr01001-004243.dat")
        var constants = PhysicsConstants()
        constants.eventsPerSpill = 300
        let physics = PhysicsGenerator(beam: .electron, energy: 100, signalRate: 0.01, pileUp: .window, constants: constants)
        try RawSimulator(run: 4243, seed: seed, physics: physics).write(events: events, to: raw, truthPath: raw + ".truth.evc", threads: 2)
        return raw
    }

    @Test func convertedExposureIsTheSpillScalers() throws {
        // 700 events: spills of 300, 300 and 100.
        let raw = try Self.makeRun(events: 700, seed: 11)
        let run = (raw: raw, events: 700)
        let (report, out) = try convert([run.raw])
        let f = try EVCFile(path: out)
        let table = try #require(try f.exposure())
        let reference = try Self.scalers(run.raw)
        #expect(table.rows.map(\.key) == reference.keys.sorted())
        #expect(table.count == 3)
        for r in table.rows {
            let s = reference[r.key]!
            #expect(r.eot == s[1] && r.triggersAccepted == s[2] && r.triggersOffered == s[3] && r.lengthMicroseconds == s[4])
            #expect(r.quality == 0)
        }
        // The table's sums are the report's (and the metadata's) sums over the spills.
        let t = table.totals
        #expect(t.eot == report.scalers[.beam] && t.triggersAccepted == report.scalers[.triggersAccepted])
        #expect(t.triggersOffered == report.scalers[.triggersOffered] && t.spills == report.spills)
        #expect(String(t.eot) == f.metadata("eot"))
        #expect(t.triggersAccepted == 700)
    }

    @Test func resumedConversionKeepsEverySpillOnce() throws {
        let run = (raw: try Self.makeRun(events: 700, seed: 12), events: 700)
        func options(_ o: inout ConvertOptions) {
            o.writer.clusterEvents = 40
            o.writer.checkpointEvery = 1
            o.chunkBytes = 1 << 16
        }
        let (_, whole) = try convert([run.raw], configure: options)
        let reference = try #require(try EVCFile(path: whole).exposure())
        #expect(reference.count == 3)
        let full = Scratch.read(whole)
        // Interrupted anywhere (the output cut as a crash leaves it), then resumed.
        for fraction in [0.2, 0.5, 0.9] {
            let out = Scratch.path("resumed.evc")
            #expect(FileManager.default.createFile(atPath: out + ".partial", contents: Data(full[..<Int(Double(full.count) * fraction)])))
            _ = try convert([run.raw], resume: true, output: out, configure: options)
            #expect(try EVCFile(path: out).exposure() == reference, "cut at \(fraction)")
        }
    }

    @Test func simulatedEVCCarriesItsSpills() throws {
        let sim = RecoSimulator(run: 77, seed: 3, profile: .summary)
        let e = sim.exposure(events: 6500)
        #expect(e.rows.map(\.spill) == [1, 2, 3])
        #expect(e.rows.map(\.triggersAccepted) == [3000, 3000, 500])
        #expect(e.totals.eot > 6_500_000 && e.totals.eot < 8_000_000)
        // Slices of one run: each spill's events counted once over the slices.
        let a = sim.exposure(events: 16384), b = sim.exposure(events: 16384, firstEvent: 16384)
        let whole = sim.exposure(events: 32768)
        #expect(a.totals.triggersAccepted + b.totals.triggersAccepted == whole.totals.triggersAccepted)
    }
}
