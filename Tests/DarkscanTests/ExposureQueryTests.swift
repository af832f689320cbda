import Darkscan
import Foundation
import Simulation
import Testing

/// Exposure through queries, skims and merges (Formats/EVC.md, section 8.2).
@Suite struct ExposureQueryTests {
    /// `events` simulated events of `run` in spills of 100, with their exposure table (`table`
    /// changes it; nil writes none), in clusters of `clusterEvents`.
    static func run(_ run: UInt32, events: Int = 1000, seed: UInt64 = 1, clusterEvents: Int = 250,
                    table: ((Exposure) throws -> Exposure?)? = nil) throws -> String {
        let path = CLI.scratch("run\(run).evc")
        var sim = RecoSimulator(run: run, seed: seed, signalRate: 0.01, profile: .summary)
        sim.physics.constants.eventsPerSpill = 100
        var o = WriterOptions()
        o.clusterEvents = clusterEvents
        let exposure = try table.map { try $0(sim.exposure(events: events)) } ?? sim.exposure(events: events)
        let w = try EVCWriter(path: path, schema: sim.schema, options: o, metadata: [("run", String(run))], exposure: exposure)
        try sim.write(events: events, to: w, threads: 1)
        try w.close()
        return path
    }

    static func table(_ paths: [String]) throws -> Exposure {
        var t = Exposure()
        for p in paths { try t.merge(try EVCFile(path: p).exposure() ?? Exposure()) }
        return t
    }

    func options(spills: String? = nil) throws -> QueryOptions {
        var o = QueryOptions()
        o.threads = 2
        if let spills { o.spills = try SpillList(text: spills, name: "good.txt") }
        return o
    }

    @Test func spillListSelectsExactlyTheEOTOfItsSpills() throws {
        let a = try Self.run(7001), b = try Self.run(7002, seed: 2)
        let ds = try EVCDataset(paths: [a, b])
        let all = try Self.table([a, b])
        let flow = try ds.count("missing energy > 50 GeV", options: try options(spills: "7001 2-4 7\n7002 10"))
        let listed = all.rows.filter { ($0.run == 7001 && [2, 3, 4, 7].contains($0.spill)) || ($0.run == 7002 && $0.spill == 10) }
        #expect(flow.exposure?.table.rows == listed)
        #expect(flow.exposure?.totals.eot == listed.reduce(0) { $0 + $1.eot })
        #expect(flow.lines[0].name == "in spill list" && flow.lines[0].events == 500)
        #expect(flow.exposure?.eventsWithout == 0)
        // A skim with the list keeps exactly those spills, and reports the same EOT when counted.
        let out = CLI.scratch("listed.evc")
        let sflow = try ds.skim("missing energy > 50 GeV", to: out, options: try options(spills: "7001 2-4 7\n7002 10"))
        #expect(sflow.exposure?.totals.eot == flow.exposure?.totals.eot)
        let skim = try EVCFile(path: out)
        #expect(try skim.exposure()?.rows == listed)
        #expect(skim.metadata("spill_list") == "7001 2-4 7\n7002 10" && skim.metadata("query") == "missing energy > 50 GeV")
        let again = try EVCDataset(paths: [out]).count("veto == 0", options: try options())
        #expect(again.exposure?.totals.eot == flow.exposure?.totals.eot)
        #expect(again.total == sflow.selected)
    }

    @Test func cutsOnRunAndSpillSelectSpills() throws {
        let a = try Self.run(7011), b = try Self.run(7012, seed: 2)
        let ds = try EVCDataset(paths: [a, b])
        let all = try Self.table([a, b])
        func eot(_ q: String) throws -> UInt64? { try ds.count(q, options: try options()).exposure?.totals.eot }
        func sum(_ keep: (SpillExposure) -> Bool) -> UInt64 { all.rows.filter(keep).reduce(0) { $0 + $1.eot } }
        #expect(try eot("spill >= 3 && spill < 6, ecal_e < 50 GeV") == sum { (3..<6).contains($0.spill) })
        #expect(try eot("run == 7012, veto == 0") == sum { $0.run == 7012 })
        #expect(try eot("run == 7012 and ecal_e < 50 GeV") == sum { $0.run == 7012 })
        // A cut mixing a spill condition with an event one in `or` selects events, not spills.
        #expect(try eot("spill < 3 or ecal_e > 1 GeV") == sum { _ in true })
        #expect(try ds.count("spill < 3, ecal_e < 50 GeV", options: try options()).exposure?.spillCuts == ["spill < 3"])
    }

