import Darkscan
import Foundation
import Testing

/// `merge`, `--spills`, `--friend` and the exposure on the command line: summaries, JSON, and bad
/// input as one line with exit code 1.
@Suite struct ExposureCLITests {
    @Test func countReportsExposureAndPerEOT() throws {
        let r = try CLI.run(["count", CLI.sample, "--where", "missing energy > 50 GeV", "--per-eot"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("per 1e9 EOT"))
        #expect(r.stderr.contains("exposure: ") && r.stderr.contains("EOT in 1 spill of 1 run"))
        let j = try CLI.run(["count", CLI.sample, "--where", "veto == 0", "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let e = o?["exposure"] as? [String: Any]
        #expect((e?["eot"] as? Int ?? 0) > 0 && e?["events_without_exposure"] as? Int == 0 && e?["spills"] as? Int == 1)
        #expect((o?["cuts"] as? [[String: Any]])?[0]["per_1e9_eot"] != nil)
        // The rows of the spills only when asked for: they grow with the spills read.
        #expect(e?["table"] == nil)
        let rows = try CLI.run(["count", CLI.sample, "--where", "veto == 0", "--json", "--exposure-rows"])
        let ro = try JSONSerialization.jsonObject(with: Data(rows.stdout.utf8)) as? [String: Any]
        let table = (ro?["exposure"] as? [String: Any])?["table"] as? [String: Any]
        #expect((table?["rows"] as? [Any])?.count == 1)
        #expect(try CLI.run(["count", CLI.sample, "--where", "veto == 0", "--exposure-rows"]).status == 64)
        let info = try CLI.run(["info", CLI.sample])
        #expect(info.stdout.contains("exposure ") && info.stdout.contains("EOT in 1 spill of 1 run (4242)"))
    }

    @Test func badSpillListIsFileAndLine() throws {
        let list = CLI.scratch("good.txt")
        try "# good\n4242 1-3\n4242 x\n".write(toFile: list, atomically: true, encoding: .utf8)
        let r = try CLI.run(["count", CLI.sample, "--spills", list, "--where", "veto == 0"])
        #expect(r.status == 1)
        #expect(r.stderr == "darkscan: \(list):3: expected a spill number, a range S1-S2 or *, found 'x'\n")
        try "4242 1\n".write(toFile: list, atomically: true, encoding: .utf8)
        let ok = try CLI.run(["skim", CLI.sample, "--spills", list, "--where", "veto == 0", "-o", CLI.scratch("listed.evc")])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("in spill list"))
    }

    @Test func friendThatIsNotEVCExitsOne() throws {
        let r = try CLI.run(["count", CLI.sample, "--friend", CLI.sample + ".missing:truth", "--where", "truth.kind == 3"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("darkscan: ") && r.stderr.split(separator: "\n").count == 1)
        let text = CLI.scratch("truth.evc")
        try "text".write(toFile: text, atomically: true, encoding: .utf8)
        let t = try CLI.run(["cat", CLI.sample, "--friend", text, "--columns", "event,truth.kind"])
        #expect(t.status == 1 && t.stderr.contains("not an EVC file"))
    }

    @Test func corruptExposureTableExitsOne() throws {
        let path = CLI.scratch("bad-table.evc")
        try FileManager.default.copyItem(atPath: CLI.sample, toPath: path)
        let f = try EVCFile(path: path)
        // The exposure block sits right before the index; flip a byte of its payload.
        let index = try f.clusters().count
        #expect(index == 1)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let tag: [UInt8] = Array("EXPO".utf8)
        let at = try #require((0..<bytes.count - 4).last { Array(bytes[$0..<$0 + 4]) == tag })
        bytes[at + 30] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let r = try CLI.run(["count", path, "--where", "veto == 0"])
        #expect(r.status == 1)
        #expect(r.stderr.contains(path) && r.stderr.contains("exposure") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try CLI.run(["cat", path, "--limit", "1"]).status == 0)
        #expect(try CLI.run(["verify", path]).status == 1)
    }

    @Test func mergeSummaryJSONAndRefusals() throws {
        let a = CLI.scratch("a.evc"), b = CLI.scratch("b.evc"), out = CLI.scratch("ab.evc")
        for (p, run) in [(a, "5101"), (b, "5102")] {
            let r = try CLI.run(["simulate", "--run", run, "--events", "4000", "--profile", "summary", "-o", p])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let m = try CLI.run(["merge", a, b, "-o", out, "--json"])
        #expect(m.status == 0, "\(m.stderr)")
        let o = try JSONSerialization.jsonObject(with: Data(m.stdout.utf8)) as? [String: Any]
        #expect(o?["events"] as? Int == 8000)
        #expect(((o?["exposure"] as? [String: Any])?["runs"] as? Int) == 2)
        #expect(try CLI.run(["verify", out]).status == 0)
        // Two different rows for one spill; a schema difference; an input that is not EVC.
        let c = CLI.scratch("c.evc")
        _ = try CLI.run(["simulate", "--run", "5101", "--seed", "9", "--events", "4000", "--profile", "summary", "-o", c])
        let (x, y, z) = (CLI.scratch("conflict.evc"), CLI.scratch("schema.evc"), CLI.scratch("notevc.evc"))
        let conflict = try CLI.run(["merge", a, c, "-o", x])
        #expect(conflict.status == 1 && conflict.stderr.contains("run 5101 spill 1") && conflict.stderr.split(separator: "\n").count == 1)
        let schema = try CLI.run(["merge", a, CLI.sample, "-o", y])
        #expect(schema.status == 1 && schema.stderr.contains("schema differs") && schema.stderr.contains("--fill-missing"))
        let text = CLI.scratch("notes.evc")
        try "text".write(toFile: text, atomically: true, encoding: .utf8)
        let notEVC = try CLI.run(["merge", a, text, "-o", z])
        #expect(notEVC.status == 1 && notEVC.stderr.contains("not an EVC file"))
        for p in [x, y, z] { #expect(!FileManager.default.fileExists(atPath: p) && !FileManager.default.fileExists(atPath: p + ".partial")) }
    }
}
