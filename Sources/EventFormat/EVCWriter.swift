import Dispatch

/// Writes an EVC file event batch by event batch, keeping one cluster in memory.
///
/// The file is written as `PATH.partial` and renamed to `PATH` by `close()` after an fsync, so
/// an interrupted write never leaves a file at `PATH`. Every cluster block describes its own
/// pages and a checkpoint footer follows every few clusters: `Recovery` turns an interrupted
/// `.partial` file into a valid one holding every complete cluster.
public final class EVCWriter {
    public let path: String
    public let schema: Schema
    public let options: WriterOptions
    public private(set) var eventCount = 0
    public private(set) var metadata: [(String, String)]
    /// The exposure table (Formats/EVC.md, section 8.1), when the file carries one.
    public private(set) var exposure: Exposure?

    private let file: OutputFile
    private var open: EventBatch
    private var openBytes = 0
    private var clusters: [ClusterInfo] = []
    private var summaries: [ClusterSummary] = []
    private var closed = false
    /// The last EXPO block written and the table it holds.
    private var exposureBlock = (offset: 0, size: 0)
    private var exposureWritten: Exposure?

    public var partialPath: String { path + ".partial" }

    /// A file with `exposure` (even an empty table) is written as version 1.1 and carries the
    /// table, which `setExposure`/`addExposure` keep updating; without, it is a 1.0 file.
    public init(path: String, schema: Schema, options: WriterOptions = WriterOptions(), metadata: [(String, String)] = [],
                exposure: Exposure? = nil) throws(EVCError) {
        guard options.pageBytes >= 64, options.pageBytes <= Layout.maxPageBytes,
              options.clusterBytes >= 1, options.clusterBytes <= Layout.maxClusterBytes, options.clusterEvents >= 1 else {
            throw EVCError(.badArgument, "pages must hold 64 bytes to 256 MiB and clusters 1 byte to 512 MiB", path: path)
        }
        self.path = path
        self.schema = schema
        self.options = options
        self.metadata = metadata
        self.exposure = exposure
        self.open = EventBatch(schema: schema)
        self.file = try OutputFile(creating: path + ".partial")
        try file.write(FileHeader.bytes(minor: exposure == nil ? 0 : 1))
        var w = ByteWriter()
        SchemaCoding.write(schema, &w)
        try file.write(Block.frame(.schema, w.bytes))
    }

    /// Reopens the complete file at `path` to append events to it (resuming an interrupted job
    /// after `Recovery` finished its partial file). The file moves back to `PATH.partial`, loses
    /// its index and footer, and goes on from its last cluster; its schema and metadata are kept.
    public init(appendingTo path: String, options: WriterOptions = WriterOptions()) throws(EVCError) {
        let (schema, end, clusters, summaries, events, metadata, exposure, footer) = try { () throws(EVCError) in
            let existing = try EVCFile(path: path)
            return (existing.schema, existing.footer.indexOffset, try existing.clusters(), existing.clusterSummaries,
                    existing.eventCount, existing.footer.metadata, try existing.exposure(), existing.footer)
        }()
        self.path = path
        self.schema = schema
        self.options = options
        self.metadata = metadata
        self.open = EventBatch(schema: schema)
        guard !FileSystem.exists(path + ".partial") else {
            throw EVCError(.badArgument, "'\(path).partial' exists already; move it away first", path: path)
        }
        try FileSystem.rename(path, to: path + ".partial")
        self.file = try OutputFile(truncating: path + ".partial", at: end)
        self.clusters = clusters
        self.summaries = summaries
        self.eventCount = events
        // The EXPO block lies before the index, so it stays in the file and is kept as it is.
        self.exposure = exposure
        if exposure != nil {
            exposureBlock = (footer.exposureOffset, footer.exposureSize)
            exposureWritten = exposure
        }
    }

    /// Replaces the exposure table; saved with the next checkpoint and at close. The file must
    /// have been created with a table.
    public func setExposure(_ table: Exposure) throws(EVCError) {
        guard exposure != nil else {
            throw EVCError(.badArgument, "the file was opened without an exposure table (version 1.0); it cannot take one", path: path)
        }
        exposure = table
    }

