import EventFormat
import Histograms
import Query

/// Fills a query's histograms during the scan (Formats/HIST.md, section 4). Scan.process calls
/// `fill(stage:…)` after each stage of the cut flow with the batch's selection; each worker has
/// one filler. Per batch and histogram: the values of the selected events (or of their elements)
/// are gathered as Double, binned by the axis kernels and added by the storage kernels, in
/// buffers reused from batch to batch — nothing is allocated per event.
///
/// Counts are integers, so a worker adds all its clusters into one set and the workers' sets
/// are summed at the end: the same result for any thread count. Sums of weights depend on the
/// order of addition, so with a weight each cluster's sums are handed over with its cut flow and
/// added in cluster order, as the cut flow's Σw is.
final class HistogramFiller {
    let plans: [HistogramPlan]
    let binners: [[AxisBinner]]
    /// Plans by stage (0…cuts).
    let byStage: [[Int]]
    let weighted: Bool
    var counts: [[Int64]]
    var sumW: [[Double]]
    var sumW2: [[Double]]
    var nonFinite: [Int64]
    var filledSinceTake = false
    // Scratch, reused: values of an axis, weights, cells of a 2D histogram.
    var x: [Double] = [], w: [Double] = []
    var cells: [Int32] = []

    init(_ query: CheckedQuery) {
        plans = query.histograms
        binners = plans.map { $0.axes.map(AxisBinner.init) }
        var stages = [[Int]](repeating: [], count: query.cuts.count + 1)
        for (i, p) in plans.enumerated() { stages[p.stage].append(i) }
        byStage = stages
        weighted = query.weight != nil
        let sizes = plans.map { Histogram.cells($0.axes)! }
        counts = weighted ? [] : sizes.map { [Int64](repeating: 0, count: $0) }
        sumW = weighted ? sizes.map { [Double](repeating: 0, count: $0) } : []
        sumW2 = sumW
        nonFinite = plans.map { _ in 0 }
    }

    /// Empty histograms for every plan of `query`, with what the engine knows in their metadata.
    static func empty(_ query: CheckedQuery) -> [Histogram] {
        query.histograms.map { p in
            var meta: [String: Histogram.Value] = [
                "darkscan.spec": .string(p.spec), "darkscan.query": .string(query.text),
                "darkscan.stage": .string(p.stageName), "darkscan.stage_index": .int(Int64(p.stage)),
            ]
            if p.domain != nil { meta["darkscan.fill"] = .string("per element") }
            return Histogram(name: p.name, axes: p.axes, weighted: query.weight != nil, metadata: meta)
        }
    }

    /// Whether a cluster whose cuts statistics settle (all events pass cuts 1…k, none pass k+1)
    /// still needs its events read for histograms filled at stages 0…k.
    static func needsEvents(_ query: CheckedQuery, throughStage k: Int) -> Bool {
        query.histograms.contains { $0.stage <= k }
    }

    /// Clusters a count may hold in memory at once when each carries its own weighted sums.
    static func window(_ window: Int, _ query: CheckedQuery, threads: Int) -> Int {
        guard query.weight != nil, !query.histograms.isEmpty else { return window }
        let bytes = query.histograms.reduce(0) { $0 + Histogram.cells($1.axes)! * 16 }
        return max(threads * 2, min(window, (256 << 20) / max(bytes, 1)))
    }

    /// This cluster's weighted sums (nil for counts, which stay with the worker), reset for the
    /// next cluster.
    func takeCluster() -> [Histogram] {
        guard weighted, filledSinceTake else { return [] }
        filledSinceTake = false
        var out: [Histogram] = []
        for (i, p) in plans.enumerated() {
            var h = Histogram(name: p.name, axes: p.axes, weighted: true)
            h.storage = .weighted(sumW: sumW[i], sumW2: sumW2[i])
            h.nonFiniteWeights = nonFinite[i]
            out.append(h)
            let n = sumW[i].count
            sumW[i] = [Double](repeating: 0, count: n)
            sumW2[i] = [Double](repeating: 0, count: n)
            nonFinite[i] = 0
        }
        return out
    }

