import EventFormat
import Histograms
import Query

/// Fills a query's histograms during the scan (Formats/HIST.md, section 4). Scan.process calls
/// `fill(stage:…)` after each stage of the cut flow with the batch's selection; each worker has
/// one filler. Per batch and histogram: the values of the selected events (or of their elements)
/// are binned by the axis kernels (float32 columns in place, anything else gathered as Double
/// first) and added by the storage kernels, in buffers reused from batch to batch — nothing is
/// allocated per event. An axis shared by several histograms of one stage (a 1D histogram and a
/// 2D one of the same quantity) is binned once.
///
/// Counts are integers, so a worker adds all its clusters into one set and the workers' sets
/// are summed at the end: the same result for any thread count. Sums of weights depend on the
/// order of addition, so with a weight each cluster's sums are handed over with its cut flow and
/// added in cluster order, as the cut flow's Σw is.
final class HistogramFiller {
    /// A distinct (expression, binning, domain) of the query's axes: binned once per stage.
    struct Slot {
        var expr: Expr
        var kind: Axis.Kind
        var domain: Domain?
        var binner: AxisBinner
        /// A float32 column binned in place (one value per event, regular or integer axis).
        var float32Column: Int?
    }

    let plans: [HistogramPlan]
    /// Per plan: the elements it fills once each, or nil (once per event).
    let domains: [Domain?]
    let slots: [Slot]
    /// Per plan: the slots of its axes (the second −1 for 1D) and the extent of its axis 1.
    let planSlots: [(Int, Int, stride: Int)]
    /// Plans by stage (0…cuts).
    let byStage: [[Int]]
    let weighted: Bool

    /// Everything that changes while filling, in one value, so a batch takes one exclusive
    /// access to it rather than one per array.
    struct State {
        var counts: [[Int64]]
        var sumW: [[Double]]
        var sumW2: [[Double]]
        var nonFinite: [Int64]
        var filledSinceTake = false
        /// Bins of each slot for the current stage, and the fill call that computed them.
        var bins: [[Int32]]
        var binnedAt: [Int]
        var call = 0
        // Scratch: values of an axis, weights, cells of a 2D histogram.
        var x: [Double] = [], w: [Double] = []
        var cells: [Int32] = []
    }
    var state: State

