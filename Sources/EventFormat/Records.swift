/// One page of a column chunk, as recorded in its cluster block and in the index.
public struct PageInfo: Sendable, Equatable {
    /// Absolute file offset of the stored bytes.
    public var offset: Int
    public var count: Int
    public var encoding: Encoding
    public var codec: UInt8
    public var storedSize: Int
    public var encodedSize: Int
    public var stats: Statistics
    public var checksum: UInt64

    static let recordSize = 60

    func write(_ w: inout ByteWriter) {
        w.record { w in
            w.u64(UInt64(offset))
            w.u32(UInt32(count))
            w.u8(encoding.rawValue)
            w.u8(codec)
            w.u8(stats.hasRange ? 1 : 0)
            w.u8(0)
            w.u32(UInt32(storedSize))
            w.u32(UInt32(encodedSize))
            w.u64(stats.min)
            w.u64(stats.max)
            w.u64(stats.nanCount)
            w.u64(checksum)
        }
    }

    static func read(_ r: inout ByteReader) throws(EVCError) -> PageInfo {
        try r.record("page", minSize: recordSize) { r throws(EVCError) in
            let offset = try r.count("page offset", max: Int.max)
            let count = Int(try r.u32())
            let encRaw = try r.u8()
            guard let encoding = Encoding(rawValue: encRaw) else { throw r.error("unknown encoding \(encRaw)", code: .unknownFeature) }
            let codec = try r.u8()
            guard Codec.named(codec) != nil else { throw r.error("unknown codec \(codec)", code: .unknownFeature) }
            let flags = try r.u8()
            guard flags & ~1 == 0 else { throw r.error("unknown page flags 0x\(String(flags, radix: 16))", code: .unknownFeature) }
            _ = try r.u8()
            let stored = Int(try r.u32())
            let encoded = Int(try r.u32())
            let stats = Statistics(hasRange: flags & 1 != 0, min: try r.u64(), max: try r.u64(), nanCount: try r.u64())
            return PageInfo(offset: offset, count: count, encoding: encoding, codec: codec, storedSize: stored,
                            encodedSize: encoded, stats: stats, checksum: try r.u64())
        }
    }
}

/// All pages of one column in one cluster.
public struct ColumnChunkInfo: Sendable, Equatable {
    public var column: Int
    public var elementCount: Int
    public var stats: Statistics
    public var pages: [PageInfo]

    public var storedSize: Int { pages.reduce(0) { $0 + $1.storedSize } }

    func write(_ w: inout ByteWriter) {
        w.record { w in
            w.u32(UInt32(column))
            w.u64(UInt64(elementCount))
            w.u8(stats.hasRange ? 1 : 0)
            w.raw([0, 0, 0])
            w.u64(stats.min)
            w.u64(stats.max)
            w.u64(stats.nanCount)
            w.u32(UInt32(pages.count))
            for p in pages { p.write(&w) }
        }
    }

    static func read(_ r: inout ByteReader) throws(EVCError) -> ColumnChunkInfo {
        try r.record("column chunk", minSize: 48) { r throws(EVCError) in
            let column = Int(try r.u32())
            let elements = try r.count("element count", max: 1 << 48)
            let flags = try r.u8()
            guard flags & ~1 == 0 else { throw r.error("unknown chunk flags 0x\(String(flags, radix: 16))", code: .unknownFeature) }
            _ = try r.bytes(3)
            let stats = Statistics(hasRange: flags & 1 != 0, min: try r.u64(), max: try r.u64(), nanCount: try r.u64())
            let n = try r.listCount("page", minItemSize: PageInfo.recordSize)
            var pages: [PageInfo] = []
            pages.reserveCapacity(n)
            for _ in 0..<n { pages.append(try PageInfo.read(&r)) }
            return ColumnChunkInfo(column: column, elementCount: elements, stats: stats, pages: pages)
        }
    }
}

/// A cluster: a run of whole events, with one column chunk per column. Its pages lie in
/// `pagesOffset ..< pagesOffset + pagesLength`, right after its CLUS block.
public struct ClusterInfo: Sendable, Equatable {
    public var index: Int
    public var firstEvent: Int
    public var eventCount: Int
    public var pagesOffset: Int
    public var pagesLength: Int
    public var columns: [ColumnChunkInfo]

    public var storedSize: Int { pagesLength }

    func write(_ w: inout ByteWriter) {
        w.record { w in
            w.u64(UInt64(index))
            w.u64(UInt64(firstEvent))
            w.u64(UInt64(eventCount))
            w.u64(UInt64(pagesOffset))
            w.u64(UInt64(pagesLength))
            w.u32(UInt32(columns.count))
            for c in columns { c.write(&w) }
        }
    }

