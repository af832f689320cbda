import EventFormat
import Synchronization

/// The order in which a scan reads clusters, and what it asks for ahead of the worker that
/// reads them. Taking unit `k` returns its page index (a cluster's CLUS block, read once and
/// dropped once taken: memory does not grow with the dataset) and asks the file's byte source
/// for the bytes of the next units ahead: the CLUS blocks of the units up to twice `depth`
/// ahead, and, for those up to `depth` ahead, the page bytes of the columns the query reads,
/// coalesced into large ranges. A local file hands those ranges to the kernel
/// (`posix_fadvise(WILLNEED)`: read into the page cache while the workers decode), a remote one
/// starts fetching them with vector reads.
final class ReadAhead: Sendable {
    struct Ref: Sendable {
        let file: Int
        let cluster: Int
        /// Read only the cluster's first `events` events (`--limit`); nil: all of them.
        var events: Int? = nil
    }

    let files: [EVCFile]
    let refs: [Ref]
    let columns: [Int]
    /// Units read ahead (page bytes); CLUS blocks go twice as far.
    let depth: Int

    private struct State {
        /// Page indexes loaded ahead, by unit.
        var loaded: [Int: ClusterInfo] = [:]
        /// The highest unit taken: an index loaded ahead for a unit already taken is not kept.
        var taken = -1
        /// Units whose page bytes were asked for, and whose CLUS block was.
        var pagesHinted = -1
        var blocksHinted = -1
        /// Units not yet finished, by file: at 0 the file gives back its descriptor.
        var remaining: [Int]
    }
    private let state: Mutex<State>

    init(files: [EVCFile], refs: [Ref], columns: Set<Int>, depth: Int) {
        self.files = files
        self.refs = refs
        self.columns = columns.sorted()
        self.depth = max(1, depth)
        var remaining = [Int](repeating: 0, count: files.count)
        for r in refs { remaining[r.file] += 1 }
        state = Mutex(State(remaining: remaining))
    }

    /// Every cluster of every file, in file order: no I/O (the footers list them).
    static func refs(_ files: [EVCFile]) -> [Ref] {
        var out: [Ref] = []
        out.reserveCapacity(files.reduce(0) { $0 + $1.clusterCount })
        for (fi, f) in files.enumerated() {
            for c in 0..<f.clusterCount { out.append(Ref(file: fi, cluster: c)) }
        }
        return out
    }

    /// The page index of unit `k`, and read-ahead of the units after it.
    func take(_ k: Int) throws(EVCError) -> ClusterInfo {
        let ahead = state.withLock { s in
            s.taken = max(s.taken, k)
            return s.loaded.removeValue(forKey: k)
        }
        hint(after: k)
        if let ahead { return ahead }
        return try files[refs[k].file].cluster(refs[k].cluster)
    }

    /// Unit `k` is finished: a file none of whose units remain gives back what it holds.
    func done(_ k: Int) {
        let f = refs[k].file
        let last = state.withLock { s in
            s.remaining[f] -= 1
            return s.remaining[f] == 0
        }
        if last { files[f].source.relinquish() }
    }

    private func hint(after k: Int) {
        let (blocks, pages): (Range<Int>, Range<Int>) = state.withLock { s in
            func span(_ from: Int, _ to: Int) -> Range<Int> { from < to ? from..<to : 0..<0 }
            let b = span(max(s.blocksHinted + 1, k + 1), min(refs.count, k + 1 + 2 * depth))
            let p = span(max(s.pagesHinted + 1, k + 1), min(refs.count, k + 1 + depth))
            s.blocksHinted = max(s.blocksHinted, b.upperBound - 1)
            s.pagesHinted = max(s.pagesHinted, p.upperBound - 1)
            return (b, p)
        }
        for j in blocks {
            let r = refs[j]
            files[r.file].source.willNeed([files[r.file].clusterBlockRange(r.cluster)])
        }
        for j in pages {
            let r = refs[j]
            let file = files[r.file]
            // A block that fails to load is read again (and its error reported) when taken.
            guard let info = try? file.cluster(r.cluster) else { continue }
            state.withLock { s in if j > s.taken { s.loaded[j] = info } }
            var ranges: [ByteRange] = []
            for c in columns {
                let pages = info.columns[c].pages
                guard let lo = pages.map(\.offset).min(), let hi = pages.map({ $0.offset + $0.storedSize }).max() else { continue }
                ranges.append(ByteRange(offset: lo, count: hi - lo))
            }
            file.source.willNeed(ByteRange.coalesce(ranges, gap: file.source.coalesceGap))
        }
    }
}
