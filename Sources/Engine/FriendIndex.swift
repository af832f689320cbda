import CKernels
import Dispatch
import EventFormat

/// A friend dataset's keys, sorted: one 64-bit entry per friend event packing the index of its
/// run among the friend's runs, its event number and its row (`run id | event | row`, as few
/// bits each as the friend needs), so that 1e8 events take 800 MB. A directory over the top of
/// the key space narrows each lookup to a few cache lines. Built once, read by every thread.
final class FriendIndex: @unchecked Sendable {
    // Safe: immutable after init.
    let entries: [UInt64]
    /// The friend's distinct run numbers, ascending: a run's id is its position.
    let runs: [UInt64]
    let rowBits: Int, eventBits: Int
    /// Entries whose key has its top bits (key >> dirShift) = b start at dir[b].
    let dir: [UInt32]
    let dirShift: Int

    var bytes: Int { entries.count * 8 + dir.count * 4 + runs.count * 8 }


    /// Reads the friend's `run` and `event` columns (of every cluster, on `threads` threads).
    init(friend: EVCDataset, run: Column, event: Column, threads: Int) throws(EVCError) {
        let units = FriendIndex.units(friend)
        let total = friend.eventCount
        guard total < 1 << 32 else { throw EVCError(.badArgument, "a friend index holds at most 2^32 events; this friend has \(total)") }
        // Pass 1: the runs, and the largest event number (from statistics where they settle it).
        let firstPass = try ParallelWork.map(units.count, threads: threads) { (k) throws(EVCError) -> (Set<UInt64>, UInt64) in
            let (f, ci, _) = units[k]
            let file = friend.files[f]
            let info = try file.cluster(ci)
            var runs = Set<UInt64>()
            if let r = info.columns[run.index].stats.range(as: run.type), r.lowerBound == r.upperBound, r.lowerBound >= 0 {
                runs.insert(UInt64(r.lowerBound))
            } else {
                for v in try FriendIndex.keys(file, info, run) { runs.insert(v) }
            }
            var maxEvent: UInt64 = 0
            if let e = info.columns[event.index].stats.range(as: event.type), e.lowerBound >= 0, e.upperBound < 9e15 {
                maxEvent = UInt64(e.upperBound)
            } else {
                maxEvent = try FriendIndex.keys(file, info, event).max() ?? 0
            }
            return (runs, maxEvent)
        }
        var runSet = Set<UInt64>()
        var maxEvent: UInt64 = 0
        for (r, e) in firstPass {
            runSet.formUnion(r)
            maxEvent = max(maxEvent, e)
        }
        runs = runSet.sorted()
        rowBits = max(1, FriendIndex.bits(UInt64(max(total, 1) - 1)))
        let runBits = FriendIndex.bits(UInt64(max(runs.count, 1) - 1))
        eventBits = 64 - rowBits - runBits
        guard eventBits >= 1, maxEvent < 1 << UInt64(eventBits) else {
            throw EVCError(.badArgument, "friend keys do not fit the index: \(runs.count) runs, \(total) events and event numbers up to \(maxEvent) need more than 64 bits")
        }
        // Pass 2: the packed entries, each cluster into its own rows.
        let runIDs = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1, UInt64($0)) })
        let (eb, rb) = (eventBits, rowBits)
        var entries = [UInt64](repeating: 0, count: total)
        let unsorted = try entries.withUnsafeMutableBufferPointer { (out) throws(EVCError) -> Bool in
            nonisolated(unsafe) let out = out
            let flags = try ParallelWork.map(units.count, threads: threads) { (k) throws(EVCError) -> Bool in
                let (f, ci, row0) = units[k]
                let file = friend.files[f]
                let info = try file.cluster(ci)
                let rs = try FriendIndex.keys(file, info, run), es = try FriendIndex.keys(file, info, event)
                var last = (UInt64.max, UInt64(0))
                var descending = false
                var previous: UInt64 = 0
                for i in 0..<info.eventCount {
                    if rs[i] != last.0 { last = (rs[i], runIDs[rs[i]]!) }
                    // Safe: rows row0 ..< row0 + eventCount belong to this cluster alone.
                    let entry = last.1 << UInt64(eb + rb) | es[i] << UInt64(rb) | UInt64(row0 + i)
                    out[row0 + i] = entry
                    if i > 0 && entry < previous { descending = true }
                    previous = entry
                }
                return descending
            }
            if flags.contains(true) { return true }
            // Clusters in order with each other too?
            for k in units.indices.dropFirst() where units[k].2 > 0 && out[units[k].2] < out[units[k].2 - 1] { return true }
            return false
        }
        if unsorted { entries.withUnsafeMutableBufferPointer { dk_sort_u64($0.baseAddress!, $0.count) } }
        // A key held twice makes every join through the index ambiguous.
        let mask = (UInt64(1) << UInt64(rb)) - 1
        for i in entries.indices.dropFirst() where entries[i] >> UInt64(rb) == entries[i - 1] >> UInt64(rb) {
            let key = entries[i] >> UInt64(rb)
            let run = runs[Int(key >> UInt64(eb))], event = key & ((UInt64(1) << UInt64(eb)) - 1)
            throw EVCError(.conflict, "the friend holds run \(run) event \(event) twice (its events #\(entries[i - 1] & mask) and #\(entries[i] & mask)): a join by (run, event) would be ambiguous",
                           path: friend.files.count == 1 ? friend.files[0].path : nil)
        }
        self.entries = entries
        // The directory: about one bucket per 64 entries, at most 2^22 buckets.
        let keyBits = 64 - rb
        let top = entries.last.map { $0 >> UInt64(rb) } ?? 0
        let want = min(22, max(1, FriendIndex.bits(UInt64(max(total / 64, 1)))))
        let used = max(1, FriendIndex.bits(top))
        let shift = max(0, min(keyBits, used) - want)
        dirShift = shift
        let buckets = Int(top >> UInt64(shift)) + 2
        var dir = [UInt32](repeating: 0, count: buckets)
        var b = 0
        for (i, e) in entries.enumerated() {
            let k = Int((e >> UInt64(rb)) >> UInt64(shift))
            while b <= k {
                dir[b] = UInt32(i)
                b += 1
            }
        }
        while b < buckets {
            dir[b] = UInt32(entries.count)
            b += 1
        }
        self.dir = dir
    }

    /// The friend row of (run, event), or nil. Keys are unique (checked when built).
    func lookup(run: UInt64, event: UInt64) -> Int? {
        guard event < 1 << UInt64(eventBits) else { return nil }
        var lo = 0, hi = runs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if runs[mid] < run { lo = mid + 1 } else { hi = mid }
        }
        guard lo < runs.count, runs[lo] == run else { return nil }
        let key = UInt64(lo) << UInt64(eventBits) | event
        let b = Int(key >> UInt64(dirShift))
        guard b + 1 < dir.count else { return nil }
        var a = Int(dir[b]), z = Int(dir[b + 1])
        let shift = UInt64(rowBits)
        while a < z {
            let mid = (a + z) / 2
            if entries[mid] >> shift < key { a = mid + 1 } else { z = mid }
        }
        guard a < entries.count, entries[a] >> shift == key else { return nil }
        return Int(entries[a] & ((UInt64(1) << shift) - 1))
    }

    /// Every cluster of the friend: file, cluster, and the friend row of its first event.
    static func units(_ friend: EVCDataset) -> [(Int, Int, Int)] {
        var out: [(Int, Int, Int)] = []
        var row = 0
        for (fi, f) in friend.files.enumerated() {
            for (ci, s) in f.clusterSummaries.enumerated() {
                out.append((fi, ci, row))
                row += s.eventCount
            }
        }
        return out
    }

    /// A key column of one cluster as unsigned numbers; a negative value is an error (it names
    /// no run or event).
    static func keys(_ file: EVCFile, _ info: ClusterInfo, _ column: Column) throws(EVCError) -> [UInt64] {
        guard info.eventCount > 0 else { return [] }
        let buf = ColumnBuffer(type: column.type)
        try file.readValues(cluster: info, column: column.index, elements: 0..<info.eventCount, into: buf)
        var out: [UInt64] = [], valid: [Bool] = []
        KeyValues.read(buf.rawBytes.baseAddress!, type: column.type, count: info.eventCount, into: &out, valid: &valid)
        if let bad = valid.firstIndex(of: false) {
            throw EVCError(.corrupt, "negative \(column.path) in a key column", path: file.path, place: "cluster \(info.index), event \(bad)")
        }
        return out
    }

    static func bits(_ v: UInt64) -> Int { v == 0 ? 0 : 64 - v.leadingZeroBitCount }
}

/// `body(k)` for k in 0..<n on `threads` threads (the dispatch pool), results in k order; the
/// first error in k order is thrown.
enum ParallelWork {
    final class Slots<T>: @unchecked Sendable {
        // Safe: each index is written by one iteration only, and read after all are done.
        var r: [Result<T, EVCError>?]
        init(_ n: Int) { r = Array(repeating: nil, count: n) }
    }

    static func map<T>(_ n: Int, threads: Int, _ body: @escaping (Int) throws(EVCError) -> T) throws(EVCError) -> [T] {
        let slots = Slots<T>(n)
        nonisolated(unsafe) let body = body
        let work: @Sendable (Int) -> Void = { k in slots.r[k] = Result { () throws(EVCError) in try body(k) } }
        if threads <= 1 || n <= 1 { for k in 0..<n { work(k) } } else { DispatchQueue.concurrentPerform(iterations: n, execute: work) }
        var out: [T] = []
        out.reserveCapacity(n)
        for r in slots.r { out.append(try r!.get()) }
        return out
    }
}