    static func read(_ r: inout ByteReader) throws(EVCError) -> ClusterInfo {
        try r.record("cluster", minSize: 48) { r throws(EVCError) in
            let index = try r.count("cluster index", max: 1 << 40)
            let first = try r.count("first event", max: 1 << 56)
            let events = try r.count("event count", max: 1 << 40)
            let pagesOffset = try r.count("pages offset", max: Int.max / 2)
            let pagesLength = try r.count("pages length", max: Int.max / 2)
            let n = try r.listCount("column chunk", minItemSize: 48)
            var cols: [ColumnChunkInfo] = []
            cols.reserveCapacity(n)
            for _ in 0..<n { cols.append(try ColumnChunkInfo.read(&r)) }
            return ClusterInfo(index: index, firstEvent: first, eventCount: events, pagesOffset: pagesOffset,
                               pagesLength: pagesLength, columns: cols)
        }
    }

    /// Checks that the cluster fits its schema and file: one chunk per column in order, page
    /// ranges inside the cluster's pages area and the file, element counts that add up, sizes
    /// that match encodings. Throws with the cluster, column and page named.
    func validate(schema: Schema, fileSize: Int) throws(EVCError) {
        let place = "cluster \(index)"
        guard pagesOffset <= fileSize, pagesLength <= fileSize - pagesOffset else {
            throw EVCError(.corrupt, "pages area \(pagesOffset)+\(pagesLength) lies outside the \(fileSize)-byte file", place: place)
        }
        guard columns.count == schema.columns.count else {
            throw EVCError(.corrupt, "has \(columns.count) column chunks, the schema has \(schema.columns.count) columns", place: place)
        }
        let end = pagesOffset + pagesLength
        // What reading the whole cluster would allocate, before anything is allocated.
        var decoded = 0
        for (ci, chunk) in columns.enumerated() where ci < schema.columns.count {
            decoded += chunk.elementCount * schema.columns[ci].type.width  // each at most 2^48 * 8
        }
        guard decoded <= Layout.maxClusterBytes else {
            throw EVCError(.corrupt, "cluster claims \(decoded) bytes of decoded values, more than the \(Layout.maxClusterBytes) a cluster may hold", place: place)
        }
        var recordCount: [Int: Int] = [:]  // per record-list field
        for (ci, chunk) in columns.enumerated() {
            let col = schema.columns[ci]
            // Places are spelled out only for an error (this runs for every cluster read).
            func cplace() -> String { "\(place), column \(col.path)" }
            guard chunk.column == ci else { throw EVCError(.corrupt, "chunk names column \(chunk.column)", place: cplace()) }
            let field = schema.fields[col.fieldIndex]
            switch col.role {
            case .offsets:
                guard chunk.elementCount == eventCount else {
                    throw EVCError(.corrupt, "\(chunk.elementCount) offsets for \(eventCount) events", place: cplace())
                }
            case .values, .member:
                if let per = field.elementsPerEvent {
                    let (expected, overflow) = eventCount.multipliedReportingOverflow(by: per)
                    guard !overflow, chunk.elementCount == expected else {
                        throw EVCError(.corrupt, "\(chunk.elementCount) values for \(eventCount) events of \(per)", place: cplace())
                    }
                } else if case .member = col.role {
                    if let rc = recordCount[col.fieldIndex], rc != chunk.elementCount {
                        throw EVCError(.corrupt, "\(chunk.elementCount) values, other members have \(rc)", place: cplace())
                    }
                    recordCount[col.fieldIndex] = chunk.elementCount
                }
            }
            var total = 0
            for (pi, p) in chunk.pages.enumerated() {
                func pplace() -> String { "\(cplace()), page \(pi)" }
                guard p.count >= 1, p.count <= Layout.maxPageValues else {
                    throw EVCError(.corrupt, "page holds \(p.count) values (1 to \(Layout.maxPageValues) allowed)", place: pplace())
                }
                guard p.encoding.applies(to: col.type) else {
                    throw EVCError(.corrupt, "encoding \(p.encoding) does not apply to \(col.type)", place: pplace())
                }
                guard p.offset >= pagesOffset, p.storedSize <= end - p.offset, p.offset <= end else {
                    throw EVCError(.corrupt, "page bytes \(p.offset)+\(p.storedSize) lie outside the cluster's pages area", place: pplace())
                }
                guard p.encodedSize <= Layout.maxPageBytes, p.count * col.type.width <= Layout.maxPageBytes else {
                    throw EVCError(.corrupt, "page of \(p.encodedSize) encoded bytes is larger than allowed", place: pplace())
                }
                total += p.count
            }
            guard total == chunk.elementCount else {
                throw EVCError(.corrupt, "pages hold \(total) values, the chunk \(chunk.elementCount)", place: cplace())
            }
        }
    }
}

/// What the footer records of each cluster: enough to find its block without the index.
public struct ClusterSummary: Sendable, Equatable {
    public var firstEvent: Int
    public var eventCount: Int
    public var blockOffset: Int
    public var blockSize: Int

    func write(_ w: inout ByteWriter) {
        w.record { w in
            w.u64(UInt64(firstEvent))
            w.u64(UInt64(eventCount))
            w.u64(UInt64(blockOffset))
            w.u64(UInt64(blockSize))
        }
    }

