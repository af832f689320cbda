// Scan benchmark: events/s of `count` (seed query and a 5-cut NA64 selection) and `skim` (all
// columns) on 1 and T threads (--threads, default 2), for EVC files written with zstd and with lz4, next to the
// machine's bound for each count measured in the same run: decoding the same pages of the cut
// columns (decompression + byte split, through the same page decoder, checksums checked when the
// count checks them) and cutting them with the fastest kernels we have (dense compares into a
// bit mask, later cuts ANDed in), with none of the engine: no query, no selection between cuts,
// no cursors, no cut flow. It also prints what one test costs on a batch in each selection form.
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

/// One cut of a bound: `column op constant` (op codes of the C kernels: 0 <, 2 >, 4 ==).
struct BoundCut {
    let column: String
    let op: Int32
    let constant: Double
}
let seedCuts = [BoundCut(column: "missing_energy", op: 2, constant: 50), BoundCut(column: "veto", op: 4, constant: 0)]
let fiveCutsBound = [BoundCut(column: "srd_e_sum", op: 2, constant: 1), BoundCut(column: "ecal_pre_e", op: 2, constant: 0.5)] + [seedCuts[0]]
    + [BoundCut(column: "hcal_e", op: 0, constant: 1), seedCuts[1]]

/// The bound for a conjunction of cuts on float32 and uint8 columns: decode (and, with `verify`,
/// check the checksum of) every page of each cut column (parallel over clusters; every cut column is needed, as events pass each cut
/// somewhere in every page) into an L2-sized buffer, and cut the stretch of events where the
/// decoded pages of all the columns overlap with the fastest kernels we have — dense compares
/// into a bit mask, each later cut ANDed in, skipping words already empty — then count.
func bound(_ file: EVCFile, _ cuts: [BoundCut], threads: Int, verify: Bool) throws -> Int {
    let clusters = try file.clusters()
    let columns = cuts.map { c in file.schema.columns.first { $0.path == c.column }! }
    final class Counts: @unchecked Sendable { var v: [Int]; init(_ n: Int) { v = Array(repeating: 0, count: n) } }
    let counts = Counts(clusters.count)
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let pages = columns.map { ColumnBuffer(type: $0.type) }
        let scratch = ColumnBuffer(type: .uint8), words = ColumnBuffer(type: .uint64)
        var ci = t
        while ci < clusters.count {
            let c = clusters[ci]
            // Per column: the page decoded, and the events it covers.
            var page = [Int](repeating: -1, count: columns.count)
            var first = [Int](repeating: 0, count: columns.count), end = first
            var at = 0, n = 0
            while at < c.eventCount {
                var stop = c.eventCount
                for (k, col) in columns.enumerated() {
                    while end[k] <= at {
                        page[k] += 1
                        first[k] = end[k]
                        let p = c.columns[col.index].pages[page[k]]
                        end[k] += p.count
                        pages[k].resize(p.count)
                        try! file.decodePage(cluster: c, column: col.index, page: page[k], into: pages[k].mutableRawBytes, scratch: scratch, verify: verify)
                    }
                    stop = min(stop, end[k])
                }
                let m = stop - at
                words.resize((m + 63) / 64)
                let w = UnsafeMutablePointer(mutating: words.buffer(UInt64.self).baseAddress!)
                var left = 0
                for (k, cut) in cuts.enumerated() {
                    let narrow: Int32 = k == 0 ? 0 : 1
                    if columns[k].type == .float32 {
                        left = dk_mask_f32(pages[k].buffer(Float.self).baseAddress! + (at - first[k]), m, cut.op, Float(cut.constant), w, narrow)
                    } else {
                        left = dk_mask_u8(pages[k].buffer(UInt8.self).baseAddress! + (at - first[k]), m, cut.op, UInt8(cut.constant), w, narrow)
                    }
                }
                n += left
                at = stop
            }
            counts.v[ci] = n
            ci += threads
        }
    }
    return counts.v.reduce(0, +)
}

/// Where a test on a batch should switch from comparing every value into the bit mask (cost
/// grows with the batch) to walking the index list of the selected events (cost grows with
/// them): ns per batch (the engine's size) of each, for a selection of fraction f of random bits, on
/// values in L1. Each kernel runs with a constant that keeps every event, so it can run again on
/// its own output and the work is the same as for any constant (both are branch-free).
func selectionCrossover() {
    let n = ScanOptions(threads: 1).batchSize, reps = 5_000
    var rng = SystemRandomNumberGenerator()
    let v = (0..<n).map { _ in Float.random(in: 0..<1, using: &rng) }
    print("\nselection of one batch (\(n) events): ns per test       (Engine BatchSelection.denseFraction)")
    print("fraction selected   dense (mask)   list   mask -> list")
    let fractions: [Double] = [0.015625, 0.03125, 0.0625, 0.125, 0.25, 0.5, 1]
    for f in fractions {
        var words = [UInt64](repeating: 0, count: n / 64)
        for i in 0..<n where Double.random(in: 0..<1, using: &rng) < f { words[i / 64] |= 1 << UInt64(i % 64) }
        var list = [Int32](repeating: 0, count: n)
        let count = dk_mask_indices(words, n, &list)
        func ns(_ body: () -> Void) -> Double {
            let t = timed(5) { for _ in 0..<reps { body() } }
            return t.median / Double(reps) * 1e9
        }
        let dense = v.withUnsafeBufferPointer { p in words.withUnsafeMutableBufferPointer { w in ns { _ = dk_mask_f32(p.baseAddress!, n, 0, 2, w.baseAddress!, 1) } } }
        let walk = v.withUnsafeBufferPointer { p in list.withUnsafeMutableBufferPointer { l in ns { _ = dk_narrow_f32(p.baseAddress!, 1, 0, 0, 2, l.baseAddress!, count) } } }
        let convert = words.withUnsafeBufferPointer { w in list.withUnsafeMutableBufferPointer { l in ns { _ = dk_mask_indices(w.baseAddress!, n, l.baseAddress!) } } }
        print(String(format: "%17.4f %14.0f %6.0f %14.0f", f, dense, walk, convert))
    }
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

selectionCrossover()
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
        var noVerify = options
        noVerify.verifyChecksums = false
        for (name, query, o) in [("count seed", seed, options), ("count seed, no verify", seed, noVerify), ("count 5 cuts", fiveCuts, options)] {
            // The bound does what the count does: the same cuts, checksums checked or not. Their
            // runs alternate, so the ratio holds on a machine whose load changes.
            var expected = 0
            var flow: CutFlow? = nil
            let (bt, t) = try timedSideBySide(config.runs, {
                expected = try bound(ds.files[0], query == seed ? seedCuts : fiveCutsBound, threads: threads, verify: o.verifyChecksums)
            }, { flow = try ds.count(query, options: o) })
            let b = Double(ds.eventCount) / bt.median
            let rate = Double(ds.eventCount) / t.median
            precondition(flow!.selected == expected, "engine \(flow!.selected) vs bound \(expected)")
            rows.append(Row(file: path, work: name, threads: threads, eventsPerSecond: rate, min: Double(ds.eventCount) / t.max,
                            max: Double(ds.eventCount) / t.min, boundEventsPerSecond: b, ratioToBound: rate / b, selected: flow!.selected))
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
