import Darkscan
import Foundation
import Testing

/// `--hist` on count and skim, `darkscan hist` (fill, merge) and `darkscan plot`, as a user runs
/// them: outputs, exit codes, one-line errors for bad files, carets for bad specs.
@Suite struct HistogramCLITests {
    static let one = "ecal_e: 150 bins 0 GeV .. 150 GeV"
    static let two = "ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV .. 60 GeV"

    @Test func theIssuesFormsWorkOnCount() throws {
        let r = try CLI.run(["count", CLI.sample, "--where", "veto == 0", "--hist", Self.one, "--hist", Self.two])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("# ecal_e  (after: veto == 0)"))
        #expect(r.stdout.contains("lower\tupper\tvalue"))  // plain numbers: not a terminal
        #expect(r.stdout.contains("x_lower\tx_upper\ty_lower\ty_upper\tvalue"))
        let j = try CLI.run(["count", CLI.sample, "--where", "veto == 0", "--hist", Self.one + " @all", "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let hs = o?["histograms"] as? [String: Any]
        #expect(hs?.keys.sorted() == ["ecal_e @ all events", "ecal_e @ veto == 0"])
        let storage = (hs?["ecal_e @ all events"] as? [String: Any])?["storage"] as? [String: Any]
        #expect((storage?["values"] as? [Int])?.reduce(0, +) == 3000)
    }

    @Test func specErrorsPointWithACaretAndExitTwo() throws {
        let r = try CLI.run(["count", CLI.sample, "--where", "veto == 0", "--hist", "ecal_e: 0 bins 0 GeV .. 150 GeV"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error in --hist:\n1 | ecal_e: 0 bins 0 GeV .. 150 GeV\n  |         ^ an axis needs at least one bin"))
        let unit = try CLI.run(["hist", CLI.sample, "--hist", "ecal_e: 10 bins 0 ns .. 1 ns"])
        #expect(unit.status == 2 && unit.stderr.contains("^^^^ cannot bin 'ecal_e' (energy, GeV) with '0 ns' (time, ns)"))
        let big = try CLI.run(["hist", CLI.sample, "--hist", "ecal_e vs hcal_e: 100000 bins 0 .. 1, 100000 bins 0 .. 1"])
        #expect(big.status == 2 && big.stderr.contains("more than the limit of 4194304 per histogram"))
        let usage = try CLI.run(["hist", CLI.sample])
        #expect(usage.status == 64)
    }

    @Test func skimKeepsItsHistogramsAndPlotReadsThem() throws {
        let out = CLI.scratch("quiet.evc")
        let r = try CLI.run(["skim", CLI.sample, "--where", "veto == 0", "--hist", Self.two, "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("kept in the metadata of"))
        // What the skim keeps is what `hist` fills with the same query, every survivor in it.
        let stored = try UHI.decode(Array(try #require(try EVCFile(path: out).metadata("histograms")).utf8))
        let json = CLI.scratch("quiet.json")
        let direct = try CLI.run(["hist", CLI.sample, "--where", "veto == 0", "--hist", Self.two, "-o", json])
        #expect(direct.status == 0, "\(direct.stderr)")
        let filled = try HistogramFile.read(json)
        #expect(stored.map(\.name) == filled.map(\.name) && stored.map(\.values) == filled.map(\.values))
        #expect(stored.first.map { Int($0.values.reduce(0, +)) } == (try EVCFile(path: out).eventCount))
        let p = try CLI.run(["plot", out])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.contains("# ecal_e vs hcal_e"))
        let none = try CLI.run(["plot", CLI.sample])
        #expect(none.status == 1 && none.stderr.contains("keeps no histograms"))
    }

    @Test func picturesAreWrittenAndTheSameEachRun() throws {
        let dir1 = CLI.scratch("plots1"), dir2 = CLI.scratch("plots2")
        let json = CLI.scratch("h.json")
        for format in ["png", "svg", "pdf"] {
            for dir in [dir1, dir2] {
                let r = try CLI.run(["hist", CLI.sample, "--where", "veto == 0", "--hist", Self.one + " @all", "--hist", Self.two, "-o", json,
                                     "--plot", dir, "--format", format])
                #expect(r.status == 0, "\(r.stderr)")
            }
            for name in ["ecal_e___all_events", "ecal_e___veto____0", "ecal_e_vs_hcal_e"] {
                let a = FileManager.default.contents(atPath: "\(dir1)/\(name).\(format)")
                #expect(a != nil && a == FileManager.default.contents(atPath: "\(dir2)/\(name).\(format)"), "\(name).\(format)")
            }
        }
        let overlay = try CLI.run(["plot", json, "-o", dir1, "--overlay", "--normalize", "--log"])
        #expect(overlay.status == 0 && overlay.stdout.contains("ecal_e_stages.png"), "\(overlay.stderr)")
        let preset = try CLI.run(["plot", CLI.sample, "--preset", "ecal-hcal", "-o", dir1, "--format", "pdf"])
        #expect(preset.status == 0 && preset.stdout.contains("ecal-hcal.pdf"), "\(preset.stderr)")
        let named = try CLI.run(["plot", json, "nope"])
        #expect(named.status == 1 && named.stderr.contains("no histogram named 'nope'"))
    }

    @Test func mergeAddsAndRefusesWhatDiffers() throws {
        let a = CLI.scratch("a.json"), b = CLI.scratch("b.json"), sum = CLI.scratch("sum.json")
        #expect(try CLI.run(["hist", CLI.sample, "--hist", Self.one, "-o", a]).status == 0)
        let m = try CLI.run(["hist", "merge", a, a, "-o", sum])
        #expect(m.status == 0, "\(m.stderr)")
        let hs = try HistogramFile.read(sum), one = try HistogramFile.read(a)
        #expect(hs[0].values == one[0].values.map { $0 * 2 })
        #expect(hs[0].metadata["darkscan.events"] == .int(6000))
        #expect(try CLI.run(["hist", CLI.sample, "--hist", "ecal_e: 100 bins 0 GeV .. 150 GeV", "-o", b]).status == 0)
        let bad = try CLI.run(["hist", "merge", a, b, "-o", sum])
        #expect(bad.status == 1)
        #expect(bad.stderr == "darkscan: \(b): cannot add histogram 'ecal_e' to 'ecal_e': axis 0: 150 bins vs 100\n")
    }

    /// Malformed or hostile files given to plot and merge: one line naming the file and the
    /// place, exit 1, no crash.
    @Test func badHistogramFilesGiveOneLine() throws {
        let good = try String(contentsOfFile: try { () throws -> String in
            let p = CLI.scratch("good.json")
            _ = try CLI.run(["hist", CLI.sample, "--hist", "ecal_e: 3 bins 0 GeV .. 150 GeV", "-o", p])
            return p
        }(), encoding: .utf8)
        let cases = [
            (good.replacingOccurrences(of: "\"uhi_schema\": 1", with: "\"uhi_schema\": 7"), "uhi_schema): schema 7 is newer"),
            (good.replacingOccurrences(of: "\"bins\": 3", with: "\"bins\": 99999999999"), "axes[0].bins): not a whole number"),
            (good.replacingOccurrences(of: "\"bins\": 3", with: "\"bins\": 4"), "storage.values): 5 cells where the axis has 6"),
            (good.replacingOccurrences(of: "\"upper\": 150", with: "\"upper\": NaN"), "(at byte "),
            (String(good.prefix(100)), "(at byte "),
            ("", "file is empty"),
        ]
        for (text, expected) in cases {
            let path = CLI.scratch("bad.json")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            for args in [["plot", path], ["hist", "merge", path, path, "-o", CLI.scratch("x.json")]] {
                let r = try CLI.run(args)
                #expect(r.status == 1, "\(args): \(r.stderr)")
                #expect(r.stderr.hasPrefix("darkscan: \(path)") && r.stderr.contains(expected), "\(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1)
            }
        }
    }

    @Test func nonFiniteWeightsAreCountedAndSaid() throws {
        let r = try CLI.run(["hist", CLI.sample, "--weight", "1 / (veto - veto)", "--hist", Self.one, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("entries with a NaN or infinite weight were not filled"))
        #expect(r.stdout.contains("\"darkscan.nonfinite_weights\" : 3000"))
    }
}

@Suite(.enabled(if: PythonEnv.available, "needs .build/venv with uhi, hist, numpy and pyarrow: run tools/test"))
struct HistogramPythonTests {
    /// The UHI file passes `uhi validate` and loads into hist.Hist with contents equal to
    /// numpy.histogram/histogram2d over the Arrow export of the same events.
    @Test func uhiValidateHistAndNumpyAgree() throws {
        let json = CLI.scratch("py.json"), arrow = CLI.scratch("py.arrow")
        let cuts = "missing energy > 10 GeV"
        let r = try CLI.run(["hist", CLI.sample, "--where", cuts, "--hist", HistogramCLITests.one, "--hist", HistogramCLITests.two,
                             "--hist", "v = hcal_e: edges [-1, 0, 0.5, 1, 5, 100]", "--hist", "cells = ecal_cells[1]: 40 bins 0 .. 20", "-o", json])
        #expect(r.status == 0, "\(r.stderr)")
        let e = try CLI.run(["export", CLI.sample, "--where", cuts, "--columns", "ecal_e,hcal_e,ecal_cells", "-o", arrow])
        #expect(e.status == 0, "\(e.stderr)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: PythonEnv.python)
        p.arguments = [PythonEnv.root.appendingPathComponent("Tests/Python/check_hist.py").path, json, arrow,
                       "ecal_e=ecal_e", "ecal_e vs hcal_e=ecal_e,hcal_e", "v=hcal_e", "cells=ecal_cells[1]"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("4 histograms"))
    }
}
