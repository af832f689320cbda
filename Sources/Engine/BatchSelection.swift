import CKernels
import EventFormat
import Query

/// The events of one batch that are still selected, held in the form that is cheaper for the
/// selectivity so far (Formats/QUERY.md, section 8):
/// - all: every event of the batch, nothing stored;
/// - mask: one bit per event; a test then compares every value of the batch 64 at a time and
///   ANDs the result in (dense evaluation);
/// - list: the ascending indices of the selected events; a test then looks only at those.
/// Each test picks the form from the count it starts with: dense while at least
/// 1/`denseFraction` of the batch is selected, the list below that.
///
/// One per worker, reused batch after batch: nothing is allocated per batch.
struct BatchSelection: ~Copyable {
    enum Form { case all, mask, list }

    /// Below 1/denseFraction of the batch selected, a test walks the index list instead of
    /// comparing the whole batch. Measured with `scan-bench --selectivity` (Bench/README.md).
    static let denseFraction = 8

    let capacity: Int
    /// Events in the batch.
    private(set) var size = 0
    /// Events selected.
    private(set) var count = 0
    private(set) var form = Form.all
    /// The list holds the selected events (in the mask form it is made on demand and kept
    /// until the next change).
    private var listValid = false
    private let words: UnsafeMutablePointer<UInt64>
    private let list: UnsafeMutablePointer<Int32>

    init(capacity: Int) {
        self.capacity = capacity
        let rounded = (capacity + 63) / 64 * 64
        words = .allocate(capacity: rounded / 64)
        list = .allocate(capacity: rounded)
    }

    deinit {
        words.deallocate()
        list.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// A new batch of `n` events, all selected.
    mutating func reset(_ n: Int) {
        precondition(n <= capacity)
        size = n
        count = n
        form = .all
        listValid = false
    }

    /// Deselects every event.
    mutating func clear() {
        count = 0
        form = .list
        listValid = true
    }

    /// The selected events of the batch, ascending: valid until the selection next changes.
    mutating func indices() -> UnsafeBufferPointer<Int32> {
        if !listValid {
            switch form {
            case .all:
                for i in 0..<size { list[i] = Int32(truncatingIfNeeded: i) }
            case .mask:
                let k = dk_mask_indices(words, size, list)
                precondition(k == count, "mask holds \(k) events, expected \(count)")
            case .list:
                break
            }
            listValid = true
        }
        return UnsafeBufferPointer(start: list, count: count)
    }

    /// Keeps the events of `kept` (a subset of the selected events, ascending).
    mutating func replace(with kept: Selection) {
        precondition(kept.count <= count)
        kept.withUnsafeBufferPointer { k in
            if let b = k.baseAddress { list.update(from: b, count: k.count) }
        }
        count = kept.count
        form = .list
        listValid = true
    }

    /// Keeps the events whose value passes `test`. `values` holds the batch's values of the
    /// test's column, `test.per` per event.
    mutating func apply(_ test: ColumnTest, values: UnsafeRawPointer) {
        guard count > 0 else { return }
        let dense = test.per == 1 && (form == .all || (form == .mask && count * BatchSelection.denseFraction >= size))
        if dense {
            count = maskTest(test, values, narrow: form == .mask)
            form = .mask
            listValid = false
        } else {
            _ = indices()
            count = listTest(test, values)
            form = .list
        }
    }

    private func maskTest(_ t: ColumnTest, _ p: UnsafeRawPointer, narrow: Bool) -> Int {
        let n = size, op = t.code, w = words, a: Int32 = narrow ? 1 : 0
        switch t.constant {
        case .f32(let c): return dk_mask_f32(p.assumingMemoryBound(to: Float.self), n, op, c, w, a)
        case .f64(let c): return dk_mask_f64(p.assumingMemoryBound(to: Double.self), n, op, c, w, a)
        case .u8(let c): return dk_mask_u8(p.assumingMemoryBound(to: UInt8.self), n, op, c, w, a)
        case .i8(let c): return dk_mask_i8(p.assumingMemoryBound(to: Int8.self), n, op, c, w, a)
        case .i16(let c): return dk_mask_i16(p.assumingMemoryBound(to: Int16.self), n, op, c, w, a)
        case .u16(let c): return dk_mask_u16(p.assumingMemoryBound(to: UInt16.self), n, op, c, w, a)
        case .i32(let c): return dk_mask_i32(p.assumingMemoryBound(to: Int32.self), n, op, c, w, a)
        case .u32(let c): return dk_mask_u32(p.assumingMemoryBound(to: UInt32.self), n, op, c, w, a)
        case .i64(let c): return dk_mask_i64(p.assumingMemoryBound(to: Int64.self), n, op, c, w, a)
        case .u64(let c): return dk_mask_u64(p.assumingMemoryBound(to: UInt64.self), n, op, c, w, a)
        }
    }

    private func listTest(_ t: ColumnTest, _ p: UnsafeRawPointer) -> Int {
        func run<T: Comparable>(_: T.Type, _ c: T) -> Int {
            BatchSelection.narrow(list, count, p.assumingMemoryBound(to: T.self), stride: t.per, offset: t.offset, t.op, c)
        }
        switch t.constant {
        case .f32(let c): return run(Float.self, c)
        case .f64(let c): return run(Double.self, c)
        case .u8(let c): return run(UInt8.self, c)
        case .i8(let c): return run(Int8.self, c)
        case .i16(let c): return run(Int16.self, c)
        case .u16(let c): return run(UInt16.self, c)
        case .i32(let c): return run(Int32.self, c)
        case .u32(let c): return run(UInt32.self, c)
        case .i64(let c): return run(Int64.self, c)
        case .u64(let c): return run(UInt64.self, c)
        }
    }

    /// Keeps, in place, the first `n` indices of `list` whose value passes `op c`; returns how
    /// many. Branch-free: every index is written, the count advances by the comparison result
    /// (writing at k <= j never overwrites an index not yet read).
    @inline(__always)
    static func narrow<T: Comparable>(_ list: UnsafeMutablePointer<Int32>, _ n: Int, _ v: UnsafePointer<T>, stride: Int, offset: Int,
                                      _ op: CompareOp, _ c: T) -> Int {
        var k = 0
        @inline(__always) func keep(_ j: Int, _ pass: (T) -> Bool) {
            let i = list[j]
            list[k] = i
            k &+= Kernels.bit(pass(v[Int(i) &* stride &+ offset]))
        }
        switch op {
        case .lt: for j in 0..<n { keep(j) { $0 < c } }
        case .le: for j in 0..<n { keep(j) { $0 <= c } }
        case .gt: for j in 0..<n { keep(j) { $0 > c } }
        case .ge: for j in 0..<n { keep(j) { $0 >= c } }
        case .eq: for j in 0..<n { keep(j) { $0 == c } }
        case .ne: for j in 0..<n { keep(j) { $0 < c || $0 > c } }
        }
        return k
    }
}
