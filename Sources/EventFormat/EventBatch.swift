/// A run of whole events, one `ColumnBuffer` per physical column of the schema (nil for columns
/// not loaded). For a list field, its offsets column holds batch-relative end offsets: event i
/// has the list elements offsets[i-1] ..< offsets[i] (with offsets[-1] = 0).
public struct EventBatch: @unchecked Sendable {
    public let schema: Schema
    public internal(set) var eventCount: Int
    public internal(set) var columns: [ColumnBuffer?]
    /// Number of the first event of the batch in its file or dataset.
    public internal(set) var firstEvent: Int = 0

    /// An empty batch with a buffer for every column, to be filled and handed to a writer.
    public init(schema: Schema, capacity: Int = 0) {
        self.schema = schema
        self.eventCount = 0
        self.columns = schema.columns.map { ColumnBuffer(type: $0.type, capacity: capacity) }
    }

    init(schema: Schema, eventCount: Int, columns: [ColumnBuffer?]) {
        self.schema = schema
        self.eventCount = eventCount
        self.columns = columns
    }

    /// This batch seen through a schema that is a subset of its fields (same names and kinds):
    /// the same buffers, no copy.
    public func projected(to other: Schema) -> EventBatch {
        if other == schema { return self }
        let cols = other.columns.map { oc -> ColumnBuffer? in
            let name = other.fields[oc.fieldIndex].name
            guard let c = schema.columns.first(where: { schema.fields[$0.fieldIndex].name == name && $0.role == oc.role }) else { return nil }
            return columns[c.index]
        }
        var b = EventBatch(schema: other, eventCount: eventCount, columns: cols)
        b.firstEvent = firstEvent
        return b
    }

    /// The buffer of the column at `path` (`name`, `name#offsets` or `name.member`).
    public func column(_ path: String) -> ColumnBuffer? {
        guard let c = schema.columns.first(where: { $0.path == path }) else { return nil }
        return columns[c.index]
    }

    /// The buffer holding the values of field `name` (for scalars, arrays and lists of scalars).
    public func values(_ name: String) -> ColumnBuffer? { column(name) }

    /// The batch-relative end offsets of list field `name`.
    public func offsets(_ name: String) -> ColumnBuffer? { column(name + "#offsets") }

    /// Declares that `n` more events have been appended to every column; checks that the column
    /// counts agree with each other.
    public mutating func commitEvents(_ n: Int) throws(EVCError) {
        eventCount += n
        try validate()
    }

    /// Declares that `n` more events have been appended, without checking the columns now
    /// (`EVCWriter.write` checks them).
    public mutating func noteAppendedEvents(_ n: Int) { eventCount += n }

    /// Checks that every loaded column holds as many values as the events need.
    public func validate() throws(EVCError) {
        for col in schema.columns {
            guard let buf = columns[col.index] else { continue }
            let field = schema.fields[col.fieldIndex]
            let expected: Int
            switch col.role {
            case .offsets: expected = eventCount
            case .values, .member:
                if let per = field.elementsPerEvent {
                    expected = eventCount * per
                } else if let offs = columns[schema.columns[col.index - (col.role == .values ? 1 : memberPosition(col) + 1)].index] {
                    let o = offs.buffer(UInt64.self)
                    expected = o.isEmpty ? 0 : Int(o[o.count - 1])
                } else {
                    continue
                }
            }
            guard buf.count == expected else {
                throw EVCError(.badArgument, "column '\(col.path)' holds \(buf.count) values; \(eventCount) events need \(expected)")
            }
            if col.role == .offsets {
                let o = buf.buffer(UInt64.self)
                var prev: UInt64 = 0
                for (i, v) in o.enumerated() {
                    guard v >= prev else { throw EVCError(.badArgument, "list '\(field.name)': offsets decrease at event \(i)") }
                    prev = v
                }
            }
        }
    }

    private func memberPosition(_ col: Column) -> Int {
        if case .member(let m) = col.role { return m }
        return 0
    }
}
