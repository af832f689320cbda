import Histograms

/// A checked histogram: what to fill, on which axes, at which stage of the cut flow.
public struct HistogramPlan: Sendable, Equatable {
    /// Its name in the result and in files.
    public var name: String
    /// The spec as typed.
    public var spec: String
    /// One expression per axis, in the unit the axis is labelled with.
    public var exprs: [Expr]
    public var axes: [Axis]
    /// Filled once per element of this domain (arrays, lists), or once per event when nil.
    public var domain: Domain?
    /// 0: before the first cut (all events); k: the events passing cuts 1…k.
    public var stage: Int
    /// "all events" for stage 0, else the name of cut k.
    public var stageName: String

    /// The physical columns its expressions read.
    public var columns: Set<Int> {
        var s = exprs.reduce(into: Set<Int>()) { $0.formUnion($1.columns) }
        if let domain { s.formUnion(domain.columns) }
        return s
    }
}

extension Checker {
    /// Most cells all the histograms of one query may hold together (each scan worker keeps a
    /// copy): 2^24, 128 MiB of counts.
    public static let maxTotalCells = 1 << 24

    /// Checks a query, its weight and its histogram specs (Formats/QUERY.md, section 9).
    public mutating func check(query: String, weight: String? = nil, histograms: [String]) throws(QueryError) -> CheckedQuery {
        var q = try check(query: query, weight: weight)
        var plans: [HistogramPlan] = []
        var cells = 0
        for text in histograms {
            source = text
            let new = try histogram(text, cuts: q.cuts)
            for p in new {
                if let clash = plans.first(where: { $0.name == p.name }) {
                    throw fail(.duplicateName, "a histogram named '\(p.name)' is already asked for (by '\(clash.spec)'); name one with 'name = …'", SourceRange(0, text.utf8.count))
                }
                cells += Histogram.cells(p.axes)!
                guard cells <= Checker.maxTotalCells else {
                    throw fail(.badBinning, "the histograms of this query hold more than \(Checker.maxTotalCells) bins together", SourceRange(0, text.utf8.count))
                }
            }
            plans += new
            guard plans.count <= Parser.maxHistograms else {
                throw fail(.tooComplex, "more than \(Parser.maxHistograms) histograms", SourceRange(0, text.utf8.count))
            }
        }
        source = query
        q.histograms = plans
        return q
    }

    /// One spec: one plan, or one per stage with `@all`.
    mutating func histogram(_ text: String, cuts: [Cut]) throws(QueryError) -> [HistogramPlan] {
        let s = try Parser.parseHistogram(text)
        var typed: [Typed] = []
        for e in s.axes { typed.append(try check(e)) }
        if typed.count == 2 { _ = try commonLevel(typed, s.axes[0].range.union(s.axes[1].range)) }
        var domain: Domain? = nil
        for t in typed { if case .elements(let d) = t.level { domain = d } }
        var axes: [Axis] = []
        for (i, t) in typed.enumerated() {
            let kind = try binning(s.binnings[i], for: t)
            let unit: String
            if case .unit(_, _, let symbol) = t.quantity { unit = symbol } else { unit = "" }
            axes.append(Axis(kind, name: s.axisTexts[i], unit: unit))
        }
        guard let cells = Histogram.cells(axes), cells <= Axis.maxCells else {
            throw fail(.badBinning, "\(axes.map { String($0.bins) }.joined(separator: " × ")) bins (with flow bins) is more than the limit of \(Axis.maxCells) per histogram",
                       s.binnings[0].range.union(s.binnings.last!.range))
        }
        let base = s.name ?? s.axisTexts.joined(separator: " vs ")
        let stages = try stages(s.stage, cuts: cuts)
        // The default stage (after every cut) keeps the plain name; other stages say theirs.
        let marked = s.stage != nil && (s.name == nil || stages.count > 1)
        return stages.map { k in
            let stageName = k == 0 ? "all events" : cuts[k - 1].name
            return HistogramPlan(name: marked ? "\(base) @ \(stageName)" : base, spec: text, exprs: typed.map(\.expr), axes: axes,
                                 domain: domain, stage: k, stageName: stageName)
        }
    }

