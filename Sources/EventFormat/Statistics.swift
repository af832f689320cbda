import CKernels

/// Min, max and NaN count of a page or column chunk, as stored in the index.
/// `min`/`max` hold 8 bytes whose meaning depends on the column type: the IEEE-754 bits of a
/// float64 for float columns (NaN excluded), an Int64 for signed integers, a UInt64 for
/// unsigned integers and bools. `hasRange` is false when there is no non-NaN value.
public struct Statistics: Sendable, Equatable {
    public var hasRange: Bool
    public var min: UInt64
    public var max: UInt64
    public var nanCount: UInt64

    public static let empty = Statistics(hasRange: false, min: 0, max: 0, nanCount: 0)

    public init(hasRange: Bool, min: UInt64, max: UInt64, nanCount: UInt64) {
        self.hasRange = hasRange
        self.min = min
        self.max = max
        self.nanCount = nanCount
    }

    /// The range as doubles (exact for floats and for integers below 2^53).
    public func range(as type: ScalarType) -> ClosedRange<Double>? {
        guard hasRange else { return nil }
        func value(_ bits: UInt64) -> Double {
            if type.isFloat { return Double(bitPattern: bits) }
            if type.isSignedInteger { return Double(Int64(bitPattern: bits)) }
            return Double(bits)
        }
        return value(min)...value(max)
    }

    /// Widens two statistics into one covering both.
    public func merged(with o: Statistics, type: ScalarType) -> Statistics {
        guard o.hasRange else { return Statistics(hasRange: hasRange, min: min, max: max, nanCount: nanCount &+ o.nanCount) }
        guard hasRange else { return Statistics(hasRange: true, min: o.min, max: o.max, nanCount: nanCount &+ o.nanCount) }
        var lo = min, hi = max
        if type.isFloat {
            if Double(bitPattern: o.min) < Double(bitPattern: lo) { lo = o.min }
            if Double(bitPattern: o.max) > Double(bitPattern: hi) { hi = o.max }
        } else if type.isSignedInteger {
            if Int64(bitPattern: o.min) < Int64(bitPattern: lo) { lo = o.min }
            if Int64(bitPattern: o.max) > Int64(bitPattern: hi) { hi = o.max }
        } else {
            lo = Swift.min(lo, o.min)
            hi = Swift.max(hi, o.max)
        }
        return Statistics(hasRange: true, min: lo, max: hi, nanCount: nanCount &+ o.nanCount)
    }

    /// Computes the statistics of `n` values of `type` at `values`.
    static func compute(_ values: UnsafeRawBufferPointer, count n: Int, type: ScalarType) -> Statistics {
        guard n > 0 else { return .empty }
        switch type {
        case .float32, .float64:
            var lo = 0.0, hi = 0.0
            var nans: UInt64 = 0
            let ok = type == .float32
                ? dk_stats_f32(values.baseAddress!.assumingMemoryBound(to: Float.self), n, &lo, &hi, &nans)
                : dk_stats_f64(values.baseAddress!.assumingMemoryBound(to: Double.self), n, &lo, &hi, &nans)
            return Statistics(hasRange: ok != 0, min: ok != 0 ? lo.bitPattern : 0, max: ok != 0 ? hi.bitPattern : 0, nanCount: nans)
        default:
            let (lo, hi) = IntegerView.minMax(values, count: n, type: type)
            return Statistics(hasRange: true, min: lo, max: hi, nanCount: 0)
        }
    }
}

/// Integer columns seen as 64-bit values: signed types sign-extended, unsigned zero-extended,
/// bools as 0/1. The writer's encoders work on this view.
enum IntegerView {
    @inline(__always)
    static func load(_ p: UnsafeRawBufferPointer, _ i: Int, _ type: ScalarType) -> UInt64 {
        switch type {
        case .bool, .uint8: UInt64(p.load(fromByteOffset: i, as: UInt8.self))
        case .int8: UInt64(bitPattern: Int64(p.load(fromByteOffset: i, as: Int8.self)))
        case .uint16: UInt64(p.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
        case .int16: UInt64(bitPattern: Int64(p.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)))
        case .uint32, .float32: UInt64(p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
        case .int32: UInt64(bitPattern: Int64(p.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
        case .uint64, .int64, .float64: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
        }
    }

    static func widen(_ p: UnsafeRawBufferPointer, count n: Int, type: ScalarType) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: n) { out, done in
            for i in 0..<n { out[i] = load(p, i, type) }
            done = n
        }
    }

    /// Min and max in the type's own order, returned as 64-bit patterns.
    static func minMax(_ p: UnsafeRawBufferPointer, count n: Int, type: ScalarType) -> (UInt64, UInt64) {
        if type.isSignedInteger {
            var lo = Int64.max, hi = Int64.min
            for i in 0..<n {
                let v = Int64(bitPattern: load(p, i, type))
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            return (UInt64(bitPattern: lo), UInt64(bitPattern: hi))
        }
        var lo = UInt64.max, hi = UInt64.min
        for i in 0..<n {
            let v = load(p, i, type)
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return (lo, hi)
    }
}
