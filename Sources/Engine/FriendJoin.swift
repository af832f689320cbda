import EventFormat
import Synchronization

/// What to do with an event of the main dataset that its friend lacks.
public enum FriendMissing: String, Sendable, CaseIterable {
    /// Stop with an error naming the first such event (the default).
    case error
    /// Leave such events out: the cut flow gets a first line "friend P has the event".
    case skip
    /// Give them the friend's fields as NaN (floating point) or 0 (integers, booleans).
    case null
}

/// What a friend join did, for the summary and `--json`.
public struct JoinReport: Sendable, Equatable {
    public var prefix: String
    public var files: [String]
    public var missing: FriendMissing
    /// Batches joined by position (the friend's event at the same place had the same key), and
    /// by the sorted index.
    public var positionalBatches = 0
    public var indexedBatches = 0
    /// Events of the main dataset the friend lacks (skipped or given null values).
    public var unmatched = 0
    public var firstUnmatched: SpillKey? = nil
    public var firstUnmatchedEvent: UInt64? = nil
    /// Memory held by the index and by friend columns read whole (shuffled order).
    public var indexBytes = 0
    public var valueBytes = 0
    /// Friend fields that could not be joined (lists).
    public var notJoined: [String] = []

    public var mode: String {
        if indexedBatches == 0 { return positionalBatches == 0 ? "not read" : "positional" }
        return valueBytes > 0 ? "index, friend columns in memory" : (positionalBatches > 0 ? "positional, then index" : "index")
    }

    public var json: [String: Any] {
        var o: [String: Any] = ["prefix": prefix, "files": files, "missing": missing.rawValue, "mode": mode, "positional_batches": positionalBatches,
                                "indexed_batches": indexedBatches, "unmatched_events": unmatched, "index_bytes": indexBytes,
                                "value_bytes": valueBytes, "not_joined": notJoined]
        if let k = firstUnmatched, let e = firstUnmatchedEvent { o["first_unmatched"] = ["run": k.run, "event": e] }
        return o
    }

    public func line() -> String {
        var s = "friend \(prefix) (\(files.count == 1 ? files[0] : "\(files.count) files")): joined, \(mode)"
        if indexBytes > 0 { s += ", index \(indexBytes >> 20) MiB" }
        if valueBytes > 0 { s += ", columns in memory \(valueBytes >> 20) MiB" }
        if unmatched > 0 {
            s += "; \(unmatched) event\(unmatched == 1 ? "" : "s") without a friend event ("
                + (missing == .skip ? "skipped" : "null values") + (firstUnmatchedEvent.map { ", first: run \(firstUnmatched!.run) event \($0)" } ?? "") + ")"
        }
        if !notJoined.isEmpty { s += "; not joined (lists): " + notJoined.joined(separator: ", ") }
        return s
    }
}

/// Joins a friend dataset's columns to the main dataset's events by (run, event). A batch is
/// first tried by position — the friend's event at the same place in the dataset order — and
/// its keys compared; the first batch whose keys differ switches every later batch to the
/// sorted index (`FriendIndex`, built once on first need and shared). Rows found in increasing
/// order are read through cursors over the friend's pages; rows in any other order from the
/// friend's columns read whole into memory, once. A key the friend lacks is an error, a skipped
/// event or null values (`FriendMissing`); a key it holds twice is always an error.
final class FriendJoin: DerivedProvider, @unchecked Sendable {
    // Safe: immutable after init except `state` (a mutex) and `positionalFailed` (atomic).
    let friend: EVCDataset
    let prefix: String
    let missing: FriendMissing
    let verify: Bool
    let threads: Int
    let mainRun: Column, mainEvent: Column
    let friendRun: Column, friendEvent: Column
    /// The friend column of each derived field; nil for the "has the event" flag.
    let fieldColumns: [Column?]
    let fieldPer: [Int]
    let units: [(file: Int, cluster: Int, firstRow: Int)]
    let notJoined: [String]
    let positionalFailed = Atomic<Bool>(false)

    struct State {
        var index: FriendIndex?
        var values: [Int: ColumnBuffer] = [:]
        var report: JoinReport
    }
    let state: Mutex<State>

    var keyColumns: [Int] { [mainRun.index, mainEvent.index] }

    init(friend: EVCDataset, prefix: String, missing: FriendMissing, main: Schema, verify: Bool, threads: Int,
         fieldColumns: [Column?], fieldPer: [Int], notJoined: [String]) throws(EVCError) {
        self.friend = friend
        self.prefix = prefix
        self.missing = missing
        self.verify = verify
        self.threads = threads
        mainRun = try KeyValues.column(main, "run", for: "a friend join")
        mainEvent = try KeyValues.column(main, "event", for: "a friend join")
        do {
            friendRun = try KeyValues.column(friend.schema, "run", for: "a friend")
            friendEvent = try KeyValues.column(friend.schema, "event", for: "a friend")
        } catch {
            var e = error
            e.path = e.path ?? friend.files[0].path
            throw e
        }
        self.fieldColumns = fieldColumns
        self.fieldPer = fieldPer
        self.notJoined = notJoined
        units = FriendIndex.units(friend).map { (file: $0.0, cluster: $0.1, firstRow: $0.2) }
        state = Mutex(State(report: JoinReport(prefix: prefix, files: friend.files.map(\.path), missing: missing, notJoined: notJoined)))
    }

    func makeWorker() -> DerivedWorker { FriendWorker(self) }

