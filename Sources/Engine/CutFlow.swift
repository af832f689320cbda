import Histograms
import Query

/// The result of a counting scan: events passing each cut in order (and, with a weight, the
/// sums of weights and of squared weights), plus N-1 counts when asked.
public struct CutFlow: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var name: String
        public var events: Int
        public var sumW: Double
        public var sumW2: Double
    }

    /// All events read.
    public var total: Int
    public var totalSumW: Double
    public var totalSumW2: Double
    public var lines: [Line]
    /// For each cut, events passing all the other cuts (nil unless asked for).
    public var nMinusOne: [Int]?
    public var weighted: Bool
    public var clustersRead = 0
    public var clustersSkipped = 0
    /// Times a cut was settled for a batch by the statistics of the pages it spans.
    public var batchesDecidedByPages = 0
    /// The query's histograms (Formats/HIST.md), in the order asked for.
    public var histograms: [Histogram] = []
    /// The exposure of the events read (set by the library's query calls).
    public var exposure: ExposureReport?
    /// What each friend join found (set by the library's query calls).
    public var joins: [JoinReport] = []

    init(names: [String], weighted: Bool, nMinusOne: Bool) {
        total = 0
        totalSumW = 0
        totalSumW2 = 0
        lines = names.map { Line(name: $0, events: 0, sumW: 0, sumW2: 0) }
        self.nMinusOne = nMinusOne ? Array(repeating: 0, count: names.count) : nil
        self.weighted = weighted
    }

    mutating func add(_ o: CutFlow) {
        total += o.total
        totalSumW += o.totalSumW
        totalSumW2 += o.totalSumW2
        for i in lines.indices {
            lines[i].events += o.lines[i].events
            lines[i].sumW += o.lines[i].sumW
            lines[i].sumW2 += o.lines[i].sumW2
        }
        if let n = o.nMinusOne { for i in n.indices { nMinusOne![i] += n[i] } }
        clustersRead += o.clustersRead
        clustersSkipped += o.clustersSkipped
        batchesDecidedByPages += o.batchesDecidedByPages
        addHistograms(o.histograms)
    }

    /// Adds histograms filled by the same plans (none when `hs` is empty).
    mutating func addHistograms(_ hs: [Histogram]) {
        guard !hs.isEmpty else { return }
        for i in histograms.indices { histograms[i].formSum(hs[i]) }
    }

    /// Events passing every cut.
    public var selected: Int { lines.last?.events ?? total }

    /// Efficiency of cut i against the previous line (or all events).
    public func efficiency(_ i: Int) -> Double {
        let before = i == 0 ? total : lines[i - 1].events
        return before == 0 ? 0 : Double(lines[i].events) / Double(before)
    }

    public func cumulative(_ i: Int) -> Double { total == 0 ? 0 : Double(lines[i].events) / Double(total) }

    /// A text table, as `darkscan count` prints it; with `perEOT`, a column of events per 1e9
    /// electrons on target (of `exposure`).
    public func table(perEOT: Bool = false) -> String {
        let eot = perEOT ? Double(exposure?.totals.eot ?? 0) : 0
        func per(_ n: Int) -> [String] { eot > 0 ? [printf("%.4g", Double(n) / eot * 1e9)] : [] }
        var rows: [[String]] = [["cut", "events", "eff", "cumulative"] + (weighted ? ["Σw", "Σw²"] : []) + (nMinusOne != nil ? ["N-1"] : [])
                                + (eot > 0 ? ["per 1e9 EOT"] : [])]
        rows.append(["all events", String(total), "", ""] + (weighted ? [fmt(totalSumW), fmt(totalSumW2)] : []) + (nMinusOne != nil ? [""] : []) + per(total))
        for (i, l) in lines.enumerated() {
            var r = [l.name, String(l.events), pct(efficiency(i)), pct(cumulative(i))]
            if weighted { r += [fmt(l.sumW), fmt(l.sumW2)] }
            if let n = nMinusOne { r.append(String(n[i])) }
            rows.append(r + per(l.events))
        }
        var widths = rows[0].map { _ in 0 }
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i == 0 ? c + pad : pad + c
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    func pct(_ x: Double) -> String {
        if x == 0 || x >= 1e-3 { return printf("%.2f%%", x * 100) }
        return printf("%.3g%%", x * 100)
    }

    func fmt(_ x: Double) -> String { printf("%.6g", x) }

    func printf(_ format: String, _ x: Double) -> String { CutFlow.printf(format, x) }

    /// One number formatted as C's printf does (without Foundation, which the C library would
    /// otherwise carry with ICU inside: ~45 MB).
    static func printf(_ format: String, _ x: Double) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        _ = withVaList([x]) { vsnprintf(&buf, buf.count, format, $0) }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// As stored in skim metadata and printed by `--json`.
    public var json: [String: Any] {
        let eot = Double(exposure?.totals.eot ?? 0)
        var o: [String: Any] = ["total": total, "cuts": lines.enumerated().map { i, l -> [String: Any] in
            var c: [String: Any] = ["name": l.name, "events": l.events, "efficiency": efficiency(i), "cumulative": cumulative(i)]
            if eot > 0 { c["per_1e9_eot"] = Double(l.events) / eot * 1e9 }
            if weighted { c["sum_w"] = l.sumW; c["sum_w2"] = l.sumW2 }
            if let n = nMinusOne { c["n_minus_1"] = n[i] }
            return c
        }]
        if weighted { o["total_sum_w"] = totalSumW; o["total_sum_w2"] = totalSumW2 }
        o["clusters_read"] = clustersRead
        o["clusters_skipped"] = clustersSkipped
        o["batch_cuts_decided_by_page_statistics"] = batchesDecidedByPages
        if let exposure { o["exposure"] = exposure.json }
        if !joins.isEmpty { o["friends"] = joins.map(\.json) }
        return o
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
