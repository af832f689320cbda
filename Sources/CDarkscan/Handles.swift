// Opaque handles: a darkscan_dataset* is an unmanaged reference to a DatasetHandle, known to a
// registry so that a closed or foreign handle is an error instead of a crash.
import CDarkscanABI
import Darkscan
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An open dataset and the options it was opened with.
final class DatasetHandle: Sendable {
    let dataset: EVCDataset
    let threads: Int
    let verifyChecksums: Bool

    init(dataset: EVCDataset, threads: Int, verifyChecksums: Bool) {
        self.dataset = dataset
        self.threads = threads
        self.verifyChecksums = verifyChecksums
    }

    /// Query options from the caller's struct (NULL: the defaults) over the dataset's own.
    func queryOptions(_ p: UnsafePointer<darkscan_query_options>?) throws(CFailure) -> (QueryOptions, QueryExtras) {
        var o = QueryOptions()
        o.threads = threads
        o.verifyChecksums = verifyChecksums
        var extras = QueryExtras()
        guard let p else { return (o, extras) }
        let size = p.pointee.struct_size
        func has<T>(_ path: KeyPath<darkscan_query_options, T>) -> Bool {
            MemoryLayout<darkscan_query_options>.offset(of: path).map { $0 + MemoryLayout<T>.size <= size } ?? false
        }
        guard size >= MemoryLayout<Int>.size, size <= 1 << 16 else {
            throw .argument("darkscan_query_options.struct_size is \(size): set it to sizeof(darkscan_query_options)")
        }
        let q = p.pointee
        if has(\.weight), let w = q.weight { o.weight = try requiredString(w, "weight") }
        if has(\.n_defines), q.n_defines > 0 {
            guard let d = try stringArray(q.defines, q.n_defines, "defines") else { throw .argument("defines is NULL but n_defines is \(q.n_defines)") }
            o.defines = d
        }
        if has(\.n_minus_1) { o.nMinusOne = q.n_minus_1 != 0 }
        if has(\.threads) {
            guard q.threads >= 0, q.threads <= 4096 else { throw .argument("threads must be 0 (the dataset's) to 4096, got \(q.threads)") }
            if q.threads > 0 { o.threads = Int(q.threads) }
        }
        if has(\.batch_events) {
            guard q.batch_events >= 0, q.batch_events <= 1 << 30 else { throw .argument("batch_events must be 0 (65536) to 2^30, got \(q.batch_events)") }
            if q.batch_events > 0 { extras.batchEvents = Int(q.batch_events) }
        }
        if has(\.n_histograms), q.n_histograms > 0 {
            guard let h = try stringArray(q.histograms, q.n_histograms, "histograms") else {
                throw .argument("histograms is NULL but n_histograms is \(q.n_histograms)")
            }
            o.histograms = h
        }
        if has(\.codec), let c = q.codec {
            let name = try requiredString(c, "codec")
            guard let codec = Codec(parsing: name) else { throw .argument("codec must be none, lz4, zstd or zstd-N, got '\(name)'") }
            extras.writer.codec = codec
        }
        return (o, extras)
    }
}

/// Options of the C interface that QueryOptions does not hold.
struct QueryExtras {
    var batchEvents = 65536
    var writer = WriterOptions()
}

enum Handles {
    private static let live = Mutex<Set<UInt>>([])

    static func register(_ h: DatasetHandle) -> OpaquePointer {
        let p = Unmanaged.passRetained(h).toOpaque()
        live.withLock { _ = $0.insert(UInt(bitPattern: p)) }
        return OpaquePointer(p)
    }

    /// The dataset behind a handle, or an error for NULL, closed or unknown handles.
    static func dataset(_ handle: OpaquePointer?) throws(CFailure) -> DatasetHandle {
        guard let handle else { throw .argument("dataset is NULL") }
        let p = UnsafeMutableRawPointer(handle)
        // Taken under the lock, so that a concurrent close cannot free it in between.
        let h: DatasetHandle? = live.withLock { set in
            set.contains(UInt(bitPattern: p)) ? Unmanaged<DatasetHandle>.fromOpaque(p).takeUnretainedValue() : nil
        }
        guard let h else { throw .argument("dataset handle is closed or was never opened") }
        return h
    }

    static func close(_ handle: OpaquePointer) {
        let p = UnsafeMutableRawPointer(handle)
        let known = live.withLock { $0.remove(UInt(bitPattern: p)) != nil }
        if known { Unmanaged<DatasetHandle>.fromOpaque(p).release() }
    }
}
