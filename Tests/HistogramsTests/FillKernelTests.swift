import CHistograms
import Testing
@testable import Histograms

/// SplitMix64: seeded, so a failure names the seed that shows it.
struct Rng: RandomNumberGenerator {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// The axis and storage kernels against the plain definitions (`Axis.index`, one entry at a
/// time) on random values that include NaN, ±inf, values exactly on edges and next to them.
@Suite(.serialized) struct FillKernelTests {
    static let axes: [Axis] = [
        Axis(.regular(bins: 150, lower: 0, upper: 150)),
        Axis(.regular(bins: 7, lower: -1.3, upper: 2.9)),
        Axis(.regular(bins: 1, lower: 0, upper: 1)),
        Axis(.regular(bins: 100_000, lower: -1e-3, upper: 1e-3)),
        Axis(.regular(bins: 3, lower: 1e300, upper: 1.7e308)),
        Axis(.variable(edges: [-5, 0, 0.5, 1, 10, 100, 1000])),
        Axis(.variable(edges: [0, 1])),
        Axis(.integer(lower: -3, upper: 40)),
        Axis(.boolean),
    ]

    static func values(_ a: Axis, _ n: Int, _ r: inout Rng) -> [Double] {
        let e = a.edges
        let lo = e.first!, hi = e.last!
        return (0..<n).map { _ in
            switch r.int(12) {
            case 0: return .nan
            case 1: return r.int(2) == 0 ? .infinity : -.infinity
            case 2: return e[r.int(e.count)]  // exactly on an edge
            case 3: return e[r.int(e.count)].nextUp
            case 4: return e[r.int(e.count)].nextDown
            case 5: return r.int(2) == 0 ? -0.0 : 0
            case 6: return hi + (hi - lo) * Double(r.int(100)) / 50
            case 7: return lo - (hi - lo) * Double(r.int(100)) / 50
            case 8: return Double(r.int(20)) - 10
            default: return lo + (hi - lo) * Double(r.next() >> 11) / Double(1 << 53)
            }
        }
    }

    /// Every axis, with the vector loops and with the portable ones (`dh_force_portable`).
    @Test(arguments: 0..<axes.count * 2)
    func binsMatchTheDefinition(axis index: Int) {
        let axis = index % Self.axes.count
        dh_force_portable(index >= Self.axes.count ? 1 : 0)
        defer { dh_force_portable(0) }
        var r = Rng(s: UInt64(index) &+ 17)
        let a = Self.axes[axis]
        let b = AxisBinner(a)
        for n in [0, 1, 3, 4, 5, 7, 2048, 5001] {
            let v = Self.values(a, n, &r)
            var bins = [Int32](repeating: -1, count: n + 1)
            v.withUnsafeBufferPointer { vb in bins.withUnsafeMutableBufferPointer { b.bins(vb.baseAddress!, n, $0.baseAddress!) } }
            for i in 0..<n where Int(bins[i]) != a.index(v[i]) {
                Issue.record("axis \(axis) value \(v[i]) (bits \(v[i].bitPattern)): kernel \(bins[i]), definition \(a.index(v[i]))")
                return
            }
            #expect(bins[n] == -1, "wrote past the entries")
        }
    }

    /// Float32 columns binned in place, through a selection or densely.
    @Test(arguments: [false, true])
    func float32InPlaceMatchesTheDefinition(portable: Bool) {
        dh_force_portable(portable ? 1 : 0)
        defer { dh_force_portable(0) }
        var r = Rng(s: portable ? 8 : 9)
        for a in Self.axes where AxisBinner(a).takesFloat32 {
            let b = AxisBinner(a)
            for n in [0, 1, 5, 2048] {
                let v = Self.values(a, n + 3, &r).map { Float($0) }
                let sel = (0..<n).map { _ in Int32(r.int(n + 3)) }.sorted()
                var dense = [Int32](repeating: -1, count: n + 3), sparse = [Int32](repeating: -1, count: max(n, 1))
                v.withUnsafeBufferPointer { vb in
                    dense.withUnsafeMutableBufferPointer { b.binsFloat32(vb.baseAddress!, selection: nil, n + 3, $0.baseAddress!) }
                    sel.withUnsafeBufferPointer { s in sparse.withUnsafeMutableBufferPointer { b.binsFloat32(vb.baseAddress!, selection: s.baseAddress, n, $0.baseAddress!) } }
                }
                #expect(dense == v.map { Int32(a.index(Double($0))) }, "\(a.kind)")
                #expect(Array(sparse.prefix(n)) == sel.map { Int32(a.index(Double(v[Int($0)]))) }, "\(a.kind)")
            }
        }
    }

