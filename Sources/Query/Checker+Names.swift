import EventFormat

/// Names, indices and function calls.
extension Checker {
    enum Resolved {
        case alias(Typed)
        case field(Int)
        case member(Int, Int)
    }

    func resolve(_ words: [String], _ r: SourceRange) throws(QueryError) -> Resolved {
        let joined = words.joined(separator: "_")
        if let d = defines[joined] { return .alias(d) }
        if let fi = schema.fieldIndex(named: joined) { return .field(fi) }
        if words.count == 1, let dot = joined.firstIndex(of: ".") {
            let fname = String(joined[..<dot]), mname = String(joined[joined.index(after: dot)...])
            if let fi = schema.fieldIndex(named: fname), case .recordList(let members) = schema.fields[fi].kind,
               let mi = members.firstIndex(where: { $0.name == mname }) {
                return .member(fi, mi)
            }
        }
        var message = "unknown name '\(joined)'"
        if let s = suggestion(for: joined) { message += "; did you mean '\(s)'?" }
        throw fail(.unknownName, message, r)
    }

    /// Every name a query may use, for suggestions.
    var knownNames: [String] {
        var names = Array(defines.keys)
        for f in schema.fields {
            names.append(f.name)
            if case .recordList(let members) = f.kind { names += members.map { "\(f.name).\($0.name)" } }
        }
        return names
    }

    func suggestion(for name: String) -> String? {
        let candidates = knownNames.map { ($0, Self.distance($0.lowercased(), name.lowercased())) }
        guard let best = candidates.min(by: { $0.1 < $1.1 }) else { return nil }
        // Close enough to be a typo, or a prefix/suffix of the name typed.
        if best.1 <= max(2, name.count / 3) { return best.0 }
        if let c = knownNames.first(where: { $0.hasPrefix(name) || name.hasPrefix($0) && $0.count >= 3 }) { return c }
        return nil
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where j <= b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }

    func column(_ fi: Int, role: ColumnRole) -> Column {
        schema.columns.first { $0.fieldIndex == fi && $0.role == role }!
    }

    func name(_ words: [String], _ r: SourceRange) throws(QueryError) -> Typed {
        let t = text(r)
        switch try resolve(words, r) {
        case .alias(var d):
            d.range = r
            d.text = t
            return d
        case .member(let fi, let mi):
            let f = schema.fields[fi]
            guard case .recordList(let members) = f.kind else { fatalError("resolved member of a non-record field") }
            let m = members[mi]
            let values = column(fi, role: .member(mi)), offsets = column(fi, role: .offsets)
            return Typed(expr: .listValues(column: values.index, type: values.type, offsetsColumn: offsets.index),
                         kind: values.type == .bool ? .bool : .number, level: .elements(.list(offsetsColumn: offsets.index)),
                         quantity: Self.quantity(m.unit), range: r, text: t)
        case .field(let fi):
            let f = schema.fields[fi]
            let q = Self.quantity(f.unit)
            switch f.kind {
            case .scalar(let type):
                let c = column(fi, role: .values)
                return Typed(expr: .scalar(column: c.index, type: type), kind: type == .bool ? .bool : .number, level: .event, quantity: q, range: r, text: t)
            case .array(let type, let shape):
                let c = column(fi, role: .values)
                let per = shape.reduce(1, *)
                return Typed(expr: .arraySlice(column: c.index, type: type, offset: 0, count: per, per: per), kind: type == .bool ? .bool : .number,
                             level: .elements(.array(count: per)), quantity: q, range: r, text: t)
            case .list(let type):
                let c = column(fi, role: .values), o = column(fi, role: .offsets)
                return Typed(expr: .listValues(column: c.index, type: type, offsetsColumn: o.index), kind: type == .bool ? .bool : .number,
                             level: .elements(.list(offsetsColumn: o.index)), quantity: q, range: r, text: t)
            case .recordList(let members):
                let example = members.first.map { "\(f.name).\($0.name)" } ?? f.name
                throw fail(.typeMismatch, "'\(f.name)' is a list of records; use a member such as \(example), or len(\(f.name))", r)
            }
        }
    }

