import EventFormat
import Query

/// Key values of a batch (run, spill, event) as unsigned 64-bit numbers, whatever the column's
/// integer type; a negative value becomes nil (it names no run or spill).
enum KeyValues {
    static func read(_ p: UnsafeRawPointer, type: ScalarType, count n: Int, into out: inout [UInt64], valid: inout [Bool]) {
        if out.count != n { out = [UInt64](repeating: 0, count: n) }
        if valid.count != n { valid = [Bool](repeating: true, count: n) }
        func load<T: FixedWidthInteger>(_: T.Type) {
            let v = p.assumingMemoryBound(to: T.self)
            out.withUnsafeMutableBufferPointer { o in
                valid.withUnsafeMutableBufferPointer { ok in
                    if T.isSigned {
                        for i in 0..<n {
                            ok[i] = v[i] >= 0
                            o[i] = UInt64(truncatingIfNeeded: max(v[i], 0))
                        }
                    } else {
                        for i in 0..<n { o[i] = UInt64(truncatingIfNeeded: v[i]) }
                        for i in 0..<n { ok[i] = true }
                    }
                }
            }
        }
        switch type {
        case .uint8, .bool: load(UInt8.self)
        case .uint16: load(UInt16.self)
        case .uint32: load(UInt32.self)
        case .uint64: load(UInt64.self)
        case .int8: load(Int8.self)
        case .int16: load(Int16.self)
        case .int32: load(Int32.self)
        case .int64: load(Int64.self)
        case .float32, .float64: preconditionFailure("key columns are integers (checked when the provider is made)")
        }
    }

    /// The column of scalar integer field `name`, or an error saying what is missing.
    static func column(_ schema: Schema, _ name: String, for purpose: String) throws(EVCError) -> Column {
        guard let fi = schema.fieldIndex(named: name), case .scalar(let t) = schema.fields[fi].kind, t.isInteger else {
            throw EVCError(.badArgument, "\(purpose) needs an integer field '\(name)' in the data")
        }
        return schema.columns(ofField: fi)[0]
    }
}

/// The `in_spill_list` flag: true for events whose (run, spill) a good-spill list names.
final class SpillFlagProvider: DerivedProvider, @unchecked Sendable {
    // Safe: immutable after init.
    let list: SpillList
    let run: Column, spill: Column

    init(list: SpillList, schema: Schema) throws(EVCError) {
        self.list = list
        run = try KeyValues.column(schema, "run", for: "a spill list")
        spill = try KeyValues.column(schema, "spill", for: "a spill list")
    }

    var keyColumns: [Int] { [run.index, spill.index] }
    func makeWorker() -> DerivedWorker { Worker(self) }
    func summary() -> [String: Any] { ["spill_list": list.name] }

    final class Worker: DerivedWorker {
        let p: SpillFlagProvider
        var runs: [UInt64] = [], spills: [UInt64] = [], runValid: [Bool] = [], spillValid: [Bool] = []
        let flags = ColumnBuffer(type: .uint8)
        init(_ p: SpillFlagProvider) { self.p = p }

        func begin(file: Int, cluster: ClusterInfo, firstEvent: Int) throws(EVCError) {}

        func values(field k: Int, view: BatchView) throws(EVCError) -> UnsafeRawPointer {
            let n = view.count
            KeyValues.read(try view.values(p.run.index, per: 1), type: p.run.type, count: n, into: &runs, valid: &runValid)
            KeyValues.read(try view.values(p.spill.index, per: 1), type: p.spill.type, count: n, into: &spills, valid: &spillValid)
            flags.resize(max(n, 1))
            let out = flags.mutableRawBytes
            var last: (UInt64, UInt64, UInt8)? = nil
            for i in 0..<n {
                let r = runs[i], s = spills[i]
                if let l = last, l.0 == r, l.1 == s {
                    out[i] = l.2
                    continue
                }
                let ok = runValid[i] && spillValid[i] && r <= UInt64(UInt32.max) && s <= UInt64(UInt32.max)
                    && p.list.contains(run: UInt32(r), spill: UInt32(s))
                last = (r, s, ok ? 1 : 0)
                out[i] = ok ? 1 : 0
            }
            return UnsafeRawPointer(flags.rawBytes.baseAddress!)
        }
    }
}