    /// The worker's counts over all the clusters it took ([] with weights).
    func workerCounts() -> [Histogram] {
        guard !weighted, filledSinceTake else { return [] }
        return plans.enumerated().map { i, p in
            var h = Histogram(name: p.name, axes: p.axes, weighted: false)
            h.storage = .counts(counts[i])
            return h
        }
    }

    /// Fills the histograms of `stage` with the selected events of the batch. `weights` holds
    /// one weight per event of the batch when the query has a weight.
    func fill(stage: Int, _ ev: Evaluator, _ sel: Selection, _ weights: [Double]?) throws(EVCError) {
        guard stage < byStage.count, !byStage[stage].isEmpty, !sel.isEmpty else { return }
        filledSinceTake = true
        binned.removeAll(keepingCapacity: true)
        for i in byStage[stage] { try fill(i, ev, sel, weights) }
    }

    /// An axis binned in this batch: plans that share an expression and binning (a 1D
    /// histogram and a 2D one on the same quantity) share its bins.
    struct Binned {
        var expr: Expr
        var kind: Axis.Kind
        var domain: Domain?
        var slot: Int
    }
    var binned: [Binned] = []
    var binPool: [[Int32]] = []

    func fill(_ h: Int, _ ev: Evaluator, _ sel: Selection, _ weights: [Double]?) throws(EVCError) {
        let plan = plans[h]
        // Entries: one per selected event, or one per element of the selected events.
        var ends: [Int]? = nil
        var n = sel.count
        if let d = plan.domain {
            let e = try ev.segments(d)
            n = 0
            for i in sel { n &+= e[Int(i) + 1] &- e[Int(i)] }
            ends = e
        }
        guard n > 0 else { return }
        var slots: [Int] = []
        for (a, e) in plan.exprs.enumerated() {
            if let hit = binned.first(where: { $0.expr == e && $0.kind == plan.axes[a].kind && $0.domain == plan.domain }) {
                slots.append(hit.slot)
                continue
            }
            let slot = binned.count
            if binPool.count <= slot { binPool.append([]) }
            HistogramFiller.reserve(&binPool[slot], n)
            let binner = binners[h][a]
            if case .scalar(let c, .float32) = e, ends == nil, binner.takesFloat32 {
                // A float32 column: binned in place, through the selection unless it is the whole batch.
                let p = try ev.view.values(c, per: 1).assumingMemoryBound(to: Float.self)
                let dense = sel.count == ev.view.count
                sel.withUnsafeBufferPointer { s in
                    binPool[slot].withUnsafeMutableBufferPointer { binner.binsFloat32(p, selection: dense ? nil : s.baseAddress!, n, $0.baseAddress!) }
                }
            } else {
                try values(e, ev, sel, ends, plan.domain, n, into: &x)
                x.withUnsafeBufferPointer { v in binPool[slot].withUnsafeMutableBufferPointer { binner.bins(v.baseAddress!, n, $0.baseAddress!) } }
            }
            binned.append(Binned(expr: e, kind: plan.axes[a].kind, domain: plan.domain, slot: slot))
            slots.append(slot)
        }
        if slots.count == 2 {
            HistogramFiller.reserve(&cells, n)
            binPool[slots[0]].withUnsafeBufferPointer { a in
                binPool[slots[1]].withUnsafeBufferPointer { b in
                    cells.withUnsafeMutableBufferPointer { FillKernels.combine(a.baseAddress!, b.baseAddress!, n, stride: plan.axes[1].extent, into: $0.baseAddress!) }
                }
            }
        }
        if slots.count == 2 {
            cells.withUnsafeBufferPointer { add(h, $0.baseAddress!, n, sel, ends, weights) }
        } else {
            binPool[slots[0]].withUnsafeBufferPointer { add(h, $0.baseAddress!, n, sel, ends, weights) }
        }
    }

