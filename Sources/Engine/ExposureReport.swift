import EventFormat
import Query

/// The exposure behind a query's events (Formats/EVC.md, section 8.2): the rows of the spills
/// it selects, and the events whose spill has no row — counted and named, never normalised.
public struct ExposureReport: Sendable, Equatable {
    /// The rows of the selected spills (every row when nothing selects spills).
    public var table: Exposure
    /// Events of selected spills without an exposure row, by spill.
    public var spillsWithout: [SpillKey: Int]
    /// Events whose run or spill value names no spill (negative, or beyond 32 bits).
    public var eventsUnmatchable: Int
    /// Events of files without a table, when nothing selects spills (not split by spill).
    public var eventsInFilesWithout = 0
    /// Files without an exposure table.
    public var filesWithout: [String]
    /// The good-spill list applied, by name, and the cuts that select spills.
    public var spillList: String?
    public var spillCuts: [String]
    /// False when the data has no `run` and `spill` fields to match events to spills.
    public var matchable: Bool

    public var totals: ExposureTotals { table.totals }
    public var eventsWithout: Int { spillsWithout.values.reduce(0, +) + eventsUnmatchable + eventsInFilesWithout }

    /// What a JSON report carries: the sums and the events without exposure.
    public var json: [String: Any] { json(rows: false) }

    /// The report as JSON; with `rows`, also the exposure row of every selected spill (`table`,
    /// Exposure.json's form), which grows with the spills read (~130 bytes each: 3,334 spills
    /// in 1e7 events), so it is given only when asked for (`count --json --exposure-rows`).
    public func json(rows: Bool) -> [String: Any] {
        var o = totals.json
        o.merge(["events_without_exposure": eventsWithout, "events_in_files_without_exposure": eventsInFilesWithout,
                 "files_without_exposure": filesWithout, "matchable": matchable, "spill_cuts": spillCuts]) { a, _ in a }
        if rows { o["table"] = table.json }
        o["spills_without_exposure"] = spillsWithout.sorted { $0.key < $1.key }.prefix(1000).map { ["run": $0.key.run, "spill": $0.key.spill, "events": $0.value] }
        if let spillList { o["spill_list"] = spillList }
        return o
    }

    /// Lines for a terminal: the EOT and what it does not cover.
    public func lines() -> [String] {
        let t = totals
        var out: [String] = []
        if t.spills > 0 || filesWithout.isEmpty {
            out.append("exposure: \(Self.sci(Double(t.eot))) EOT in \(t.spills) spill\(t.spills == 1 ? "" : "s") of \(t.runs) run\(t.runs == 1 ? "" : "s")"
                       + (t.flaggedSpills > 0 ? " (\(t.flaggedSpills) flagged by their scalers)" : "")
                       + (spillList.map { ", spill list \($0)" } ?? "") + (spillCuts.isEmpty ? "" : ", spills cut by: " + spillCuts.joined(separator: "; ")))
        }
        if !filesWithout.isEmpty {
            out.append("warning: \(filesWithout.count) file\(filesWithout.count == 1 ? " has" : "s have") no exposure table: \(filesWithout.prefix(3).joined(separator: ", "))\(filesWithout.count > 3 ? ", …" : "")")
        }
        if !matchable {
            out.append("warning: the data has no integer run and spill fields: its events cannot be matched to exposure rows")
        } else if eventsWithout > 0 {
            let named = spillsWithout.sorted { $0.key < $1.key }.prefix(5).map { "\($0.key) (\($0.value))" }
            out.append("warning: \(eventsWithout) event\(eventsWithout == 1 ? "" : "s") without an exposure row, not covered by the EOT: "
                       + ([eventsInFilesWithout > 0 ? "\(eventsInFilesWithout) in files without a table" : nil].compactMap { $0 } + named).joined(separator: ", ")
                       + (spillsWithout.count > 5 ? ", … (\(spillsWithout.count) spills)" : "")
                       + (eventsUnmatchable > 0 ? "; \(eventsUnmatchable) with a run or spill no row can name" : ""))
        }
        return out
    }