extension DerivedColumns {
    /// The `in_spill_list` field of a good-spill list (field id `id`, unique in the schema).
    public static func spillFlag(_ list: SpillList, schema: Schema, id: UInt32) throws(EVCError) -> DerivedColumns {
        let field = Field(id: id, name: "in_spill_list", kind: .scalar(.bool), description: "the event's (run, spill) is in the spill list \(list.name)")
        return DerivedColumns(fields: [field], provider: try SpillFlagProvider(list: list, schema: schema))
    }
}

/// The cuts of a query that select spills: the top-level cuts, or the `and`-ed parts of one,
/// that read only the `run` and `spill` columns (Formats/EVC.md, section 8.2). They decide, for
/// a spill's (run, spill), whether its events can pass, and so which exposure rows count.
public struct SpillCuts: Sendable {
    public let parts: [Expr]
    /// The text of the cuts they come from.
    public let names: [String]
    let run: Column?, spill: Column?
    let schema: Schema

    public init(query: CheckedQuery, schema: Schema) {
        self.schema = schema
        run = try? KeyValues.column(schema, "run", for: "")
        spill = try? KeyValues.column(schema, "spill", for: "")
        let keys = Set([run?.index, spill?.index].compactMap { $0 })
        var parts: [Expr] = [], names: [String] = []
        for cut in query.cuts {
            let conjuncts: [Expr]
            if case .and(let xs) = cut.expr { conjuncts = xs } else { conjuncts = [cut.expr] }
            let spillLevel = conjuncts.filter { !$0.columns.isEmpty && $0.columns.isSubset(of: keys) }
            if !spillLevel.isEmpty {
                parts += spillLevel
                names.append(cut.name)
            }
        }
        self.parts = parts
        self.names = names
    }

    public var isEmpty: Bool { parts.isEmpty }

    /// For each key, whether it passes every spill-level part.
    public func passes(_ keys: [SpillKey]) throws(EVCError) -> [Bool] {
        guard !parts.isEmpty, !keys.isEmpty else { return Array(repeating: true, count: keys.count) }
        var cursors = [ColumnSource?](repeating: nil, count: schema.columns.count)
        if let run { cursors[run.index] = MemoryColumn(keys.map { UInt64($0.run) }, type: run.type) }
        if let spill { cursors[spill.index] = MemoryColumn(keys.map { UInt64($0.spill) }, type: spill.type) }
        let view = BatchView(schema: schema, cursors: cursors)
        view.reset(0..<keys.count)
        var sel = SelectionOps.all(keys.count)
        for e in parts { sel = try Evaluator(view: view).filter(e, sel) }
        var out = Array(repeating: false, count: keys.count)
        for i in sel { out[Int(i)] = true }
        return out
    }
}

/// Values held in memory, in a column's type: numbers beyond the type's range are clamped to it
/// (a spill number no column of that type can hold matches no event anyway).
final class MemoryColumn: ColumnSource {
    let buffer: ColumnBuffer

    init(_ values: [UInt64], type: ScalarType) {
        buffer = ColumnBuffer(type: type, capacity: values.count)
        buffer.resize(values.count)
        let out = buffer.mutableRawBytes.baseAddress!
        func fill<T>(_ convert: (UInt64) -> T) {
            let p = out.assumingMemoryBound(to: T.self)
            for (i, v) in values.enumerated() { p[i] = convert(v) }
        }
        switch type {
        case .uint8, .bool: fill { UInt8(clamping: $0) }
        case .uint16: fill { UInt16(clamping: $0) }
        case .uint32: fill { UInt32(clamping: $0) }
        case .uint64: fill { $0 }
        case .int8: fill { Int8(clamping: $0) }
        case .int16: fill { Int16(clamping: $0) }
        case .int32: fill { Int32(clamping: $0) }
        case .int64: fill { Int64(clamping: $0) }
        case .float32: fill { Float($0) }
        case .float64: fill { Double($0) }
        }
    }

    func values(_ range: Range<Int>) throws(EVCError) -> UnsafeRawPointer {
        buffer.rawBytes.baseAddress! + range.lowerBound * buffer.type.width
    }
    func statistics(_ range: Range<Int>) -> (Statistics, validUntil: Int)? { nil }
    var listValueCount: Int { 0 }
    func corrupt(_ message: String) -> EVCError { EVCError(.corrupt, message) }
}
