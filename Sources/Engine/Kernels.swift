import CKernels
import EventFormat
import Query

/// Comparison kernels: keep the selected indices whose value passes `value op constant`.
/// Branch-free: every index is written, the output count advances by the comparison result.
/// NaN fails every comparison, `!=` included (it is evaluated as `<` or `>`).
enum Kernels {
    @inline(__always)
    static func bit(_ b: Bool) -> Int { Int(unsafeBitCast(b, to: UInt8.self)) }

    @inline(__always)
    static func filter<T: Comparable>(_ v: UnsafePointer<T>, stride: Int, offset: Int, _ sel: Selection, _ op: CompareOp, _ c: T) -> Selection {
        Selection(unsafeUninitializedCapacity: sel.count) { buf, n in
            var k = 0
            sel.withUnsafeBufferPointer { s in
                switch op {
                case .lt: for i in s { buf[k] = i; k &+= bit(v[Int(i) &* stride &+ offset] < c) }
                case .le: for i in s { buf[k] = i; k &+= bit(v[Int(i) &* stride &+ offset] <= c) }
                case .gt: for i in s { buf[k] = i; k &+= bit(v[Int(i) &* stride &+ offset] > c) }
                case .ge: for i in s { buf[k] = i; k &+= bit(v[Int(i) &* stride &+ offset] >= c) }
                case .eq: for i in s { buf[k] = i; k &+= bit(v[Int(i) &* stride &+ offset] == c) }
                case .ne:
                    for i in s {
                        let x = v[Int(i) &* stride &+ offset]
                        buf[k] = i
                        k &+= bit(x < c || x > c)
                    }
                }
            }
            n = k
        }
    }

    static func code(_ op: CompareOp) -> Int32 {
        switch op {
        case .lt: 0
        case .le: 1
        case .gt: 2
        case .ge: 3
        case .eq: 4
        case .ne: 5
        }
    }

    /// `value op constant` on a column of `type`, where the constant is a Double. Float32
    /// columns compare in float32 against an adjusted constant that gives exactly the result of
    /// comparing the widened value with the Double; integer columns against an adjusted integer.
    /// `dense` says that `sel` is the whole batch 0..<sel.count over contiguous values: the C
    /// kernels then compare 64 values at a time into a bit mask and list the set bits.
    static func filterColumn(_ p: UnsafeRawPointer, type: ScalarType, stride: Int, offset: Int, _ sel: Selection, _ op: CompareOp, _ c: Double,
                             dense: Bool = false) -> Selection {
        let dense = dense && stride == 1 && offset == 0
        switch type {
        case .float32:
            let v = p.assumingMemoryBound(to: Float.self)
            guard let (op32, c32) = float32Threshold(op, c) else {
                // == or != against a value no float32 holds: never equal; != holds but for NaN.
                return op == .ne ? notNaN(v, stride: stride, offset: offset, sel) : []
            }
            if dense { return denseSelect(sel.count) { dk_mask_f32(v, sel.count, code(op32), c32, $0, 0) } }
            return filter(v, stride: stride, offset: offset, sel, op32, c32)
        case .float64:
            let v = p.assumingMemoryBound(to: Double.self)
            if dense { return denseSelect(sel.count) { dk_mask_f64(v, sel.count, code(op), c, $0, 0) } }
            return filter(v, stride: stride, offset: offset, sel, op, c)
        case .uint8, .bool:
            let v = p.assumingMemoryBound(to: UInt8.self)
            switch integerThreshold(op, c, UInt8.self) {
            case .none: return []
            case .all: return sel
            case .compare(let o, let t):
                if dense { return denseSelect(sel.count) { dk_mask_u8(v, sel.count, code(o), t, $0, 0) } }
                return filter(v, stride: stride, offset: offset, sel, o, t)
            }
        case .int8: return filterInteger(p.assumingMemoryBound(to: Int8.self), stride: stride, offset: offset, sel, op, c)
        case .int16: return filterInteger(p.assumingMemoryBound(to: Int16.self), stride: stride, offset: offset, sel, op, c)
        case .int32: return filterInteger(p.assumingMemoryBound(to: Int32.self), stride: stride, offset: offset, sel, op, c)
        case .int64: return filterInteger(p.assumingMemoryBound(to: Int64.self), stride: stride, offset: offset, sel, op, c)
        case .uint16: return filterInteger(p.assumingMemoryBound(to: UInt16.self), stride: stride, offset: offset, sel, op, c)
        case .uint32: return filterInteger(p.assumingMemoryBound(to: UInt32.self), stride: stride, offset: offset, sel, op, c)
        case .uint64: return filterInteger(p.assumingMemoryBound(to: UInt64.self), stride: stride, offset: offset, sel, op, c)
        }
    }

