/// Recursive-descent parser for cuts and defines (grammar in Formats/QUERY.md).
public struct Parser {
    static let keywords: Set<String> = ["and", "or", "not", "in", "true", "false", "define"]
    static let comparisons: Set<String> = ["<", "<=", ">", ">=", "==", "!="]
    /// Unit symbols a number may carry (Formats/QUERY.md, "Units").
    public static let literalUnits: Set<String> = ["eV", "keV", "MeV", "GeV", "TeV", "ps", "ns", "us", "ms", "s",
                                                   "um", "mm", "cm", "m", "rad", "mrad"]

    /// Limits that keep a hostile or runaway query from exhausting the stack of the recursive
    /// parser, checker and evaluator (scan workers run on small thread stacks).
    public static let maxTokens = 8192
    public static let maxNesting = 64
    public static let maxTreeDepth = 256

    let text: String
    var tokens: [Token]
    var p = 0
    var nesting = 0

    public init(_ text: String, histogramSpec: Bool = false) throws(QueryError) {
        self.text = text
        self.tokens = try Lexer.tokens(text, histogramSpec: histogramSpec)
        if tokens.count > Parser.maxTokens + 1 {
            let r = tokens[Parser.maxTokens].range
            throw QueryError(.tooComplex, "query has more than \(Parser.maxTokens) tokens", SourceRange(r.start, text.utf8.count), source: text)
        }
    }

    /// Enters one level of parentheses, `not`, unary minus, call or index.
    mutating func enter() throws(QueryError) {
        nesting += 1
        guard nesting <= Parser.maxNesting else {
            throw QueryError(.tooComplex, "nested more than \(Parser.maxNesting) levels deep", tokens[p].range, source: text)
        }
    }

    /// Rejects expression trees deeper than maxTreeDepth (long chains such as a+b+c+… nest to
    /// the left). The tree is at most maxTokens deep, so this recursion is bounded.
    func checkDepth(_ s: Syntax) throws(QueryError) {
        func depth(_ s: Syntax) -> Int {
            switch s {
            case .number, .bool, .name: return 1
            case .index(let a, let b, _), .binary(_, let a, let b, _): return 1 + max(depth(a), depth(b))
            case .unary(_, let a, _), .not(let a, _): return 1 + depth(a)
            case .call(_, let xs, _), .compare(let xs, _, _), .and(let xs, _), .or(let xs, _): return 1 + (xs.map(depth).max() ?? 0)
            case .inList(let a, let xs, _): return 1 + max(depth(a), xs.map(depth).max() ?? 0)
            }
        }
        guard depth(s) <= Parser.maxTreeDepth else {
            throw QueryError(.tooComplex, "expression nests more than \(Parser.maxTreeDepth) operations deep; split it or use --define", s.range, source: text)
        }
    }

    /// Parses `cut, cut, …`; each cut may be `name: expr`.
    public static func parseCuts(_ text: String) throws(QueryError) -> [CutSyntax] {
        var parser = try Parser(text)
        var cuts: [CutSyntax] = []
        repeat {
            if !cuts.isEmpty { parser.p += 1 }  // the comma
            cuts.append(try parser.cut())
        } while parser.peekOp(",")
        try parser.expectEnd()
        for c in cuts { try parser.checkDepth(c.expression) }
        return cuts
    }

    /// Parses `name = expr` or `define name = expr`.
    public static func parseDefine(_ text: String) throws(QueryError) -> DefineSyntax {
        var parser = try Parser(text)
        if case .identifier("define") = parser.tokens[parser.p].kind { parser.p += 1 }
        guard case .identifier(let name) = parser.tokens[parser.p].kind, !keywords.contains(name) else {
            throw parser.unexpected("a name to define")
        }
        let nameRange = parser.tokens[parser.p].range
        parser.p += 1
        guard parser.peekOp("=") else { throw parser.unexpected("'=' after the name") }
        parser.p += 1
        let e = try parser.expression()
        try parser.expectEnd()
        try parser.checkDepth(e)
        return DefineSyntax(name: name, nameRange: nameRange, expression: e)
    }

