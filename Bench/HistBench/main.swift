// Histogram benchmark, the Darkscan side (Bench/hist runs it next to ROOT RDataFrame and
// pyarrow + boost-histogram on the same events, Bench/hist_peers.py):
//   - what filling one 1D and one 2D histogram adds to the seed count: of ecal_e and hcal_e
//     (columns the count does not read: their pages are decoded for every batch with a survivor)
//     after the cuts and at every stage (@all: stage 0 fills every event); and of the columns
//     the count already reads (missing_energy, veto), which is the cost of filling alone;
//   - `hist` over every event: 1D ecal_e and 2D ecal_e vs hcal_e, the work the peers do.
// On 1 and T threads, median of R runs after a warm-up; the histograms of every thread count are
// checked equal. Writes <out>/<date>-<host>-hist.json.
//
//   swift run -c release hist-bench [--events N] [--runs R] [--dir DIR] [--out DIR] [--threads T]
import BenchSupport
import Darkscan
import Foundation

let config = BenchConfig(name: "hist-bench", defaultEvents: 100_000_000)
let seed = "missing energy > 50 GeV, veto == 0"
let oneD = "ecal_e: 150 bins 0 GeV .. 150 GeV"
let twoD = "ecal_e vs hcal_e: 150 bins 0 GeV .. 150 GeV, 60 bins 0 GeV .. 60 GeV"
let path = "\(config.dir)/na64-\(config.events)-lz4.evc"
guard FileManager.default.fileExists(atPath: path) else {
    FileHandle.standardError.write(Data("hist-bench: \(path) is missing (Bench/hist makes it)\n".utf8))
    exit(1)
}
let ds = try EVCDataset(paths: [path])

/// CPU seconds of this process so far: under load, wall time waits for the CPU, CPU time does not.
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

struct Row: Codable {
    var work: String
    var query: String
    var histograms: [String]
    var threads: Int
    var eventsPerSecond: Double
    var min: Double
    var max: Double
    var overheadOverCount: Double?
    /// Median CPU seconds of a run, and the overhead over the count in CPU time.
    var cpuSeconds: Double
    var cpuOverheadOverCount: Double?
    var selected: Int
    var entries: Double
}

let works: [(String, String, [String])] = [
    ("count seed", seed, []),
    ("count seed + 1D + 2D after the cuts", seed, [oneD, twoD]),
    ("count seed + 1D + 2D @all", seed, [oneD + " @all", twoD + " @all"]),
    ("count seed + 1D + 2D of its own columns", seed, ["missing energy: 150 bins -50 GeV .. 100 GeV", "missing energy vs veto: 150 bins -50 GeV .. 100 GeV, integers 0 .. 4"]),
    ("hist 1D + 2D, every event", "", [oneD, twoD]),
]
var rows: [Row] = []
var first: [String: [Histogram]] = [:]
for threads in config.threadCounts {
    var countAlone = 0.0, countCPU = 0.0
    for (work, query, hs) in works {
        var o = QueryOptions()
        o.threads = threads
        o.histograms = hs
        var flow: CutFlow? = nil
        var cpu: [Double] = []
        let t = try timed(config.runs) {
            let c = cpuSeconds()
            flow = try ds.count(query, options: o)
            cpu.append(cpuSeconds() - c)
        }
        let cpuMedian = cpu.dropFirst().sorted()[(cpu.count - 1) / 2]
        if hs.isEmpty { countAlone = t.median; countCPU = cpuMedian }
        let f = flow!
        if let h = first[work] {
            precondition(h == f.histograms, "\(work): histograms differ between 1 and \(threads) threads")
        } else {
            first[work] = f.histograms
        }
        let row = Row(work: work, query: query, histograms: hs, threads: threads, eventsPerSecond: Double(f.total) / t.median,
                      min: Double(f.total) / t.max, max: Double(f.total) / t.min,
                      overheadOverCount: query == seed && !hs.isEmpty ? t.median / countAlone - 1 : nil, cpuSeconds: cpuMedian,
                      cpuOverheadOverCount: query == seed && !hs.isEmpty ? cpuMedian / countCPU - 1 : nil, selected: f.selected,
                      entries: f.histograms.reduce(0) { $0 + $1.total })
        rows.append(row)
        var overhead = ""
        if let w = row.overheadOverCount, let c = row.cpuOverheadOverCount {
            overhead = String(format: "  %+.1f%% over the count (CPU time %+.1f%%)", w * 100, c * 100)
        }
        print(String(format: "%-42@ %d thr  %8.1f M events/s (%.1f–%.1f), %.3f CPU s%@", work, threads, row.eventsPerSecond / 1e6, row.min / 1e6,
                     row.max / 1e6, cpuMedian, overhead))
    }
}
print("results: \(try config.write(rows, suffix: "hist"))")
