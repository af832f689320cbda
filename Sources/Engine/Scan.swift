import Dispatch
import EventFormat
import Query

/// How a scan runs.
public struct ScanOptions: Sendable {
    public var threads: Int
    /// Events per batch: the window of decoded pages the cuts run on. A batch is a view into
    /// page buffers (512 KiB pages hold 64K-512K values, so a batch seldom straddles two), so a
    /// larger one only spreads the per-batch work thinner: 8192 runs 4-7% fewer instructions
    /// than 2048 (Bench/README.md).
    public var batchSize = 8192
    public var verifyChecksums = true
    public var nMinusOne = false
    /// Only the clusters with these indices in each file (a partition of a distributed job,
    /// Formats/DISTRIBUTED.md); nil: every cluster.
    public var clusters: Range<Int>? = nil
    /// Read only the first `limit` events, or a sample of the clusters (see `Sampling`).
    public var limit: Int? = nil
    public var sample: Sampling? = nil
    public init(threads: Int) { self.threads = max(1, threads) }
}

/// Runs a checked query over a dataset: parallel over clusters on all threads, results merged
/// in file order, so counts and skim output are the same whatever the thread count.
public struct Scan: Sendable {
    public let dataset: EVCDataset
    public let query: CheckedQuery
    public let options: ScanOptions
    /// Each cut as the steps the batch loop runs (CutPlan).
    let plan: [[CutStep]]
    /// Fields served beside the dataset's own (friends, the good-spill flag); the query is
    /// checked against `schema`, the dataset's schema extended by them.
    public let derived: [DerivedColumns]
    let extended: ExtendedSchema
    /// The dataset event number of each file's first event.
    let fileFirstEvent: [Int]

    public var schema: Schema { extended.schema }

    public init(dataset: EVCDataset, query: CheckedQuery, options: ScanOptions, derived: [DerivedColumns] = []) throws(EVCError) {
        self.dataset = dataset
        self.query = query
        self.options = options
        self.derived = derived
        extended = try ExtendedSchema(base: dataset.schema, derived: derived)
        plan = query.cuts.map { CutPlan.steps($0.expr) }
        var first: [Int] = []
        var n = 0
        for f in dataset.files {
            first.append(n)
            n += f.eventCount
        }
        fileFirstEvent = first
    }

    /// The schema extended by `derived`, to check a query against before scanning.
    public static func schema(of dataset: EVCDataset, derived: [DerivedColumns]) throws(EVCError) -> Schema {
        try ExtendedSchema(base: dataset.schema, derived: derived).schema
    }

    struct Unit { let file: Int; let cluster: ClusterInfo }

    final class Slots: @unchecked Sendable {
        // Safe: each worker writes only the slots of the units it took.
        var results: [Result<UnitResult, EVCError>?]
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
    }

    final class Next: @unchecked Sendable {
        private let lock = DispatchSemaphore(value: 1)
        private var value = 0
        private var stopped = false
        func take(_ limit: Int) -> Int? {
            lock.wait()
            defer { lock.signal() }
            guard value < limit, !stopped else { return nil }
            value += 1
            return value - 1
        }
        /// After a failure no further unit is started: the scan ends with that error (a remote
        /// file that stopped answering fails each unit only after its timeouts).
        func stop() {
            lock.wait()
            stopped = true
            lock.signal()
        }
    }

    /// Decode buffers a worker keeps from cluster to cluster, by column.
    final class WorkerBuffers: @unchecked Sendable {
        // Safe: one worker uses one instance at a time.
        var byColumn: [Int: ColumnCursor.Buffers] = [:]
        /// HISTOGRAM HOOK: this worker's histogram filler (nil when the query has none).
        var histograms: HistogramFiller?
        /// One worker of each derived provider, made on first use.
        var derived: [DerivedWorker?] = []
        func buffers(_ column: Int, _ type: ScalarType) -> ColumnCursor.Buffers {
            if let b = byColumn[column] { return b }
            let b = ColumnCursor.Buffers(type)
            byColumn[column] = b
            return b
        }
    }

    struct UnitResult {
        var flow: CutFlow
        var output: EventBatch?
    }

    /// Every cluster of the dataset in file order, named but not loaded: each unit's page index
    /// is read when a worker takes it (`ReadAhead`).
    func units() -> [ReadAhead.Ref] {
        var refs = ReadAhead.refs(dataset.files)
        if let c = options.clusters { refs = refs.filter { c.contains($0.cluster) } }
        if let s = options.sample { refs = refs.filter { s.keeps(file: $0.file, cluster: $0.cluster) } }
        if let n = options.limit { refs = ReadAhead.clip(refs, files: dataset.files, to: n) }
        return refs
    }