    /// Parses a single expression (for --weight).
    public static func parseExpression(_ text: String) throws(QueryError) -> Syntax {
        var parser = try Parser(text)
        let e = try parser.expression()
        try parser.expectEnd()
        try parser.checkDepth(e)
        return e
    }

    // MARK: - Cuts

    mutating func cut() throws(QueryError) -> CutSyntax {
        let start = tokens[p].range.start
        var name: String? = nil
        // `words:` names the cut.
        var q = p
        var words: [String] = []
        while case .identifier(let w) = tokens[q].kind { words.append(w); q += 1 }
        if !words.isEmpty, case .op(":") = tokens[q].kind {
            name = words.joined(separator: " ")
            p = q + 1
        }
        let exprStart = tokens[p].range.start
        let e = try expression()
        let end = tokens[p - 1].range.end
        let own = substring(exprStart, end)
        return CutSyntax(name: name ?? own, expression: e, range: SourceRange(start, end))
    }

    func substring(_ a: Int, _ b: Int) -> String {
        String(decoding: Array(text.utf8)[a..<b], as: UTF8.self)
    }

    // MARK: - Expressions

    mutating func expression() throws(QueryError) -> Syntax { try orExpr() }

    mutating func orExpr() throws(QueryError) -> Syntax {
        var items = [try andExpr()]
        while peekWord("or") || peekOp("||") {
            p += 1
            items.append(try andExpr())
        }
        return items.count == 1 ? items[0] : .or(items, items[0].range.union(items.last!.range))
    }

    mutating func andExpr() throws(QueryError) -> Syntax {
        var items = [try notExpr()]
        while peekWord("and") || peekOp("&&") {
            p += 1
            items.append(try notExpr())
        }
        return items.count == 1 ? items[0] : .and(items, items[0].range.union(items.last!.range))
    }

    mutating func notExpr() throws(QueryError) -> Syntax {
        if peekWord("not") || peekOp("!") {
            let r = tokens[p].range
            try enter()
            defer { nesting -= 1 }
            p += 1
            let inner = try notExpr()
            return .not(inner, r.union(inner.range))
        }
        return try comparison()
    }

    mutating func comparison() throws(QueryError) -> Syntax {
        let first = try sum()
        if peekWord("in") {
            p += 1
            guard peekOp("[") else { throw unexpected("'[' to start the list after 'in'") }
            let (items, end) = try bracketedSums("the list")
            return .inList(first, items, first.range.union(end))
        }
        var operands = [first]
        var ops: [String] = []
        while case .op(let o) = tokens[p].kind, Parser.comparisons.contains(o) {
            p += 1
            ops.append(o)
            operands.append(try sum())
        }
        return ops.isEmpty ? first : .compare(operands, ops, first.range.union(operands.last!.range))
    }

    /// `[ sum { "," sum } ]` from the '[' at p: the items and the range of the ']'.
    mutating func bracketedSums(_ what: String) throws(QueryError) -> ([Syntax], SourceRange) {
        p += 1
        var items: [Syntax] = []
        repeat {
            if !items.isEmpty { p += 1 }
            items.append(try sum())
        } while peekOp(",")
        guard peekOp("]") else { throw unexpected("',' or ']' in \(what)") }
        let end = tokens[p].range
        p += 1
        return (items, end)
    }

    mutating func sum() throws(QueryError) -> Syntax {
        var left = try product()
        while case .op(let o) = tokens[p].kind, o == "+" || o == "-" {
            p += 1
            let right = try product()
            left = .binary(o, left, right, left.range.union(right.range))
        }
        return left
    }

    mutating func product() throws(QueryError) -> Syntax {
        var left = try unary()
        while case .op(let o) = tokens[p].kind, o == "*" || o == "/" {
            p += 1
            let right = try unary()
            left = .binary(o, left, right, left.range.union(right.range))
        }
        return left
    }

