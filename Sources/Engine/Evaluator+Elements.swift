import EventFormat
import Query

/// Element-level evaluation: values over every element of a domain in the batch, with event
/// values broadcast to their elements, and the segment ends that split elements by event.
extension Evaluator {
    /// Segment ends: event i of the batch owns elements ends[i] ..< ends[i+1].
    func segments(_ d: Domain) throws(EVCError) -> [Int] {
        switch d {
        case .array(let count): return (0...view.count).map { $0 * count }
        case .list(let offsetsColumn): return try view.offsets(offsetsColumn).ends
        }
    }

    func elementNumbers(_ e: Expr, _ d: Domain) throws(EVCError) -> [Double] {
        switch e {
        case .arraySlice(let c, let t, let offset, let count, let per):
            let p = try view.values(c, per: per)
            if count == per { return Evaluator.widen(p, t, count: view.count * per, stride: 1, offset: 0) }
            var out: [Double] = []
            out.reserveCapacity(view.count * count)
            for i in 0..<view.count {
                out += Evaluator.widen(p, t, count: count, stride: 1, offset: i * per + offset)
            }
            return out
        case .listValues(let c, let t, let o):
            let total = try view.offsets(o).elements.count
            return Evaluator.widen(try view.listValues(c, offsetsColumn: o), t, count: total, stride: 1, offset: 0)
        case .number(let v):
            return [Double](repeating: v, count: try segments(d).last!)
        case .negate(let a): return try elementNumbers(a, d).map { -$0 }
        case .arith(let op, let a, let b): return Evaluator.arith(op, try elementNumbers(a, d), try elementNumbers(b, d))
        case .function(let f, let args): return Evaluator.apply(f, try args.map { (a) throws(EVCError) in try elementNumbers(a, d) })
        default:
            // An event-level value: broadcast to the event's elements.
            let v = try numbers(e)
            let ends = try segments(d)
            var out = [Double](repeating: 0, count: ends.last!)
            for i in 0..<view.count { for j in ends[i]..<ends[i + 1] { out[j] = v[i] } }
            return out
        }
    }

    func elementMask(_ e: Expr, _ d: Domain) throws(EVCError) -> [Bool] {
        switch e {
        case .compare(let op, let a, let b):
            if a.isBoolean {
                let x = try elementMask(a, d), y = try elementMask(b, d)
                return zip(x, y).map { op == .eq ? $0 == $1 : $0 != $1 }
            }
            let x = try elementNumbers(a, d), y = try elementNumbers(b, d)
            return zip(x, y).map { Evaluator.compare(op, $0, $1) }
        case .inList(let a, let values):
            return try elementNumbers(a, d).map { x in values.contains { $0 == x } }
        case .and(let parts):
            var m = try elementMask(parts[0], d)
            for p in parts.dropFirst() { m = zip(m, try elementMask(p, d)).map { $0 && $1 } }
            return m
        case .or(let parts):
            var m = try elementMask(parts[0], d)
            for p in parts.dropFirst() { m = zip(m, try elementMask(p, d)).map { $0 || $1 } }
            return m
        case .not(let a): return try elementMask(a, d).map { !$0 }
        case .arraySlice, .listValues:
            // A bool array or list: its values.
            return try elementNumbers(e, d).map { $0 != 0 }
        case .boolean(let b): return [Bool](repeating: b, count: try segments(d).last!)
        default:
            // An event-level condition, broadcast.
            let m = try mask(e)
            let ends = try segments(d)
            var out = [Bool](repeating: false, count: ends.last!)
            for i in 0..<view.count where m[i] { for j in ends[i]..<ends[i + 1] { out[j] = true } }
            return out
        }
    }
}