    @Test func eventsWithoutExposureAreCountedAndNamed() throws {
        // Spill 5 has no row; the file without a table has unknown exposure throughout.
        let holed = try Self.run(7021) { $0.filter { $0.spill != 5 } }
        let bare = try Self.run(7022, events: 300, table: { _ in nil })
        let flow = try EVCDataset(paths: [holed, bare]).count("veto == 0", options: try options())
        let e = try #require(flow.exposure)
        #expect(e.spillsWithout == [SpillKey(run: 7021, spill: 5): 100])
        #expect(e.eventsInFilesWithout == 300 && e.eventsWithout == 400)
        #expect(e.filesWithout == [bare])
        #expect(e.lines().contains { $0.contains("400 events without an exposure row") })
        // Not selected, not reported; with a selection, files without a table are split by spill.
        let listed = try EVCDataset(paths: [holed, bare]).count("veto == 0", options: try options(spills: "7021 1-4\n7022 2"))
        #expect(listed.exposure?.eventsWithout == 100 && listed.exposure?.spillsWithout == [SpillKey(run: 7022, spill: 2): 100])
        // JSON carries the rows only when asked for; they read back into the same table.
        #expect(flow.exposure?.json["table"] == nil)
        let back = try Exposure(json: try #require(flow.exposure?.json(rows: true)["table"] as? [String: Any]))
        #expect(back == e.table)
    }

    @Test func skimKeepsTheExposureOfEverySpillRead() throws {
        let a = try Self.run(7031)
        let out = CLI.scratch("none.evc")
        let flow = try EVCDataset(paths: [a]).skim("ecal_e < -1000 GeV", to: out, options: try options())
        #expect(flow.selected == 0)
        #expect(try EVCFile(path: out).exposure() == (try Self.table([a])))
    }

    /// Every value of each column of a file, in event order, as bytes.
    static func contents(_ path: String) throws -> [[UInt8]] {
        let f = try EVCFile(path: path)
        var out = [[UInt8]](repeating: [], count: f.schema.columns.count)
        try f.batches().forEach { b in
            for (i, c) in b.columns.enumerated() { out[i] += Array(c!.rawBytes) }
        }
        return out
    }

    @Test func mergeOfSkimsIsOneSkimOverAllInputs() throws {
        let inputs = try (0..<3).map { try Self.run(7041 + UInt32($0), seed: UInt64($0) + 5) }
        let query = "missing energy > 20 GeV, veto == 0"
        var skims: [String] = []
        for i in inputs {
            let s = CLI.scratch("skim.evc")
            try EVCDataset(paths: [i]).skim(query, to: s, options: try options())
            skims.append(s)
        }
        let whole = CLI.scratch("whole.evc")
        try EVCDataset(paths: inputs).skim(query, to: whole, options: try options())
        let merged = CLI.scratch("merged.evc")
        let plan = try Merge.plan(skims, output: merged, fillMissing: false)
        try Merge.run(plan, to: merged, metadata: Merge.metadata(plan))
        let m = try EVCFile(path: merged), w = try EVCFile(path: whole)
        #expect(m.eventCount == w.eventCount && m.eventCount > 0)
        #expect(try Self.contents(merged) == (try Self.contents(whole)))
        #expect(try m.exposure() == (try w.exposure()))
        #expect(m.metadata("cut_flow_json") == w.metadata("cut_flow_json"))
        #expect(m.metadata("query") == query)
        #expect(m.verify().ok)
        // Provenance: every input's path and metadata.
        let provenance = try #require(m.metadata("provenance"))
        for s in skims { #expect(provenance.contains(s)) }
        #expect(provenance.contains("cut_flow_json"))
    }

    @Test func mergeRefusesTwoDifferentRowsForOneSpill() throws {
        let a = try Self.run(7051, seed: 1), b = try Self.run(7051, seed: 2)
        #expect { _ = try Merge.plan([a, b], output: CLI.scratch("x.evc"), fillMissing: false) } throws: {
            let e = $0 as! EVCError
            return e.code == .conflict && e.message.contains("run 7051 spill 1") && e.message.contains(a) && e.message.contains(b)
        }
        #expect(throws: EVCError.self) { _ = try EVCDataset(paths: [a, b]).count("veto == 0", options: try options()) }
        // Identical rows (the same spill twice) are merged once, and said.
        let plan = try Merge.plan([a, a], output: CLI.scratch("twice.evc"), fillMissing: false)
        #expect(plan.sharedSpills == 10 && plan.exposure?.count == 10)
    }

    @Test func mergeNamesTheFirstSchemaDifferenceOrFillsIt() throws {
        let a = try Self.run(7061)
        // b: the same events without track_chi2 and with an extra array.
        let full = try EVCFile(path: try Self.run(7062))
        var fields = full.schema.fields.filter { $0.name != "track_chi2" }
        fields.append(Field(id: 900, name: "extra", kind: .array(.int16, shape: [2]), description: "only in b"))
        let schema = try Schema(fields)
        let b = CLI.scratch("b.evc")
        let w = try EVCWriter(path: b, schema: schema, exposure: try full.exposure())
        var k = 0
        try full.batches().forEach { batch in
            var out = EventBatch(schema: schema, capacity: batch.eventCount)
            for f in schema.fields where f.name != "extra" { out.column(f.name)!.append(batch.column(f.name)!, range: 0..<batch.eventCount) }
            for _ in 0..<batch.eventCount * 2 {
                out.column("extra")!.append(Int16(k % 7))
                k += 1
            }
            out.noteAppendedEvents(batch.eventCount)
            try w.write(out)
        }
        try w.close()
        let output = CLI.scratch("filled.evc")
        #expect { _ = try Merge.plan([a, b], output: output, fillMissing: false) } throws: {
            let e = $0 as! EVCError
            return e.code == .schemaMismatch && e.message.contains("track_chi2") && e.path == b
        }
        let plan = try Merge.plan([a, b], output: output, fillMissing: true)
        try Merge.run(plan, to: output, metadata: Merge.metadata(plan))
        let m = try EVCFile(path: output)
        #expect(m.eventCount == 2000 && m.verify().ok)
        #expect(m.metadata("filled_missing") == "track_chi2: NaN for \(b)\nextra: 0 for \(a)")
        var chi2: [Float] = [], extra: [Int16] = []
        try m.batches(fields: ["track_chi2", "extra"]).forEach {
            chi2 += $0.values("track_chi2")!.values(Float.self)
            extra += $0.values("extra")!.values(Int16.self)
        }
        #expect(chi2[..<1000].allSatisfy { !$0.isNaN } && chi2[1000...].allSatisfy(\.isNaN))
        #expect(extra[..<2000].allSatisfy { $0 == 0 } && extra[2000...] == ArraySlice((0..<2000).map { Int16($0 % 7) }))
        // Queries see the filled values as documented: NaN fails every comparison.
        #expect(try EVCDataset(paths: [output]).count("track_chi2 >= 0", options: try options()).selected == 1000)
    }