    /// Adds spill rows to the exposure table; a spill already there must have an identical row.
    public func addExposure(_ rows: [SpillExposure]) throws(EVCError) {
        guard var table = exposure else {
            throw EVCError(.badArgument, "the file was opened without an exposure table (version 1.0); it cannot take one", path: path)
        }
        for r in rows {
            do { try table.add(r) } catch { throw EVCError(.conflict, error.description, path: path) }
        }
        exposure = table
    }

    // An unclosed writer leaves its `.partial` file behind on purpose: `darkscan recover` turns
    // it into a valid file. `abort()` removes it.

    /// Sets (or replaces) a metadata entry; saved with the next checkpoint and at close.
    public func setMetadata(_ key: String, _ value: String) {
        if let i = metadata.firstIndex(where: { $0.0 == key }) {
            metadata[i].1 = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Appends the events of `batch` (which must have every column of this writer's schema).
    /// Clusters are closed as they fill, so a large batch may be split across clusters.
    public func write(_ batch: EventBatch) throws(EVCError) {
        guard !closed else { throw EVCError(.badArgument, "writer is closed", path: path) }
        guard batch.schema == schema else { throw EVCError(.badArgument, "batch schema differs from the file's", path: path) }
        do { try batch.validate() } catch { throw error.with(path: path) }
        guard batch.columns.allSatisfy({ $0 != nil }) else {
            throw EVCError(.badArgument, "batch lacks some columns; a writer needs them all", path: path)
        }
        var start = 0
        let step = 1024
        while start < batch.eventCount {
            let room = options.clusterEvents - open.eventCount
            var end = min(batch.eventCount, start + min(step, room))
            // No cluster may pass the format's limit: close the open one first, and take very
            // large events a few at a time.
            if open.eventCount > 0 && openBytes + sliceBytes(batch, start..<end) > Layout.maxClusterBytes {
                try flushCluster()
                continue
            }
            while end - start > 1 && sliceBytes(batch, start..<end) > Layout.maxClusterBytes { end = start + (end - start) / 2 }
            guard sliceBytes(batch, start..<end) <= Layout.maxClusterBytes else {
                throw EVCError(.badArgument, "event \(start) of the batch alone holds more than the \(Layout.maxClusterBytes) bytes a cluster may hold", path: path)
            }
            appendSlice(batch, start..<end)
            if openBytes >= options.clusterBytes || open.eventCount >= options.clusterEvents {
                try flushCluster()
            }
            start = end
        }
    }

    /// The elements of column `col` that events `range` of `batch` hold.
    private func elementRange(_ batch: EventBatch, _ col: Column, _ range: Range<Int>) -> Range<Int> {
        if col.role == .offsets { return range }
        if let per = schema.fields[col.fieldIndex].elementsPerEvent { return range.lowerBound * per..<range.upperBound * per }
        let offsIndex = col.index - (col.role == .values ? 1 : memberIndex(col.role) + 1)
        let o = batch.columns[offsIndex]!.buffer(UInt64.self)
        let lo = range.lowerBound == 0 ? 0 : Int(o[range.lowerBound - 1])
        return lo..<Int(o[range.upperBound - 1])
    }

    /// Decoded bytes of events `range` of `batch`, over all columns.
    private func sliceBytes(_ batch: EventBatch, _ range: Range<Int>) -> Int {
        schema.columns.reduce(0) { $0 + elementRange(batch, $1, range).count * $1.type.width }
    }

    /// Copies events `range` of `batch` into the open cluster, rebasing list offsets.
    private func appendSlice(_ batch: EventBatch, _ range: Range<Int>) {
        for col in schema.columns {
            let src = batch.columns[col.index]!
            let dst = open.columns[col.index]!
            switch col.role {
            case .offsets:
                let o = src.buffer(UInt64.self)
                let base = range.lowerBound == 0 ? 0 : o[range.lowerBound - 1]
                let clusterBase: UInt64 = dst.count == 0 ? 0 : dst.buffer(UInt64.self)[dst.count - 1]
                dst.reserve(dst.count + range.count)
                for i in range { dst.append(o[i] - base + clusterBase) }
            case .values, .member:
                let elements = elementRange(batch, col, range)
                dst.append(src, range: elements)
                openBytes += elements.count * col.type.width
            }
            if col.role == .offsets { openBytes += range.count * 8 }
        }
        open.eventCount += range.count
    }

    private func memberIndex(_ role: ColumnRole) -> Int {
        if case .member(let m) = role { return m }
        return 0
    }

    /// Encodes, compresses and writes the open cluster: its CLUS block, then its pages.
    private func flushCluster() throws(EVCError) {
        guard open.eventCount > 0 else { return }
        let columns = open.columns.map { $0! }
        let encoded = ClusterEncoder.encode(schema: schema, columns: columns, options: options)
        try writeEncodedCluster(eventCount: open.eventCount, columns: encoded.map(\.chunk)) { (file) throws(EVCError) in
            for e in encoded { try file.write(e.data.rawBytes) }
        }
        for c in open.columns { c!.removeAll() }
        open.eventCount = 0
        openBytes = 0
    }

    /// Writes a cluster of `eventCount` events whose pages are encoded already: `columns`
    /// describe them (their page offsets are assigned here, column after column), and `pages`
    /// writes their stored bytes in that order. Used by the writer itself and by merges, which
    /// copy pages as they are.
    func writeEncodedCluster(eventCount events: Int, columns: [ColumnChunkInfo], pages: (OutputFile) throws(EVCError) -> Void) throws(EVCError) {
        guard !closed else { throw EVCError(.badArgument, "writer is closed", path: path) }
        let firstEvent = eventCount
        var info = ClusterInfo(index: clusters.count, firstEvent: firstEvent, eventCount: events,
                               pagesOffset: 0, pagesLength: 0, columns: [])
        // Page offsets are fixed-width fields, so the block's size does not depend on them.
        info.columns = columns
        var probe = ByteWriter()
        info.write(&probe)
        let blockOffset = file.position
        let blockSize = Layout.blockOverhead + probe.bytes.count
        var offset = blockOffset + blockSize
        info.pagesOffset = offset
        for ci in info.columns.indices {
            for pi in info.columns[ci].pages.indices {
                info.columns[ci].pages[pi].offset = offset
                offset += info.columns[ci].pages[pi].storedSize
            }
        }
        info.pagesLength = offset - info.pagesOffset
        var w = ByteWriter()
        info.write(&w)
        try file.write(Block.frame(.cluster, w.bytes))
        try pages(file)
        guard file.position == offset else {
            throw EVCError(.badArgument, "cluster pages of \(file.position - info.pagesOffset) bytes written, \(info.pagesLength) described", path: path)
        }
        clusters.append(info)
        summaries.append(ClusterSummary(firstEvent: firstEvent, eventCount: info.eventCount, blockOffset: blockOffset, blockSize: blockSize))
        eventCount += info.eventCount
        if options.checkpointEvery > 0 && clusters.count % options.checkpointEvery == 0 {
            try writeFooter(checkpoint: true)
        }
    }

    /// Writes the index block (final footer only), the footer block and the trailer.
    private func writeFooter(checkpoint: Bool) throws(EVCError) {
        if let exposure, exposureWritten != exposure {
            let block = Block.frame(.exposure, ExposureBlock.payload(exposure))
            exposureBlock = (file.position, block.count)
            try file.write(block)
            exposureWritten = exposure
        }
        var indexOffset = 0, indexSize = 0
        if !checkpoint {
            var w = ByteWriter()
            w.u32(UInt32(clusters.count))
            for c in clusters { c.write(&w) }
            indexOffset = file.position
            let block = Block.frame(.index, w.bytes)
            indexSize = block.count
            try file.write(block)
        }
        var footer = Footer(eventCount: eventCount, checkpoint: checkpoint, indexOffset: indexOffset, indexSize: indexSize,
                            schema: schema, metadata: metadata, clusters: summaries)
        if exposure != nil {
            footer.minor = 1
            (footer.exposureOffset, footer.exposureSize) = exposureBlock
        }
        let footerOffset = file.position
        let block = Block.frame(.footer, footer.payload())
        try file.write(block)
        try file.write(Trailer(footerOffset: footerOffset, footerSize: block.count).bytes())
    }

    /// Writes the last cluster, the index and the footer, syncs, and renames the file into place.
    public func close() throws(EVCError) {
        guard !closed else { return }
        try flushCluster()
        try writeFooter(checkpoint: false)
        if options.sync { try file.sync() }
        try file.closeFile()
        try FileSystem.rename(partialPath, to: path)
        if options.sync { FileSystem.syncDirectory(of: path) }
        closed = true
    }

    /// Abandons the file: removes the partial file.
    public func abort() {
        guard !closed else { return }
        closed = true
        try? file.closeFile()
        FileSystem.remove(partialPath)
    }
}