    func summary() -> [String: Any] { report.json }
    var report: JoinReport {
        var r = state.withLock { $0.report }
        r.positionalBatches = positionalBatches.load(ordering: .relaxed)
        r.indexedBatches = indexedBatches.load(ordering: .relaxed)
        return r
    }

    /// The sorted index, built by the first thread that needs it.
    func index() throws(EVCError) -> FriendIndex {
        let r: Result<FriendIndex, EVCError> = state.withLock { s in
            if let i = s.index { return .success(i) }
            do throws(EVCError) {
                let i = try FriendIndex(friend: friend, run: friendRun, event: friendEvent, threads: threads)
                s.index = i
                s.report.indexBytes = i.bytes
                return .success(i)
            } catch {
                return .failure(error)
            }
        }
        return try r.get()
    }

    /// Friend column `c` for every friend row, read once (for rows wanted in shuffled order).
    func wholeColumn(_ c: Column, per: Int) throws(EVCError) -> ColumnBuffer {
        let r: Result<ColumnBuffer, EVCError> = state.withLock { s in
            if let v = s.values[c.index] { return .success(v) }
            do throws(EVCError) {
                let all = ColumnBuffer(type: c.type, capacity: friend.eventCount * per)
                all.resize(friend.eventCount * per)
                let w = c.type.width
                nonisolated(unsafe) let base = all.mutableRawBytes.baseAddress!
                let units = self.units
                _ = try ParallelWork.map(units.count, threads: threads) { (k) throws(EVCError) -> Void in
                    let u = units[k]
                    let file = self.friend.files[u.file]
                    let info = try file.cluster(u.cluster)
                    let tmp = ColumnBuffer(type: c.type)
                    try file.readValues(cluster: info, column: c.index, elements: 0..<info.eventCount * per, into: tmp, verify: self.verify)
                    // Safe: this cluster's rows are its own part of `all`.
                    if tmp.count > 0 { (base + u.firstRow * per * w).copyMemory(from: tmp.rawBytes.baseAddress!, byteCount: tmp.count * w) }
                }
                s.values[c.index] = all
                s.report.valueBytes += all.count * w
                return .success(all)
            } catch {
                return .failure(error)
            }
        }
        return try r.get()
    }

    /// Batches joined by position and through the index (counted without a lock: every batch
    /// notes one).
    let positionalBatches = Atomic<Int>(0), indexedBatches = Atomic<Int>(0)

    func note(positional: Bool) {
        if positional { positionalBatches.wrappingAdd(1, ordering: .relaxed) } else { indexedBatches.wrappingAdd(1, ordering: .relaxed) }
    }

    func note(unmatched: Int, first: (UInt64, UInt64)) {
        state.withLock { s in
            s.report.unmatched += unmatched
            if s.report.firstUnmatchedEvent == nil {
                s.report.firstUnmatched = SpillKey(run: UInt32(truncatingIfNeeded: first.0), spill: 0)
                s.report.firstUnmatchedEvent = first.1
            }
        }
    }

    /// The friend cluster (index into `units`) holding friend row `row`.
    func unit(ofRow row: Int) -> Int {
        var lo = 0, hi = units.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if units[mid].firstRow <= row { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    var name: String { "friend '\(prefix)' (\(friend.files.count == 1 ? friend.files[0].path : "\(friend.files.count) files from \(friend.files[0].path)"))" }
}

extension DerivedColumns {
    /// The fields of `friend` (scalars and arrays; lists are left out and named in the report)
    /// as `prefix.name`, joined to `main`'s events by (run, event); with `missing == .skip` also
    /// the flag `prefix#matched`. Field ids count from `firstID`.
    public static func friend(_ friend: EVCDataset, prefix: String, missing: FriendMissing, main: Schema, firstID: UInt32,
                              verify: Bool = true, threads: Int) throws(EVCError) -> DerivedColumns {
        var fields: [Field] = []
        var columns: [Column?] = []
        var per: [Int] = []
        var notJoined: [String] = []
        var id = firstID
        for (fi, f) in friend.schema.fields.enumerated() {
            guard let n = f.elementsPerEvent else {
                notJoined.append(f.name)
                continue
            }
            let name = prefix + "." + f.name
            guard main.field(named: name) == nil else {
                throw EVCError(.badArgument, "friend field '\(name)' has the name of a field of the data; choose another prefix (FILE:prefix)")
            }
            fields.append(Field(id: id, name: name, kind: f.kind, unit: f.unit, description: f.description))
            columns.append(friend.schema.columns(ofField: fi)[0])
            per.append(n)
            id += 1
        }
        if missing == .skip {
            fields.append(Field(id: id, name: prefix + "#matched", kind: .scalar(.bool), description: "the friend '\(prefix)' has the event"))
            columns.append(nil)
            per.append(1)
        }
        let join = try FriendJoin(friend: friend, prefix: prefix, missing: missing, main: main, verify: verify, threads: threads,
                                  fieldColumns: columns, fieldPer: per, notJoined: notJoined)
        return DerivedColumns(fields: fields, provider: join)
    }

    /// What the join found so far (nil for columns that are not a friend's).
    public var joinReport: JoinReport? { (provider as? FriendJoin)?.report }

    /// The name of the "has the event" flag of a friend joined with `missing == .skip`.
    public var matchedFlag: String? {
        guard let j = provider as? FriendJoin, j.missing == .skip else { return nil }
        return j.prefix + "#matched"
    }
}