    @Test func mergeBeyondTheFormatsLimitsWritesNothing() throws {
        let a = try Self.run(7071, events: 20, clusterEvents: 20)
        // An input with no events but a 128 MiB-per-event field: filled into a's cluster of 20
        // events it would pass the 512 MiB limit of a cluster.
        var fields = try EVCFile(path: a).schema.fields
        fields.append(Field(id: 901, name: "big", kind: .array(.float64, shape: [4096, 4096])))
        let b = CLI.scratch("big.evc")
        try EVCWriter(path: b, schema: try Schema(fields)).close()
        let output = CLI.scratch("toobig.evc")
        #expect { _ = try Merge.plan([a, b], output: output, fillMissing: true) } throws: {
            ($0 as! EVCError).message.contains("512") || ($0 as! EVCError).message.contains("\(1 << 29)")
        }
        #expect(!FileManager.default.fileExists(atPath: output) && !FileManager.default.fileExists(atPath: output + ".partial"))
    }

    @Test func mergeOfADamagedInputWritesNothing() throws {
        let a = try Self.run(7081), b = try Self.run(7082)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: b)))
        let f = try EVCFile(path: b)
        let page = try f.cluster(1).columns[5].pages[0]
        bytes[page.offset + page.storedSize / 2] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: b))
        let output = CLI.scratch("damaged.evc")
        let plan = try Merge.plan([a, b], output: output, fillMissing: false)
        #expect { try Merge.run(plan, to: output, metadata: []) } throws: {
            let e = $0 as! EVCError
            return e.code == .checksumMismatch && e.path == b && "\(e)".contains("cluster 1")
        }
        #expect(!FileManager.default.fileExists(atPath: output) && !FileManager.default.fileExists(atPath: output + ".partial"))
        #expect { _ = try Merge.plan([a, output], output: a, fillMissing: false) } throws: { _ in true }
        #expect { _ = try Merge.plan([a, b], output: a, fillMissing: false) } throws: { ($0 as! EVCError).message.contains("also an input") }
    }
}