    public static func sci(_ x: Double) -> String {
        x == 0 ? "0" : x < 1e5 ? String(Int(x)) : CutFlow.printf("%.4g", x).split(separator: "+").joined()
    }
}

extension ExposureTotals {
    /// The sums as `--json` prints them (`info`, and the exposure of a query's result).
    public var json: [String: Any] {
        ["eot": eot, "spills": spills, "runs": runs, "triggers_accepted": triggersAccepted, "triggers_offered": triggersOffered,
         "spill_seconds": Double(lengthMicroseconds) / 1e6, "flagged_spills": flaggedSpills]
    }
}

extension Exposure {
    /// The rows as JSON: column names and one array per row.
    public var json: [String: Any] {
        ["columns": ["run", "spill", "eot", "triggers_accepted", "triggers_offered", "length_us", "quality"],
         "rows": rows.map { [$0.run, $0.spill, $0.eot, $0.triggersAccepted, $0.triggersOffered, $0.lengthMicroseconds, $0.quality] as [Any] }]
    }

    /// Reads `json` back (what another process's report carried).
    public init(json: [String: Any]) throws {
        guard let rows = json["rows"] as? [[Any]] else { throw EVCError(.badArgument, "exposure JSON has no rows") }
        func u64(_ v: Any) throws -> UInt64 {
            if let n = v as? any BinaryInteger, let u = UInt64(exactly: n) { return u }
            if let n = v as? Int, n >= 0 { return UInt64(n) }
            if let n = v as? Double, n >= 0, n == n.rounded(), n < 1.8e19 { return UInt64(n) }
            throw EVCError(.badArgument, "exposure JSON holds '\(v)' where a count belongs")
        }
        var out: [SpillExposure] = []
        for r in rows {
            guard r.count >= 7 else { throw EVCError(.badArgument, "exposure JSON row of \(r.count) values, 7 expected") }
            let v = try r.map(u64)
            guard v[0] <= UInt64(UInt32.max), v[1] <= UInt64(UInt32.max), v[6] <= UInt64(UInt32.max) else {
                throw EVCError(.badArgument, "exposure JSON row with a run, spill or quality beyond 32 bits")
            }
            out.append(SpillExposure(run: UInt32(v[0]), spill: UInt32(v[1]), eot: v[2], triggersAccepted: v[3], triggersOffered: v[4],
                                     lengthMicroseconds: v[5], quality: UInt32(v[6])))
        }
        self = try Exposure(rows: out)
    }
}

extension ExposureReport {
    /// The exposure of the events `query` reads from `dataset`: the union of the files' tables,
    /// restricted to the spills that the good-spill list `spills` names and the spill-level cuts
    /// of the query pass, and the events of those spills that have no row. `schema` is the schema
    /// the query was checked against.
    public static func make(dataset: EVCDataset, query: CheckedQuery?, schema: Schema, spills: SpillList?, threads: Int) throws(EVCError) -> ExposureReport {
        let all = try dataset.exposure()
        let cuts = query.map { SpillCuts(query: $0, schema: schema) }
        func selected(_ keys: [SpillKey]) throws(EVCError) -> [Bool] {
            var keep = try cuts?.passes(keys) ?? Array(repeating: true, count: keys.count)
            if let spills { for (i, k) in keys.enumerated() where !spills.contains(k) { keep[i] = false } }
            return keep
        }
        let rowKeep = try selected(all.table.rows.map(\.key))
        var k = 0
        let table = all.table.filter { _ in defer { k += 1 }; return rowKeep[k] }
        var report = ExposureReport(table: table, spillsWithout: [:], eventsUnmatchable: 0, filesWithout: all.filesWithout, spillList: spills?.name,
                                    spillCuts: cuts?.names ?? [], matchable: true)
        let base = dataset.schema
        guard let run = try? KeyValues.column(base, "run", for: ""), let spill = try? KeyValues.column(base, "spill", for: "") else {
            report.matchable = false
            report.eventsUnmatchable = dataset.eventCount
            return report
        }
        // Without a selection, a file without a table needs no reading: all its events lack rows.
        let selecting = spills != nil || !(cuts?.isEmpty ?? true)
        let scanned = selecting ? dataset.files : dataset.files.filter(\.hasExposure)
        report.eventsInFilesWithout = selecting ? 0 : dataset.files.filter { !$0.hasExposure }.reduce(0) { $0 + $1.eventCount }
        let found = try ExposureCoverage.check(scanned, table: all.table, run: run, spill: spill, threads: threads)
        let keys = found.missing.keys.sorted()
        let keep = try selected(keys)
        for (i, key) in keys.enumerated() where keep[i] { report.spillsWithout[key] = found.missing[key] }
        report.eventsUnmatchable = found.unmatchable
        return report
    }
}

