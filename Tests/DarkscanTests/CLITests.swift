import Darkscan
import Foundation
import Testing

/// Runs the `darkscan` binary built next to the test bundle.
enum CLI {
    static let binary: String = {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("darkscan").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return dir.appendingPathComponent("darkscan").path
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String]) throws -> Result { try system(binary, args) }

    /// This process's scratch folder, removed when the test process exits.
    static let scratchDirectory: String = {
        let dir = NSTemporaryDirectory() + "darkscan-cli-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "darkscan-cli-\(getpid())") }
        return dir
    }()

    static func scratch(_ name: String) -> String {
        let dir = scratchDirectory
        return dir + "/" + UUID().uuidString.prefix(8) + "-" + name
    }

    /// A simulated run of `events` events, made once per test process.
    static let sample: String = {
        let path = scratch("run4242.evc")
        let r = try! run(["simulate", "--run", "4242", "--events", "3000", "--signal-rate", "0.01", "-o", path])
        precondition(r.status == 0, r.stderr)
        return path
    }()
}

@Suite struct CLITests {
    @Test func simulateInfoCatVerify() throws {
        let info = try CLI.run(["info", CLI.sample])
        #expect(info.status == 0)
        #expect(info.stdout.contains("3,000 in 1 cluster"))
        #expect(info.stdout.contains("ecal_cells") && info.stdout.contains("float32[2][6][6]") && info.stdout.contains("GeV"))

        let csv = try CLI.run(["cat", CLI.sample, "--columns", "event,ecal_e,veto", "--limit", "3", "--format", "csv"])
        #expect(csv.status == 0)
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.first == "event,ecal_e,veto")
        #expect(lines[1].hasPrefix("0,"))

        let verify = try CLI.run(["verify", CLI.sample])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("OK"))
    }

    @Test func jsonOutputsParse() throws {
        let info = try CLI.run(["info", "--json", CLI.sample])
        let obj = try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [[String: Any]]
        #expect(obj?.first?["events"] as? Int == 3000)
        let cat = try CLI.run(["cat", CLI.sample, "--columns", "event,ecal_cells,mm_hits", "--skip", "10", "--limit", "2", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: Data(cat.stdout.utf8)) as? [[String: Any]]
        #expect(rows?.count == 2)
        #expect(rows?.first?["event"] as? Int == 10)
        let cells = rows?.first?["ecal_cells"] as? [[[Double]]]
        #expect(cells?.count == 2 && cells?[0].count == 6 && cells?[0][0].count == 6)
        #expect((rows?.first?["mm_hits"] as? [[String: Any]])?.first?["strip"] != nil)
    }

    @Test func catAcrossClusterAndFileBoundaries() throws {
        let r = try CLI.run(["cat", CLI.sample, CLI.sample, "--columns", "event", "--skip", "2998", "--limit", "4", "--format", "csv"])
        #expect(r.stdout.split(separator: "\n").dropFirst() == ["2998", "2999", "0", "1"])
    }

    @Test func badInputGivesOneLineAndExitOne() throws {
        let empty = CLI.scratch("empty.evc")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        let r = try CLI.run(["info", empty])
        #expect(r.status == 1)
        #expect(r.stderr == "darkscan: \(empty) (at byte 0): file is empty\n")

        let unknown = try CLI.run(["cat", CLI.sample, "--columns", "ecal_energy"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no field 'ecal_energy'"))

        let usage = try CLI.run(["cat", CLI.sample, "--limit", "-1"])
        #expect(usage.status == 64)
    }

    @Test func verifyReportsDamageByClusterColumnPage() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: CLI.sample)))
        let f = try EVCFile(path: CLI.sample)
        let page = try f.clusters()[0].columns[6].pages[0]  // ecal_e
        bytes[page.offset + page.storedSize / 2] ^= 0x10
        let bad = CLI.scratch("bad.evc")
        #expect(FileManager.default.createFile(atPath: bad, contents: Data(bytes)))
        let r = try CLI.run(["verify", bad])
        #expect(r.status == 1)
        #expect(r.stdout.contains("cluster 0, column ecal_e, page 0"))
        #expect(r.stdout.contains("checksum"))
    }

    @Test func recoverFinishesAnInterruptedFile() throws {
        let path = CLI.scratch("crash.evc")
        var options = WriterOptions()
        options.clusterEvents = 1000
        let source = try EVCFile(path: CLI.sample)
        let w = try EVCWriter(path: path, schema: source.schema, options: options)
        try source.batches(batchSize: 500).forEach { try w.write($0) }
        // 3000 events: three clusters written, nothing open. Not closed: as if killed.
        let r = try CLI.run(["recover", path + ".partial"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("recovered 3,000 events in 3 clusters"))
        let v = try CLI.run(["verify", path])
        #expect(v.status == 0)
        _ = w
    }

    @Test func everySubcommandHasHelpWithExamples() throws {
        for sub in ["info", "cat", "verify", "recover", "simulate", "merge", "count", "skim", "export"] {
            let r = try CLI.run([sub, "--help"])
            #expect(r.status == 0)
            #expect(r.stdout.contains("Examples:"), "\(sub) --help has no examples")
        }
    }
}

