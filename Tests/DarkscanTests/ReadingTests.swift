import Darkscan
import Foundation
import Simulation
import Testing

/// How bytes reach the decoder: a file that shrinks during a scan, and datasets of many files.
@Suite struct ReadingTests {
    /// 20,000 simulated events in clusters of 100 (200 clusters), the summary profile.
    static func smallClusters(_ name: String, events: Int = 20_000, clusterEvents: Int = 100) throws -> String {
        let path = CLI.scratch(name)
        var o = WriterOptions()
        o.clusterEvents = clusterEvents
        let sim = RecoSimulator(run: 11, seed: 3, signalRate: 0.01, profile: .summary)
        let w = try EVCWriter(path: path, schema: sim.schema, options: o)
        try sim.write(events: events, to: w, threads: 1)
        try w.close()
        return path
    }

    @Test func fileTruncatedDuringAScanIsAnErrorNotASignal() throws {
        let path = try Self.smallClusters("shrinking.evc")
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let ds = try EVCDataset(paths: [path])
        var options = QueryOptions()
        options.threads = 1
        var cut = false
        // The first window of clusters is read whole; then the file loses its second half.
        let thrown = #expect(throws: EVCError.self) {
            _ = try ds.count("missing energy > 50 GeV, veto == 0", options: options) { _ in
                if !cut {
                    cut = true
                    #expect(truncate(path, off_t(size / 2)) == 0)
                }
            }
        }
        #expect(cut)
        let e = try #require(thrown)
        #expect(e.code == .truncated, "\(e)")
        #expect(e.path == path)
        #expect(e.offset != nil && e.offset! >= size / 2 - 1 << 20, "\(e)")
        #expect(e.place?.contains("cluster") == true, "\(e)")
        #expect(e.description.contains("shrank"), "\(e)")
        #expect(!e.description.contains("\n"))
    }

    @Test func truncatedFileOnTheCommandLineExitsOne() throws {
        let path = try Self.smallClusters("cut.evc", events: 2000)
        #expect(truncate(path, 4000) == 0)
        let r = try CLI.run(["count", path, "--where", "veto == 0"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("darkscan: \(path)"), "\(r.stderr)")
    }

    /// 2,000 files open with bounded memory: peak RSS of a count over them stays close to that of
    /// a count over 200 (footers shared schema, no index held, descriptors pooled).
    @Test func twoThousandFilesOpenWithBoundedMemory() throws {
        let one = try Self.smallClusters("one.evc", events: 500, clusterEvents: 250)
        let dir = CLI.scratch("many")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for i in 0..<2000 { try FileManager.default.copyItem(atPath: one, toPath: dir + String(format: "/f%05d.evc", i)) }
        func count(_ args: [String]) throws -> (events: Int, rss: Int) {
            let r = try CLI.run(["count"] + args + ["--where", "veto == 0", "--json", "--threads", "2"])
            #expect(r.status == 0, "\(r.stderr)")
            let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return (o["total"] as? Int ?? -1, o["peak_rss_bytes"] as? Int ?? -1)
        }
        let few = try count((0..<200).map { dir + String(format: "/f%05d.evc", $0) })
        let all = try count([dir])
        #expect(few.events == 200 * 500)
        #expect(all.events == 2000 * 500)
        // Each further file may cost a few kilobytes (footer, summaries), not its index or pages.
        #expect(all.rss - few.rss < 1800 * 16 * 1024, "RSS \(few.rss) for 200 files, \(all.rss) for 2000")
        #expect(all.rss < 200 << 20, "RSS \(all.rss)")
    }

    /// `--limit` reads the first N events exactly (the last cluster in part); `--sample` reads
    /// whole clusters chosen by the seed, the same ones every time.
    @Test func limitAndSampleReadOnlyWhatTheyName() throws {
        let path = try Self.smallClusters("quick.evc", events: 20_000, clusterEvents: 300)
        let ds = try EVCDataset(paths: [path])
        let query = "missing energy > 20 GeV"
        var o = QueryOptions()
        o.limit = 4_567
        let limited = try ds.count(query, options: o)
        #expect(limited.total == 4_567)
        // The same as counting a file that holds just those events.
        let first = CLI.scratch("first.evc")
        var all = QueryOptions()
        all.limit = 4_567
        try ds.skim("event >= 0", to: first, options: all)
        let reference = try EVCDataset(paths: [first]).count(query)
        #expect(reference.total == 4_567)
        #expect(limited.lines.map(\.events) == reference.lines.map(\.events))

        var s = QueryOptions()
        s.sample = Sampling(fraction: 0.25, seed: 9)
        let a = try ds.count(query, options: s), b = try ds.count(query, options: s)
        #expect(a.lines.map(\.events) == b.lines.map(\.events) && a.total == b.total)
        let clusters = ds.files[0].clusterCount
        let kept = (0..<clusters).filter { Sampling(fraction: 0.25, seed: 9).keeps(file: 0, cluster: $0) }
        #expect(a.total == kept.reduce(0) { $0 + ds.files[0].clusterSummaries[$1].eventCount })
        #expect(kept.count > clusters / 8 && kept.count < clusters / 2, "\(kept.count) of \(clusters)")
        s.sample = Sampling(fraction: 0.25, seed: 10)
        #expect(try ds.count(query, options: s).total != a.total || kept.isEmpty)
        s.sample = Sampling(fraction: 1)
        #expect(try ds.count(query, options: s).total == 20_000)
    }
}