    /// Adds the entries at `cells` to histogram h: counts, or weights (one per event in
    /// `weights`, repeated over each event's elements).
    func add(_ h: Int, _ c: UnsafePointer<Int32>, _ n: Int, _ sel: Selection, _ ends: [Int]?, _ weights: [Double]?) {
        if let weights {
            HistogramFiller.reserve(&w, n)
            w.withUnsafeMutableBufferPointer { out in
                weights.withUnsafeBufferPointer { src in HistogramFiller.perEntry(src, sel, ends, out.baseAddress!) }
            }
            let bad = w.withUnsafeBufferPointer { wb in
                sumW[h].withUnsafeMutableBufferPointer { s in
                    sumW2[h].withUnsafeMutableBufferPointer { s2 in FillKernels.sum(c, wb.baseAddress!, n, into: s.baseAddress!, s2.baseAddress!) }
                }
            }
            nonFinite[h] &+= Int64(bad)
        } else {
            counts[h].withUnsafeMutableBufferPointer { FillKernels.count(c, n, into: $0.baseAddress!) }
        }
    }

    static func reserve<T: Numeric>(_ a: inout [T], _ n: Int) {
        if a.count < n { a = [T](repeating: 0, count: max(n, a.count * 2)) }
    }

    /// Event values `v` (one per event of the batch) for each entry: the selected events', each
    /// repeated over its elements when `ends` is given.
    static func perEntry(_ v: UnsafeBufferPointer<Double>, _ sel: Selection, _ ends: [Int]?, _ out: UnsafeMutablePointer<Double>) {
        var k = 0
        if let ends {
            for i in sel {
                let x = v[Int(i)]
                for _ in ends[Int(i)]..<ends[Int(i) + 1] { out[k] = x; k &+= 1 }
            }
        } else {
            for i in sel { out[k] = v[Int(i)]; k &+= 1 }
        }
    }

    /// The values of `e` for every entry, as Double, into `out` (at least `n` long on return).
    func values(_ e: Expr, _ ev: Evaluator, _ sel: Selection, _ ends: [Int]?, _ domain: Domain?, _ n: Int, into out: inout [Double]) throws(EVCError) {
        HistogramFiller.reserve(&out, n)
        let view = ev.view
        switch e {
        case .scalar(let c, let t) where ends == nil:
            let p = try view.values(c, per: 1)
            out.withUnsafeMutableBufferPointer { Gather.events(p, t, sel, stride: 1, offset: 0, $0.baseAddress!) }
        case .element(let c, let t, let offset, let per) where ends == nil:
            let p = try view.values(c, per: per)
            out.withUnsafeMutableBufferPointer { Gather.events(p, t, sel, stride: per, offset: offset, $0.baseAddress!) }
        case .arraySlice(let c, let t, let offset, let count, let per):
            let p = try view.values(c, per: per)
            out.withUnsafeMutableBufferPointer { Gather.slices(p, t, sel, per: per, offset: offset, count: count, $0.baseAddress!) }
        case .listValues(let c, let t, let o):
            let p = try view.listValues(c, offsetsColumn: o)
            out.withUnsafeMutableBufferPointer { Gather.lists(p, t, sel, ends!, $0.baseAddress!) }
        default:
            if let domain, HistogramFiller.isElementLevel(e) {
                // An element expression: computed over every element of the batch, then gathered.
                let all = e.isBoolean ? try ev.elementMask(e, domain).map { $0 ? 1.0 : 0.0 } : try ev.elementNumbers(e, domain)
                out.withUnsafeMutableBufferPointer { o in
                    all.withUnsafeBufferPointer { Gather.lists(UnsafeRawPointer($0.baseAddress!), .float64, sel, ends!, o.baseAddress!) }
                }
            } else {
                // One value per event (computed over the batch), repeated over elements if any.
                let all = e.isBoolean ? try ev.mask(e).map { $0 ? 1.0 : 0.0 } : try ev.numbers(e)
                out.withUnsafeMutableBufferPointer { o in all.withUnsafeBufferPointer { HistogramFiller.perEntry($0, sel, ends, o.baseAddress!) } }
            }
        }
    }

