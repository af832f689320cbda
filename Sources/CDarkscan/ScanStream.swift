// darkscan_scan: a pull-based Arrow C stream over the push-based scan. The scan runs on a
// producer thread of its own and hands batches through a queue at most `depth` deep, so memory
// stays bounded whatever the consumer's pace; releasing the stream makes the producer's next
// hand-over throw, which stops the scan.
import CDarkscanABI
import Darkscan
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

final class ScanStream: @unchecked Sendable {
    // Safe: the immutable part is set before the producer starts; the queue and flags are
    // guarded by `mutex`; `lastError` is touched only by the consumer (the stream's callbacks,
    // which the C stream interface calls one at a time).
    let dataset: EVCDataset
    let query: String?
    let fields: [String]?
    let output: Schema
    let options: QueryOptions
    let batchEvents: Int
    let order: [Int]
    let arrowSchema: ArrowField
    static let depth = 2

    enum Item {
        case batch(EventBatch, Range<Int>)
        case end
        case failure(CFailure)
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let cond: UnsafeMutablePointer<pthread_cond_t>
    private var queue: [Item] = []
    private var started = false, cancelled = false
    private var thread: pthread_t? = nil
    private var sticky: Item? = nil  // the end or failure, returned again on later calls
    private var lastError: UnsafeMutablePointer<CChar>? = nil

    init(dataset: EVCDataset, query: String?, fields: [String]?, options: QueryOptions, batchEvents: Int) throws {
        self.dataset = dataset
        self.query = query
        self.fields = fields
        self.options = options
        self.batchEvents = batchEvents
        output = try dataset.projection(fields)
        if let query { _ = try dataset.check(query, options: options) }
        order = try ArrowLayout.order(output, fields)
        arrowSchema = ArrowLayout.schema(output, order: order, metadata: ArrowLayout.datasetMetadata(dataset, query: query))
        // Made last: an init that throws above has nothing to free.
        mutex = .allocate(capacity: 1)
        cond = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        cond.deallocate()
        free(lastError)
    }

    // MARK: consumer side

    func next(_ out: UnsafeMutablePointer<ArrowArray>) -> Int32 {
        pthread_mutex_lock(mutex)
        if !started {
            started = true
            if let failure = startProducer() {
                sticky = .failure(failure)
            }
        }
        while sticky == nil && queue.isEmpty { pthread_cond_wait(cond, mutex) }
        var item = sticky ?? queue.removeFirst()
        if case .batch = item {} else { sticky = item }
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
        if case .batch(let b, let r) = item {
            do throws(CFailure) {
                try ArrowBatchExport.export(b, r, order: order, into: out)
                return 0
            } catch {
                item = .failure(error)
                pthread_mutex_lock(mutex)
                sticky = item
                pthread_mutex_unlock(mutex)
            }
        }
        switch item {
        case .batch: return 0
        case .end:
            out.pointee = ArrowArray()
            return 0
        case .failure(let f):
            free(lastError)
            lastError = mallocString(f.message)
            darkscan_internal_set_last_error(Int32(f.kind.rawValue), f.message)
            return f.code
        }
    }

    var lastErrorMessage: UnsafePointer<CChar>? { lastError.map { UnsafePointer($0) } }

    /// Stops the producer (its next hand-over throws), drops queued batches and waits for it.
    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        queue.removeAll()
        pthread_cond_broadcast(cond)
        let t = thread
        thread = nil
        pthread_mutex_unlock(mutex)
        if let t { pthread_join(t, nil) }
    }

    // MARK: producer side

    /// Starts the producer thread (called with the mutex held).
    private func startProducer() -> CFailure? {
        let context = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        let rc = pthread_create(&t, nil, { context in
            let stream = Unmanaged<ScanStream>.fromOpaque(context!).takeRetainedValue()
            stream.produce()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<ScanStream>.fromOpaque(context).release()
            return CFailure(code: rc, kind: DARKSCAN_ERROR_INTERNAL, reason: "thread", message: "cannot start the scan thread: \(String(cString: strerror(rc)))")
        }
        thread = t
        return nil
    }

    /// Waits for room in the queue, then appends; throws once the consumer has released the stream.
    func put(_ item: Item) throws(CFailure) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while queue.count >= Self.depth && !cancelled { pthread_cond_wait(cond, mutex) }
        if cancelled { throw .cancelled }
        queue.append(item)
        pthread_cond_broadcast(cond)
    }

    private func produce() {
        var co = Coalescer(output: output, target: batchEvents) { (b, r) throws(CFailure) in try self.put(.batch(b, r)) }
        do {
            if let query {
                try dataset.forEachSelected(query, fields: fields, options: options) { b in try co.add(b) }
            } else {
                try readAll { (b) throws(CFailure) in try co.add(b) }
            }
            try co.flush()
            try put(.end)
        } catch let f as CFailure where f.code == ECANCELED {
            return
        } catch {
            // What was read before the damage goes first.
            try? co.flush()
            try? put(.failure(CFailure(error)))
        }
    }

