/// Turns an interrupted EVC file (no trailer, or one ending in a checkpoint footer) into a valid
/// one holding every complete cluster.
///
/// It walks the blocks from the start: the schema block, then cluster blocks each followed by
/// their pages, with checkpoint footers and trailers in between. A cluster counts when its block
/// checksum holds, its pages lie wholly inside the file and every page checksum holds. The walk
/// stops at the first block that is cut off or damaged; the file is truncated there and a new
/// index, footer and trailer are appended. Metadata comes from the last checkpoint footer seen.
public enum Recovery {
    public struct Report: Sendable {
        public var path: String
        public var alreadyComplete = false
        public var clustersKept = 0
        public var eventsKept = 0
        /// Bytes after the last complete cluster that were dropped.
        public var bytesDropped = 0
        /// Events of the cluster that was cut off, when its block was readable.
        public var eventsLost: Int?
        /// Why the walk stopped (nil when it reached the end of the file cleanly).
        public var stopReason: String?
        public var outputPath: String
    }

    /// Recovers `path` in place. A name ending in `.partial` is renamed to the name without it
    /// (refused if that exists). Returns what was kept and lost.
    public static func recover(path: String) throws(EVCError) -> Report {
        var output = path
        if path.hasSuffix(".partial") {
            output = String(path.dropLast(".partial".count))
            guard !FileSystem.exists(output) else {
                throw EVCError(.badArgument, "'\(output)' exists already; move it away first", path: path)
            }
        }
        var report = Report(path: path, outputPath: output)
        let source = try LocalFile(path: path)
        if (try? EVCFile(source: source)) != nil {
            report.alreadyComplete = true
            report.outputPath = path
            return report
        }
        let scan: Scan
        do throws(EVCError) {
            scan = try walk(source)
        } catch {
            throw error.with(path: path)
        }
        report.clustersKept = scan.clusters.count
        report.eventsKept = scan.clusters.reduce(0) { $0 + $1.eventCount }
        report.bytesDropped = source.size - scan.end
        report.eventsLost = scan.lostEvents
        report.stopReason = scan.stopReason

        // Rewrite the end of the file: exposure table (1.1), index, footer, trailer after the last
        // good cluster.
        let file = try OutputFile(truncating: path, at: scan.end)
        var exposureBlock = (offset: 0, size: 0)
        if let exposure = scan.exposure {
            let block = Block.frame(.exposure, ExposureBlock.payload(exposure))
            exposureBlock = (file.position, block.count)
            try file.write(block)
        }
        var w = ByteWriter()
        w.u32(UInt32(scan.clusters.count))
        for c in scan.clusters { c.write(&w) }
        let indexOffset = file.position
        let index = Block.frame(.index, w.bytes)
        try file.write(index)
        var metadata = scan.metadata
        metadata.append(("recovered", "\(report.clustersKept) clusters, \(report.eventsKept) events kept; \(report.bytesDropped) bytes dropped"))
        var footer = Footer(eventCount: report.eventsKept, checkpoint: false, indexOffset: indexOffset, indexSize: index.count,
                            schema: scan.schema, metadata: metadata, clusters: scan.summaries)
        // The footer repeats the header's version; a 1.1 footer says where the table is (or none).
        footer.minor = min(scan.minor, Layout.minorVersion)
        (footer.exposureOffset, footer.exposureSize) = exposureBlock
        let footerOffset = file.position
        let block = Block.frame(.footer, footer.payload())
        try file.write(block)
        try file.write(Trailer(footerOffset: footerOffset, footerSize: block.count).bytes())
        try file.sync()
        try file.closeFile()
        if output != path {
            try FileSystem.rename(path, to: output)
            FileSystem.syncDirectory(of: output)
        }
        return report
    }

    struct Scan {
        var schema: Schema
        var clusters: [ClusterInfo] = []
        var summaries: [ClusterSummary] = []
        var metadata: [(String, String)] = []
        /// The header's minor version, and the exposure table the last footer read names.
        var minor: UInt16 = 0
        var exposure: Exposure?
        var end: Int
        var stopReason: String?
        var lostEvents: Int?
    }

    /// Walks the blocks of the in-memory file `bytes`; see `walk(_:checkPages:strict:)`.
    static func walk(_ bytes: UnsafeRawBufferPointer, checkPages: Bool = true, strict: Bool = false) throws(EVCError) -> Scan {
        try walk(MemoryFile(Array(bytes)), checkPages: checkPages, strict: strict)
    }

