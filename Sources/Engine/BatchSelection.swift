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
/// One per cluster scan, reused batch after batch: nothing is allocated per batch.
struct BatchSelection: ~Copyable {
    enum Form { case all, mask, list }

    /// Below 1/denseFraction of the batch selected, a test walks the index list instead of
    /// comparing the whole batch. Measured (scan-bench prints the table; Bench/README.md): a
    /// dense float32 test costs ~0.045 ns per event of the batch whatever is selected; walking
    /// the list ~0.6 ns per selected event, after ~0.02 ns per event of the batch to make the
    /// list from a sparse mask; the two meet near 1/32.
    static let denseFraction = 32

    let capacity: Int
    /// Events in the batch.
    private(set) var size = 0
    /// Events selected.
    private(set) var count = 0
    private(set) var form = Form.all
    /// The list holds the selected events (in the mask form it is made on demand and kept
    /// until the next change).
    private var listValid = false
    // Safe: both hold `capacity` rounded up to 64 events (the kernels write whole words, and the
    // mask-to-list kernel stores 8 indices at a time), and `reset` refuses batches larger than
    // `capacity`; the kernels touch only the first `size` events.
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

    /// The selected events of the batch (indices within it), ascending: valid until the
    /// selection next changes. After cut k of Scan.process these are the events passing cuts
    /// 1...k — what a step that reads them one by one (weights, a skim, a histogram fill) takes.
    /// From a mask this makes the list once; the form stays a mask, so later tests can still
    /// run dense.
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
        let (s, o, op, l, n) = (t.per, t.offset, t.code, list, count)
        switch t.constant {
        case .f32(let c): return dk_narrow_f32(p.assumingMemoryBound(to: Float.self), s, o, op, c, l, n)
        case .f64(let c): return dk_narrow_f64(p.assumingMemoryBound(to: Double.self), s, o, op, c, l, n)
        case .u8(let c): return dk_narrow_u8(p.assumingMemoryBound(to: UInt8.self), s, o, op, c, l, n)
        case .i8(let c): return dk_narrow_i8(p.assumingMemoryBound(to: Int8.self), s, o, op, c, l, n)
        case .i16(let c): return dk_narrow_i16(p.assumingMemoryBound(to: Int16.self), s, o, op, c, l, n)
        case .u16(let c): return dk_narrow_u16(p.assumingMemoryBound(to: UInt16.self), s, o, op, c, l, n)
        case .i32(let c): return dk_narrow_i32(p.assumingMemoryBound(to: Int32.self), s, o, op, c, l, n)
        case .u32(let c): return dk_narrow_u32(p.assumingMemoryBound(to: UInt32.self), s, o, op, c, l, n)
        case .i64(let c): return dk_narrow_i64(p.assumingMemoryBound(to: Int64.self), s, o, op, c, l, n)
        case .u64(let c): return dk_narrow_u64(p.assumingMemoryBound(to: UInt64.self), s, o, op, c, l, n)
        }
    }
}
