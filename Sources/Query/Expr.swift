import EventFormat

/// Where element-level values live: the elements of a fixed-size array slice (the same count in
/// every event) or of one list field (counts from its offsets).
public enum Domain: Sendable, Equatable, Hashable {
    case array(count: Int)
    case list(offsetsColumn: Int)
}

public enum CompareOp: String, Sendable { case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "==", ne = "!=" }
public enum ArithOp: String, Sendable { case add = "+", sub = "-", mul = "*", div = "/" }
public enum Function: String, Sendable { case abs, sqrt, log, exp, pow, min, max }
public enum Reduction: String, Sendable { case sum, min, max, count, any, all }

/// The checked plan of an expression: names bound to physical columns, units folded into
/// constants, shapes known. Numeric values are evaluated as Double unless a kernel knows better.
public indirect enum Expr: Sendable, Equatable {
    case number(Double)
    case boolean(Bool)
    /// A scalar column: one value per event.
    case scalar(column: Int, type: ScalarType)
    /// One element of a fixed-size array per event, at a constant flat offset.
    case element(column: Int, type: ScalarType, offset: Int, per: Int)
    /// A slice of a fixed-size array: `count` elements starting at `offset` of each event's `per`.
    case arraySlice(column: Int, type: ScalarType, offset: Int, count: Int, per: Int)
    /// The values of a list (or a record-list member), one per element.
    case listValues(column: Int, type: ScalarType, offsetsColumn: Int)
    case negate(Expr)
    case arith(ArithOp, Expr, Expr)
    case function(Function, [Expr])
    case compare(CompareOp, Expr, Expr)
    case inList(Expr, [Double])
    case and([Expr])
    case or([Expr])
    case not(Expr)
    /// Reduces an element-level expression over each event's elements.
    case reduce(Reduction, Expr, Domain)
    /// Number of elements per event.
    case length(Domain)

    /// The physical columns this expression reads.
    public var columns: Set<Int> {
        switch self {
        case .number, .boolean: return []
        case .scalar(let c, _), .element(let c, _, _, _), .arraySlice(let c, _, _, _, _): return [c]
        case .listValues(let c, _, let o): return [c, o]
        case .negate(let e), .not(let e), .inList(let e, _): return e.columns
        case .arith(_, let a, let b), .compare(_, let a, let b): return a.columns.union(b.columns)
        case .function(_, let args): return args.reduce(into: Set()) { $0.formUnion($1.columns) }
        case .and(let xs), .or(let xs): return xs.reduce(into: Set()) { $0.formUnion($1.columns) }
        case .reduce(_, let e, let d): return e.columns.union(d.columns)
        case .length(let d): return d.columns
        }
    }
}

extension Domain {
    var columns: Set<Int> {
        if case .list(let o) = self { return [o] }
        return []
    }
}

/// A checked cut: its cut-flow name, the text it came from and its plan.
public struct Cut: Sendable, Equatable {
    public var name: String
    public var expr: Expr
    public var range: SourceRange

    public init(name: String, expr: Expr, range: SourceRange) {
        self.name = name
        self.expr = expr
        self.range = range
    }
}

/// A checked query: the cuts in order, an optional per-event weight, and histograms to fill.
public struct CheckedQuery: Sendable {
    public var text: String
    public var cuts: [Cut]
    public var weight: Expr?
    public var schema: Schema
    /// Histograms filled during the scan (Formats/QUERY.md, section 9).
    public var histograms: [HistogramPlan] = []

    /// Every column any cut, the weight or a histogram reads.
    public var columns: Set<Int> {
        var s = cuts.reduce(into: Set<Int>()) { $0.formUnion($1.expr.columns) }
        if let weight { s.formUnion(weight.columns) }
        for h in histograms { s.formUnion(h.columns) }
        return s
    }
}

extension Expr {
    /// True when the expression yields a truth value (comparisons, logic, bool columns, any/all),
    /// so that `==` and `!=` between two of them compare truths.
    public var isBoolean: Bool {
        switch self {
        case .boolean, .compare, .and, .or, .not, .inList: return true
        case .scalar(_, let t), .element(_, let t, _, _), .arraySlice(_, let t, _, _, _), .listValues(_, let t, _): return t == .bool
        case .reduce(let r, _, _): return r == .any || r == .all
        default: return false
        }
    }
}
