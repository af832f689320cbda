import EventFormat

/// Reads one column of one cluster page by page, decoding a page only when a batch needs values
/// from it. Batches move forward through the cluster, so each page is decoded once. Stored bytes
/// are read (`pread`, or from a remote file's read-ahead) a window of pages at a time into this
/// worker's own buffer: a file that shrinks or fails gives an error, never a signal.
final class ColumnCursor {
    let file: EVCFile
    let cluster: ClusterInfo
    let column: Int
    let width: Int
    let verify: Bool
    /// Element index where each page starts, plus the chunk's element count at the end.
    let starts: [Int]
    private var current = -1
    private let page: ColumnBuffer
    private let span: ColumnBuffer
    private let scratch: ColumnBuffer
    private let stored: ColumnBuffer
    /// The pages whose stored bytes are in `stored`, which starts at file offset `storedBase`.
    private var fetched = 0..<0
    private var storedBase = 0
    /// A read takes the pages after the one needed too, up to this many bytes in all.
    static let fetchBytes = 1 << 20

    /// Decode buffers of one column, kept by a worker from cluster to cluster so that a new
    /// cluster does not fault in fresh pages of memory.
    final class Buffers {
        let page, span: ColumnBuffer
        let scratch = ColumnBuffer(type: .uint8)
        let stored = ColumnBuffer(type: .uint8)
        init(_ type: ScalarType) {
            page = ColumnBuffer(type: type)
            span = ColumnBuffer(type: type)
        }
    }

    init(file: EVCFile, cluster: ClusterInfo, column: Int, verify: Bool, buffers: Buffers) {
        self.file = file
        self.cluster = cluster
        self.column = column
        self.verify = verify
        width = file.schema.columns[column].type.width
        page = buffers.page
        span = buffers.span
        scratch = buffers.scratch
        stored = buffers.stored
        var s = [0]
        for p in cluster.columns[column].pages { s.append(s.last! + p.count) }
        starts = s
    }

    var elementCount: Int { starts.last! }

    private func pageIndex(of element: Int) -> Int {
        if current >= 0 && starts[current] <= element && element < starts[current + 1] { return current }
        var lo = 0, hi = starts.count - 2
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= element { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private func load(_ p: Int) throws(EVCError) {
        guard p != current else { return }
        if !fetched.contains(p) { try fetch(from: p) }
        page.resize(starts[p + 1] - starts[p])
        try file.decodePage(cluster: cluster, column: column, page: p, stored: stored.rawBytes, at: storedBase,
                            into: page.mutableRawBytes, scratch: scratch, verify: verify)
        current = p
    }

    /// Reads the stored bytes of page `p` and of the pages after it that fit in `fetchBytes`.
    private func fetch(from p: Int) throws(EVCError) {
        let pages = cluster.columns[column].pages
        var lo = pages[p].offset, hi = pages[p].offset + pages[p].storedSize
        var q = p + 1
        while q < pages.count {
            let nlo = min(lo, pages[q].offset), nhi = max(hi, pages[q].offset + pages[q].storedSize)
            guard nhi - nlo <= ColumnCursor.fetchBytes else { break }
            (lo, hi) = (nlo, nhi)
            q += 1
        }
        fetched = 0..<0
        storedBase = try file.readStoredPages(cluster: cluster, column: column, pages: p..<q, into: stored)
        fetched = p..<q
    }

    /// The statistics of the pages holding the elements `range`, merged (nothing is decoded),
    /// and the element where the last of those pages ends: what they prove holds for any later
    /// range that ends by then.
    func statistics(_ range: Range<Int>) -> (Statistics, validUntil: Int)? {
        guard !range.isEmpty, range.upperBound <= elementCount else { return nil }
        let type = file.schema.columns[column].type
        let pages = cluster.columns[column].pages
        var p = pageIndex(of: range.lowerBound)
        var s = pages[p].stats
        p += 1
        while p < pages.count && starts[p] < range.upperBound {
            s = s.merged(with: pages[p].stats, type: type)
            p += 1
        }
        return (s, starts[p])
    }

    /// The values `range` (cluster-relative elements), contiguous; valid until the next call.
    func values(_ range: Range<Int>) throws(EVCError) -> UnsafeRawPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= elementCount)
        if range.isEmpty { return UnsafeRawPointer(span.rawBytes.baseAddress!) }
        let p = pageIndex(of: range.lowerBound)
        if range.upperBound <= starts[p + 1] {
            try load(p)
            return page.rawBytes.baseAddress! + (range.lowerBound - starts[p]) * width
        }
        // The range crosses pages: gather it.
        span.resize(range.count)
        var at = range.lowerBound
        var q = p
        while at < range.upperBound {
            try load(q)
            let end = min(range.upperBound, starts[q + 1])
            (span.mutableRawBytes.baseAddress! + (at - range.lowerBound) * width)
                .copyMemory(from: page.rawBytes.baseAddress! + (at - starts[q]) * width, byteCount: (end - at) * width)
            at = end
            q += 1
        }
        return UnsafeRawPointer(span.rawBytes.baseAddress!)
    }
}