    func index(_ s: Syntax) throws(QueryError) -> Typed {
        // Collect base[i][j]… from the outside in.
        var indices: [Syntax] = []
        var base = s
        while case .index(let inner, let i, _) = base {
            indices.insert(i, at: 0)
            base = inner
        }
        guard case .name(let words, let nr) = base, case .field(let fi) = try resolve(words, nr),
              case .array(let type, let shape) = schema.fields[fi].kind else {
            let t = try check(base)
            throw fail(.badIndex, "only fixed-size arrays can be indexed; '\(t.text)' is not one (use a reduction for lists)", s.range)
        }
        guard indices.count <= shape.count else {
            throw fail(.badIndex, "'\(schema.fields[fi].name)' has \(shape.count) dimension\(shape.count == 1 ? "" : "s") \(shape.map { "[\($0)]" }.joined()), not \(indices.count)", s.range)
        }
        var offset = 0
        for (k, i) in indices.enumerated() {
            guard case .number(let v, nil, true, let ir) = i else {
                throw fail(.badIndex, "an index must be a whole number", i.range)
            }
            guard v >= 0, v < Double(shape[k]) else {
                throw fail(.badIndex, "index \(Int(v)) is out of range 0..<\(shape[k]) for dimension \(k + 1) of '\(schema.fields[fi].name)'", ir)
            }
            offset = offset * shape[k] + Int(v)
        }
        let rest = shape.dropFirst(indices.count).reduce(1, *)
        offset *= rest
        let per = shape.reduce(1, *)
        let c = column(fi, role: .values)
        let q = Self.quantity(schema.fields[fi].unit)
        let kind: Typed.Kind = type == .bool ? .bool : .number
        if indices.count == shape.count {
            return Typed(expr: .element(column: c.index, type: type, offset: offset, per: per), kind: kind, level: .event, quantity: q, range: s.range, text: text(s.range))
        }
        return Typed(expr: .arraySlice(column: c.index, type: type, offset: offset, count: rest, per: per), kind: kind,
                     level: .elements(.array(count: rest)), quantity: q, range: s.range, text: text(s.range))
    }

    func call(_ f: String, _ args: [Syntax], _ r: SourceRange) throws(QueryError) -> Typed {
        let t = text(r)
        func arity(_ n: Int) throws(QueryError) {
            guard args.count == n else { throw fail(.badArguments, "\(f) takes \(n) argument\(n == 1 ? "" : "s"), got \(args.count)", r) }
        }
        switch f {
        case "len":
            try arity(1)
            if case .name(let words, let nr) = args[0], case .field(let fi) = try resolve(words, nr) {
                switch schema.fields[fi].kind {
                case .list, .recordList:
                    let o = column(fi, role: .offsets)
                    return Typed(expr: .length(.list(offsetsColumn: o.index)), kind: .number, level: .event, quantity: .dimensionless, range: r, text: t)
                default: break
                }
            }
            let a = try check(args[0])
            guard case .elements(let d) = a.level else { throw fail(.badArguments, "len needs a list or an array, '\(a.text)' is one value per event", a.range) }
            return Typed(expr: .length(d), kind: .number, level: .event, quantity: .dimensionless, range: r, text: t)
        case "sum", "count", "any", "all", "min", "max":
            if (f == "min" || f == "max") && args.count == 2 {
                let a = try check(args[0]), b = try check(args[1])
                try requireNumber(a)
                try requireNumber(b)
                let (x, y, q) = try unify(a, b, verb: "take the \(f) of", r)
                let level = try commonLevel([a, b], r)
                return Typed(expr: .function(Function(rawValue: f)!, [x, y]), kind: .number, level: level, quantity: q, range: r, text: t)
            }
            try arity(1)
            let a = try check(args[0])
            guard case .elements(let d) = a.level else {
                throw fail(.badArguments, "\(f) runs over the elements of an array or list; '\(a.text)' is one value per event", a.range)
            }
            let red = Reduction(rawValue: f)!
            switch red {
            case .sum, .min, .max:
                try requireNumber(a)
                return Typed(expr: .reduce(red, a.expr, d), kind: .number, level: .event, quantity: a.quantity, range: r, text: t)
            case .count:
                try requireBool(a)
                return Typed(expr: .reduce(red, a.expr, d), kind: .number, level: .event, quantity: .dimensionless, range: r, text: t)
            case .any, .all:
                try requireBool(a)
                return Typed(expr: .reduce(red, a.expr, d), kind: .bool, level: .event, quantity: .dimensionless, range: r, text: t)
            }
        case "abs", "sqrt", "log", "exp":
            try arity(1)
            let a = try check(args[0])
            try requireNumber(a)
            let q: Typed.Quantity = f == "abs" ? a.quantity : (a.quantity == .bare || a.quantity == .dimensionless ? a.quantity : .composite)
            return Typed(expr: .function(Function(rawValue: f)!, [a.expr]), kind: .number, level: a.level, quantity: q, range: r, text: t)
        case "pow":
            try arity(2)
            let a = try check(args[0]), b = try check(args[1])
            try requireNumber(a)
            try requireNumber(b)
            let level = try commonLevel([a, b], r)
            let q: Typed.Quantity = a.quantity == .bare || a.quantity == .dimensionless ? a.quantity : .composite
            return Typed(expr: .function(.pow, [a.expr, b.expr]), kind: .number, level: level, quantity: q, range: r, text: t)
        default:
            let known = ["abs", "sqrt", "log", "exp", "pow", "min", "max", "sum", "count", "any", "all", "len"]
            let near = known.min { Self.distance($0, f) < Self.distance($1, f) }.flatMap { Self.distance($0, f) <= 2 ? $0 : nil }
            let fr = SourceRange(r.start, r.start + f.utf8.count)
            throw fail(.unknownFunction, "unknown function '\(f)'" + (near.map { "; did you mean '\($0)'?" } ?? "") + " (functions: \(known.joined(separator: ", ")))", fr)
        }
    }
}
