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
        FileManager.default.createFile(atPath: damaged, contents: Data(bytes))
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
        FileManager.default.createFile(atPath: notRaw, contents: Data("hello\n".utf8))
        let r = try CLI.run(["convert", notRaw, "-o", CLI.scratch("y.evc")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no DATE event"))
        #expect(try CLI.run(["convert", "/nonexistent.dat", "-o", CLI.scratch("z.evc")]).status == 1)
        let badMap = CLI.scratch("bad.map")
        FileManager.default.createFile(atPath: badMap, contents: Data("ECAL0 600 0 0 0 0\nHCAL9 601 0 0 0 0\n".utf8))
        let m = try CLI.run(["convert", Self.raw, "-o", CLI.scratch("w.evc"), "--map", badMap])
        #expect(m.status == 1)
        #expect(m.stderr.contains("\(badMap):2: unknown detector 'HCAL9'"))
        #expect(try CLI.run(["convert", Self.raw]).status == 64)
        #expect(try CLI.run(["simulate", "--events", "10", "--format", "evc", "--map", badMap, "-o", CLI.scratch("v.evc")]).status == 64)
        let help = try CLI.run(["convert", "--help"])
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("--resume"))
    }
}
