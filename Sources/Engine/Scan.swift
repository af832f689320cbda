import Dispatch
import EventFormat
import Query

/// How a scan runs.
public struct ScanOptions: Sendable {
    public var threads: Int
    public var batchSize = 2048
    public var verifyChecksums = true
    public var nMinusOne = false
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
        func take(_ limit: Int) -> Int? {
            lock.wait()
            defer { lock.signal() }
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }

    /// Decode buffers a worker keeps from cluster to cluster, by column.
    final class WorkerBuffers: @unchecked Sendable {
        // Safe: one worker uses one instance at a time.
        var byColumn: [Int: ColumnCursor.Buffers] = [:]
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
    func units() -> [ReadAhead.Ref] { ReadAhead.refs(dataset.files) }

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
        let window = output == nil ? max(options.threads * 64, 64) : max(options.threads * 4, 8)
        let pools = (0..<options.threads).map { _ in WorkerBuffers() }
        var done = 0, events = 0
        while done < all.count {
            let batch = all[done..<min(all.count, done + window)]
            let slots = Slots(batch.count)
            let next = Next()
            let first = done
            let work: @Sendable (Int) -> Void = { worker in
                while let k = next.take(batch.count) {
                    do throws(EVCError) {
                        let unit = Unit(file: batch[first + k].file, cluster: try ahead.take(first + k))
                        slots.results[k] = .success(try self.process(unit, output: output, buffers: pools[worker]))
                    } catch {
                        slots.results[k] = .failure(error)
                    }
                    ahead.done(first + k)
                }
            }
            if options.threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: min(options.threads, batch.count)) { work($0) } }
            for r in slots.results {
                let u = try r!.get()
                flow.add(u.flow)
                if let out = u.output, out.eventCount > 0 { try sink!(out) }
                events += u.flow.total
            }
            done += batch.count
            progress?(events)
        }
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

        // Statistics settle the whole cut flow of this cluster: no column needs decoding.
        if query.weight == nil && !options.nMinusOne {
            let firstFalse = truths.firstIndex(of: .alwaysFalse)
            let provenUntil = truths.firstIndex { $0 != .alwaysTrue } ?? cuts.count
            if let ff = firstFalse, provenUntil == ff {
                for k in 0..<ff { flow.lines[k].events = cluster.eventCount }
                flow.clustersRead = 0
                flow.clustersSkipped = 1
                return UnitResult(flow: flow, output: nil)
            }
            if provenUntil == cuts.count && output == nil {
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
                if sel.isEmpty { break }
            }
            if options.nMinusOne { try countNMinusOne(ev, truths, end - start, &flow) }
            if out != nil && !sel.isEmpty {
                let kept = sel.indices()
                try gather(view, kept, outputMap, into: out!)
                out!.noteAppendedEvents(kept.count)
            }
            start = end
        }
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

    /// Appends the selected events of the batch to `out` (only output columns are read here, and
    /// only for batches with survivors).
    func gather(_ view: BatchView, _ sel: UnsafeBufferPointer<Int32>, _ map: [(out: Int, input: Int)], into out: EventBatch) throws(EVCError) {
        let schema = view.schema
        for (oc, ic) in map {
            let col = schema.columns[ic]
            let field = schema.fields[col.fieldIndex]
            let dst = out.columns[oc]!
            let w = col.type.width
            if let per = field.elementsPerEvent {
                Gather.fixed(try view.values(ic, per: per), width: w, per: per, sel, to: dst)
            } else if col.role == .offsets {
                Gather.offsets(try view.offsets(ic).ends, sel, to: dst)
            } else {
                let offsetsColumn = ic - (col.role == .values ? 1 : memberIndex(col.role) + 1)
                let ends = try view.offsets(offsetsColumn).ends
                Gather.lists(try view.listValues(ic, offsetsColumn: offsetsColumn), width: w, ends: ends, sel, to: dst)
            }
        }
    }

    func memberIndex(_ role: ColumnRole) -> Int {
        if case .member(let m) = role { return m }
        return 0
    }
}
