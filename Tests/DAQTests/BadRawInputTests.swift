import DAQ
import EventFormat
import Foundation
import Testing

/// Damaged raw files: every kind of damage is skipped with a counted warning naming the file,
/// the byte and the reason, every good event is still converted, and --strict writes nothing.
@Suite struct BadRawInputTests {
    static let clean = SampleRuns.small
    static let events = try! eventOffsets(SampleRuns.small.raw)
    static var physics: [(offset: Int, size: Int, type: UInt32)] { events.filter { $0.type == 7 } }

    /// Converts `bytes` (a damaged copy of the sample) and checks the outcome.
    func check(_ bytes: [UInt8], written: Int, bad: [String: Int], at offset: Int? = nil, chunkBytes: Int? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> ConvertReport {
        let raw = Scratch.write(bytes, "damaged.dat")
        let (report, out) = try convert([raw]) { o in if let c = chunkBytes { o.chunkBytes = c } }
        #expect(report.eventsWritten == written, sourceLocation: sourceLocation)
        #expect(report.badByReason == bad, sourceLocation: sourceLocation)
        #expect(try EVCFile(path: out).eventCount == written, sourceLocation: sourceLocation)
        if let offset {
            #expect(report.problems.first?.offset == offset, sourceLocation: sourceLocation)
            #expect(report.problems.first?.file == raw, sourceLocation: sourceLocation)
            #expect(report.problems.first?.description.hasPrefix("\(raw): byte \(offset): ") == true, sourceLocation: sourceLocation)
        }
        // Strict mode stops at the first problem and leaves nothing behind.
        if !bad.isEmpty {
            let strictOut = Scratch.path("strict.evc")
            #expect(throws: DAQError.self, sourceLocation: sourceLocation) { _ = try convert([raw], strict: true, output: strictOut) }
            #expect(!FileManager.default.fileExists(atPath: strictOut), sourceLocation: sourceLocation)
            #expect(!FileManager.default.fileExists(atPath: strictOut + ".partial"), sourceLocation: sourceLocation)
        }
        return report
    }

    var bytes: [UInt8] { Scratch.read(Self.clean.raw) }

    @Test func cleanFileHasNoProblems() throws {
        _ = try check(bytes, written: 600, bad: [:])
        // Chunks of 64 KiB cut events everywhere; nothing changes.
        _ = try check(bytes, written: 600, bad: [:], chunkBytes: 1 << 16)
    }

    @Test func truncatedLastEvent() throws {
        let last = Self.physics.last!
        let cut = Array(bytes[..<(last.offset + last.size / 2)])
        let r = try check(cut, written: 599, bad: ["truncated": 1], at: last.offset)
        #expect(r.problems[0].reason.contains("cut off by the end of the file"))
        // A file cut inside a header.
        _ = try check(Array(bytes[..<(last.offset + 30)]), written: 599, bad: ["truncated": 1], at: last.offset)
    }

    @Test func badCRC() throws {
        var b = bytes
        let e = Self.physics[100]
        b[e.offset + 500] ^= 0x10
        let r = try check(b, written: 599, bad: ["crc": 1], at: e.offset)
        #expect(r.problems[0].reason.contains("CRC32C mismatch"))
        #expect(r.problems[0].length == e.size)
    }

    @Test func impossibleSizes() throws {
        var b = bytes
        let e = Self.physics[200]
        setWord(&b, e.offset, 0x7FFF_FFF0)
        let r = try check(b, written: 599, bad: ["bad-header": 1], at: e.offset)
        #expect(r.problems[0].reason.contains("impossible event size"))
        // A plausible size that is wrong: the equipments no longer fill the event.
        var c = bytes
        setWord(&c, e.offset, UInt32(e.size + 8))
        _ = try check(c, written: 599, bad: ["structure": 1], at: e.offset)
        // An equipment size that runs past its event.
        var d = bytes
        setWord(&d, e.offset + 68, 0x10_0000)
        resealCRC(&d, event: e.offset)
        _ = try check(d, written: 599, bad: ["structure": 1], at: e.offset)
    }

    /// The first MSADC equipment of an event (offset of its equipment header).
    func msadc(_ b: [UInt8], _ e: (offset: Int, size: Int, type: UInt32)) -> Int {
        var p = e.offset + 68
        while word(b, p + 4) != Equipment.Kind.msadc.rawValue { p += Int(word(b, p)) }
        return p
    }

    @Test func wrongMarkers() throws {
        var b = bytes
        let e = Self.physics[300]
        // Chip header at +40, first channel header at +44, its first data word at +48.
        let first = msadc(b, e) + 48
        setWord(&b, first, word(b, first) & 0x00FF_FFFF | 0x80 << 24)
        resealCRC(&b, event: e.offset)
        let r = try check(b, written: 599, bad: ["msadc": 1], at: e.offset)
        #expect(r.problems[0].reason.contains("wrong marker"))
        // A chip header without its key, and a channel header with the wrong id.
        for (delta, mask) in [(40, UInt32(0x3FFF_FFFF)), (44, UInt32(0x3FFF_FFFF))] {
            var c = bytes
            let p = msadc(c, e) + delta
            setWord(&c, p, word(c, p) & mask)
            resealCRC(&c, event: e.offset)
            _ = try check(c, written: 599, bad: ["msadc": 1], at: e.offset)
        }
    }

    @Test func eventNumberMismatchBetweenHeaders() throws {
        var b = bytes
        let e = Self.physics[400]
        let p = msadc(b, e)
        setWord(&b, p + 32, word(b, p + 32) + 1)  // S-Link event-in-spill
        resealCRC(&b, event: e.offset)
        let r = try check(b, written: 599, bad: ["event-mismatch": 1], at: e.offset)
        #expect(r.problems[0].reason.contains("S-Link"))
        var c = bytes
        setWord(&c, p + 40, word(c, p + 40) ^ 1)  // chip header event number
        resealCRC(&c, event: e.offset)
        _ = try check(c, written: 599, bad: ["event-mismatch": 1], at: e.offset)
    }

    @Test func garbageBetweenEvents() throws {
        var b = bytes
        let e = Self.physics[250]
        var rng = SystemRandomNumberGenerator()
        let junk = (0..<1000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        b.insert(contentsOf: junk, at: e.offset)
        let r = try check(b, written: 600, bad: ["garbage": 1], at: e.offset)
        #expect(r.problems[0].length == 1000)
        // Garbage that holds the magic word, and garbage at the very start.
        var c = bytes
        var fake = junk
        setWord(&fake, 100, DATE.magic)
        setWord(&fake, 96, 200)
        c.insert(contentsOf: fake, at: e.offset)
        _ = try check(c, written: 600, bad: ["garbage": 1], at: e.offset, chunkBytes: 1 << 16)
        var d = bytes
        d.insert(contentsOf: junk, at: 0)
        _ = try check(d, written: 600, bad: ["garbage": 1], at: 0)
    }

    /// Found by fuzzing: a magic word in the last bytes of the file, after garbage, starts a
    /// header the file cannot hold; the reader must not read past its buffer.
    @Test func magicWordInTheLastBytes() throws {
        for tail in [4, 20, 60, 67] {
            var b = bytes
            b += [UInt8](repeating: 0x11, count: 9)
            b += [0x00, 0x01, 0x00, 0x00, 0xFE, 0x5A, 0x1E, 0xDA]
            b += [UInt8](repeating: 0, count: tail - 8 > 0 ? tail - 8 : 0)
            // Fewer than 68 bytes after the last event read as a cut-off header, more as garbage.
            let reason = b.count - bytes.count < 68 ? "truncated" : "garbage"
            _ = try check(b, written: 600, bad: [reason: 1], at: bytes.count)
            _ = try check(b, written: 600, bad: [reason: 1], at: bytes.count, chunkBytes: 1 << 16)
        }
    }

    @Test func filesThatAreNotRawData() throws {
        for (content, message) in [([UInt8](), "the file is empty"), (Array("run,event,ecal_e\n1,2,3.5\n".utf8), "no DATE event"),
                                   ((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }, "no DATE event")] {
            let raw = Scratch.write(content, "notdate.dat")
            let out = Scratch.path("notdate.evc")
            do {
                _ = try convert([raw], output: out)
                Issue.record("converted a file that is not raw data")
            } catch let e as DAQError {
                #expect(e.code == .notDATE)
                #expect(e.description.hasPrefix(raw + ": "))
                #expect(e.message.contains(message))
            }
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))
        }
        // The wrong byte order is named.
        var swapped = Array(bytes[..<Self.events[3].offset])
        for i in stride(from: 0, to: swapped.count, by: 4) { swapped[i..<i + 4].reverse() }
        let raw = Scratch.write(swapped, "swapped.dat")
        #expect { _ = try convert([raw]) } throws: { ($0 as? DAQError)?.message.contains("wrong byte order") == true }
    }

