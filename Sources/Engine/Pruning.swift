import EventFormat
import Query

/// What a cluster's statistics prove about a condition for all of its events.
enum Truth {
    case alwaysTrue, alwaysFalse, unknown

    var negated: Truth {
        switch self {
        case .alwaysTrue: .alwaysFalse
        case .alwaysFalse: .alwaysTrue
        case .unknown: .unknown
        }
    }
}

/// Proves conditions true or false for a run of events from column statistics (min, max, NaN
/// count) — of a whole cluster's chunks, or of the pages a batch spans — so that a scan can skip
/// evaluating them, and decoding their columns, while keeping the cut-flow counts exact.
enum Pruning {
    /// `stats(column, per)` gives the statistics of the column's values for the events in
    /// question (`per` values per event), or nil when unknown.
    typealias StatsLookup = (Int, Int) -> Statistics?

    static func truth(_ e: Expr, _ cluster: ClusterInfo) -> Truth {
        guard cluster.eventCount > 0 else { return .unknown }
        // Columns past the cluster's own (derived by the scan) have no statistics here.
        return truth(e) { c, _ in c < cluster.columns.count ? cluster.columns[c].stats : nil }
    }

    static func truth(_ e: Expr, _ stats: StatsLookup) -> Truth {
        switch e {
        case .boolean(let b): return b ? .alwaysTrue : .alwaysFalse
        case .and(let parts):
            let ts = parts.map { truth($0, stats) }
            if ts.contains(.alwaysFalse) { return .alwaysFalse }
            return ts.allSatisfy { $0 == .alwaysTrue } ? .alwaysTrue : .unknown
        case .or(let parts):
            let ts = parts.map { truth($0, stats) }
            if ts.contains(.alwaysTrue) { return .alwaysTrue }
            return ts.allSatisfy { $0 == .alwaysFalse } ? .alwaysFalse : .unknown
        case .not(let inner): return truth(inner, stats).negated
        case .compare(let op, let a, let b):
            if case .number(let c) = b { return compare(op, a, c, stats) }
            if case .number(let c) = a { return compare(Evaluator.flipped(op), b, c, stats) }
            return .unknown
        default:
            return .unknown
        }
    }

    /// `x op c` where x is a column value (scalar or array element).
    static func compare(_ op: CompareOp, _ x: Expr, _ c: Double, _ lookup: StatsLookup) -> Truth {
        let column: Int, type: ScalarType, per: Int
        switch x {
        case .scalar(let col, let t):
            (column, type, per) = (col, t, 1)
        case .element(let col, let t, _, let p):
            // The statistics cover every element of the array, so they bound this one too.
            (column, type, per) = (col, t, p)
        default: return .unknown
        }
        guard type != .bool, let stats = lookup(column, per) else { return .unknown }
        if c.isNaN { return .alwaysFalse }  // every comparison with NaN is false
        guard let range = stats.range(as: type) else {
            // No value but NaN: every comparison is false.
            return stats.nanCount > 0 ? .alwaysFalse : .unknown
        }
        // Integers above 2^53 are not exact as Double: do not prove anything about them.
        if type.isInteger && max(Swift.abs(range.lowerBound), Swift.abs(range.upperBound)) >= 9.0e15 { return .unknown }
        let lo = range.lowerBound, hi = range.upperBound
        let noNaN = stats.nanCount == 0
        func result(allTrue: Bool, allFalse: Bool) -> Truth {
            if allFalse { return .alwaysFalse }
            if allTrue && noNaN { return .alwaysTrue }
            return .unknown
        }
        switch op {
        case .lt: return result(allTrue: hi < c, allFalse: lo >= c)
        case .le: return result(allTrue: hi <= c, allFalse: lo > c)
        case .gt: return result(allTrue: lo > c, allFalse: hi <= c)
        case .ge: return result(allTrue: lo >= c, allFalse: hi < c)
        case .eq: return result(allTrue: lo == c && hi == c, allFalse: c < lo || c > hi)
        case .ne: return result(allTrue: c < lo || c > hi, allFalse: lo == c && hi == c)
        }
    }
}
