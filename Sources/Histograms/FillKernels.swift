/// The fill kernels: bin numbers for a run of values, then counts or weights added at them.
/// Filling is split in these two passes so that each is a tight loop without calls: the first
/// computes (and, for a 2D histogram, combines) the cell of every entry, the second scatters.
/// Results are exactly those of `Axis.index` (binary search over `Axis.edges`), which the tests
/// check on random data with NaN, infinities and values on edges.

/// An axis prepared for the kernels.
public struct AxisBinner: Sendable {
    enum Mode { case table, variable, boolean }
    let mode: Mode
    let bins: Int
    let lower: Double
    let upper: Double
    /// Bins per unit of x.
    let norm: Double
    /// The n+1 edges: a regular or integer axis uses them to correct the guess by ±1.
    let edges: [Double]

    public init(_ axis: Axis) {
        bins = axis.bins
        edges = axis.edges
        lower = edges.first!
        upper = edges.last!
        switch axis.kind {
        case .regular, .integer:
            mode = .table
            norm = Double(bins) / (upper - lower)
        case .variable:
            mode = .variable
            norm = 0
        case .boolean:
            mode = .boolean
            norm = 0
        }
    }

    @inline(__always)
    static func bit(_ b: Bool) -> Int { Int(unsafeBitCast(b, to: UInt8.self)) }

    /// out[i] = bin(values[i]) · stride, or out[i] += that when `accumulate` (the second axis of
    /// a 2D histogram adds its bin to the first's row offset).
    public func indices(_ values: UnsafePointer<Double>, _ count: Int, _ out: UnsafeMutablePointer<Int32>, stride: Int, accumulate: Bool) {
        guard count > 0 else { return }
        let s = Int32(stride)
        edges.withUnsafeBufferPointer { eb in
            // Safe: every index into `e` below is within 0...bins (shown at each access).
            let e = eb.baseAddress!
            switch mode {
            case .table:
                let lo = lower, norm = norm, top = Double(bins - 1), over = bins + 1
                func bin(_ x: Double) -> Int32 {
                    // The guess, clamped to 0…n−1 (NaN clamps to 0), is at most one bin off
                    // (n ≤ 10^6 bins, relative error of a few ulps); the edges settle it. Below
                    // the axis the guess 0 steps down to −1 (underflow, bin 0); at or past the
                    // top the guess n−1 steps up to n (overflow, bin n+1).
                    var t = (x - lo) * norm
                    t = t >= 0 ? t : 0
                    t = t <= top ? t : top
                    var k = Int(t)  // 0...n-1
                    k &-= AxisBinner.bit(x < e[k])  // k in -1...n-1
                    k &+= AxisBinner.bit(x >= e[k &+ 1])  // k + 1 in 0...n
                    return Int32(x.isNaN ? over : k &+ 1)
                }
                if accumulate {
                    for i in 0..<count { out[i] &+= bin(values[i]) &* s }
                } else {
                    for i in 0..<count { out[i] = bin(values[i]) &* s }
                }
            case .variable:
                let m = bins + 1, over = Int32(bins + 1)
                func bin(_ x: Double) -> Int32 {
                    // Number of edges <= x, found without branches: 0 is underflow, m overflow.
                    var base = 0, len = m
                    while len > 1 {
                        let half = len >> 1
                        base = e[base &+ half] <= x ? base &+ half : base  // base + half < m
                        len &-= half
                    }
                    let n = Int32(base &+ AxisBinner.bit(e[base] <= x))
                    return x.isNaN ? over : n
                }
                if accumulate {
                    for i in 0..<count { out[i] &+= bin(values[i]) &* s }
                } else {
                    for i in 0..<count { out[i] = bin(values[i]) &* s }
                }
            case .boolean:
                if accumulate {
                    for i in 0..<count { out[i] &+= Int32(AxisBinner.bit(values[i] != 0)) &* s }
                } else {
                    for i in 0..<count { out[i] = Int32(AxisBinner.bit(values[i] != 0)) &* s }
                }
            }
        }
    }
}

public enum FillKernels {
    /// counts[cell[i]] += 1 for each entry.
    public static func count(_ cells: UnsafePointer<Int32>, _ n: Int, into counts: UnsafeMutablePointer<Int64>) {
        for i in 0..<n { counts[Int(cells[i])] &+= 1 }
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
