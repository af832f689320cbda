import DAQ
import EventFormat
import Foundation
import Testing

/// Decoding by source ID (Formats/RAW.md sections 3, 10 and 13): the map, not the equipment
/// type, chooses the decoder; sources the map does not know, or gives two kinds of payload, and
/// channels it does not know are counted warnings; detectors that deliver nothing are warnings.
@Suite struct SourceDecodingTests {
    static let clean = SampleRuns.small
    static let columns = ["event", "ecal_e", "hcal_e", "veto", "srd_e_sum", "track_p", "time_in_spill", "mm_hits.strip", "straw_hits.time"]
    static let reference: [String: [Double]] = {
        let (_, out) = try! convert([clean.raw])
        return Dictionary(uniqueKeysWithValues: columns.map { ($0, try! column(out, $0)) })
    }()

    func sameAsClean(_ out: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for name in Self.columns {
            #expect(try column(out, name).elementsEqual(Self.reference[name]!) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(name)",
                    sourceLocation: sourceLocation)
        }
    }

    @Test func scrambledTypesIdsAndFormatsDecodeTheSame() throws {
        var edit = RawEdit(Scratch.read(Self.clean.raw))
        var rng = SystemRandomNumberGenerator()
        var equipments: [Int: Int] = [:]
        for e in edit.events.indices {
            for q in edit.events[e].equipments.indices where !edit.events[e].equipments[q].isCRC {
                equipments[edit.events[e].equipments[q].source, default: 0] += 1
                edit.events[e].equipments[q].type = [0, 1, 2, 3, 4, 77].randomElement(using: &rng)!
                edit.events[e].equipments[q].id = UInt32.random(in: 1100...9999, using: &rng)
                edit.events[e].equipments[q].setFormat(UInt32.random(in: 0...255, using: &rng) == 3 ? 0 : UInt32.random(in: 0...255, using: &rng) | 1)
                edit.events[e].equipments[q].setSlinkType(0)
            }
        }
        let raw = Scratch.write(edit.bytes, "scrambled.dat")
        let (report, out) = try convert([raw])
        #expect(report.eventsWritten == 600 && report.badEvents == 0)
        try sameAsClean(out)
        // Every equipment disagrees on its id and S-Link type; none loses data.
        for kind in [SourceNote.Kind.equipmentID, .slinkType] {
            var bySource: [Int: Int] = [:]
            for e in report.notes.entries where e.note.kind == kind { bySource[e.note.source, default: 0] += e.count }
            #expect(bySource == equipments, "\(kind)")
        }
        #expect(report.warnings.allSatisfy { !$0.losesData })
        // Cross-checks never stop --strict.
        #expect(try convert([raw], strict: true).0.eventsWritten == 600)
    }

    @Test func unknownSourcesAreCountedPerSourceAndSkipped() throws {
        var edit = RawEdit(Scratch.read(Self.clean.raw))
        let physics = edit.events.indices.filter { edit.events[$0].type == 7 }
        for (n, e) in physics.enumerated() where n % 10 == 3 || n == 500 {
            var extra = edit.events[e].equipments[1]  // an MSADC equipment, now from source 650 or 651
            extra.setSource(n == 500 ? 651 : 650)
            edit.events[e].equipments.insert(extra, at: 2)
        }
        let bytes = edit.bytes
        let raw = Scratch.write(bytes, "unknown.dat")
        let (report, out) = try convert([raw])
        #expect(report.eventsWritten == 600 && report.badEvents == 0)
        try sameAsClean(out)
        #expect(report.notes.unknownSources == [650: 60, 651: 1])
        let first = try eventOffsets(raw).filter { $0.type == 7 }[3]
        let w = try #require(report.warnings.first { $0.source == 650 })
        #expect(w.code == "unknown-source" && w.losesData)
        #expect(w.offset! > first.offset && w.offset! < first.offset + first.size)
        #expect(w.description.hasPrefix("\(raw): byte \(w.offset!): source 650 is not in the channel map"))
        #expect(report.warningCounts["unknown-source"] == 61)
        #expect { _ = try convert([raw], strict: true) } throws: {
            ($0 as? DAQError).map { $0.offset == w.offset && $0.path == raw && $0.message.contains("source 650") } == true
        }
    }

    @Test func aSourceGivenTwoKindsInTheMapIsSkippedWithAWarning() throws {
        let text = ChannelMap.defaultText() + "source 601 APV\n"
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        let map = try ChannelMap(text: text, path: "two-kinds.map")
        #expect(try map.table(run: 4242).conflicts.map(\.source) == [601])
        let (report, out) = try convert([Self.clean.raw]) { $0.map = map }
        #expect(report.eventsWritten == 600)
        let w = try #require(report.warnings.first)
        #expect(w.code == "conflicting-source" && w.file == "two-kinds.map" && w.line == line && w.source == 601)
        #expect(w.description.hasPrefix("two-kinds.map:\(line): source 601 is given two kinds of payload, MSADC (line "))
        #expect(report.notes.entries.first { $0.note.kind == .conflictingSource }?.count == 600)
        // The HCAL is on that source: it is missing from every event, and said so.
        #expect(report.warnings.contains { $0.code == "missing-detector" && $0.detector == "HCAL" })
        #expect(try column(out, "hcal_e").allSatisfy { $0 == 0 })
        #expect { _ = try convert([Self.clean.raw], strict: true) { $0.map = map } } throws: {
            ($0 as? DAQError)?.description.hasPrefix("two-kinds.map:\(line): source 601") == true
        }
    }

    @Test func payloadsThatDoNotDecodeAsTheMapSaysAreBadEvents() throws {
        // The map swaps the tracker sources: every event's APV payload read as straw hits fails.
        let swapped = ChannelMap.defaultText().replacingOccurrences(of: "source 700 APV", with: "source 700 STRAW")
            .replacingOccurrences(of: "source 701 STRAW", with: "source 701 APV")
        let (report, _) = try convert([Self.clean.raw]) { $0.map = try! ChannelMap(text: swapped, path: "swapped.map") }
        #expect(report.eventsWritten == 0 && report.badByReason == ["tracker": 600])
        #expect(report.problems[0].reason.contains("source 700 (STRAW): straw hit word"))
        // One event whose straw payload holds a word that is not a hit: that event only.
        var edit = RawEdit(Scratch.read(Self.clean.raw))
        let e = edit.events.indices.filter { edit.events[$0].type == 7 }[42]
        let q = edit.events[e].equipments.firstIndex { $0.source == 701 }!
        edit.events[e].equipments[q].words[10] = 0x1234_5678
        let raw = Scratch.write(edit.bytes, "badstraw.dat")
        let (r2, _) = try convert([raw])
        #expect(r2.eventsWritten == 599 && r2.badByReason == ["tracker": 1])
        let offset = try eventOffsets(raw).filter { $0.type == 7 }[42].offset
        #expect(r2.problems[0].description.hasPrefix("\(raw): byte \(offset): event 43: source 701 (STRAW): straw hit word 0x12345678"))
    }

    @Test func unmappedChannelsAreSkippedAndCounted() throws {
        // The map loses main ECAL cell (4, 4): its channel is read, counted and left out.
        let text = ChannelMap.defaultText().split(separator: "\n").filter { $0 != "ECAL1 600 1 0 4 4" }.joined(separator: "\n")
        let (report, out) = try convert([Self.clean.raw]) { $0.map = try! ChannelMap(text: text, path: "m") }
        #expect(report.eventsWritten == 600)
        let entry = try #require(report.notes.entries.first)
        #expect(entry.note.kind == .unmappedChannel && entry.count == 600 && report.notes.entries.count == 1)
        #expect(entry.note.message.contains("MSADC channel 600 1 0 is not in the channel map"))
        #expect(report.detectors.first { $0.name == "ECAL" }.map { [$0.channels, $0.seen] } == [71, 71])
        #expect(try column(out, "ecal_cells").enumerated().allSatisfy { $0.offset % 72 != 36 + 28 || $0.element == 0 })
    }

    @Test func aDetectorMissingFromEventsIsAWarning() throws {
        let bytes = Scratch.read(Self.clean.raw)
        func dropHCAL(every n: Int) -> String {
            var edit = RawEdit(bytes)
            for (k, e) in edit.events.indices.filter({ edit.events[$0].type == 7 }).enumerated() where k % n == 0 {
                edit.events[e].equipments.removeAll { $0.source == 601 }
            }
            return Scratch.write(edit.bytes, "nohcal\(n).dat")
        }
        // Missing from 1 event in 20 (5%): a warning naming the detector, its source and the share.
        let some = dropHCAL(every: 20)
        let (report, _) = try convert([some])
        #expect(report.eventsWritten == 600)
        let w = try #require(report.warnings.first { $0.code == "missing-detector" })
        #expect(w.detector == "HCAL" && w.source == 601 && w.file == some && w.losesData)
        #expect(w.message == "HCAL (source 601) delivered nothing in 30 of the file's 600 physics events (5.0%, limit 1.0%)")
        #expect(report.detectors.first { $0.name == "HCAL" }?.eventsMissing == 30)
        #expect(report.warnings.count == 1)
        #expect(throws: DAQError.self) { _ = try convert([some], strict: true) }
        // Under the limit: no warning; a raised limit: none either.
        #expect(try convert([dropHCAL(every: 200)]).0.warnings.isEmpty)
        #expect(try convert([some]) { $0.missingLimit = 0.06 }.0.warnings.isEmpty)
        // Missing from every event: the source is silent.
        let (none, _) = try convert([dropHCAL(every: 1)])
        #expect(none.warnings.map(\.code) == ["silent-source"])
        #expect(none.warnings[0].message == "source 601 (MSADC: HCAL) delivered no data in the file's 600 physics events")
    }

    @Test func cleanFilesHaveEveryDetectorInEveryEvent() throws {
        let (report, _) = try convert([Self.clean.raw])
        #expect(report.warnings.isEmpty && report.notes.entries.isEmpty)
        #expect(report.detectors.map(\.name) == ["ECAL", "HCAL", "VETO", "SRD", "S", "MM", "ST", "TCS"])
        for d in report.detectors {
            #expect(d.events == 600 && d.eventsMissing == 0, "\(d.name)")
            if ["ECAL", "HCAL", "VETO", "SRD", "S", "TCS"].contains(d.name) { #expect(d.seen == d.channels && d.occupancy == 1, "\(d.name)") }
        }
        #expect(report.detectors.first { $0.name == "ECAL" }?.sources == [600])
        #expect(report.detectors.first { $0.name == "VETO" }?.sources == [602])
    }
}
