// Event batches as Arrow C data interface arrays. Numeric buffers are not copied: the arrays
// point into the batch's ColumnBuffers, which every array built from the batch keeps alive
// (through its private_data) until its release. Only what Arrow lays out differently is made
// anew: list offsets (int32, starting at 0) and booleans (bits).
import CDarkscanABI
import Darkscan
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The memory behind the arrays of one exported batch: the batch's buffers and the buffers made
/// for the export. Lives until the last array built from it is released, on whatever thread.
final class BatchHolder: @unchecked Sendable {
    // Safe: filled while the arrays are built, before any is handed out; read-only afterwards.
    let batch: EventBatch
    private(set) var owned: [UnsafeMutableRawPointer] = []
    private(set) var ranges: [Range<UInt>] = []

    init(_ batch: EventBatch) {
        self.batch = batch
        for case let c? in batch.columns { note(c.rawBytes) }
    }

    /// A zeroed buffer of `bytes` bytes owned by this holder.
    func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = darkscan_malloc(max(bytes, 8))!
        owned.append(p)
        note(UnsafeRawBufferPointer(start: p, count: bytes))
        return p
    }

    private func note(_ b: UnsafeRawBufferPointer) {
        guard let base = b.baseAddress else { return }
        let start = UInt(bitPattern: base)
        ranges.append(start..<start + UInt(b.count))
    }

    /// Counts holders and remembers their ranges, for darkscan_live_batches/darkscan_owns_address.
    func publish() { LiveBatches.add(self) }

    deinit {
        LiveBatches.remove(self)
        for p in owned { free(p) }
    }
}

enum LiveBatches {
    private static let live = Mutex<[ObjectIdentifier: [Range<UInt>]]>([:])

    static func add(_ h: BatchHolder) { live.withLock { $0[ObjectIdentifier(h)] = h.ranges } }
    static func remove(_ h: BatchHolder) { live.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(h)) } }
    static var count: Int { live.withLock { $0.count } }
    static func owns(_ address: UInt) -> Bool {
        live.withLock { $0.values.contains { rs in rs.contains { $0.contains(address) } } }
    }
}

/// Builds the ArrowArray tree of events `range` of a batch.
enum ArrowBatchExport {
    /// What one ArrowArray struct owns: its buffer and children pointer arrays, its children's
    /// structs, and a reference to the batch's memory.
    final class Node {
        let holder: BatchHolder
        let buffers: UnsafeMutablePointer<UnsafeRawPointer?>
        let children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>?
        let childCount: Int

        init(holder: BatchHolder, buffers: UnsafeMutablePointer<UnsafeRawPointer?>, children: UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>?, childCount: Int) {
            self.holder = holder
            self.buffers = buffers
            self.children = children
            self.childCount = childCount
        }

        deinit {
            free(buffers)
            if let children {
                for i in 0..<childCount { free(children[i]) }
                free(children)
            }
        }
    }

    static let release: @convention(c) (UnsafeMutablePointer<ArrowArray>?) -> Void = { a in
        guard let a, a.pointee.release != nil else { return }
        if let children = a.pointee.children {
            for i in 0..<Int(a.pointee.n_children) {
                if let c = children[i], let r = c.pointee.release { r(c) }
            }
        }
        if let p = a.pointee.private_data { Unmanaged<Node>.fromOpaque(p).release() }
        a.pointee.release = nil
    }

    /// Fills `out` with an array of `length` values over `buffers`, taking ownership of the
    /// (already filled) `children` structs.
    static func fill(_ out: UnsafeMutablePointer<ArrowArray>, length: Int, buffers: [UnsafeRawPointer?],
                     children: [UnsafeMutablePointer<ArrowArray>], holder: BatchHolder) {
        let b = darkscan_malloc(buffers.count * MemoryLayout<UnsafeRawPointer?>.stride)!.assumingMemoryBound(to: UnsafeRawPointer?.self)
        for (i, p) in buffers.enumerated() { b[i] = p }
        var c: UnsafeMutablePointer<UnsafeMutablePointer<ArrowArray>?>? = nil
        if !children.isEmpty {
            c = darkscan_malloc(children.count * MemoryLayout<UnsafeMutablePointer<ArrowArray>?>.stride)!.assumingMemoryBound(to: UnsafeMutablePointer<ArrowArray>?.self)
            for (i, p) in children.enumerated() { c![i] = p }
        }
        let node = Node(holder: holder, buffers: b, children: c, childCount: children.count)
        out.pointee = ArrowArray(length: Int64(length), null_count: 0, offset: 0, n_buffers: Int64(buffers.count), n_children: Int64(children.count),
                                 buffers: UnsafeMutablePointer(mutating: UnsafeRawPointer(b).assumingMemoryBound(to: UnsafeRawPointer?.self)),
                                 children: c, dictionary: nil, release: release, private_data: Unmanaged.passRetained(node).toOpaque())
    }

