/// A 1D or 2D histogram: its axes, its bins (flow bins included, axis 0 outermost: cell
/// (i, j) of a 2D histogram is at i · extent₁ + j), and metadata (Formats/HIST.md).
public struct Histogram: Sendable, Equatable {
    /// What each cell holds: a count of entries, or the sum of their weights and of their
    /// squared weights (whose square root is the statistical error of the bin).
    public enum Storage: Sendable, Equatable {
        case counts([Int64])
        case weighted(sumW: [Double], sumW2: [Double])

        public var isWeighted: Bool {
            if case .weighted = self { return true }
            return false
        }
    }

    /// A metadata value: UHI allows strings, numbers and booleans only.
    public enum Value: Sendable, Equatable, CustomStringConvertible {
        case string(String)
        case int(Int64)
        case double(Double)
        case bool(Bool)

        public var description: String {
            switch self {
            case .string(let s): s
            case .int(let i): String(i)
            case .double(let d): String(d)
            case .bool(let b): String(b)
            }
        }

        public var number: Double? {
            switch self {
            case .int(let i): Double(i)
            case .double(let d): d
            default: nil
            }
        }
    }

    public var name: String
    public var axes: [Axis]
    public var storage: Storage
    public var metadata: [String: Value]
    /// Entries not filled because their weight was NaN or infinite (a JSON file cannot hold
    /// such sums); written to the metadata and reported.
    public var nonFiniteWeights: Int64 = 0

    /// An empty histogram. The axes must be valid (`Axis.problem` nil) and within the cell
    /// limit: checked by whoever built them from outside input.
    public init(name: String, axes: [Axis], weighted: Bool, metadata: [String: Value] = [:]) {
        precondition((1...2).contains(axes.count) && axes.allSatisfy { $0.problem == nil }, "invalid axes")
        let n = Histogram.cells(axes)!
        precondition(n <= Axis.maxCells, "too many cells")
        self.name = name
        self.axes = axes
        self.metadata = metadata
        storage = weighted ? .weighted(sumW: [Double](repeating: 0, count: n), sumW2: [Double](repeating: 0, count: n)) : .counts([Int64](repeating: 0, count: n))
    }

    init(name: String, axes: [Axis], storage: Storage, metadata: [String: Value], nonFiniteWeights: Int64) {
        self.name = name
        self.axes = axes
        self.storage = storage
        self.metadata = metadata
        self.nonFiniteWeights = nonFiniteWeights
    }

    /// Cells of a histogram on `axes` (flow bins included), nil when the product overflows.
    public static func cells(_ axes: [Axis]) -> Int? {
        var n = 1
        for a in axes {
            let (p, o) = n.multipliedReportingOverflow(by: a.extent)
            if o { return nil }
            n = p
        }
        return n
    }

    public var cellCount: Int { axes.reduce(1) { $0 * $1.extent } }

    /// Bytes of its storage.
    public var storageBytes: Int { cellCount * (storage.isWeighted ? 16 : 8) }

    /// Σw of every cell (counts as Double).
    public var values: [Double] {
        switch storage {
        case .counts(let c): c.map(Double.init)
        case .weighted(let w, _): w
        }
    }

    /// Σw² of every cell (the count itself for unweighted entries, whose weight is 1).
    public var variances: [Double] {
        switch storage {
        case .counts(let c): c.map(Double.init)
        case .weighted(_, let w2): w2
        }
    }

    /// Sum over every cell, flow bins included.
    public var total: Double { values.reduce(0, +) }

    /// The first cell whose Σw or Σw² is not finite (sums of huge weights overflow), which a
    /// JSON file cannot hold; nil when every cell is finite.
    public var firstNonFiniteCell: Int? {
        guard case .weighted(let w, let w2) = storage else { return nil }
        return w.indices.first { !w[$0].isFinite || !w2[$0].isFinite }
    }

    /// Throws when a cell's sums are not finite (see `firstNonFiniteCell`).
    public func checkFinite() throws(HistogramError) {
        if let c = firstNonFiniteCell {
            throw HistogramError("histogram '\(name)': the sums of cell \(c) overflow a double (weights too large); they cannot be stored")
        }
    }

    /// Why `o` cannot be added to this histogram (the first difference), or nil.
    public func mergeProblem(_ o: Histogram) -> String? {
        if axes.count != o.axes.count { return "\(axes.count) axes vs \(o.axes.count)" }
        for (i, (a, b)) in zip(axes, o.axes).enumerated() {
            if let d = a.difference(from: b) { return "axis \(i): \(d)" }
        }
        if storage.isWeighted != o.storage.isWeighted {
            return "storage \(storage.isWeighted ? "weighted" : "counts") vs \(o.storage.isWeighted ? "weighted" : "counts")"
        }
        return nil
    }

    /// Adds `o`'s contents. Throws when the axes or storages differ, naming the first difference.
    public mutating func add(_ o: Histogram) throws(HistogramError) {
        if let p = mergeProblem(o) {
            throw HistogramError("cannot add histogram '\(o.name)' to '\(name)': \(p)")
        }
        if case .counts(let a) = storage, case .counts(let b) = o.storage {
            for i in a.indices where b[i] != 0 && (a[i].addingReportingOverflow(b[i]).overflow) {
                throw HistogramError("cannot add histogram '\(o.name)' to '\(name)': the count of cell \(i) overflows a 64-bit integer")
            }
        }
        formSum(o)
    }

    /// Adds `o`'s contents, whose axes and storage are known to be the same (one plan filled by
    /// different workers or clusters).
    public mutating func formSum(_ o: Histogram) {
        switch (storage, o.storage) {
        case (.counts(var a), .counts(let b)):
            storage = .counts([])  // keep `a` uniquely referenced while adding
            a.withUnsafeMutableBufferPointer { x in
                b.withUnsafeBufferPointer { y in for i in x.indices { x[i] &+= y[i] } }
            }
            storage = .counts(a)
        case (.weighted(var w, var w2), .weighted(let v, let v2)):
            storage = .counts([])
            w.withUnsafeMutableBufferPointer { x in v.withUnsafeBufferPointer { y in for i in x.indices { x[i] += y[i] } } }
            w2.withUnsafeMutableBufferPointer { x in v2.withUnsafeBufferPointer { y in for i in x.indices { x[i] += y[i] } } }
            storage = .weighted(sumW: w, sumW2: w2)
        default:
            preconditionFailure("formSum of different storages")
        }
        nonFiniteWeights &+= o.nonFiniteWeights
    }
}

/// A problem with histograms: a file that cannot be read (path, place) or histograms that
/// cannot be combined. One line when printed.
public struct HistogramError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var path: String?
    /// Where in the file: a byte offset for syntax, a JSON path for content.
    public var place: String?

    public init(_ message: String, path: String? = nil, place: String? = nil) {
        self.message = message
        self.path = path
        self.place = place
    }

    public var description: String {
        var s = ""
        if let path { s += path }
        if let place { s += s.isEmpty ? place : " (\(place))" }
        return s.isEmpty ? message : s + ": " + message
    }
}