    /// The columns a scan reads: the query's, and the output's when skimming (indices in the
    /// extended schema).
    func columnsRead(output: Schema?) -> Set<Int> {
        var needed = query.columns
        let schema = extended.schema
        for oc in output?.columns ?? [] {
            let name = output!.fields[oc.fieldIndex].name
            if let ic = schema.columns.first(where: { schema.fields[$0.fieldIndex].name == name && $0.role == oc.role }) { needed.insert(ic.index) }
        }
        // Derived columns are computed from the dataset's key columns.
        let base = extended.base.columns.count
        for c in needed where c >= base { needed.formUnion(derived[extended.derived[c - base].provider].provider.keyColumns) }
        return needed
    }

    /// The dataset's own columns among `columns` (those with pages to read ahead).
    func storedColumns(_ columns: Set<Int>) -> Set<Int> { columns.filter { $0 < extended.base.columns.count } }

    /// Counts the cut flow. `progress` gets the events scanned so far.
    public func count(progress: ((Int) -> Void)? = nil) throws(EVCError) -> CutFlow {
        try run(output: nil, sink: nil, progress: progress)
    }

    /// Writes the events passing every cut to `writer`, whose schema is the dataset's or a
    /// projection of it (a subset of its fields), and returns the cut flow.
    public func skim(to writer: EVCWriter, progress: ((Int) -> Void)? = nil) throws(EVCError) -> CutFlow {
        try run(output: writer.schema, sink: { (b) throws(EVCError) in try writer.write(b) }, progress: progress)
    }

    /// Calls `body` with the events passing every cut, in file order, in batches holding the
    /// fields of `output` (a projection of the dataset's schema).
    public func forEachSelected(output: Schema, _ body: (EventBatch) throws(EVCError) -> Void) throws(EVCError) -> CutFlow {
        try withoutActuallyEscaping(body) { (escapable) throws(EVCError) in
            try run(output: output, sink: escapable, progress: nil)
        }
    }

