import DAQ
import EventFormat
import Foundation
import Testing

/// A raw file written from ../shared/NA64.md section 3 alone — DATE headers, 28-byte equipment
/// headers, S-Link headers, MSADC data format 3, the channel addresses of
/// Formats/maps/na64-sim.map, no CRC32C equipment — with values of its own in the fields NA64.md
/// does not fix: equipment type 0, equipment id not the source ID, S-Link type and format 0.
/// Nothing here uses `RawEventBuilder` or the DAQ module's constants. The converter must decode
/// it by source ID and give every cell the writer's amplitude over its gain.
@Suite struct IndependentWriterTests {
    /// MSADC channels of the shipped map: name, source, port, chip<<4|chan, x, y.
    typealias Channel = (name: String, source: Int, port: Int, cc: Int, x: Int, y: Int)

    static let channels: [Channel] = {
        let text = try! String(contentsOfFile: ConfigTests.formats + "/na64-sim.map", encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 6, !f[0].hasPrefix("#"), let s = Int(f[1]), let p = Int(f[2]), let c = Int(f[3]), let x = Int(f[4]), let y = Int(f[5]) else { return nil }
            return (String(f[0]), s, p, c, x, y)
        }
    }()

    /// The writer's own pulse: (t/τ)^4 e^(4 - t/τ) / 4^4, τ = 6 ns, peak 1 at 24 ns after its
    /// start; 12.5 ns samples, the peak on sample 9 (112.5 ns, where in-time pulses of the
    /// default calibration peak), pedestals 180 (even samples) and 186 (odd).
    static func shape(_ t: Double) -> Double { t > 0 ? pow(t / 6, 4) * exp(4 - t / 6) / 256 : 0 }

    static func samples(amplitude: Int) -> [UInt16] {
        (0..<32).map { k in UInt16((k % 2 == 0 ? 180 : 186) + (Double(amplitude) * shape((Double(k) - 9) * 12.5 + 24)).rounded()) }
    }

    /// The default calibration with the writer's pulse shape, as a user describes their digitizer.
    static let calibration: CalibrationFile = {
        let line = "pulse_shape * 0.5 " + (0..<400).map { String(shape(Double($0) * 0.5)) }.joined(separator: " ")
        return try! CalibrationFile(text: CalibrationFile.defaultText() + line + "\n", path: "writer.calib")
    }()