    @Test func indexConventions() {
        let a = Axis(.regular(bins: 10, lower: 0, upper: 10))
        #expect(a.index(0) == 1)  // the lower edge is inclusive
        #expect(a.index(-0.0) == 1)
        #expect(a.index(10) == 11)  // the upper edge goes to overflow
        #expect(a.index(.nan) == 11)
        #expect(a.index(-.infinity) == 0)
        #expect(a.index(0.nextDown) == 0)
        #expect(a.index(9.999999) == 10)
        let i = Axis(.integer(lower: 0, upper: 3))
        #expect((-1...4).map { i.index(Double($0)) } == [0, 1, 2, 3, 4, 4])
        #expect(i.index(2.7) == 3)
        #expect(Axis(.boolean).index(0) == 0 && Axis(.boolean).index(1) == 1)
    }

    @Test(arguments: [false, true])
    func storageKernelsMatchEntryByEntry(weighted: Bool) {
        var r = Rng(s: weighted ? 5 : 6)
        let x = Axis(.regular(bins: 20, lower: 0, upper: 100), name: "x")
        let y = Axis(.variable(edges: [0, 1, 3, 10]), name: "y")
        for n in [0, 1, 7, 2049] {
            var reference = Histogram(name: "h", axes: [x, y], weighted: weighted)
            let xs = Self.values(x, n, &r), ys = Self.values(y, n, &r)
            let ws: [Double] = (0..<n).map { _ in [1, 0.5, -2, .nan, .infinity, 1e-3][r.int(6)] }
            for i in 0..<n { reference.fill(xs[i], ys[i], weight: weighted ? ws[i] : 1) }
            var bx = [Int32](repeating: 0, count: max(n, 1)), by = bx, cells = bx
            xs.withUnsafeBufferPointer { v in bx.withUnsafeMutableBufferPointer { AxisBinner(x).bins(v.baseAddress!, n, $0.baseAddress!) } }
            ys.withUnsafeBufferPointer { v in by.withUnsafeMutableBufferPointer { AxisBinner(y).bins(v.baseAddress!, n, $0.baseAddress!) } }
            cells.withUnsafeMutableBufferPointer { FillKernels.combine(bx, by, n, stride: y.extent, into: $0.baseAddress!) }
            var h = Histogram(name: "h", axes: [x, y], weighted: weighted)
            switch h.storage {
            case .counts(var c):
                c.withUnsafeMutableBufferPointer { FillKernels.count(cells, n, into: $0.baseAddress!) }
                h.storage = .counts(c)
            case .weighted(var s, var s2):
                let bad = s.withUnsafeMutableBufferPointer { a in s2.withUnsafeMutableBufferPointer { b in FillKernels.sum(cells, ws, n, into: a.baseAddress!, b.baseAddress!) } }
                h.storage = .weighted(sumW: s, sumW2: s2)
                h.nonFiniteWeights = Int64(bad)
            }
            #expect(h == reference, "n = \(n)")
        }
    }

    @Test func limitsAreCheckedBeforeAllocation() {
        #expect(Axis(.regular(bins: 0, lower: 0, upper: 1)).problem != nil)
        #expect(Axis(.regular(bins: 10, lower: 1, upper: 1)).problem != nil)
        #expect(Axis(.regular(bins: 10, lower: 0, upper: .infinity)).problem != nil)
        #expect(Axis(.regular(bins: Axis.maxBinsPerAxis + 1, lower: 0, upper: 1)).problem != nil)
        #expect(Axis(.regular(bins: 1000, lower: 1, upper: 1.nextUp)).problem != nil)
        #expect(Axis(.variable(edges: [0, 0])).problem != nil)
        #expect(Axis(.variable(edges: [0, .nan])).problem != nil)
        #expect(Axis(.integer(lower: 0, upper: 1 << 60)).problem != nil)
        #expect(Histogram.cells([Axis(.regular(bins: 1_000_000, lower: 0, upper: 1)), Axis(.regular(bins: 1_000_000, lower: 0, upper: 1))])! > Axis.maxCells)
    }
}
