import EventFormat

/// Binds parsed cuts to a schema: resolves names (columns, record members, aliases, multi-word
/// names), checks types, shapes and units, converts unit literals into the units of the
/// columns they meet, and produces the plan. Errors point at the exact range.
public struct Checker {
    public let schema: Schema
    var defines: [String: Typed] = [:]
    var source = ""

    public init(schema: Schema) { self.schema = schema }

    /// What the checker knows of a checked sub-expression.
    struct Typed {
        enum Kind: Equatable { case number, bool }
        enum Level: Equatable { case event, elements(Domain) }
        /// The unit a value is in: a literal without unit adapts to what it meets.
        enum Quantity: Equatable {
            case bare
            case dimensionless
            /// A dimension key (energy, time, …, or a label like ADC) and the scale to its base.
            case unit(String, Double, symbol: String)
            case composite
        }
        var expr: Expr
        var kind: Kind
        var level: Level
        var quantity: Quantity
        var range: SourceRange
        var text: String
    }

    /// Adds `define name = expr` aliases, checked against the schema and earlier aliases.
    public mutating func define(_ text: String) throws(QueryError) {
        source = text
        let d = try Parser.parseDefine(text)
        guard schema.field(named: d.name) == nil else {
            throw QueryError(.duplicateName, "'\(d.name)' is already a column of the data; choose another name", d.nameRange, source: text)
        }
        defines[d.name] = try check(d.expression)
    }

    /// Parses and checks a whole query (and an optional weight expression).
    public mutating func check(query: String, weight: String? = nil) throws(QueryError) -> CheckedQuery {
        source = query
        // No cuts at all (`darkscan hist` without --where): every event is selected.
        let cuts = query.allSatisfy(\.isWhitespace) ? [] : try Parser.parseCuts(query)
        var out: [Cut] = []
        for c in cuts {
            let t = try check(c.expression)
            guard t.kind == .bool else {
                throw QueryError(.typeMismatch, "a cut must be true or false; this is a number (compare it with something)", c.expression.range, source: query)
            }
            guard t.level == .event else {
                throw QueryError(.shapeMismatch, "this holds one value per element; wrap it in any(…), all(…) or count(…) to cut on events", c.expression.range, source: query)
            }
            out.append(Cut(name: c.name, expr: t.expr, range: c.range))
        }
        var w: Expr? = nil
        if let weight {
            source = weight
            let t = try check(Parser.parseExpression(weight))
            guard t.kind == .number, t.level == .event else {
                throw QueryError(.typeMismatch, "a weight must be one number per event", SourceRange(0, weight.utf8.count), source: weight)
            }
            w = t.expr
            source = query
        }
        return CheckedQuery(text: query, cuts: out, weight: w, schema: schema)
    }

    func fail(_ code: QueryError.Code, _ message: String, _ range: SourceRange) -> QueryError {
        QueryError(code, message, range, source: source)
    }

    func text(_ r: SourceRange) -> String {
        let b = Array(source.utf8)
        return String(decoding: b[min(r.start, b.count)..<min(r.end, b.count)], as: UTF8.self)
    }

    // MARK: - Expressions

    func check(_ s: Syntax) throws(QueryError) -> Typed {
        switch s {
        case .number(let v, let unit, _, let r):
            guard let unit else { return Typed(expr: .number(v), kind: .number, level: .event, quantity: .bare, range: r, text: text(r)) }
            let u = Unit(unit)
            return Typed(expr: .number(v), kind: .number, level: .event, quantity: Self.quantity(u), range: r, text: text(r))
        case .bool(let b, let r):
            return Typed(expr: .boolean(b), kind: .bool, level: .event, quantity: .dimensionless, range: r, text: text(r))
        case .name(let words, let r):
            return try name(words, r)
        case .index:
            return try index(s)
        case .call(let f, let args, let r):
            return try call(f, args, r)
        case .unary(_, let inner, let r):
            let t = try check(inner)
            try requireNumber(t)
            var out = t
            out.expr = .negate(t.expr)
            out.range = r
            out.text = text(r)
            return out
        case .binary(let op, let a, let b, let r):
            return try arithmetic(ArithOp(rawValue: op)!, check(a), check(b), r)
        case .compare(let operands, let ops, let r):
            let ts = try operands.map { (o) throws(QueryError) in try check(o) }
            var parts: [Typed] = []
            for (i, op) in ops.enumerated() {
                parts.append(try compare(CompareOp(rawValue: op)!, ts[i], ts[i + 1]))
            }
            if parts.count == 1 { return parts[0] }
            let level = try commonLevel(parts, r)
            return Typed(expr: .and(parts.map(\.expr)), kind: .bool, level: level, quantity: .dimensionless, range: r, text: text(r))
        case .inList(let x, let items, let r):
            let t = try check(x)
            try requireNumber(t)
            var values: [Double] = []
            for item in items {
                let it = try check(item)
                guard case .number(let v) = it.expr else {
                    throw fail(.typeMismatch, "the list after 'in' must hold numbers", it.range)
                }
                values.append(try convert(v, it, to: t, op: "match"))
            }
            return Typed(expr: .inList(t.expr, values), kind: .bool, level: t.level, quantity: .dimensionless, range: r, text: text(r))
        case .and(let items, let r), .or(let items, let r):
            let ts = try items.map { (i) throws(QueryError) in try check(i) }
            for t in ts { try requireBool(t) }
            let level = try commonLevel(ts, r)
            let exprs = ts.map(\.expr)
            let isAnd: Bool
            if case .and = s { isAnd = true } else { isAnd = false }
            return Typed(expr: isAnd ? .and(exprs) : .or(exprs), kind: .bool, level: level, quantity: .dimensionless, range: r, text: text(r))
        case .not(let inner, let r):
            let t = try check(inner)
            try requireBool(t)
            return Typed(expr: .not(t.expr), kind: .bool, level: t.level, quantity: .dimensionless, range: r, text: text(r))
        }
    }

