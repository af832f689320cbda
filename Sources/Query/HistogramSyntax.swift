/// The parsed spec of a histogram (Formats/QUERY.md, section 9), before names, units and
/// stages are checked:
///
///     [name "="] expr ["vs" expr] ":" binning ["," binning] ["@" stage]
public struct HistogramSyntax: Sendable, Equatable {
    public enum Binning: Sendable, Equatable {
        /// `N bins lower .. upper`
        case regular(bins: Syntax, lower: Syntax, upper: Syntax, SourceRange)
        /// `edges [e0, e1, …]`
        case variable([Syntax], SourceRange)
        /// `integers lower .. upper`
        case integer(lower: Syntax, upper: Syntax, SourceRange)
        /// `bool`
        case boolean(SourceRange)

        public var range: SourceRange {
            switch self {
            case .regular(_, _, _, let r), .variable(_, let r), .integer(_, _, let r), .boolean(let r): r
            }
        }
    }

    public var name: String?
    public var nameRange: SourceRange?
    /// One expression per axis, and each one's text as typed.
    public var axes: [Syntax]
    public var axisTexts: [String]
    public var binnings: [Binning]
    /// The text after `@` (trimmed) and its range.
    public var stage: (text: String, range: SourceRange)?

    public static func == (a: HistogramSyntax, b: HistogramSyntax) -> Bool {
        a.name == b.name && a.axes == b.axes && a.binnings == b.binnings && a.stage?.text == b.stage?.text && a.stage?.range == b.stage?.range
    }
}

extension Parser {
    /// Most histograms one query may ask for (each `@all` counts once per stage).
    public static let maxHistograms = 1000

    /// A parser over `tokens[range]` of `text`, ending where the range ends.
    init(text: String, tokens all: [Token], _ range: Range<Int>) {
        self.text = text
        let end = range.upperBound < all.count ? all[range.upperBound].range.start : text.utf8.count
        tokens = Array(all[range]) + [Token(kind: .end, range: SourceRange(end, end))]
    }

    /// Parses a histogram spec.
    public static func parseHistogram(_ text: String) throws(QueryError) -> HistogramSyntax {
        let outer = try Parser(text, histogramSpec: true)
        let tokens = outer.tokens
        func fail(_ message: String, _ r: SourceRange) -> QueryError { QueryError(.unexpectedToken, message, r, source: text) }
        // Positions of the top-level (unbracketed) separators.
        var depth = 0
        var colon: Int? = nil, at: Int? = nil
        var vs: [Int] = [], commas: [Int] = []
        for (i, t) in tokens.enumerated() {
            switch t.kind {
            case .op("("), .op("["): depth += 1
            case .op(")"), .op("]"): depth -= 1
            case .op(":") where depth == 0 && colon == nil: colon = i
            case .op("@") where depth == 0 && at == nil: at = i
            case .identifier("vs") where depth == 0 && colon == nil: vs.append(i)
            case .op(",") where depth == 0 && colon != nil && at == nil: commas.append(i)
            default: break
            }
        }
        let last = tokens.count - 1  // the end token
        guard let colon else {
            throw fail("expected ':' and the binning after the expression, as in 'ecal_e: 150 bins 0 GeV .. 150 GeV'", SourceRange(tokens[last].range.start, tokens[last].range.start + 1))
        }
        var spec = HistogramSyntax(axes: [], axisTexts: [], binnings: [])
        var first = 0
        if tokens.count > 2, case .identifier(let n) = tokens[0].kind, case .op("=") = tokens[1].kind {
            guard !keywords.contains(n), n != "vs" else { throw fail("'\(n)' cannot name a histogram", tokens[0].range) }
            spec.name = n
            spec.nameRange = tokens[0].range
            first = 2
        }
        // The expressions, split at `vs`.
        let bounds = [first] + vs.map { $0 + 1 }
        let ends = vs + [colon]
        guard bounds.count <= 2 else { throw fail("a histogram has one or two axes: 'x' or 'x vs y'", tokens[vs[1]].range) }
        for (a, b) in zip(bounds, ends) {
            guard a < b else { throw fail("expected an expression before '\(b == colon ? ":" : "vs")'", tokens[b].range) }
            var p = Parser(text: text, tokens: tokens, a..<b)
            let e = try p.expression()
            try p.expectEnd(after: "the expression")
            try p.checkDepth(e)
            spec.axes.append(e)
            spec.axisTexts.append(outer.substring(tokens[a].range.start, tokens[b - 1].range.end))
        }
        // The binnings, split at commas, up to `@` or the end.
        let stop = at ?? last
        let starts = [colon + 1] + commas.map { $0 + 1 }
        for (a, b) in zip(starts, commas + [stop]) {
            var p = Parser(text: text, tokens: tokens, a..<b)
            spec.binnings.append(try p.binning())
        }
        guard spec.binnings.count == spec.axes.count else {
            let r = spec.binnings.count > spec.axes.count ? spec.binnings[spec.axes.count].range : SourceRange(tokens[stop].range.start, tokens[stop].range.start + 1)
            throw QueryError(.badBinning, "\(spec.axes.count) axis\(spec.axes.count == 1 ? "" : "es") but \(spec.binnings.count) binning\(spec.binnings.count == 1 ? "" : "s"); give one per axis, separated by ','", r, source: text)
        }
        if let at {
            guard at + 1 < last else { throw fail("expected a stage after '@': all, a cut's number, or a cut's name", tokens[at].range) }
            let r = SourceRange(tokens[at + 1].range.start, tokens[last - 1].range.end)
            spec.stage = (outer.substring(r.start, r.end), r)
        }
        return spec
    }

    /// `N bins lo .. hi` | `edges [e, …]` | `integers lo .. hi` | `bool`
    mutating func binning() throws(QueryError) -> HistogramSyntax.Binning {
        let start = tokens[p].range.start
        let binning: HistogramSyntax.Binning
        if peekWord("bool") {
            p += 1
            binning = .boolean(SourceRange(start, tokens[p - 1].range.end))
        } else if peekWord("edges") {
            p += 1
            guard peekOp("[") else { throw unexpected("'[' and the bin edges, as in 'edges [0, 1, 5, 10]'") }
            let (items, end) = try bracketedSums("the list of edges")
            binning = .variable(items, SourceRange(start, end.end))
        } else if peekWord("integers") {
            p += 1
            let (lo, hi) = try range()
            binning = .integer(lower: lo, upper: hi, SourceRange(start, tokens[p - 1].range.end))
        } else {
            guard case .number = tokens[p].kind else {
                throw unexpected("a binning: 'N bins lower .. upper', 'edges [e0, e1, …]', 'integers lower .. upper' or 'bool'")
            }
            let n = try primary()
            guard peekWord("bins") || peekWord("bin") else { throw unexpected("'bins' after the number of bins") }
            p += 1
            let (lo, hi) = try range()
            binning = .regular(bins: n, lower: lo, upper: hi, SourceRange(start, tokens[p - 1].range.end))
        }
        try expectEnd(after: "the binning")
        return binning
    }

    mutating func range() throws(QueryError) -> (Syntax, Syntax) {
        let lo = try sum()
        guard peekOp("..") else { throw unexpected("'..' between the lower and the upper edge") }
        p += 1
        return (lo, try sum())
    }

    func expectEnd(after what: String) throws(QueryError) {
        guard case .end = tokens[p].kind else { throw unexpected("',' or ':' or '@' after \(what)") }
    }
}