@Suite struct QueryCLITests {
    @Test func countPrintsTheCutFlowAndJSON() throws {
        let r = try CLI.run(["count", CLI.sample, "--where", "missing energy > 50 GeV, veto == 0"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        #expect(lines[0].hasPrefix("cut"))
        #expect(lines[1].contains("all events") && lines[1].contains("3000"))
        #expect(lines[2].hasPrefix("missing energy > 50 GeV"))
        #expect(lines[3].hasPrefix("veto == 0"))
        #expect(r.stderr.contains("events/s"))

        let j = try CLI.run(["count", CLI.sample, "--where", "a: ecal_e < 50 GeV, b: hcal_e < 1", "--json", "--n-minus-1", "--weight", "2"])
        let o = try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any]
        let cuts = o?["cuts"] as? [[String: Any]]
        #expect(o?["total"] as? Int == 3000)
        #expect(cuts?.map { $0["name"] as? String } == ["a", "b"])
        #expect((cuts?[0]["sum_w"] as? Double) == 2 * Double(cuts?[0]["events"] as? Int ?? -1))
        #expect(cuts?[0]["n_minus_1"] != nil)
    }

    @Test func queryErrorsPointAtTheProblemAndExitTwo() throws {
        let r = try CLI.run(["count", CLI.sample, "--where", "missing energy > 50 ns, veto == 0"])
        #expect(r.status == 2)
        #expect(r.stderr == """
            darkscan: error in --where:
            1 | missing energy > 50 ns, veto == 0
              |                  ^^^^^ cannot compare 'missing energy' (energy, GeV) with '50 ns' (time, ns)

            """)
        let d = try CLI.run(["count", CLI.sample, "--define", "tot = ecal_e + hcal", "--where", "tot > 1"])
        #expect(d.status == 2)
        #expect(d.stderr.contains("error in --define") && d.stderr.contains("did you mean 'hcal_e'?"))
    }

    @Test func skimWritesSurvivorsWithProvenance() throws {
        let out = CLI.scratch("cand.evc")
        let r = try CLI.run(["skim", CLI.sample, "--where", "missing energy > 50 GeV, veto == 0", "--select", "event,ecal_e,veto", "-o", out])
        #expect(r.status == 0, "\(r.stderr)")
        let count = try CLI.run(["count", CLI.sample, "--where", "missing energy > 50 GeV, veto == 0", "--json"])
        let o = try JSONSerialization.jsonObject(with: Data(count.stdout.utf8)) as? [String: Any]
        let selected = ((o?["cuts"] as? [[String: Any]])?.last?["events"] as? Int) ?? -1
        let f = try EVCFile(path: out)
        #expect(f.eventCount == selected)
        #expect(f.schema.fields.map(\.name) == ["event", "ecal_e", "veto"])
        #expect(f.metadata("query") == "missing energy > 50 GeV, veto == 0")
        #expect(f.metadata("cut_flow")?.contains("veto == 0") == true)
        #expect(f.metadata("inputs") == CLI.sample)
        let info = try CLI.run(["info", out])
        #expect(info.stdout.contains("cut_flow") && info.stdout.contains("missing energy > 50 GeV"))
        // Every event in the skim passes the cuts.
        var ok = true
        try f.batches().forEach { b in
            let e = b.values("ecal_e")!.buffer(Float.self), v = b.values("veto")!.buffer(UInt8.self)
            for i in 0..<b.eventCount where !(100 - e[i] > 50 && v[i] == 0) { ok = false }
        }
        #expect(ok)
    }
}

@Suite struct LibraryQueryTests {
    @Test func forEachSelectedGivesTheSurvivorsInOrder() throws {
        let ds = try EVCDataset(paths: [CLI.sample])
        var events: [UInt64] = []
        let flow = try ds.forEachSelected("ecal_e < 50 GeV, hcal_e < 1 GeV", fields: ["event"]) { b in
            events += b.values("event")!.values(UInt64.self)
        }
        #expect(events.count == flow.selected)
        #expect(events == events.sorted())
        var options = QueryOptions()
        options.threads = 1
        #expect(try ds.count("ecal_e < 50 GeV, hcal_e < 1 GeV", options: options) == flow)
    }
}
