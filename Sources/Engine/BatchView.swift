import EventFormat
import Query

/// The columns of one batch of events `events` (cluster-relative), read through cursors as
/// the evaluator asks for them. List offsets come back batch-relative and checked.
final class BatchView {
    let schema: Schema
    /// By physical column; nil for columns the query does not read.
    let cursors: [ColumnCursor?]
    var events: Range<Int> = 0..<0
    // Arrays indexed by column, not dictionaries: looked up for every batch.
    private var cache: [UnsafeRawPointer?]
    private var offsetCache: [[Int]?]
    private var touched: [Int] = []

    init(schema: Schema, cursors: [ColumnCursor?]) {
        self.schema = schema
        self.cursors = cursors
        cache = Array(repeating: nil, count: cursors.count)
        offsetCache = Array(repeating: nil, count: cursors.count)
    }

    var count: Int { events.count }

    func reset(_ events: Range<Int>) {
        self.events = events
        for c in touched {
            cache[c] = nil
            offsetCache[c] = nil
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// The values of a scalar or array column for the batch: `count × per` values.
    func values(_ column: Int, per: Int) throws(EVCError) -> UnsafeRawPointer {
        if let p = cache[column] { return p }
        let p = try cursors[column]!.values(events.lowerBound * per..<events.upperBound * per)
        cache[column] = p
        touched.append(column)
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
        let valuesCount = cursor.cluster.columns[column + 1].elementCount
        for i in 0..<count {
            let v = raw[i]
            guard v >= prev, v <= UInt64(valuesCount) else {
                throw EVCError(.corrupt, "list offsets decrease or pass the end of the values", path: cursor.file.path,
                               place: "cluster \(cursor.cluster.index), column \(schema.columns[column].path)")
            }
            ends[i + 1] = Int(v) - base
            prev = v
        }
        offsetCache[column] = ends
        touched.append(column)
        return (ends, base..<base + ends[count])
    }

    private func baseOffset(_ cursor: ColumnCursor) throws(EVCError) -> Int {
        guard events.lowerBound > 0 else { return 0 }
        return Int(try cursor.values(events.lowerBound - 1..<events.lowerBound).load(as: UInt64.self))
    }

    /// The list values of `column` for the batch's elements.
    func listValues(_ column: Int, offsetsColumn: Int) throws(EVCError) -> UnsafeRawPointer {
        if let p = cache[column] { return p }
        let (_, range) = try offsets(offsetsColumn)
        let p = try cursors[column]!.values(range)
        cache[column] = p
        touched.append(column)
        return p
    }
}