    static func read(_ r: inout ByteReader) throws(EVCError) -> ClusterSummary {
        try r.record("cluster summary", minSize: 36) { r throws(EVCError) in
            ClusterSummary(firstEvent: try r.count("first event", max: 1 << 56), eventCount: try r.count("event count", max: 1 << 40),
                           blockOffset: try r.count("block offset", max: Int.max / 2), blockSize: try r.count("block size", max: Int.max / 2))
        }
    }
}

/// The footer: schema, file metadata, cluster summaries and where the index block is.
struct Footer: Sendable, Equatable {
    /// A copy of the file header's version and feature flags, checked against the header.
    var major: UInt16 = Layout.majorVersion
    /// 1 when the footer carries the exposure fields (version 1.1), else 0.
    var minor: UInt16 = 0
    var features: UInt32 = 0
    var eventCount: Int
    /// True for a checkpoint footer written while the file was still open.
    var checkpoint: Bool
    var indexOffset: Int
    var indexSize: Int
    var schema: Schema
    var metadata: [(String, String)]
    var clusters: [ClusterSummary]
    /// Version 1.1: where the EXPO block is (0, 0: none).
    var exposureOffset = 0
    var exposureSize = 0

    static func == (a: Footer, b: Footer) -> Bool {
        a.major == b.major && a.minor == b.minor && a.features == b.features && a.eventCount == b.eventCount && a.checkpoint == b.checkpoint && a.indexOffset == b.indexOffset
            && a.indexSize == b.indexSize && a.schema == b.schema && a.clusters == b.clusters
            && a.exposureOffset == b.exposureOffset && a.exposureSize == b.exposureSize
            && a.metadata.map(\.0) == b.metadata.map(\.0) && a.metadata.map(\.1) == b.metadata.map(\.1)
    }

    func payload() -> [UInt8] {
        var w = ByteWriter()
        w.record { w in
            w.u16(major)
            w.u16(minor)
            w.u32(features)
            w.u64(UInt64(eventCount))
            w.u32(checkpoint ? 1 : 0)
            w.u64(UInt64(indexOffset))
            w.u64(UInt64(indexSize))
            SchemaCoding.write(schema, &w)
            w.u32(UInt32(metadata.count))
            for (k, v) in metadata {
                w.string(k)
                w.string(v)
            }
            w.u32(UInt32(clusters.count))
            for c in clusters { c.write(&w) }
            if minor >= 1 {
                w.u64(UInt64(exposureOffset))
                w.u64(UInt64(exposureSize))
            }
        }
        return w.bytes
    }

    static func parse(_ payload: UnsafeRawBufferPointer, fileOffset: Int) throws(EVCError) -> Footer {
        var r = ByteReader(payload, fileOffset: fileOffset, context: "footer")
        return try r.record("footer", minSize: 40) { r throws(EVCError) in
            let major = try r.u16(), minor = try r.u16(), features = try r.u32()
            let events = try r.count("event count", max: 1 << 56)
            let flags = try r.u32()
            guard flags & ~1 == 0 else { throw r.error("unknown footer flags 0x\(String(flags, radix: 16))", code: .unknownFeature) }
            let indexOffset = try r.count("index offset", max: Int.max / 2)
            let indexSize = try r.count("index size", max: Int.max / 2)
            let schema = try SchemaCoding.read(&r)
            let nMeta = try r.listCount("metadata", minItemSize: 8)
            var meta: [(String, String)] = []
            for _ in 0..<nMeta { meta.append((try r.string("metadata key"), try r.string("metadata value", max: Layout.maxMetadataBytes))) }
            let nClusters = try r.listCount("cluster", minItemSize: 36)
            var clusters: [ClusterSummary] = []
            clusters.reserveCapacity(nClusters)
            var next = 0
            for i in 0..<nClusters {
                let c = try ClusterSummary.read(&r)
                guard c.firstEvent == next else {
                    throw r.error("cluster \(i) starts at event \(c.firstEvent), expected \(next)")
                }
                next += c.eventCount
                clusters.append(c)
            }
            guard next == events else { throw r.error("clusters hold \(next) events, the footer says \(events)") }
            var footer = Footer(major: major, minor: minor, features: features, eventCount: events, checkpoint: flags & 1 != 0, indexOffset: indexOffset,
                                indexSize: indexSize, schema: schema, metadata: meta, clusters: clusters)
            // Version 1.1 appends where the exposure table is; a 1.0 footer ends here.
            if minor >= 1 {
                footer.exposureOffset = try r.count("exposure offset", max: Int.max / 2)
                footer.exposureSize = try r.count("exposure size", max: Int.max / 2)
                guard (footer.exposureOffset == 0) == (footer.exposureSize == 0) else {
                    throw r.error("exposure offset \(footer.exposureOffset) and size \(footer.exposureSize): both or neither must be 0")
                }
            }
            return footer
        }
    }
}
