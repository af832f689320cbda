import CHistograms

/// The fill kernels: bin numbers for a run of values, then counts or weights added at them.
/// Filling is split in passes so that each is a tight loop without calls: bins per axis (the
/// C loops of CHistograms, four values at a time with AVX2), cells of 2D histograms combined
/// from them, then the scatter into the storage. Results are exactly those of `Axis.index`
/// (binary search over `Axis.edges`), which the tests check on random data with NaN,
/// infinities and values on and next to edges.

/// An axis prepared for the kernels.
public struct AxisBinner: Sendable {
    enum Mode { case table, variable, boolean }
    let mode: Mode
    let bins: Int
    /// Regular and integer axes: edges computed as `Axis.edge` does.
    let table: dh_table_axis
    /// Variable axes: the edges.
    let edges: [Double]

    public init(_ axis: Axis) {
        bins = axis.bins
        switch axis.kind {
        case .regular(let n, let lo, let hi):
            mode = .table
            table = dh_table_axis(lo: lo, hi: hi, step: (hi - lo) / Double(n), norm: Double(n) / (hi - lo), bins: Int32(n))
            edges = []
        case .integer(let lo, let hi):
            mode = .table
            table = dh_table_axis(lo: Double(lo), hi: Double(hi), step: 1, norm: 1, bins: Int32(hi - lo))
            edges = []
        case .variable(let e):
            mode = .variable
            table = dh_table_axis()
            edges = e
        case .boolean:
            mode = .boolean
            table = dh_table_axis()
            edges = []
        }
    }

    /// Regular and integer axes also bin float32 values in place (`binsFloat32`).
    public var takesFloat32: Bool { mode == .table }

    /// out[i] = the stored bin of values[i] (0 underflow, 1…n, n+1 overflow; 0/1 on a
    /// boolean axis).
    public func bins(_ values: UnsafePointer<Double>, _ count: Int, _ out: UnsafeMutablePointer<Int32>) {
        guard count > 0 else { return }
        switch mode {
        case .table:
            withUnsafePointer(to: table) { dh_bins_table(values, count, $0, out) }
        case .variable:
            edges.withUnsafeBufferPointer { dh_bins_variable(values, count, $0.baseAddress!, Int32(bins), out) }
        case .boolean:
            for i in 0..<count { out[i] = values[i] != 0 ? 1 : 0 }
        }
    }

    /// out[i] = the bin of values[selection[i]] (values[i] without a selection), for float32
    /// values read in place; only when `takesFloat32`.
    public func binsFloat32(_ values: UnsafePointer<Float>, selection: UnsafePointer<Int32>?, _ count: Int, _ out: UnsafeMutablePointer<Int32>) {
        precondition(mode == .table, "float32 values are binned in place on regular and integer axes only")
        guard count > 0 else { return }
        withUnsafePointer(to: table) { dh_bins_table_f32(values, selection, count, $0, out) }
    }
}

public enum FillKernels {
    /// out[i] = a[i] · stride + b[i]: cells of a 2D histogram from the bins of its axes
    /// (stride: the second axis's extent).
    public static func combine(_ a: UnsafePointer<Int32>, _ b: UnsafePointer<Int32>, _ n: Int, stride: Int, into out: UnsafeMutablePointer<Int32>) {
        dh_combine(a, b, n, Int32(stride), out)
    }

    /// counts[cell[i]] += 1 for each entry.
    public static func count(_ cells: UnsafePointer<Int32>, _ n: Int, into counts: UnsafeMutablePointer<Int64>) {
        dh_count(cells, n, counts)
    }

    /// sumW[cell[i]] += w[i], sumW2[cell[i]] += w[i]²; entries whose weight is NaN or infinite
    /// are left out and counted (the return value).
    public static func sum(_ cells: UnsafePointer<Int32>, _ w: UnsafePointer<Double>, _ n: Int,
                           into sumW: UnsafeMutablePointer<Double>, _ sumW2: UnsafeMutablePointer<Double>) -> Int {
        var bad = 0
        for i in 0..<n {
            let x = w[i]
            if x.isFinite {
                let c = Int(cells[i])
                sumW[c] += x
                sumW2[c] += x * x
            } else {
                bad &+= 1
            }
        }
        return bad
    }
}

extension Histogram {
    /// Fills one entry (x, and y for a 2D histogram) with an optional weight: the plain
    /// definition, one entry at a time, for callers with few values and for tests.
    public mutating func fill(_ x: Double, _ y: Double? = nil, weight: Double = 1) {
        precondition((y == nil) == (axes.count == 1), "one value per axis")
        precondition(weight == 1 || storage.isWeighted, "a weight needs weighted storage")
        var cell = axes[0].index(x)
        if let y { cell = cell * axes[1].extent + axes[1].index(y) }
        switch storage {
        case .counts(var c):
            storage = .counts([])
            c[cell] &+= 1
            storage = .counts(c)
        case .weighted(var w, var w2):
            guard weight.isFinite else {
                nonFiniteWeights &+= 1
                return
            }
            storage = .counts([])
            w[cell] += weight
            w2[cell] += weight * weight
            storage = .weighted(sumW: w, sumW2: w2)
        }
    }
}