    /// Walks the blocks of `source`, reading each block and page through it. With `checkPages`
    /// every page checksum is verified; with `strict` the trailer after each footer block must
    /// be intact and point at that footer.
    static func walk(_ source: ByteSource, checkPages: Bool = true, strict: Bool = false) throws(EVCError) -> Scan {
        let size = source.size
        let head = try source.bytes(at: 0, count: min(Layout.headerSize, size))
        let (_, minor) = try head.withBytes { (b) throws(EVCError) in try FileHeader.check(b) }
        let schemaBlock = try Block.read(source, at: Layout.headerSize, expected: .schema)
        let schema = try schemaBlock.withBytes { (b) throws(EVCError) in
            var r = ByteReader(b, fileOffset: Layout.headerSize + Layout.blockHeaderSize, context: "schema block")
            return try SchemaCoding.read(&r)
        }
        var scan = Scan(schema: schema, minor: minor, end: Layout.headerSize + Layout.blockOverhead + schemaBlock.count)
        var position = scan.end
        var events = 0
        let pageBytes = ColumnBuffer(type: .uint8)
        while position < size {
            guard position + Layout.blockOverhead <= size else {
                scan.stopReason = "file ends inside a block header at byte \(position)"
                break
            }
            let tagRaw = try source.bytes(at: position, count: 4).withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
            guard let tag = BlockTag(rawValue: tagRaw), tag != .schema else {
                // A block of a newer minor version: skipped when its framing and checksum hold.
                if tagRaw != BlockTag.schema.rawValue, let length = try? Block.readUnknown(source, at: position) {
                    position += Layout.blockOverhead + length
                    continue
                }
                scan.stopReason = "no block starts at byte \(position) (tag 0x\(String(tagRaw, radix: 16)))"
                break
            }
            let block: [UInt8]
            do throws(EVCError) {
                block = try Block.read(source, at: position, expected: tag)
            } catch {
                scan.stopReason = "\(tag.name) block at byte \(position): \(error.message)"
                if tag == .cluster { scan.lostEvents = lostEvents(source, position) }
                break
            }
            let blockEnd = position + Layout.blockOverhead + block.count
            switch tag {
            case .cluster:
                let cluster: ClusterInfo
                do throws(EVCError) {
                    cluster = try block.withBytes { (payload) throws(EVCError) in
                        var cr = ByteReader(payload, fileOffset: position + Layout.blockHeaderSize, context: "cluster block")
                        return try ClusterInfo.read(&cr)
                    }
                    guard cluster.index == scan.clusters.count, cluster.firstEvent == events, cluster.pagesOffset == blockEnd else {
                        throw EVCError(.corrupt, "cluster block out of sequence")
                    }
                    guard cluster.pagesOffset + cluster.pagesLength <= size else {
                        throw EVCError(.truncated, "its pages end at byte \(cluster.pagesOffset + cluster.pagesLength), past the end of the file")
                    }
                    try cluster.validate(schema: schema, fileSize: size)
                    for chunk in cluster.columns where checkPages && !chunk.pages.isEmpty {
                        let lo = chunk.pages.map(\.offset).min()!, hi = chunk.pages.map { $0.offset + $0.storedSize }.max()!
                        pageBytes.resize(hi - lo)
                        try source.read([ByteRange(offset: lo, count: hi - lo)], into: pageBytes.mutableRawBytes)
                        for p in chunk.pages {
                            let stored = UnsafeRawBufferPointer(rebasing: pageBytes.rawBytes[p.offset - lo..<p.offset - lo + p.storedSize])
                            guard Checksum.xxh3(stored) == p.checksum else {
                                throw EVCError(.checksumMismatch, "page at byte \(p.offset) fails its checksum")
                            }
                        }
                    }
                } catch {
                    scan.stopReason = "cluster \(scan.clusters.count) at byte \(position): \(error.message)"
                    scan.lostEvents = lostEvents(source, position)
                    return scan
                }
                scan.summaries.append(ClusterSummary(firstEvent: events, eventCount: cluster.eventCount, blockOffset: position,
                                                     blockSize: Layout.blockOverhead + block.count))
                scan.clusters.append(cluster)
                events += cluster.eventCount
                position = cluster.pagesOffset + cluster.pagesLength
                scan.end = position
            case .footer:
                if let f = try? block.withBytes({ (b) throws(EVCError) in try Footer.parse(b, fileOffset: position + Layout.blockHeaderSize) }) {
                    scan.metadata = f.metadata
                    if f.exposureOffset != 0 {
                        // The table this footer names (written before it); a damaged one is
                        // not taken.
                        if let e = try? ExposureBlock.read(source, at: f.exposureOffset, size: f.exposureSize) {
                            scan.exposure = e
                        } else if strict {
                            scan.stopReason = "footer block at byte \(position) names an unreadable exposure table at byte \(f.exposureOffset)"
                            return scan
                        }
                    }
                } else if strict {
                    scan.stopReason = "footer block at byte \(position) does not parse"
                    return scan
                }
                if strict {
                    let t = try? Trailer.read(source, endingAt: min(blockEnd + Layout.trailerSize, size))
                    guard t == Trailer(footerOffset: position, footerSize: blockEnd - position) else {
                        scan.stopReason = "trailer at byte \(blockEnd) is damaged or does not point at the footer before it"
                        return scan
                    }
                }
                position = blockEnd + Layout.trailerSize
            case .index, .schema, .exposure:
                position = blockEnd
            }
        }
        return scan
    }

    /// The event count of a damaged cluster block, if its fixed fields can still be read.
    static func lostEvents(_ source: ByteSource, _ position: Int) -> Int? {
        let at = position + Layout.blockHeaderSize + 4 + 16
        guard at + 8 <= source.size, let b = try? source.bytes(at: at, count: 8) else { return nil }
        let n = b.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        return n < 1 << 40 ? Int(n) : nil
    }
}