/// Finds the events whose (run, spill) has no exposure row. A cluster whose `run` statistics
/// name one run and whose `spill` range has a row for every spill is settled without reading a
/// value; the others have their two key columns decoded.
enum ExposureCoverage {
    struct Result {
        var missing: [SpillKey: Int] = [:]
        var unmatchable = 0
        mutating func add(_ o: Result) {
            for (k, v) in o.missing { missing[k, default: 0] += v }
            unmatchable += o.unmatchable
        }
    }

    static func check(_ files: [EVCFile], table: Exposure, run: Column, spill: Column, threads: Int) throws(EVCError) -> Result {
        var units: [(file: Int, cluster: Int)] = []
        for (fi, f) in files.enumerated() { for c in 0..<f.clusterCount { units.append((fi, c)) } }
        let found = try ParallelWork.map(units.count, threads: threads) { (k) throws(EVCError) -> Result in
            let f = files[units[k].file]
            return try unit(f, units[k].cluster, table: f.hasExposure ? table : nil, run: run, spill: spill)
        }
        var total = Result()
        for r in found { total.add(r) }
        return total
    }

    /// One cluster; `table` nil for a file without one (then every event is missing).
    static func unit(_ file: EVCFile, _ ci: Int, table: Exposure?, run: Column, spill: Column) throws(EVCError) -> Result {
        let info = try file.cluster(ci)
        guard info.eventCount > 0 else { return Result() }
        if let table, let r = info.columns[run.index].stats.range(as: run.type), let s = info.columns[spill.index].stats.range(as: spill.type),
           r.lowerBound == r.upperBound, r.lowerBound >= 0, r.upperBound <= Double(UInt32.max), s.lowerBound >= 0, s.upperBound <= Double(UInt32.max),
           table.covers(run: UInt32(r.lowerBound), spills: UInt32(s.lowerBound), UInt32(s.upperBound)) {
            return Result()
        }
        let runs = ColumnBuffer(type: run.type), spills = ColumnBuffer(type: spill.type)
        try file.readValues(cluster: info, column: run.index, elements: 0..<info.eventCount, into: runs)
        try file.readValues(cluster: info, column: spill.index, elements: 0..<info.eventCount, into: spills)
        var rv: [UInt64] = [], sv: [UInt64] = [], rok: [Bool] = [], sok: [Bool] = []
        KeyValues.read(runs.rawBytes.baseAddress!, type: run.type, count: info.eventCount, into: &rv, valid: &rok)
        KeyValues.read(spills.rawBytes.baseAddress!, type: spill.type, count: info.eventCount, into: &sv, valid: &sok)
        var out = Result()
        var last: (SpillKey, Bool)? = nil
        for i in 0..<info.eventCount {
            guard rok[i], sok[i], rv[i] <= UInt64(UInt32.max), sv[i] <= UInt64(UInt32.max) else {
                out.unmatchable += 1
                continue
            }
            let key = SpillKey(run: UInt32(rv[i]), spill: UInt32(sv[i]))
            let known: Bool
            if let l = last, l.0 == key { known = l.1 } else {
                known = table?.contains(key) ?? false
                last = (key, known)
            }
            if !known { out.missing[key, default: 0] += 1 }
        }
        return out
    }
}