    @Test func missingBeamEnergyAndBadMapAreErrors() throws {
        // Without the start-of-run event there is no beam energy: an error unless given.
        let b = Array(bytes[Self.events[1].offset...])
        let raw = Scratch.write(b, "nosor.dat")
        #expect { _ = try convert([raw]) } throws: { ($0 as? DAQError)?.message.contains("--beam-energy") == true }
        let (report, _) = try convert([raw]) { $0.beamEnergy = 100 }
        #expect(report.eventsWritten == 600)
        // A map without the ECAL: its source is unknown, counted and skipped; the events convert.
        let map = try ChannelMap(text: ChannelMap.defaultText().split(separator: "\n").filter { !$0.hasPrefix("ECAL") }.joined(separator: "\n"), path: "noecal.map")
        let (r2, _) = try convert([SampleRuns.small.raw]) { $0.map = map }
        #expect(r2.eventsWritten == 600 && r2.badEvents == 0)
        #expect(r2.notes.unknownSources == [600: 600])
        #expect(throws: DAQError.self) { _ = try convert([SampleRuns.small.raw], strict: true) { $0.map = map } }
    }

    /// Hostile input: random flips anywhere (caught by the CRC) and random flips with the CRC
    /// recomputed (left to the decoder), at random places; never a crash, never more than the
    /// damaged event lost.
    @Test func randomDamage() throws {
        let run = try SampleRuns.make(events: 60, seed: 11)
        let clean = Scratch.read(run.raw)
        let events = try eventOffsets(run.raw)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<120 {
            var b = clean
            let e = events[Int.random(in: 0..<events.count, using: &rng)]
            let at = e.offset + Int.random(in: 0..<e.size, using: &rng)
            b[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            if round % 2 == 1 && at < e.offset + e.size - 4 && at >= e.offset + 68 { resealCRC(&b, event: e.offset) }
            let raw = Scratch.write(b, "flip.dat")
            let (report, out) = try convert([raw]) { $0.beamEnergy = 100 }
            #expect(report.eventsWritten >= 59, "byte \(at) of event at \(e.offset): \(report.problems)")
            #expect(report.eventsWritten + report.badEvents >= 60 || e.type != 7)
            #expect(try EVCFile(path: out).eventCount == report.eventsWritten)
            try? FileManager.default.removeItem(atPath: raw)
            try? FileManager.default.removeItem(atPath: out)
        }
        // Truncation anywhere keeps every event before the cut.
        for _ in 0..<40 {
            let cut = Int.random(in: 0..<clean.count, using: &rng)
            let raw = Scratch.write(Array(clean[..<cut]), "cut.dat")
            let complete = events.filter { $0.type == 7 && $0.offset + $0.size <= cut }.count
            if events[0].size > cut || cut < events[0].offset + events[0].size {
                #expect(throws: DAQError.self) { _ = try convert([raw]) }
                continue
            }
            let (report, _) = try convert([raw])
            #expect(report.eventsWritten == complete, "cut at \(cut)")
        }
    }
}
