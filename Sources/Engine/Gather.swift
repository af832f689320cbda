import EventFormat

/// The events of a cluster that passed every cut, batch by batch: what a skim gathers.
struct Survivors {
    /// Batch-relative indices, batch after batch.
    private(set) var indices: [Int32] = []
    /// Each batch with survivors: its events and where its indices start.
    private(set) var batches: [(events: Range<Int>, first: Int)] = []

    var count: Int { indices.count }

    mutating func add(_ events: Range<Int>, _ kept: UnsafeBufferPointer<Int32>) {
        batches.append((events, indices.count))
        indices.append(contentsOf: kept)
    }

    /// The indices of batch `b`.
    func withBatch<R>(_ b: Int, _ body: (UnsafeBufferPointer<Int32>) throws(EVCError) -> R) throws(EVCError) -> R {
        let from = batches[b].first, to = b + 1 < batches.count ? batches[b + 1].first : indices.count
        return try indices.withUnsafeBufferPointer { (all) throws(EVCError) -> R in
            try body(UnsafeBufferPointer(rebasing: all[from..<to]))
        }
    }
}

extension Scan {
    /// Appends the selected events of the batch in `view` to the `map`ped output columns.
    func gather(_ view: BatchView, _ sel: UnsafeBufferPointer<Int32>, _ map: [(out: Int, input: Int)], into out: EventBatch) throws(EVCError) {
        for (oc, ic) in map {
            let dst = out.columns[oc]!
            switch Gather.Kind(view.schema, ic) {
            case .fixed(let per):
                let at = dst.count
                dst.resize(at + sel.count * per)
                Gather.fixed(try view.values(ic, per: per), width: dst.type.width, per: per, sel, into: dst.mutableRawBytes.baseAddress! + at * dst.type.width)
            case .offsets:
                Gather.offsets(try view.offsets(ic).ends, sel, to: dst)
            case .list(let offsetsColumn):
                Gather.lists(try view.listValues(ic, offsetsColumn: offsetsColumn), ends: try view.offsets(offsetsColumn).ends, sel, to: dst)
            }
        }
    }

    /// Appends the survivors of the whole cluster to the `map`ped output columns, one column
    /// after the other, moving `view` batch by batch through the cluster for each.
    func gather(_ view: BatchView, _ survivors: Survivors, _ map: [(out: Int, input: Int)], into out: EventBatch) throws(EVCError) {
        for (oc, ic) in map {
            let dst = out.columns[oc]!
            let kind = Gather.Kind(view.schema, ic)
            // Fixed-size values: one resize for the cluster, then straight into place.
            var at = dst.count
            if case .fixed(let per) = kind { dst.resize(at + survivors.count * per) }
            let w = dst.type.width, base = dst.mutableRawBytes.baseAddress!
            for b in survivors.batches.indices {
                view.reset(survivors.batches[b].events)
                try survivors.withBatch(b) { (sel) throws(EVCError) in
                    switch kind {
                    case .fixed(let per):
                        Gather.fixed(try view.values(ic, per: per), width: w, per: per, sel, into: base + at * w)
                        at += sel.count * per
                    case .offsets:
                        Gather.offsets(try view.offsets(ic).ends, sel, to: dst)
                    case .list(let offsetsColumn):
                        Gather.lists(try view.listValues(ic, offsetsColumn: offsetsColumn), ends: try view.offsets(offsetsColumn).ends, sel, to: dst)
                    }
                }
            }
        }
    }
}

/// Copies the selected events' values of one column: typed copies per event, into room the
/// caller made (fixed-size columns) or with one resize per batch (lists).
enum Gather {
    enum Kind {
        /// `per` values per event (scalars and arrays).
        case fixed(Int)
        /// A list's end offsets.
        case offsets
        /// List elements (values or a record member), split by the offsets column.
        case list(offsetsColumn: Int)

        init(_ schema: Schema, _ column: Int) {
            let col = schema.columns[column]
            if let per = schema.fields[col.fieldIndex].elementsPerEvent {
                self = .fixed(per)
            } else if col.role == .offsets {
                self = .offsets
            } else if case .member(let m) = col.role {
                self = .list(offsetsColumn: column - m - 1)
            } else {
                self = .list(offsetsColumn: column - 1)
            }
        }
    }

    /// `per` values of `width` bytes per event from `src` (the whole batch) to `out`.
    static func fixed(_ src: UnsafeRawPointer, width: Int, per: Int, _ sel: UnsafeBufferPointer<Int32>, into out: UnsafeMutableRawPointer) {
        // Safe: every index of `sel` is below the batch size, `src` holds the batch's values and
        // `out` has room for sel.count * per values.
        func copy<T>(_: T.Type) {
            let w = MemoryLayout<T>.stride
            for (k, i) in sel.enumerated() { out.storeBytes(of: src.load(fromByteOffset: Int(i) &* w, as: T.self), toByteOffset: k &* w, as: T.self) }
        }
        switch width * per {
        case 1: copy(UInt8.self)
        case 2: copy(UInt16.self)
        case 4: copy(UInt32.self)
        case 8: copy(UInt64.self)
        default:
            let bytes = width * per
            for (k, i) in sel.enumerated() { (out + k * bytes).copyMemory(from: src + Int(i) * bytes, byteCount: bytes) }
        }
    }

    /// The lengths of the selected events' lists, as running end offsets continuing the output's.
    /// `ends` are the batch's end offsets (count + 1 entries).
    static func offsets(_ ends: [Int], _ sel: UnsafeBufferPointer<Int32>, to dst: ColumnBuffer) {
        guard !sel.isEmpty else { return }
        let at = dst.count
        var last: UInt64 = at == 0 ? 0 : dst.buffer(UInt64.self)[at - 1]
        dst.resize(at + sel.count)
        let o = dst.mutableRawBytes.baseAddress! + at * 8
        ends.withUnsafeBufferPointer { e in
            for (k, i) in sel.enumerated() {
                last &+= UInt64(e[Int(i) + 1] &- e[Int(i)])
                o.storeBytes(of: last, toByteOffset: k &* 8, as: UInt64.self)
            }
        }
    }

    /// The selected events' list elements from the batch's elements at `src`, split by the
    /// batch's end offsets `ends`.
    static func lists(_ src: UnsafeRawPointer, ends: [Int], _ sel: UnsafeBufferPointer<Int32>, to dst: ColumnBuffer) {
        guard !sel.isEmpty else { return }
        let width = dst.type.width
        ends.withUnsafeBufferPointer { e in
            var total = 0
            for i in sel { total &+= e[Int(i) + 1] &- e[Int(i)] }
            let at = dst.count
            dst.resize(at + total)
            var out = dst.mutableRawBytes.baseAddress! + at * width
            for i in sel {
                let a = e[Int(i)], b = e[Int(i) + 1]
                out.copyMemory(from: src + a * width, byteCount: (b - a) * width)
                out += (b - a) * width
            }
        }
    }
}