    static func quantity(_ u: Unit) -> Typed.Quantity {
        switch u.dimension {
        case .none: return .dimensionless
        // Energy and momentum are compared freely (natural units, c = 1): `track_p > 97 GeV`.
        case .energy, .momentum: return .unit("energy", u.scale, symbol: u.symbol)
        case .other: return .unit(u.symbol, 1, symbol: u.symbol)
        default: return .unit(u.dimension.rawValue, u.scale, symbol: u.symbol)
        }
    }

    func describe(_ t: Typed) -> String {
        switch t.quantity {
        case .bare: return "'\(t.text)'"
        case .dimensionless: return "'\(t.text)' (no unit)"
        case .unit(let d, _, let sym): return d == sym ? "'\(t.text)' (\(sym))" : "'\(t.text)' (\(d), \(sym))"
        case .composite: return "'\(t.text)' (a product of units)"
        }
    }

    func requireNumber(_ t: Typed) throws(QueryError) {
        guard t.kind == .number else { throw fail(.typeMismatch, "expected a number, but '\(t.text)' is true or false", t.range) }
    }

    func requireBool(_ t: Typed) throws(QueryError) {
        guard t.kind == .bool else { throw fail(.typeMismatch, "expected a condition, but '\(t.text)' is a number (compare it with something)", t.range) }
    }

    func commonLevel(_ ts: [Typed], _ r: SourceRange) throws(QueryError) -> Typed.Level {
        var level = Typed.Level.event
        for t in ts {
            if case .elements(let d) = t.level {
                if case .elements(let e) = level, e != d {
                    throw fail(.shapeMismatch, "'\(t.text)' runs over other elements than the rest of this expression", t.range)
                }
                level = .elements(d)
            }
        }
        return level
    }

    /// The unit both sides are brought to, with `b` rescaled when its scale differs.
    func unify(_ a: Typed, _ b: Typed, verb: String, _ r: SourceRange) throws(QueryError) -> (Expr, Expr, Typed.Quantity) {
        switch (a.quantity, b.quantity) {
        case (.bare, _): return (a.expr, b.expr, b.quantity)
        case (_, .bare): return (a.expr, b.expr, a.quantity)
        case (.dimensionless, .dimensionless), (.composite, .composite): return (a.expr, b.expr, a.quantity)
        case (.unit(let da, let sa, _), .unit(let db, let sb, _)) where da == db:
            if sa == sb { return (a.expr, b.expr, a.quantity) }
            let factor = sb / sa
            if case .number(let v) = b.expr { return (a.expr, .number(v * factor), a.quantity) }
            if case .number(let v) = a.expr { return (.number(v / factor), b.expr, b.quantity) }
            return (a.expr, .arith(.mul, b.expr, .number(factor)), a.quantity)
        default:
            let range = b.range.start > a.range.start ? b.range : a.range
            throw fail(.dimensionMismatch, "cannot \(verb) \(describe(a)) with \(describe(b))", range)
        }
    }

    func convert(_ v: Double, _ literal: Typed, to target: Typed, op: String) throws(QueryError) -> Double {
        let (_, e, _) = try unify(target, literal, verb: op, literal.range)
        if case .number(let x) = e { return x }
        return v
    }

    func compare(_ op: CompareOp, _ a: Typed, _ b: Typed) throws(QueryError) -> Typed {
        let r = a.range.union(b.range)
        if a.kind == .bool || b.kind == .bool {
            guard a.kind == b.kind, op == .eq || op == .ne else {
                throw fail(.typeMismatch, "true/false values can only be compared with == or != to each other", r)
            }
            let level = try commonLevel([a, b], r)
            return Typed(expr: .compare(op, a.expr, b.expr), kind: .bool, level: level, quantity: .dimensionless, range: r, text: text(r))
        }
        let (x, y, _) = try unify(a, b, verb: "compare", r)
        let level = try commonLevel([a, b], r)
        return Typed(expr: .compare(op, x, y), kind: .bool, level: level, quantity: .dimensionless, range: r, text: text(r))
    }

    func arithmetic(_ op: ArithOp, _ a: Typed, _ b: Typed, _ r: SourceRange) throws(QueryError) -> Typed {
        try requireNumber(a)
        try requireNumber(b)
        let level = try commonLevel([a, b], r)
        switch op {
        case .add, .sub:
            let (x, y, q) = try unify(a, b, verb: op == .add ? "add" : "subtract", r)
            return Typed(expr: .arith(op, x, y), kind: .number, level: level, quantity: q, range: r, text: text(r))
        case .mul, .div:
            let q: Typed.Quantity
            switch (a.quantity, b.quantity) {
            case (.bare, let o), (.dimensionless, let o): q = op == .mul || o == .bare || o == .dimensionless ? o : .composite
            case (let o, .bare), (let o, .dimensionless): q = o
            default: q = .composite
            }
            return Typed(expr: .arith(op, a.expr, b.expr), kind: .number, level: level, quantity: q, range: r, text: text(r))
        }
    }
}