    /// Every event, without a query: clusters cut into pieces of at most `batchEvents` events,
    /// decoded in parallel a window at a time and handed over in file order.
    private func readAll(_ body: (EventBatch) throws(CFailure) -> Void) throws {
        var units: [(file: EVCFile, cluster: Int, events: Range<Int>)] = []
        for f in dataset.files {
            for (ci, c) in f.clusterSummaries.enumerated() {
                var lo = 0
                while lo < c.eventCount {
                    let hi = min(c.eventCount, lo + batchEvents)
                    units.append((f, ci, lo..<hi))
                    lo = hi
                }
            }
        }
        let indices = try fields.map { (names) throws(EVCError) in try dataset.files[0].fieldIndices(names) }
        let threads = max(1, options.threads), verify = options.verifyChecksums, output = output
        var done = 0
        while done < units.count {
            let window = Array(units[done..<min(units.count, done + threads * 2)])
            let slots = Slots(window.count)
            DispatchQueue.concurrentPerform(iterations: min(threads, window.count)) { _ in
                while let k = slots.take() {
                    let u = window[k]
                    slots.results[k] = Result { () throws(EVCError) in
                        try u.file.readEvents(cluster: u.cluster, events: u.events, fields: indices, verify: verify).projected(to: output)
                    }
                }
            }
            for r in slots.results { try body(try r!.get()) }
            done += window.count
        }
    }

    final class Slots: @unchecked Sendable {
        // Safe: each slot is written by the one worker that took its index.
        var results: [Result<EventBatch, EVCError>?]
        private let next = Mutex(0)
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
        func take() -> Int? {
            next.withLock { v in
                guard v < results.count else { return nil }
                v += 1
                return v - 1
            }
        }
    }

    // MARK: the C stream

    func export(into out: UnsafeMutablePointer<ArrowArrayStream>) {
        out.pointee = ArrowArrayStream(get_schema: Self.getSchema, get_next: Self.getNext, get_last_error: Self.getLastError,
                                       release: Self.release, private_data: Unmanaged.passRetained(self).toOpaque())
    }

    static func from(_ s: UnsafeMutablePointer<ArrowArrayStream>?) -> ScanStream? {
        guard let p = s?.pointee.private_data else { return nil }
        return Unmanaged<ScanStream>.fromOpaque(p).takeUnretainedValue()
    }

    static let getSchema: @convention(c) (UnsafeMutablePointer<ArrowArrayStream>?, UnsafeMutablePointer<ArrowSchema>?) -> Int32 = { s, out in
        guard let stream = from(s), let out else { return EINVAL }
        ArrowSchemaExport.export(stream.arrowSchema, into: out)
        return 0
    }

    static let getNext: @convention(c) (UnsafeMutablePointer<ArrowArrayStream>?, UnsafeMutablePointer<ArrowArray>?) -> Int32 = { s, out in
        guard let stream = from(s), let out else { return EINVAL }
        return stream.next(out)
    }

    static let getLastError: @convention(c) (UnsafeMutablePointer<ArrowArrayStream>?) -> UnsafePointer<CChar>? = { s in
        from(s)?.lastErrorMessage
    }

    static let release: @convention(c) (UnsafeMutablePointer<ArrowArrayStream>?) -> Void = { s in
        guard let s, s.pointee.release != nil, let p = s.pointee.private_data else { return }
        let stream = Unmanaged<ScanStream>.fromOpaque(p).takeRetainedValue()
        stream.cancel()
        s.pointee.release = nil
        s.pointee.private_data = nil
    }
}

/// Gathers small groups of survivors into batches of about `target` events (copying them), and
/// hands larger ones on as they are, in slices of at most `target` events (not copied). A
/// gathered batch is handed on at the latest a quarter of a second after its first events came,
/// so that a consumer (and Ctrl-C in Python) hears from a sparse scan.
struct Coalescer {
    let output: Schema
    let target: Int
    let emit: (EventBatch, Range<Int>) throws(CFailure) -> Void
    var pending: EventBatch? = nil
    var pendingSince: UInt64 = 0
    static let maxDelayNanoseconds: UInt64 = 250_000_000

    init(output: Schema, target: Int, emit: @escaping (EventBatch, Range<Int>) throws(CFailure) -> Void) {
        self.output = output
        self.target = max(1, target)
        self.emit = emit
    }

    mutating func add(_ batch: EventBatch) throws(CFailure) {
        let b = batch.projected(to: output)
        let n = b.eventCount
        guard n > 0 else { return }
        if n >= max(1, target / 4) {
            try flush()
            var lo = 0
            while lo < n {
                let hi = min(n, lo + target)
                try emit(b, lo..<hi)
                lo = hi
            }
            return
        }
        if let p = pending, p.eventCount + n > target { try flush() }
        let now = DispatchTime.now().uptimeNanoseconds
        if pending == nil { pendingSince = now }
        var p = pending ?? EventBatch(schema: output)
        for c in output.columns {
            guard let src = b.columns[c.index], let dst = p.columns[c.index] else { continue }
            if c.role == .offsets {
                let base: UInt64 = dst.count == 0 ? 0 : dst.buffer(UInt64.self)[dst.count - 1]
                for v in src.buffer(UInt64.self) { dst.append(v + base) }
            } else {
                dst.append(src, range: 0..<src.count)
            }
        }
        p.noteAppendedEvents(n)
        pending = p
        if p.eventCount >= target || now - pendingSince >= Self.maxDelayNanoseconds { try flush() }
    }

    mutating func flush() throws(CFailure) {
        guard let p = pending else { return }
        pending = nil
        if p.eventCount > 0 { try emit(p, 0..<p.eventCount) }
    }
}
