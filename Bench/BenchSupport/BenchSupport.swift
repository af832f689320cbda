// What the benchmarks share: their command line, the timing loop, and the results file.
import Dispatch
import Foundation

public struct BenchConfig: Sendable {
    public var events: Int
    public var runs = 5
    public var dir = ".build/bench-data"
    public var out = "Bench/results"
    /// Which EVC codecs to measure (scan-bench), for runs that keep one file on disk at a time.
    public var codecs = ["lz4", "zstd"]
    /// The thread counts to measure: 1 and `--threads T` (default 2, this machine's cores).
    public var threadCounts = [1, 2]

    /// Reads `--events N --runs R (>= 5) --dir DIR --out DIR --codecs C,C --threads T`; exits 64 on
    /// anything else.
    public init(name: String, defaultEvents: Int) {
        events = defaultEvents
        var args = CommandLine.arguments.dropFirst()
        while let a = args.popFirst() {
            switch a {
            case "--events": events = Int(Double(args.popFirst() ?? "") ?? Double(defaultEvents))
            case "--runs": runs = max(5, Int(args.popFirst() ?? "") ?? 5)
            case "--dir": dir = args.popFirst() ?? dir
            case "--out": out = args.popFirst() ?? out
            case "--codecs": codecs = (args.popFirst() ?? "").split(separator: ",").map(String.init)
            case "--threads":
                guard let t = Int(args.popFirst() ?? ""), t >= 1 else { usage(name) }
                threadCounts = t == 1 ? [1] : [1, t]
            default:
                usage(name)
            }
        }
    }

    private func usage(_ name: String) -> Never {
        FileHandle.standardError.write(Data("usage: \(name) [--events N] [--runs R>=5] [--dir DIR] [--out DIR] [--codecs lz4,zstd] [--threads T]\n".utf8))
        exit(64)
    }

    /// Writes `rows` with the run's settings to `<out>/<date>-<host>-<suffix>.json`.
    public func write<Row: Encodable>(_ rows: [Row], suffix: String) throws -> String {
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let path = "\(out)/\(date)-\(ProcessInfo.processInfo.hostName)-\(suffix).json"
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(BenchResult(events: events, runs: runs, command: CommandLine.arguments.joined(separator: " "), rows: rows))
            .write(to: URL(fileURLWithPath: path))
        return path
    }
}

struct BenchResult<R: Encodable>: Encodable {
    var events: Int
    var runs: Int
    var command: String
    var rows: [R]
}

public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Median, min and max seconds of `runs` timed runs of `body` after one warm-up (which also pulls
/// files into the page cache).
public func timed(_ runs: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double, max: Double) {
    try body()
    var t: [Double] = []
    for _ in 0..<runs {
        let s = now()
        try body()
        t.append(now() - s)
    }
    t.sort()
    return (t[t.count / 2], t.first!, t.last!)
}

/// `timed` for two bodies whose ratio matters: after one warm-up of each, their runs alternate
/// (a, b, a, b, ...), so that a machine whose load drifts slows both alike.
public func timedSideBySide(_ runs: Int, _ a: () throws -> Void, _ b: () throws -> Void) rethrows
    -> (a: (median: Double, min: Double, max: Double), b: (median: Double, min: Double, max: Double)) {
    try a()
    try b()
    var ta: [Double] = [], tb: [Double] = []
    for _ in 0..<runs {
        var s = now()
        try a()
        ta.append(now() - s)
        s = now()
        try b()
        tb.append(now() - s)
    }
    ta.sort()
    tb.sort()
    return ((ta[ta.count / 2], ta.first!, ta.last!), (tb[tb.count / 2], tb.first!, tb.last!))
}
