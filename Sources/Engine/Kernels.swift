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

    /// `value op constant` on a column of `type`, where the constant is a Double. Float32
    /// columns compare in float32 against an adjusted constant that gives exactly the result of
    /// comparing the widened value with the Double; integers compare as Double (exact below 2^53).
    static func filterColumn(_ p: UnsafeRawPointer, type: ScalarType, stride: Int, offset: Int, _ sel: Selection, _ op: CompareOp, _ c: Double) -> Selection {
        switch type {
        case .float32:
            let v = p.assumingMemoryBound(to: Float.self)
            guard let (op32, c32) = float32Threshold(op, c) else {
                // == or != against a value no float32 holds: never equal; != holds but for NaN.
                return op == .ne ? notNaN(v, stride: stride, offset: offset, sel) : []
            }
            return filter(v, stride: stride, offset: offset, sel, op32, c32)
        case .float64: return filter(p.assumingMemoryBound(to: Double.self), stride: stride, offset: offset, sel, op, c)
        default:
            return filterWidened(p, type: type, stride: stride, offset: offset, sel, op, c)
        }
    }

    static func notNaN(_ v: UnsafePointer<Float>, stride: Int, offset: Int, _ sel: Selection) -> Selection {
        sel.filter { !v[Int($0) * stride + offset].isNaN }
    }

    static func filterWidened(_ p: UnsafeRawPointer, type: ScalarType, stride: Int, offset: Int, _ sel: Selection, _ op: CompareOp, _ c: Double) -> Selection {
        switch type {
        case .int8: return filter(p.assumingMemoryBound(to: Int8.self), stride: stride, offset: offset, sel, op, c)
        case .int16: return filter(p.assumingMemoryBound(to: Int16.self), stride: stride, offset: offset, sel, op, c)
        case .int32: return filter(p.assumingMemoryBound(to: Int32.self), stride: stride, offset: offset, sel, op, c)
        case .int64: return filter(p.assumingMemoryBound(to: Int64.self), stride: stride, offset: offset, sel, op, c)
        case .uint8, .bool: return filter(p.assumingMemoryBound(to: UInt8.self), stride: stride, offset: offset, sel, op, c)
        case .uint16: return filter(p.assumingMemoryBound(to: UInt16.self), stride: stride, offset: offset, sel, op, c)
        case .uint32: return filter(p.assumingMemoryBound(to: UInt32.self), stride: stride, offset: offset, sel, op, c)
        case .uint64: return filter(p.assumingMemoryBound(to: UInt64.self), stride: stride, offset: offset, sel, op, c)
        case .float32, .float64: fatalError("floats take the float kernels")
        }
    }

    /// Integer values against a Double constant: the constant is turned into the integer
    /// threshold that gives the same answer, so the loop compares integers.
    @inline(__always)
    static func filter<T: FixedWidthInteger>(_ v: UnsafePointer<T>, stride: Int, offset: Int, _ sel: Selection, _ op: CompareOp, _ c: Double) -> Selection {
        if c.isNaN { return [] }
        let lo = Double(T.min), hi = Double(T.max)
        // For 64-bit types Double(T.max) rounds up past T.max: a threshold there is above all.
        func aboveAll(_ t: Double) -> Bool { t > hi || (t == hi && T.bitWidth == 64) }
        switch op {
        case .lt, .ge:
            let t = c.rounded(.up)  // x < c  <=>  x < ceil(c)
            if aboveAll(t) { return op == .lt ? sel : [] }
            if t <= lo { return op == .lt ? [] : sel }
            return filter(v, stride: stride, offset: offset, sel, op, T(t))
        case .le, .gt:
            let t = c.rounded(.down)  // x <= c  <=>  x <= floor(c)
            if t < lo { return op == .le ? [] : sel }
            if aboveAll(t) { return op == .le ? sel : [] }
            return filter(v, stride: stride, offset: offset, sel, op, T(t))
        case .eq, .ne:
            guard c == c.rounded(), c >= lo, !aboveAll(c) else { return op == .eq ? [] : sel }
            return filter(v, stride: stride, offset: offset, sel, op, T(c))
        }
    }

    /// The float32 comparison equal to comparing Double(x) with `c` for every x; nil for == and
    /// != against a value float32 cannot hold (never equal).
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