    func run(output: Schema?, sink: ((EventBatch) throws(EVCError) -> Void)?, progress: ((Int) -> Void)?) throws(EVCError) -> CutFlow {
        let all = units()
        // Read ahead a few units per thread: enough bytes in flight to keep a disk or a remote
        // server streaming while the workers decode, few enough to bound memory.
        let ahead = ReadAhead(files: dataset.files, refs: all, columns: storedColumns(columnsRead(output: output)), depth: options.threads * 2 + 2)
        var flow = CutFlow(names: query.cuts.map(\.name), weighted: query.weight != nil, nMinusOne: options.nMinusOne)
        // Clusters are taken in windows, merged in order after each. A skim holds a window's
        // survivors in memory, so its windows are short; a count holds only counts.
        var window = output == nil ? max(options.threads * 64, 64) : max(options.threads * 4, 8)
        let pools = (0..<options.threads).map { _ in WorkerBuffers() }
        // HISTOGRAM HOOK: empty histograms to add to; a worker filler each; clusters carrying
        // weighted sums held in a window stay within bounds.
        flow.histograms = HistogramFiller.empty(query)
        if !query.histograms.isEmpty { for p in pools { p.histograms = HistogramFiller(query) } }
        window = HistogramFiller.window(window, query, threads: options.threads)
        var done = 0, events = 0
        while done < all.count {
            let batch = all[done..<min(all.count, done + window)]
            let slots = Slots(batch.count)
            let next = Next()
            let first = done
            let work: @Sendable (Int) -> Void = { worker in
                while let k = next.take(batch.count) {
                    do throws(EVCError) {
                        var cluster = try ahead.take(first + k)
                        // `--limit`: the events after it are not read (statistics of the whole
                        // cluster still bound those of its first events).
                        if let n = batch[first + k].events { cluster.eventCount = n }
                        let unit = Unit(file: batch[first + k].file, cluster: cluster)
                        slots.results[k] = .success(try self.process(unit, output: output, buffers: pools[worker]))
                    } catch {
                        slots.results[k] = .failure(error)
                        next.stop()
                    }
                    ahead.done(first + k)
                }
            }
            if options.threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: min(options.threads, batch.count)) { work($0) } }
            for r in slots.results {
                // A unit never started lies after the failed one, whose error is thrown first.
                guard let r else { continue }
                let u = try r.get()
                flow.add(u.flow)
                if let out = u.output, out.eventCount > 0 { try sink!(out) }
                events += u.flow.total
            }
            done += batch.count
            progress?(events)
        }
        // HISTOGRAM HOOK: the workers' counts (integers: their order does not matter).
        for p in pools { if let h = p.histograms?.workerCounts() { flow.addHistograms(h) } }
        return flow
    }

    /// One cluster: the cut flow of its events, and the survivors when skimming.
    func process(_ unit: Unit, output: Schema?, buffers: WorkerBuffers) throws(EVCError) -> UnitResult {
        let file = dataset.files[unit.file]
        let cluster = unit.cluster
        let cuts = query.cuts
        var flow = CutFlow(names: cuts.map(\.name), weighted: query.weight != nil, nMinusOne: options.nMinusOne)
        flow.total = cluster.eventCount
        flow.clustersRead = 1
        let truths = cuts.map { Pruning.truth($0.expr, cluster) }

        // Statistics settle the whole cut flow of this cluster: no column needs decoding (unless
        // histograms are filled at a stage that has events: HISTOGRAM HOOK).
        if query.weight == nil && !options.nMinusOne {
            let firstFalse = truths.firstIndex(of: .alwaysFalse)
            let provenUntil = truths.firstIndex { $0 != .alwaysTrue } ?? cuts.count
            if let ff = firstFalse, provenUntil == ff, !HistogramFiller.needsEvents(query, throughStage: ff) {
                for k in 0..<ff { flow.lines[k].events = cluster.eventCount }
                flow.clustersRead = 0
                flow.clustersSkipped = 1
                return UnitResult(flow: flow, output: nil)
            }
            if provenUntil == cuts.count && output == nil && query.histograms.isEmpty {
                for k in cuts.indices { flow.lines[k].events = cluster.eventCount }
                flow.clustersRead = 0
                flow.clustersSkipped = 1
                return UnitResult(flow: flow, output: nil)
            }
        }

        let schema = extended.schema
        let needed = columnsRead(output: output)
        var outputMap: [(out: Int, input: Int)] = []
        if let output {
            for oc in output.columns {
                let name = output.fields[oc.fieldIndex].name
                let ic = schema.columns.first { schema.fields[$0.fieldIndex].name == name && $0.role == oc.role }!
                outputMap.append((oc.index, ic.index))
            }
        }
        var cursors = [ColumnSource?](repeating: nil, count: schema.columns.count)
        var derivedSources: [DerivedSource] = []
        let base = extended.base.columns.count
        for c in needed {
            if c < base {
                cursors[c] = ColumnCursor(file: file, cluster: cluster, column: c, verify: options.verifyChecksums,
                                          buffers: buffers.buffers(c, file.schema.columns[c].type))
            } else {
                let (p, k) = extended.derived[c - base]
                if buffers.derived.isEmpty { buffers.derived = Array(repeating: nil, count: derived.count) }
                let worker = buffers.derived[p] ?? derived[p].provider.makeWorker()
                if buffers.derived[p] == nil {
                    buffers.derived[p] = worker
                }
                let source = DerivedSource(worker: worker, field: k, name: schema.columns[c].path)
                derivedSources.append(source)
                cursors[c] = source
            }
        }
        // Each worker of a derived provider starts the unit once.
        var begun = Set<ObjectIdentifier>()
        for s in derivedSources where begun.insert(ObjectIdentifier(s.worker)).inserted {
            try s.worker.begin(file: unit.file, cluster: cluster, firstEvent: fileFirstEvent[unit.file] + cluster.firstEvent)
        }
        let view = BatchView(schema: schema, cursors: cursors)
        for s in derivedSources { s.view = view }
        let ev = Evaluator(view: view)
        var out = output.map { EventBatch(schema: $0) }
        // A skim gathers the output columns the cuts read batch by batch, while their values are
        // in cache; the others column by column once the cluster's survivors are known, so that
        // each page is decoded and gathered from while it is in cache.
        let hot = outputMap.filter { query.columns.contains($0.input) }
        let cold = outputMap.filter { !query.columns.contains($0.input) }
        var survivors = Survivors()

        var pageTruth = [Truth](repeating: .unknown, count: cuts.count)
        var pageTruthUntil = [Int](repeating: 0, count: cuts.count)
        var sel = BatchSelection(capacity: options.batchSize)
        var start = 0
        while start < cluster.eventCount {
            let end = min(cluster.eventCount, start + options.batchSize)
            view.reset(start..<end)
            sel.reset(end - start)
            let w = try query.weight.map { (e) throws(EVCError) in try ev.numbers(e) }
            if let w {
                for x in w { flow.totalSumW += x; flow.totalSumW2 += x * x }
            }
            // HISTOGRAM HOOK: before any cut. The selection's index list is made only for a stage
            // that has histograms: making it turns a whole batch or a mask into a list.
            if let h = buffers.histograms, h.fills(stage: 0) { try h.fill(stage: 0, ev, sel.indices(), w) }
            for k in cuts.indices {
                var truth = truths[k]
                if truth == .unknown && !sel.isEmpty {
                    // The pages this batch spans may settle the cut without decoding them. What
                    // they prove holds until a batch reaches past them, so it is kept till then.
                    if end <= pageTruthUntil[k] {
                        truth = pageTruth[k]
                    } else {
                        let events = start..<end
                        var until = Int.max
                        truth = Pruning.truth(cuts[k].expr) { c, per in
                            guard let (stats, validUntil) = cursors[c]?.statistics(events.lowerBound * per..<events.upperBound * per) else { return nil }
                            until = min(until, validUntil / per)
                            return stats
                        }
                        pageTruth[k] = truth
                        pageTruthUntil[k] = until
                    }
                    if truth != .unknown { flow.batchesDecidedByPages += 1 }
                }
                switch truth {
                case .alwaysTrue: break
                case .alwaysFalse: sel.clear()
                case .unknown: try narrow(&sel, plan[k], view, ev)
                }
                flow.lines[k].events += sel.count
                if let w {
                    for i in sel.indices() { flow.lines[k].sumW += w[Int(i)]; flow.lines[k].sumW2 += w[Int(i)] * w[Int(i)] }
                }
                if let h = buffers.histograms, h.fills(stage: k + 1) { try h.fill(stage: k + 1, ev, sel.indices(), w) }  // HISTOGRAM HOOK: after cut k
                if sel.isEmpty { break }
            }
            if options.nMinusOne { try countNMinusOne(ev, truths, end - start, &flow) }
            if out != nil && !sel.isEmpty {
                let kept = sel.indices()
                survivors.add(start..<end, kept)
                try gather(view, kept, hot, into: out!)
            }
            start = end
        }
        if out != nil && survivors.count > 0 {
            try gather(view, survivors, cold, into: out!)
            out!.noteAppendedEvents(survivors.count)
        }
        flow.histograms = buffers.histograms?.takeCluster() ?? []  // HISTOGRAM HOOK: weighted sums, added in cluster order
        return UnitResult(flow: flow, output: out)
    }

    /// Runs the steps of one cut on the selected events of the batch.
    func narrow(_ sel: inout BatchSelection, _ steps: [CutStep], _ view: BatchView, _ ev: Evaluator) throws(EVCError) {
        for step in steps {
            switch step {
            case .test(let t): sel.apply(t, values: try view.values(t.column, per: t.per))
            case .never: sel.clear()
            case .general(let e): sel.replace(with: try ev.filter(e, Array(sel.indices())))
            }
            if sel.isEmpty { return }
        }
    }

    /// For each cut, the events of the batch that pass every other cut.
    func countNMinusOne(_ ev: Evaluator, _ truths: [Truth], _ n: Int, _ flow: inout CutFlow) throws(EVCError) {
        var failures = [UInt16](repeating: 0, count: n)
        var lastFailed = [Int](repeating: -1, count: n)
        for (k, cut) in query.cuts.enumerated() {
            let pass: Selection
            switch truths[k] {
            case .alwaysTrue: continue
            case .alwaysFalse: pass = []
            case .unknown: pass = try ev.filter(cut.expr, SelectionOps.all(n))
            }
            var passed = [Bool](repeating: false, count: n)
            for i in pass { passed[Int(i)] = true }
            for i in 0..<n where !passed[i] {
                failures[i] &+= 1
                lastFailed[i] = k
            }
        }
        for i in 0..<n {
            if failures[i] == 0 {
                for k in query.cuts.indices { flow.nMinusOne![k] += 1 }
            } else if failures[i] == 1 {
                flow.nMinusOne![lastFailed[i]] += 1
            }
        }
    }
}
