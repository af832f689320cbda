import Foundation
import Testing
@testable import Engine
@testable import EventFormat
@testable import Histograms
@testable import Query

/// Histograms filled by the scan against a per-event reference (ReferenceEvaluator and
/// `Histogram.fill`, one entry at a time) on random data with NaN, zeros, values on bin edges,
/// empty lists and selections, small pages and clusters; and the same bytes for 1 and 2 threads
/// and batches of 7 and 2048.
@Suite struct HistogramFillTests {
    static let specs = [
        "e: 10 bins 0 .. 100", "e vs h: 10 bins 0..100, 5 bins 0..10", "cells[1]: 7 bins 0..50", "cells: edges [0, 1, 10, 25, 50]",
        "hits.amp: 8 bins 0..80", "hits.amp vs hits.plane: 8 bins 0..80, integers 0..4", "e vs hits.amp: 4 bins 0..100, 4 bins 0..80",
        "flag: bool", "veto == 0 vs t: bool, 20 bins -10 .. 10", "e + h: 10 bins 0..110 @all", "sum(cells): 10 bins 0..200 @0",
        "hits.amp > 40: bool", "hits.amp * 2 - max(hits.amp): 10 bins -100..160", "len(hits): integers 0..5", "missing energy: 12 bins -10 .. 110",
        "run: integers 1..3", "srd: 10 bins 0 GeV .. 0.1 GeV", "cells[0][1] vs max(hits.amp): 5 bins 0..50, 3 bins 0..90",
    ]

    static func file(_ batch: EventBatch, seed: Int) throws -> EVCDataset {
        try HandData.dataset(batch, seed: seed, clusterEvents: [5, 700, 1 << 20], name: "histfill")
    }

    /// The histograms, event by event.
    static func reference(_ q: CheckedQuery, _ batch: EventBatch) -> [Histogram] {
        let r = ReferenceEvaluator(batch: batch)
        var out = HistogramFiller.empty(q)
        for i in 0..<batch.eventCount {
            var stage = 0
            while stage < q.cuts.count && r.truth(q.cuts[stage].expr, i) { stage += 1 }
            let w = q.weight.map { r.number($0, i) } ?? 1
            for (h, p) in q.histograms.enumerated() where p.stage <= stage {
                func value(_ e: Expr, _ k: Int?) -> Double {
                    guard let k, let d = p.domain else { return e.isBoolean ? (r.truth(e, i) ? 1 : 0) : r.number(e, i) }
                    return e.isBoolean ? (r.elementTruth(e, d, i, k) ? 1 : 0) : r.elementNumber(e, d, i, k)
                }
                let entries: [Int?] = p.domain.map { d in r.ends(d, i).indices.map { $0 - r.ends(d, i).lowerBound } } ?? [nil]
                for k in entries {
                    let x = value(p.exprs[0], k)
                    let y = p.exprs.count == 2 ? value(p.exprs[1], k) : nil
                    out[h].fill(x, y, weight: w)
                }
            }
        }
        return out
    }

    static func scan(_ ds: EVCDataset, _ q: CheckedQuery, threads: Int, batch: Int) throws -> [Histogram] {
        var so = ScanOptions(threads: threads)
        so.batchSize = batch
        return try Scan(dataset: ds, query: q, options: so).count().histograms
    }

    @Test(arguments: 0..<9)
    func scanMatchesTheReference(seed: Int) throws {
        var r = DifferentialTests.Rng(s: UInt64(seed) &* 7919 &+ 1)
        let n = [0, 1, 7, 2049, 3000][seed % 5]
        let batch = try DifferentialTests.data(n, &r)
        let ds = try Self.file(batch, seed: seed)
        for round in 0..<4 {
            let query = round == 0 ? "" : (0..<(1 + r.int(3))).map { _ in DifferentialTests.condition(&r) }.joined(separator: ", ")
            // Weights that add up exactly in any order (and NaN where h is 0 or NaN), or none.
            let weight = round % 2 == 1 ? "(veto + 0.5) * (h / h)" : nil
            var checker = Checker(schema: HandData.schema)
            let q = try checker.check(query: query, weight: weight, histograms: Self.specs)
            let expected = Self.reference(q, batch)
            for (threads, size) in [(1, 2048), (2, 7), (2, 2048)] {
                let got = try Self.scan(ds, q, threads: threads, batch: size)
                for (g, e) in zip(got, expected) where g != e {
                    Issue.record("seed \(seed) query '\(query)' weight \(weight ?? "none") threads \(threads) batch \(size): histogram '\(e.name)' got \(g.values) nonfinite \(g.nonFiniteWeights), expected \(e.values) nonfinite \(e.nonFiniteWeights)")
                }
            }
        }
    }

    /// Sums of inexact weights depend on the order they are added in: clusters are added in
    /// file order, events in order within a cluster, whatever the threads and batch size.
    @Test func weightedSumsAreTheSameForAnyThreadCount() throws {
        var r = DifferentialTests.Rng(s: 4242)
        let batch = try DifferentialTests.data(5000, &r)
        let ds = try Self.file(batch, seed: 4)  // 700-event clusters
        var checker = Checker(schema: HandData.schema)
        let q = try checker.check(query: "e > 10", weight: "t * 0.1 + veto / 3", histograms: Self.specs)
        let runs = try [(1, 2048), (2, 7), (2, 2048), (2, 333)].map { try Self.scan(ds, q, threads: $0.0, batch: $0.1) }
        for h in runs.dropFirst() {
            #expect(h.map { $0.values.map(\.bitPattern) } == runs[0].map { $0.values.map(\.bitPattern) })
            #expect(h.map { $0.variances.map(\.bitPattern) } == runs[0].map { $0.variances.map(\.bitPattern) })
        }
    }

    /// A cluster whose cuts statistics settle is still read when a histogram needs its events.
    @Test func statisticsShortcutsKeepHistogramsExact() throws {
        let path = NSTemporaryDirectory() + "darkscan-histprune-\(getpid()).evc"
        defer { unlink(path) }
        let schema = try DifferentialTests.runClusters(path)
        var checker = Checker(schema: schema)
        let q = try checker.check(query: "run < 100, run == 3", histograms: ["e: 10 bins 0..100 @all", "run: integers 0..10 @0"])
        let hs = try Scan(dataset: try EVCDataset(paths: [path]), query: q, options: ScanOptions(threads: 2)).count().histograms
        #expect(hs[0].values == [0] + Array(repeating: 100, count: 10) + [0])
        #expect(hs[1].values == [0] + Array(repeating: 100, count: 10) + [0])
        #expect(hs[2].values == [0] + Array(repeating: 10, count: 10) + [0])
        #expect(hs[3].values == [0] + Array(repeating: 100, count: 10) + [0])
    }
}

extension DifferentialTests {
    /// 1000 events in clusters of 100 whose run number grows cluster by cluster (so `run == 3`
    /// is decided from statistics alone), with e = 0…99 in each; returns the schema.
    static func runClusters(_ path: String) throws -> Schema {
        let schema = try Schema([Field(id: 1, name: "run", kind: .scalar(.uint32)), Field(id: 2, name: "e", kind: .scalar(.float32), unit: Unit("GeV"))])
        var options = WriterOptions()
        options.clusterEvents = 100
        let w = try EVCWriter(path: path, schema: schema, options: options)
        var b = EventBatch(schema: schema)
        for i in 0..<1000 {
            b.column("run")!.append(UInt32(i / 100))
            b.column("e")!.append(Float(i % 100))
        }
        try b.commitEvents(1000)
        try w.write(b)
        try w.close()
        return schema
    }
}
