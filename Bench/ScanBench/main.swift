// Scan benchmark: events/s of `count` (seed query and a 5-cut NA64 selection) and `skim` (all
// columns) on 1 and T threads (--threads, default 2), for EVC files written with zstd and with lz4, next to the
// machine's bound measured in the same run: decoding the same pages (decompression + byte
// split, through the same page decoder) and cutting them with the fastest kernel we have
// (16-wide compare to a bit mask), with none of the engine: no query, no selection vectors
// between cuts, no cursors, no cut flow.
//
//   swift run -c release scan-bench [--events N] [--runs R] [--dir DIR] [--out DIR] [--codecs C,C] [--threads T]
import CKernels
import Darkscan
import Dispatch
import Foundation
import DAQ
import Simulation
import BenchSupport

let config = BenchConfig(name: "scan-bench", defaultEvents: 10_000_000)
try? FileManager.default.createDirectory(atPath: config.dir, withIntermediateDirectories: true)
let seed = "missing energy > 50 GeV, veto == 0"
let fiveCuts = "srd_e_sum > 1 MeV, ecal_pre_e > 0.5 GeV, missing energy > 50 GeV, hcal_e < 1 GeV, veto == 0"

struct Row: Codable {
    var file: String
    var work: String
    var threads: Int
    var eventsPerSecond: Double
    var min: Double
    var max: Double
    var boundEventsPerSecond: Double?
    var ratioToBound: Double?
    var selected: Int
}
var rows: [Row] = []

/// The bound for `missing_energy > 50 && veto == 0`: decode both columns' pages of each cluster
/// (parallel over clusters) and count in one loop.
func bound(_ file: EVCFile, threads: Int) throws -> Int {
    let clusters = try file.clusters()
    let me = file.schema.columns.first { $0.path == "missing_energy" }!.index
    let veto = file.schema.columns.first { $0.path == "veto" }!.index
    final class Counts: @unchecked Sendable { var v: [Int]; init(_ n: Int) { v = Array(repeating: 0, count: n) } }
    let counts = Counts(clusters.count)
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let a = ColumnBuffer(type: .float32), b = ColumnBuffer(type: .uint8), scratch = ColumnBuffer(type: .uint8), idx = ColumnBuffer(type: .int32)
        var ci = t
        while ci < clusters.count {
            let c = clusters[ci]
            a.resize(c.eventCount)
            b.resize(c.eventCount)
            var at = 0
            for (pi, p) in c.columns[me].pages.enumerated() {
                try! file.decodePage(cluster: c, column: me, page: pi, into: UnsafeMutableRawBufferPointer(rebasing: a.mutableRawBytes[at * 4..<(at + p.count) * 4]), scratch: scratch, verify: false)
                at += p.count
            }
            at = 0
            for (pi, p) in c.columns[veto].pages.enumerated() {
                try! file.decodePage(cluster: c, column: veto, page: pi, into: UnsafeMutableRawBufferPointer(rebasing: b.mutableRawBytes[at..<at + p.count]), scratch: scratch, verify: false)
                at += p.count
            }
            // The fastest cut we know: 16-wide compares into a bit mask, then the veto of the few
            // survivors (the same kernel the engine uses, without any of the engine around it).
            let x = a.buffer(Float.self), v = b.buffer(UInt8.self)
            idx.resize(c.eventCount)
            let k = dk_select_f32(x.baseAddress!, c.eventCount, 2, 50, UnsafeMutablePointer(mutating: idx.buffer(Int32.self).baseAddress!))
            let pass = idx.buffer(Int32.self)
            var n = 0
            for j in 0..<k where v[Int(pass[j])] == 0 { n &+= 1 }
            counts.v[ci] = n
            ci += threads
        }
    }
    return counts.v.reduce(0, +)
}

if ProcessInfo.processInfo.environment["SCAN_BENCH_PROFILE"] != nil {
    // For `perf record`: only the seed count on the lz4 file, one thread, for a while.
    let ds = try EVCDataset(paths: ["\(config.dir)/na64-\(config.events)-lz4.evc"])
    var options = QueryOptions()
    options.threads = 1
    let start = now()
    var n = 0
    while now() - start < 10 { n += try ds.count(seed, options: options).total }
    print("profiled \(n) events")
    exit(0)
}

for codec in config.codecs {
    let path = "\(config.dir)/na64-\(config.events)-\(codec).evc"
    if !FileManager.default.fileExists(atPath: path) {
        FileHandle.standardError.write(Data("simulating \(config.events) events into \(path)...\n".utf8))
        var options = WriterOptions()
        options.codec = Codec(parsing: codec)!
        let w = try EVCWriter(path: path, schema: NA64Schema.make(), options: options, metadata: [("run", "4242")])
        try RecoSimulator(run: 4242, seed: 1, signalRate: 1e-4).write(events: config.events, to: w, threads: 2)
        try w.close()
    }
    let ds = try EVCDataset(paths: [path])
    let size = ds.files[0].fileSize
    print("\n\(path): \(ds.eventCount) events, \(size / 1_000_000) MB (\(codec))")
    print("work                   threads   events/s (min–max)                 bound events/s   ratio  selected")
    for threads in config.threadCounts {
        var options = QueryOptions()
        options.threads = threads
        var selected = 0
        let bt = try timed(config.runs) { selected = try bound(ds.files[0], threads: threads) }
        let boundRate = Double(ds.eventCount) / bt.median
        var noVerify = options
        noVerify.verifyChecksums = false
        for (name, query, o) in [("count seed", seed, options), ("count seed, no verify", seed, noVerify), ("count 5 cuts", fiveCuts, options)] {
            var flow: CutFlow? = nil
            let t = try timed(config.runs) { flow = try ds.count(query, options: o) }
            let rate = Double(ds.eventCount) / t.median
            let isSeed = query == seed
            if isSeed { precondition(flow!.selected == selected, "engine \(flow!.selected) vs bound \(selected)") }
            rows.append(Row(file: path, work: name, threads: threads, eventsPerSecond: rate, min: Double(ds.eventCount) / t.max,
                            max: Double(ds.eventCount) / t.min, boundEventsPerSecond: isSeed ? boundRate : nil,
                            ratioToBound: isSeed ? rate / boundRate : nil, selected: flow!.selected))
        }
        let skimPath = "\(config.dir)/skim.evc"
        var skimmed = 0
        let st = try timed(config.runs) { skimmed = try ds.skim(seed, to: skimPath, options: options).selected }
        unlink(skimPath)
        rows.append(Row(file: path, work: "skim seed, all cols", threads: threads, eventsPerSecond: Double(ds.eventCount) / st.median,
                        min: Double(ds.eventCount) / st.max, max: Double(ds.eventCount) / st.min, boundEventsPerSecond: nil, ratioToBound: nil, selected: skimmed))
        for r in rows.suffix(4) {
            print(String(format: "%-22@ %7d %12.0f (%.0f–%.0f)   %14@ %7@ %9d", r.work, r.threads, r.eventsPerSecond, r.min, r.max,
                         r.boundEventsPerSecond.map { String(format: "%.0f", $0) } ?? "", r.ratioToBound.map { String(format: "%.2f", $0) } ?? "", r.selected))
        }
    }
}
print("\nwrote \(try config.write(rows, suffix: "scan"))")
