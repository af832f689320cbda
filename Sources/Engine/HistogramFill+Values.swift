import EventFormat
import Histograms
import Query

/// The values an axis is filled with, for the selected events of a batch or their elements.
extension HistogramFiller {
    /// The values of `e` for every entry, as Double, into `out` (at least `n` long on return).
    static func values(_ e: Expr, _ ev: Evaluator, _ sel: UnsafeBufferPointer<Int32>, _ ends: [Int]?, _ domain: Domain?, _ n: Int, into out: inout [Double]) throws(EVCError) {
        reserve(&out, n)
        let view = ev.view
        switch e {
        case .scalar(let c, let t) where ends == nil:
            let p = try view.values(c, per: 1)
            out.withUnsafeMutableBufferPointer { HistogramGather.events(p, t, sel, stride: 1, offset: 0, $0.baseAddress!) }
        case .element(let c, let t, let offset, let per) where ends == nil:
            let p = try view.values(c, per: per)
            out.withUnsafeMutableBufferPointer { HistogramGather.events(p, t, sel, stride: per, offset: offset, $0.baseAddress!) }
        case .arraySlice(let c, let t, let offset, let count, let per):
            let p = try view.values(c, per: per)
            out.withUnsafeMutableBufferPointer { HistogramGather.slices(p, t, sel, per: per, offset: offset, count: count, $0.baseAddress!) }
        case .listValues(let c, let t, let o):
            let p = try view.listValues(c, offsetsColumn: o)
            out.withUnsafeMutableBufferPointer { HistogramGather.lists(p, t, sel, ends!, $0.baseAddress!) }
        default:
            if let domain, HistogramFiller.isElementLevel(e) {
                // An element expression: computed over every element of the batch, then gathered.
                let all = e.isBoolean ? try ev.elementMask(e, domain).map { $0 ? 1.0 : 0.0 } : try ev.elementNumbers(e, domain)
                out.withUnsafeMutableBufferPointer { o in
                    all.withUnsafeBufferPointer { HistogramGather.lists(UnsafeRawPointer($0.baseAddress!), .float64, sel, ends!, o.baseAddress!) }
                }
            } else {
                // One value per event (computed over the batch), repeated over elements if any.
                let all = e.isBoolean ? try ev.mask(e).map { $0 ? 1.0 : 0.0 } : try ev.numbers(e)
                out.withUnsafeMutableBufferPointer { o in all.withUnsafeBufferPointer { HistogramFiller.perEntry($0, sel, ends, o.baseAddress!) } }
            }
        }
    }

    /// Whether `e` runs over elements (the checker knows the level; the plan keeps only the
    /// domain, so it is read back from the expression's leaves).
    static func isElementLevel(_ e: Expr) -> Bool {
        switch e {
        case .arraySlice, .listValues: return true
        case .number, .boolean, .scalar, .element, .reduce, .length: return false
        case .negate(let a), .not(let a), .inList(let a, _): return isElementLevel(a)
        case .arith(_, let a, let b), .compare(_, let a, let b): return isElementLevel(a) || isElementLevel(b)
        case .function(_, let xs), .and(let xs), .or(let xs): return xs.contains(where: isElementLevel)
        }
    }
}

/// Typed gathers into Double: the type is switched on once per call, the loops are specialized.
enum HistogramGather {
    @inline(__always)
    static func typed(_ p: UnsafeRawPointer, _ t: ScalarType, _ body: (UnsafeRawPointer, (UnsafeRawPointer, Int) -> Double) -> Void) {
        switch t {
        case .bool: body(p) { $0.load(fromByteOffset: $1, as: UInt8.self) != 0 ? 1 : 0 }
        case .int8: body(p) { Double($0.load(fromByteOffset: $1, as: Int8.self)) }
        case .uint8: body(p) { Double($0.load(fromByteOffset: $1, as: UInt8.self)) }
        case .int16: body(p) { Double($0.load(fromByteOffset: $1 &* 2, as: Int16.self)) }
        case .uint16: body(p) { Double($0.load(fromByteOffset: $1 &* 2, as: UInt16.self)) }
        case .int32: body(p) { Double($0.load(fromByteOffset: $1 &* 4, as: Int32.self)) }
        case .uint32: body(p) { Double($0.load(fromByteOffset: $1 &* 4, as: UInt32.self)) }
        case .int64: body(p) { Double($0.load(fromByteOffset: $1 &* 8, as: Int64.self)) }
        case .uint64: body(p) { Double($0.load(fromByteOffset: $1 &* 8, as: UInt64.self)) }
        case .float32: body(p) { Double($0.load(fromByteOffset: $1 &* 4, as: Float.self)) }
        case .float64: body(p) { $0.load(fromByteOffset: $1 &* 8, as: Double.self) }
        }
    }

    /// out[k] = value of event sel[k] (at sel[k]·stride + offset).
    static func events(_ p: UnsafeRawPointer, _ t: ScalarType, _ sel: UnsafeBufferPointer<Int32>, stride: Int, offset: Int, _ out: UnsafeMutablePointer<Double>) {
        typed(p, t) { p, load in
            for k in 0..<sel.count { out[k] = load(p, Int(sel[k]) &* stride &+ offset) }
        }
    }

    /// The `count` values at i·per + offset of each selected event i, in order.
    static func slices(_ p: UnsafeRawPointer, _ t: ScalarType, _ sel: UnsafeBufferPointer<Int32>, per: Int, offset: Int, count: Int, _ out: UnsafeMutablePointer<Double>) {
        typed(p, t) { p, load in
            var k = 0
            for i in sel {
                let base = Int(i) &* per &+ offset
                for j in 0..<count { out[k &+ j] = load(p, base &+ j) }
                k &+= count
            }
        }
    }

    /// The values ends[i] ..< ends[i+1] of each selected event i, in order.
    static func lists(_ p: UnsafeRawPointer, _ t: ScalarType, _ sel: UnsafeBufferPointer<Int32>, _ ends: [Int], _ out: UnsafeMutablePointer<Double>) {
        typed(p, t) { p, load in
            var k = 0
            for i in sel {
                for j in ends[Int(i)]..<ends[Int(i) + 1] { out[k] = load(p, j); k &+= 1 }
            }
        }
    }
}
