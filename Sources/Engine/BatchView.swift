import EventFormat
import Query

/// The columns of one batch of events `events` (cluster-relative), read through cursors as
/// the evaluator asks for them. List offsets come back batch-relative and checked.
final class BatchView {
    let schema: Schema
    /// By physical column; nil for columns the query does not read.
    let cursors: [ColumnSource?]
    // The per-batch state lives behind pointers that never change, not in stored `var`s: a
    // class's vars are checked for exclusive access at run time on every use, and these are
    // used for every column of every batch. Safe: one worker uses a view at a time.
    private let range: UnsafeMutablePointer<Range<Int>>
    /// By column: the batch's values once read.
    private let cache: UnsafeMutablePointer<UnsafeRawPointer?>
    /// The columns whose cache entry is set, and how many.
    private let touched: UnsafeMutablePointer<Int>
    private let touchedCount: UnsafeMutablePointer<Int>
    private var offsetCache: [[Int]?]

    init(schema: Schema, cursors: [ColumnSource?]) {
        self.schema = schema
        self.cursors = cursors
        range = .allocate(capacity: 1)
        range.initialize(to: 0..<0)
        cache = .allocate(capacity: cursors.count)
        cache.initialize(repeating: nil, count: cursors.count)
        // Each column is touched at most twice a batch (values, and offsets for lists).
        touched = .allocate(capacity: 2 * cursors.count)
        touchedCount = .allocate(capacity: 1)
        touchedCount.initialize(to: 0)
        offsetCache = Array(repeating: nil, count: cursors.count)
    }

    deinit {
        range.deallocate()
        cache.deallocate()
        touched.deallocate()
        touchedCount.deallocate()
    }

    var events: Range<Int> { range.pointee }
    var count: Int { range.pointee.count }

    func reset(_ events: Range<Int>) {
        range.pointee = events
        for j in 0..<touchedCount.pointee {
            let c = touched[j]
            if cache[c] != nil { cache[c] = nil } else { offsetCache[c] = nil }
        }
        touchedCount.pointee = 0
    }

    private func touch(_ column: Int) {
        precondition(touchedCount.pointee < 2 * cursors.count, "column \(column) cached twice in one batch")
        touched[touchedCount.pointee] = column
        touchedCount.pointee += 1
    }

    /// The values of a scalar or array column for the batch: `count × per` values.
    func values(_ column: Int, per: Int) throws(EVCError) -> UnsafeRawPointer {
        if let p = cache[column] { return p }
        let e = range.pointee
        let p = try cursors[column]!.values(e.lowerBound * per..<e.upperBound * per)
        cache[column] = p
        touch(column)
        return p
    }

    /// Batch-relative end offsets of a list (count + 1 entries, starting with 0) and the
    /// cluster-relative element range they cover.
    func offsets(_ column: Int) throws(EVCError) -> (ends: [Int], elements: Range<Int>) {
        let cursor = cursors[column]!
        if let o = offsetCache[column] {
            let base = try baseOffset(cursor)
            return (o, base..<base + o.last!)
        }
        let base = try baseOffset(cursor)
        let raw = try cursor.values(events).assumingMemoryBound(to: UInt64.self)
        var ends = [Int](repeating: 0, count: count + 1)
        var prev = UInt64(base)
        let valuesCount = cursor.listValueCount
        for i in 0..<count {
            let v = raw[i]
            guard v >= prev, v <= UInt64(valuesCount) else {
                throw cursor.corrupt("list offsets decrease or pass the end of the values")
            }
            ends[i + 1] = Int(v) - base
            prev = v
        }
        offsetCache[column] = ends
        touch(column)
        return (ends, base..<base + ends[count])
    }

    private func baseOffset(_ cursor: ColumnSource) throws(EVCError) -> Int {
        guard events.lowerBound > 0 else { return 0 }
        return Int(try cursor.values(events.lowerBound - 1..<events.lowerBound).load(as: UInt64.self))
    }

    /// The list values of `column` for the batch's elements.
    func listValues(_ column: Int, offsetsColumn: Int) throws(EVCError) -> UnsafeRawPointer {
        if let p = cache[column] { return p }
        let (_, range) = try offsets(offsetsColumn)
        let p = try cursors[column]!.values(range)
        cache[column] = p
        touch(column)
        return p
    }
}
