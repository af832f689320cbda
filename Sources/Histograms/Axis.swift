/// One axis of a histogram (Formats/HIST.md, section 2). Bins are numbered as they are stored:
/// 0 is the underflow, 1…n the bins, n+1 the overflow — except a boolean axis, which has exactly
/// two bins (false, true) and no flow. A bin holds its lower edge and not its upper one; NaN goes
/// to the overflow, as in ROOT and boost-histogram.
public struct Axis: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `bins` equal bins from `lower` to `upper`.
        case regular(bins: Int, lower: Double, upper: Double)
        /// Bins between consecutive `edges` (strictly increasing, finite, at least two).
        case variable(edges: [Double])
        /// One bin per integer lower, lower+1, …, upper-1.
        case integer(lower: Int, upper: Int)
        /// false, true.
        case boolean
    }

    public var kind: Kind
    /// What is binned: the expression as typed (`ecal_e`), or a name read from a file.
    public var name: String
    /// The axis title of a picture, with its unit: `ecal_e [GeV]`.
    public var label: String
    /// The unit symbol of the values (`GeV`), empty when they have none.
    public var unit: String

    public init(_ kind: Kind, name: String = "", label: String? = nil, unit: String = "") {
        self.kind = kind
        self.name = name
        self.unit = unit
        self.label = label ?? (unit.isEmpty ? name : "\(name) [\(unit)]")
    }

    /// Limits that keep a histogram (and every worker's copy of it) bounded; checked before any
    /// storage is allocated, for queries and for files alike.
    public static let maxBinsPerAxis = 1_000_000
    /// Largest number of cells of one histogram, flow bins included (2^22: 2046 × 2046 in 2D).
    public static let maxCells = 1 << 22
    /// Integer axes bound their values to whole numbers a Double holds exactly.
    public static let maxIntegerBound = 1 << 53

    /// Number of bins, flow bins not counted.
    public var bins: Int {
        switch kind {
        case .regular(let n, _, _): n
        case .variable(let e): e.count - 1
        case .integer(let lo, let hi): hi - lo
        case .boolean: 2
        }
    }

    public var hasFlow: Bool { kind != .boolean }

    /// Cells along this axis as stored: bins plus underflow and overflow.
    public var extent: Int { hasFlow ? bins + 2 : 2 }

    /// The bin edges, n+1 of them. Regular axes use the formula of Formats/HIST.md (that of
    /// numpy.linspace): edge k = lower + k·((upper − lower)/n), and edge n = upper exactly.
    public var edges: [Double] { (0...bins).map(edge) }

    /// Edge k (0…bins) of `edges`.
    public func edge(_ k: Int) -> Double {
        switch kind {
        case .regular(let n, let lo, let hi): k == n ? hi : lo + Double(k) * ((hi - lo) / Double(n))
        case .variable(let e): e[k]
        case .integer(let lo, _): Double(lo + k)
        case .boolean: Double(k)
        }
    }

    /// The stored bin of `x` (0 underflow, 1…n, n+1 overflow; 0/1 for a boolean axis), by
    /// binary search over `edges`: the definition the fill kernels are tested against.
    public func index(_ x: Double) -> Int {
        if case .boolean = kind { return x != 0 ? 1 : 0 }
        if x.isNaN { return bins + 1 }
        // Number of edges <= x: 0 below the first edge, n+1 at or past the last.
        var lo = 0, hi = bins + 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if edge(mid) <= x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Checks the binning against the format's rules and limits; nil when it is valid, else what
    /// is wrong (for error messages that add the place).
    public var problem: String? {
        switch kind {
        case .regular(let n, let lo, let hi):
            if n < 1 { return "an axis needs at least one bin, not \(n)" }
            if n > Axis.maxBinsPerAxis { return "\(n) bins on one axis is more than the limit of \(Axis.maxBinsPerAxis)" }
            if !lo.isFinite || !hi.isFinite { return "the axis limits must be finite numbers" }
            if !(lo < hi) { return "the lower edge \(lo) must be below the upper edge \(hi)" }
            // Bins so narrow that neighbouring edges coincide cannot be told apart.
            let step = (hi - lo) / Double(n)
            if !step.isFinite { return "the axis from \(lo) to \(hi) is wider than a double can hold" }
            if !(lo + step > lo) || !(hi - step < hi) { return "\(n) bins between \(lo) and \(hi) are narrower than a double can resolve" }
        case .variable(let e):
            if e.count < 2 { return "a variable axis needs at least two edges" }
            if e.count - 1 > Axis.maxBinsPerAxis { return "\(e.count - 1) bins on one axis is more than the limit of \(Axis.maxBinsPerAxis)" }
            for (i, x) in e.enumerated() {
                if !x.isFinite { return "edge \(i) is not a finite number" }
                if i > 0 && !(e[i - 1] < x) { return "edges must increase: edge \(i) (\(x)) is not above edge \(i - 1) (\(e[i - 1]))" }
                if i > 0 && !(x - e[i - 1]).isFinite { return "edges \(i - 1) and \(i) are further apart than a double can hold" }
            }
        case .integer(let lo, let hi):
            if abs(lo) > Axis.maxIntegerBound || abs(hi) > Axis.maxIntegerBound { return "integer axis limits must lie within ±2^53" }
            if !(lo < hi) { return "the lower end \(lo) must be below the upper end \(hi)" }
            if hi - lo > Axis.maxBinsPerAxis { return "\(hi - lo) bins on one axis is more than the limit of \(Axis.maxBinsPerAxis)" }
        case .boolean: break
        }
        return nil
    }

    /// The first difference between two axes that keeps histograms on them from being added,
    /// in words; nil when they are identical.
    public func difference(from o: Axis) -> String? {
        func what(_ k: Kind) -> String {
            switch k {
            case .regular: "regular"
            case .variable: "variable"
            case .integer: "integer"
            case .boolean: "boolean"
            }
        }
        switch (kind, o.kind) {
        case (.regular(let n1, let l1, let u1), .regular(let n2, let l2, let u2)):
            if n1 != n2 { return "\(n1) bins vs \(n2)" }
            if l1 != l2 { return "lower edge \(l1) vs \(l2)" }
            if u1 != u2 { return "upper edge \(u1) vs \(u2)" }
        case (.variable(let e1), .variable(let e2)):
            if e1.count != e2.count { return "\(e1.count) edges vs \(e2.count)" }
            if let i = e1.indices.first(where: { e1[$0] != e2[$0] }) { return "edge \(i) is \(e1[i]) vs \(e2[i])" }
        case (.integer(let l1, let u1), .integer(let l2, let u2)):
            if l1 != l2 { return "lower end \(l1) vs \(l2)" }
            if u1 != u2 { return "upper end \(u1) vs \(u2)" }
        case (.boolean, .boolean): break
        default: return "\(what(kind)) vs \(what(o.kind)) binning"
        }
        if name != o.name { return "name '\(name)' vs '\(o.name)'" }
        if unit != o.unit { return "unit '\(unit)' vs '\(o.unit)'" }
        return nil
    }
}