    /// The indices of the `n` events that pass, from a kernel that writes their bit mask.
    @inline(__always)
    static func denseSelect(_ n: Int, _ mask: (UnsafeMutablePointer<UInt64>) -> Int) -> Selection {
        guard n > 0 else { return [] }
        let words = (n + 63) / 64
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { w in
            let passed = mask(w.baseAddress!)
            // The list kernel stores 8 indices at a time: room for whole words.
            let out = Selection(unsafeUninitializedCapacity: words * 64) { buf, k in k = dk_mask_indices(w.baseAddress!, n, buf.baseAddress!) }
            precondition(out.count == passed)
            return out
        }
    }

    static func notNaN(_ v: UnsafePointer<Float>, stride: Int, offset: Int, _ sel: Selection) -> Selection {
        sel.filter { !v[Int($0) * stride + offset].isNaN }
    }

    enum Threshold<T> {
        case none, all
        case compare(CompareOp, T)
    }

    static func filterInteger<T: FixedWidthInteger>(_ v: UnsafePointer<T>, stride: Int, offset: Int, _ sel: Selection, _ op: CompareOp, _ c: Double) -> Selection {
        switch integerThreshold(op, c, T.self) {
        case .none: return []
        case .all: return sel
        case .compare(let o, let t): return filter(v, stride: stride, offset: offset, sel, o, t)
        }
    }

    /// An integer `x op c`, for every x of type T, as a comparison with an integer of T (or
    /// always false, or always true).
    static func integerThreshold<T: FixedWidthInteger>(_ op: CompareOp, _ c: Double, _: T.Type) -> Threshold<T> {
        if c.isNaN { return .none }
        let lo = Double(T.min), hi = Double(T.max)
        // For 64-bit types Double(T.max) rounds up past T.max: a threshold there is above all.
        func aboveAll(_ t: Double) -> Bool { t > hi || (t == hi && T.bitWidth == 64) }
        switch op {
        case .lt, .ge:
            let t = c.rounded(.up)  // x < c  <=>  x < ceil(c)
            if aboveAll(t) { return op == .lt ? .all : .none }
            if t <= lo { return op == .lt ? .none : .all }
            return .compare(op, T(t))
        case .le, .gt:
            let t = c.rounded(.down)  // x <= c  <=>  x <= floor(c)
            if t < lo { return op == .le ? .none : .all }
            if aboveAll(t) { return op == .le ? .all : .none }
            return .compare(op, T(t))
        case .eq, .ne:
            guard c == c.rounded(), c >= lo, !aboveAll(c) else { return op == .eq ? .none : .all }
            return .compare(op, T(c))
        }
    }

    static func float32Threshold(_ op: CompareOp, _ c: Double) -> (CompareOp, Float)? {
        if c.isNaN { return (op, .nan) }  // every comparison with NaN is false
        let f = Float(c)  // nearest, or ±inf beyond the range
        if Double(f) == c { return (op, f) }
        if f.isInfinite {
            // c is finite but beyond every finite float32: only an infinity lies past it.
            switch (op, c > 0) {
            case (.lt, true), (.le, true): return (.lt, .infinity)
            case (.gt, true), (.ge, true): return (.eq, .infinity)
            case (.lt, false), (.le, false): return (.eq, -.infinity)
            case (.gt, false), (.ge, false): return (.gt, -.infinity)
            default: return nil
            }
        }
        // c lies strictly between two neighbouring float32 values.
        let below = Double(f) < c ? f : f.nextDown
        let above = Double(f) > c ? f : f.nextUp
        switch op {
        case .lt, .le: return (.le, below)
        case .gt, .ge: return (.ge, above)
        case .eq, .ne: return nil
        }
    }
}
