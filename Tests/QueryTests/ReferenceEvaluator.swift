@testable import EventFormat
@testable import Query

/// A plain, one-event-at-a-time interpreter of checked expressions over an in-memory batch:
/// the reference the vectorized engine is compared with. Same semantics (Formats/QUERY.md):
/// NaN fails every comparison, min/max of nothing is NaN, sum of nothing is 0.
struct ReferenceEvaluator {
    let batch: EventBatch

    func value(_ c: Int, _ i: Int) -> Double { batch.columns[c]!.double(at: i) }

    func ends(_ d: Domain, _ i: Int) -> Range<Int> {
        switch d {
        case .array(let count): return i * count..<(i + 1) * count
        case .list(let o):
            let off = batch.columns[o]!.buffer(UInt64.self)
            return (i == 0 ? 0 : Int(off[i - 1]))..<Int(off[i])
        }
    }

    func cmp(_ op: CompareOp, _ x: Double, _ y: Double) -> Bool {
        switch op {
        case .lt: return x < y
        case .le: return x <= y
        case .gt: return x > y
        case .ge: return x >= y
        case .eq: return x == y
        case .ne: return !x.isNaN && !y.isNaN && x != y
        }
    }

    /// Event-level number.
    func number(_ e: Expr, _ i: Int) -> Double {
        switch e {
        case .number(let v): return v
        case .scalar(let c, _): return value(c, i)
        case .element(let c, _, let offset, let per): return value(c, i * per + offset)
        case .negate(let a): return -number(a, i)
        case .arith(let op, let a, let b): return arith(op, number(a, i), number(b, i))
        case .function(let f, let args): return fn(f, args.map { number($0, i) })
        case .reduce(let r, let inner, let d):
            let n = ends(d, i).count
            if r == .count { return Double((0..<n).filter { elementTruth(inner, d, i, $0) }.count) }
            let vs = (0..<n).map { elementNumber(inner, d, i, $0) }.filter { !$0.isNaN || r == .sum }
            switch r {
            case .sum: return vs.reduce(0, +)
            case .min: return vs.min() ?? .nan
            case .max: return vs.max() ?? .nan
            default: fatalError()
            }
        case .length(let d): return Double(ends(d, i).count)
        default: return truth(e, i) ? 1 : 0
        }
    }

    func arith(_ op: ArithOp, _ x: Double, _ y: Double) -> Double {
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        }
    }

    func fn(_ f: Function, _ a: [Double]) -> Double {
        switch f {
        case .abs: return Swift.abs(a[0])
        case .sqrt: return a[0].squareRoot()
        case .log: return Foundation.log(a[0])
        case .exp: return Foundation.exp(a[0])
        case .pow: return Foundation.pow(a[0], a[1])
        case .min: return a[0].isNaN || a[1].isNaN ? .nan : Swift.min(a[0], a[1])
        case .max: return a[0].isNaN || a[1].isNaN ? .nan : Swift.max(a[0], a[1])
        }
    }

    /// Event-level condition.
    func truth(_ e: Expr, _ i: Int) -> Bool {
        switch e {
        case .boolean(let b): return b
        case .and(let xs): return xs.allSatisfy { truth($0, i) }
        case .or(let xs): return xs.contains { truth($0, i) }
        case .not(let x): return !truth(x, i)
        case .compare(let op, let a, let b):
            if a.isBoolean { return op == .eq ? truth(a, i) == truth(b, i) : truth(a, i) != truth(b, i) }
            return cmp(op, number(a, i), number(b, i))
        case .inList(let a, let vs): let x = number(a, i); return vs.contains(x)
        case .scalar(let c, _): return value(c, i) != 0
        case .element(let c, _, let o, let per): return value(c, i * per + o) != 0
        case .reduce(let r, let inner, let d):
            let n = ends(d, i).count
            let ts = (0..<n).map { elementTruth(inner, d, i, $0) }
            return r == .any ? ts.contains(true) : !ts.contains(false)
        default: fatalError("not a condition")
        }
    }

    func elementNumber(_ e: Expr, _ d: Domain, _ i: Int, _ k: Int) -> Double {
        switch e {
        case .arraySlice(let c, _, let offset, _, let per): return value(c, i * per + offset + k)
        case .listValues(let c, _, _): return value(c, ends(d, i).lowerBound + k)
        case .negate(let a): return -elementNumber(a, d, i, k)
        case .arith(let op, let a, let b): return arith(op, elementNumber(a, d, i, k), elementNumber(b, d, i, k))
        case .function(let f, let args): return fn(f, args.map { elementNumber($0, d, i, k) })
        default: return number(e, i)
        }
    }

    func elementTruth(_ e: Expr, _ d: Domain, _ i: Int, _ k: Int) -> Bool {
        switch e {
        case .compare(let op, let a, let b):
            if a.isBoolean { return op == .eq ? elementTruth(a, d, i, k) == elementTruth(b, d, i, k) : elementTruth(a, d, i, k) != elementTruth(b, d, i, k) }
            return cmp(op, elementNumber(a, d, i, k), elementNumber(b, d, i, k))
        case .inList(let a, let vs): return vs.contains(elementNumber(a, d, i, k))
        case .and(let xs): return xs.allSatisfy { elementTruth($0, d, i, k) }
        case .or(let xs): return xs.contains { elementTruth($0, d, i, k) }
        case .not(let x): return !elementTruth(x, d, i, k)
        case .arraySlice, .listValues: return elementNumber(e, d, i, k) != 0
        case .boolean(let b): return b
        default: return truth(e, i)
        }
    }

    /// The cut flow, event by event.
    func cutFlow(_ q: CheckedQuery) -> [Int] {
        var counts = [Int](repeating: 0, count: q.cuts.count)
        for i in 0..<batch.eventCount {
            for (k, c) in q.cuts.enumerated() {
                guard truth(c.expr, i) else { break }
                counts[k] += 1
            }
        }
        return counts
    }
}

import Foundation