    mutating func unary() throws(QueryError) -> Syntax {
        if peekOp("-") || peekOp("+") {
            let r = tokens[p].range
            guard case .op(let o) = tokens[p].kind else { preconditionFailure("peeked an operator") }
            try enter()
            defer { nesting -= 1 }
            p += 1
            let inner = try unary()
            return o == "+" ? inner : .unary("-", inner, r.union(inner.range))
        }
        return try postfix()
    }

    mutating func postfix() throws(QueryError) -> Syntax {
        var e = try primary()
        while peekOp("[") {
            try enter()
            defer { nesting -= 1 }
            p += 1
            let i = try expression()
            guard peekOp("]") else { throw unexpected("']' to close the index") }
            let end = tokens[p].range
            p += 1
            e = .index(e, i, e.range.union(end))
        }
        return e
    }

    mutating func primary() throws(QueryError) -> Syntax {
        let t = tokens[p]
        switch t.kind {
        case .number(let v, let isInteger):
            p += 1
            if case .identifier(let u) = tokens[p].kind, Parser.literalUnits.contains(u) {
                var unit = u
                var end = tokens[p].range.end
                p += 1
                // GeV/c and MeV/c: momentum.
                if (u == "GeV" || u == "MeV"), peekOp("/"), case .identifier("c") = tokens[p + 1].kind {
                    unit += "/c"
                    end = tokens[p + 1].range.end
                    p += 2
                }
                return .number(v, unit: unit, isInteger: isInteger, SourceRange(t.range.start, end))
            }
            return .number(v, unit: nil, isInteger: isInteger, t.range)
        case .identifier(let w) where w == "true" || w == "false":
            p += 1
            return .bool(w == "true", t.range)
        case .identifier(let w) where !Parser.keywords.contains(w):
            p += 1
            if peekOp("(") {
                try enter()
                defer { nesting -= 1 }
                p += 1
                var args: [Syntax] = []
                if !peekOp(")") {
                    repeat {
                        if !args.isEmpty { p += 1 }
                        args.append(try expression())
                    } while peekOp(",")
                }
                guard peekOp(")") else { throw unexpected("',' or ')' in the argument list of \(w)") }
                let end = tokens[p].range
                p += 1
                return .call(w, args, t.range.union(end))
            }
            // Further words join the name: `missing energy` -> missing_energy.
            var words = [w]
            var range = t.range
            while case .identifier(let next) = tokens[p].kind, !Parser.keywords.contains(next), !peekCall(at: p) {
                words.append(next)
                range = range.union(tokens[p].range)
                p += 1
            }
            return .name(words, range)
        case .op("("):
            try enter()
            defer { nesting -= 1 }
            p += 1
            let e = try expression()
            guard peekOp(")") else { throw unexpected("')' to close '('") }
            p += 1
            return e
        default:
            throw unexpected("a number, a name or '('")
        }
    }

    func peekCall(at q: Int) -> Bool {
        if case .op("(") = tokens[q + 1].kind { return true }
        return false
    }

    func peekOp(_ o: String) -> Bool {
        if case .op(let x) = tokens[p].kind { return x == o }
        return false
    }

    func peekWord(_ w: String) -> Bool {
        if case .identifier(let x) = tokens[p].kind { return x == w }
        return false
    }

    func expectEnd() throws(QueryError) {
        guard case .end = tokens[p].kind else { throw unexpected("',' between cuts or the end of the query") }
    }

    func unexpected(_ wanted: String) -> QueryError {
        let t = tokens[p]
        let what: String
        switch t.kind {
        case .end: what = "the end of the query"
        case .number: what = "'\(substring(t.range.start, t.range.end))'"
        case .identifier(let s): what = "'\(s)'"
        case .op(let o): what = "'\(o)'"
        }
        let range = t.kind == .end ? SourceRange(t.range.start, t.range.start + 1) : t.range
        return QueryError(.unexpectedToken, "expected \(wanted), found \(what)", range, source: text)
    }
}