    func stages(_ stage: (text: String, range: SourceRange)?, cuts: [Cut]) throws(QueryError) -> [Int] {
        guard let stage else { return [cuts.count] }
        let text = stage.text
        if text == "all" { return Array(0...cuts.count) }
        if let k = Int(text) {
            guard (0...cuts.count).contains(k) else {
                throw fail(.unknownStage, "stage \(k) does not exist: 0 is before the first cut, \(cuts.count) after the last", stage.range)
            }
            return [k]
        }
        func squeeze(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        if let k = cuts.firstIndex(where: { squeeze($0.name) == squeeze(text) }) { return [k + 1] }
        let names = cuts.map { "'\($0.name)'" }.joined(separator: ", ")
        throw fail(.unknownStage, "no cut is named '\(text)'; stages are all, 0…\(cuts.count), or a cut's name" + (names.isEmpty ? "" : " (\(names))"), stage.range)
    }

    /// The axis a binning describes, its limits converted into the unit of `t`.
    func binning(_ b: HistogramSyntax.Binning, for t: Typed) throws(QueryError) -> Axis.Kind {
        if case .boolean(let r) = b {
            guard t.kind == .bool else { throw fail(.badBinning, "'bool' bins conditions; '\(t.text)' is a number (give it 'N bins lower .. upper')", r) }
            return .boolean
        }
        guard t.kind == .number else {
            throw fail(.badBinning, "'\(t.text)' is true or false: bin it with 'bool'", b.range)
        }
        let kind: Axis.Kind
        switch b {
        case .regular(let n, let lo, let hi, _):
            guard case .number(let count, nil, true, let nr) = n else { throw fail(.badBinning, "the number of bins must be a whole number", n.range) }
            guard count >= 1 else { throw fail(.badBinning, "an axis needs at least one bin", nr) }
            guard count <= Double(Axis.maxBinsPerAxis) else { throw fail(.badBinning, "more than \(Axis.maxBinsPerAxis) bins on one axis", nr) }
            let l = try bound(lo, t), u = try bound(hi, t)
            guard l < u else { throw fail(.badBinning, "the lower edge must be below the upper edge", lo.range.union(hi.range)) }
            kind = .regular(bins: Int(count), lower: l, upper: u)
        case .variable(let items, _):
            var edges: [Double] = []
            for (i, e) in items.enumerated() {
                let x = try bound(e, t)
                if i > 0 && !(edges[i - 1] < x) { throw fail(.badBinning, "edges must increase", items[i - 1].range.union(e.range)) }
                edges.append(x)
            }
            guard edges.count >= 2 else { throw fail(.badBinning, "a variable axis needs at least two edges", b.range) }
            guard edges.count - 1 <= Axis.maxBinsPerAxis else { throw fail(.badBinning, "more than \(Axis.maxBinsPerAxis) bins on one axis", b.range) }
            kind = .variable(edges: edges)
        case .integer(let lo, let hi, _):
            let l = try bound(lo, t), u = try bound(hi, t)
            for (x, s) in [(l, lo), (u, hi)] where x != x.rounded() || abs(x) > Double(Axis.maxIntegerBound) {
                throw fail(.badBinning, "integer axis limits are whole numbers within ±2^53 (in the unit of '\(t.text)')", s.range)
            }
            guard l < u else { throw fail(.badBinning, "the lower end must be below the upper end", lo.range.union(hi.range)) }
            guard u - l <= Double(Axis.maxBinsPerAxis) else { throw fail(.badBinning, "more than \(Axis.maxBinsPerAxis) bins on one axis", lo.range.union(hi.range)) }
            kind = .integer(lower: Int(l), upper: Int(u))
        case .boolean:
            preconditionFailure("handled above")
        }
        if let p = Axis(kind).problem { throw fail(.badBinning, p, b.range) }
        return kind
    }

    /// A bin edge: a number, with or without a unit (and a minus sign), in the unit of `t`.
    func bound(_ s: Syntax, _ t: Typed) throws(QueryError) -> Double {
        var e = try check(s)
        if case .negate(.number(let v)) = e.expr { e.expr = .number(-v) }
        guard case .number(let v) = e.expr else {
            throw fail(.badBinning, "a bin edge is a number, with or without a unit", s.range)
        }
        let x = try convert(v, e, to: t, op: "bin")
        guard x.isFinite else { throw fail(.badBinning, "a bin edge must be a finite number", s.range) }
        return x
    }
}