    static func child(length: Int, buffers: [UnsafeRawPointer?], children: [UnsafeMutablePointer<ArrowArray>] = [], holder: BatchHolder) -> UnsafeMutablePointer<ArrowArray> {
        let a = darkscan_malloc(MemoryLayout<ArrowArray>.size)!.assumingMemoryBound(to: ArrowArray.self)
        fill(a, length: length, buffers: buffers, children: children, holder: holder)
        return a
    }

    /// A primitive array of values `lo..<lo+n` of a column: a view of the column's memory, or
    /// bits for booleans.
    static func values(_ c: ColumnBuffer, _ lo: Int, _ n: Int, _ holder: BatchHolder) -> UnsafeMutablePointer<ArrowArray> {
        let raw = c.rawBytes.baseAddress!
        guard c.type == .bool else {
            return child(length: n, buffers: [nil, raw + lo * c.type.width], holder: holder)
        }
        let bits = holder.allocate((n + 7) / 8).assumingMemoryBound(to: UInt8.self)
        let bytes = raw.assumingMemoryBound(to: UInt8.self) + lo
        for i in 0..<n where bytes[i] != 0 { bits[i >> 3] |= 1 << UInt8(i & 7) }
        return child(length: n, buffers: [nil, UnsafeRawPointer(bits)], holder: holder)
    }

    /// Exports events `range` of `batch` (whose schema is the stream's) into `out` as a struct
    /// array with one child per field, fields in the order `order` (indices into the schema).
    static func export(_ batch: EventBatch, _ range: Range<Int>, order: [Int], into out: UnsafeMutablePointer<ArrowArray>) throws(CFailure) {
        let schema = batch.schema
        let n = range.count, lo = range.lowerBound
        for c in schema.columns { _ = try column(batch, c) }
        // Lists first: an oversized one fails before anything is allocated.
        var listBounds: [Int: (Int, Int)] = [:]
        for fi in order where schema.fields[fi].elementsPerEvent == nil {
            let f = schema.fields[fi]
            let ends = try column(batch, schema.columns(ofField: fi)[0]).buffer(UInt64.self)
            let start = lo == 0 ? 0 : Int(ends[lo - 1]), end = n == 0 ? start : Int(ends[range.upperBound - 1])
            guard end - start <= Int(Int32.max) else {
                throw CFailure(code: EOVERFLOW, kind: DARKSCAN_ERROR_ARGUMENT, reason: "list-too-long",
                               message: "list '\(f.name)' has more than 2^31-1 elements in one batch, the most an Arrow List holds: ask for fewer events per batch")
            }
            listBounds[fi] = (start, end)
        }
        let holder = BatchHolder(batch)
        var fields: [UnsafeMutablePointer<ArrowArray>] = []
        for fi in order {
            let f = schema.fields[fi], cols = schema.columns(ofField: fi)
            switch f.kind {
            case .scalar:
                fields.append(values(try column(batch, cols[0]), lo, n, holder))
            case .array(_, let shape):
                let per = f.elementsPerEvent!
                var a = values(try column(batch, cols[0]), lo * per, n * per, holder)
                var count = n * per
                for d in shape.reversed() {
                    count /= d
                    a = child(length: count, buffers: [nil], children: [a], holder: holder)
                }
                fields.append(a)
            case .list, .recordList:
                let (start, end) = listBounds[fi]!
                let ends = try column(batch, cols[0]).buffer(UInt64.self)
                let offsets = holder.allocate((n + 1) * 4).assumingMemoryBound(to: Int32.self)
                for i in 0..<n { offsets[i + 1] = Int32(Int(ends[lo + i]) - start) }
                var items: UnsafeMutablePointer<ArrowArray>
                if case .recordList = f.kind {
                    var members: [UnsafeMutablePointer<ArrowArray>] = []
                    for c in cols.dropFirst() { members.append(values(try column(batch, c), start, end - start, holder)) }
                    items = child(length: end - start, buffers: [nil], children: members, holder: holder)
                } else {
                    items = values(try column(batch, cols[1]), start, end - start, holder)
                }
                fields.append(child(length: n, buffers: [nil, UnsafeRawPointer(offsets)], children: [items], holder: holder))
            }
        }
        holder.publish()
        fill(out, length: n, buffers: [nil], children: fields, holder: holder)
    }

    static func column(_ batch: EventBatch, _ c: Column) throws(CFailure) -> ColumnBuffer {
        guard let b = batch.columns[c.index] else {
            throw CFailure(code: EIO, kind: DARKSCAN_ERROR_INTERNAL, reason: "internal", message: "column '\(c.path)' missing from a scanned batch")
        }
        return b
    }
}
