import DAQ
import EventFormat
import Foundation
import Testing

/// An interrupted conversion (its output cut anywhere, as a crash leaves it) is resumed with
/// --resume and gives the same file as one uninterrupted run: every event once, the same
/// values, the same scaler sums and bad-event counts.
@Suite struct ResumeTests {
    func options(_ o: inout ConvertOptions) {
        o.writer.clusterEvents = 40
        o.writer.checkpointEvery = 1
        o.chunkBytes = 1 << 16
    }

    @Test func resumedConversionEqualsAnUninterruptedOne() throws {
        // Two inputs, one with two corrupt events, so that counts and file indices carry over.
        var damaged = Scratch.read(SampleRuns.small.raw)
        let physics = try eventOffsets(SampleRuns.small.raw).filter { $0.type == 7 }
        for k in [100, 450] { damaged[physics[k].offset + 300] ^= 1 }
        let first = Scratch.write(damaged, "cdr01001-004242.dat")
        let second = try SampleRuns.make(events: 300, seed: 8).raw
        let inputs = [first, second]
        let (reference, refOut) = try convert(inputs, configure: options)
        #expect(reference.eventsWritten == 898)
        #expect(reference.badByReason == ["crc": 2])
        let refEvents = try column(refOut, "event"), refEnergy = try column(refOut, "ecal_e"), refFile = try column(refOut, "raw_file")
        let full = Scratch.read(refOut)
        let refMeta = try EVCFile(path: refOut).metadata

        for fraction in [0.05, 0.3, 0.55, 0.8, 0.97] {
            let out = Scratch.path("resumed.evc")
            let cut = Int(Double(full.count) * fraction)
            #expect(FileManager.default.createFile(atPath: out + ".partial", contents: Data(full[..<cut])))
            // Without --resume the leftover is refused, not overwritten.
            #expect { _ = try convert(inputs, output: out, configure: options) } throws: { ($0 as? DAQError)?.message.contains("--resume") == true }
            let (report, _) = try convert(inputs, resume: true, output: out, configure: options)
            #expect(report.resumedAfterEvents != nil)
            #expect(report.eventsWritten == 898)
            #expect(report.badByReason == ["crc": 2], "cut at \(fraction)")
            #expect(try column(out, "event") == refEvents)
            #expect(try column(out, "ecal_e") == refEnergy)
            #expect(try column(out, "raw_file") == refFile)
            let meta = try EVCFile(path: out).metadata
            for key in ["eot", "triggers_accepted", "spills", "bad_events", "converted"] {
                #expect(meta.last { $0.key == key }?.value == refMeta.last { $0.key == key }?.value, "\(key) after a cut at \(fraction)")
            }
            #expect(!FileManager.default.fileExists(atPath: out + ".partial"))
            // Resuming a complete file is refused.
            #expect(throws: DAQError.self) { _ = try convert(inputs, resume: true, output: out, configure: options) }
        }
        // Resuming with other inputs is refused.
        let out = Scratch.path("other.evc")
        #expect(FileManager.default.createFile(atPath: out + ".partial", contents: Data(full[..<(full.count / 2)])))
        #expect { _ = try convert([second, first], resume: true, output: out, configure: options) } throws: {
            ($0 as? DAQError)?.message.contains("other inputs") == true
        }
    }
}