    /// Whether `e` runs over elements (the checker knows the level; the plan keeps only the
    /// domain, so it is read back from the expression's leaves).
    static func isElementLevel(_ e: Expr) -> Bool {
        switch e {
        case .arraySlice, .listValues: return true
        case .number, .boolean, .scalar, .element, .reduce, .length: return false
        case .negate(let a), .not(let a), .inList(let a, _): return isElementLevel(a)
        case .arith(_, let a, let b), .compare(_, let a, let b): return isElementLevel(a) || isElementLevel(b)
        case .function(_, let xs), .and(let xs), .or(let xs): return xs.contains(where: isElementLevel)
        }
    }
}

/// Typed gathers into Double: the type is switched on once per call, the loops are specialized.
enum Gather {
    @inline(__always)
    static func typed(_ p: UnsafeRawPointer, _ t: ScalarType, _ body: (UnsafeRawPointer, (UnsafeRawPointer, Int) -> Double) -> Void) {
        switch t {
        case .bool: body(p) { $0.load(fromByteOffset: $1, as: UInt8.self) != 0 ? 1 : 0 }
        case .int8: body(p) { Double($0.load(fromByteOffset: $1, as: Int8.self)) }
        case .uint8: body(p) { Double($0.load(fromByteOffset: $1, as: UInt8.self)) }
        case .int16: body(p) { Double($0.load(fromByteOffset: $1 &* 2, as: Int16.self)) }
        case .uint16: body(p) { Double($0.load(fromByteOffset: $1 &* 2, as: UInt16.self)) }
        case .int32: body(p) { Double($0.load(fromByteOffset: $1 &* 4, as: Int32.self)) }
        case .uint32: body(p) { Double($0.load(fromByteOffset: $1 &* 4, as: UInt32.self)) }
        case .int64: body(p) { Double($0.load(fromByteOffset: $1 &* 8, as: Int64.self)) }
        case .uint64: body(p) { Double($0.load(fromByteOffset: $1 &* 8, as: UInt64.self)) }
        case .float32: body(p) { Double($0.load(fromByteOffset: $1 &* 4, as: Float.self)) }
        case .float64: body(p) { $0.load(fromByteOffset: $1 &* 8, as: Double.self) }
        }
    }

    /// out[k] = value of event sel[k] (at sel[k]·stride + offset).
    static func events(_ p: UnsafeRawPointer, _ t: ScalarType, _ sel: Selection, stride: Int, offset: Int, _ out: UnsafeMutablePointer<Double>) {
        sel.withUnsafeBufferPointer { s in
            typed(p, t) { p, load in
                for k in 0..<s.count { out[k] = load(p, Int(s[k]) &* stride &+ offset) }
            }
        }
    }

    /// The `count` values at i·per + offset of each selected event i, in order.
    static func slices(_ p: UnsafeRawPointer, _ t: ScalarType, _ sel: Selection, per: Int, offset: Int, count: Int, _ out: UnsafeMutablePointer<Double>) {
        typed(p, t) { p, load in
            var k = 0
            for i in sel {
                let base = Int(i) &* per &+ offset
                for j in 0..<count { out[k &+ j] = load(p, base &+ j) }
                k &+= count
            }
        }
    }

    /// The values ends[i] ..< ends[i+1] of each selected event i, in order.
    static func lists(_ p: UnsafeRawPointer, _ t: ScalarType, _ sel: Selection, _ ends: [Int], _ out: UnsafeMutablePointer<Double>) {
        typed(p, t) { p, load in
            var k = 0
            for i in sel {
                for j in ends[Int(i)]..<ends[Int(i) + 1] { out[k] = load(p, j); k &+= 1 }
            }
        }
    }
}