    init(_ query: CheckedQuery) {
        plans = query.histograms
        var slots: [Slot] = []
        var planSlots: [(Int, Int, stride: Int)] = []
        for p in plans {
            var s = [-1, -1]
            for (a, e) in p.exprs.enumerated() {
                if let k = slots.firstIndex(where: { $0.expr == e && $0.kind == p.axes[a].kind && $0.domain == p.domain }) {
                    s[a] = k
                    continue
                }
                let binner = AxisBinner(p.axes[a])
                var f32: Int? = nil
                if case .scalar(let c, .float32) = e, p.domain == nil, binner.takesFloat32 { f32 = c }
                slots.append(Slot(expr: e, kind: p.axes[a].kind, domain: p.domain, binner: binner, float32Column: f32))
                s[a] = slots.count - 1
            }
            planSlots.append((s[0], s[1], stride: p.axes.count == 2 ? p.axes[1].extent : 1))
        }
        self.slots = slots
        self.planSlots = planSlots
        domains = plans.map(\.domain)
        var stages = [[Int]](repeating: [], count: query.cuts.count + 1)
        for (i, p) in plans.enumerated() { stages[p.stage].append(i) }
        byStage = stages
        weighted = query.weight != nil
        let sizes = plans.map { Histogram.cells($0.axes)! }
        state = State(counts: weighted ? [] : sizes.map { [Int64](repeating: 0, count: $0) },
                      sumW: weighted ? sizes.map { [Double](repeating: 0, count: $0) } : [],
                      sumW2: weighted ? sizes.map { [Double](repeating: 0, count: $0) } : [],
                      nonFinite: plans.map { _ in 0 }, bins: slots.map { _ in [] }, binnedAt: slots.map { _ in -1 })
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

    /// This cluster's weighted sums ([] for counts, which stay with the worker), reset for the
    /// next cluster.
    func takeCluster() -> [Histogram] {
        guard weighted, state.filledSinceTake else { return [] }
        state.filledSinceTake = false
        var out: [Histogram] = []
        for (i, p) in plans.enumerated() {
            var h = Histogram(name: p.name, axes: p.axes, weighted: true)
            let n = state.sumW[i].count
            h.storage = .weighted(sumW: state.sumW[i], sumW2: state.sumW2[i])
            h.nonFiniteWeights = state.nonFinite[i]
            out.append(h)
            state.sumW[i] = [Double](repeating: 0, count: n)
            state.sumW2[i] = [Double](repeating: 0, count: n)
            state.nonFinite[i] = 0
        }
        return out
    }

    /// The worker's counts over all the clusters it took ([] with weights).
    func workerCounts() -> [Histogram] {
        guard !weighted, state.filledSinceTake else { return [] }
        return plans.enumerated().map { i, p in
            var h = Histogram(name: p.name, axes: p.axes, weighted: false)
            h.storage = .counts(state.counts[i])
            return h
        }
    }

    /// Whether `stage` has histograms to fill.
    func fills(stage: Int) -> Bool { stage < byStage.count && !byStage[stage].isEmpty }

    /// Fills the histograms of `stage` with the selected events of the batch. `weights` holds
    /// one weight per event of the batch when the query has a weight.
    func fill(stage: Int, _ ev: Evaluator, _ sel: UnsafeBufferPointer<Int32>, _ weights: [Double]?) throws(EVCError) {
        guard stage < byStage.count, !byStage[stage].isEmpty, !sel.isEmpty else { return }
        try fillStage(&state, stage, ev, sel, weights)
    }

    func fillStage(_ st: inout State, _ stage: Int, _ ev: Evaluator, _ sel: UnsafeBufferPointer<Int32>, _ weights: [Double]?) throws(EVCError) {
        st.filledSinceTake = true
        st.call &+= 1
        for h in byStage[stage] {
            let domain = domains[h]
            // Entries: one per selected event, or one per element of the selected events.
            var ends: [Int]? = nil
            var n = sel.count
            if let d = domain {
                let e = try ev.segments(d)
                n = 0
                for i in sel { n &+= e[Int(i) + 1] &- e[Int(i)] }
                ends = e
            }
            guard n > 0 else { continue }
            let (s0, s1, stride) = planSlots[h]
            if st.binnedAt[s0] != st.call { try bin(&st, s0, ev, sel, ends, domain, n) }
            if s1 >= 0 && st.binnedAt[s1] != st.call { try bin(&st, s1, ev, sel, ends, domain, n) }
            if s1 >= 0 {
                HistogramFiller.reserve(&st.cells, n)
                st.bins[s0].withUnsafeBufferPointer { a in
                    st.bins[s1].withUnsafeBufferPointer { b in
                        st.cells.withUnsafeMutableBufferPointer { FillKernels.combine(a.baseAddress!, b.baseAddress!, n, stride: stride, into: $0.baseAddress!) }
                    }
                }
                let cells = st.cells
                cells.withUnsafeBufferPointer { add(&st, h, $0.baseAddress!, n, sel, ends, weights) }
            } else {
                let bins = st.bins[s0]
                bins.withUnsafeBufferPointer { add(&st, h, $0.baseAddress!, n, sel, ends, weights) }
            }
        }
    }

    /// The bins of slot `s` for this stage's entries.
    func bin(_ st: inout State, _ s: Int, _ ev: Evaluator, _ sel: UnsafeBufferPointer<Int32>, _ ends: [Int]?, _ domain: Domain?, _ n: Int) throws(EVCError) {
        HistogramFiller.reserve(&st.bins[s], n)
        if let c = slots[s].float32Column {
            // A float32 column: binned in place, through the selection unless it is the whole batch.
            let p = try ev.view.values(c, per: 1).assumingMemoryBound(to: Float.self)
            let dense = sel.count == ev.view.count
            st.bins[s].withUnsafeMutableBufferPointer { slots[s].binner.binsFloat32(p, selection: dense ? nil : sel.baseAddress!, n, $0.baseAddress!) }
        } else {
            try HistogramFiller.values(slots[s].expr, ev, sel, ends, domain, n, into: &st.x)
            st.x.withUnsafeBufferPointer { v in st.bins[s].withUnsafeMutableBufferPointer { slots[s].binner.bins(v.baseAddress!, n, $0.baseAddress!) } }
        }
        st.binnedAt[s] = st.call
    }

    /// Adds the entries at `cells` to histogram h: counts, or weights (one per event in
    /// `weights`, repeated over each event's elements).
    func add(_ st: inout State, _ h: Int, _ c: UnsafePointer<Int32>, _ n: Int, _ sel: UnsafeBufferPointer<Int32>, _ ends: [Int]?, _ weights: [Double]?) {
        if let weights {
            HistogramFiller.reserve(&st.w, n)
            st.w.withUnsafeMutableBufferPointer { out in
                weights.withUnsafeBufferPointer { src in HistogramFiller.perEntry(src, sel, ends, out.baseAddress!) }
            }
            let w = st.w
            let bad = w.withUnsafeBufferPointer { wb in
                st.sumW[h].withUnsafeMutableBufferPointer { s in
                    st.sumW2[h].withUnsafeMutableBufferPointer { s2 in FillKernels.sum(c, wb.baseAddress!, n, into: s.baseAddress!, s2.baseAddress!) }
                }
            }
            st.nonFinite[h] &+= Int64(bad)
        } else {
            st.counts[h].withUnsafeMutableBufferPointer { FillKernels.count(c, n, into: $0.baseAddress!) }
        }
    }

    static func reserve<T: Numeric>(_ a: inout [T], _ n: Int) {
        if a.count < n { a = [T](repeating: 0, count: max(n, a.count * 2)) }
    }

    /// Event values `v` (one per event of the batch) for each entry: the selected events', each
    /// repeated over its elements when `ends` is given.
    static func perEntry(_ v: UnsafeBufferPointer<Double>, _ sel: UnsafeBufferPointer<Int32>, _ ends: [Int]?, _ out: UnsafeMutablePointer<Double>) {
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
}
