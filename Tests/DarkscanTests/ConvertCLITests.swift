import Foundation
import Testing

/// `darkscan simulate` (raw) and `darkscan convert` as a user runs them.
@Suite struct ConvertCLITests {
    static let raw: String = {
        let path = CLI.scratch("cdr01001-004250.dat")
        let r = try! CLI.run(["simulate", "--run", "4250", "--events", "700", "--signal-rate", "0.02", "--mass", "16.7", "-o", path])
        precondition(r.status == 0, r.stderr)
        return path
    }()

    @Test func simulateWritesRawAndTruthThenConvertReconstructs() throws {
        let truth = String(Self.raw.dropLast(4)) + ".truth.evc"
        #expect(FileManager.default.fileExists(atPath: truth))
        let out = CLI.scratch("run4250.evc")
        let r = try CLI.run(["convert", Self.raw, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("700 events written from 700 physics events"))
        #expect(r.stderr.contains("bad events: none"))
        #expect(r.stderr.contains("MB/s"))
        let info = try CLI.run(["info", out])
        #expect(info.stdout.contains("700 in 1 cluster"))
        #expect(info.stdout.contains("run_info.mass_mev") && info.stdout.contains("16.7"))
        #expect(info.stdout.contains("eot"))
        let count = try CLI.run(["count", out, "--where", "missing energy > 50 GeV, veto == 0, pileup == 0"])
        #expect(count.status == 0)
        let t = try CLI.run(["info", truth])
        #expect(t.stdout.contains("a_prime_e"))
    }

    @Test func jsonSummaryAndWarningsForBadEvents() throws {
        var bytes = [UInt8](FileManager.default.contents(atPath: Self.raw)!)
        // Garbage in the middle of the file, inside an event: that event is lost, no other.
        bytes.insert(contentsOf: [UInt8](repeating: 0xAB, count: 333), at: bytes.count / 2 / 4 * 4)
        let damaged = CLI.scratch("damaged.dat")
        #expect(FileManager.default.createFile(atPath: damaged, contents: Data(bytes)))
        let out = CLI.scratch("damaged.evc")
        let r = try CLI.run(["convert", damaged, "-o", out, "--json"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("warning: \(damaged): byte "))
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["bad_events"] as? Int == 1)
        #expect((json["bad_by_reason"] as? [String: Int])?.values.reduce(0, +) == 1)
        #expect(json["events_written"] as? Int == 699)
        #expect(json["physics_events"] as? Int == 699)
        #expect(try CLI.run(["convert", damaged, "-o", CLI.scratch("x.evc"), "--fail-on-bad"]).status == 1)
        // --strict: exit 1, one line naming file and byte, no output.
        let strictOut = CLI.scratch("strict.evc")
        let s = try CLI.run(["convert", damaged, "-o", strictOut, "--strict"])
        #expect(s.status == 1)
        #expect(s.stderr.hasPrefix("darkscan: \(damaged): byte "))
        #expect(!FileManager.default.fileExists(atPath: strictOut))
    }

    @Test func badUsageAndBadFiles() throws {
        let notRaw = CLI.scratch("notes.dat")
        #expect(FileManager.default.createFile(atPath: notRaw, contents: Data("hello\n".utf8)))
        let r = try CLI.run(["convert", notRaw, "-o", CLI.scratch("y.evc")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no DATE event"))
        #expect(try CLI.run(["convert", "/nonexistent.dat", "-o", CLI.scratch("z.evc")]).status == 1)
        let badMap = CLI.scratch("bad.map")
        #expect(FileManager.default.createFile(atPath: badMap, contents: Data("ECAL0 600 0 0 0 0\nHCAL9 601 0 0 0 0\n".utf8)))
        let m = try CLI.run(["convert", Self.raw, "-o", CLI.scratch("w.evc"), "--map", badMap])
        #expect(m.status == 1)
        #expect(m.stderr.contains("\(badMap):2: unknown detector 'HCAL9'"))
        #expect(try CLI.run(["convert", Self.raw]).status == 64)
        #expect(try CLI.run(["simulate", "--events", "10", "--format", "evc", "--map", badMap, "-o", CLI.scratch("v.evc")]).status == 64)
        let help = try CLI.run(["convert", "--help"])
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("--resume"))
    }
}

/// What `convert` says about sources and detectors: the summary table, warnings naming file,
/// byte, source and detector, --json carrying them, --strict making them errors.
extension ConvertCLITests {
    @Test func sourcesAndDetectorsInTheSummaryAndJSON() throws {
        // A map without the HCAL: its source is unknown to it.
        let map = CLI.scratch("nohcal.map")
        let text = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Formats/maps/na64-sim.map").standardized.path, encoding: .utf8)
        #expect(FileManager.default.createFile(atPath: map, contents: Data(text.split(separator: "\n").filter { !$0.hasPrefix("HCAL") }.joined(separator: "\n").utf8)))
        let plain = try CLI.run(["convert", Self.raw, "-o", CLI.scratch("a.evc")])
        #expect(plain.status == 0)
        #expect(plain.stderr.contains("detector  sources  channels seen  occupancy  events missing"))
        #expect(plain.stderr.contains("warnings: none"))
        let out = CLI.scratch("b.evc")
        let r = try CLI.run(["convert", Self.raw, "-o", out, "--map", map, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("warning: \(Self.raw): byte ") && r.stderr.contains("source 601 is not in the channel map"))
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(json["unknown_sources"] as? [String: Int] == ["601": 700])
        #expect((json["warning_counts"] as? [String: Int])?["unknown-source"] == 700)
        let detectors = try #require(json["detectors"] as? [[String: Any]])
        #expect(detectors.map { $0["name"] as? String } == ["ECAL", "VETO", "SRD", "S", "MM", "ST", "TCS"])
        #expect(detectors.first?["seen"] as? Int == 72 && detectors.first?["events_missing"] as? Int == 0)
        let warnings = try #require(json["warnings"] as? [[String: Any]])
        #expect(warnings.first?["source"] as? Int == 601 && warnings.first?["loses_data"] as? Bool == true)
        #expect(try CLI.run(["convert", Self.raw, "-o", CLI.scratch("c.evc"), "--map", map, "--strict"]).status == 1)
        #expect(try CLI.run(["convert", Self.raw, "-o", CLI.scratch("d.evc"), "--max-missing", "2"]).status == 64)
    }
}