    /// Little-endian words of one physics event, and the amplitude given to each map line.
    static func event(number: UInt32, spill: UInt32, inSpill: UInt32, seed: inout UInt64) -> (words: [UInt32], amplitudes: [String: Int]) {
        func next() -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(seed >> 33)
        }
        var amplitudes: [String: Int] = [:]
        var words: [UInt32] = [0, 0xDA1E_5AFE, 68, 0x0003_0006, 7, 4321, number, inSpill | spill << 20, 1, 0, 1, 0, 0, 0, 0, 0, 1_700_000_000]
        for source in Set(channels.map(\.source)).sorted() {
            var payload: [UInt32] = []
            let mine = channels.filter { $0.source == source }
            for key in Set(mine.map { $0.port << 2 | $0.cc >> 4 }).sorted() {
                let chipStart = payload.count
                payload.append(0)
                for ch in mine.filter({ $0.port << 2 | $0.cc >> 4 == key }).sorted(by: { $0.cc < $1.cc }) {
                    // Beam counters: a MIP; other cells: 20 to 2019 ADC counts.
                    let a = ch.name.hasPrefix("S") && ch.name.count == 2 ? 600 : 20 + next() % 2000
                    amplitudes["\(ch.name) \(ch.x) \(ch.y)"] = a
                    let s = samples(amplitude: a)
                    payload.append(UInt32(s.reduce(0) { $0 + Int($1) } & 0xFFFF) | 32 << 16 | UInt32(ch.cc & 15) << 26 | 1 << 30)
                    for k in stride(from: 0, to: 32, by: 2) { payload.append(UInt32(s[k]) | UInt32(s[k + 1]) << 12 | (k == 0 ? 0x40 : 0x80) << 24) }
                }
                payload[chipStart] = inSpill & 0xFFF | UInt32(payload.count - chipStart) << 12 | UInt32(key & 3) << 25 | UInt32(key >> 2) << 27 | 3 << 30
            }
            let slinkWords = 3 + payload.count
            // Equipment header: size, type 0, id 5000+source, attributes, element size; S-Link
            // header with type 0 and format 0.
            words += [UInt32(28 + 4 * slinkWords), 0, UInt32(5000 + source), 0, 0, 0, 4]
            words += [UInt32(slinkWords) | UInt32(source) << 16, inSpill | (spill & 0x7FF) << 20, 0]
            words += payload
        }
        words[0] = UInt32(4 * words.count)
        return (words, amplitudes)
    }

    static let file: (path: String, amplitudes: [[String: Int]]) = {
        var seed: UInt64 = 99
        var bytes: [UInt8] = [], amplitudes: [[String: Int]] = []
        for i in 0..<500 {
            let e = event(number: UInt32(i + 1), spill: 1, inSpill: UInt32(i + 1), seed: &seed)
            for w in e.words { bytes += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)] }
            amplitudes.append(e.amplitudes)
        }
        return (Scratch.write(bytes, "cdr01001-004321.dat"), amplitudes)
    }()

    /// The largest relative difference between the converted cell energies and the writer's
    /// amplitudes over the gains.
    func worstDifference(_ out: String) throws -> Double {
        let ecal = try column(out, "ecal_cells"), hcal = try column(out, "hcal_cells"), srd = try column(out, "srd_e")
        #expect(ecal.count == 500 * 72 && hcal.count == 500 * 36)
        var worst = 0.0
        for (i, amplitudes) in Self.file.amplitudes.enumerated() {
            for layer in 0..<2 {
                for x in 0..<6 {
                    for y in 0..<6 {
                        let expected = Double(amplitudes["ECAL\(layer) \(x) \(y)"]!) / (layer == 0 ? 200 : 30)
                        worst = max(worst, abs(ecal[i * 72 + layer * 36 + x * 6 + y] - expected) / expected)
                    }
                }
            }
            for m in 0..<4 {
                for j in 0..<9 {
                    let expected = Double(amplitudes["HCAL\(m) \(j / 3) \(j % 3)"]!) / 40
                    worst = max(worst, abs(hcal[i * 36 + m * 9 + j] - expected) / expected)
                }
            }
            for m in 0..<3 {
                let expected = Double(amplitudes["SRD \(m) 0"]!) / 15
                worst = max(worst, abs(srd[i * 3 + m] - expected) / expected)
            }
        }
        return worst
    }

    @Test func energiesAreTheWritersAmplitudesOverTheGains() throws {
        // With the writer's pulse shape in the calibration: exact but for the writer's integer
        // samples and the shape's interpolation.
        let (report, out) = try convert([Self.file.path]) {
            $0.beamEnergy = 100
            $0.calibration = Self.calibration
        }
        #expect(report.eventsWritten == 500 && report.badEvents == 0)
        let exact = try worstDifference(out)
        #expect(exact < 2e-3, "largest relative difference \(exact)")
        #expect(try column(out, "ecal_e").allSatisfy { $0 > 10 })
        // With the default calibration's shape, a little different from the writer's.
        let (_, plain) = try convert([Self.file.path]) { $0.beamEnergy = 100 }
        let close = try worstDifference(plain)
        #expect(close < 0.01, "largest relative difference \(close)")
    }

    @Test func headerFieldsAreCrossCheckedAndMissingSourcesNamed() throws {
        let (report, _) = try convert([Self.file.path]) { $0.beamEnergy = 100 }
        // Three MSADC sources in 500 events: type 0 (expected 1), id 5000+source, format 0 (3), S-Link type 0 (7).
        for kind in [SourceNote.Kind.equipmentType, .equipmentID, .slinkFormat, .slinkType] {
            let entries = report.notes.entries.filter { $0.note.kind == kind }
            #expect(entries.map(\.note.source).sorted() == [600, 601, 602], "\(kind)")
            #expect(entries.allSatisfy { $0.count == 500 }, "\(kind)")
        }
        #expect(report.notes.entries.first { $0.note.kind == .equipmentType }?.note.found == 0)
        #expect(report.warnings.filter(\.losesData).map(\.code) == ["silent-source", "silent-source", "silent-source"])
        #expect(report.warnings.filter { $0.code == "silent-source" }.map(\.source) == [700, 701, 1000])
        #expect(report.warnings.first { $0.source == 700 }?.description.contains("source 700 (APV: MM) delivered no data in the file's 500 physics events") == true)
        let ecal = try #require(report.detectors.first { $0.name == "ECAL" })
        #expect(ecal.seen == 72 && ecal.channels == 72 && ecal.occupancy == 1 && ecal.eventsMissing == 0)
        #expect(report.detectors.first { $0.name == "MM" }?.eventsMissing == 500)
        // --strict stops at the first warning of data left out: the silent tracker.
        let strictOut = Scratch.path("strict.evc")
        #expect { _ = try convert([Self.file.path], strict: true, output: strictOut) { $0.beamEnergy = 100 } } throws: {
            ($0 as? DAQError)?.message.contains("source 700 (APV: MM) delivered no data") == true
        }
        #expect(!FileManager.default.fileExists(atPath: strictOut))
        // With a map of the MSADC channels alone, nothing is missing.
        let msadcOnly = ChannelMap.defaultText().split(separator: "\n").filter { !$0.hasPrefix("source") }.joined(separator: "\n")
        let (clean, _) = try convert([Self.file.path], strict: true) {
            $0.beamEnergy = 100
            $0.map = try! ChannelMap(text: msadcOnly, path: "msadc.map")
        }
        #expect(clean.eventsWritten == 500 && clean.warnings.filter(\.losesData).isEmpty)
    }
}
